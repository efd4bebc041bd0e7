import math

import pandas as pd
from snakemake.utils import Paramspace, min_version, validate

min_version("9.20")


# Stop before any job when a key or value is wrong; fills in the schema's defaults.
validate(config, "../schemas/config.schema.yaml")


report: "../report/workflow.rst"


PARAMETER_SETS = pd.DataFrame(config["parameter_sets"])
_duplicates = PARAMETER_SETS["name"][PARAMETER_SETS["name"].duplicated()].tolist()
if _duplicates:
    raise ValueError(
        f"config.yaml: parameter_sets: names must be unique; repeated: {_duplicates}"
    )

# Parameter sets enter the paths by name (results/<kind>/parameter_set~<name>/seed~<seed>/...); the full
# row reaches the scripts as a param, so editing a range reruns what depends on it.
PARAMSPACE = Paramspace(
    PARAMETER_SETS[["name"]].rename(columns={"name": "parameter_set"}),
    single_wildcard="params",
)
SEEDS = [int(seed) for seed in config["seeds"]]
RUN = "{params}/seed~{seed}"


wildcard_constraints:
    params=r"parameter_set~[A-Za-z0-9_-]+",
    seed=r"\d+",


def sorted_keys(mapping):
    """A config mapping with sorted keys: reordering keys in config.yaml must not rerun jobs."""
    return dict(sorted(mapping.items()))


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


def every_run(pattern):
    """`pattern` (with {params} and {seed}) for every parameter set and seed."""
    return [
        pattern.format(params=params, seed=seed)
        for params in PARAMSPACE.instance_patterns
        for seed in SEEDS
    ]


def run_labels():
    """Labels of every run, in the order of `every_run`."""
    return [
        {"parameter_set": name, "seed": seed}
        for name in PARAMETER_SETS["name"]
        for seed in SEEDS
    ]


# What `aggregate` stacks into results/tables/<table>.parquet.
AGGREGATED = {
    "scores": f"scores/{RUN}/scores.parquet",
    "equations": f"equations/{RUN}/equations.parquet",
    "recovery": f"recovery/{RUN}/recovery.parquet",
}

FIGURES = {
    "sessions": lambda: every_run(f"results/figures/{RUN}/session.png"),
    "losses": lambda: every_run(f"results/figures/{RUN}/loss.png"),
    "nll": lambda: ["results/figures/nll.png"],
    "equations": lambda: ["results/figures/equations.png"],
    "recovery": lambda: ["results/figures/recovery.png"],
}


def final_outputs():
    tables = [f"results/tables/{name}.parquet" for name in AGGREGATED]
    tables.append("results/tables/recovery_summary.parquet")
    return (
        tables
        + ["results/tables/equations.html"]
        + [path for name in config["figures"] for path in FIGURES[name]()]
    )
