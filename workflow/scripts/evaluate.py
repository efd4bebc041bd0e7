"""Rule evaluate: scores of the RNN, the equations and the true agent on the held-out sessions."""

from spice_lib.run_log import log_to_file

with log_to_file(snakemake.log[0]):  # noqa: F821 (snakemake is injected)
    from spice_lib.agents import AgentQ
    from spice_lib.equations import read_equations
    from spice_lib.estimator import SpiceEstimator
    from spice_lib.evaluation import score_models
    from spice_lib.provenance import provenance
    from spice_lib.trials_io import load_dataset, read_table, write_table

    estimator = SpiceEstimator.load(snakemake.input.model)  # noqa: F821
    equations, origin = read_equations(snakemake.input.equations)  # noqa: F821
    estimator.set_params(n_threads=snakemake.threads).set_equations(equations)  # noqa: F821
    test, _ = load_dataset(snakemake.input.test)  # noqa: F821
    truth, _ = read_table(snakemake.input.truth)  # noqa: F821
    scores = score_models(estimator, AgentQ.from_parameter_table(truth, test.n_actions), test)
    print(scores.to_string(index=False))
    write_table(snakemake.output.scores, scores, provenance(origin["settings"], estimator.seed_))  # noqa: F821
