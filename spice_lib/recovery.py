"""Parameter recovery: reading the generating AgentQ parameters back off distilled equations, and the
exact equations of an AgentQ (the inverse: what perfect discovery would print).

The mapping is written for `Weinhardt2024RNN`, whose modules mirror AgentQ's mechanisms (AgentQ's
docstring has its equations):
- learning rate: alpha_reward is the learning-rate equation at reward 1, alpha_penalty at reward 0
  (evaluated at reward value 0.5 and a previous learning rate of 0; both vanish when the equation is a
  constant, as it is for AgentQ);
- not-chosen reward value: AgentQ's forgetting V <- V + f (0.5 - V) = 0.5 f + (1 - f) V, so
  forget_rate = 1 - (self coefficient);
- choice value: AgentQ's V_c moves to 1 (chosen) or 0 (unchosen) at rate alpha_choice, so each choice
  equation's self coefficient is 1 - alpha_choice (alpha_choice: 1 - their mean). The network's choice
  values are AgentQ's on a scale k of its own (V_eq = k V_c + b): only beta x value reaches the choice, so
  beta_choice = beta(x_value_choice) x k. The scale is measured as AgentQ's trace spans 0 to 1: from the
  level the chosen arm's trace settles at when the arm is chosen trial after trial, down to the level the
  unchosen arm's trace then settles at when the arm is never chosen again (`resting_values.trace_levels`). For AgentQ's own
  equations this equals the difference after one trial divided by alpha_choice; but a chosen trace without
  memory (set to the same level on every choice, as term selection often writes it) reaches its level in
  one trial, and a one-trial reading would divide that level by a rate the trace does not have. When a
  trial leaves both traces where they started, the equations have no choice trace (beta_choice 0,
  alpha_choice not identified). A trace whose own value grows (slope above 1, as in C[k+1] = 1.8 C[k]
  kept in [0, 1]: an arm chosen once keeps its trace at 1 for good) moves away from its level, not towards
  it at a rate: AgentQ has no such trace, and neither number is read (both NaN);
- beta_reward is beta(x_value_reward): the chosen-arm update is hard-coded on the reward scale.
A self coefficient is read as the equation's slope over the middle of the range its value moves in, with
its bounds applied (`_slope`; for a choice trace, the middle of its span, AgentQ's [0.25, 0.75] on AgentQ's
scale), which is the coefficient wherever the bounds do not act there.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from spice_lib.agents import AgentQ
from spice_lib.equations import EquationSet, ModuleEquation
from spice_lib.mle import CLASSIC_MODELS
from spice_lib.models import (
    WEINHARDT_2024_CHOICE_TRACE,
    WEINHARDT_2024_CONFIG,
    WEINHARDT_2024_MODULES,
    Weinhardt2024RNN,
)
from spice_lib.resting_values import trace_levels

# The oracle: the true model family, the full AgentQ, fitted per participant (a classic model of the comparison).
ORACLE = next(model for model in CLASSIC_MODELS if model.name == "agent_q")
# Below this, a choice trace barely moves and its strength (beta_choice) is not identified: NaN.
MIN_ALPHA_CHOICE = 1e-3
# Below this, the chosen and the unchosen trace do not differ after a trial: the equations have no choice trace.
NO_TRACE = 1e-9
# A trace whose slope (`_slope`) is above 1 by more than this grows away from its level: not AgentQ's trace.
GROWING_SLOPE = 1e-6

# The parameters the equations of Weinhardt2024RNN map back to: all six of AgentQ's, as the oracle fits.
WEINHARDT_2024_RECOVERABLE = ORACLE.free


def has_recovery_mapping(equations: EquationSet) -> bool:
    """Whether the equations come from a model this module can read AgentQ parameters off."""
    return all(name in equations.modules for name in WEINHARDT_2024_MODULES) and {
        "x_value_reward",
        "x_value_choice",
    } <= set(equations.betas)


def recover_agent_q_parameters(equations: EquationSet) -> pd.DataFrame:
    """One row per participant with AgentQ parameters read off Weinhardt2024RNN equations."""
    if not has_recovery_mapping(equations):
        raise ValueError(
            f"no recovery mapping for equations of modules {list(equations.modules)}; "
            f"recovery reads Weinhardt2024RNN's modules {list(WEINHARDT_2024_MODULES)}"
        )
    learning_rate = equations.modules["x_learning_rate_reward"]
    not_chosen = equations.modules["x_value_reward_not_chosen"]
    trace_beta, chosen_name, not_chosen_name = WEINHARDT_2024_CHOICE_TRACE
    choice_chosen, choice_not_chosen = equations.modules[chosen_name], equations.modules[not_chosen_name]
    levels = trace_levels(choice_chosen, choice_not_chosen)
    trace_scale = levels[0] - levels[1]
    # Where the trace moves: a scaled trace (set to 0.24 when chosen, under a beta four times AgentQ's) is
    # read between its own levels, not over AgentQ's [0, 1], most of which it never visits.
    span_low, span_high = np.fmin(*levels), np.fmax(*levels)
    has_span = span_high - span_low > NO_TRACE
    rows = []
    for index, participant in enumerate(equations.participant_ids):
        at_value = {"c_value_reward": 0.5}
        span = (span_low[index], span_high[index]) if has_span[index] else (0.0, 1.0)
        self_chosen = _slope(choice_chosen, index, span)
        self_not_chosen = _slope(choice_not_chosen, index, span)
        difference = choice_chosen.value_at(index) - choice_not_chosen.value_at(index)
        # Equations whose traces a trial leaves where they started have no choice trace: no perseveration
        # (beta_choice 0) and no rate to read (reading one would average a reset with "stays": 0.5).
        no_trace = abs(difference) < NO_TRACE
        grows = max(self_chosen, self_not_chosen) > 1.0 + GROWING_SLOPE
        alpha_choice = math.nan if no_trace or grows else 1.0 - 0.5 * (self_chosen + self_not_chosen)
        if no_trace:
            beta_choice = 0.0
        elif not grows and alpha_choice > MIN_ALPHA_CHOICE:
            beta_choice = float(equations.betas[trace_beta][index]) * trace_scale[index]
        else:
            beta_choice = math.nan
        rows.append(
            {
                "participant": participant,
                "alpha_reward": learning_rate.value_at(index, c_reward=1.0, **at_value),
                "alpha_penalty": learning_rate.value_at(index, c_reward=0.0, **at_value),
                "forget_rate": 1.0 - _slope(not_chosen, index),
                "beta_reward": float(equations.betas["x_value_reward"][index]),
                "alpha_choice": alpha_choice,
                "beta_choice": beta_choice,
            }
        )
    return pd.DataFrame(rows)


RECOVERY_COLUMNS = {"participant": "string", "parameter": "string", "method": "string", "true": float, "recovered": float}
# How a parameter was recovered: read off SPICE's equations, or fitted by maximum likelihood of the true
# model family (AgentQ) to the same sessions (the oracle: how well these data allow recovery at all).
RECOVERY_METHODS = ("spice", "mle")


def recovery_table(equations: EquationSet, truth: pd.DataFrame) -> pd.DataFrame:
    """Long table: participant, parameter, method ('spice'), true and recovered value, for every participant
    of `truth` (a parameter table, one row per participant). Empty (same columns) for equations of a model
    without a recovery mapping."""
    if not has_recovery_mapping(equations):
        return pd.DataFrame({name: pd.Series(dtype=kind) for name, kind in RECOVERY_COLUMNS.items()})
    return _long(recover_agent_q_parameters(equations), truth, "spice")


def oracle_recovery_table(classic_fits: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    """The same table for the oracle ('mle'): the full AgentQ's maximum-likelihood fit per participant, read
    from `classic_fits` (rows of `mle.fit_classic_models` on the same training sessions)."""
    fitted = classic_fits[classic_fits["model"] == ORACLE.name]
    return _long(fitted[["participant", *WEINHARDT_2024_RECOVERABLE]], truth, "mle")


def recovery_with_oracle(equations: EquationSet, truth: pd.DataFrame, classic_fits: pd.DataFrame) -> pd.DataFrame:
    """`recovery_table` and, where the equations map to AgentQ (so there is something to compare), the
    oracle's table from `classic_fits`, one below the other."""
    tables = [recovery_table(equations, truth)]
    if has_recovery_mapping(equations):
        tables.append(oracle_recovery_table(classic_fits, truth))
    return pd.concat(tables, ignore_index=True)


def _long(recovered: pd.DataFrame, truth: pd.DataFrame, method: str) -> pd.DataFrame:
    recovered = recovered.set_index(recovered["participant"].astype(str)).drop(columns="participant")
    true = truth.set_index(truth["participant"].astype(str))
    rows = [
        {"participant": participant, "parameter": name, "method": method, "true": float(true.loc[participant, name]),
         "recovered": float(recovered.loc[participant, name])}
        for participant in recovered.index
        for name in recovered.columns
    ]  # fmt: skip
    return pd.DataFrame(rows).astype(RECOVERY_COLUMNS)


def recovery_summary(recovery: pd.DataFrame) -> pd.DataFrame:
    """Per parameter set (when the table has that column), parameter and method: n, Pearson r between true
    and recovered values (NaN where the true value does not vary), bias (mean recovered - true) and RMSE.
    Recovered values that are NaN (not identified) are left out and counted in `n_unidentified`."""
    keys = [key for key in ("parameter_set", "parameter", "method") if key in recovery]
    rows = []
    for labels, group in recovery.groupby(keys, sort=False):
        known = group.dropna(subset=["recovered"])
        error = known["recovered"] - known["true"]
        varies = known["true"].nunique() > 1 and known["recovered"].nunique() > 1
        rows.append(
            dict(zip(keys, labels)) | {
                "n": len(known), "n_unidentified": len(group) - len(known),
                "r": float(np.corrcoef(known["true"], known["recovered"])[0, 1]) if varies else math.nan,
                "bias": float(error.mean()) if len(known) else math.nan,
                "rmse": float(np.sqrt((error**2).mean())) if len(known) else math.nan,
            }
        )  # fmt: skip
    return pd.DataFrame(rows)


def agent_q_equations(agent: AgentQ) -> EquationSet:
    """The Weinhardt2024RNN equations that compute exactly what `agent` computes, one row per participant,
    in the form distillation writes (degree-1 library, own value centred at its initial value, the
    not-chosen arm's equations as changes).

    The learning rate is alpha_penalty + (alpha_reward - alpha_penalty) r, exact for rewards 0 and 1 (AgentQ
    switches rates at r = 0.5). Counterfactual learning has no module here and must be off.
    """
    p = agent.parameters
    if np.any(p["alpha_counterfactual"] != 0):
        raise ValueError("Weinhardt2024RNN has no module for counterfactual learning: alpha_counterfactual must be 0")
    n = agent.n_participants
    zeros, ones = np.zeros(n), np.ones(n)
    initial = Weinhardt2024RNN.init_values
    library = WEINHARDT_2024_CONFIG.library_setup
    rate = "x_learning_rate_reward"
    # Degree-1 powers: the constant, then each variable alone (own value first).
    powers = {name: np.vstack([np.zeros(1 + len(library[name])), np.eye(1 + len(library[name]))]) for name in WEINHARDT_2024_MODULES}
    coefficients = {
        # [1, lr[k], c_reward, c_value_reward]
        rate: np.stack([p["alpha_penalty"], zeros, p["alpha_reward"] - p["alpha_penalty"], zeros], 1),
        # centred at 0.5: V' - 0.5 = (1 - f)(V - 0.5)
        "x_value_reward_not_chosen": np.stack([zeros, 1 - p["forget_rate"]], 1),
        "x_value_choice_chosen": np.stack([p["alpha_choice"], 1 - p["alpha_choice"]], 1),
        "x_value_choice_not_chosen": np.stack([zeros, 1 - p["alpha_choice"]], 1),
    }
    states = {rate: rate, "x_value_reward_not_chosen": "x_value_reward"}
    states |= {name: "x_value_choice" for name in ("x_value_choice_chosen", "x_value_choice_not_chosen")}
    modules = {}
    for name in WEINHARDT_2024_MODULES:
        incremental = name in WEINHARDT_2024_CONFIG.incremental_modules
        bounds = None if name == "x_value_reward_not_chosen" else (0.0, 1.0)
        form = ModuleEquation(
            [name, *library[name]], powers[name], coefficients[name], initial[states[name]], bounds, incremental, bounds is not None
        )
        modules[name] = form.with_coefficients(coefficients[name] - form.carried)  # as fitted: the change, if incremental
    betas = {"x_value_reward": p["beta_reward"] * ones, "x_value_choice": p["beta_choice"] * ones}
    return EquationSet(modules, betas, list(agent.participant_ids))


def _slope(equation: ModuleEquation, participant: int, span: tuple[float, float] = (0.0, 1.0)) -> float:
    """How far the equation's next value moves per unit of its own value over the middle of `span` (the
    range the value moves in; AgentQ's: [0, 1], so [0.25, 0.75]), its bounds applied: the self coefficient
    of a linear equation whose bounds do not act there, and 0 for a step that the bound turns into a reset
    (x[k+1] = x[k] - 1.3, kept in [0, 1], is 0 from any value, as a trace with alpha_choice = 1 is; read as a
    coefficient, its carried 1 would say no decay at all). Not the ends of the span: a fitted trace can reach
    its bound just below 1 (0.306 + 0.732 x), and the memory is what acts everywhere else."""
    own = equation.variables[0]
    low, high = span[0] + 0.25 * (span[1] - span[0]), span[0] + 0.75 * (span[1] - span[0])
    rise = equation.value_at(participant, **{own: high}) - equation.value_at(participant, **{own: low})
    return rise / (high - low)


def generating_equations(equations: EquationSet, truth: pd.DataFrame, n_actions: int) -> EquationSet | None:
    """The exact equations (`agent_q_equations`) of the AgentQ participants of `truth` (a parameter table, one
    row per participant) in the order of `equations`' participants, to set beside them; None where they cannot
    be written in the same form: `equations` of a model without a recovery mapping, or a truth with
    counterfactual learning (no module for it)."""
    counterfactual = "alpha_counterfactual" in truth and (truth["alpha_counterfactual"] != 0).any()
    if not has_recovery_mapping(equations) or counterfactual:
        return None
    by_id = truth.set_index(truth["participant"].astype(str))
    ordered = by_id.loc[list(equations.participant_ids)].reset_index(drop=True)
    return agent_q_equations(AgentQ.from_parameter_table(ordered, n_actions))


TERM_COLUMNS = {
    "participant": "string", "module": "string", "term": "string", "in_truth": bool, "found": bool,
    "inclusion": float, "true_coefficient": float, "coefficient": float,
}  # fmt: skip


def term_recovery_table(equations: EquationSet, truth: pd.DataFrame, n_actions: int) -> pd.DataFrame:
    """Structure recovery: for every participant, module and term of Weinhardt2024RNN equations, whether
    the generating AgentQ's exact equations (`agent_q_equations`) have the term (in_truth), whether the
    discovered equation has it (found), its inclusion probability (NaN without resamples) and both
    coefficients as fitted (centred form, as changes for incremental modules: where terms are switched). Terms are compared in that form
    because term selection decides there; the choice values' own scale (see the module docstring) changes
    the numbers of a choice equation, not which terms it has. A choice trace that never reaches the choice
    (beta_choice = 0) has no identifiable terms: its modules are left out for that participant. Empty for
    equations of a model without a recovery mapping."""
    exact = generating_equations(equations, truth, n_actions)
    if exact is None:
        return pd.DataFrame({name: pd.Series(dtype=kind) for name, kind in TERM_COLUMNS.items()})
    rows = []
    for name in WEINHARDT_2024_MODULES:
        found, true = equations.modules[name], exact.modules[name]
        # by name: a richer library (degree 2) has terms the exact degree-1 equations lack (all absent)
        true_coefficients = pd.DataFrame(true.coefficients, columns=true.term_names).reindex(columns=found.term_names, fill_value=0.0)
        inclusion = None if equations.inclusion is None else equations.inclusion.inclusion[name]
        for index, participant in enumerate(equations.participant_ids):
            if name.startswith("x_value_choice") and exact.betas["x_value_choice"][index] == 0:
                continue
            for j, term in enumerate(found.term_names):
                true_coefficient = float(true_coefficients.iat[index, j])
                rows.append(
                    {"participant": participant, "module": name, "term": term,
                     "in_truth": true_coefficient != 0, "found": bool(found.coefficients[index, j] != 0),
                     "inclusion": math.nan if inclusion is None else float(inclusion[index, j]),
                     "true_coefficient": true_coefficient, "coefficient": float(found.coefficients[index, j])}
                )  # fmt: skip
    return pd.DataFrame(rows).astype(TERM_COLUMNS)


def term_recovery_summary(terms: pd.DataFrame) -> pd.DataFrame:
    """Per parameter set (when the table has that column) and whether the truth has the term: how many
    (participant, term) pairs, the share found, and the mean inclusion probability (NaN without
    resamples); the calibration of item "which terms are real": terms of the generating model should be
    found and kept by nearly every resample, absent terms by nearly none. Then precision and recall of the
    found terms against the truth."""
    keys = [key for key in ("parameter_set",) if key in terms]
    rows = []
    for labels, group in terms.groupby(keys, sort=False) if keys else [((), terms)]:
        labels = labels if isinstance(labels, tuple) else (labels,)
        found_true = (group["found"] & group["in_truth"]).sum()
        precision = found_true / group["found"].sum() if group["found"].any() else math.nan
        recall = found_true / group["in_truth"].sum() if group["in_truth"].any() else math.nan
        for in_truth, part in group.groupby("in_truth", sort=True):
            rows.append(
                dict(zip(keys, labels)) | {
                    "in_truth": bool(in_truth), "n": len(part), "share_found": float(part["found"].mean()),
                    "mean_inclusion": float(part["inclusion"].mean()) if part["inclusion"].notna().any() else math.nan,
                    "precision": float(precision), "recall": float(recall),
                }
            )  # fmt: skip
    return pd.DataFrame(rows)
