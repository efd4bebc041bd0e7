"""Rule model_recovery: each participant's true and discovered model family, and the confusion matrices."""

from spice_lib.run_log import log_to_file

with log_to_file(snakemake.log[0]):  # noqa: F821 (snakemake is injected)
    from spice_lib.model_recovery import confusion_matrix, model_recovery_table
    from spice_lib.provenance import provenance
    from spice_lib.trials_io import read_table, write_table

    equations, origin = read_table(snakemake.input.equations)  # noqa: F821
    recovery, _ = read_table(snakemake.input.recovery)  # noqa: F821
    table = model_recovery_table(equations, recovery, snakemake.params.n_sessions)  # noqa: F821
    for n_sessions, part in table.groupby("n_sessions"):
        print(f"{n_sessions} sessions per participant: share of each true family (rows) found as each family")
        print(confusion_matrix(part).round(2).to_string(), "\n")
    settings = origin["settings"] | {"n_sessions": snakemake.params.n_sessions}  # noqa: F821 (the runs it stacks, too)
    write_table(snakemake.output[0], table, provenance(settings))  # noqa: F821
