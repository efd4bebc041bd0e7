"""Rule figure_session: the first held-out session through the true agent, the RNN and the equations."""

from spice_lib.run_log import log_to_file

with log_to_file(snakemake.log[0]):  # noqa: F821 (snakemake is injected)
    import matplotlib

    matplotlib.use("Agg")
    from spice_lib.agents import AgentQ
    from spice_lib.equations import read_equations
    from spice_lib.estimator import SpiceEstimator
    from spice_lib.plotting import plot_session, save_figure
    from spice_lib.trials_io import load_dataset, read_table

    estimator = SpiceEstimator.load(snakemake.input.model)  # noqa: F821
    estimator.set_equations(read_equations(snakemake.input.equations)[0])  # noqa: F821
    test, _ = load_dataset(snakemake.input.test)  # noqa: F821
    truth, _ = read_table(snakemake.input.truth)  # noqa: F821
    agents = {
        "groundtruth": AgentQ.from_parameter_table(truth, test.n_actions),
        "rnn": estimator.rnn_agent,
        "spice": estimator.spice_agent,
    }
    title = f"Held-out session of participant {test.participant_ids[0]} ({snakemake.wildcards.params}, seed {snakemake.wildcards.seed})"  # noqa: F821
    fig, _ = plot_session(agents, test.xs[0], title=title)
    save_figure(fig, *snakemake.output)  # noqa: F821 (the PNG, then its vector twin)
