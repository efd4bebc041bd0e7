"""Term selection: terms switched on and off by each participant's BIC on the choices."""

import numpy as np
import pytest

from spice_lib import WEINHARDT_2024_CONFIG, AgentQ, BanditsDrift, SpiceEstimator, Weinhardt2024RNN
from spice_lib.equations import equation_model, model_equations
from spice_lib.parameter_sets import simulate_sessions
from spice_lib.recovery import agent_q_equations, recover_agent_q_parameters
from spice_lib.term_selection import current_support, select_terms

# Two participants with a choice trace that decays (the mechanism weight decay trades for forgetting).
AGENT = AgentQ(alpha_reward=[0.3, 0.5], forget_rate=[0.0, 0.2], beta_reward=3.0, alpha_choice=0.3, beta_choice=3.0)


@pytest.fixture(scope="module")
def data_and_rnn():
    sessions = simulate_sessions(AGENT, BanditsDrift(0.2), n_trials=100, n_sessions=40, seed=3)
    estimator = SpiceEstimator(Weinhardt2024RNN, WEINHARDT_2024_CONFIG, n_participants=2, epochs=1, seed=0, verbose=False)
    return sessions, estimator.train(sessions.xs, sessions.ys).rnn_


def support_of(equations):
    return {name: (e.coefficients != 0).astype(float) for name, e in equations.modules.items()}


def test_a_spurious_term_is_switched_off_and_a_missing_one_on_for_each_participant_apart(data_and_rnn):
    sessions, rnn = data_and_rnn
    truth = agent_q_equations(AGENT)
    true_support = support_of(truth)
    start = {name: terms.copy() for name, terms in true_support.items()}
    start["x_learning_rate_reward"][0, 1] = 1.0  # participant 0: a learning rate that depends on itself
    start["x_value_choice_chosen"][1, 1] = 0.0  # participant 1: a chosen-arm trace without memory
    model = equation_model(rnn, truth, start)
    selected, switches = select_terms(model, sessions.xs, sessions.ys, max_steps=3, log=lambda _: None)
    assert {(s.participant, s.module, s.term, s.switched) for s in switches.itertuples()} == {
        ("0", "x_learning_rate_reward", "x_learning_rate_reward[k]", "off"),
        ("1", "x_value_choice_chosen", "x_value_choice_chosen[k]", "on"),
    }
    assert (switches["bic_after"] < switches["bic_before"]).all()
    for name, terms in current_support(selected).items():
        np.testing.assert_array_equal(terms, true_support[name], err_msg=name)
    recovered = recover_agent_q_parameters(model_equations(selected))
    np.testing.assert_allclose(recovered["alpha_choice"], 0.3, atol=0.1)
    np.testing.assert_allclose(recovered["alpha_reward"], [0.3, 0.5], atol=0.1)


def test_the_true_structure_is_left_as_it_is(data_and_rnn):
    sessions, rnn = data_and_rnn
    model = equation_model(rnn, agent_q_equations(AGENT))
    before = current_support(model)
    selected, switches = select_terms(model, sessions.xs, sessions.ys, max_steps=1, log=lambda _: None)
    assert switches.empty
    for name, terms in current_support(selected).items():
        np.testing.assert_array_equal(terms, before[name])
    for name, terms in current_support(model).items():  # the given model is not changed
        np.testing.assert_array_equal(terms, before[name])
