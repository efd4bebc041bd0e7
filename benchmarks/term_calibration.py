"""Which terms are real, measured where the truth is known: are the inclusion probabilities calibrated?

    .venv/bin/python -m benchmarks.term_calibration [--cores 2] [--directory DIR] [--set SECTION.KEY=VALUE ...]

Runs the workflow in DIR (default: a temporary directory) with `config.yaml` overlaid by
`benchmarks/configs/term_calibration.yaml` (five generating model families and the default study's
asymmetric participant, term selection rerun on 10 bootstraps of each participant's sessions), then prints,
per parameter set, the mean inclusion probability of the terms the generating model has and of those it
lacks (targets: >= 0.9 and <= 0.1), the precision and recall of the discovered structures, and each term's
inclusion; then, for every participant of the perseveration family, the BIC of the selected structure
against the generating structure refitted on the same data (does the search miss a better structure, or
does BIC not pay for it?); then what the resamples cost: the distillation of two of the study's runs (a population of 12 x
4 sessions, one participant with 100 sessions) timed with 0 and with 10 resamples on one thread. The figure
is results/figures/inclusion.png in DIR. About 25 minutes on 2 cores.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
import yaml

from benchmarks.common import ROOT, print_table, run_workflow, study_arguments, study_overlay
from spice_lib.agents import AgentQ
from spice_lib.equations import equation_model, model_equations, read_equations
from spice_lib.estimator import SpiceEstimator
from spice_lib.recovery import agent_q_equations
from spice_lib.refit import participant_nll, refit_equation_model
from spice_lib.term_selection import bic
from spice_lib.trials_io import load_dataset, read_table

OVERLAY = ROOT / "benchmarks" / "configs" / "term_calibration.yaml"
PRESENT_TARGET, ABSENT_TARGET = 0.9, 0.1
COST_RUNS = ("parameter_set~full/seed~1", "parameter_set~asymmetric/seed~1")
PERSEVERATION = "parameter_set~perseveration/seed~1"


def selected_against_generating_structure(directory: Path, run: str) -> list[dict]:
    """Per participant: NLL per trial and BIC of the selected equations and of the generating agent's
    structure refitted by maximum likelihood (starting from the generating numbers) on the training data."""
    estimator = SpiceEstimator.load(directory / f"results/models/{run}/model.pt")
    selected = equation_model(
        estimator.rnn_, read_equations(directory / f"results/equations/{run}/equations.parquet")[0]
    )
    data, _ = load_dataset(directory / f"results/data/{run}/trials.parquet")
    truth = read_table(directory / f"results/data/{run}/truth.parquet")[0]
    generating = equation_model(
        estimator.rnn_, agent_q_equations(AgentQ.from_parameter_table(truth, estimator.n_actions))
    )
    xs, ys = torch.as_tensor(data.xs, dtype=torch.float32), torch.as_tensor(data.ys, dtype=torch.float32)
    refit_equation_model(generating, xs, ys, "coefficients", log=lambda _: None)

    def scores(model):
        nll, n = participant_nll(model, xs, ys)
        equations = model_equations(model)
        k = np.array([equations.n_parameters(p) for p in range(len(n))])
        return nll, bic(nll * n, k, n)

    (nll_selected, bic_selected), (nll_generating, bic_generating) = scores(selected), scores(generating)
    return [
        {"participant": p, "alpha_choice": truth["alpha_choice"][p], "beta_choice": truth["beta_choice"][p],
         "NLL selected": nll_selected[p], "NLL generating": nll_generating[p],
         "BIC selected": bic_selected[p], "BIC generating": bic_generating[p],
         "BIC generating - selected": bic_generating[p] - bic_selected[p]}
        for p in range(len(truth))
    ]  # fmt: skip


def distill_seconds(directory: Path, run: str, resamples: int) -> float:
    """Seconds to distil a run's trained model on its training data with `resamples`, on one thread."""
    estimator = SpiceEstimator.load(directory / f"results/models/{run}/model.pt")
    estimator.set_params(resamples=resamples, n_threads=1, verbose=False)
    data, _ = load_dataset(directory / f"results/data/{run}/trials.parquet")
    start = time.perf_counter()
    estimator.distill(data.xs, data.ys)
    return time.perf_counter() - start


def main() -> None:
    arguments = study_arguments(__doc__, "spice-term-calibration-")
    directory, cores = arguments.directory, arguments.cores
    targets = ["results/tables/term_recovery.parquet", "results/tables/terms.parquet", "results/figures/inclusion.png"]
    overlay = study_overlay(directory, yaml.safe_load(OVERLAY.read_text()), OVERLAY.name, arguments.set)
    run_workflow(directory, overlay, cores, targets)

    summary = read_table(directory / "results/tables/term_recovery.parquet")[0]
    rows = []
    for row in summary.itertuples():
        target, holds = (
            (PRESENT_TARGET, row.mean_inclusion >= PRESENT_TARGET)
            if row.in_truth
            else (ABSENT_TARGET, row.mean_inclusion <= ABSENT_TARGET)
        )
        rows.append(
            {"parameter set": row.parameter_set, "terms": "in the truth" if row.in_truth else "not in the truth",
             "n": row.n, "found": row.share_found, "mean inclusion": row.mean_inclusion,
             "target": f"{'>=' if row.in_truth else '<='} {target}", "holds": "yes" if holds else "no",
             "precision": row.precision, "recall": row.recall}
        )  # fmt: skip
    print_table("Calibration: mean inclusion probability of the generating model's terms and of the others", rows)

    terms = read_table(directory / "results/tables/terms.parquet")[0]
    by_term = (
        terms.groupby(["module", "term", "in_truth"], sort=False)
        .agg(n=("found", "size"), found=("found", "mean"), mean_inclusion=("inclusion", "mean"))
        .reset_index()
    )
    print_table(
        "Each term over all parameter sets",
        [{"module": r.module, "term": r.term, "in truth": r.in_truth, "n": r.n, "found": r.found,
          "mean inclusion": r.mean_inclusion} for r in by_term.itertuples()],
    )  # fmt: skip
    spurious = terms[(terms["parameter_set"] == "asymmetric") & ~terms["in_truth"] & terms["found"]]
    print_table(
        "Terms the asymmetric participant's equations have that its generating model lacks",
        [{"module": r.module, "term": r.term, "coefficient": r.coefficient, "inclusion": r.inclusion} for r in spurious.itertuples()]
        or [{"module": "none", "term": "", "coefficient": "", "inclusion": ""}],
    )  # fmt: skip
    print_table(
        "Perseveration family: the selected structure against the generating one, refitted (NLL per trial, BIC)",
        selected_against_generating_structure(directory, PERSEVERATION),
    )
    cost = []
    for run in COST_RUNS:
        without, with_resamples = distill_seconds(directory, run, 0), distill_seconds(directory, run, 10)
        cost.append({"run": run, "distil, no resamples (s)": without, "with 10 resamples (s)": with_resamples,
                     "ratio": with_resamples / without})  # fmt: skip
    print_table("What 10 resamples cost: distillation time, the same model and data, one thread", cost)
    print(f"\nFigure: {directory / 'results/figures/inclusion.png'}")


if __name__ == "__main__":
    main()
