"""Rule simulate_truth: the participants of one parameter set and seed (the truth table)."""

from spice_lib.run_log import log_to_file

with log_to_file(snakemake.log[0]):  # noqa: F821 (snakemake is injected)
    from spice_lib.parameter_sets import draw_participants
    from spice_lib.provenance import provenance
    from spice_lib.trials_io import write_table

    params = snakemake.params  # noqa: F821
    seed = int(snakemake.wildcards.seed)  # noqa: F821
    agent = draw_participants(params.parameter_set, seed, params.n_actions)
    truth = agent.parameter_table()
    print(truth.to_string(index=False))
    write_table(snakemake.output.truth, truth, provenance(dict(params.items()), seed, agent=agent.describe()))  # noqa: F821
