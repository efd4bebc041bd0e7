# Every model of a run on the same held-out trials: SPICE's equations and network, the classic models fitted
# per participant by maximum likelihood, a plain GRU, and (simulated data) the true agent.


rule fit_classic:
    """Rescorla-Wagner, Rescorla-Wagner + forgetting and the full AgentQ per participant (maximum likelihood)."""
    input:
        trials="results/data/{data}/trials.parquet",
    output:
        fits="results/classic/{data}/fits.parquet",
    log:
        "results/logs/fit_classic/{data}.log",
    benchmark:
        "results/benchmarks/fit_classic/{data}.tsv"
    wildcard_constraints:
        data=DATA_KEY,
    conda:
        "../envs/spice.yaml"
    threads: config["resources"]["fit_classic"]["threads"]
    resources:
        mem_mb=config["resources"]["fit_classic"]["mem_mb"],
        runtime=config["resources"]["fit_classic"]["runtime"],
    script:
        "../scripts/fit_classic.py"


rule train_gru:
    """A plain GRU with a participant embedding: how much the data hold beyond any mechanism."""
    input:
        trials=run_data("trials.parquet"),
    output:
        model=f"results/models/{RUN}/gru.pt",
    log:
        f"results/logs/train_gru/{RUN}.log",
    benchmark:
        f"results/benchmarks/train_gru/{RUN}.tsv"
    conda:
        "../envs/spice.yaml"
    threads: config["resources"]["train_gru"]["threads"]
    resources:
        mem_mb=config["resources"]["train_gru"]["mem_mb"],
        runtime=config["resources"]["train_gru"]["runtime"],
    params:
        gru=weight_decay_settings(config["comparison"]["gru"]),
    script:
        "../scripts/train_gru.py"


rule evaluate:
    """Held-out NLL, normalized likelihood and training BIC of every model, per participant and pooled, with
    each model's paired difference to the best classic model (bootstrap interval over participants).
    """
    input:
        unpack(simulated_truth),
        model=f"results/models/{RUN}/model.pt",
        gru=f"results/models/{RUN}/gru.pt",
        equations=f"results/equations/{RUN}/equations.parquet",
        classic=lambda wildcards: f"results/classic/{data_key(wildcards)}/fits.parquet",
        trials=run_data("trials.parquet"),
        test=run_data("test.parquet"),
    output:
        scores=f"results/scores/{RUN}/scores.parquet",
        by_participant=f"results/scores/{RUN}/by_participant.parquet",
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
    params:
        bootstrap_samples=config["comparison"]["bootstrap_samples"],
    script:
        "../scripts/evaluate.py"
