"""Rule train: the SPICE RNN for one run, saved with its history and provenance."""

from pathlib import Path

from spice_lib.run_log import log_to_file

with log_to_file(snakemake.log[0]):  # noqa: F821 (snakemake is injected)
    from spice_lib.estimator import SpiceEstimator
    from spice_lib.models import precoded_model
    from spice_lib.provenance import provenance
    from spice_lib.trials_io import load_dataset, write_table

    dataset, metadata = load_dataset(snakemake.input.trials)  # noqa: F821
    rnn_class, spice_config = precoded_model(snakemake.params.model)  # noqa: F821
    training = snakemake.config["training"]  # noqa: F821 (the checkpoint settings, which are not params)
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
        **snakemake.params.training,  # noqa: F821
    )
    # Beside the outputs, not one of them: Snakemake deletes the outputs of a failed job (see train.smk).
    checkpoint = Path(snakemake.output.model).with_name("checkpoint.pt")  # noqa: F821
    estimator.train(dataset.xs, dataset.ys, checkpoint=checkpoint)
    history_provenance = provenance(dict(snakemake.params.items()), estimator.seed_, data=metadata)  # noqa: F821
    write_table(snakemake.output.history, estimator.history_, history_provenance)  # noqa: F821
    estimator.save(snakemake.output.model)  # noqa: F821 (last, as it removes the checkpoint)
