import numpy as np
import torch

from spice_lib import AgentQ, BanditsDrift, BanditsFixed, create_dataset, sample_population, save_dataset
from spice_lib.simulation import simulate


def test_create_dataset_returns_dataset_sessions_and_parameters(tutorial_agent):
    dataset, sessions, parameters = create_dataset(tutorial_agent, BanditsDrift(0.2), n_trials=30, n_sessions=12, seed=1)
    assert dataset.xs.shape == (12, 30, 5) and dataset.ys.shape == (12, 30, 2)
    assert sessions.choices.shape == (12, 30) and sessions.reward_probabilities.shape == (12, 30, 2)
    assert set(sessions.values) == {"x_value_reward", "x_value_choice"}
    assert list(parameters.columns[:2]) == ["participant", "alpha_reward"] and len(parameters) == 1
    assert parameters.loc[0, "forget_rate"] == 0.2
    # the dataset is exactly what the sessions hold
    np.testing.assert_array_equal(dataset.xs[..., :2].argmax(-1).numpy(), sessions.choices)
    rows = np.arange(12)[:, None]
    chosen_reward = sessions.rewards[rows, np.arange(30), sessions.choices]
    np.testing.assert_array_equal(dataset.xs[..., 2:4].numpy()[rows, np.arange(30), sessions.choices], chosen_reward)
    # the recorded probabilities are the agent's own, before each choice
    first = sessions.session(0)
    np.testing.assert_allclose(first["choice_probabilities"][0], [0.5, 0.5])
    np.testing.assert_array_equal(first["x_value_reward"][0], [0.5, 0.5])


def test_choices_follow_the_agents_probabilities():
    agent = AgentQ(alpha_reward=0.5, beta_reward=0.0, beta_choice=0.0)  # uniform chooser
    _, sessions, _ = create_dataset(agent, BanditsFixed([0.9, 0.1]), n_trials=50, n_sessions=400, seed=2)
    assert abs(sessions.choices.mean() - 0.5) < 0.01
    greedy = AgentQ(alpha_reward=0.5, beta_reward=20.0)
    _, sessions, _ = create_dataset(greedy, BanditsFixed([0.9, 0.1]), n_trials=50, n_sessions=100, seed=2)
    assert sessions.choices[:, 25:].mean() < 0.05  # learns to pick arm 0


def test_same_seed_gives_identical_parquet_bytes_and_other_seed_differs(tmp_path, tutorial_agent):
    paths = []
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        dataset, _, _ = create_dataset(tutorial_agent, BanditsDrift(0.2), n_trials=20, n_sessions=10, seed=seed)
        save_dataset(tmp_path / f"{name}.parquet", dataset)
        paths.append((tmp_path / f"{name}.parquet").read_bytes())
    assert paths[0] == paths[1]
    assert paths[0] != paths[2]


def test_global_numpy_seed_fixes_the_data_when_seed_is_none(tutorial_agent):
    np.random.seed(42)
    first, _, _ = create_dataset(tutorial_agent, BanditsDrift(0.2), n_trials=20, n_sessions=5)
    np.random.seed(42)
    again, _, _ = create_dataset(tutorial_agent, BanditsDrift(0.2), n_trials=20, n_sessions=5)
    later, _, _ = create_dataset(tutorial_agent, BanditsDrift(0.2), n_trials=20, n_sessions=5)
    assert torch.equal(first.xs, again.xs)
    assert not torch.equal(first.xs, later.xs)


def test_population_simulated_in_one_call_with_ids_and_parameters():
    population = sample_population(6, {"alpha_reward": (0.1, 0.9), "beta_reward": (1.0, 4.0)}, seed=0)
    dataset, sessions, parameters = create_dataset(population, BanditsDrift(0.2), n_trials=15, n_sessions=3, seed=0)
    assert dataset.xs.shape[0] == 18
    np.testing.assert_array_equal(dataset.participant_index, np.repeat(np.arange(6), 3))
    np.testing.assert_array_equal(dataset.session_ids, np.tile(np.arange(3), 6))
    assert list(parameters["participant"]) == dataset.participant_ids == [str(i) for i in range(6)]
    assert parameters["alpha_reward"].nunique() == 6


def test_counterfactual_task_shows_every_arm(tutorial_agent):
    dataset, sessions, _ = create_dataset(tutorial_agent, BanditsDrift(0.2, counterfactual=True), 10, 4, seed=3)
    assert (dataset.xs[..., 2:4] >= 0).all()
    plain, _, _ = create_dataset(tutorial_agent, BanditsDrift(0.2), 10, 4, seed=3)
    assert ((plain.xs[..., 2:4] == -1).sum(-1) == 1).all()  # exactly the unchosen arm is hidden


def test_the_simulation_benchmarks_baseline_plays_the_same_agent_and_task():
    """The per-trial loop that `benchmarks/bench_simulation.py` times as the baseline must simulate what
    `simulate` does, or the speed-up compares different work: stay and reward rates agree."""
    from benchmarks.bench_simulation import PARAMETERS, SIGMA, per_trial_loop

    loop_choices, loop_rewards = per_trial_loop(400, 100, np.random.default_rng(0))
    sessions = simulate(AgentQ(**PARAMETERS), BanditsDrift(SIGMA), 100, np.zeros(400, int), np.random.default_rng(1))

    def stay_rate(choices):
        return (choices[:, 1:] == choices[:, :-1]).mean()

    assert abs(stay_rate(loop_choices) - stay_rate(sessions.choices)) < 0.02
    assert abs(loop_rewards.mean() - sessions.rewards.max(-1).mean()) < 0.02
