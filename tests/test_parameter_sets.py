"""Parameter sets: participants drawn from config rows, their sessions, and the truth table round trip."""

import numpy as np
import pytest

from spice_lib import AgentQ, BanditsDrift
from spice_lib.parameter_sets import draw_participants, parameter_ranges, sessions_seed, simulate_sessions

POPULATION = {
    "name": "pop", "n_participants": 3, "n_sessions": 4,
    "alpha_reward_low": 0.1, "alpha_reward_high": 0.5, "beta_choice_low": 1.0, "beta_choice_high": 1.0,
}  # fmt: skip


def test_parameter_ranges_and_participants():
    assert parameter_ranges(POPULATION) == {"alpha_reward": (0.1, 0.5), "beta_choice": (1.0, 1.0)}
    with pytest.raises(ValueError, match="give both forget_rate_low and forget_rate_high"):
        parameter_ranges({"name": "x", "forget_rate_low": 0.1})
    with pytest.raises(ValueError, match="forget_rate_low 0.4 is above forget_rate_high 0.1; swap them"):
        parameter_ranges({"name": "x", "forget_rate_low": 0.4, "forget_rate_high": 0.1})
    agent = draw_participants(POPULATION, seed=1, n_actions=2)
    table = agent.parameter_table()
    assert len(table) == 3 and table["alpha_reward"].between(0.1, 0.5).all() and (table["beta_choice"] == 1).all()
    assert table.equals(draw_participants(POPULATION, seed=1, n_actions=2).parameter_table())


def test_sessions_from_the_truth_table_equal_sessions_from_the_drawn_agent():
    agent = draw_participants(POPULATION, seed=1, n_actions=2)
    rebuilt = AgentQ.from_parameter_table(agent.parameter_table(), n_actions=2)
    train = simulate_sessions(rebuilt, BanditsDrift(0.2), n_trials=12, n_sessions=4, seed=sessions_seed(1, 0))
    test = simulate_sessions(rebuilt, BanditsDrift(0.2), n_trials=12, n_sessions=2, seed=sessions_seed(1, 1000))
    assert train.xs.shape == (12, 12, 5) and test.xs.shape == (6, 12, 5)
    np.testing.assert_array_equal(
        train.xs, simulate_sessions(agent, BanditsDrift(0.2), n_trials=12, n_sessions=4, seed=1).xs
    )
    assert not np.array_equal(train.xs[:6].numpy(), test.xs.numpy())
    np.testing.assert_array_equal(rebuilt.predict(test.xs), agent.predict(test.xs))


def test_active_parameter_count_counts_switched_on_mechanisms():
    agent = draw_participants(POPULATION, seed=0, n_actions=2)
    # per participant: alpha_reward, beta_reward, beta_choice and alpha_choice (the trace reaches the choice)
    assert agent.active_parameter_count() == 3 * 4
    full = AgentQ(alpha_reward=0.5, alpha_penalty=0.2, forget_rate=0.1, beta_choice=0.0, alpha_counterfactual=0.3)
    # alpha_reward, beta_reward, alpha_penalty, forget_rate, alpha_counterfactual; no choice trace
    assert full.active_parameter_count() == 5
