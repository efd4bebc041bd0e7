"""Model recovery: does SPICE tell the five generating model families apart, and how does that grow with
the data per participant?

    .venv/bin/python -m benchmarks.model_recovery [--cores 2] [--directory DIR] [--sessions 2 4 8]
        [--set SECTION.KEY=VALUE ...]

Runs the workflow in DIR (default: a temporary directory) with `config.yaml` overlaid by
`benchmarks/configs/model_recovery.yaml` (Rescorla-Wagner, + forgetting, + perseveration, asymmetric
learning rates and the full AgentQ; 10 participants each at 2, 4 and 8 sessions of 100 trials; 10 resamples
per participant), then prints for each data size the confusion matrix (target: every diagonal cell >= 0.8
at 4 sessions), each mechanism's precision and recall, the term-level precision and recall of the
discovered structures, and how many participants' reward values settle outside the rewards' range; beside them, the same matrix for an oracle that knows the five families (each fitted
by maximum likelihood, the lowest BIC taken: `model_recovery.family_by_maximum_likelihood`), which says how
well these data allow the families to be told apart at all. The figure is
results/figures/model_recovery.png in DIR. About an hour on 2 cores;
--sessions 4 runs the target's data size alone (its runs are kept when DIR is given to a later, larger run).
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pandas as pd
import torch
import yaml

from benchmarks.common import ROOT, print_table, run_workflow, study_arguments, study_overlay
from spice_lib.equations import read_equations
from spice_lib.model_recovery import OTHER, confusion_matrix, family_by_maximum_likelihood, mechanism_precision_recall
from spice_lib.recovery import term_recovery_summary
from spice_lib.resting_values import outside_reward_range, participants_outside
from spice_lib.trials_io import load_dataset, read_table

OVERLAY = ROOT / "benchmarks" / "configs" / "model_recovery.yaml"
DIAGONAL_TARGET, TARGET_SESSIONS = 0.8, 4


def overlay_with_sessions(directory: Path, sessions: list[int], settings: list[str]) -> Path:
    """The study's overlay with only the parameter sets of `sessions` sessions per participant and the
    `--set` settings, in `directory`."""
    config = yaml.safe_load(OVERLAY.read_text())
    config["parameter_sets"] = [entry for entry in config["parameter_sets"] if entry["n_sessions"] in sessions]
    if not config["parameter_sets"]:
        raise SystemExit(f"--sessions {sessions}: the study has no parameter set of that size")
    return study_overlay(directory, config, OVERLAY.name, settings)


def oracle_families(trials_path: Path) -> pd.DataFrame:
    """participant and the family the maximum-likelihood oracle picks for them, on one run's training trials."""
    torch.set_num_threads(1)
    data, metadata = load_dataset(trials_path)
    fits = family_by_maximum_likelihood(data.xs, data.ys, metadata["participants"])
    return fits.loc[fits["chosen"], ["participant", "family"]].rename(columns={"family": "found_family"})


def oracle_table(directory: Path, table: pd.DataFrame, cores: int) -> pd.DataFrame:
    """The model-recovery table's rows with the oracle's family as found_family, run by run on `cores`."""
    runs = list(table.groupby(["study", "seed"]))
    paths = [directory / f"results/data/parameter_set~{study}/seed~{seed}/trials.parquet" for (study, seed), _ in runs]
    with multiprocessing.get_context("spawn").Pool(cores) as pool:
        picked = pool.map(oracle_families, paths)
    truth = ["n_sessions", "study", "seed", "participant", "true_family"]
    return pd.concat([part[truth].merge(found, on="participant") for (_, part), found in zip(runs, picked)])


def settling_outside_the_range(directory: Path, table: pd.DataFrame) -> list[dict]:
    """Per data size and generating family, how many participants' reward values settle outside the rewards'
    range in their equations (`resting_values`: a choice trace in disguise)."""
    rows = []
    for n_sessions, family, study, seed in table[["n_sessions", "true_family", "study", "seed"]].drop_duplicates().sort_values(["n_sessions", "true_family"]).itertuples(index=False):
        equations, _ = read_equations(directory / f"results/equations/parameter_set~{study}/seed~{seed}/equations.parquet")
        outside = participants_outside(outside_reward_range(equations), equations.n_participants)
        rows.append({"sessions": n_sessions, "generating family": family, "participants": equations.n_participants,
                     "settling outside the range": int(outside.sum())})  # fmt: skip
    return rows


def main() -> None:
    arguments = study_arguments(
        __doc__,
        "spice-model-recovery-",
        lambda parser: parser.add_argument("--sessions", type=int, nargs="+", default=[2, 4, 8]),
    )
    directory, cores = arguments.directory, arguments.cores
    overlay = overlay_with_sessions(directory, arguments.sessions, arguments.set)
    targets = [
        "results/tables/model_recovery.parquet",
        "results/tables/terms.parquet",
        "results/figures/model_recovery.png",
    ]
    run_workflow(directory, overlay, cores, targets)

    table = read_table(directory / "results/tables/model_recovery.parquet")[0]
    terms = read_table(directory / "results/tables/terms.parquet")[0]
    sessions_of = table.drop_duplicates("study").set_index("study")["n_sessions"]
    terms["n_sessions"] = terms["parameter_set"].map(sessions_of)
    oracle = oracle_table(directory, table, cores)
    growth = []
    for n_sessions, part in table.groupby("n_sessions"):
        shares = confusion_matrix(part)
        rows = [{"generating family": family} | row.to_dict() for family, row in shares.iterrows()]
        print_table(
            f"{n_sessions} sessions per participant: share of each generating family found as each family", rows
        )
        oracle_shares = confusion_matrix(oracle[oracle["n_sessions"] == n_sessions]).drop(columns=OTHER)
        print_table(
            f"{n_sessions} sessions: the same for the maximum-likelihood oracle (the five families fitted, lowest BIC)",
            [{"generating family": family} | row.to_dict() for family, row in oracle_shares.iterrows()],
        )
        print_table(
            f"{n_sessions} sessions: each mechanism's precision and recall",
            mechanism_precision_recall(part).to_dict("records"),
        )
        # every parameter set of this size pooled: one precision and recall (on each row of the summary)
        pooled = term_recovery_summary(terms[terms["n_sessions"] == n_sessions].drop(columns="parameter_set")).iloc[0]
        diagonal = [shares.loc[name, name] for name in shares.index]
        oracle_diagonal = [oracle_shares.loc[name, name] for name in oracle_shares.index]
        growth.append(
            {"sessions": n_sessions, "mean diagonal": sum(diagonal) / len(diagonal), "smallest diagonal": min(diagonal),
             "oracle mean diagonal": sum(oracle_diagonal) / len(oracle_diagonal),
             "oracle smallest diagonal": min(oracle_diagonal),
             "term precision": pooled["precision"], "term recall": pooled["recall"]}
            | ({"target (every diagonal >= 0.8)": "holds" if min(diagonal) >= DIAGONAL_TARGET else "not met"}
               if n_sessions == TARGET_SESSIONS else {"target (every diagonal >= 0.8)": ""})
        )  # fmt: skip
    print_table("How model recovery grows with the data per participant", growth)
    print_table("Participants whose reward values settle outside the rewards' range", settling_outside_the_range(directory, table))
    print(f"\nFigure: {directory / 'results/figures/model_recovery.png'}")


if __name__ == "__main__":
    main()
