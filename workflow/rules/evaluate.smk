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
    threads: config["resources"]["evaluate"]["threads"]
    resources:
        mem_mb=config["resources"]["evaluate"]["mem_mb"],
        runtime=config["resources"]["evaluate"]["runtime"],
    script:
        "../scripts/evaluate.py"
