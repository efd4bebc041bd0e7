rule train:
    """Train the SPICE RNN on one run's training sessions."""
    input:
        trials=run_data("trials.parquet"),
    output:
        model=f"results/models/{RUN}/model.pt",
        history=f"results/models/{RUN}/history.parquet",
    log:
        f"results/logs/train/{RUN}.log",
    benchmark:
        f"results/benchmarks/train/{RUN}.tsv"
    conda:
        "../envs/spice.yaml"
    threads: config["resources"]["train"]["threads"]
    resources:
        mem_mb=config["resources"]["train"]["mem_mb"],
        runtime=config["resources"]["train"]["runtime"],
        gpu=config["resources"]["train"]["gpus"],
    params:
        model=config["model"],
        training=sorted_keys(config["training"]),
    script:
        "../scripts/train.py"
