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
