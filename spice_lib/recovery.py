"""Parameter recovery: reading the generating AgentQ parameters back off distilled equations.

The mapping is written for `Weinhardt2024RNN`, whose modules mirror AgentQ's mechanisms:
- learning rate: alpha_reward is the learning-rate equation at reward 1, alpha_penalty at reward 0
  (evaluated at reward value 0.5 and a previous learning rate of 0; both vanish when the equation is a
  constant, as it is for AgentQ);
- not-chosen reward value: AgentQ's forgetting V <- V + f (0.5 - V) = 0.5 f + (1 - f) V, so
  forget_rate = 1 - (self coefficient);
- choice value: AgentQ's V_c moves to 1 (chosen) or 0 (unchosen) at rate alpha_choice, so each choice
  equation's self coefficient is 1 - alpha_choice; with two arms only the difference between arms reaches
  the choice, so beta_choice is identified as beta(x_value_choice) x (chosen - unchosen value after one trial
  from the initial value 0);
- beta_reward is beta(x_value_reward): the chosen-arm update is hard-coded on the reward scale.
"""

from __future__ import annotations

import pandas as pd

from spice_lib.equations import EquationSet
from spice_lib.models import WEINHARDT_2024_MODULES

WEINHARDT_2024_RECOVERABLE = ("alpha_reward", "alpha_penalty", "forget_rate", "beta_reward", "alpha_choice", "beta_choice")


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
    choice_chosen = equations.modules["x_value_choice_chosen"]
    choice_not_chosen = equations.modules["x_value_choice_not_chosen"]
    rows = []
    for index, participant in enumerate(equations.participant_ids):
        at_value = {"c_value_reward": 0.5}
        self_chosen = choice_chosen.coefficient("x_value_choice_chosen[k]", index)
        self_not_chosen = choice_not_chosen.coefficient("x_value_choice_not_chosen[k]", index)
        difference = choice_chosen.value_at(index) - choice_not_chosen.value_at(index)
        rows.append(
            {
                "participant": participant,
                "alpha_reward": learning_rate.value_at(index, c_reward=1.0, **at_value),
                "alpha_penalty": learning_rate.value_at(index, c_reward=0.0, **at_value),
                "forget_rate": 1.0 - not_chosen.coefficient("x_value_reward_not_chosen[k]", index),
                "beta_reward": float(equations.betas["x_value_reward"][index]),
                "alpha_choice": 1.0 - 0.5 * (self_chosen + self_not_chosen),
                "beta_choice": float(equations.betas["x_value_choice"][index]) * difference,
            }
        )
    return pd.DataFrame(rows)


RECOVERY_COLUMNS = {"participant": "string", "parameter": "string", "true": float, "recovered": float}


def recovery_table(equations: EquationSet, truth: pd.DataFrame) -> pd.DataFrame:
    """Long table: participant, parameter, true and recovered value, for every participant of `truth` (a
    parameter table, one row per participant). Empty (same columns) for equations of a model without a
    recovery mapping."""
    if not has_recovery_mapping(equations):
        return pd.DataFrame({name: pd.Series(dtype=kind) for name, kind in RECOVERY_COLUMNS.items()})
    recovered = recover_agent_q_parameters(equations).set_index("participant")
    true = truth.set_index(truth["participant"].astype(str))
    rows = [
        {"participant": participant, "parameter": name, "true": float(true.loc[participant, name]),
         "recovered": float(recovered.loc[participant, name])}
        for participant in recovered.index
        for name in recovered.columns
    ]  # fmt: skip
    return pd.DataFrame(rows).astype(RECOVERY_COLUMNS)
