"""Validation (not in CI): does term selection end in the same structures when the same function is
computed in another order?

The equation model has two paths that compute the same function (`Weinhardt2024RNN`'s grouped path and the
tutorial's module-by-module loop; tests/test_rnn.py checks logits and gradients agree to 1e-5). Their
floating-point rounding differs, so L-BFGS takes slightly different paths. Where refits are converged,
the selected terms cannot depend on that; where a participant's structures differ, a close call was
decided by where an unconverged refit stopped. For every run of a parameter set of a finished study, this
distils the trained network again with each path (the distillation settings the study recorded in its
equations table, without resamples) and prints, per run, the participants whose terms differ, each
path's term count and the difference of their training NLL (summed over the participant's trials).

Usage: python -m benchmarks.selection_stability [--study results] [--parameter-set population] [--seeds 1 2]
       (the study's results folder, after `make run`; each distillation runs twice, one thread each)
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import numpy as np
import torch

from benchmarks.common import finished_study_arguments, print_table
from spice_lib.equations import read_equations
from spice_lib.estimator import SpiceEstimator, distillation_params
from spice_lib.refit import participant_nll
from spice_lib.term_selection import current_support
from spice_lib.trials_io import load_dataset


def selected(model: Path, data: Path, equations: Path, grouped: bool) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """(support, training NLL summed per participant) after distilling a run's network on one path; the
    run's folders of results/models, results/data and results/equations."""
    torch.set_num_threads(1)
    _, provenance = read_equations(equations / "equations.parquet")  # the settings the study distilled with
    estimator = SpiceEstimator.load(model / "model.pt")
    estimator.set_params(**(distillation_params(provenance["settings"]) | dict(resamples=0, n_threads=1, verbose=False)))
    estimator.rnn_.use_grouped_path = grouped  # the equation models are copies of this network
    dataset, _ = load_dataset(data / "trials.parquet")
    estimator.distill(dataset.xs, dataset.ys)
    nll, n = participant_nll(estimator.spice_model_, dataset.xs, dataset.ys)
    return current_support(estimator.spice_model_), nll * n


def main() -> None:
    arguments = finished_study_arguments(__doc__)
    rows = []
    for seed in arguments.seeds:
        key = f"parameter_set~{arguments.parameter_set}/seed~{seed}"
        folders = [arguments.study / kind / key for kind in ("models", "data", "equations")]
        jobs = [(*folders, grouped) for grouped in (True, False)]
        with multiprocessing.get_context("spawn").Pool(2) as pool:
            (grouped_support, grouped_nll), (loop_support, loop_nll) = pool.starmap(selected, jobs)
        differs = np.zeros(len(grouped_nll), dtype=bool)
        for name in grouped_support:
            differs |= (grouped_support[name] != loop_support[name]).any(1)
        for participant in np.flatnonzero(differs):
            rows.append({
                "seed": seed, "participant": int(participant),
                "modules whose terms differ": ", ".join(n for n in grouped_support if (grouped_support[n][participant] != loop_support[n][participant]).any()),
                "terms grouped / loop": f"{int(sum(s[participant].sum() for s in grouped_support.values()))} / {int(sum(s[participant].sum() for s in loop_support.values()))}",
                "NLL grouped - loop": float(grouped_nll[participant] - loop_nll[participant]),
            })  # fmt: skip
        print(f"seed {seed}: {int(differs.sum())} of {len(differs)} participants end with other terms", flush=True)
    print_table(f"Participants whose selected terms depend on the path ({arguments.parameter_set})", rows)


if __name__ == "__main__":
    main()
