"""Rule evaluate: every model of a run scored on the same held-out trials, per participant and pooled."""

from spice_lib.run_log import log_to_file

with log_to_file(snakemake.log[0]):  # noqa: F821 (snakemake is injected)
    from spice_lib.comparison import compare_run, run_models
    from spice_lib.equations import read_equations
    from spice_lib.estimator import SpiceEstimator
    from spice_lib.gru_baseline import GRUBaseline
    from spice_lib.provenance import provenance
    from spice_lib.trials_io import load_dataset, read_table, write_table

    inputs = snakemake.input  # noqa: F821
    estimator = SpiceEstimator.load(inputs.model)
    equations, origin = read_equations(inputs.equations)
    estimator.set_params(n_threads=snakemake.threads).set_equations(equations)  # noqa: F821
    training, _ = load_dataset(inputs.trials)
    held_out, _ = load_dataset(inputs.test)
    classic, _ = read_table(inputs.classic)
    truth = read_table(inputs.truth)[0] if "truth" in inputs.keys() else None
    models = run_models(estimator, classic, GRUBaseline.load(inputs.gru), training, held_out, truth)
    by_participant, pooled = compare_run(
        models, training, held_out, n_bootstrap=snakemake.params.bootstrap_samples, seed=estimator.seed_  # noqa: F821
    )
    print(pooled.to_string(index=False))
    metadata = provenance(origin["settings"], estimator.seed_)
    write_table(snakemake.output.scores, pooled, metadata)  # noqa: F821
    write_table(snakemake.output.by_participant, by_participant, metadata)  # noqa: F821
