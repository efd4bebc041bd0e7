"""Bandit tasks: where the rewards come from.

Every task here is *restless but choice-independent*: the reward probabilities follow their own schedule
whatever the participant does. That lets a task draw a whole block of sessions at once, vectorised over
sessions, before any agent has chosen anything; an agent then only looks up the reward of the arm it picked.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

# The range rewards lie in: the tasks' 0/1 rewards, and what import rescales a data set's rewards to; the
# values that estimate rewards live there too (spice_lib.resting_values).
REWARD_RANGE = (0.0, 1.0)


@dataclass(frozen=True)
class TaskSchedule:
    """Reward probabilities and drawn rewards of every arm on every trial.

    probabilities, rewards: float arrays (n_sessions, n_trials, n_actions); rewards are 0/1 draws.
    counterfactual: whether the participant is shown the rewards of the arms it did not choose.
    """

    probabilities: np.ndarray
    rewards: np.ndarray
    counterfactual: bool


class BanditTask(ABC):
    """A multi-armed bandit with Bernoulli rewards."""

    n_actions: int
    counterfactual: bool

    @abstractmethod
    def reward_probabilities(self, n_sessions: int, n_trials: int, rng: np.random.Generator) -> np.ndarray:
        """Reward probability of every arm, shape (n_sessions, n_trials, n_actions)."""

    @abstractmethod
    def describe(self) -> dict:
        """Name and parameters, as stored in a trials file's metadata."""

    def sample(self, n_sessions: int, n_trials: int, rng: np.random.Generator) -> TaskSchedule:
        """Draw the probabilities and then the 0/1 rewards of every arm for a block of sessions."""
        if n_sessions < 1 or n_trials < 1:
            raise ValueError(f"n_sessions and n_trials must be >= 1, got {n_sessions} and {n_trials}")
        probabilities = self.reward_probabilities(n_sessions, n_trials, rng)
        rewards = (rng.random(probabilities.shape) < probabilities).astype(np.float32)
        return TaskSchedule(probabilities.astype(np.float32), rewards, self.counterfactual)


def _check_n_actions(n_actions: int) -> int:
    if int(n_actions) != n_actions or n_actions < 2:
        raise ValueError(f"n_actions must be an integer >= 2, got {n_actions!r}")
    return int(n_actions)


def _check_probability(name: str, value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1], got {value!r}")
    return float(value)


class BanditsDrift(BanditTask):
    """Drifting bandit: each arm's reward probability is a Gaussian random walk clipped to [0, 1].

    A session starts from probabilities drawn uniformly from [0, 1]; after every trial each arm takes an
    independent step with standard deviation `sigma`.
    """

    def __init__(self, sigma: float = 0.2, n_actions: int = 2, counterfactual: bool = False):
        if not sigma >= 0:
            raise ValueError(f"sigma must be >= 0, got {sigma!r}")
        self.sigma = float(sigma)
        self.n_actions = _check_n_actions(n_actions)
        self.counterfactual = bool(counterfactual)

    def reward_probabilities(self, n_sessions, n_trials, rng):
        probabilities = np.empty((n_sessions, n_trials, self.n_actions))
        probabilities[:, 0] = rng.random((n_sessions, self.n_actions))
        steps = rng.normal(0.0, self.sigma, size=(n_sessions, n_trials - 1, self.n_actions))
        # Clipping happens after every step, so the walk cannot be written as one cumulative sum.
        for trial in range(1, n_trials):
            probabilities[:, trial] = np.clip(probabilities[:, trial - 1] + steps[:, trial - 1], 0.0, 1.0)
        return probabilities

    def describe(self):
        return {
            "task": "BanditsDrift",
            "sigma": self.sigma,
            "n_actions": self.n_actions,
            "counterfactual": self.counterfactual,
        }


class BanditsFlip(BanditTask):
    """Reversal bandit: one arm pays with `p_high`, the others with `p_low`.

    The good arm is drawn uniformly at the start of a session and moves to another arm (uniformly among the
    rest) with probability `block_flip_prob` after each trial.
    """

    def __init__(
        self,
        block_flip_prob: float = 0.02,
        p_high: float = 0.8,
        p_low: float = 0.2,
        n_actions: int = 2,
        counterfactual: bool = False,
    ):
        self.block_flip_prob = _check_probability("block_flip_prob", block_flip_prob)
        self.p_high = _check_probability("p_high", p_high)
        self.p_low = _check_probability("p_low", p_low)
        self.n_actions = _check_n_actions(n_actions)
        self.counterfactual = bool(counterfactual)

    def good_arms(self, n_sessions: int, n_trials: int, rng: np.random.Generator) -> np.ndarray:
        """Index of the good arm on every trial, shape (n_sessions, n_trials)."""
        first = rng.integers(0, self.n_actions, size=(n_sessions, 1))
        flips = rng.random((n_sessions, n_trials - 1)) < self.block_flip_prob
        # A flip moves the good arm by 1..n_actions-1 places, so it always lands on a different arm.
        shifts = np.where(flips, rng.integers(1, self.n_actions, size=flips.shape), 0)
        return (first + np.concatenate([np.zeros((n_sessions, 1), int), np.cumsum(shifts, axis=1)], 1)) % (
            self.n_actions
        )

    def reward_probabilities(self, n_sessions, n_trials, rng):
        good = self.good_arms(n_sessions, n_trials, rng)
        is_good = good[..., None] == np.arange(self.n_actions)
        return np.where(is_good, self.p_high, self.p_low)

    def describe(self):
        return {
            "task": "BanditsFlip",
            "block_flip_prob": self.block_flip_prob,
            "p_high": self.p_high,
            "p_low": self.p_low,
            "n_actions": self.n_actions,
            "counterfactual": self.counterfactual,
        }


class BanditsFixed(BanditTask):
    """Constant reward probabilities, one per arm (for tests and teaching).

    n_actions, when given (a config states it for every task, and `describe` records it), must be the
    number of probabilities.
    """

    def __init__(self, probabilities, counterfactual: bool = False, n_actions: int | None = None):
        probabilities = [float(p) for p in probabilities]
        for arm, p in enumerate(probabilities):
            _check_probability(f"probabilities[{arm}]", p)
        if n_actions is not None and n_actions != len(probabilities):
            raise ValueError(
                f"n_actions={n_actions} does not match probabilities, which give {len(probabilities)} arms; "
                "give one probability per arm"
            )
        self.probabilities = probabilities
        self.n_actions = _check_n_actions(len(probabilities))
        self.counterfactual = bool(counterfactual)

    def reward_probabilities(self, n_sessions, n_trials, rng):
        return np.broadcast_to(np.asarray(self.probabilities), (n_sessions, n_trials, self.n_actions)).copy()

    def describe(self):
        return {
            "task": "BanditsFixed",
            "probabilities": list(self.probabilities),
            "n_actions": self.n_actions,
            "counterfactual": self.counterfactual,
        }


TASKS = {cls.__name__: cls for cls in (BanditsDrift, BanditsFlip, BanditsFixed)}


def task_from_description(description: dict) -> BanditTask:
    """Rebuild a task from `describe()` output (e.g. a trials file's metadata or a config entry); ValueError
    naming an unknown task, a setting the task does not take or one it needs, or a bad value."""
    settings = dict(description)
    name = settings.pop("task", None)
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; choose one of {sorted(TASKS)}")
    # The task's own signature says which settings it takes, so a setting of another task (sigma for
    # BanditsFlip) or a missing one is named here rather than surfacing as a TypeError.
    accepted = inspect.signature(TASKS[name]).parameters
    unknown = [key for key in settings if key not in accepted]
    if unknown:
        raise ValueError(
            f"{name} does not take {', '.join(unknown)}; remove {'it' if len(unknown) == 1 else 'them'} "
            f"({name}'s settings: {', '.join(accepted)})"
        )
    missing = [
        key
        for key, parameter in accepted.items()
        if parameter.default is inspect.Parameter.empty and key not in settings
    ]
    if missing:
        raise ValueError(f"{name} needs {', '.join(missing)}: add {'it' if len(missing) == 1 else 'them'}")
    return TASKS[name](**settings)
