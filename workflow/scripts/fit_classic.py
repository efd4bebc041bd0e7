"""Rule fit_classic: the classic models fitted per participant to a run's training trials."""

from spice_lib.run_log import log_to_file

with log_to_file(snakemake.log[0]):  # noqa: F821 (snakemake is injected)
    from spice_lib.mle import fit_classic_models
    from spice_lib.provenance import provenance
    from spice_lib.trials_io import load_dataset, write_table

    training, metadata = load_dataset(snakemake.input.trials)  # noqa: F821
    fits = fit_classic_models(training.xs, training.ys, training.participant_ids, log=print)
    summary = fits.groupby("model", sort=False).agg(nll=("nll", "mean"), converged=("converged", "mean"))
    print(summary.to_string())
    # No seed of its own: the fits are deterministic, so they carry the data's.
    origin = provenance({}, metadata.get("seed"), data={"participants": metadata["participants"]})
    write_table(snakemake.output.fits, fits, origin)  # noqa: F821
