"""A simulated study of 1,000 participants through the workflow: time per stage and peak memory.

    .venv/bin/python -m benchmarks.study_scale [--participants 1000] [--trials 200] [--cores 2]
        [--directory DIR] [--epochs N]

Writes an overlay with one parameter set, `scale`: --participants AgentQ participants drawn from the ranges of
config.yaml's `population` parameter set, one session of --trials trials each on the default task and one
held-out session of the same length, with config.yaml's training and distillation settings. Then runs the
workflow in DIR (default: a temporary directory; an earlier run's results there are removed) through
simulate -> train -> distil -> the classic fits and the GRU -> evaluate -> recovery on --cores cores, and
prints per stage (rule) its seconds, CPU seconds and peak memory (max_rss) from Snakemake's benchmark files;
the total wall-clock time and the largest process, against the target of under 20 minutes for 1,000
participants x 200 trials on 2 cores; the pooled held-out NLL of every model; each parameter's recovery by
the equations and by AgentQ's maximum-likelihood fit; and where the equations predict worse than that fit,
by the terms of the unchosen arm's reward value. At full size it takes long:
use --participants, --trials and --epochs (training epochs, default config.yaml's) for a quick run.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import yaml

from benchmarks.common import (
    configured_epochs,
    fresh_results,
    population_ranges,
    print_stage_report,
    print_table,
    run_timed,
    stage_rows,
    study_arguments,
)
from spice_lib.equations import read_equations
from spice_lib.recovery import recovery_summary
from spice_lib.term_selection import unstable
from spice_lib.trials_io import read_table

OVERLAY_NAME = "study_scale.yaml"
TARGET_MINUTES = 20  # for 1,000 participants x 200 trials on 2 cores
STAGES = (
    "simulate_truth", "simulate_training", "simulate_test", "train", "distill", "fit_classic", "train_gru",
    "evaluate", "recover",
)  # fmt: skip


def write_overlay(directory: Path, n_participants: int, n_trials: int, epochs: int | None) -> Path:
    """The study's overlay on config.yaml: the one parameter set, seed 1, no figures."""
    parameter_set = {"name": "scale", "n_participants": n_participants, "n_sessions": 1}
    for name, (low, high) in population_ranges().items():
        parameter_set |= {f"{name}_low": low, f"{name}_high": high}
    config = {
        "parameter_sets": [parameter_set],
        "datasets": [],
        "seeds": [1],
        "data": {"n_trials": n_trials, "n_test_sessions": 1},
        "figures": [],
    }
    if epochs is not None:
        config["training"] = {"epochs": epochs}
    path = directory / OVERLAY_NAME
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def held_out_gap_by_forgetting_terms(directory: Path, run: str) -> list[dict]:
    """Per-participant held-out NLL of the equations minus AgentQ's maximum-likelihood fit, grouped by which
    terms (constant, self) each participant's `x_value_reward_not_chosen` equation has."""
    scores = read_table(directory / f"results/scores/{run}/by_participant.parquet")[0]
    nll = scores.pivot(index="participant", columns="model", values="nll")
    equations = read_equations(directory / f"results/equations/{run}/equations.parquet")[0]
    forgetting = equations.modules["x_value_reward_not_chosen"]
    has = np.abs(forgetting.coefficients) > 0
    constant, own = forgetting.term_names.index("1"), forgetting.term_names.index("x_value_reward_not_chosen[k]")
    gap = (nll["spice"] - nll["agent_q"]).reindex([str(p) for p in equations.participant_ids]).to_numpy()
    groups = {
        "none (no forgetting)": ~has[:, constant] & ~has[:, own],
        "own value only (forgetting towards 0.5)": ~has[:, constant] & has[:, own],
        "constant and own value (towards another value)": has[:, constant] & has[:, own],
        "constant only (a drift, no fixed point)": has[:, constant] & ~has[:, own],
    }
    return [
        {"terms": name, "participants": int(mask.sum()), "mean gap": float(gap[mask].mean()) if mask.any() else float("nan"),
         "share of the total gap": float(gap[mask].sum() / gap.sum()), "share above 0.1": float((gap[mask] > 0.1).mean()) if mask.any() else float("nan")}
        for name, mask in groups.items()
    ]  # fmt: skip


def equations_against_network(directory: Path, run: str) -> list[dict]:
    """How many participants' equations are unstable (`ModuleEquation.unstable`, none after term selection)
    and how many predict their held-out session more than 0.1 and 1 nats per trial worse than the network."""
    scores = read_table(directory / f"results/scores/{run}/by_participant.parquet")[0]
    nll = scores.pivot(index="participant", columns="model", values="nll")
    equations = read_equations(directory / f"results/equations/{run}/equations.parquet")[0]
    gap = (nll["spice"] - nll["rnn"]).reindex([str(p) for p in equations.participant_ids]).to_numpy()
    return [{"participants": equations.n_participants, "unstable equations": int(unstable(equations).sum()),
             "more than 0.1 worse": int((gap > 0.1).sum()), "more than 1 worse": int((gap > 1).sum())}]  # fmt: skip


def scale_options(parser: argparse.ArgumentParser) -> None:
    """The size of the simulated study, beside --cores and --directory."""
    parser.add_argument("--participants", type=int, default=1000)
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=None, help="training epochs (default: config.yaml's)")


def main() -> None:
    arguments = study_arguments(__doc__, "spice-study-scale-", scale_options)
    directory = arguments.directory.resolve()
    fresh_results(directory, OVERLAY_NAME)
    overlay = write_overlay(directory, arguments.participants, arguments.trials, arguments.epochs)

    run = "parameter_set~scale/seed~1"
    targets = [f"results/scores/{run}/scores.parquet", f"results/recovery/{run}/recovery.parquet"]
    wall, largest_mb = run_timed(directory, overlay, arguments.cores, targets)

    epochs = configured_epochs() if arguments.epochs is None else arguments.epochs
    title = (
        f"Stages: {arguments.participants} participants x {arguments.trials} trials (one session; one held-out "
        f"session), {epochs} training epochs, --cores {arguments.cores}"
    )
    at_target = (arguments.participants, arguments.trials, epochs, arguments.cores) == (1000, 200, configured_epochs(), 2)
    rows = stage_rows(directory, [(stage, run) for stage in STAGES])
    size = "1000 participants x 200 trials, config.yaml's epochs, 2 cores"
    print_stage_report(title, rows, wall, largest_mb, TARGET_MINUTES, size, at_target)

    pooled = read_table(directory / f"results/scores/{run}/scores.parquet")[0]
    rows = [
        {"model": row.model, "held-out trials": int(row.n_trials), "nll": float(row.nll)}
        for row in pooled.sort_values("nll").itertuples()
    ]
    print_table("Held-out NLL per trial (seed 1)", rows)

    recovery = recovery_summary(read_table(directory / f"results/recovery/{run}/recovery.parquet")[0])
    by_method = recovery.pivot(index="parameter", columns="method", values=["r", "rmse"]).loc[list(dict.fromkeys(recovery["parameter"]))]
    rows = [
        {"parameter": name, "SPICE r": row[("r", "spice")], "maximum likelihood r": row[("r", "mle")],
         "SPICE RMSE": row[("rmse", "spice")], "maximum likelihood RMSE": row[("rmse", "mle")]}
        for name, row in by_method.iterrows()
    ]  # fmt: skip
    print_table("Parameter recovery (per-participant equations against AgentQ's maximum-likelihood fit)", rows)
    print_table(
        "Held-out NLL per trial, equations minus AgentQ's maximum-likelihood fit, by the terms of the unchosen "
        "arm's reward value (a change per trial: a constant alone would drift the value towards its bound)",
        held_out_gap_by_forgetting_terms(directory, run),
    )
    print_table(
        "The equations against the network, held-out NLL per trial of each participant", equations_against_network(directory, run)
    )
    print(f"\n(results in {directory})")


if __name__ == "__main__":
    main()
