"""The tutorial's section 1, with `from spice... import X` replaced by `from spice_lib import X`."""

import numpy as np
import torch


def test_tutorial_section_1_runs_and_gives_the_documented_data():
    np.random.seed(42)
    torch.manual_seed(42)

    from spice_lib import AgentQ, BanditsDrift, create_dataset
    from spice_lib import DatasetRNN

    # Set up the environment
    n_actions = 2
    sigma = 0.2

    environment = BanditsDrift(sigma=sigma, n_actions=n_actions)

    # Set up the agent
    agent = AgentQ(
        n_actions=n_actions,
        alpha_reward=0.3,
        forget_rate=0.2,
        beta_choice=1.,
        alpha_choice=1.,
    )

    # Create the dataset
    n_trials = 100
    n_sessions = 100

    dataset, _, _ = create_dataset(
        agent=agent,
        environment=environment,
        n_trials=n_trials,
        n_sessions=n_sessions,
    )

    # set all participant ids to 0 since this dataset was generated only by one parameterization
    dataset.xs[..., -1] = 0

    assert isinstance(dataset, DatasetRNN)
    assert dataset.xs.shape == (100, 100, 5) and dataset.ys.shape == (100, 100, 2)
    assert (dataset.xs[..., -1] == 0).all()
    assert (dataset.ys[:, -1] == -1).all() and (dataset.ys[:, :-1].sum(-1) == 1).all()
