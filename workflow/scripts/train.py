"""Rule train: the SPICE RNN for one run, saved with its history and provenance."""

from pathlib import Path

from spice_lib.run_log import log_to_file

with log_to_file(snakemake.log[0]):  # noqa: F821 (snakemake is injected)
    from spice_lib.estimator import SpiceEstimator
    from spice_lib.models import precoded_model
    from spice_lib.provenance import provenance
    from spice_lib.trials_io import load_dataset, write_table
    from spice_lib.weight_decay_choice import resolve_weight_decay, spice_candidate

    dataset, metadata = load_dataset(snakemake.input.trials)  # noqa: F821
    rnn_class, spice_config = precoded_model(snakemake.params.model)  # noqa: F821
    training = snakemake.config["training"]  # noqa: F821 (the checkpoint settings, which are not params)
    settings = dict(snakemake.params.training)  # noqa: F821
    weight_decay, holdout = settings.pop("weight_decay"), settings.pop("weight_decay_holdout", None)
    estimator = SpiceEstimator(
        rnn_class,
        spice_config,
        n_actions=dataset.n_actions,
        n_participants=dataset.n_participants,
        participant_ids=dataset.participant_ids,
        seed=int(snakemake.wildcards.seed),  # noqa: F821
        n_threads=snakemake.threads,  # noqa: F821
        checkpoint_every=training["checkpoint_every"],
        keep_checkpoint=training["keep_checkpoint"],
        **settings,
    )
    # A list: the candidate that best predicts held-out training trials.
    weight_decay, choices = resolve_weight_decay(
        weight_decay, snakemake.input.trials, spice_candidate(estimator), holdout, estimator.seed  # noqa: F821
    )
    estimator.set_params(weight_decay=weight_decay)
    # Beside the outputs, not one of them: Snakemake deletes the outputs of a failed job (see train.smk).
    checkpoint = Path(snakemake.output.model).with_name("checkpoint.pt")  # noqa: F821
    estimator.train(dataset.xs, dataset.ys, checkpoint=checkpoint)
    extra = {} if choices is None else {"weight_decay_choice": choices.to_dict("records")}
    settings_used = dict(snakemake.params.items())  # noqa: F821
    history_provenance = provenance(settings_used, estimator.seed_, data=metadata, **extra)
    write_table(snakemake.output.history, estimator.history_, history_provenance)  # noqa: F821
    estimator.save(snakemake.output.model)  # noqa: F821 (last, as it removes the checkpoint)
