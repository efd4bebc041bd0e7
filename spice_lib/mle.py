"""Maximum-likelihood fits of AgentQ and its classic special cases: the baselines SPICE is compared with.

Each participant's free parameters are fitted by L-BFGS-B (scipy) on the NLL of its own next choices;
parameters not fitted keep the values given in `fixed` (else AgentQ's defaults, so `alpha_penalty` follows
`alpha_reward`, and forgetting and the choice trace are off).

The gradient is a forward difference, but all k + 1 evaluations it needs run as one batched replay: the
k perturbed parameter vectors are k more "participants" of one AgentQ playing copies of the same sessions.
A replay costs about the same for 1 or 7 copies (it loops over trials, vectorised over sessions), so this is
several times faster than scipy's own finite differences. (Fitting all participants jointly, by L-BFGS or
by a damped Newton method with exact torch gradients, was tried and dropped: the joint line searches
needed thousands of iterations, and Newton steps stalled at the saddle where beta_reward = 0.)
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from spice_lib.agents import AgentQ
from spice_lib.dataset import split_inputs
from spice_lib.evaluation import choice_log_likelihoods

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
ALL_FREE = ("alpha_reward", "alpha_penalty", "forget_rate", "beta_reward", "alpha_choice", "beta_choice")


@dataclass(frozen=True)
class ClassicModel:
    """A special case of AgentQ: which parameters are fitted (the rest keep AgentQ's defaults)."""

    name: str
    label: str
    free: tuple[str, ...]


# The models every data set is compared against (README, "Your own data").
CLASSIC_MODELS = (
    ClassicModel("rescorla_wagner", "Rescorla-Wagner", ("alpha_reward", "beta_reward")),
    ClassicModel("rescorla_wagner_forgetting", "Rescorla-Wagner + forgetting", ("alpha_reward", "forget_rate", "beta_reward")),
    ClassicModel("agent_q", "AgentQ (6 parameters)", ALL_FREE),
)


def fit_agent_q(
    xs,
    ys,
    free: tuple[str, ...] = ("alpha_reward", "forget_rate", "beta_reward", "alpha_choice", "beta_choice"),
    fixed: dict | None = None,
    participant_ids: list[str] | None = None,
) -> pd.DataFrame:
    """Fit AgentQ per participant; returns one row per participant (in index order): participant, every
    AgentQ parameter, `nll` (per trial, on that participant's own scored trials), `n_trials` and
    `converged` (False where the optimiser stopped early; the row still holds its best values).

    xs, ys: DatasetRNN tensors (participant index in the last column of xs).
    """
    unknown = set(free) - set(BOUNDS)
    if unknown:
        raise ValueError(f"cannot fit {sorted(unknown)}; free parameters must be among {sorted(BOUNDS)}")
    xs = xs.detach().cpu().numpy() if hasattr(xs, "detach") else np.asarray(xs)
    ys = ys.detach().cpu().numpy() if hasattr(ys, "detach") else np.asarray(ys)
    n_actions = ys.shape[-1]
    _, _, participant_index, _ = split_inputs(xs, n_actions)
    participants = np.unique(participant_index)
    ids = participant_ids or [str(p) for p in range(int(participants.max()) + 1)]
    rows = []
    for participant in participants:
        mine = participant_index == participant
        own = _OwnSessions(xs[mine], ys[mine], n_actions, dict(fixed or {}), tuple(free))
        if free:
            result = minimize(
                own.nll_and_gradient,
                [STARTS[name] for name in free],
                jac=True,
                method="L-BFGS-B",
                bounds=[BOUNDS[name] for name in free],
            )
            theta, converged = result.x, bool(result.success)
        else:  # nothing to fit: the likelihood of the fixed parameters
            theta, converged = np.zeros(0), True
        row = own.agent(theta[None]).parameter_table().iloc[0].to_dict()
        row.update(participant=ids[int(participant)], nll=own.nll(theta), n_trials=own.n_trials, converged=converged)
        rows.append(row)
    return pd.DataFrame(rows)


class _OwnSessions:
    """One participant's sessions, replayed for many parameter vectors at once (one virtual participant each)."""

    step = 1e-7  # forward-difference step; rates and betas are O(1)

    def __init__(self, xs, ys, n_actions: int, fixed: dict, free: tuple[str, ...]):
        self.n_sessions = len(xs)
        self.xs, self.ys, self.n_actions, self.fixed, self.free = xs.copy(), ys, n_actions, fixed, free
        self.n_trials = int(len(choice_log_likelihoods(np.full(ys.shape, 0.5), ys)))

    def agent(self, thetas: np.ndarray) -> AgentQ:
        """An AgentQ with one virtual participant per row of thetas (n, len(free))."""
        fixed = {name: np.full(len(thetas), value) for name, value in self.fixed.items()}
        ids = [str(i) for i in range(len(thetas))]
        return AgentQ(n_actions=self.n_actions, participant_ids=ids, **fixed, **dict(zip(self.free, thetas.T)))

    def nlls(self, thetas: np.ndarray) -> np.ndarray:
        """Per-trial NLL of the sessions under each row of thetas."""
        copies = np.concatenate([self.xs] * len(thetas))
        copies[..., -1] = np.repeat(np.arange(len(thetas)), self.n_sessions)[:, None]
        probabilities = self.agent(thetas).predict(copies).reshape(len(thetas), *self.ys.shape)
        return np.array([-choice_log_likelihoods(p, self.ys).mean() for p in probabilities])

    def nll(self, theta) -> float:
        return float(self.nlls(np.asarray(theta, dtype=np.float64)[None])[0])

    def nll_and_gradient(self, theta) -> tuple[float, np.ndarray]:
        theta = np.asarray(theta, dtype=np.float64)
        # At the upper bound step downwards instead, so every perturbed vector stays within the bounds.
        upper = np.array([BOUNDS[name][1] for name in self.free])
        steps = np.where(theta + self.step <= upper, self.step, -self.step)
        values = self.nlls(np.vstack([theta, theta + np.diag(steps)]))
        return float(values[0]), (values[1:] - values[0]) / steps


def fit_classic_models(xs, ys, participant_ids: list[str] | None = None, log=None) -> pd.DataFrame:
    """Every model of `CLASSIC_MODELS` fitted per participant: `fit_agent_q`'s rows with a `model` column
    and `n_parameters` (the model's free parameters per participant). log: called with a line per model."""
    tables = []
    for model in CLASSIC_MODELS:
        start = time.perf_counter()
        table = fit_agent_q(xs, ys, free=model.free, participant_ids=participant_ids)
        if log is not None:
            log(f"{model.label}: {len(table)} participants in {time.perf_counter() - start:.1f} s")
        table.insert(0, "model", model.name)
        table["n_parameters"] = len(model.free)
        tables.append(table)
    return pd.concat(tables, ignore_index=True)


def classic_agent(fits: pd.DataFrame, model: str, n_actions: int) -> AgentQ:
    """The participants of one fitted classic model (rows of `fit_classic_models`) as an AgentQ."""
    rows = fits[fits["model"] == model]
    if rows.empty:
        raise ValueError(f"no fits of model {model!r}; the table has {sorted(set(fits['model']))}")
    return AgentQ.from_parameter_table(rows.reset_index(drop=True), n_actions)
