rule aggregate:
    """One table of a kind for the whole grid, with parameter_set and seed columns."""
    input:
        lambda wildcards: every_run(
            f"results/{AGGREGATED[wildcards.table][0]}", AGGREGATED[wildcards.table][1]
        ),
    output:
        "results/tables/{table}.parquet",
    log:
        "results/logs/aggregate/{table}.log",
    benchmark:
        "results/benchmarks/aggregate/{table}.tsv"
    wildcard_constraints:
        table="|".join(AGGREGATED),
    conda:
        "../envs/spice.yaml"
    params:
        runs=lambda wildcards: run_labels(AGGREGATED[wildcards.table][1]),
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
