"""Rule figure_inclusion: how often resamples keep each term, and each coefficient's interval, across the grid."""

from spice_lib.run_log import log_to_file

with log_to_file(snakemake.log[0]):  # noqa: F821 (snakemake is injected)
    import matplotlib

    matplotlib.use("Agg")
    from spice_lib.plotting import plot_inclusion, save_figure
    from spice_lib.trials_io import read_table

    equations, _ = read_table(snakemake.input.equations)  # noqa: F821
    terms = read_table(snakemake.input.terms)[0] if snakemake.input.terms else None  # noqa: F821
    fig, _ = plot_inclusion(equations, terms)
    save_figure(fig, *snakemake.output)  # noqa: F821 (the PNG, then its vector twin)
