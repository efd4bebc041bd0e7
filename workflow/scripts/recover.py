"""Rule recover: the generating parameters read off the equations, beside the true ones."""

from spice_lib.run_log import log_to_file

with log_to_file(snakemake.log[0]):  # noqa: F821 (snakemake is injected)
    from spice_lib.equations import read_equations
    from spice_lib.study import agent_from_truth, recovery_table
    from spice_lib.trials_io import read_table, write_table

    equations, provenance = read_equations(snakemake.input.equations)  # noqa: F821
    truth, metadata = read_table(snakemake.input.truth)  # noqa: F821
    agent = agent_from_truth(truth, metadata["task"]["n_actions"])
    recovery = recovery_table(equations, agent)
    print(recovery.to_string(index=False))
    write_table(snakemake.output.recovery, recovery, {"model": snakemake.params.model})  # noqa: F821
