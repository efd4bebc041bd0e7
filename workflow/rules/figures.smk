rule figure_session:
    """One held-out session through the eyes of the true agent, the RNN and the equations."""
    input:
        model=f"results/models/{RUN}/model.pt",
        equations=f"results/equations/{RUN}/equations.parquet",
        test=f"results/data/{RUN}/test.parquet",
        truth=f"results/data/{RUN}/truth.parquet",
    output:
        report(
            f"results/figures/{RUN}/session.png",
            caption="../report/session.rst",
            category="Runs",
            labels={"run": "{params} seed {seed}", "figure": "session"},
        ),
        vector=f"results/figures/{RUN}/session.pdf",
    log:
        f"results/logs/figure_session/{RUN}.log",
    benchmark:
        f"results/benchmarks/figure_session/{RUN}.tsv"
    wildcard_constraints:
        params=r"parameter_set~[A-Za-z0-9_-]+",
    conda:
        "../envs/spice.yaml"
    script:
        "../scripts/figure_session.py"


rule figure_loss:
    """Training loss per epoch against the true agent's NLL on the same sessions."""
    input:
        history=f"results/models/{RUN}/history.parquet",
        trials=f"results/data/{RUN}/trials.parquet",
        truth=f"results/data/{RUN}/truth.parquet",
    output:
        report(
            f"results/figures/{RUN}/loss.png",
            caption="../report/loss.rst",
            category="Runs",
            labels={"run": "{params} seed {seed}", "figure": "loss"},
        ),
        vector=f"results/figures/{RUN}/loss.pdf",
    log:
        f"results/logs/figure_loss/{RUN}.log",
    benchmark:
        f"results/benchmarks/figure_loss/{RUN}.tsv"
    wildcard_constraints:
        params=r"parameter_set~[A-Za-z0-9_-]+",
    conda:
        "../envs/spice.yaml"
    script:
        "../scripts/figure_loss.py"


rule figure_comparison:
    """Each participant's normalized likelihood under every model against the best classic model."""
    input:
        by_participant=f"results/scores/{RUN}/by_participant.parquet",
        scores=f"results/scores/{RUN}/scores.parquet",
    output:
        report(
            f"results/figures/{RUN}/comparison.png",
            caption="../report/comparison.rst",
            category="Runs",
            labels={"run": "{params} seed {seed}", "figure": "comparison"},
        ),
        vector=f"results/figures/{RUN}/comparison.pdf",
    log:
        f"results/logs/figure_comparison/{RUN}.log",
    benchmark:
        f"results/benchmarks/figure_comparison/{RUN}.tsv"
    conda:
        "../envs/spice.yaml"
    script:
        "../scripts/figure_comparison.py"


rule figure_equations_math:
    """A run's equations as mathematics (the first participants), the generating agent's beside them for
    simulated runs.
    """
    input:
        unpack(simulated_truth),
        equations=f"results/equations/{RUN}/equations.parquet",
    output:
        report(
            f"results/figures/{RUN}/equations_math.png",
            caption="../report/equations_math.rst",
            category="Equations",
            subcategory="Per run",
            labels={"run": "{params} seed {seed}", "figure": "equations"},
        ),
        vector=f"results/figures/{RUN}/equations_math.pdf",
    log:
        f"results/logs/figure_equations_math/{RUN}.log",
    benchmark:
        f"results/benchmarks/figure_equations_math/{RUN}.tsv"
    conda:
        "../envs/spice.yaml"
    params:
        n_actions=config["task"]["n_actions"],
    script:
        "../scripts/figure_equations_math.py"


rule figure_comparisons:
    """All model-comparison figures (one per parameter set or data set and seed)."""
    input:
        every_run(f"results/figures/{RUN}/comparison.png"),


rule figure_sessions:
    """All session figures (one per parameter set and seed)."""
    input:
        every_run(f"results/figures/{RUN}/session.png", SIMULATED_RUNS),


rule figure_losses:
    """All loss figures (one per parameter set and seed)."""
    input:
        every_run(f"results/figures/{RUN}/loss.png", SIMULATED_RUNS),


rule figure_equations_maths:
    """All equations-as-mathematics figures (one per parameter set or data set and seed)."""
    input:
        every_run(f"results/figures/{RUN}/equations_math.png"),


rule figure_nll:
    """Held-out NLL per model across the grid."""
    input:
        "results/tables/scores.parquet",
    output:
        report("results/figures/nll.png", caption="../report/nll.rst", category="Grid"),
        vector="results/figures/nll.pdf",
    log:
        "results/logs/figure_nll.log",
    benchmark:
        "results/benchmarks/figure_nll.tsv"
    conda:
        "../envs/spice.yaml"
    script:
        "../scripts/figure_nll.py"


rule figure_equations:
    """Every discovered coefficient across the grid."""
    input:
        "results/tables/equations.parquet",
    output:
        report(
            "results/figures/equations.png",
            caption="../report/equations_figure.rst",
            category="Grid",
        ),
        vector="results/figures/equations.pdf",
    log:
        "results/logs/figure_equations.log",
    benchmark:
        "results/benchmarks/figure_equations.tsv"
    conda:
        "../envs/spice.yaml"
    script:
        "../scripts/figure_equations.py"


rule figure_recovery:
    """True against recovered parameters across the grid."""
    input:
        "results/tables/recovery.parquet",
    output:
        report(
            "results/figures/recovery.png",
            caption="../report/recovery.rst",
            category="Grid",
        ),
        vector="results/figures/recovery.pdf",
    log:
        "results/logs/figure_recovery.log",
    benchmark:
        "results/benchmarks/figure_recovery.tsv"
    conda:
        "../envs/spice.yaml"
    script:
        "../scripts/figure_recovery.py"


rule figure_inclusion:
    """How often resamples keep each term, and each coefficient's 90% interval, across the grid."""
    input:
        equations="results/tables/equations.parquet",
        terms="results/tables/terms.parquet" if SIMULATED_RUNS else [],
    output:
        report(
            "results/figures/inclusion.png",
            caption="../report/inclusion.rst",
            category="Grid",
        ),
        vector="results/figures/inclusion.pdf",
    log:
        "results/logs/figure_inclusion.log",
    benchmark:
        "results/benchmarks/figure_inclusion.tsv"
    conda:
        "../envs/spice.yaml"
    script:
        "../scripts/figure_inclusion.py"


rule figure_model_recovery:
    """Confusion matrices of the true against the discovered model family, one per data size."""
    input:
        "results/tables/model_recovery.parquet",
    output:
        report(
            "results/figures/model_recovery.png",
            caption="../report/model_recovery.rst",
            category="Grid",
        ),
        vector="results/figures/model_recovery.pdf",
    log:
        "results/logs/figure_model_recovery.log",
    benchmark:
        "results/benchmarks/figure_model_recovery.tsv"
    conda:
        "../envs/spice.yaml"
    script:
        "../scripts/figure_model_recovery.py"
