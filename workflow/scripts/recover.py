"""Rule recover: the generating parameters read off the equations and fitted by the oracle, beside the true
ones; and each term of the equations beside the generating model's."""

from spice_lib.run_log import log_to_file

with log_to_file(snakemake.log[0]):  # noqa: F821 (snakemake is injected)
    from spice_lib.equations import read_equations
    from spice_lib.provenance import provenance
    from spice_lib.recovery import recovery_with_oracle, term_recovery_table
    from spice_lib.trials_io import read_table, write_table

    equations, origin = read_equations(snakemake.input.equations)  # noqa: F821
    truth, _ = read_table(snakemake.input.truth)  # noqa: F821
    classic_fits, _ = read_table(snakemake.input.classic)  # noqa: F821
    recovery = recovery_with_oracle(equations, truth, classic_fits)
    print(recovery.to_string(index=False))
    origin = provenance(dict(snakemake.params.items()), origin["seed"])  # noqa: F821
    write_table(snakemake.output.recovery, recovery, origin)  # noqa: F821
    terms = term_recovery_table(equations, truth, snakemake.params.n_actions)  # noqa: F821
    write_table(snakemake.output.terms, terms, origin)  # noqa: F821
