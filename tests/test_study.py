"""The study helpers the workflow's scripts call (each script is a thin wrapper around these)."""

import numpy as np
import pandas as pd
import pytest

from spice_lib import WEINHARDT_2024_CONFIG, BanditsDrift, SpiceEstimator, Weinhardt2024RNN
from spice_lib.study import (
    agent_from_truth,
    equations_html,
    parameter_ranges,
    participants,
    recovery_table,
    score_models,
    seeds_for_test,
    simulate_parameter_set,
    stack_runs,
    true_parameter_count,
)

POPULATION = {
    "name": "pop", "n_participants": 3, "n_sessions": 4,
    "alpha_reward_low": 0.1, "alpha_reward_high": 0.5, "beta_choice_low": 1.0, "beta_choice_high": 1.0,
}  # fmt: skip


def test_parameter_ranges_and_participants():
    assert parameter_ranges(POPULATION) == {"alpha_reward": (0.1, 0.5), "beta_choice": (1.0, 1.0)}
    with pytest.raises(ValueError, match="give both forget_rate_low and forget_rate_high"):
        parameter_ranges({"name": "x", "forget_rate_low": 0.1})
    agent = participants(POPULATION, seed=1, n_actions=2)
    table = agent.parameter_table()
    assert len(table) == 3 and table["alpha_reward"].between(0.1, 0.5).all() and (table["beta_choice"] == 1).all()
    assert table.equals(participants(POPULATION, seed=1, n_actions=2).parameter_table())


def test_simulated_study_data_and_truth_round_trip():
    data = simulate_parameter_set(POPULATION, BanditsDrift(0.2), n_trials=12, n_test_sessions=2, seed=1, test_seed=seeds_for_test(1, 1000))
    assert data.train.xs.shape == (12, 12, 5) and data.test.xs.shape == (6, 12, 5)
    assert not np.array_equal(data.train.xs[:6].numpy(), data.test.xs.numpy())
    rebuilt = agent_from_truth(data.agent.parameter_table(), n_actions=2)
    np.testing.assert_array_equal(rebuilt.predict(data.test.xs), data.agent.predict(data.test.xs))


def test_true_parameter_count_counts_active_mechanisms():
    agent = participants(POPULATION, seed=0, n_actions=2)
    # per participant: alpha_reward, beta_reward, beta_choice and alpha_choice (the trace reaches the choice)
    assert true_parameter_count(agent) == 3 * 4


@pytest.fixture(scope="module")
def fitted():
    data = simulate_parameter_set(POPULATION, BanditsDrift(0.2), n_trials=20, n_test_sessions=2, seed=2, test_seed=99)
    estimator = SpiceEstimator(
        Weinhardt2024RNN, WEINHARDT_2024_CONFIG, n_participants=3, participant_ids=data.train.participant_ids,
        epochs=3, seed=0, verbose=False, refit="none",
    ).fit(data.train.xs, data.train.ys)  # fmt: skip
    return estimator, data


def test_scores_of_three_models(fitted):
    estimator, data = fitted
    scores = score_models(estimator, data.agent, data.test)
    assert list(scores["model"]) == ["rnn", "spice", "truth"]
    assert (scores["n_trials"] == 6 * 19).all()
    np.testing.assert_allclose(scores["normalized_likelihood"], np.exp(-scores["nll"]))
    rnn = scores.set_index("model").loc["rnn"]
    assert rnn["n_parameters"] == estimator.rnn_.count_parameters()
    assert rnn["bic"] == pytest.approx(2 * rnn["nll"] * rnn["n_trials"] + rnn["n_parameters"] * np.log(rnn["n_trials"]))


def test_recovery_table_pairs_truth_with_equations(fitted):
    estimator, data = fitted
    table = recovery_table(estimator.equations_, data.agent)
    assert set(table["parameter"]) == {"alpha_reward", "alpha_penalty", "forget_rate", "beta_reward", "alpha_choice", "beta_choice"}
    truth = data.agent.parameter_table().set_index("participant")
    row = table[(table["participant"] == "1") & (table["parameter"] == "alpha_reward")].iloc[0]
    assert row["true"] == truth.loc["1", "alpha_reward"]
    assert row["recovered"] == pytest.approx(estimator.equations_.modules["x_learning_rate_reward"].value_at(1, c_reward=1.0, c_value_reward=0.5))


def test_stack_runs_and_equations_page():
    stacked = stack_runs([pd.DataFrame({"x": [1, 2]}), pd.DataFrame({"x": [3]})], [{"parameter_set": "a", "seed": 1}, {"parameter_set": "b", "seed": 2}])
    assert list(stacked.columns) == ["parameter_set", "seed", "x"] and stacked["parameter_set"].tolist() == ["a", "a", "b"]
    page = equations_html({"a, seed 1": "(x)[k+1] = 0.5 1 <b>"})
    assert "<h2>a, seed 1</h2>" in page and "&lt;b&gt;" in page


def test_recovery_of_a_model_without_mapping_is_an_empty_table_and_a_figure_that_says_so():
    from spice_lib.equations import EquationSet, ModuleEquation
    from spice_lib.plotting import plot_recovery

    equations = EquationSet(
        {"x_value_reward_chosen": ModuleEquation(["x_value_reward_chosen", "c_reward"], [[0, 0], [1, 0], [0, 1]], [[0.0, 0.7, 0.3]])},
        {"x_value_reward": [3.0]},
        ["0"],
    )
    agent = participants({"name": "x", "n_participants": 1, "n_sessions": 1}, seed=0, n_actions=2)
    table = recovery_table(equations, agent)
    assert table.empty and list(table.columns) == ["participant", "parameter", "true", "recovered"]
    stacked = stack_runs([table], [{"parameter_set": "x", "seed": 1}])
    fig, axs = plot_recovery(stacked)
    assert "No recovery" in axs[0].texts[0].get_text()
