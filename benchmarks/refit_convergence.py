"""Validation (not in CI): are term selection's refits at their optima, and does it matter?

Term selection's first step on a finished study's run: every participant's alternative structures (the
current one and each single term switched), refitted by
- one joint L-BFGS on the mean NLL of all alternatives (how term selection refitted them before it refitted
  each alternative apart: torch's L-BFGS, 100 iterations, as `refit.minimise`),
- L-BFGS per alternative (`ParticipantNumbers.minimise` with term selection's weak prior: each alternative
  to its own optimum, as term selection refits them).
Each result is then polished by damped Newton steps with each alternative's whole Hessian, under the same
prior (`ParticipantNumbers.newton`); the better polished objective (NLL + the prior's penalty) of an
alternative is its reference optimum. Printed per method: seconds, alternatives whose objective is more
than 0.1 nats above their reference optimum, the largest gap, and the participants whose choice in this
step (the alternative with the lowest BIC) differs from the choice on the reference optima.

Usage: python -m benchmarks.refit_convergence [--study results] [--parameter-set population] [--seed 1]
       (the study's results folder, after `make run`; one thread)
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks.common import ROOT, print_table
from spice_lib.equations import model_equations, read_equations
from spice_lib.estimator import SpiceEstimator, distillation_params
from spice_lib.participant_numbers import ParticipantNumbers
from spice_lib.refit import free_parameters, minimise
from spice_lib.term_selection import (
    REFIT_PRIOR_SD,
    _alternative_supports,
    alternatives_model,
    bic,
    current_support,
    n_parameters,
    term_toggles,
)
from spice_lib.training import session_nll
from spice_lib.trials_io import load_dataset
from spice_lib.xs_layout import has_next_choice, split_xs

NEWTON_STEPS = 3


class Alternatives:
    """Every participant's alternatives of one term-selection step as rows of one equation model."""

    def __init__(self, model, xs, ys):
        self.model, self.equations, self.support = model, model_equations(model), current_support(model)
        self.toggles = term_toggles(self.equations)
        self.n_participants = self.equations.n_participants
        self.participant = split_xs(xs, model.n_actions).participant[:, 0].long()
        self.original = xs, ys
        _, self.xs, self.ys = alternatives_model(model, self.equations, self.support, self.toggles, xs, ys, self.participant)
        self.n_trials = torch.zeros(self.n_participants).index_add_(0, self.participant, has_next_choice(ys).sum(1).float()).numpy()
        self.k = np.stack([n_parameters(s, self.equations) for s in _alternative_supports(self.support, self.toggles)], 1)

    def model_of(self):
        """An equation model of all rows, started from the current structure's numbers."""
        return alternatives_model(self.model, self.equations, self.support, self.toggles, *self.original, self.participant)[0]

    def numbers(self, candidate) -> ParticipantNumbers:
        return ParticipantNumbers(candidate, self.xs, self.ys)

    def choices(self, nll: np.ndarray) -> np.ndarray:
        scores = bic(nll.reshape(self.n_participants, -1), self.k, self.n_trials[:, None])
        return np.where(np.isfinite(scores), scores, np.inf).argmin(1)


def joint_lbfgs(alternatives: Alternatives):
    """The alternatives refitted as term selection refitted them before: one L-BFGS on the mean NLL of all."""
    candidate = alternatives.model_of()
    trainable = free_parameters(candidate)
    n_predicted = has_next_choice(alternatives.ys).sum()
    evaluations = 0

    def loss():
        nonlocal evaluations
        evaluations += 1
        return session_nll(candidate(alternatives.xs, batch_first=True)[0], alternatives.ys).sum() / n_predicted

    minimise(loss, trainable, 100, log=lambda _: None)
    for parameter in candidate.parameters():
        parameter.requires_grad_(False)
    return candidate, evaluations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--study", type=Path, default=ROOT / "results")
    parser.add_argument("--parameter-set", default="population")
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()
    torch.set_num_threads(1)
    key = f"parameter_set~{arguments.parameter_set}/seed~{arguments.seed}"
    _, provenance = read_equations(arguments.study / "equations" / key / "equations.parquet")
    estimator = SpiceEstimator.load(arguments.study / "models" / key / "model.pt")
    settings = distillation_params(provenance["settings"]) | dict(resamples=0, n_threads=1, verbose=False, select_terms=False)
    estimator.set_params(**settings)
    dataset, _ = load_dataset(arguments.study / "data" / key / "trials.parquet")
    estimator.distill(dataset.xs, dataset.ys)  # distilled and refitted: where term selection starts
    alternatives = Alternatives(estimator.spice_model_, dataset.xs, dataset.ys)

    results = {}
    started = time.perf_counter()
    candidate, evaluations = joint_lbfgs(alternatives)
    results["one joint L-BFGS (before)"] = (candidate, time.perf_counter() - started, evaluations)
    started = time.perf_counter()
    candidate = alternatives.model_of()
    counter = _Counting(alternatives.numbers(candidate))
    counter.numbers.minimise(prior_sd=REFIT_PRIOR_SD)
    results["L-BFGS per alternative (term selection)"] = (candidate, time.perf_counter() - started, counter.evaluations)

    fitted, objective, polished = {}, {}, {}
    for method, (candidate, *_) in results.items():
        numbers = alternatives.numbers(candidate)
        fitted[method] = numbers.nll().numpy()
        objective[method] = fitted[method] + numbers.prior_penalty(REFIT_PRIOR_SD).numpy()
        zeros = torch.zeros(len(numbers.slots), dtype=torch.float64)
        numbers.newton(zeros, numbers.prior_precision(REFIT_PRIOR_SD), NEWTON_STEPS)
        nll = numbers.nll().numpy()
        polished[method] = (nll + numbers.prior_penalty(REFIT_PRIOR_SD).numpy(), nll)
    (joint, joint_nll), (apart, apart_nll) = polished.values()
    reference, reference_nll = np.where(joint <= apart, joint, apart), np.where(joint <= apart, joint_nll, apart_nll)
    reference_choice = alternatives.choices(reference_nll)
    rows = []
    for method, (_, seconds, evaluations) in results.items():
        gap = objective[method] - reference
        rows.append({
            "refit": method, "seconds": seconds, "evaluations": evaluations,
            "alternatives > 0.1 nats above optimum": f"{int((gap > 0.1).sum())} of {gap.size}",
            "largest gap (nats)": float(np.nanmax(gap)),
            "participants choosing otherwise": f"{int((alternatives.choices(fitted[method]) != reference_choice).sum())} of {alternatives.n_participants}",
        })  # fmt: skip
    print_table(f"Term selection's first step, {key}: refits against their optima", rows)


class _Counting:
    """Counts a ParticipantNumbers' evaluations of the likelihood with gradient."""

    def __init__(self, numbers: ParticipantNumbers):
        self.numbers, self.evaluations = numbers, 0
        evaluate = numbers.nll_and_gradient

        def counted(rows=None):
            self.evaluations += 1
            return evaluate(rows)

        numbers.nll_and_gradient = counted


if __name__ == "__main__":
    main()
