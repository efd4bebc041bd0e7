"""A choice trace proposed mirrored (the chosen arm's trace falls, beta of the other sign) is written in
AgentQ's orientation: the same choices, the terms a reader and recovery expect."""

import numpy as np
import pandas as pd
import pytest

from spice_lib import WEINHARDT_2024_CONFIG, AgentQ, BanditsDrift, SpiceEstimator, Weinhardt2024RNN
from spice_lib.equation_replay import replay_weinhardt2024
from spice_lib.equations import EquationSet, ModuleEquation, equation_model, model_equations
from spice_lib.parameter_sets import simulate_sessions
from spice_lib.recovery import agent_q_equations, recover_agent_q_parameters
from spice_lib.trace_orientation import mirrored_traces, orient_choice_trace, orient_keeping_terms

CHOSEN, NOT_CHOSEN = "x_value_choice_chosen", "x_value_choice_not_chosen"
# Perseveration with a decaying trace, alternation without memory, a weaker trace that decays faster.
AGENT = dict(alpha_choice=[0.3, 1.0, 0.6], beta_choice=[2.0, -1.0, 0.5], participant_ids=["decays", "alternates", "weak"])


def mirrored_agent_q(agent: AgentQ) -> EquationSet:
    """AgentQ's equations with its choice trace written as 1 - trace under -beta_choice: the chosen arm's
    trace falls, C'[k+1] = (1 - a) C'[k], the others' rise, C'[k+1] = a + (1 - a) C'[k] (fitted as the change
    a - a C'[k])."""
    equations = agent_q_equations(agent)
    alpha = agent.parameters["alpha_choice"]
    modules = dict(equations.modules)
    modules[CHOSEN] = modules[CHOSEN].with_coefficients(np.stack([np.zeros_like(alpha), 1 - alpha], 1))
    modules[NOT_CHOSEN] = modules[NOT_CHOSEN].with_coefficients(np.stack([alpha, -alpha], 1))
    betas = equations.betas | {"x_value_choice": -equations.betas["x_value_choice"]}
    return EquationSet(modules, betas, equations.participant_ids)


def test_a_mirrored_agent_q_trace_is_written_back_as_agent_q_writes_it():
    agent = AgentQ(**AGENT)
    truth, mirrored = agent_q_equations(agent), mirrored_agent_q(agent)
    assert not mirrored_traces(truth).any() and mirrored_traces(mirrored).all()
    oriented, flipped = orient_choice_trace(mirrored)
    assert flipped.all()
    for name in (CHOSEN, NOT_CHOSEN):
        np.testing.assert_allclose(oriented.modules[name].coefficients, truth.modules[name].coefficients, atol=1e-12)
    np.testing.assert_allclose(oriented.betas["x_value_choice"], [2.0, -1.0, 0.5])
    recovered = recover_agent_q_parameters(oriented).set_index("participant")
    np.testing.assert_allclose(recovered["alpha_choice"], [0.3, 1.0, 0.6], atol=1e-9)
    np.testing.assert_allclose(recovered["beta_choice"], [2.0, -1.0, 0.5], atol=1e-9)
    # Equations already in AgentQ's orientation are left as they are.
    same, none = orient_choice_trace(truth)
    assert same is truth and not none.any()


def test_the_mirror_predicts_the_same_choices_where_both_arms_traces_share_a_slope():
    agent = AgentQ(**AGENT, beta_reward=3.0)
    sessions = simulate_sessions(agent, BanditsDrift(0.2), n_trials=60, n_sessions=2, seed=5)
    mirrored = mirrored_agent_q(agent)
    oriented, _ = orient_choice_trace(mirrored)
    np.testing.assert_allclose(replay_weinhardt2024(oriented, sessions.xs), replay_weinhardt2024(mirrored, sessions.xs), atol=1e-12)


def degree_two_trace(chosen_coefficients, not_chosen_coefficients) -> EquationSet:
    """One participant's choice trace in a degree-2 library (1, x, x^2), kept in [0, 1]; betas 1."""
    powers = [[0], [1], [2]]
    modules = {
        CHOSEN: ModuleEquation([CHOSEN], powers, [chosen_coefficients], 0.0, (0.0, 1.0), False, True),
        NOT_CHOSEN: ModuleEquation([NOT_CHOSEN], powers, [not_chosen_coefficients], 0.0, (0.0, 1.0), True, True),
    }
    return EquationSet(modules, {"x_value_reward": [1.0], "x_value_choice": [1.0]}, ["p"])


def test_every_equation_of_a_mirrored_trace_becomes_the_equation_of_one_minus_its_value():
    # A curved trace whose chosen arm falls towards 0.1 and whose other arms rise towards 0.9.
    mirrored = degree_two_trace([0.1, 0.5, 0.2], [0.3, -0.5, 0.1])
    oriented, flipped = orient_choice_trace(mirrored)
    assert flipped.tolist() == [True]
    grid = np.linspace(0.0, 1.0, 11)[:, None]
    for name in (CHOSEN, NOT_CHOSEN):
        before, after = mirrored.modules[name], oriented.modules[name]
        np.testing.assert_allclose(after.evaluate(grid, np.zeros(11, int)), 1 - before.evaluate(1 - grid, np.zeros(11, int)), atol=1e-12)
    assert oriented.betas["x_value_choice"].tolist() == [-1.0]


def test_a_trace_that_cannot_be_mirrored_within_its_range_is_left_alone():
    mirrored = degree_two_trace([0.1, 0.5, 0.2], [0.3, -0.5, 0.1])
    # Bounds that are a guard (the network's range widened), not the activation's: no range to mirror within.
    guarded = EquationSet(
        {name: ModuleEquation(e.variables, e.powers, e.coefficients, e.center, (-0.5, 1.5), e.incremental, False)
         for name, e in mirrored.modules.items()},
        mirrored.betas, mirrored.participant_ids,
    )  # fmt: skip
    assert not mirrored_traces(guarded).any()
    # A library without the constant: the rewrite would need it.
    no_constant = degree_two_trace([0.1, 0.5, 0.2], [0.3, -0.5, 0.1])
    no_constant.modules = {
        name: ModuleEquation(e.variables, [[1], [2]], e.coefficients[:, 1:], e.center, e.bounds, e.incremental, True)
        for name, e in no_constant.modules.items()
    }
    assert not mirrored_traces(no_constant).any()
    # No trace at all (the chosen trace stays where it starts, the others stay as they are).
    assert not mirrored_traces(degree_two_trace([0.0, 0.0, 0.0], [0.0, 0.0, 0.0])).any()


@pytest.mark.parametrize("refit_parameters", ["coefficients", "none"])
def test_distillation_orients_the_proposal_before_its_refit_and_leaves_it_without_one(monkeypatch, refit_parameters):
    # SINDy is stood in for by the mirrored equations of the generating agent; the refit records what it is given.
    agent = AgentQ(alpha_choice=[0.3, 0.3], beta_choice=[2.0, 2.0], beta_reward=3.0, participant_ids=["0", "1"])
    sessions = simulate_sessions(agent, BanditsDrift(0.2), n_trials=50, n_sessions=4, seed=3)
    mirrored = mirrored_agent_q(agent)
    monkeypatch.setattr("spice_lib.estimator.distill", lambda *arguments: mirrored)
    refitted = []
    monkeypatch.setattr("spice_lib.estimator.refit_equation_model", lambda model, *arguments, **settings: refitted.append(model))
    monkeypatch.setattr("spice_lib.estimator.no_worse_than_chance", lambda model, *arguments, **settings: (model, None))
    messages = []
    estimator = SpiceEstimator(Weinhardt2024RNN, WEINHARDT_2024_CONFIG, n_participants=2, participant_ids=["0", "1"],
                               epochs=1, seed=4, refit_parameters=refit_parameters, select_terms=False)  # fmt: skip
    estimator._log = messages.append
    estimator.fit(sessions.xs, sessions.ys)
    found = estimator.equations_
    expected = agent_q_equations(agent) if refit_parameters == "coefficients" else mirrored
    for name in (CHOSEN, NOT_CHOSEN):
        np.testing.assert_allclose(found.modules[name].coefficients, expected.modules[name].coefficients, atol=1e-6)
    np.testing.assert_allclose(found.betas["x_value_choice"], expected.betas["x_value_choice"], atol=1e-6)
    assert len(refitted) == (refit_parameters == "coefficients")
    said = [message for message in messages if "came out mirrored" in message]
    assert said == (["2 participant(s)' choice trace came out mirrored (the chosen arm's trace falls, its beta has the "
                     "other sign): written as AgentQ writes it, the trace rising for the arm chosen."]
                    if refit_parameters == "coefficients" else [])  # fmt: skip


def test_without_term_selection_a_trace_the_refit_leaves_mirrored_is_oriented_after_it(monkeypatch):
    # The proposal's orientation is stood in for by nothing, so the (stand-in, unchanging) refit of the
    # coefficients hands on the mirrored trace, as a refit can from a trace too weak to orient before.
    agent = AgentQ(alpha_choice=[0.3, 0.3], beta_choice=[2.0, 2.0], beta_reward=3.0, participant_ids=["0", "1"])
    sessions = simulate_sessions(agent, BanditsDrift(0.2), n_trials=50, n_sessions=4, seed=3)
    monkeypatch.setattr("spice_lib.estimator.distill", lambda *arguments: mirrored_agent_q(agent))
    monkeypatch.setattr("spice_lib.estimator.orient_choice_trace", lambda equations: (equations, np.zeros(2, bool)))
    for where in ("spice_lib.estimator", "spice_lib.refit"):
        monkeypatch.setattr(f"{where}.refit_equation_model", lambda *arguments, **settings: None)
    monkeypatch.setattr("spice_lib.estimator.no_worse_than_chance", lambda model, *arguments, **settings: (model, None))
    estimator = SpiceEstimator(Weinhardt2024RNN, WEINHARDT_2024_CONFIG, n_participants=2, participant_ids=["0", "1"],
                               epochs=1, seed=4, select_terms=False, verbose=False)  # fmt: skip
    estimator.fit(sessions.xs, sessions.ys)
    truth = agent_q_equations(agent)
    for name in (CHOSEN, NOT_CHOSEN):
        np.testing.assert_allclose(estimator.equations_.modules[name].coefficients, truth.modules[name].coefficients, atol=1e-12)
    np.testing.assert_allclose(estimator.equations_.betas["x_value_choice"], [2.0, 2.0])


def test_a_trace_that_term_selection_leaves_mirrored_is_oriented_and_searched_again_for_those_participants(monkeypatch):
    # The proposal is AgentQ's; the stand-in term selection mirrors participant 1's trace on its first call
    # (as a refit can, from a trace too weak to orient) and selects nothing after that.
    agent = AgentQ(alpha_choice=[0.3, 0.6, 1.0], beta_choice=[2.0, 1.0, -1.0], beta_reward=3.0, participant_ids=["0", "1", "2"])
    sessions = simulate_sessions(agent, BanditsDrift(0.2), n_trials=50, n_sessions=3, seed=3)
    truth = agent_q_equations(agent)
    monkeypatch.setattr("spice_lib.estimator.distill", lambda *arguments: truth)
    for where in ("spice_lib.estimator", "spice_lib.refit"):
        monkeypatch.setattr(f"{where}.refit_equation_model", lambda *arguments, **settings: None)
    monkeypatch.setattr("spice_lib.estimator.no_worse_than_chance", lambda model, *arguments, **settings: (model, None))
    searched = []

    def select_terms(model, xs, ys, **settings):
        equations = model_equations(model)
        searched.append((list(equations.participant_ids), int(xs[:, 0, -1].max()) + 1))
        # The first search ends mirrored for participant 1; with mirror_again, so does the second.
        if len(searched) == 1 or (mirror_again and equations.participant_ids == ["1"]):
            row = equations.participant_ids.index("1")
            equations = equations.with_rows([row], mirrored_agent_q(agent).subset([1]))
        return equation_model(model, equations), pd.DataFrame({"participant": equations.participant_ids[:1]})

    monkeypatch.setattr("spice_lib.term_selection.select_terms", select_terms)
    for mirror_again in (False, True):
        searched.clear()
        messages = []
        estimator = SpiceEstimator(Weinhardt2024RNN, WEINHARDT_2024_CONFIG, n_participants=3, participant_ids=["0", "1", "2"],
                                   epochs=1, seed=4)  # fmt: skip
        estimator._log = messages.append
        estimator.fit(sessions.xs, sessions.ys)
        # The second search sees participant 1 alone, numbered 0 in sessions of its own.
        assert searched == [(["0", "1", "2"], 3), (["1"], 1)]
        # Where it ends mirrored again, the rewrite is what stays: the equations are AgentQ's either way.
        for name in (CHOSEN, NOT_CHOSEN):
            np.testing.assert_allclose(estimator.equations_.modules[name].coefficients, truth.modules[name].coefficients, atol=1e-12)
        np.testing.assert_allclose(estimator.equations_.betas["x_value_choice"], [2.0, 1.0, -1.0])
        assert estimator.term_switches_["participant"].tolist() == ["0", "1"]
        assert sum("choice trace ended mirrored (the mirror image can be a term cheaper)" in m for m in messages) == mirror_again


def test_a_reset_trace_that_selection_leaves_mirrored_gets_agent_q_terms_and_its_numbers():
    # AgentQ's trace without memory (set to 1 for the arm chosen, reset to 0 for the others) in the mirror's
    # cheaper form: the chosen arm's equation without terms (0), the others' raised by 0.5 a trial, kept in
    # [0, 1], beta of the other sign. The rewrite gives AgentQ's terms; the refit on the choices, its numbers.
    agent = AgentQ(alpha_choice=1.0, beta_choice=2.0, beta_reward=3.0)
    sessions = simulate_sessions(agent, BanditsDrift(0.2), n_trials=100, n_sessions=8, seed=11)
    truth = agent_q_equations(agent)
    modules = dict(truth.modules)
    modules[CHOSEN] = modules[CHOSEN].with_coefficients([[0.0, 0.0]])
    modules[NOT_CHOSEN] = modules[NOT_CHOSEN].with_coefficients([[0.5, 0.0]])
    cheaper = EquationSet(modules, truth.betas | {"x_value_choice": np.array([-2.0])}, truth.participant_ids)
    assert mirrored_traces(cheaper).tolist() == [True]
    template = Weinhardt2024RNN(n_actions=2, n_participants=1)
    messages = []
    model, flipped = orient_keeping_terms(equation_model(template, cheaper), sessions.xs, sessions.ys, log=messages.append)
    found = model_equations(model)
    assert flipped.tolist() == [True] and len(messages) == 1 and not mirrored_traces(found).any()
    # AgentQ's terms: a constant for the arm chosen, a step down for the others (as fitted: the change).
    assert (found.modules[CHOSEN].coefficients != 0).tolist() == [[True, False]]
    assert (found.modules[NOT_CHOSEN].coefficients != 0).tolist() == [[True, False]]
    recovered = recover_agent_q_parameters(found).iloc[0]
    assert recovered["alpha_choice"] == pytest.approx(1.0, abs=0.02)
    assert recovered["beta_choice"] == pytest.approx(2.0, rel=0.25)
