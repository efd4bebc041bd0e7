# Truth, training sessions and held-out sessions are separate jobs: changing how many sessions are held
# out resimulates only those, and retrains nothing.


rule simulate_truth:
    """Draw one parameter set's participants for one seed: the truth table."""
    output:
        truth=f"results/data/{RUN}/truth.parquet",
    log:
        f"results/logs/simulate_truth/{RUN}.log",
    benchmark:
        f"results/benchmarks/simulate_truth/{RUN}.tsv"
    wildcard_constraints:
        params=r"parameter_set~[A-Za-z0-9_-]+",
    conda:
        "../envs/spice.yaml"
    params:
        parameter_set=parameter_set,
        n_actions=config["task"]["n_actions"],
    script:
        "../scripts/simulate_truth.py"


rule simulate_training:
    """The participants' training sessions (the run's own seed)."""
    input:
        truth=f"results/data/{RUN}/truth.parquet",
    output:
        sessions=f"results/data/{RUN}/trials.parquet",
    log:
        f"results/logs/simulate_training/{RUN}.log",
    benchmark:
        f"results/benchmarks/simulate_training/{RUN}.tsv"
    wildcard_constraints:
        params=r"parameter_set~[A-Za-z0-9_-]+",
    conda:
        "../envs/spice.yaml"
    params:
        task=sorted_keys(config["task"]),
        n_trials=config["data"]["n_trials"],
        n_sessions=lambda wildcards: parameter_set(wildcards)["n_sessions"],
        seed_offset=0,
    script:
        "../scripts/simulate_sessions.py"


rule simulate_test:
    """The participants' held-out sessions (seed + test_seed_offset), for the scores."""
    input:
        truth=f"results/data/{RUN}/truth.parquet",
    output:
        sessions=f"results/data/{RUN}/test.parquet",
    log:
        f"results/logs/simulate_test/{RUN}.log",
    benchmark:
        f"results/benchmarks/simulate_test/{RUN}.tsv"
    wildcard_constraints:
        params=r"parameter_set~[A-Za-z0-9_-]+",
    conda:
        "../envs/spice.yaml"
    params:
        task=sorted_keys(config["task"]),
        n_trials=config["data"]["n_trials"],
        n_sessions=config["data"]["n_test_sessions"],
        seed_offset=config["data"]["test_seed_offset"],
    script:
        "../scripts/simulate_sessions.py"
