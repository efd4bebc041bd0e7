"""Parameter sets: the simulated participants of a study, as config.yaml's `parameter_sets` describe them.

A parameter set is one row of scalars: `name`, `n_participants`, `n_sessions` (per participant) and, per
AgentQ parameter p, optional `p_low`/`p_high` (equal for a fixed value; absent for AgentQ's default). Each
seed draws its own participants (the truth table) and, from them, the training sessions; the held-out
sessions come from the same participants with another seed (`sessions_seed`). The three are made apart,
so that changing how many sessions are held out does not touch the training data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from spice_lib.agents import AGENT_Q_PARAMETERS, AgentQ, sample_population
from spice_lib.dataset import DatasetRNN
from spice_lib.simulation import create_dataset
from spice_lib.tasks import BanditTask


def parameter_ranges(parameter_set: Mapping) -> dict[str, tuple[float, float]]:
    """The (low, high) range of every AgentQ parameter the set names; ValueError naming the keys of a range
    with one bound or with low above high."""
    ranges = {}
    for name in AGENT_Q_PARAMETERS:
        low, high = parameter_set.get(f"{name}_low"), parameter_set.get(f"{name}_high")
        if low is None and high is None:
            continue
        if low is None or high is None or _missing(low) or _missing(high):
            raise ValueError(f"give both {name}_low and {name}_high (equal bounds fix the value)")
        if low > high:
            raise ValueError(f"{name}_low {low} is above {name}_high {high}; swap them")
        ranges[name] = (float(low), float(high))
    return ranges


def _missing(value) -> bool:
    return isinstance(value, float) and math.isnan(value)


def draw_participants(parameter_set: Mapping, seed: int, n_actions: int) -> AgentQ:
    """The participants of a parameter set for one seed, drawn uniformly from its ranges."""
    return sample_population(int(parameter_set["n_participants"]), parameter_ranges(parameter_set), seed, n_actions)


def simulate_sessions(agent: AgentQ, task: BanditTask, n_trials: int, n_sessions: int, seed: int) -> DatasetRNN:
    """`n_sessions` sessions of `n_trials` trials for every participant of `agent`, from `seed`."""
    dataset, _, _ = create_dataset(agent, task, n_trials, int(n_sessions), seed=seed)
    return dataset


def sessions_seed(run_seed: int, offset: int) -> int:
    """The seed of a run's sessions: the run's own seed for training (offset 0), the seed plus the config's
    `test_seed_offset` for held-out sessions (distinct from every training seed while seeds stay below it)."""
    return int(run_seed) + int(offset)
