rule recover:
    """Read the generating parameters back off the equations, beside their true values."""
    input:
        equations=f"results/equations/{RUN}/equations.parquet",
        truth=f"results/data/{RUN}/truth.parquet",
    output:
        recovery=f"results/recovery/{RUN}/recovery.parquet",
    log:
        f"results/logs/recover/{RUN}.log",
    benchmark:
        f"results/benchmarks/recover/{RUN}.tsv"
    conda:
        "../envs/spice.yaml"
    params:
        model=config["model"],
    script:
        "../scripts/recover.py"
