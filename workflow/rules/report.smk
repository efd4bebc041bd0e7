from spice_lib.report_tables import READABLE_TABLES


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
    """Every run's equations on one HTML page (for the report), the generating agent's beside them for
    simulated runs.
    """
    input:
        equations=every_run(f"results/equations/{RUN}/equations.parquet"),
        printed=every_run(f"results/equations/{RUN}/model.txt"),
        truths=every_run(f"results/data/{RUN}/truth.parquet", SIMULATED_RUNS),
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
        n_actions=config["task"]["n_actions"],
    script:
        "../scripts/equations_page.py"


# The grid tables the report shows as readable pages: the scores, and, for simulated participants,
# parameter and term recovery, and model recovery where terms were resampled (rule all makes them).
REPORTED_TABLES = ["scores"]
if SIMULATED_RUNS:
    REPORTED_TABLES += ["recovery_summary", "term_recovery"]
if SIMULATED_RUNS and config["distillation"]["resamples"]:
    REPORTED_TABLES.append("model_recovery")


rule report_table:
    """A grid table as a readable HTML page for the report: headers in words, rounded numbers."""
    input:
        "results/tables/{table}.parquet",
    output:
        report(
            "results/tables/{table}.html",
            caption="../report/tables.rst",
            category="Tables",
        ),
    log:
        "results/logs/report_table/{table}.log",
    benchmark:
        "results/benchmarks/report_table/{table}.tsv"
    wildcard_constraints:
        table="|".join(READABLE_TABLES),
    conda:
        "../envs/spice.yaml"
    script:
        "../scripts/report_table.py"
