"""Which terms each equation keeps, decided by the choices: stepwise selection by BIC.

SINDy proposes each module's terms from what the network learned, and the network can settle on a
mechanism that only mimics the generating one. Weight decay pulls every module towards its flattest
function, so, for example, a choice trace with memory can be traded for forgetting towards a low value,
which fits the training choices almost as well (a relative of the confound Katahira 2018 describes between
perseveration and asymmetric learning). The proposal is therefore checked against the choices themselves.

Each step tries, for every participant, switching each single term of each module on or off; refits the
equation model's numbers (coefficients and betas) by maximum likelihood for every such alternative; and
takes the alternative with the lowest BIC = 2 NLL + k ln(n) (NLL summed over the participant's predicted
trials, n of them; k its non-zero terms plus its betas) if it is lower than the current structure's. It
stops when no switch lowers any participant's BIC, or after `max_steps`. A search of one switch at a time
can stop at the generating structure and at a mimic with fewer terms alike: which one the equations end
in depends on SINDy's proposal, and where the mimic's BIC is lower the criterion, not the search, keeps it
(docs/validation.md, section 0). Where the mimic forgets a reward value towards one no reward takes,
`resting_values` names it, and `SpiceEstimator(second_start_weight_decay=...)` searches again from a
second network's proposal. No participant's search ends on unstable equations
(`ModuleEquation.unstable`: a value carried away from every value, towards bounds that are a guard rather
than an activation's): on the trials they were fitted to, such equations can score as well as forgetting,
but on new ones they run the value to its bound, where it stops learning. The search may pass through them
(a forgetting equation can lose its self term one step and its constant the next), but a participant whose
search would end there searches on among stable alternatives only, and takes the best of them even where
its BIC is higher. An incremental equation with guard bounds can also be emptied in one switch (the value
left alone), so that a stable alternative is always at hand. An equation that its bounds turn into a reset
on every value it meets in the data (a step down by their width, a negative multiple of the value) is
finally written as the reset (`rewrite_resets`).

The alternatives of a step are refitted together, as extra participants of one equation model (each
participant's sessions repeated once per alternative), each alternative to its own optimum
(`ParticipantNumbers.minimise`): the BIC compares maximum likelihoods, and where one joint minimisation of
all alternatives stopped some of them nats short of theirs, where it stopped decided terms
(docs/validation.md, section 9). Every number has a weak prior (REFIT_PRIOR_SD): with a few hundred choices,
a converged fit otherwise runs along the likelihood's ridges (a learning rate towards 0 against a beta
towards infinity).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import torch

from spice_lib.equations import EquationSet, equation_model, model_equations
from spice_lib.participant_numbers import ParticipantNumbers
from spice_lib.progress import format_duration
from spice_lib.rnn import BaseRNN
from spice_lib.sindy import record
from spice_lib.xs_layout import has_next_choice, split_xs


def bic(nll_total: np.ndarray, n_parameters: np.ndarray, n_trials: np.ndarray) -> np.ndarray:
    """Bayesian information criterion of per-participant fits: 2 NLL + k ln(n)."""
    return 2.0 * nll_total + n_parameters * np.log(np.maximum(n_trials, 1))


# How many values across its bounds an equation is checked at before it is written as a reset.
RESET_GRID = 101

# The spread of the normal prior (mean 0) on every number of a refitted alternative. Coefficients and betas
# that the data determine are of order 1 to 10, where its penalty is small (0.08 nats for a beta of 4);
# without it, converged fits of ~150 choices ran betas to +-100 along ridges (docs/validation.md, section 9).
REFIT_PRIOR_SD = 10.0


def current_support(model: BaseRNN) -> dict[str, np.ndarray]:
    """Which terms each equation of an equation model has: module -> (n_participants, n_terms) of 0/1."""
    return {name: getattr(model.equations, f"support_{name}").cpu().numpy().copy() for name in model.equations.module_names}


def select_terms(
    model: BaseRNN,
    xs: torch.Tensor,
    ys: torch.Tensor,
    max_steps: int = 10,
    max_evaluations: int = 400,
    log: Callable[[str], None] = print,
) -> tuple[BaseRNN, pd.DataFrame]:
    """Stepwise BIC selection of the terms of an equation model (made by `equation_model`, refitted).

    Returns the selected, refitted equation model (a new one; `model` is left as it was) and a table of
    the switches made: step, participant, module, term, switched ('on' or 'off'), bic_before, bic_after.
    """
    device = next(model.parameters()).device
    xs, ys = xs.to(device), ys.to(device)
    equations = model_equations(model)
    support = current_support(model)
    participant = split_xs(xs, model.n_actions).participant[:, 0].long()
    n_participants = equations.n_participants
    n_trials = torch.zeros(n_participants, device=device).index_add_(0, participant, has_next_choice(ys).sum(1).float())
    n_trials = n_trials.cpu().numpy()
    toggles = term_toggles(equations)
    switches = []
    # Participants are independent (each has its own coefficients and betas), so after the first step only
    # those whose structure just changed can have a better switch left.
    active = np.arange(n_participants)
    stable_only = np.zeros(n_participants, dtype=bool)  # whose search would have ended on unstable equations
    held_back = 0  # how often such a participant's lowest BIC was an unstable alternative's
    started, slowest = time.perf_counter(), 0.0
    for step in range(1, max_steps + 1):
        sessions = torch.isin(participant, torch.as_tensor(active, device=device))
        local = torch.searchsorted(torch.as_tensor(active, device=device), participant[sessions])
        mine = equations.subset(active), {name: terms[active] for name, terms in support.items()}
        try:
            candidates, nll_total = _refit_alternatives(model, *mine, toggles, xs[sessions], ys[sessions], local, max_evaluations, log)
        except FloatingPointError as error:
            # The structures chosen so far were refitted soundly; keep them rather than fail the whole run.
            log(f"Term selection stopped before step {step}: {error}; kept the terms chosen up to step {step - 1}.")
            break
        k = np.stack([n_parameters(alternative, equations) for alternative in _alternative_supports(mine[1], toggles)], 1)
        # An alternative whose likelihood is not finite (an equation that leaves every range) is no candidate.
        unrestricted = np.where(np.isfinite(nll_total), bic(nll_total, k, n_trials[active, None]), np.inf)
        is_unstable = unstable(candidates).reshape(unrestricted.shape)
        # A search may pass through unstable equations (a forgetting equation loses its self term, then its
        # constant), but one that would end on them searches on among stable alternatives only, from here.
        ends_unstable = is_unstable[:, 0] & ~_improving(unrestricted)
        stable_only[active[ends_unstable]] = True
        scores = np.where(stable_only[active, None] & is_unstable, np.inf, unrestricted)
        held_back += int((unrestricted.min(1) < scores.min(1)).sum())
        best = scores.argmin(1)
        improves = _improving(scores)
        chosen_equations, chosen_support = _take(candidates, mine[1], toggles, np.where(improves, best, 0))
        equations = equations.with_rows(active, chosen_equations)
        for name in support:
            support[name][active] = chosen_support[name]
        for index in np.flatnonzero(improves):
            name, term = toggles[best[index] - 1]
            switches.append(
                {"step": step, "participant": equations.participant_ids[active[index]], "module": name,
                 "term": EVERY_TERM if term is None else equations.modules[name].term_names[term],
                 "switched": "on" if term is not None and support[name][active[index], term] else "off",
                 "bic_before": float(unrestricted[index, 0]), "bic_after": float(scores[index, best[index]])}
            )  # fmt: skip
        active = active[improves]
        # Later steps refit only the participants still switching, so the slowest step so far bounds the rest.
        slowest = max(slowest, time.perf_counter() - started)
        started = time.perf_counter()
        left = f", at most {format_duration(slowest * (max_steps - step))} left" if len(active) and step < max_steps else ""
        log(
            f"Term selection, step {step} of at most {max_steps}: {len(active)} of {n_participants} participant(s) "
            f"switched a term, {n_participants - len(active)} settled (slowest step {format_duration(slowest)}{left})"
        )
        if not len(active):
            break
    if stable_only.any():
        log(f"Term selection: {int(stable_only.sum())} participant(s) would have ended on unstable equations "
            f"(ModuleEquation.unstable) and searched on among stable ones, passing over {held_back} alternative(s) "
            f"with a lower BIC.")  # fmt: skip
    equations, support = rewrite_resets(equations, support, visited_ranges(equation_model(model, equations, support), xs))
    selected = equation_model(model, equations, support)
    return selected, pd.DataFrame(switches, columns=["step", "participant", "module", "term", "switched", "bic_before", "bic_after"])


def rewrite_resets(
    equations: EquationSet, support: dict[str, np.ndarray], visited: dict[str, np.ndarray] | None = None
) -> tuple[EquationSet, dict[str, np.ndarray]]:
    """Write an incremental equation that its bounds turn into a reset as the reset it is.

    `x[k+1] = x[k] - 1.3` and `x[k+1] = -0.4 x[k]`, kept in [0, 1], are 0 from every value, and so is
    `x[k+1] = x[k] - x[k]`: the same function with as many terms or fewer (where the value it is held at is
    the equation's centre), and the BIC cannot tell them apart. The reset is how the generating mechanism
    writes it (a choice trace without memory, forgetting at rate 1), so that is the form a reader and the
    recovery of parameters get. An equation of its own value alone is checked on RESET_GRID values across
    its bounds or, where `visited` gives them (module -> (n_participants, 2), see `visited_ranges`), across
    the part of its bounds that each participant's value spans in the data: `x[k+1] = x[k] - 0.57` is a
    reset for a trace that the other arm's equation never sets above 0.57, and the rewrite leaves every
    value the data meet, and with it every likelihood, the same. An equation without terms is left alone:
    the reset would be a term more. Returns new equations and support.
    """
    modules = dict(equations.modules)
    support = {name: terms.copy() for name, terms in support.items()}
    for name, equation in equations.modules.items():
        is_own_value = equation.carried > 0  # an incremental equation carries 1 on its own value's linear term
        if not equation.incremental or equation.bounds is None or len(equation.variables) > 1 or not is_own_value.any():
            continue
        own = int(np.flatnonzero(is_own_value)[0])
        n_participants = len(equation.coefficients)
        low, high = np.full(n_participants, float(equation.bounds[0])), np.full(n_participants, float(equation.bounds[1]))
        if visited is not None and name in visited:
            seen = np.asarray(visited[name], dtype=np.float64)
            known = np.isfinite(seen).all(1)  # a participant without data keeps the whole range
            low[known] = np.clip(seen[known, 0], low[known], high[known])
            high[known] = np.clip(seen[known, 1], low[known], high[known])
        grid = low[:, None] + (high - low)[:, None] * np.linspace(0.0, 1.0, RESET_GRID)
        values = equation.evaluate(grid.reshape(-1, 1), np.repeat(np.arange(n_participants), RESET_GRID))
        # Never a term more: an equation without terms leaves the value as it is, and is at the centre only
        # where the value never leaves it (a trace that nothing moves), where its form says nothing.
        has_terms = (support[name] > 0).any(1)
        rewrite = has_terms & np.all(np.abs(values.reshape(n_participants, RESET_GRID) - equation.center) <= 1e-12, axis=1)
        if not rewrite.any():
            continue
        coefficients = equation.coefficients.copy()
        coefficients[rewrite] = 0.0
        coefficients[rewrite, own] = -1.0  # with the carried 1: x[k+1] = center
        support[name][rewrite] = 0.0
        support[name][rewrite, own] = 1.0
        modules[name] = equation.with_coefficients(coefficients)
    return EquationSet(modules, equations.betas, equations.participant_ids, equations.inclusion), support


def visited_ranges(model: BaseRNN, xs: torch.Tensor) -> dict[str, np.ndarray]:
    """The smallest and largest value each equation's own value takes before an update, on any arm, over
    the sessions xs: module -> (n_participants, 2), NaN for a participant without sessions. Every arm counts,
    so the range covers the values the module is applied to, whether it updates the chosen arm or the others."""
    recorded = record(model, xs)
    equations = model_equations(model)
    n_participants = equations.n_participants
    ranges = {}
    for name in equations.modules:
        values = recorded["signals"][name]  # (n_trials, n_sessions, n_actions)
        participant = np.broadcast_to(recorded["participant_index"][None, :, None], values.shape)
        valid = np.broadcast_to(recorded["valid"][..., None], values.shape)
        low, high = np.full(n_participants, np.inf), np.full(n_participants, -np.inf)
        np.minimum.at(low, participant[valid], values[valid])
        np.maximum.at(high, participant[valid], values[valid])
        ranges[name] = np.where(np.isfinite(low)[:, None], np.stack([low, high], 1), np.nan)
    return ranges


def _improving(scores: np.ndarray) -> np.ndarray:
    """Whose best alternative (scores: participant x alternative, the current structure first) lowers their
    BIC by more than numerical noise."""
    return scores.min(1) < scores[:, 0] - 1e-6


def term_toggles(equations: EquationSet) -> list[tuple[str, int | None]]:
    """The switches of a step, as (module, term index): each term of each module, then, for each incremental
    equation whose bounds are a guard, (module, None), every term off (the value left alone, always stable),
    so that a participant whose equation is unstable whichever single term is switched can leave it."""
    toggles = [(name, term) for name in equations.modules for term in range(len(equations.modules[name].powers))]
    return toggles + [(name, None) for name, e in equations.modules.items() if e.incremental and not e.activation_bounds]


def unstable_modules(equations: EquationSet) -> dict[str, np.ndarray]:
    """Per module, (n_participants,) bool: whose equation is unstable (`ModuleEquation.unstable`)."""
    return {name: equation.unstable() for name, equation in equations.modules.items()}


def unstable(equations: EquationSet) -> np.ndarray:
    """(n_participants,) bool: whose equations are unstable in some module."""
    return np.any(list(unstable_modules(equations).values()), axis=0)


def describe_unstable(equations: EquationSet) -> str | None:
    """Which participants' equations are unstable, in which modules (None where none are): whatever made the
    equations (term selection holds its searches to stable ones, but not when it is off, nor the distilled
    or refitted equations before it, nor a search cut short by max_steps), they are not to pass unnoticed."""
    flagged = unstable_modules(equations)
    rows = np.flatnonzero(np.any(list(flagged.values()), axis=0))
    if not len(rows):
        return None
    where = "; ".join(
        f"{equations.participant_ids[row]} ({', '.join(name for name, flags in flagged.items() if flags[row])})"
        for row in rows
    )
    return (
        f"Unstable equations for {len(rows)} of {equations.n_participants} participant(s) (ModuleEquation.unstable: "
        f"a value carried away from every value, to bounds that are only a guard; on new trials it runs to a bound "
        f"and stops following the data): {where}."
    )


# How the switches table names the switch that empties an equation.
EVERY_TERM = "every term"


def _alternative_supports(support: dict[str, np.ndarray], toggles: list[tuple[str, int | None]]):
    """Each alternative's support (the current one first, then one per toggle: a term switched, or, for
    term None, every term of the module off), for every participant."""
    yield support
    for name, term in toggles:
        switched = {module: terms.copy() for module, terms in support.items()}
        if term is None:
            switched[name][:] = 0.0
        else:
            switched[name][:, term] = 1.0 - switched[name][:, term]
        yield switched


def n_parameters(support: dict[str, np.ndarray], equations: EquationSet) -> np.ndarray:
    """Non-zero terms plus betas of every participant: the k of their BIC."""
    return sum(terms.sum(1) for terms in support.values()) + len(equations.betas)


def alternatives_model(model, equations, support, toggles, xs, ys, participant):
    """Every alternative of every participant (the current structure, then one per toggle) as a virtual
    participant of one equation model: row p * n_alternatives + a has participant p's numbers and
    alternative a's terms. Returns (that model, the sessions xs and ys repeated once per alternative and
    relabelled)."""
    n_alternatives = len(toggles) + 1
    n_participants = equations.n_participants
    repeat = lambda values: np.repeat(np.asarray(values), n_alternatives, axis=0)  # noqa: E731 (row p*A + a)
    modules = {
        name: e.with_coefficients(repeat(e.coefficients))
        for name, e in equations.modules.items()
    }
    ids = [f"{p}#{a}" for p in equations.participant_ids for a in range(n_alternatives)]
    expanded = EquationSet(modules, {name: repeat(v) for name, v in equations.betas.items()}, ids)
    expanded_support = {name: np.zeros((n_participants * n_alternatives,) + terms.shape[1:]) for name, terms in support.items()}
    for a, alternative in enumerate(_alternative_supports(support, toggles)):
        for name, terms in alternative.items():
            expanded_support[name][a::n_alternatives] = terms
    candidate = equation_model(model, expanded, expanded_support)

    offsets = torch.arange(n_alternatives, device=xs.device)
    virtual = (participant[:, None] * n_alternatives + offsets).reshape(-1)
    repeated_xs = xs.repeat_interleave(n_alternatives, 0)
    split_xs(repeated_xs, model.n_actions).participant[:] = virtual[:, None].to(xs.dtype)
    return candidate, repeated_xs, ys.repeat_interleave(n_alternatives, 0)


def _refit_alternatives(model, equations, support, toggles, xs, ys, participant, max_evaluations, log):
    """Refit every alternative of every participant, each to its own optimum under the weak prior; returns
    (the refitted EquationSet of n_participants x n_alternatives virtual participants, NLL summed per
    participant and alternative)."""
    n_alternatives = len(toggles) + 1
    n_participants = equations.n_participants
    candidate, repeated_xs, repeated_ys = alternatives_model(model, equations, support, toggles, xs, ys, participant)
    numbers = ParticipantNumbers(candidate, repeated_xs, repeated_ys)
    nll, _ = numbers.minimise(max_evaluations, prior_sd=REFIT_PRIOR_SD, log=log, description="Term selection refit")
    nll = nll.view(n_participants, n_alternatives)
    if not torch.isfinite(nll[:, 0]).all():
        raise FloatingPointError("term selection: the refit of the current structures failed (non-finite likelihood)")
    return model_equations(candidate), nll.cpu().numpy()


def _take(candidates: EquationSet, support, toggles, chosen: np.ndarray):
    """Each participant's chosen alternative (0: the current structure) out of the refitted candidates."""
    rows = np.arange(len(chosen)) * (len(toggles) + 1) + chosen
    selected = candidates.subset(rows)
    selected.participant_ids = [pid.rsplit("#", 1)[0] for pid in selected.participant_ids]
    alternatives = list(_alternative_supports(support, toggles))
    new_support = {name: np.stack([alternatives[a][name][p] for p, a in enumerate(chosen)]) for name in support}
    return selected, new_support
