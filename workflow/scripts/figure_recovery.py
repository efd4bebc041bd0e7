"""Rule figure_recovery: true against recovered parameters across the grid."""

from spice_lib.run_log import log_to_file

with log_to_file(snakemake.log[0]):  # noqa: F821 (snakemake is injected)
    import matplotlib

    matplotlib.use("Agg")
    from spice_lib.plotting import plot_recovery, save_figure
    from spice_lib.trials_io import read_table

    table, _ = read_table(snakemake.input[0])  # noqa: F821
    fig, _ = plot_recovery(table)
    save_figure(fig, *snakemake.output)  # noqa: F821 (the PNG, then its vector twin)
