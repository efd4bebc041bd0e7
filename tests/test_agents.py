import numpy as np
import pytest

from spice_lib import AgentQ, sample_population

NOT_SHOWN = -1.0


def step(agent, choice, reward):
    """One trial of a single session: reward of the chosen arm (others not shown unless given)."""
    agent.update(np.array([choice]), np.atleast_2d(reward))
    return agent.state


def fresh(**parameters):
    agent = AgentQ(**parameters)
    agent.new_sessions([0])
    return agent


def test_initial_state_and_uniform_first_choice():
    agent = fresh(beta_reward=5.0, beta_choice=2.0)
    np.testing.assert_array_equal(agent.state["x_value_reward"], [[0.5, 0.5]])
    np.testing.assert_array_equal(agent.state["x_value_choice"], [[0.0, 0.0]])
    np.testing.assert_allclose(agent.choice_probabilities(), [[0.5, 0.5]])


def test_chosen_arm_learns_with_alpha_reward_after_reward_and_alpha_penalty_after_none():
    agent = fresh(alpha_reward=0.3, alpha_penalty=0.1)
    state = step(agent, 0, [1.0, NOT_SHOWN])
    np.testing.assert_allclose(state["x_value_reward"], [[0.5 + 0.3 * 0.5, 0.5]])
    state = step(agent, 0, [0.0, NOT_SHOWN])
    np.testing.assert_allclose(state["x_value_reward"], [[0.65 + 0.1 * (0 - 0.65), 0.5]])


def test_alpha_penalty_none_means_alpha_reward():
    agent = fresh(alpha_reward=0.4)
    assert agent.alpha_penalty == 0.4
    state = step(agent, 1, [NOT_SHOWN, 0.0])
    np.testing.assert_allclose(state["x_value_reward"], [[0.5, 0.5 - 0.4 * 0.5]])


def test_unchosen_arm_forgets_towards_one_half():
    agent = fresh(alpha_reward=1.0, forget_rate=0.2)
    step(agent, 0, [1.0, NOT_SHOWN])  # arm 0 -> 1.0; arm 1 stays 0.5 (already at the target)
    step(agent, 1, [NOT_SHOWN, 0.0])  # arm 1 -> 0.0; arm 0 forgets: 1 + 0.2 (0.5 - 1) = 0.9
    state = step(agent, 0, [1.0, NOT_SHOWN])  # arm 1 forgets: 0 + 0.2 (0.5 - 0) = 0.1
    np.testing.assert_allclose(state["x_value_reward"], [[1.0, 0.1]])


def test_counterfactual_update_only_where_the_reward_is_shown():
    agent = fresh(alpha_reward=0.5, forget_rate=0.2, alpha_counterfactual=0.25)
    state = step(agent, 0, [1.0, 1.0])
    # arm 1: forgetting (no change at 0.5), then 0.5 + 0.25 (1 - 0.5)
    np.testing.assert_allclose(state["x_value_reward"], [[0.75, 0.625]])
    state = step(agent, 0, [0.0, np.nan])  # NaN, like -1, means not shown: only forgetting
    np.testing.assert_allclose(state["x_value_reward"], [[0.375, 0.625 + 0.2 * (0.5 - 0.625)]])


def test_choice_trace_moves_towards_one_for_chosen_and_zero_for_unchosen():
    agent = fresh(alpha_choice=0.4, beta_choice=2.0, beta_reward=0.0)
    state = step(agent, 1, [NOT_SHOWN, 0.0])
    np.testing.assert_allclose(state["x_value_choice"], [[0.0, 0.4]])
    state = step(agent, 0, [1.0, NOT_SHOWN])
    np.testing.assert_allclose(state["x_value_choice"], [[0.4, 0.24]])
    logits = 2.0 * np.array([0.4, 0.24])
    np.testing.assert_allclose(agent.choice_probabilities(), [np.exp(logits) / np.exp(logits).sum()])


def test_choice_probabilities_are_softmax_of_beta_weighted_values():
    agent = fresh(alpha_reward=0.5, beta_reward=3.0, beta_choice=1.0, alpha_choice=1.0)
    step(agent, 0, [1.0, NOT_SHOWN])
    logits = 3.0 * np.array([0.75, 0.5]) + 1.0 * np.array([1.0, 0.0])
    np.testing.assert_allclose(agent.choice_probabilities()[0], np.exp(logits) / np.exp(logits).sum())


def test_population_gives_each_session_its_participants_parameters():
    agent = AgentQ(alpha_reward=[0.1, 0.9], beta_reward=3.0)
    agent.new_sessions([1, 0, 1])
    agent.update(np.array([0, 0, 0]), np.array([[1.0, NOT_SHOWN]] * 3))
    np.testing.assert_allclose(agent.state["x_value_reward"][:, 0], [0.95, 0.55, 0.95])


@pytest.mark.parametrize(
    "parameters, message",
    [
        (dict(alpha_reward=1.2), "alpha_reward must be in"),
        (dict(alpha_penalty=-0.1), "alpha_penalty must be in"),
        (dict(forget_rate=2.0), "forget_rate must be in"),
        (dict(alpha_choice=1.5), "alpha_choice must be in"),
        (dict(alpha_counterfactual=-1), "alpha_counterfactual must be in"),
        (dict(beta_reward=-1.0), "beta_reward must be >= 0"),
        (dict(beta_choice=float("nan")), "beta_choice must be finite"),
        (dict(alpha_reward=[0.2, 1.5]), r"alpha_reward .*participant 1"),
        (dict(alpha_reward=[0.2, 0.3], beta_reward=[1.0, 2.0, 3.0]), "scalars or 1-D"),
    ],
)
def test_invalid_parameters_are_named(parameters, message):
    with pytest.raises(ValueError, match=message):
        AgentQ(**parameters)


def test_population_is_drawn_by_seed_within_ranges():
    ranges = {"alpha_reward": (0.1, 0.9), "beta_reward": (1.0, 5.0), "beta_choice": 0.5}
    first = sample_population(50, ranges, seed=3)
    again = sample_population(50, ranges, seed=3)
    other = sample_population(50, ranges, seed=4)
    table = first.parameter_table()
    assert list(table["participant"]) == [str(i) for i in range(50)]
    assert table["alpha_reward"].between(0.1, 0.9).all() and table["beta_reward"].between(1, 5).all()
    assert (table["beta_choice"] == 0.5).all() and (table["alpha_penalty"] == table["alpha_reward"]).all()
    assert table.equals(again.parameter_table())
    assert not table.equals(other.parameter_table())
    with pytest.raises(ValueError, match="unknown AgentQ parameter"):
        sample_population(3, {"alpha": (0, 1)}, seed=0)
    assert sample_population(4, {}, seed=0).n_participants == 4
