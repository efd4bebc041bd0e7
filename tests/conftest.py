"""Shared fixtures. Tests run torch on one thread so results do not depend on the machine's core count."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
import torch

matplotlib.use("Agg")
torch.set_num_threads(1)

TUTORIAL_AGENT = dict(n_actions=2, alpha_reward=0.3, forget_rate=0.2, beta_choice=1.0, alpha_choice=1.0)


def pytest_collection_modifyitems(items):
    """The workflow tests first: `make test` runs the files on CORES pytest-xdist workers (`--dist loadfile`,
    so a module's fixtures are built once), and theirs are the longest, so they should not start last."""
    items.sort(key=lambda item: item.get_closest_marker("workflow") is None)  # stable: the order within stays


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


@pytest.fixture(scope="module")
def population_fit():
    """Three participants, RNN trained briefly, distilled without refit: (estimator, dataset)."""
    from spice_lib import (
        WEINHARDT_2024_CONFIG,
        BanditsDrift,
        SpiceEstimator,
        Weinhardt2024RNN,
        create_dataset,
        sample_population,
    )

    population = sample_population(3, {"alpha_reward": (0.2, 0.6), "beta_reward": (2.0, 4.0)}, seed=1)
    dataset, _, _ = create_dataset(population, BanditsDrift(0.2), n_trials=40, n_sessions=8, seed=1)
    estimator = SpiceEstimator(
        Weinhardt2024RNN, WEINHARDT_2024_CONFIG, n_participants=3, epochs=25, seed=0, verbose=False,
        refit_parameters="none", participant_ids=dataset.participant_ids,
    )  # fmt: skip
    return estimator.fit(dataset.xs, dataset.ys), dataset
