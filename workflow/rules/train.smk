rule train:
    """Train the SPICE RNN on one run's training sessions."""
    input:
        trials=f"results/data/{RUN}/trials.parquet",
    output:
        model=f"results/models/{RUN}/model.pt",
        history=f"results/models/{RUN}/history.parquet",
    log:
        f"results/logs/train/{RUN}.log",
    benchmark:
        f"results/benchmarks/train/{RUN}.tsv"
    conda:
        "../envs/spice.yaml"
    threads: config["training"]["threads"]
    resources:
        mem_mb=config["training"]["mem_mb"],
        runtime=config["training"]["runtime"],
        gpu=config["training"]["gpus"],
    params:
        model=config["model"],
        training={key: config["training"][key] for key in TRAINING_SETTINGS},
    script:
        "../scripts/train.py"
