# A data set from the config: imported once into the trials table, then split once into training trials and
# held-out trials that every model shares (README, "Your own data").


rule import_data:
    """Read a data set's file, check every value and write the trials table."""
    input:
        lambda wildcards: dataset_settings(wildcards)["path"],
    output:
        trials="results/data/{params}/imported.parquet",
    log:
        "results/logs/import_data/{params}.log",
    benchmark:
        "results/benchmarks/import_data/{params}.tsv"
    wildcard_constraints:
        params=r"dataset~[A-Za-z0-9_-]+",
    conda:
        "../envs/spice.yaml"
    params:
        dataset=dataset_settings,
    script:
        "../scripts/import_data.py"


rule split_data:
    """Hold out whole sessions (or the last trials of a single session) per participant."""
    input:
        trials="results/data/{params}/imported.parquet",
    output:
        split="results/data/{params}/split.parquet",
        training="results/data/{params}/trials.parquet",
        held_out="results/data/{params}/test.parquet",
    log:
        "results/logs/split_data/{params}.log",
    benchmark:
        "results/benchmarks/split_data/{params}.tsv"
    wildcard_constraints:
        params=r"dataset~[A-Za-z0-9_-]+",
    conda:
        "../envs/spice.yaml"
    params:
        test_fraction=lambda wildcards: dataset_settings(wildcards).get("test_fraction"),
        split_seed=lambda wildcards: dataset_settings(wildcards).get("split_seed"),
    script:
        "../scripts/split_data.py"
