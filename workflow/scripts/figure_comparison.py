"""Rule figure_comparison: every participant's held-out normalized likelihood per model, against the best
classic model's."""

from spice_lib.run_log import log_to_file

with log_to_file(snakemake.log[0]):  # noqa: F821 (snakemake is injected)
    import matplotlib

    matplotlib.use("Agg")
    from spice_lib.plotting import plot_comparison, save_figure
    from spice_lib.trials_io import read_table

    by_participant, _ = read_table(snakemake.input.by_participant)  # noqa: F821
    pooled, _ = read_table(snakemake.input.scores)  # noqa: F821
    fig, _ = plot_comparison(by_participant, pooled)
    save_figure(fig, *snakemake.output)  # noqa: F821 (the PNG, then its vector twin)
