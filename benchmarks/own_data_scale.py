"""A lab's own data set of realistic size through the workflow: time per stage and peak memory.

    .venv/bin/python -m benchmarks.own_data_scale [--participants 1000] [--trials 150] [--cores 2]
        [--directory DIR] [--epochs N] [--seed 0]

Simulates the data file a lab would bring (deterministic from --seed): AgentQ participants drawn from the
ranges of config.yaml's `population` parameter set, four arms, a drifting bandit (BanditsDrift, sigma 0.2),
one session of --trials trials each, written as a CSV with columns subject, trial (from 1), response (arms
1..4), points (reward 0 -> 1, reward 1 -> 100) and 3% of trials missed (empty response and points). Then runs
the workflow in DIR (default: a temporary directory; an earlier run's results there are removed), overlaying
config.yaml with `benchmarks/configs/own_data_scale.yaml` and the file's path, through import_data,
split_data, train, distill, fit_classic, train_gru and evaluate on --cores cores, and prints: the import log
and the trials dropped as missed; per stage (rule) its seconds, CPU seconds and peak memory (max_rss) from
Snakemake's benchmark files; the total wall-clock time and the largest process, against the target of under
30 minutes for 1,000 participants x 150 trials on 2 cores; the pooled held-out NLL of every model. At full
size it takes long: use --participants, --trials and --epochs (training epochs, default config.yaml's) for a
quick run.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from benchmarks.common import (
    ROOT,
    configured_epochs,
    fresh_results,
    population_ranges,
    print_stage_report,
    print_table,
    run_timed,
    stage_rows,
    study_arguments,
)
from spice_lib.agents import sample_population
from spice_lib.simulation import create_dataset
from spice_lib.tasks import BanditsDrift
from spice_lib.trials_io import read_table, read_trials

OVERLAY = ROOT / "benchmarks" / "configs" / "own_data_scale.yaml"
N_ACTIONS = 4
MISSED_FRACTION = 0.03
POINTS = (1, 100)  # reward 0 -> 1 point, reward 1 -> 100 points
TARGET_MINUTES = 30  # for 1,000 participants x 150 trials on 2 cores
STAGES = ("import_data", "split_data", "train", "distill", "fit_classic", "train_gru", "evaluate")


def write_choice_file(path: Path, n_participants: int, n_trials: int, seed: int) -> int:
    """Simulate the study and write it as a lab's CSV; returns the number of missed trials."""
    agent = sample_population(n_participants, population_ranges(), seed, n_actions=N_ACTIONS)
    _, sessions, _ = create_dataset(agent, BanditsDrift(0.2, n_actions=N_ACTIONS), n_trials, 1, seed=seed)
    choices = sessions.choices  # (participants, trials): one session each, in participant order
    rewards = np.take_along_axis(sessions.rewards, choices[..., None], -1)[..., 0]  # the chosen arm's
    low, high = POINTS
    table = pd.DataFrame(
        {
            "subject": np.repeat([f"sub-{i + 1:04d}" for i in range(n_participants)], n_trials),
            "trial": np.tile(np.arange(1, n_trials + 1), n_participants),
            "response": pd.array(choices.ravel() + 1, dtype="Int64"),
            "points": pd.array(np.rint(low + (high - low) * rewards.ravel()).astype(int), dtype="Int64"),
        }
    )
    rng = np.random.default_rng([seed, 1])  # a stream of its own: which trials are missed
    missed = rng.choice(len(table), size=round(MISSED_FRACTION * len(table)), replace=False)
    table.loc[missed, ["response", "points"]] = pd.NA  # written as empty cells
    table.to_csv(path, index=False)
    return len(missed)


def write_overlay(directory: Path, data: Path, epochs: int | None) -> Path:
    """The checked-in overlay with the data file's absolute path (and training.epochs when given)."""
    config = yaml.safe_load(OVERLAY.read_text())
    config["datasets"][0]["path"] = str(data.resolve())
    if epochs is not None:
        config["training"] = {"epochs": epochs}
    path = directory / OVERLAY.name
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def scale_options(parser: argparse.ArgumentParser) -> None:
    """The size of the simulated study, beside --cores and --directory."""
    parser.add_argument("--participants", type=int, default=1000)
    parser.add_argument("--trials", type=int, default=150)
    parser.add_argument("--epochs", type=int, default=None, help="training epochs (default: config.yaml's)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the simulated data file")


def main() -> None:
    arguments = study_arguments(__doc__, "spice-own-data-scale-", scale_options)
    directory = arguments.directory.resolve()
    fresh_results(directory, OVERLAY.name)

    data_file = directory / "choices.csv"
    n_missed = write_choice_file(data_file, arguments.participants, arguments.trials, arguments.seed)
    n_rows = arguments.participants * arguments.trials
    print(f"wrote {data_file}: {arguments.participants} participants x {arguments.trials} trials, {n_missed} missed")
    overlay = write_overlay(directory, data_file, arguments.epochs)

    data, run = "dataset~scale", "dataset~scale/seed~1"
    wall, largest_mb = run_timed(directory, overlay, arguments.cores, [f"results/scores/{run}/scores.parquet"])

    imported = read_trials(directory / f"results/data/{data}/imported.parquet")[1]
    print(f"\n## Import ({directory / f'results/logs/import_data/{data}.log'})")
    print((directory / f"results/logs/import_data/{data}.log").read_text().rstrip())
    dropped = imported["source"]["n_missed_dropped"]
    print(f"missed trials dropped: {dropped} of {n_rows} ({dropped / n_rows:.1%}); written as missed: {n_missed}")

    epochs = configured_epochs() if arguments.epochs is None else arguments.epochs
    title = (
        f"Stages: {arguments.participants} participants x {arguments.trials} trials, {N_ACTIONS} arms, "
        f"{epochs} training epochs, --cores {arguments.cores}"
    )
    stages = [(stage, data if stage in ("import_data", "split_data", "fit_classic") else run) for stage in STAGES]
    at_target = (arguments.participants, arguments.trials, epochs, arguments.cores) == (1000, 150, configured_epochs(), 2)
    size = "1000 participants x 150 trials, config.yaml's epochs, 2 cores"
    print_stage_report(title, stage_rows(directory, stages), wall, largest_mb, TARGET_MINUTES, size, at_target)

    pooled = read_table(directory / f"results/scores/{run}/scores.parquet")[0]
    rows = [
        {"model": row.model, "held-out trials": int(row.n_trials), "nll": float(row.nll),
         "- best classic": float(row.difference)}
        for row in pooled.sort_values("nll").itertuples()
    ]  # fmt: skip
    print_table(f"Held-out NLL per trial (seed 1; best classic model: {pooled['reference'].iloc[0]})", rows)
    print(f"\n(results in {directory})")


if __name__ == "__main__":
    main()
