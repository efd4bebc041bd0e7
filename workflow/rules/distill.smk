rule distill:
    """Replace every RNN module by per-participant equations (SINDy), then refit them on the choices."""
    input:
        model=f"results/models/{RUN}/model.pt",
        trials=run_data("trials.parquet"),
    output:
        equations=f"results/equations/{RUN}/equations.parquet",
        printed=f"results/equations/{RUN}/model.txt",
        latex=f"results/equations/{RUN}/equations.tex",
    log:
        f"results/logs/distill/{RUN}.log",
    benchmark:
        f"results/benchmarks/distill/{RUN}.tsv"
    conda:
        "../envs/spice.yaml"
    threads: config["resources"]["distill"]["threads"]
    resources:
        mem_mb=config["resources"]["distill"]["mem_mb"],
        runtime=config["resources"]["distill"]["runtime"],
    params:
        distillation=sorted_keys(config["distillation"]),
    script:
        "../scripts/distill.py"
