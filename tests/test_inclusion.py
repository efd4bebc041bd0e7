"""Which terms are real: inclusion probabilities and intervals from bootstraps of each participant's sessions."""

import numpy as np
import pytest
import torch

from spice_lib import WEINHARDT_2024_CONFIG, AgentQ, BanditsDrift, SpiceEstimator, Weinhardt2024RNN
from spice_lib.equations import EquationSet, ModuleEquation, equation_model, model_equations
from spice_lib.inclusion import _summarise, _tiled, bootstrap_sessions, term_inclusion
from spice_lib.notation import printout
from spice_lib.parameter_sets import simulate_sessions
from spice_lib.recovery import agent_q_equations, term_recovery_summary, term_recovery_table
from spice_lib.xs_layout import split_xs

# Asymmetric learning, forgetting and a decaying choice trace in one participant, none of them in the other.
AGENT = AgentQ(
    alpha_reward=[0.6, 0.4], alpha_penalty=[0.2, 0.4], forget_rate=[0.3, 0.0], beta_reward=[4.0, 4.0],
    alpha_choice=[0.4, 1.0], beta_choice=[2.0, 0.0],
)  # fmt: skip


def one_module(coefficients) -> EquationSet:
    """A single module with terms [1, x[k], c_reward[k]] and one row per (resample, participant)."""
    module = ModuleEquation(["x", "c_reward"], [[0, 0], [1, 0], [0, 1]], coefficients)
    return EquationSet(
        {"x": module},
        {"beta": np.arange(len(module.coefficients), dtype=float)},
        [str(i) for i in range(len(module.coefficients))],
    )


def test_a_term_every_resample_keeps_has_inclusion_1_and_one_none_keeps_0():
    # 4 resamples x 2 participants, row b * 2 + p: the constant always kept, x[k] never, c_reward in 1 of 4
    # resamples for participant 0 and in all for participant 1.
    rows = [
        [0.1 + b / 10, 0.0, 0.5 if b == 0 else 0.0] if p == 0 else [0.2, 0.0, 0.3] for b in range(4) for p in range(2)
    ]
    summary = _summarise(one_module(rows), n_resamples=4, n_participants=2, resampleable=np.array([True, True]))
    np.testing.assert_array_equal(summary.inclusion["x"], [[1.0, 0.0, 0.25], [1.0, 0.0, 1.0]])
    np.testing.assert_allclose(summary.low["x"][0, 0], np.percentile([0.1, 0.2, 0.3, 0.4], 5))
    np.testing.assert_allclose(summary.high["x"][0, 0], np.percentile([0.1, 0.2, 0.3, 0.4], 95))
    np.testing.assert_array_equal(summary.low["x"][1], [0.2, 0.0, 0.3])


def test_a_participant_with_one_session_is_not_resampled():
    rows = [[0.1, 0.2, 0.0]] * 6
    summary = _summarise(one_module(rows), n_resamples=3, n_participants=2, resampleable=np.array([True, False]))
    assert np.isnan(summary.inclusion["x"][1]).all() and np.isnan(summary.low["x"][1]).all()
    assert not np.isnan(summary.inclusion["x"][0]).any()


def test_bootstrap_draws_each_participants_own_sessions_the_same_way_for_the_same_seed():
    sessions = simulate_sessions(AGENT, BanditsDrift(0.2), n_trials=10, n_sessions=3, seed=0)
    xs, ys = sessions.xs, sessions.ys
    xs = torch.cat([xs, xs[:1].clone()])  # a third participant with a single session
    split_xs(xs, 2).participant[-1] = 2.0
    ys = torch.cat([ys, ys[:1]])
    resampled_xs, resampled_ys, resampleable = bootstrap_sessions(xs, ys, 3, 2, n_resamples=4, seed=7)
    np.testing.assert_array_equal(resampleable, [True, True, False])
    assert len(resampled_xs) == 4 * len(xs)
    labels = split_xs(resampled_xs, 2).participant[:, 0].long()
    source = split_xs(xs, 2).participant[:, 0].long()
    for index in range(len(resampled_xs)):  # every drawn session is one of that participant's own
        own = (source == labels[index] % 3).nonzero().flatten()
        assert any(torch.equal(resampled_ys[index], ys[j]) for j in own)
    again = bootstrap_sessions(xs, ys, 3, 2, n_resamples=4, seed=7)
    assert torch.equal(again[0], resampled_xs)
    assert not torch.equal(bootstrap_sessions(xs, ys, 3, 2, n_resamples=4, seed=8)[0], resampled_xs)


@pytest.fixture(scope="module")
def truth_model_and_data():
    sessions = simulate_sessions(AGENT, BanditsDrift(0.2), n_trials=100, n_sessions=30, seed=3)
    estimator = SpiceEstimator(
        Weinhardt2024RNN, WEINHARDT_2024_CONFIG, n_participants=2, epochs=1, seed=0, verbose=False
    )
    rnn = estimator.train(sessions.xs, sessions.ys).rnn_
    return equation_model(rnn, agent_q_equations(AGENT)), sessions


def test_the_generating_terms_are_kept_by_every_resample_and_absent_ones_by_none(truth_model_and_data):
    model, sessions = truth_model_and_data
    measured = term_inclusion(model, sessions.xs, sessions.ys, n_resamples=3, seed=1, log=lambda _: None)
    truth = agent_q_equations(AGENT)
    rate = measured.inclusion["x_learning_rate_reward"]  # terms [1, lr[k], c_reward, c_value_reward]
    np.testing.assert_array_equal(rate[0], [1, 0, 1, 0])  # asymmetric: the reward term is real
    np.testing.assert_array_equal(rate[1], [1, 0, 0, 0])
    np.testing.assert_array_equal(measured.inclusion["x_value_reward_not_chosen"][0], [0, 1])  # forgetting
    np.testing.assert_array_equal(measured.inclusion["x_value_choice_chosen"][0], [1, 1])  # a decaying trace
    # The intervals cover the generating numbers (printed form), within the data's spread.
    printed = truth.modules["x_learning_rate_reward"].expanded_coefficients()
    assert (
        measured.low["x_learning_rate_reward"][0, 0] - 0.05
        <= printed[0, 0]
        <= measured.high["x_learning_rate_reward"][0, 0] + 0.05
    )
    assert measured.low["x_learning_rate_reward"][0, 0] < measured.high["x_learning_rate_reward"][0, 0]


def test_resamples_whose_search_ends_mirrored_are_counted_in_agent_q_orientation(truth_model_and_data, monkeypatch):
    # The stand-in term selection leaves participant 0's decaying trace mirrored in every resample: chosen
    # C'[k+1] = 0.6 C'[k] (no constant), the others' C' rising, beta of the other sign (same choices).
    model, sessions = truth_model_and_data

    def mirrors_participant_0(stacked, xs, ys, **settings):
        equations = model_equations(stacked)
        rows = np.arange(0, equations.n_participants, 2)
        modules = dict(equations.modules)
        for name, mirrored in (("x_value_choice_chosen", [0.0, 0.6]), ("x_value_choice_not_chosen", [0.4, -0.4])):
            coefficients = modules[name].coefficients.copy()
            coefficients[rows] = mirrored
            modules[name] = modules[name].with_coefficients(coefficients)
        betas = {name: values.copy() for name, values in equations.betas.items()}
        betas["x_value_choice"][rows] *= -1.0
        return equation_model(stacked, EquationSet(modules, betas, equations.participant_ids)), None

    monkeypatch.setattr("spice_lib.inclusion.term_selection.select_terms", mirrors_participant_0)
    messages = []
    measured = term_inclusion(model, sessions.xs, sessions.ys, n_resamples=3, seed=1, log=messages.append)
    assert any("3 participant(s)' choice trace ended mirrored" in message for message in messages)
    np.testing.assert_array_equal(measured.inclusion["x_value_choice_chosen"][0], [1, 1])  # AgentQ's: 0.4 + 0.6 C
    np.testing.assert_array_equal(measured.inclusion["x_value_choice_not_chosen"][0], [0, 1])  # the change -0.4 C
    assert measured.low["x_value_choice_chosen"][0, 0] > 0.2 and measured.high["x_value_choice_chosen"][0, 0] < 0.6


def test_inclusion_travels_through_the_table_and_the_printout():
    equations = agent_q_equations(AgentQ(alpha_reward=0.5, forget_rate=0.2))
    rows = _tiled(equations, 3)
    equations.inclusion = _summarise(rows, n_resamples=3, n_participants=1, resampleable=np.array([True]))
    table = equations.to_table()
    assert {"inclusion", "coefficient_low", "coefficient_high"} <= set(table.columns)
    back = EquationSet.from_table(table, equations.structure())
    for name in equations.modules:
        np.testing.assert_array_equal(back.inclusion.inclusion[name], equations.inclusion.inclusion[name])
        np.testing.assert_allclose(back.inclusion.high[name], equations.inclusion.high[name])
    printed = "\n".join(printout(back, 0))
    assert "terms kept in 3 resamples (share, 90% interval): V_nc[k] 100% [0.800, 0.800]" in printed
    assert "β_V = 3.000\n" in printed
    assert table[table["kind"] == "beta"]["inclusion"].isna().all()  # betas get no interval
    plain = agent_q_equations(AgentQ(alpha_reward=0.5)).to_table()
    assert plain["inclusion"].isna().all()


def test_one_resample_is_refused_before_any_work():
    estimator = SpiceEstimator(Weinhardt2024RNN, WEINHARDT_2024_CONFIG, epochs=1, seed=0, verbose=False, resamples=1)
    sessions = simulate_sessions(AgentQ(), BanditsDrift(0.2), n_trials=10, n_sessions=2, seed=0)
    estimator.train(sessions.xs, sessions.ys)
    with pytest.raises(ValueError, match="resamples must be 0 \\(off\\) or 2 or more, got 1"):
        estimator.distill(sessions.xs, sessions.ys)


def test_structure_recovery_against_the_generating_model():
    truth = AGENT.parameter_table()
    exact = agent_q_equations(AGENT)
    terms = term_recovery_table(exact, truth, n_actions=2)
    assert (terms["found"] == terms["in_truth"]).all()
    assert set(terms[terms["participant"] == "1"]["module"]) == {"x_learning_rate_reward", "x_value_reward_not_chosen"}
    # A spurious term: participant 1's learning rate made to depend on itself.
    exact.modules["x_learning_rate_reward"].coefficients[1, 1] = -0.05
    summary = term_recovery_summary(term_recovery_table(exact, truth, n_actions=2)).set_index("in_truth")
    n_true = int(summary.loc[True, "n"])
    assert summary.loc[True, "share_found"] == 1.0 and summary.loc[True, "recall"] == 1.0
    assert summary.loc[False, "share_found"] == pytest.approx(1 / summary.loc[False, "n"])
    assert summary.loc[True, "precision"] == pytest.approx(n_true / (n_true + 1))
    assert np.isnan(summary.loc[True, "mean_inclusion"])


def test_participants_with_one_session_each_are_not_resampled_at_all(truth_model_and_data):
    model, sessions = truth_model_and_data
    first = [0, 30]  # each participant's first session (participant 0's sessions come first)
    messages = []
    measured = term_inclusion(model, sessions.xs[first], sessions.ys[first], n_resamples=3, seed=1, log=messages.append)
    assert all(np.isnan(values).all() for values in measured.inclusion.values())
    assert messages == [
        "Inclusion probabilities: 2 participant(s) have a single session, which a bootstrap of sessions cannot "
        "resample; their inclusion and intervals are NaN."
    ]


def test_structure_recovery_matches_terms_by_name_and_skips_what_it_cannot_map():
    truth = AGENT.parameter_table()
    exact = agent_q_equations(AGENT)
    rate = exact.modules["x_learning_rate_reward"]
    richer = ModuleEquation(  # a degree-2 term the generating model lacks, as a richer library would give
        rate.variables, np.vstack([rate.powers, [0, 1, 1]]), np.hstack([rate.coefficients, [[0.1], [0.0]]]), rate.center, rate.bounds
    )  # fmt: skip
    exact.modules["x_learning_rate_reward"] = richer
    terms = term_recovery_table(exact, truth, n_actions=2).set_index(["participant", "module", "term"])
    extra = terms.loc[("0", "x_learning_rate_reward", "c_reward[k] c_value_reward[k]")]
    assert not extra["in_truth"] and extra["found"]
    assert terms.loc[("0", "x_learning_rate_reward", "c_reward[k]"), "in_truth"]
    counterfactual = truth.assign(alpha_counterfactual=0.3)
    assert term_recovery_table(agent_q_equations(AGENT), counterfactual, n_actions=2).empty
