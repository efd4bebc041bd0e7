"""Rule train_gru: the plain GRU of the model comparison, fitted to a run's training trials."""

from spice_lib.run_log import log_to_file

with log_to_file(snakemake.log[0]):  # noqa: F821 (snakemake is injected)
    from spice_lib.gru_baseline import fit_gru
    from spice_lib.trials_io import load_dataset

    training, _ = load_dataset(snakemake.input.trials)  # noqa: F821
    gru = fit_gru(
        training.xs,
        training.ys,
        training.n_participants,
        seed=int(snakemake.wildcards.seed),  # noqa: F821
        n_threads=snakemake.threads,  # noqa: F821
        log=print,
        **snakemake.params.gru,  # noqa: F821
    )
    gru.save(snakemake.output.model)  # noqa: F821
