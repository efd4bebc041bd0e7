"""Rule train_gru: the plain GRU of the model comparison, fitted to a run's training trials."""

from spice_lib.run_log import log_to_file

with log_to_file(snakemake.log[0]):  # noqa: F821 (snakemake is injected)
    from spice_lib.gru_baseline import fit_gru
    from spice_lib.trials_io import load_dataset, read_trials
    from spice_lib.weight_decay_choice import choose_weight_decay, gru_candidate

    training, _ = load_dataset(snakemake.input.trials)  # noqa: F821
    settings = dict(snakemake.params.gru)  # noqa: F821
    weight_decay, holdout = settings.pop("weight_decay"), settings.pop("weight_decay_holdout", None)
    settings |= {"seed": int(snakemake.wildcards.seed), "n_threads": snakemake.threads}  # noqa: F821
    if isinstance(weight_decay, list):  # candidates: the one that best predicts held-out training trials
        weight_decay, _ = choose_weight_decay(
            read_trials(snakemake.input.trials)[0],  # noqa: F821
            training.n_actions,
            training.participant_ids,
            weight_decay,
            gru_candidate(training.n_participants, **settings),
            holdout,
            seed=settings["seed"],
        )
    gru = fit_gru(training.xs, training.ys, training.n_participants, weight_decay=weight_decay, log=print, **settings)
    gru.save(snakemake.output.model)  # noqa: F821
