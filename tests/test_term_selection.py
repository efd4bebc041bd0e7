"""Term selection: terms switched on and off by each participant's BIC on the choices."""

import dataclasses
import re

import numpy as np
import pytest
import torch

from spice_lib import WEINHARDT_2024_CONFIG, AgentQ, BanditsDrift, SpiceEstimator, Weinhardt2024RNN
from spice_lib.equations import EquationSet, equation_model, model_equations
from spice_lib.network_agent import AgentNetwork
from spice_lib.parameter_sets import simulate_sessions
from spice_lib.recovery import agent_q_equations, recover_agent_q_parameters
from spice_lib.term_selection import (
    current_support,
    describe_unstable,
    rewrite_resets,
    select_terms,
    unstable,
    visited_ranges,
)

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
    messages = []
    selected, switches = select_terms(model, sessions.xs, sessions.ys, max_steps=3, log=messages.append)
    assert {(s.participant, s.module, s.term, s.switched) for s in switches.itertuples()} == {
        ("0", "x_learning_rate_reward", "x_learning_rate_reward[k]", "off"),
        ("1", "x_value_choice_chosen", "x_value_choice_chosen[k]", "on"),
    }
    assert (switches["bic_after"] < switches["bic_before"]).all()
    # Progress in the log: who is still switching, and a bound on the time left while anyone is.
    duration = r"(\d+\.\ds|\d+m\d\ds|\d+h\d\dm)"  # as progress.format_duration writes it
    steps = [message for message in messages if message.startswith("Term selection, step")]  # not the refits' own
    assert re.fullmatch(rf"Term selection, step 1 of at most 3: 2 of 2 participant\(s\) switched a term, 0 settled "
                        rf"\(slowest step {duration}, at most {duration} left\)", steps[0]), steps[0]  # fmt: skip
    assert re.fullmatch(rf"Term selection, step 2 of at most 3: 0 of 2 participant\(s\) switched a term, 2 settled "
                        rf"\(slowest step {duration}\)", steps[-1]), steps[-1]  # fmt: skip
    assert len(steps) == 2
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


def test_a_step_that_its_bound_turns_into_a_reset_is_written_as_the_reset_with_the_same_values():
    truth = agent_q_equations(AgentQ(alpha_reward=0.3, beta_reward=3.0, alpha_choice=[1.0] * 4, beta_choice=1.0))
    trace = truth.modules["x_value_choice_not_chosen"]
    assert trace.incremental and trace.bounds == (0.0, 1.0) and trace.center == 0.0
    constant, own = trace.term_names.index("1"), trace.term_names.index("x_value_choice_not_chosen[k]")
    steps = np.zeros_like(trace.coefficients)
    steps[:, constant] = [-1.3, -0.4, 1.3, 0.0]  # to the bound 0 (the centre) from anywhere; a partial step; to 1
    steps[3, own] = -1.404  # x[k+1] = -0.404 x[k], kept in [0, 1]: 0 from anywhere too
    equations = EquationSet({**truth.modules, "x_value_choice_not_chosen": trace.with_coefficients(steps)}, truth.betas, truth.participant_ids)
    support = support_of(equations)
    given = {name: terms.copy() for name, terms in support.items()}

    rewritten, new_support = rewrite_resets(equations, support)

    after = rewritten.modules["x_value_choice_not_chosen"]
    np.testing.assert_array_equal(new_support["x_value_choice_not_chosen"][:, [constant, own]], [[0, 1], [1, 0], [1, 0], [0, 1]])
    np.testing.assert_array_equal(after.coefficients[:, [constant, own]], [[0.0, -1.0], [-0.4, 0.0], [1.3, 0.0], [0.0, -1.0]])
    grid = np.zeros((11, len(trace.variables)))
    grid[:, 0] = np.linspace(0, 1, 11)
    for participant in range(4):
        index = np.full(11, participant)
        np.testing.assert_allclose(after.evaluate(grid, index), equations.modules["x_value_choice_not_chosen"].evaluate(grid, index))
    for name, terms in support.items():  # the input is left as it was
        np.testing.assert_array_equal(terms, given[name], err_msg=name)
    assert recover_agent_q_parameters(rewritten)["alpha_choice"][0] == pytest.approx(1.0)


def test_a_step_that_is_a_reset_on_every_value_the_data_meet_is_written_as_the_reset_with_the_same_likelihood(data_and_rnn):
    # Participant 0's chosen arm's trace is set to 0.567 on every choice; the other arm's drops by 0.568,
    # kept in [0, 1]: 0 from every value it meets, but a step (1 -> 0.432) on values the data never give
    # it. Participant 1 has no choice trace: it stays at 0, where the empty equation is at its centre too,
    # and must not gain a reset (a term more).
    sessions, rnn = data_and_rnn
    truth = agent_q_equations(AgentQ(alpha_reward=[0.3, 0.5], beta_reward=3.0, alpha_choice=1.0, beta_choice=1.0))
    chosen, other = truth.modules["x_value_choice_chosen"], truth.modules["x_value_choice_not_chosen"]
    set_to = np.zeros_like(chosen.coefficients)
    set_to[0, chosen.term_names.index("1")] = 0.567
    steps = np.zeros_like(other.coefficients)
    steps[0, other.term_names.index("1")] = -0.568
    equations = EquationSet(
        {**truth.modules, "x_value_choice_chosen": chosen.with_coefficients(set_to), "x_value_choice_not_chosen": other.with_coefficients(steps)},
        truth.betas, truth.participant_ids,
    )  # fmt: skip
    support = support_of(equations)
    model = equation_model(rnn, equations, support)
    visited = visited_ranges(model, sessions.xs)
    np.testing.assert_allclose(visited["x_value_choice_not_chosen"], [[0.0, 0.567], [0.0, 0.0]], atol=1e-6)

    whole_range, _ = rewrite_resets(equations, support)
    assert (whole_range.modules["x_value_choice_not_chosen"].coefficients == steps).all()  # a step on [0, 1]
    rewritten, new_support = rewrite_resets(equations, support, visited)

    np.testing.assert_array_equal(new_support["x_value_choice_not_chosen"], [[0.0, 1.0], [0.0, 0.0]])
    np.testing.assert_array_equal(rewritten.modules["x_value_choice_not_chosen"].coefficients, [[0.0, -1.0], [0.0, 0.0]])
    with torch.no_grad():  # every choice probability of the data stays the same, to the bit
        before, _ = model(sessions.xs, batch_first=True)
        after, _ = equation_model(rnn, rewritten, new_support)(sessions.xs, batch_first=True)
    assert torch.equal(after, before)


# Two participants without forgetting or a choice trace that decays.
STABLE = AgentQ(alpha_reward=[0.3, 0.5], beta_reward=3.0, alpha_choice=1.0, beta_choice=1.0)


def drifting_equations() -> EquationSet:
    """STABLE's equations, but the unchosen arm's reward value steps by a constant on every trial (up for
    participant 0, down for 1), kept only by guard bounds: unstable for both."""
    truth = agent_q_equations(STABLE)
    forgetting = truth.modules["x_value_reward_not_chosen"]
    assert forgetting.incremental and not forgetting.activation_bounds
    steps = np.zeros_like(forgetting.coefficients)
    steps[:, forgetting.term_names.index("1")] = [0.03, -0.03]
    drifting = dataclasses.replace(forgetting, coefficients=steps, bounds=(-0.5, 1.5))
    return EquationSet({**truth.modules, "x_value_reward_not_chosen": drifting}, truth.betas, truth.participant_ids)


def test_no_participant_ends_with_an_unstable_equation(data_and_rnn):
    # The choices come from drifting equations: on the trials they generate, that drift is the sparsest
    # structure and best by BIC. Participant 0 starts from it, participant 1 from the drift beside its own
    # value's term (numbers 0): neither may end drifting, whatever the BIC, and no participant's own-value
    # multiplier may end above 1: on new trials such a value runs to its bound and stops learning.
    _, rnn = data_and_rnn
    generating = drifting_equations()
    forgetting = generating.modules["x_value_reward_not_chosen"]
    sessions = simulate_sessions(AgentNetwork(equation_model(rnn, generating), participant_ids=["0", "1"]), BanditsDrift(0.2), 100, 40, seed=5)
    assert unstable(generating).all()
    start = support_of(generating)
    start["x_value_reward_not_chosen"][1, forgetting.own_value_term] = 1.0

    messages = []
    selected, switches = select_terms(equation_model(rnn, generating, start), sessions.xs, sessions.ys, max_steps=3, log=messages.append)
    assert not unstable(model_equations(selected)).any()
    assert set(switches[switches["module"] == "x_value_reward_not_chosen"]["participant"]) == {"0", "1"}
    assert any(re.match(r"Term selection: [12] participant\(s\) would have ended on unstable equations", m) for m in messages), messages


def test_unstable_equations_are_named_whatever_made_them(data_and_rnn, monkeypatch, capsys):
    sessions, _ = data_and_rnn
    assert describe_unstable(agent_q_equations(STABLE)) is None
    described = describe_unstable(drifting_equations())
    assert described.startswith("Unstable equations for 2 of 2 participant(s) (ModuleEquation.unstable")
    assert described.endswith(": 0 (x_value_reward_not_chosen); 1 (x_value_reward_not_chosen).")
    # Without term selection nothing searches for stable equations: distillation says which it leaves.
    estimator = SpiceEstimator(Weinhardt2024RNN, WEINHARDT_2024_CONFIG, n_participants=2, epochs=1, seed=0,
                               refit_parameters="none", select_terms=False, verbose=False)  # fmt: skip
    estimator.train(sessions.xs, sessions.ys)
    monkeypatch.setattr("spice_lib.estimator.distill", lambda *arguments: drifting_equations())
    estimator.verbose = True
    estimator.distill(sessions.xs)
    printed = capsys.readouterr().out.splitlines()
    assert described + " Term selection (select_terms with refit_parameters='coefficients') searches among stable alternatives." in printed
