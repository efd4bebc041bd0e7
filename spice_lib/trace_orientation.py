"""A choice trace and its mirror image: the same choices, written one way.

A choice trace C reaches the choice as beta x C. AgentQ's trace rises for the arm chosen and falls for the
others, and the sign of beta says perseveration (+) or alternation (-). Its mirror image, C' = low + high - C
within the trace's range (1 - C for a trace in [0, 1]) weighed by -beta, gives every arm the logit
beta C - beta (low + high): the same for all arms but a constant, which the softmax ignores. So the
choices cannot tell the two apart, the network's sigmoid serves either, and SINDy proposes whichever the
network learned: in docs/validation.md section 0, a perseverating agent came back as "the chosen arm's
trace decays towards 0, the others' rise to 1, beta -1.94". That is the right model in a form no reader
expects, whose terms a comparison with AgentQ's reads as other terms. Distillation's proposal is therefore
written in AgentQ's orientation before its numbers are refitted and its terms selected, and so are the
equations term selection ends with, where a refit flipped a trace too weak to orient before
(`orient_choice_trace`; SpiceEstimator._search), and the population's structure where participants share
strength (population.orient_population): where a participant's trace spans a negative width (`resting_values.trace_span`:
the chosen arm's level below the level the others then settle at), each trace equation x[k+1] = f(x[k]) is
replaced by L - f(L - x[k]) with L = low + high, and beta by -beta.

Only the start differs: both forms start every arm's trace at the module's initial value c0, which is
L - c0 in the other form (0 and 1 for AgentQ's trace). Where an equation moves every level alike (an
affine equation whose slope is the same in both arms' equations) only the arms' difference reaches the
choice and the two are exact; otherwise they differ over the first trials of each session, by a trace that
decays, and the refit that follows takes it up.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from spice_lib.equations import EquationSet, ModuleEquation, equation_model, model_equations
from spice_lib.models import WEINHARDT_2024_CHOICE_TRACE
from spice_lib.refit import refit_participants
from spice_lib.resting_values import trace_span
from spice_lib.rnn import BaseRNN

# A span closer to 0 than this is no trace: nothing to orient.
NO_SPAN = 1e-9
# Coefficients the rewrite leaves this close to 0 (the round-off of terms that cancel) are 0: no term.
ROUND_OFF = 1e-12


def mirrored_traces(equations: EquationSet, trace: tuple[str, str, str] = WEINHARDT_2024_CHOICE_TRACE) -> np.ndarray:
    """(n_participants,) bool: whose choice trace is written mirrored (the chosen arm's trace falls). `trace`:
    (beta, the chosen arm's module, the other arms' module). None are where the equations lack the trace or
    it cannot be mirrored within its range (bounds that are not its activation's, or not the same for both
    modules, or a library without the lower powers of the own value that the rewrite needs)."""
    span = _span(equations, trace)
    return np.zeros(equations.n_participants, dtype=bool) if span is None else span < -NO_SPAN


def unoriented_traces(equations: EquationSet, trace: tuple[str, str, str] = WEINHARDT_2024_CHOICE_TRACE) -> np.ndarray:
    """(n_participants,) bool: whose choice trace is mirrored (`mirrored_traces`) or spans nothing, for whom
    both forms are the same choices; none where the trace cannot be mirrored."""
    span = _span(equations, trace)
    return np.zeros(equations.n_participants, dtype=bool) if span is None else span < NO_SPAN


def _span(equations: EquationSet, trace: tuple[str, str, str]) -> np.ndarray | None:
    """Each participant's `trace_span`, or None where the equations lack the trace or it cannot be mirrored
    within its range (see `mirrored_traces`)."""
    beta, chosen, not_chosen = trace
    if not {chosen, not_chosen} <= set(equations.modules) or beta not in equations.betas:
        return None
    pair = equations.modules[chosen], equations.modules[not_chosen]
    same_range = pair[0].bounds is not None and pair[0].bounds == pair[1].bounds
    if not (same_range and all(equation.activation_bounds and _closed(equation) for equation in pair)):
        return None
    return trace_span(*pair)


def orient_choice_trace(
    equations: EquationSet, trace: tuple[str, str, str] = WEINHARDT_2024_CHOICE_TRACE, which: np.ndarray | None = None
) -> tuple[EquationSet, np.ndarray]:
    """`equations` with every mirrored choice trace (`mirrored_traces`) written in AgentQ's orientation, and
    whose (n_participants,) bool. Other participants' numbers are left as they are. `which`, (n_participants,)
    bool, instead says whose trace to write the other way (only traces that can be mirrored)."""
    rows = np.flatnonzero(mirrored_traces(equations, trace) if which is None else which)
    if not len(rows):
        return equations, np.zeros(equations.n_participants, dtype=bool)
    beta, *modules = trace
    oriented = dict(equations.modules)
    for name in modules:
        oriented[name] = _mirror(equations.modules[name], rows)
    betas = {name: values.copy() for name, values in equations.betas.items()}
    betas[beta][rows] *= -1.0
    flipped = np.zeros(equations.n_participants, dtype=bool)
    flipped[rows] = True
    return EquationSet(oriented, betas, list(equations.participant_ids)), flipped


def orient_keeping_terms(
    model: BaseRNN, xs, ys, trace: tuple[str, str, str] = WEINHARDT_2024_CHOICE_TRACE, log: Callable[[str], None] = print
) -> tuple[BaseRNN, np.ndarray]:
    """`model` (an equation model) with every mirrored choice trace written in AgentQ's orientation, each
    equation keeping the terms the rewrite gives it, and those participants' numbers refitted on their own
    sessions in (xs, ys) (the two forms differ over the first trials). Returns the model and whose
    (n_participants,) bool.

    This is how a search ends, not where it looks: term selection can end on the mirror image because it is
    a term cheaper. A trace that AgentQ sets to 1 for the arm chosen and resets to 0 for the others (no
    memory) is, mirrored, reset to 0 for the arm chosen (the chosen arm's equation without terms: its value
    is its centre, 0) and raised by a constant for the others (kept in [0, 1]): one term against two, the
    same choices. Searched again from AgentQ's form, such a trace flips back."""
    equations = model_equations(model)
    oriented, mirrored = orient_choice_trace(equations, trace)
    rows = np.flatnonzero(mirrored)
    if not len(rows):
        return model, mirrored
    refitted, _, _ = refit_participants(model, oriented, rows, xs, ys, log=lambda _: None)
    log(
        f"{len(rows)} participant(s)' choice trace ended mirrored (the mirror image can be a term cheaper): written "
        "as AgentQ writes it, with the terms that gives and the numbers refitted."
    )
    return equation_model(model, oriented.with_rows(rows, model_equations(refitted))), mirrored


def _mirror(equation: ModuleEquation, rows: np.ndarray) -> ModuleEquation:
    """The equation of L - x (L = low + high of its bounds) for the participants at `rows`. In the centred
    form y = x - center with centred polynomial g (y[k+1] = g(y[k], v)), the mirrored value's centred
    polynomial is D - g(D - y, v) with D = L - 2 center: each own-value power (D - y)^p expanded binomially.
    The bounds map onto themselves."""
    low, high = equation.bounds
    shift = low + high - 2.0 * equation.center
    index = {tuple(row): j for j, row in enumerate(equation.powers)}
    centred = equation.centred_coefficients()[rows]
    mirrored = np.zeros_like(centred)
    for j, row in enumerate(equation.powers):
        power = int(row[0])
        for lower in range(power + 1):
            weight = math.comb(power, lower) * shift ** (power - lower) * (-1.0) ** lower
            mirrored[:, index[(lower, *row[1:])]] -= weight * centred[:, j]
    mirrored[:, index[(0,) * len(equation.variables)]] += shift
    fitted = mirrored - equation.carried  # as fitted: the change, for an incremental module
    fitted[np.abs(fitted) < ROUND_OFF] = 0.0
    coefficients = equation.coefficients.copy()
    coefficients[rows] = fitted
    return equation.with_coefficients(coefficients)


def _closed(equation: ModuleEquation) -> bool:
    """Whether the library has, for each term, the same term with every lower power of the own value (the
    constant among them), as the binomial expansion of the mirror needs (a full polynomial library has)."""
    terms = {tuple(row) for row in equation.powers}
    return all((lower, *row[1:]) in terms for row in equation.powers for lower in range(int(row[0]) + 1)) and (
        (0,) * len(equation.variables) in terms
    )
