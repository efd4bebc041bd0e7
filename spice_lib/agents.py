"""Agents that choose in bandit tasks: the steppable-agent interface and the synthetic participant `AgentQ`.

Every agent (the ground-truth `AgentQ`, the trained RNN, the distilled equations) is *batched*: it plays
many sessions at once, one row per session, so simulation and replay loop over trials only.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping

import numpy as np
import pandas as pd

from spice_lib.dataset import split_inputs


class Agent(ABC):
    """A participant model that can be stepped through sessions.

    Protocol: `new_sessions(participant_index)` starts one fresh session per entry; then, trial after trial,
    `choice_probabilities()` gives the probabilities of the next choice and `update(choice, reward)` feeds
    the outcome. `state` names the memory values (each (n_sessions, n_actions)) as in the tutorial.
    """

    n_actions: int

    @abstractmethod
    def new_sessions(self, participant_index) -> None:
        """Start len(participant_index) fresh sessions, one per participant index given."""

    @abstractmethod
    def choice_probabilities(self) -> np.ndarray:
        """Probabilities of the next choice, shape (n_sessions, n_actions)."""

    @abstractmethod
    def update(self, choice, reward) -> None:
        """Feed one trial's outcome.

        choice: int array (n_sessions,); reward: float array (n_sessions, n_actions) holding the reward of
        every arm that was shown and -1 (or NaN) for arms whose reward the participant did not see.
        """

    @property
    @abstractmethod
    def state(self) -> dict[str, np.ndarray]:
        """Memory values by name, each (n_sessions, n_actions)."""

    def predict(self, xs) -> np.ndarray:
        """Replay recorded sessions and return the probability of each next choice.

        xs: (n_sessions, n_trials, features) in the DatasetRNN layout. Returns (n_sessions, n_trials,
        n_actions): entry [s, t] is the probability of the choice made on trial t + 1, aligned with ys.
        """
        choices, rewards, participant_index, _ = split_inputs(np.asarray(xs), self.n_actions)
        self.new_sessions(participant_index)
        probabilities = np.empty(rewards.shape, dtype=np.float64)
        for trial in range(choices.shape[1]):
            # Padded trials carry choice -1; any arm will do, their predictions are masked out later.
            self.update(np.maximum(choices[:, trial], 0), rewards[:, trial])
            probabilities[:, trial] = self.choice_probabilities()
        return probabilities


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


AGENT_Q_PARAMETERS = (
    "alpha_reward",
    "alpha_penalty",
    "forget_rate",
    "beta_reward",
    "alpha_choice",
    "beta_choice",
    "alpha_counterfactual",
)
_RATES = ("alpha_reward", "alpha_penalty", "forget_rate", "alpha_choice", "alpha_counterfactual")


class AgentQ(Agent):
    """Q-learning participant with asymmetric learning rates, forgetting and a choice trace.

    With V_r the reward values (0.5 at session start) and V_c the choice values (0 at session start):
      P(choice) = softmax(beta_reward V_r + beta_choice V_c)
      chosen arm c, reward r:  V_r[c] += alpha (r - V_r[c]),  alpha = alpha_reward if r > 0.5 else alpha_penalty
      other arms u:            V_r[u] += forget_rate (0.5 - V_r[u]), then, if r_u is shown,
                               V_r[u] += alpha_counterfactual (r_u - V_r[u])
      choice trace:            V_c[c] += alpha_choice (1 - V_c[c]);  V_c[u] += alpha_choice (0 - V_c[u])

    Each parameter is a scalar or one value per participant (a population); scalars are shared by all
    participants. `alpha_penalty=None` means alpha_penalty = alpha_reward.
    """

    initial_value_reward = 0.5
    initial_value_choice = 0.0

    def __init__(
        self,
        n_actions: int = 2,
        alpha_reward=0.2,
        alpha_penalty=None,
        forget_rate=0.0,
        beta_reward=3.0,
        alpha_choice=1.0,
        beta_choice=0.0,
        alpha_counterfactual=0.0,
        participant_ids=None,
    ):
        if int(n_actions) != n_actions or n_actions < 2:
            raise ValueError(f"n_actions must be an integer >= 2, got {n_actions!r}")
        self.n_actions = int(n_actions)
        if alpha_penalty is None:
            alpha_penalty = alpha_reward
        given = dict(
            alpha_reward=alpha_reward,
            alpha_penalty=alpha_penalty,
            forget_rate=forget_rate,
            beta_reward=beta_reward,
            alpha_choice=alpha_choice,
            beta_choice=beta_choice,
            alpha_counterfactual=alpha_counterfactual,
        )
        arrays = {name: np.atleast_1d(np.asarray(value, dtype=np.float64)) for name, value in given.items()}
        sizes = {len(a) for a in arrays.values() if a.ndim == 1} - {1}
        if participant_ids is not None:
            sizes.add(len(participant_ids))
        if len(sizes) > 1 or any(a.ndim != 1 for a in arrays.values()):
            raise ValueError(
                "AgentQ parameters must be scalars or 1-D with one value per participant; got lengths "
                + ", ".join(f"{name}={a.size}" for name, a in arrays.items())
                + ("" if participant_ids is None else f" and {len(participant_ids)} participant_ids")
            )
        n_participants = sizes.pop() if sizes else 1
        self.parameters = {name: np.broadcast_to(a, (n_participants,)).copy() for name, a in arrays.items()}
        _validate_parameters(self.parameters)
        if participant_ids is None:
            participant_ids = [str(i) for i in range(n_participants)]
        self.participant_ids = [str(p) for p in participant_ids]
        self._session_parameters: dict[str, np.ndarray] = {}
        self._state: dict[str, np.ndarray] = {}

    @property
    def n_participants(self) -> int:
        return len(self.participant_ids)

    def __getattr__(self, name):
        # Tutorial-style access (agent.alpha_reward): a float for one participant, else one per participant.
        parameters = self.__dict__.get("parameters", {})
        if name in parameters:
            values = parameters[name]
            return float(values[0]) if len(values) == 1 else values.copy()
        raise AttributeError(name)

    def parameter_table(self) -> pd.DataFrame:
        """One row per participant: its id and every generating parameter."""
        table = pd.DataFrame({"participant": self.participant_ids})
        for name in AGENT_Q_PARAMETERS:
            table[name] = self.parameters[name]
        return table

    @classmethod
    def from_parameter_table(cls, table: pd.DataFrame, n_actions: int) -> AgentQ:
        """The participants of a `parameter_table` (e.g. a truth table read back from disk)."""
        parameters = {name: table[name].to_numpy(float) for name in AGENT_Q_PARAMETERS}
        return cls(n_actions=n_actions, participant_ids=list(table["participant"]), **parameters)

    def active_parameter_count(self) -> int:
        """Parameters over all participants, mechanisms that are switched off not counted (for the true
        model's BIC): forgetting, the choice trace and counterfactual learning count only when on,
        alpha_penalty only when it differs from alpha_reward, alpha_choice only when the trace reaches the
        choice (beta_choice != 0)."""
        p = self.parameters
        active = 2 + (p["alpha_penalty"] != p["alpha_reward"]).astype(int)
        active += (p["forget_rate"] != 0).astype(int) + (p["alpha_counterfactual"] != 0).astype(int)
        active += 2 * (p["beta_choice"] != 0).astype(int)
        return int(active.sum())

    def describe(self) -> dict:
        """Name and parameters, as stored in a trials file's metadata."""
        return {
            "agent": "AgentQ",
            "n_actions": self.n_actions,
            **{name: self.parameters[name].tolist() for name in AGENT_Q_PARAMETERS},
        }

    # -- the steppable-agent protocol ------------------------------------------------------------------

    def new_sessions(self, participant_index) -> None:
        index = np.atleast_1d(np.asarray(participant_index, dtype=np.int64))
        if self.n_participants == 1:
            index = np.zeros_like(index)  # one agent stands for every participant
        elif index.min(initial=0) < 0 or index.max(initial=0) >= self.n_participants:
            raise IndexError(f"participant index out of range for {self.n_participants} participants")
        self._session_parameters = {name: values[index] for name, values in self.parameters.items()}
        shape = (len(index), self.n_actions)
        self._state = {
            "x_value_reward": np.full(shape, self.initial_value_reward),
            "x_value_choice": np.full(shape, self.initial_value_choice),
        }

    @property
    def state(self) -> dict[str, np.ndarray]:
        return {name: value.copy() for name, value in self._state.items()}

    def choice_probabilities(self) -> np.ndarray:
        p = self._session_parameters
        logits = (
            p["beta_reward"][:, None] * self._state["x_value_reward"]
            + p["beta_choice"][:, None] * self._state["x_value_choice"]
        )
        return softmax(logits)

    def update(self, choice, reward) -> None:
        p = self._session_parameters
        value_reward, value_choice = self._state["x_value_reward"], self._state["x_value_choice"]
        choice = np.asarray(choice, dtype=np.int64)
        reward = np.asarray(reward, dtype=np.float64)
        chosen = choice[:, None] == np.arange(self.n_actions)
        rows = np.arange(len(choice))
        chosen_reward = reward[rows, choice]
        alpha = np.where(chosen_reward > 0.5, p["alpha_reward"], p["alpha_penalty"])

        updated_chosen = value_reward + alpha[:, None] * (chosen_reward[:, None] - value_reward)
        forgotten = value_reward + p["forget_rate"][:, None] * (self.initial_value_reward - value_reward)
        shown = reward >= 0  # False for -1 and NaN alike
        counterfactual = np.where(
            shown, forgotten + p["alpha_counterfactual"][:, None] * (np.nan_to_num(reward) - forgotten), forgotten
        )
        self._state["x_value_reward"] = np.where(chosen, updated_chosen, counterfactual)
        self._state["x_value_choice"] = value_choice + p["alpha_choice"][:, None] * (chosen - value_choice)


def _validate_parameters(parameters: Mapping[str, np.ndarray]) -> None:
    for name, values in parameters.items():
        bad = ~np.isfinite(values)
        if name in _RATES:
            bad |= (values < 0) | (values > 1)
            rule = "in [0, 1]"
        elif name == "beta_reward":
            bad |= values < 0
            rule = ">= 0"
        else:
            rule = "finite"
        if bad.any():
            where = "" if len(values) == 1 else f" (participant {int(np.argmax(bad))})"
            raise ValueError(f"AgentQ parameter {name} must be {rule}, got {values[bad][0]!r}{where}")


def sample_population(
    n_participants: int,
    ranges: Mapping[str, float | tuple[float, float]],
    seed: int,
    n_actions: int = 2,
) -> AgentQ:
    """Draw `n_participants` AgentQ parameter sets uniformly from stated ranges.

    ranges: parameter name -> (low, high) for a uniform draw, or a single value shared by everyone;
    parameters not named keep AgentQ's defaults. Participants get ids "0", "1", ...
    The same seed always gives the same population.
    """
    unknown = set(ranges) - set(AGENT_Q_PARAMETERS)
    if unknown:
        raise ValueError(f"unknown AgentQ parameter(s) {sorted(unknown)}; known: {list(AGENT_Q_PARAMETERS)}")
    if n_participants < 1:
        raise ValueError(f"n_participants must be >= 1, got {n_participants}")
    rng = np.random.default_rng(seed)
    drawn = {}
    # A fixed parameter order keeps each parameter's draws independent of which others are ranged.
    for name in AGENT_Q_PARAMETERS:
        if name not in ranges:
            continue
        spec = ranges[name]
        if np.ndim(spec) == 0:
            drawn[name] = float(spec)
        else:
            low, high = (float(v) for v in spec)
            if high < low:
                raise ValueError(f"range of {name} has high < low: ({low}, {high})")
            drawn[name] = rng.uniform(low, high, size=n_participants)
    return AgentQ(n_actions=n_actions, participant_ids=[str(i) for i in range(n_participants)], **drawn)
