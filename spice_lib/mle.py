"""Maximum-likelihood fit of AgentQ: the classical baseline SPICE is compared with.

Each participant's free parameters are fitted by L-BFGS-B (scipy) on the NLL of its own next choices;
parameters not fitted keep the values given in `fixed` (else AgentQ's defaults).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from spice_lib.agents import AgentQ
from spice_lib.dataset import split_inputs
from spice_lib.evaluation import choice_nll

BOUNDS = {
    "alpha_reward": (0.0, 1.0),
    "alpha_penalty": (0.0, 1.0),
    "forget_rate": (0.0, 1.0),
    "alpha_choice": (0.0, 1.0),
    "alpha_counterfactual": (0.0, 1.0),
    "beta_reward": (0.0, 30.0),
    "beta_choice": (-10.0, 10.0),
}
STARTS = {
    "alpha_reward": 0.5,
    "alpha_penalty": 0.5,
    "forget_rate": 0.3,
    "alpha_choice": 0.5,
    "alpha_counterfactual": 0.3,
    "beta_reward": 2.0,
    "beta_choice": 0.0,
}


def fit_agent_q(
    xs,
    ys,
    free: tuple[str, ...] = ("alpha_reward", "forget_rate", "beta_reward", "alpha_choice", "beta_choice"),
    fixed: dict | None = None,
    participant_ids: list[str] | None = None,
) -> pd.DataFrame:
    """Fit AgentQ per participant; returns one row per participant: participant, every AgentQ parameter and
    `nll` (per trial, on that participant's own trials).

    xs, ys: DatasetRNN tensors (participant index in the last column of xs).
    """
    unknown = set(free) - set(BOUNDS)
    if unknown:
        raise ValueError(f"cannot fit {sorted(unknown)}; free parameters must be among {sorted(BOUNDS)}")
    xs = np.asarray(xs)
    ys = np.asarray(ys)
    n_actions = ys.shape[-1]
    _, _, participant_index, _ = split_inputs(xs, n_actions)
    participants = np.unique(participant_index)
    ids = participant_ids or [str(p) for p in range(int(participants.max()) + 1)]
    rows = []
    for participant in participants:
        mine = participant_index == participant
        own_xs, own_ys = xs[mine].copy(), ys[mine]
        own_xs[..., -1] = 0  # a one-participant agent

        def nll(theta, own_xs=own_xs, own_ys=own_ys):
            agent = AgentQ(n_actions=n_actions, **(fixed or {}), **dict(zip(free, theta)))
            return choice_nll(agent.predict(own_xs), own_ys)

        if free:
            result = minimize(
                nll, [STARTS[name] for name in free], method="L-BFGS-B", bounds=[BOUNDS[name] for name in free]
            )
            theta, value = result.x, float(result.fun)
        else:  # nothing to fit: the likelihood of the fixed parameters
            theta, value = [], nll([])
        agent = AgentQ(n_actions=n_actions, **(fixed or {}), **dict(zip(free, theta)))
        row = agent.parameter_table().iloc[0].to_dict()
        row.update(participant=ids[int(participant)], nll=value)
        rows.append(row)
    return pd.DataFrame(rows)
