import math
import re

import pandas as pd
from snakemake.utils import Paramspace, min_version, validate

from spice_lib.config_checks import ConfigError, check_config

min_version("9.20")


# Stop before any job when a key or value is wrong (the schema, which fills in the defaults) or when values
# disagree or name what is not there (check_config); both name the key and say what to do.
validate(config, "../schemas/config.schema.yaml")
check_config(config)


def unfilled_profile_placeholders():
    """Resources still holding a profile's placeholder (profiles/slurm: <partition>, <account>)."""
    settings = workflow.resource_settings
    mappings = {"default-resources": settings.default_resources or {}} | {
        f"set-resources {rule}": mapping
        for rule, mapping in settings.overwrite_resources.items()
    }
    return [
        f"{where}: {name}={resource.raw}"
        for where, mapping in mappings.items()
        for name, resource in mapping.items()
        if re.search(r"<[\w-]+>", str(resource.raw))
    ]


# Left in, a placeholder would reach every submitted job, and the scheduler would refuse them one by one.
_placeholders = unfilled_profile_placeholders()
if _placeholders:
    raise ConfigError(
        f"the profile still holds placeholders ({'; '.join(_placeholders)}); replace "
        "them in the profile (profiles/slurm/config.yaml): `sinfo -s` lists the partitions, "
        "`sacctmgr show associations user=$USER format=account` your accounts"
    )


report: "../report/workflow.rst"


PARAMETER_SETS = pd.DataFrame(config["parameter_sets"] or {"name": []})
DATASETS = {dataset["name"]: dataset for dataset in config["datasets"]}

# Runs are keyed by what they study: results/<kind>/parameter_set~<name>/seed~<seed>/... for simulated
# participants, results/<kind>/dataset~<name>/seed~<seed>/... for a data set (the seed initialises the
# networks). A parameter set's full row reaches the scripts as a param, so editing a range reruns what
# depends on it.
PARAMSPACE = Paramspace(
    PARAMETER_SETS[["name"]].rename(columns={"name": "parameter_set"}),
    single_wildcard="params",
)
SIMULATED_RUNS = list(PARAMSPACE.instance_patterns)
DATASET_RUNS = [f"dataset~{name}" for name in DATASETS]
SEEDS = [int(seed) for seed in config["seeds"]]
RUN = "{params}/seed~{seed}"


wildcard_constraints:
    params=r"(parameter_set|dataset)~[A-Za-z0-9_-]+",
    seed=r"\d+",


def is_dataset(wildcards):
    return wildcards.params.startswith("dataset~")


def dataset_settings(wildcards):
    """The config entry of this job's data set."""
    return sorted_keys(DATASETS[wildcards.params.removeprefix("dataset~")])


def data_key(wildcards):
    """Where a run's data live below results/data/ (and what was fitted to them alone, below
    results/classic/): simulated data are drawn per seed (parameter_set~<name>/seed~<seed>); a data set
    is imported and split once (dataset~<name>), and every seed trains on the same split.
    """
    if is_dataset(wildcards):
        return wildcards.params
    return f"{wildcards.params}/seed~{wildcards.seed}"


# A data key: what `data_key` returns.
DATA_KEY = r"(parameter_set~[A-Za-z0-9_-]+/seed~\d+|dataset~[A-Za-z0-9_-]+)"


def run_data(name):
    """Input function: a run's data file `name` (trials.parquet, test.parquet)."""
    return lambda wildcards: f"results/data/{data_key(wildcards)}/{name}"


def simulated_truth(wildcards):
    """{'truth': the truth table} for simulated runs; nothing for a data set."""
    if is_dataset(wildcards):
        return {}
    return {
        "truth": f"results/data/{wildcards.params}/seed~{wildcards.seed}/truth.parquet"
    }


def sorted_keys(mapping):
    """A config mapping with sorted keys, nested mappings too: reordering keys in config.yaml must not
    rerun jobs."""
    return {
        key: sorted_keys(value) if isinstance(value, dict) else value
        for key, value in sorted(mapping.items())
    }


def weight_decay_settings(network):
    """A network's settings (sorted) as its rule's params. Where they list weight decays to choose among
    (spice_lib.weight_decay_choice), the share of training trials the candidates are scored on joins them;
    otherwise it is left out, so that changing it reruns nothing."""
    params = {
        key: value
        for key, value in sorted_keys(network).items()
        if key != "weight_decay_holdout"
    }
    if isinstance(params["weight_decay"], list):
        params["weight_decay_holdout"] = config["training"]["weight_decay_holdout"]
    return params


def parameter_set(wildcards):
    """The config row of this job's parameter set, without the columns it leaves empty."""
    name = PARAMSPACE.instance(wildcards)["parameter_set"]
    row = PARAMETER_SETS.set_index("name", drop=False).loc[name].to_dict()
    return sorted_keys(
        {
            key: value
            for key, value in row.items()
            if not (isinstance(value, float) and math.isnan(value))
        }
    )


def every_run(pattern, runs=None):
    """`pattern` (with {params} and {seed}) for every run: each parameter set and data set (or `runs`),
    each seed."""
    return [
        pattern.format(params=params, seed=seed)
        for params in (SIMULATED_RUNS + DATASET_RUNS if runs is None else runs)
        for seed in SEEDS
    ]


def run_labels(runs=None):
    """Labels of every run, in the order of `every_run`: parameter_set or dataset, and seed."""
    return [
        (
            {
                "parameter_set": params.removeprefix("parameter_set~"),
                "dataset": None,
                "seed": seed,
            }
            if params.startswith("parameter_set~")
            else {
                "parameter_set": None,
                "dataset": params.removeprefix("dataset~"),
                "seed": seed,
            }
        )
        for params in (SIMULATED_RUNS + DATASET_RUNS if runs is None else runs)
        for seed in SEEDS
    ]


# What `aggregate` stacks into results/tables/<table>.parquet, and from which runs (recovery needs a truth).
AGGREGATED = {
    "scores": (f"scores/{RUN}/scores.parquet", None),
    "scores_by_participant": (f"scores/{RUN}/by_participant.parquet", None),
    "equations": (f"equations/{RUN}/equations.parquet", None),
    "recovery": (f"recovery/{RUN}/recovery.parquet", SIMULATED_RUNS),
    "terms": (f"recovery/{RUN}/terms.parquet", SIMULATED_RUNS),
}

# Figures of simulated runs need the truth; the others are drawn for every run.
FIGURES = {
    "sessions": lambda: every_run(f"results/figures/{RUN}/session.png", SIMULATED_RUNS),
    "losses": lambda: every_run(f"results/figures/{RUN}/loss.png", SIMULATED_RUNS),
    "comparisons": lambda: every_run(f"results/figures/{RUN}/comparison.png"),
    "equations_math": lambda: every_run(f"results/figures/{RUN}/equations_math.png"),
    "nll": lambda: ["results/figures/nll.png"] if SIMULATED_RUNS else [],
    "equations": lambda: ["results/figures/equations.png"],
    "recovery": lambda: ["results/figures/recovery.png"] if SIMULATED_RUNS else [],
    "inclusion": lambda: (
        ["results/figures/inclusion.png"] if config["distillation"]["resamples"] else []
    ),
    "model_recovery": lambda: (
        ["results/figures/model_recovery.png"]
        if config["distillation"]["resamples"] and SIMULATED_RUNS
        else []
    ),
}


def final_outputs():
    tables = [
        f"results/tables/{name}.parquet"
        for name, (_, runs) in AGGREGATED.items()
        if runs is None or runs
    ]
    if SIMULATED_RUNS:
        tables += [
            "results/tables/recovery_summary.parquet",
            "results/tables/term_recovery.parquet",
        ]
    return (
        tables
        + ["results/tables/equations.html"]
        + [path for name in config["figures"] for path in FIGURES[name]()]
    )
