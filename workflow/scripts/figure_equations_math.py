"""Rule figure_equations_math: a run's equations as mathematics (the first participants), the generating
agent's beside them for simulated runs."""

from spice_lib.run_log import log_to_file

with log_to_file(snakemake.log[0]):  # noqa: F821 (snakemake is injected)
    import matplotlib

    matplotlib.use("Agg")
    from spice_lib.equations import read_equations
    from spice_lib.plotting import plot_equations_math, save_figure
    from spice_lib.recovery import generating_equations
    from spice_lib.trials_io import read_table

    equations, _ = read_equations(snakemake.input.equations)  # noqa: F821
    truth = None
    if "truth" in snakemake.input.keys():  # noqa: F821 (simulated runs only)
        truth = generating_equations(equations, read_table(snakemake.input.truth)[0], snakemake.params.n_actions)  # noqa: F821
    title = f"Equations of {snakemake.wildcards.params}, seed {snakemake.wildcards.seed}"  # noqa: F821
    fig, _ = plot_equations_math(equations, truth, title=title)
    save_figure(fig, *snakemake.output)  # noqa: F821 (the PNG, then its vector twin)
