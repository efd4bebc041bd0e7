"""Rule report_table: a grid table as a readable HTML page for the report."""

from spice_lib.run_log import log_to_file

with log_to_file(snakemake.log[0]):  # noqa: F821 (snakemake is injected)
    from spice_lib.files import atomic_path
    from spice_lib.report_tables import readable_table_html
    from spice_lib.trials_io import read_table

    table, _ = read_table(snakemake.input[0])  # noqa: F821
    with atomic_path(snakemake.output[0]) as temporary:  # noqa: F821
        temporary.write_text(readable_table_html(snakemake.wildcards.table, table), encoding="utf-8")  # noqa: F821
