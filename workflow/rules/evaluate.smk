rule evaluate:
    """Held-out NLL, normalized likelihood and BIC of the RNN, the equations and the true agent."""
    input:
        model=f"results/models/{RUN}/model.pt",
        equations=f"results/equations/{RUN}/equations.parquet",
        test=f"results/data/{RUN}/test.parquet",
        truth=f"results/data/{RUN}/truth.parquet",
    output:
        scores=f"results/scores/{RUN}/scores.parquet",
    log:
        f"results/logs/evaluate/{RUN}.log",
    benchmark:
        f"results/benchmarks/evaluate/{RUN}.tsv"
    conda:
        "../envs/spice.yaml"
    threads: config["training"]["threads"]
    resources:
        mem_mb=config["training"]["mem_mb"],
        runtime=10,
    script:
        "../scripts/evaluate.py"


rule recover:
    """Read the generating parameters back off the equations, beside their true values."""
    input:
        equations=f"results/equations/{RUN}/equations.parquet",
        truth=f"results/data/{RUN}/truth.parquet",
    output:
        recovery=f"results/scores/{RUN}/recovery.parquet",
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


rule aggregate:
    """One table of a kind for the whole grid, with parameter_set and seed columns."""
    input:
        lambda wildcards: every_run(f"results/{AGGREGATED[wildcards.table]}"),
    output:
        "results/tables/{table}.parquet",
    log:
        "results/logs/aggregate/{table}.log",
    benchmark:
        "results/benchmarks/aggregate/{table}.tsv"
    wildcard_constraints:
        table="scores|equations|recovery",
    conda:
        "../envs/spice.yaml"
    params:
        runs=run_labels(),
    script:
        "../scripts/aggregate.py"


rule equations_page:
    """Every run's printed model on one HTML page (for the report)."""
    input:
        every_run(f"results/equations/{RUN}/model.txt"),
    output:
        report(
            "results/tables/equations.html",
            caption="../report/equations.rst",
            category="Equations",
        ),
    log:
        "results/logs/equations_page.log",
    benchmark:
        "results/benchmarks/equations_page.tsv"
    conda:
        "../envs/spice.yaml"
    params:
        runs=run_labels(),
    script:
        "../scripts/equations_page.py"
