"""Rule figure_loss: training loss per epoch against the true agent's NLL on the training sessions."""

from spice_lib.run_log import log_to_file

with log_to_file(snakemake.log[0]):  # noqa: F821 (snakemake is injected)
    import matplotlib

    matplotlib.use("Agg")
    from spice_lib.agents import AgentQ
    from spice_lib.evaluation import agent_nll
    from spice_lib.plotting import plot_history, save_figure
    from spice_lib.trials_io import load_dataset, read_table

    history, _ = read_table(snakemake.input.history)  # noqa: F821
    trials, _ = load_dataset(snakemake.input.trials)  # noqa: F821
    truth, _ = read_table(snakemake.input.truth)  # noqa: F821
    true_nll = agent_nll(AgentQ.from_parameter_table(truth, trials.n_actions), trials)
    fig, _ = plot_history(history, true_nll, title=f"Training: {snakemake.wildcards.params}, seed {snakemake.wildcards.seed}")  # noqa: F821
    save_figure(fig, *snakemake.output)  # noqa: F821 (the PNG, then its vector twin)
