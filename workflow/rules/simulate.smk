rule simulate:
    """Simulate one parameter set for one seed: training sessions, held-out sessions and the truth."""
    output:
        trials=f"results/data/{RUN}/trials.parquet",
        test=f"results/data/{RUN}/test.parquet",
        truth=f"results/data/{RUN}/truth.parquet",
    log:
        f"results/logs/simulate/{RUN}.log",
    benchmark:
        f"results/benchmarks/simulate/{RUN}.tsv"
    conda:
        "../envs/spice.yaml"
    resources:
        mem_mb=1000,
        runtime=10,
    params:
        parameter_set=parameter_set,
        task=sorted_keys(config["task"]),
        n_trials=config["data"]["n_trials"],
        n_test_sessions=config["data"]["n_test_sessions"],
        test_seed_offset=config["data"]["test_seed_offset"],
    script:
        "../scripts/simulate.py"
