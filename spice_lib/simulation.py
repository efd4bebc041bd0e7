"""Let an agent play a task: simulated sessions and the tutorial's `create_dataset`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from spice_lib.agents import Agent
from spice_lib.dataset import NOT_SHOWN, DatasetRNN
from spice_lib.tasks import BanditTask


@dataclass
class SimulatedSessions:
    """Everything that happened in simulated sessions, one row per session.

    participant_index (n_sessions,); choices (n_sessions, n_trials); rewards, reward_probabilities and
    choice_probabilities (n_sessions, n_trials, n_actions), rewards -1 where not shown; values: the agent's
    memory state by name, each (n_sessions, n_trials, n_actions), as it was *before* the trial's choice.
    """

    participant_index: np.ndarray
    choices: np.ndarray
    rewards: np.ndarray
    reward_probabilities: np.ndarray
    choice_probabilities: np.ndarray
    values: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.choices)

    def session(self, index: int) -> dict[str, np.ndarray]:
        """One session's arrays by name (values flattened in as their own entries)."""
        fields = {
            "choices": self.choices[index],
            "rewards": self.rewards[index],
            "reward_probabilities": self.reward_probabilities[index],
            "choice_probabilities": self.choice_probabilities[index],
        }
        return fields | {name: values[index] for name, values in self.values.items()}


def simulate(
    agent: Agent,
    task: BanditTask,
    n_trials: int,
    participant_index,
    rng: np.random.Generator,
) -> SimulatedSessions:
    """Play one session per entry of `participant_index`, all at once (the loop runs over trials only)."""
    if agent.n_actions != task.n_actions:
        raise ValueError(f"agent has {agent.n_actions} actions but the task has {task.n_actions}")
    participant_index = np.asarray(participant_index, dtype=np.int64)
    n_sessions = len(participant_index)
    schedule = task.sample(n_sessions, n_trials, rng)
    uniforms = rng.random((n_sessions, n_trials))
    agent.new_sessions(participant_index)

    shape = (n_sessions, n_trials, task.n_actions)
    choices = np.empty((n_sessions, n_trials), dtype=np.int64)
    shown = np.full(shape, NOT_SHOWN, dtype=np.float32)
    choice_probabilities = np.empty(shape)
    values = {name: np.empty(shape) for name in agent.state}
    rows = np.arange(n_sessions)
    for trial in range(n_trials):
        for name, value in agent.state.items():
            values[name][:, trial] = value
        probabilities = agent.choice_probabilities()
        choice_probabilities[:, trial] = probabilities
        # Inverse-CDF draw: the first arm whose cumulative probability exceeds the uniform.
        cumulative = np.cumsum(probabilities, axis=1)
        choice = np.minimum((cumulative < uniforms[:, trial, None]).sum(1), task.n_actions - 1)
        choices[:, trial] = choice
        if task.counterfactual:
            shown[:, trial] = schedule.rewards[:, trial]
        else:
            shown[rows, trial, choice] = schedule.rewards[rows, trial, choice]
        agent.update(choice, shown[:, trial])
    return SimulatedSessions(participant_index, choices, shown, schedule.probabilities, choice_probabilities, values)


def resolve_seed(seed: int | None) -> int:
    """The seed to use: `seed` itself, or one drawn from numpy's global generator (so np.random.seed works)."""
    return int(np.random.randint(0, 2**31 - 1)) if seed is None else int(seed)


def create_dataset(
    agent: Agent,
    environment: BanditTask,
    n_trials: int,
    n_sessions: int,
    seed: int | None = None,
) -> tuple[DatasetRNN, SimulatedSessions, pd.DataFrame]:
    """Simulate `n_sessions` sessions of `n_trials` trials for every participant of `agent`.

    A single AgentQ gives n_sessions sessions; a population of P participants gives P * n_sessions, ordered
    by participant. Returns (dataset, sessions, parameters): the DatasetRNN, everything that happened
    (`SimulatedSessions`) and one row per participant with every generating parameter.
    With `seed=None` the seed comes from numpy's global generator, so `np.random.seed(42)` fixes the data.
    """
    rng = np.random.default_rng(resolve_seed(seed))
    participant_ids = list(getattr(agent, "participant_ids", ["0"]))
    participant_index = np.repeat(np.arange(len(participant_ids)), n_sessions)
    sessions = simulate(agent, environment, n_trials, participant_index, rng)
    dataset = DatasetRNN.from_sessions(
        sessions.choices, sessions.rewards, participant_index, participant_ids=participant_ids
    )
    if hasattr(agent, "parameter_table"):
        parameters = agent.parameter_table()
    else:
        parameters = pd.DataFrame({"participant": participant_ids})
    return dataset, sessions, parameters
