"""Where a reward value forgets towards: a value no reward takes is a choice trace in disguise.

Rewards lie in [0, 1] (the data contract: a data set's rewards are rescaled to it on import), and a reward
value is an estimate of them: an arm left alone forgets towards where it started (AgentQ: 0.5), towards 0,
or not at all, but always towards a value some reward could take. An equation that lets an arm's reward
value settle below 0 says something else: an arm not chosen loses value for not being chosen, so the arm
just chosen looks better, which is what a choice trace (perseveration) does; above 1, the arm not chosen
gains, as in alternation. Under weight decay the network can learn exactly that in place of a decaying
choice trace, and term selection's BIC can prefer it (docs/validation.md, section 0:
`decaying_trace_forgetting` comes back as "no choice trace; forgetting towards -0.19"). The two fit a
participant's choices almost equally well, so the choices alone do not always settle it; these notes make
sure a reader does not take such an equation for forgetting.

A reward value is read where its equation, applied trial after trial from where a session starts with its
other inputs at 0 (no reward shown), ends: for an arm not chosen, where it is after being left alone.
Modules are reward values by name (REWARD_VALUE_PREFIX). A choice trace is read the same way, at the two
levels it moves between (`trace_levels`), which say how far it moves and which way round it runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from spice_lib.tasks import REWARD_RANGE

if TYPE_CHECKING:  # only named here: notation and the report import this without paying for torch
    from spice_lib.equations import EquationSet, ModuleEquation

# Modules whose value is a reward value (the tutorial's names: x_value_reward_chosen, x_value_reward_not_chosen).
REWARD_VALUE_PREFIX = "x_value_reward"


# How many trials a value is followed to the level it settles at (`settled`).
SETTLE_TRIALS = 1000


def settled(equation: ModuleEquation, start: np.ndarray) -> np.ndarray:
    """Where each participant's value settles (n_participants,) when their equation is applied trial after
    trial from `start` (n_participants,), its bounds applied and its other inputs 0: for a choice trace, the
    level of an arm chosen again and again, or of one never chosen again; for a reward value, where an arm
    left alone ends. A value that is still moving after SETTLE_TRIALS trials is read where it is then (at a
    rate of 0.01, within 0.01% of its level)."""
    participants = np.arange(len(start))
    value = np.asarray(start, dtype=np.float64)
    point = np.zeros((len(value), len(equation.variables)))
    for _ in range(SETTLE_TRIALS):
        point[:, 0] = value
        previous, value = value, equation.evaluate(point, participants)
        if np.all(np.abs(value - previous) <= 1e-12):
            break
    return value


def trace_levels(chosen: ModuleEquation, not_chosen: ModuleEquation) -> tuple[np.ndarray, np.ndarray]:
    """The two levels a choice trace moves between, each (n_participants,), from `settled`: the level the
    chosen arm's trace settles at when the arm is chosen trial after trial (from where a session starts),
    and the level the unchosen arm's trace then settles at when the arm is never chosen again. AgentQ's
    trace: 1 and 0."""
    chosen_level = settled(chosen, np.full(len(chosen.coefficients), chosen.center))
    return chosen_level, settled(not_chosen, chosen_level)


def trace_span(chosen: ModuleEquation, not_chosen: ModuleEquation) -> np.ndarray:
    """(n_participants,): how far a choice trace moves, the chosen arm's level less the unchosen arm's
    (`trace_levels`). AgentQ's trace spans 1; a mirrored trace (the chosen arm's trace falls) a negative
    width; no trace, 0."""
    chosen_level, not_chosen_level = trace_levels(chosen, not_chosen)
    return chosen_level - not_chosen_level


def outside_reward_range(equations: EquationSet) -> dict[str, np.ndarray]:
    """Per reward-value module, (n_participants,): where each participant's value settles when the arm is
    left alone from where a session starts (`settled`), where that lies outside REWARD_RANGE; NaN elsewhere."""
    low, high = REWARD_RANGE
    outside = {}
    for name, equation in equations.modules.items():
        if name.startswith(REWARD_VALUE_PREFIX):
            rest = settled(equation, np.full(len(equation.coefficients), equation.center))
            outside[name] = np.where((rest < low) | (rest > high), rest, np.nan)
    return outside


def participants_outside(outside: dict[str, np.ndarray], n_participants: int) -> np.ndarray:
    """(n_participants,) bool: whose reward values settle outside the range in some module, from `outside`
    (what `outside_reward_range` gives)."""
    return np.any([~np.isnan(rest) for rest in outside.values()], axis=0) if outside else np.zeros(n_participants, bool)


def range_note(outside: dict[str, np.ndarray], module: str, participant: int = 0) -> str:
    """'settles at -0.190, outside the rewards' range [0, 1]: ...' for one participant's module, from
    `outside` (what `outside_reward_range` gives, computed once for every participant); '' where its value
    settles within the range (or is not a reward value)."""
    rest = outside.get(module)
    if rest is None or np.isnan(rest[participant]):
        return ""
    low, high = REWARD_RANGE
    looks_like = "a choice trace (perseveration)" if rest[participant] < low else "alternation (a negative choice trace)"
    return (
        f"settles at {rest[participant]:.3f}, outside the rewards' range [{low:g}, {high:g}]: forgetting towards "
        f"a value no reward takes, which is how {looks_like} can look"
    )


def describe_outside_range(equations: EquationSet, searched_again: bool = False) -> str | None:
    """A warning naming the participants whose reward values settle outside the rewards' range (None where
    none do), and what to try; `searched_again`: a second start (second_start_weight_decay) already ran."""
    outside = outside_reward_range(equations)
    rows = np.flatnonzero(participants_outside(outside, equations.n_participants))
    if not len(rows):
        return None
    where = "; ".join(
        f"{equations.participant_ids[row]} ("
        + ", ".join(f"{name} at {rest[row]:.2f}" for name, rest in outside.items() if not np.isnan(rest[row]))
        + ")"
        for row in rows
    )
    low, high = REWARD_RANGE
    return (
        f"Reward values settling outside the rewards' range [{low:g}, {high:g}] for {len(rows)} of "
        f"{equations.n_participants} participant(s): {where}. Forgetting below every reward makes the arm just "
        "chosen look better, as a choice trace (perseveration) does, and above every reward worse, as alternation "
        "does; read such an equation as possibly a choice trace in disguise, not as forgetting (docs/validation.md, "
        "section 0). "
        + (
            "The search from a second network (second_start_weight_decay) did not bring them within the range."
            if searched_again
            else "A second network trained without weight decay can propose the trace: second_start_weight_decay=0 "
            "(the default; in the workflow, distillation.second_start_weight_decay: 0), with term selection, searches "
            "their equations again from it."
        )
    )
