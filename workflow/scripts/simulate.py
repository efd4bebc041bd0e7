"""Rule simulate: training and held-out sessions of one parameter set and seed, and the true parameters."""

from spice_lib.run_log import log_to_file

with log_to_file(snakemake.log[0]):  # noqa: F821 (snakemake is injected)
    from spice_lib.estimator import package_versions
    from spice_lib.study import seeds_for_test, simulate_parameter_set
    from spice_lib.tasks import task_from_description
    from spice_lib.trials_io import save_dataset, write_table

    params = snakemake.params  # noqa: F821
    seed = int(snakemake.wildcards.seed)  # noqa: F821
    test_seed = seeds_for_test(seed, params.test_seed_offset)
    task = task_from_description(params.task)
    data = simulate_parameter_set(params.parameter_set, task, params.n_trials, params.n_test_sessions, seed, test_seed)
    provenance = {
        "task": task.describe(),
        "agent": data.agent.describe(),
        "parameter_set": params.parameter_set,
        "versions": package_versions(),
    }
    save_dataset(snakemake.output.trials, data.train, seed=seed, **provenance)  # noqa: F821
    save_dataset(snakemake.output.test, data.test, seed=test_seed, **provenance)  # noqa: F821
    write_table(snakemake.output.truth, data.agent.parameter_table(), {"seed": seed, **provenance})  # noqa: F821
    print(f"{len(data.train)} training and {len(data.test)} held-out sessions of {data.agent.n_participants} participant(s)")
