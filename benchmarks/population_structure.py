"""Validation (not in CI): does sharing strength find the generating structure of a simulated population,
and what does it recover?

For every run of a parameter set of a finished study, this distils the trained network again with the
settings the study recorded, with sharing strength on (`population.choose_structure` after per-participant
term selection), and fits the generating agents' own structure the same way (empirical Bayes, started at
their true equations): the integrated BIC the search should reach. It prints, per run, the structure the
search chose, both integrated BICs and whether the structures agree, and the search's path (the changes it
kept and the swaps it tried); then, pooled over the runs, the
Pearson r of each AgentQ parameter read off the shared equations beside the study's own per-participant
equations and the maximum-likelihood oracle (from the study's results/tables/recovery.parquet).

Usage: python -m benchmarks.population_structure [--study results] [--parameter-set population] [--seeds 1 2]
       (the study's results folder, after `make run`; one process per seed, one thread each)
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from benchmarks.common import finished_study_arguments, print_table
from spice_lib import population
from spice_lib.equations import equation_model, model_equations, read_equations
from spice_lib.estimator import SpiceEstimator, distillation_params
from spice_lib.recovery import generating_equations, recovery_summary, recovery_table
from spice_lib.term_selection import current_support
from spice_lib.trials_io import load_dataset


def shared_run(model: Path, data: Path, equations: Path) -> tuple[pd.DataFrame, dict]:
    """One run's recovery table (method 'spice shared') and its structures: the search's and the truth's
    integrated BIC, and the terms chosen and generating, as 'module: term' strings."""
    torch.set_num_threads(1)
    _, provenance = read_equations(equations / "equations.parquet")
    estimator = SpiceEstimator.load(model / "model.pt")
    settings = distillation_params(provenance["settings"]) | dict(share_strength=True, resamples=0, n_threads=1)
    estimator.set_params(**settings, verbose=False)
    dataset, _ = load_dataset(data / "trials.parquet")
    truth = pd.read_parquet(data / "truth.parquet")
    estimator.distill(dataset.xs, dataset.ys)
    found = model_equations(estimator.spice_model_)
    exact = generating_equations(found, truth, estimator.n_actions)
    support = {name: (equation.coefficients != 0).astype(float) for name, equation in exact.modules.items()}
    generating = population.share_strength(
        equation_model(estimator.spice_model_, exact, support), dataset.xs, dataset.ys,
        {name: terms.max(0) for name, terms in support.items()}, log=lambda _: None,
    )  # fmt: skip

    def terms(of: dict[str, np.ndarray]) -> set[str]:
        return {f"{name}: {found.modules[name].term_names[j]}" for name, rows in of.items() for j in np.flatnonzero(rows.max(0))}

    chosen, true = terms(current_support(estimator.spice_model_)), terms(support)
    steps = estimator.structure_search_
    searched = steps["integrated_bic"][steps["kept"]].iloc[-1]
    structures = {
        "integrated BIC found": f"{searched:.1f}", "integrated BIC generating": f"{generating.integrated_bic:.1f}",
        "missing": "; ".join(sorted(true - chosen)) or "-", "not generating": "; ".join(sorted(chosen - true)) or "-",
    }  # fmt: skip
    # The search's path: the changes it kept and the swaps it tried.
    path = steps[steps["kept"] | (steps["change"] == "swap")]
    return recovery_table(found, truth).assign(method="spice shared"), structures, path


def main() -> None:
    arguments = finished_study_arguments(__doc__)
    keys = [f"parameter_set~{arguments.parameter_set}/seed~{seed}" for seed in arguments.seeds]
    jobs = [tuple(arguments.study / kind / key for kind in ("models", "data", "equations")) for key in keys]
    with multiprocessing.get_context("spawn").Pool(min(2, len(jobs))) as pool:
        results = pool.starmap(shared_run, jobs)
    print_table(
        f"The population's structure ({arguments.parameter_set}): found by the search, and the generating one's",
        [{"seed": seed} | structures for seed, (_, structures, _) in zip(arguments.seeds, results)],
    )
    for seed, (_, _, path) in zip(arguments.seeds, results):
        print_table(
            f"Seed {seed}: the changes the search kept, and the swaps it tried",
            [
                {"step": step.step, "change": step.change, "term": f"{step.module}: {step.term}".strip(": "),
                 "removed": step.removed or "-", "integrated BIC": f"{step.integrated_bic:.1f}", "kept": step.kept}
                for step in path.itertuples()
            ],  # fmt: skip
        )
    study = pd.read_parquet(arguments.study / "tables" / "recovery.parquet")
    study = study[(study["parameter_set"] == arguments.parameter_set) & study["seed"].isin(arguments.seeds)]
    table = pd.concat([study[list(results[0][0].columns)], *(recovery for recovery, _, _ in results)], ignore_index=True)
    summary = recovery_summary(table).pivot(index="parameter", columns="method", values="r")
    order = list(dict.fromkeys(table["parameter"]))
    print_table(
        "Pearson r over the runs' participants (spice: each participant's own equations, as the study ran)",
        [{"parameter": name} | summary.loc[name].to_dict() for name in order],
    )


if __name__ == "__main__":
    main()
