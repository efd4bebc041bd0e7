rule recover:
    """Read the generating parameters back off the equations, beside their true values and beside the
    oracle: the true model family fitted by maximum likelihood to the same training sessions.
    """
    input:
        equations=f"results/equations/{RUN}/equations.parquet",
        truth=f"results/data/{RUN}/truth.parquet",
        classic=f"results/classic/{RUN}/fits.parquet",  # the oracle
    output:
        recovery=f"results/recovery/{RUN}/recovery.parquet",
        terms=f"results/recovery/{RUN}/terms.parquet",
    log:
        f"results/logs/recover/{RUN}.log",
    benchmark:
        f"results/benchmarks/recover/{RUN}.tsv"
    wildcard_constraints:
        params=r"parameter_set~[A-Za-z0-9_-]+",
    conda:
        "../envs/spice.yaml"
    params:
        model=config["model"],
        n_actions=config["task"]["n_actions"],
    script:
        "../scripts/recover.py"


rule recovery_summary:
    """Per parameter set, parameter and method: Pearson r, bias and RMSE of the recovered values."""
    input:
        "results/tables/recovery.parquet",
    output:
        "results/tables/recovery_summary.parquet",
    log:
        "results/logs/recovery_summary.log",
    benchmark:
        "results/benchmarks/recovery_summary.tsv"
    conda:
        "../envs/spice.yaml"
    script:
        "../scripts/recovery_summary.py"


rule term_recovery_summary:
    """Per parameter set: the share of the generating model's terms found, of absent terms invented, their
    mean inclusion probabilities (with resamples) and the found terms' precision and recall.
    """
    input:
        "results/tables/terms.parquet",
    output:
        "results/tables/term_recovery.parquet",
    log:
        "results/logs/term_recovery_summary.log",
    benchmark:
        "results/benchmarks/term_recovery_summary.tsv"
    conda:
        "../envs/spice.yaml"
    script:
        "../scripts/term_recovery_summary.py"


rule model_recovery:
    """Per participant: the true model family and the one the equations show (mechanisms decided with
    the inclusion probabilities), labelled with the parameter set's sessions per participant.
    """
    input:
        equations="results/tables/equations.parquet",
        recovery="results/tables/recovery.parquet",
    output:
        "results/tables/model_recovery.parquet",
    log:
        "results/logs/model_recovery.log",
    benchmark:
        "results/benchmarks/model_recovery.tsv"
    conda:
        "../envs/spice.yaml"
    params:
        n_sessions={row["name"]: row["n_sessions"] for row in config["parameter_sets"]},
    script:
        "../scripts/model_recovery.py"
