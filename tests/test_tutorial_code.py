"""The tutorial's sections 1 and 2, with `from spice... import X` replaced by `from spice_lib import X`
(section 2 with 30 epochs instead of 1024; benchmarks/validate_tutorial.py runs it in full)."""

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


def test_tutorial_section_2_runs_with_few_epochs(small_dataset, tutorial_agent, capsys):
    dataset, agent = small_dataset, tutorial_agent

    from spice_lib import SpiceEstimator
    from spice_lib import Weinhardt2024RNN, WEINHARDT_2024_CONFIG

    spice_estimator = SpiceEstimator(
        rnn_class=Weinhardt2024RNN,
        spice_config=WEINHARDT_2024_CONFIG,
        learning_rate=1e-2,
        epochs=30,
        n_participants=1,
    )

    spice_estimator.fit(dataset.xs, dataset.ys)

    spice_estimator.print_spice_model()

    from spice_lib import plot_session

    # Let's see how well the dynamics were fitted
    agents = {'groundtruth': agent, 'rnn': spice_estimator.rnn_agent, 'spice': spice_estimator.spice_agent}
    fig, axs = plot_session(agents, dataset.xs[0])

    printed = capsys.readouterr().out
    assert "V_nc[k+1] = " in printed and "β_C = " in printed
    assert len(axs) == 5 and [line.get_label() for line in axs[1].lines] == ["true agent", "SPICE network", "SPICE equations"]
