"""Rule train_gru: the plain GRU of the model comparison, fitted to a run's training trials."""

from spice_lib.run_log import log_to_file

with log_to_file(snakemake.log[0]):  # noqa: F821 (snakemake is injected)
    from spice_lib.gru_baseline import fit_gru
    from spice_lib.trials_io import load_dataset
    from spice_lib.weight_decay_choice import gru_candidate, resolve_weight_decay

    training, _ = load_dataset(snakemake.input.trials)  # noqa: F821
    settings = dict(snakemake.params.gru)  # noqa: F821
    weight_decay, holdout = settings.pop("weight_decay"), settings.pop("weight_decay_holdout", None)
    settings |= {"seed": int(snakemake.wildcards.seed), "n_threads": snakemake.threads}  # noqa: F821
    # A list: the candidate that best predicts held-out training trials.
    candidate, trials = gru_candidate(training.n_participants, **settings), snakemake.input.trials  # noqa: F821
    weight_decay, _ = resolve_weight_decay(weight_decay, trials, candidate, holdout, settings["seed"])
    gru = fit_gru(training.xs, training.ys, training.n_participants, weight_decay=weight_decay, log=print, **settings)
    gru.save(snakemake.output.model)  # noqa: F821
