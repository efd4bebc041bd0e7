"""Rule term_recovery_summary: terms found and kept, against the generating model's, per parameter set."""

from spice_lib.run_log import log_to_file

with log_to_file(snakemake.log[0]):  # noqa: F821 (snakemake is injected)
    from spice_lib.provenance import provenance
    from spice_lib.recovery import term_recovery_summary
    from spice_lib.trials_io import read_table, write_table

    terms, origin = read_table(snakemake.input[0])  # noqa: F821
    summary = term_recovery_summary(terms)
    print(summary.to_string(index=False))
    write_table(snakemake.output[0], summary, provenance(origin["settings"]))  # noqa: F821
