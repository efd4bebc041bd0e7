"""The equations at real-data size: the Sugawara example's model comparison and a simulated study of the
same shape, each checked against the targets the README's "Your own data" section states.

    .venv/bin/python -m benchmarks.real_data [--cores 2] [--directory DIR]

Runs the workflow twice in DIR (default: a temporary directory), overlaying `config.yaml` with
`docs/examples/sugawara2021/config.yaml` and with `benchmarks/configs/sugawara_shaped.yaml` (fitted with the
example's settings), then prints
three tables: every model on the example's held-out trials; the targets for the equations on real data;
recovery of each AgentQ parameter by SPICE and by the per-participant maximum-likelihood fit on the
simulated study. Over an hour on 2 cores.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import yaml

from benchmarks.common import ROOT, run_workflow, study_arguments
from spice_lib.equations import read_equations
from spice_lib.estimator import SpiceEstimator
from spice_lib.recovery import recovery_summary
from spice_lib.trials_io import load_dataset, read_table

EXAMPLE = ROOT / "docs" / "examples" / "sugawara2021" / "config.yaml"
SHAPED = ROOT / "benchmarks" / "configs" / "sugawara_shaped.yaml"
# The sections of the example's config that say how its data are fitted; the shaped study takes them over.
SETTINGS_OF_THE_EXAMPLE = ("training", "comparison", "distillation")


def example_overlay(directory: Path) -> Path:
    """The example's config with the data file's absolute path (the workflow runs in `directory`)."""
    config = yaml.safe_load(EXAMPLE.read_text())
    for dataset in config["datasets"]:
        dataset["path"] = str(ROOT / dataset["path"])
    path = directory / "example.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def shaped_overlay(directory: Path) -> Path:
    """The simulated study of the example's shape, with the example's settings for fitting it."""
    config = yaml.safe_load(SHAPED.read_text())
    example = yaml.safe_load(EXAMPLE.read_text())
    config |= {section: example[section] for section in SETTINGS_OF_THE_EXAMPLE}
    path = directory / "shaped.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def smallest_held_out_probability(directory: Path, run: str, data: str) -> float:
    """The smallest probability the equations give a scored held-out choice."""
    estimator = SpiceEstimator.load(directory / f"results/models/{run}/model.pt")
    estimator.set_equations(read_equations(directory / f"results/equations/{run}/equations.parquet")[0])
    test, _ = load_dataset(directory / f"results/data/{data}/test.parquet")
    scored = test.ys.numpy()[..., 0] >= 0
    chosen = np.take_along_axis(estimator.predict(test.xs)[1], test.ys.numpy().argmax(-1)[..., None], -1)[..., 0]
    return float(chosen[scored].min())


def main() -> None:
    arguments = study_arguments(__doc__, "spice-real-data-")
    directory, cores = arguments.directory, arguments.cores

    run, data = "dataset~sugawara2021/seed~1", "dataset~sugawara2021"
    run_workflow(directory, example_overlay(directory), cores, [f"results/scores/{run}/scores.parquet"])
    shaped = "parameter_set~sugawara_shaped/seed~1"
    run_workflow(directory, shaped_overlay(directory), cores, [f"results/recovery/{shaped}/recovery.parquet"])

    pooled = read_table(directory / f"results/scores/{run}/scores.parquet")[0].set_index("model")
    by_participant = read_table(directory / f"results/scores/{run}/by_participant.parquet")[0]
    chance = math.log(2)
    print("\nSugawara & Katahira (2021), held-out trials (seed 1):\n")
    print("| model | held-out NLL | - best classic [95% interval] | training NLL | worse than chance, held-out / training |")
    print("|---|---|---|---|---|")
    for model, row in pooled.sort_values("nll").iterrows():
        mine = by_participant[by_participant.model == model]
        print(
            f"| {model} | {row['nll']:.4f} | {row['difference']:+.4f} [{row['low']:+.4f}, {row['high']:+.4f}] | "
            f"{row['train_nll']:.4f} | {int((mine.nll > chance).sum())} / {int((mine.train_nll > chance + 1e-6).sum())} |"
        )

    best = pooled.loc[pooled["reference"].iloc[0], "nll"]
    spice, rnn = pooled.loc["spice", "nll"], pooled.loc["rnn", "nll"]
    spice_rows = by_participant[by_participant.model == "spice"]
    smallest = smallest_held_out_probability(directory, run, data)
    targets = [
        ("equations' held-out NLL <= best classic model's", f"{spice:.4f} vs {best:.4f}", spice <= best),
        ("equations within 0.005 of the network", f"{spice - rnn:+.4f}", abs(spice - rnn) <= 0.005),
        ("network <= best classic model", f"{rnn:.4f} vs {best:.4f}", rnn <= best),
        ("no participant's equations worse than chance on own training trials",
         f"{int((spice_rows.train_nll > chance + 1e-6).sum())} participants", not (spice_rows.train_nll > chance + 1e-6).any()),
        ("no held-out trial at probability 0", f"smallest {smallest:.2g}", smallest > 0),
    ]  # fmt: skip
    print("\nTargets on the real data:\n")
    print("| target | measured | met |")
    print("|---|---|---|")
    for name, measured, met in targets:
        print(f"| {name} | {measured} | {'yes' if met else 'no'} |")

    recovery = read_table(directory / f"results/recovery/{shaped}/recovery.parquet")[0]
    print("\nSimulated, same shape (143 participants x 190 trials), Pearson r with the truth:\n")
    print("| parameter | SPICE r | maximum likelihood r | SPICE >= ML |")
    print("|---|---|---|---|")
    summary = recovery_summary(recovery).pivot(index="parameter", columns="method", values="r")
    for parameter, r in summary.loc[list(dict.fromkeys(recovery["parameter"]))].iterrows():
        # r is NaN where a method recovers the same value for everyone (no correlation to speak of)
        shown = {method: "same for all" if math.isnan(value) else f"{value:.2f}" for method, value in r.items()}
        print(f"| {parameter} | {shown['spice']} | {shown['mle']} | {'yes' if r['spice'] >= r['mle'] else 'no'} |")
    print(f"\n(results in {directory})")


if __name__ == "__main__":
    main()
