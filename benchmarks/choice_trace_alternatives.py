"""Validation (not in CI): could a choice trace have paid for itself where the equations have none?

Term selection decides by BIC one switch at a time, and a choice trace spans two equations: set on the
chosen arm, fading on the unchosen one. So where a participant's equations end without a trace, this asks
the data directly. For every participant of a finished study whose equations have no choice trace, the
participant's equations are refitted alone on their training sessions in three alternatives, each started
away from the saddle at 0 where two terms that act only together sit (`term_selection` would start them at 0):

  trace        the equations plus a trace without memory: C_c[k+1] = a, C_nc[k+1] - C_nc[k] = -d C_nc[k]
  trace, no V0 the same with the unchosen reward value's constant off: forgetting towards a low value is the
               mimic of a trace (docs/validation.md, section 0), and this trades one for the other
  decaying     the equations plus a trace with memory: C_c[k+1] = a + m C_c[k], C_nc fading as above

and prints each alternative's BIC minus that of the equations as selected (below 0: the alternative is
preferred, so the search missed it; above 0: the data do not pay for the trace), beside the participant's
true alpha_choice and beta_choice.

Usage: python -m benchmarks.choice_trace_alternatives [--study results] [--parameter-set population]
       [--seeds 1 2]   (the study's results folder, after `make run`)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from benchmarks.common import finished_study_arguments, print_table
from spice_lib.equations import EquationSet, equation_model, read_equations
from spice_lib.estimator import SpiceEstimator
from spice_lib.refit import participant_nll, refit_equation_model
from spice_lib.term_selection import bic, n_parameters
from spice_lib.trials_io import load_dataset, read_table
from spice_lib.xs_layout import split_xs

CHOSEN, NOT_CHOSEN, FORGETTING = "x_value_choice_chosen", "x_value_choice_not_chosen", "x_value_reward_not_chosen"
# (module, term index, starting value) switched on, or off with value None; term 0 is the constant, 1 the own value.
ALTERNATIVES = {
    "trace": [(CHOSEN, 0, 0.5), (NOT_CHOSEN, 1, -0.5)],
    "trace, no V0": [(CHOSEN, 0, 0.5), (NOT_CHOSEN, 1, -0.5), (FORGETTING, 0, None)],
    "decaying": [(CHOSEN, 0, 0.5), (CHOSEN, 1, 0.5), (NOT_CHOSEN, 1, -0.5)],
}


def has_trace(support: dict[str, np.ndarray], participant: int) -> bool:
    """Whether a participant's traces can differ: the chosen one is set and the unchosen one changes."""
    return bool(support[CHOSEN][participant, 0]) and bool(support[NOT_CHOSEN][participant].any())


def bic_of(equations: EquationSet, support: dict[str, np.ndarray], rnn, xs, ys, refit: bool) -> float:
    """BIC of one participant's equations on their sessions (refitted first when `refit`)."""
    model = equation_model(rnn, equations, support)
    if refit:
        refit_equation_model(model, xs, ys, "coefficients", log=lambda _: None)
    nll, n = participant_nll(model, xs, ys)
    return float(bic(nll * n, n_parameters(support, equations), n)[0])


def switched(equations: EquationSet, support: dict[str, np.ndarray], changes) -> tuple[EquationSet, dict]:
    """One participant's equations and support with `changes` made."""
    modules, support = dict(equations.modules), {name: terms.copy() for name, terms in support.items()}
    for name, term, start in changes:
        coefficients = modules[name].coefficients.copy()
        coefficients[0, term] = 0.0 if start is None else start
        modules[name] = modules[name].with_coefficients(coefficients)
        support[name][0, term] = 0.0 if start is None else 1.0
    return EquationSet(modules, equations.betas, equations.participant_ids), support


def run_rows(study: Path, parameter_set: str, seed: int) -> list[dict]:
    """One row per participant of a run whose equations have no choice trace."""
    name = f"parameter_set~{parameter_set}/seed~{seed}"
    rnn = SpiceEstimator.load(study / "models" / name / "model.pt").rnn_
    equations, _ = read_equations(study / "equations" / name / "equations.parquet")
    data, _ = load_dataset(study / "data" / name / "trials.parquet")
    truth, _ = read_table(study / "data" / name / "truth.parquet")
    truth = truth.set_index(truth["participant"].astype(str))
    support = {module: (e.coefficients != 0).astype(float) for module, e in equations.modules.items()}
    participant = split_xs(data.xs, data.n_actions).participant[:, 0].long()
    rows = []
    for index, pid in enumerate(equations.participant_ids):
        if has_trace(support, index):
            continue
        mine = participant == data.participant_ids.index(pid)
        xs, ys = data.xs[mine].clone(), data.ys[mine]
        split_xs(xs, data.n_actions).participant[:] = 0  # the participant alone, as participant 0
        own = equations.subset([index])
        own_support = {module: terms[[index]] for module, terms in support.items()}
        selected = bic_of(own, own_support, rnn, xs, ys, refit=False)
        row = {"seed": seed, "participant": pid, "true alpha_choice": float(truth.loc[pid, "alpha_choice"]),
               "true beta_choice": float(truth.loc[pid, "beta_choice"]),
               "forgetting constant": float(own.modules[FORGETTING].coefficients[0, 0])}  # fmt: skip
        for label, changes in ALTERNATIVES.items():
            row[f"{label} - selected"] = bic_of(*switched(own, own_support, changes), rnn, xs, ys, refit=True) - selected
        rows.append(row)
    return rows


def main() -> None:
    args = finished_study_arguments(__doc__)
    torch.set_num_threads(1)
    rows = [row for seed in args.seeds for row in run_rows(args.study, args.parameter_set, seed)]
    print_table(f"Participants of {args.parameter_set} without a choice trace: BIC of each alternative minus the selected equations'", rows)
    for label in ALTERNATIVES:
        lower = sum(row[f"{label} - selected"] < 0 for row in rows)
        print(f"{label}: preferred by BIC for {lower} of {len(rows)} participant(s)")


if __name__ == "__main__":
    main()
