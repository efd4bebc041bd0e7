# How often a training job writes a checkpoint, and whether it keeps it, change no model: they are not
# params, so changing them reruns nothing (the script reads them from the config).
CHECKPOINT_SETTINGS = ("checkpoint_every", "keep_checkpoint")


rule train:
    """Train the SPICE RNN on one run's training sessions.

    Every training.checkpoint_every epochs the job writes results/models/<run>/checkpoint.pt beside its
    outputs; run again after being killed, it resumes from there. The checkpoint is not an output, so that
    Snakemake does not delete it when the job fails; the job removes it once model.pt is written, unless
    training.keep_checkpoint.
    """
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
        training=weight_decay_settings(
            {
                key: value
                for key, value in config["training"].items()
                if key not in CHECKPOINT_SETTINGS
            }
        ),
    script:
        "../scripts/train.py"
