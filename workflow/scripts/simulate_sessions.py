"""Rules simulate_training and simulate_test: sessions of the truth table's participants."""

from spice_lib.run_log import log_to_file

with log_to_file(snakemake.log[0]):  # noqa: F821 (snakemake is injected)
    from spice_lib.agents import AgentQ
    from spice_lib.parameter_sets import sessions_seed, simulate_sessions
    from spice_lib.provenance import provenance
    from spice_lib.tasks import task_from_description
    from spice_lib.trials_io import read_table, save_dataset

    params = snakemake.params  # noqa: F821
    truth, origin = read_table(snakemake.input.truth)  # noqa: F821
    task = task_from_description(params.task)
    agent = AgentQ.from_parameter_table(truth, task.n_actions)
    seed = sessions_seed(int(snakemake.wildcards.seed), params.seed_offset)  # noqa: F821
    dataset = simulate_sessions(agent, task, params.n_trials, params.n_sessions, seed)
    metadata = provenance(
        dict(params.items()), seed, task=task.describe(), agent=agent.describe(), parameter_set=origin["settings"]["parameter_set"]
    )
    save_dataset(snakemake.output.sessions, dataset, **metadata)  # noqa: F821
    print(f"{len(dataset)} sessions of {agent.n_participants} participant(s), seed {seed}")
