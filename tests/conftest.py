"""Shared fixtures. Tests run torch on one thread so results do not depend on the machine's core count."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
import torch

matplotlib.use("Agg")
torch.set_num_threads(1)

TUTORIAL_AGENT = dict(n_actions=2, alpha_reward=0.3, forget_rate=0.2, beta_choice=1.0, alpha_choice=1.0)


@pytest.fixture
def tutorial_agent():
    from spice_lib import AgentQ

    return AgentQ(**TUTORIAL_AGENT)


@pytest.fixture
def small_dataset(tutorial_agent):
    """20 sessions x 30 trials of the tutorial's agent on a drifting bandit."""
    from spice_lib import BanditsDrift, create_dataset

    dataset, sessions, parameters = create_dataset(tutorial_agent, BanditsDrift(0.2), n_trials=30, n_sessions=20, seed=7)
    return dataset


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)
