"""Rule aggregate: one table for the whole grid, each run's rows labelled with its parameter set and seed."""

from spice_lib.run_log import log_to_file

with log_to_file(snakemake.log[0]):  # noqa: F821 (snakemake is injected)
    from spice_lib.provenance import provenance
    from spice_lib.report import stack_runs
    from spice_lib.trials_io import read_table, write_table

    tables = [read_table(path)[0] for path in snakemake.input]  # noqa: F821
    stacked = stack_runs(tables, snakemake.params.runs)  # noqa: F821
    print(f"{len(stacked)} rows from {len(tables)} runs")
    write_table(snakemake.output[0], stacked, provenance({"runs": snakemake.params.runs}))  # noqa: F821
