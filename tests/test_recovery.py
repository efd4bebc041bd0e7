"""Parameter recovery: AgentQ parameters read back off distilled equations, beside the truth."""

import numpy as np
import pandas as pd
import pytest

from spice_lib import WEINHARDT_2024_CONFIG, AgentQ, BanditsDrift, SpiceEstimator, Weinhardt2024RNN
from spice_lib.equation_replay import replay_weinhardt2024
from spice_lib.equations import EquationSet, ModuleEquation
from spice_lib.mle import fit_classic_models
from spice_lib.parameter_sets import draw_participants, simulate_sessions
from spice_lib.plotting import plot_recovery
from spice_lib.recovery import (
    agent_q_equations,
    oracle_recovery_table,
    recover_agent_q_parameters,
    recovery_summary,
    recovery_table,
)
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
    assert len(table) == 3 * 6 and set(table["method"]) == {"spice"}
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
    assert table.empty and list(table.columns) == ["participant", "parameter", "method", "true", "recovered"]
    fig, axs = plot_recovery(stack_runs([table], [{"parameter_set": "x", "seed": 1}]))
    assert "No recovery" in axs[0].texts[0].get_text()


# Three participants: decaying and memoryless choice traces, asymmetric and equal learning rates,
# forgetting on and off, perseveration and alternation.
EXACT = dict(
    alpha_reward=[0.6, 0.3, 0.5], alpha_penalty=[0.2, 0.3, 0.7], forget_rate=[0.1, 0.0, 0.3],
    alpha_choice=[0.3, 0.6, 1.0], beta_choice=[1.0, 2.0, -0.5], beta_reward=[3.0, 4.0, 5.0],
)  # fmt: skip


def test_equations_built_exactly_from_agent_q_compute_what_it_computes():
    agent = AgentQ(**EXACT)
    equations = agent_q_equations(agent)
    sessions = simulate_sessions(agent, BanditsDrift(0.2), n_trials=40, n_sessions=3, seed=0)
    np.testing.assert_allclose(replay_weinhardt2024(equations, sessions.xs.numpy()), agent.predict(sessions.xs), atol=1e-12)
    # the torch equation model too (float32)
    model = SpiceEstimator(Weinhardt2024RNN, WEINHARDT_2024_CONFIG, n_participants=3, epochs=1, seed=0, verbose=False)
    model.train(sessions.xs, sessions.ys).set_equations(agent_q_equations(agent))
    np.testing.assert_allclose(model.predict(sessions.xs)[1], agent.predict(sessions.xs), atol=1e-5)


def test_recovery_reads_exact_agent_q_equations_back_to_every_parameter():
    recovered = recover_agent_q_parameters(agent_q_equations(AgentQ(**EXACT))).set_index("participant")
    for name, values in EXACT.items():
        np.testing.assert_allclose(recovered[name].to_numpy(), values, atol=1e-12, err_msg=name)


def test_recovered_beta_choice_does_not_depend_on_the_scale_of_the_choice_values():
    # The network may put choice values on its own scale k (and offset b); beta x k is what reaches the choice.
    equations = agent_q_equations(AgentQ(alpha_choice=0.4, beta_choice=1.5))
    k, b = 0.5, 0.2
    chosen, not_chosen = equations.modules["x_value_choice_chosen"], equations.modules["x_value_choice_not_chosen"]
    # V' = a + s V on AgentQ's scale becomes k a + b (1 - s) + s V on the network's
    for module, constant in ((chosen, 0.4), (not_chosen, 0.0)):
        module.coefficients[0, 0] = k * constant + b * 0.6
    equations.betas["x_value_choice"] = np.array([1.5 / k])
    recovered = recover_agent_q_parameters(equations).iloc[0]
    assert recovered["alpha_choice"] == pytest.approx(0.4) and recovered["beta_choice"] == pytest.approx(1.5)


def test_a_chosen_trace_without_memory_reads_beta_choice_from_the_level_it_sets():
    # C_c[k+1] = 0.4 on every choice, C_nc fades by 0.3 a trial: the trace spans 0.4, so beta x 0.4 reaches
    # the choice wherever an arm has been chosen a few times. Divided by the mean rate 1 - (0 + 0.7) / 2 after
    # one trial, it would read 5 x 0.4 / 0.65 = 3.08.
    equations = agent_q_equations(AgentQ(alpha_choice=0.3, beta_choice=1.0))
    chosen, not_chosen = equations.modules["x_value_choice_chosen"], equations.modules["x_value_choice_not_chosen"]
    assert chosen.term_names == ["1", "x_value_choice_chosen[k]"] and not chosen.incremental and not_chosen.incremental
    chosen.coefficients[0] = [0.4, 0.0]
    not_chosen.coefficients[0] = [0.0, -0.3]
    equations.betas["x_value_choice"] = np.array([5.0])
    recovered = recover_agent_q_parameters(equations).iloc[0]
    assert recovered["beta_choice"] == pytest.approx(2.0) and recovered["alpha_choice"] == pytest.approx(0.65)


def test_a_trace_that_never_moves_has_no_rate_to_read_and_no_perseveration():
    # alpha_choice 0: both traces stay at their start; a network's "no trace" (C_c = 0, C_nc stays) alike.
    # Averaging the chosen arm's reset with the unchosen arm's "stays" would read alpha_choice 0.5.
    equations = agent_q_equations(AgentQ(alpha_choice=[0.0, 1.0], beta_choice=1.0))
    equations.modules["x_value_choice_chosen"].coefficients[1] = 0.0
    equations.modules["x_value_choice_not_chosen"].coefficients[1] = 0.0  # as a change: the trace stays
    recovered = recover_agent_q_parameters(equations)
    assert recovered["alpha_choice"].isna().all() and (recovered["beta_choice"] == 0.0).all()


def test_a_trace_that_grows_to_its_bound_has_no_agent_q_rate_or_strength():
    # C_nc[k+1] = 1.847 C_nc[k] kept in [0, 1] (seen in a study of 1,000): an arm chosen once keeps a trace
    # of 1 for good. Read over the middle of the range its slope (1.08) gave alpha_choice 0.46, a rate of a
    # decay the trace does not have. The other participant's trace is AgentQ's and still reads back.
    equations = agent_q_equations(AgentQ(alpha_choice=[0.3, 0.3], beta_choice=1.0))
    not_chosen = equations.modules["x_value_choice_not_chosen"]
    not_chosen.coefficients[0] = [0.0, 0.847]  # as a change: x[k+1] = 1.847 x[k]
    recovered = recover_agent_q_parameters(equations)
    assert recovered["alpha_choice"].isna().tolist() == [True, False]
    assert recovered["beta_choice"].isna().tolist() == [True, False]
    assert recovered["alpha_choice"][1] == pytest.approx(0.3) and recovered["beta_choice"][1] == pytest.approx(1.0)


def test_counterfactual_learning_has_no_weinhardt2024_equations():
    with pytest.raises(ValueError, match="alpha_counterfactual must be 0"):
        agent_q_equations(AgentQ(alpha_counterfactual=0.2))


def test_recovery_summary_gives_r_bias_and_rmse_per_set_parameter_and_method():
    table = pd.DataFrame({
        "parameter_set": ["pop"] * 6 + ["one"] * 2,
        "parameter": ["alpha_reward"] * 3 + ["beta_choice"] * 3 + ["alpha_reward"] * 2,
        "method": ["spice"] * 8,
        "true": [0.1, 0.2, 0.3, 1.0, 2.0, 3.0, 0.3, 0.3],
        "recovered": [0.2, 0.3, 0.4, 1.0, np.nan, 2.0, 0.25, 0.35],
    })  # fmt: skip
    summary = recovery_summary(table).set_index(["parameter_set", "parameter"])
    alpha = summary.loc[("pop", "alpha_reward")]
    assert alpha["r"] == pytest.approx(1.0) and alpha["bias"] == pytest.approx(0.1) and alpha["rmse"] == pytest.approx(0.1)
    beta = summary.loc[("pop", "beta_choice")]
    assert beta["n"] == 2 and beta["n_unidentified"] == 1 and beta["bias"] == pytest.approx(-0.5)
    assert np.isnan(summary.loc[("one", "alpha_reward"), "r"])  # a fixed true value has no correlation
    assert summary.loc[("one", "alpha_reward"), "rmse"] == pytest.approx(0.05)


def test_the_oracle_fits_all_six_parameters_per_participant():
    agent = AgentQ(alpha_reward=[0.2, 0.6], alpha_penalty=[0.5, 0.3], alpha_choice=0.5, beta_choice=1.0, forget_rate=0.1)
    sessions = simulate_sessions(agent, BanditsDrift(0.2), n_trials=60, n_sessions=4, seed=0)
    fits = fit_classic_models(sessions.xs, sessions.ys, sessions.participant_ids)
    table = oracle_recovery_table(fits, agent.parameter_table())
    assert set(table["method"]) == {"mle"} and len(table) == 2 * 6
    assert set(table["parameter"]) == {"alpha_reward", "alpha_penalty", "forget_rate", "beta_reward", "alpha_choice", "beta_choice"}
    assert table["recovered"].notna().all()


def test_a_trace_step_that_its_bound_turns_into_a_reset_reads_as_alpha_choice_1():
    # x[k+1] = x[k] - 1.3 kept in [0, 1] is 0 from any value: the unchosen trace of alpha_choice = 1,
    # written as a clipped change (the same function, one term). Read as a coefficient it gave 0.5.
    equations = agent_q_equations(AgentQ(alpha_choice=1.0, beta_choice=2.0))
    not_chosen = equations.modules["x_value_choice_not_chosen"]
    assert not_chosen.bounds == (0.0, 1.0) and not_chosen.incremental
    not_chosen.coefficients[0] = [-1.3, 0.0]
    recovered = recover_agent_q_parameters(equations).iloc[0]
    assert recovered["alpha_choice"] == pytest.approx(1.0) and recovered["beta_choice"] == pytest.approx(2.0)


def test_a_trace_on_a_small_scale_is_read_between_its_own_levels():
    # Alternation without memory, as found for validate_mechanisms' penalty_learner: the chosen arm's trace
    # set to 0.24, the others' stepped down by 0.238 (kept in [0, 1]: 0.002, then 0), weighed by -4.224.
    # Over AgentQ's [0.25, 0.75], where this trace never goes, the step reads as no decay: alpha_choice 0.5.
    equations = agent_q_equations(AgentQ(alpha_choice=1.0, beta_choice=-1.0))
    equations.modules["x_value_choice_chosen"].coefficients[0] = [0.24, 0.0]
    equations.modules["x_value_choice_not_chosen"].coefficients[0] = [-0.238, 0.0]
    equations.betas["x_value_choice"] = np.array([-4.224])
    recovered = recover_agent_q_parameters(equations).iloc[0]
    assert recovered["alpha_choice"] == pytest.approx(1.0) and recovered["beta_choice"] == pytest.approx(-4.224 * 0.24)
