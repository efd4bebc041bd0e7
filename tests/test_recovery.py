"""Parameter recovery: AgentQ parameters read back off distilled equations, beside the truth."""

import pytest

from spice_lib import WEINHARDT_2024_CONFIG, BanditsDrift, SpiceEstimator, Weinhardt2024RNN
from spice_lib.equations import EquationSet, ModuleEquation
from spice_lib.parameter_sets import draw_participants, simulate_sessions
from spice_lib.plotting import plot_recovery
from spice_lib.recovery import recovery_table
from spice_lib.report import stack_runs

POPULATION = {"name": "pop", "n_participants": 3, "n_sessions": 4, "alpha_reward_low": 0.1, "alpha_reward_high": 0.5}


def test_recovery_table_pairs_truth_with_equations():
    agent = draw_participants(POPULATION, seed=2, n_actions=2)
    train = simulate_sessions(agent, BanditsDrift(0.2), n_trials=20, n_sessions=4, seed=2)
    estimator = SpiceEstimator(
        Weinhardt2024RNN, WEINHARDT_2024_CONFIG, n_participants=3, participant_ids=train.participant_ids,
        epochs=3, seed=0, verbose=False, refit_parameters="none",
    ).fit(train.xs, train.ys)  # fmt: skip
    truth = agent.parameter_table()
    table = recovery_table(estimator.equations_, truth)
    assert set(table["parameter"]) == {"alpha_reward", "alpha_penalty", "forget_rate", "beta_reward", "alpha_choice", "beta_choice"}
    assert len(table) == 3 * 6
    row = table[(table["participant"] == "1") & (table["parameter"] == "alpha_reward")].iloc[0]
    assert row["true"] == truth.set_index("participant").loc["1", "alpha_reward"]
    learning_rate = estimator.equations_.modules["x_learning_rate_reward"]
    assert row["recovered"] == pytest.approx(learning_rate.value_at(1, c_reward=1.0, c_value_reward=0.5))


def test_recovery_of_a_model_without_mapping_is_an_empty_table_and_a_figure_that_says_so():
    equations = EquationSet(
        {"x_value_reward_chosen": ModuleEquation(["x_value_reward_chosen", "c_reward"], [[0, 0], [1, 0], [0, 1]], [[0.0, 0.7, 0.3]])},
        {"x_value_reward": [3.0]},
        ["0"],
    )
    truth = draw_participants({"name": "x", "n_participants": 1, "n_sessions": 1}, seed=0, n_actions=2).parameter_table()
    table = recovery_table(equations, truth)
    assert table.empty and list(table.columns) == ["participant", "parameter", "true", "recovered"]
    fig, axs = plot_recovery(stack_runs([table], [{"parameter_set": "x", "seed": 1}]))
    assert "No recovery" in axs[0].texts[0].get_text()
