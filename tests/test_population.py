"""Sharing strength: the population's structure by integrated BIC and an empirical-Bayes refit."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch

from spice_lib import WEINHARDT_2024_CONFIG, AgentQ, BanditsDrift, SpiceEstimator, Weinhardt2024RNN, population
from spice_lib.equations import EquationSet, equation_model, model_equations
from spice_lib.parameter_sets import simulate_sessions
from spice_lib.participant_numbers import ParticipantNumbers
from spice_lib.population import (
    PopulationFit,
    _new_terms_started,
    _removal_cost,
    choose_structure,
    orient_population,
    share_strength,
)
from spice_lib.recovery import agent_q_equations, recover_agent_q_parameters
from spice_lib.refit import refit_equation_model
from spice_lib.term_selection import current_support
from spice_lib.trace_orientation import mirrored_traces
from spice_lib.xs_layout import has_next_choice

N = 12
# Learning rates spread over the population, everything else shared; a choice trace that decays.
AGENT = AgentQ(
    alpha_reward=np.linspace(0.2, 0.7, N), forget_rate=0.2, beta_reward=4.0, alpha_choice=0.5, beta_choice=1.0,
    participant_ids=[f"p{i}" for i in range(N)],
)  # fmt: skip
QUIET = dict(log=lambda _: None)


@pytest.fixture(scope="module")
def sessions_and_rnn():
    """Little data a participant (one session of 80 trials) and an RNN to host the equations."""
    sessions = simulate_sessions(AGENT, BanditsDrift(0.2), n_trials=80, n_sessions=1, seed=5)
    rnn = SpiceEstimator(Weinhardt2024RNN, WEINHARDT_2024_CONFIG, n_participants=N, epochs=1, seed=0, verbose=False)
    return sessions, rnn.train(sessions.xs, sessions.ys).rnn_


def structure_of(support):
    return {name: terms[0].copy() for name, terms in support.items()}


def test_shrinking_towards_the_population_recovers_shared_parameters_better_than_each_participant_alone(
    sessions_and_rnn,
):
    sessions, rnn = sessions_and_rnn
    alone = equation_model(rnn, agent_q_equations(AGENT))
    refit_equation_model(alone, sessions.xs, sessions.ys, "coefficients", **QUIET)
    shared = share_strength(
        alone, sessions.xs, sessions.ys, structure_of(current_support(alone)), max_rounds=10, **QUIET
    )

    def rmse(model, parameter):
        recovered = recover_agent_q_parameters(model_equations(model))[parameter]
        return float(np.sqrt(np.mean((recovered - AGENT.parameters[parameter]) ** 2)))

    # forget_rate is the same for everyone: 80 trials each leave it loose, the population pins it down
    assert rmse(shared.model, "forget_rate") < 0.6 * rmse(alone, "forget_rate")
    # the learning rates differ between participants: pulled towards the population, yet no worse
    assert rmse(shared.model, "alpha_reward") <= rmse(alone, "alpha_reward")
    prior = shared.prior.set_index(["module", "term"])
    # the population's learning rate (alpha_penalty = alpha_reward here) and beta are the truth's
    assert abs(prior.loc[("x_learning_rate_reward", "1"), "mean"] - AGENT.parameters["alpha_reward"].mean()) < 0.1
    assert abs(prior.loc[("beta", "x_value_reward"), "mean"] - 4.0) < 1.5
    assert np.isfinite(shared.integrated_bic)


def test_the_population_takes_a_term_a_minority_chose_and_drops_one_a_majority_invented(sessions_and_rnn):
    sessions, rnn = sessions_and_rnn
    truth = agent_q_equations(AGENT)
    support = {name: (e.coefficients != 0).astype(float) for name, e in truth.modules.items()}
    support["x_learning_rate_reward"][4:, 0] = 0.0  # a learning rate at all: only 4 of 12 keep it
    support["x_learning_rate_reward"][:8, 1] = 1.0  # a learning rate that depends on itself: 8 of 12 invent it
    model = equation_model(rnn, truth, support)
    refit_equation_model(model, sessions.xs, sessions.ys, "coefficients", **QUIET)
    fit, steps = choose_structure(model, sessions.xs, sessions.ys, **QUIET)
    rate = structure_of(current_support(fit.model))["x_learning_rate_reward"]
    np.testing.assert_array_equal(rate, [1.0, 0.0, 0.0, 0.0])  # the constant, nothing else
    kept = steps[steps["kept"]]
    assert ("add", "x_learning_rate_reward", "1") in {(s.change, s.module, s.term) for s in kept.itertuples()}
    # The invented term, in the start's structure (a majority chose it), left by a removal or in a swap.
    invented = "x_learning_rate_reward: x_learning_rate_reward[k]"
    dropped = kept[(kept["module"] + ": " + kept["term"]).eq(invented) & kept["change"].eq("remove") | kept["removed"].eq(invented)]
    assert len(dropped) >= 1
    assert (np.diff(kept["integrated_bic"]) < 0).all()
    for terms in current_support(fit.model).values():  # every participant has the same terms
        assert (terms == terms[0]).all()
    recovered = recover_agent_q_parameters(model_equations(fit.model))["alpha_reward"]
    assert np.corrcoef(recovered, AGENT.parameters["alpha_reward"])[0, 1] > 0.5


def test_a_term_that_a_few_chose_with_a_drastic_value_is_tried_from_zero_too(sessions_and_rnn):
    # Two of 12 participants forget towards a value far below the others (a constant drift of about -1 a
    # trial, to the bound -0.5). Started there for everyone, the population's fit stays where the bound
    # takes the gradient away: its integrated BIC was 113 above the structure without the term. From 0
    # the fit starts where that structure's ended, and the one number more costs about 2 ln(960) = 14.
    sessions, rnn = sessions_and_rnn
    truth = agent_q_equations(AGENT)
    forget = truth.modules["x_value_reward_not_chosen"]
    coefficients = forget.coefficients.copy()
    coefficients[:2, forget.term_names.index("1")] = -0.9
    drifting = dataclasses.replace(forget, coefficients=coefficients, bounds=(-0.5, 1.5))
    equations = EquationSet({**truth.modules, "x_value_reward_not_chosen": drifting}, truth.betas, truth.participant_ids)
    model = equation_model(rnn, equations, {name: (e.coefficients != 0).astype(float) for name, e in equations.modules.items()})
    refit_equation_model(model, sessions.xs, sessions.ys, "coefficients", **QUIET)

    _, steps = choose_structure(model, sessions.xs, sessions.ys, **QUIET)

    start = steps.loc[steps["change"] == "start", "integrated_bic"].item()
    added = steps[(steps["change"] == "add") & (steps["module"] == "x_value_reward_not_chosen") & (steps["term"] == "1")]
    assert added["integrated_bic"].iloc[0] - start < 50  # its first try (a later pass can try it again)


def test_a_study_too_small_for_a_population_keeps_its_own_equations_and_says_so(small_dataset):
    estimator = SpiceEstimator(
        Weinhardt2024RNN, WEINHARDT_2024_CONFIG, epochs=2, seed=0, verbose=False, share_strength=True,
        select_terms=False,  # not what this test is about, and slow on a network trained for 2 epochs
    )
    messages = []
    estimator.fit(small_dataset.xs, small_dataset.ys)
    estimator.verbose, estimator._log = True, messages.append  # a verbose estimator's lines, caught
    estimator.distill(small_dataset.xs, small_dataset.ys)
    assert estimator.population_prior_ is None
    assert any("needs 5 participants or more" in message for message in messages)


def test_a_term_new_to_a_participant_starts_at_the_mean_of_those_who_have_it():
    # Started at 0, a learning rate and the beta that weighs the values it moves sit at a saddle; on the
    # Sugawara data the population's quick fits stayed there and dropped reward learning altogether.
    equations = agent_q_equations(AGENT)
    support = {name: (e.coefficients != 0).astype(float) for name, e in equations.modules.items()}
    rate, constant = equations.modules["x_learning_rate_reward"], 0
    lacking = np.arange(3, N)
    rate.coefficients[lacking, constant] = 0.0
    support["x_learning_rate_reward"][lacking, constant] = 0.0
    structure = {name: np.ones_like(terms) for name, terms in support.items()}  # every term for everyone
    started = _new_terms_started(equations, support, equations, support, structure)
    new_rate = started.modules["x_learning_rate_reward"].coefficients
    np.testing.assert_allclose(new_rate[lacking, constant], rate.coefficients[:3, constant].mean())
    np.testing.assert_array_equal(new_rate[:3], rate.coefficients[:3])  # those who had it keep their own
    np.testing.assert_array_equal(new_rate[:, 1:], 0.0)  # a term no participant has starts at 0
    for name, equation in started.modules.items():  # terms a participant had are untouched
        had = support[name] > 0
        np.testing.assert_array_equal(equation.coefficients[had], equations.modules[name].coefficients[had])


def test_every_participant_ends_at_their_posterior_mode_under_the_population_prior(sessions_and_rnn):
    # The chosen trace's memory started at 0 for everyone, where the truth has 0.5: two Newton steps an EM
    # round left the participants short of their posterior modes, and the prior's estimate and the integrated
    # BIC with them (on the default study's population, the generating structure's 2,091 above its own from
    # the truth).
    sessions, rnn = sessions_and_rnn
    truth = agent_q_equations(AGENT)
    support = {name: (e.coefficients != 0).astype(float) for name, e in truth.modules.items()}
    trace = truth.modules["x_value_choice_chosen"]
    memory = trace.term_names.index("x_value_choice_chosen[k]")
    trace.coefficients[:, memory] = 0.0
    model = equation_model(rnn, truth, support)
    fit = share_strength(model, sessions.xs, sessions.ys, structure_of(support), **QUIET)

    numbers = ParticipantNumbers(fit.model, sessions.xs, sessions.ys)
    mean = torch.tensor(fit.prior["mean"].to_numpy())  # a copy: pandas hands out a read-only view
    precision = torch.tensor(fit.prior["sd"].to_numpy()) ** -2

    def posterior_objective():
        return numbers.nll() + 0.5 * (precision * (numbers.values() - mean) ** 2).sum(1)

    before = posterior_objective()
    numbers.newton(mean, precision, steps=20)
    # nats: no participant can still improve by more than the Newton steps' stopping rule leaves (a step that
    # promises less than NEWTON_TOLERANCE ends them; along a flat direction a few such steps add up to a
    # few hundredths). Two steps an EM round left participants whole nats short.
    assert float((before - posterior_objective()).max()) < 0.05


def test_a_structure_fitted_from_the_fit_it_changes_starts_where_that_fit_ended(sessions_and_rnn):
    # A structure with one term more contains the one without it (the term at 0 for everyone, its spread
    # at nothing): fitted from that fit, it can score at most one number's 2 ln n above it. Each fit used
    # to restart every participant's numbers by maximum likelihood, and on the Sugawara example the
    # structure with a learning rate and a choice trace stopped 417 above the trace alone.
    sessions, rnn = sessions_and_rnn
    truth = agent_q_equations(AGENT)
    support = {name: (e.coefficients != 0).astype(float) for name, e in truth.modules.items()}
    structure = structure_of(support)
    fit = share_strength(equation_model(rnn, truth, support), sessions.xs, sessions.ys, structure, **QUIET)
    one_number = 2 * np.log(float(has_next_choice(sessions.ys).sum()))

    again = share_strength(fit.model, sessions.xs, sessions.ys, structure, start=fit, **QUIET)
    assert abs(again.integrated_bic - fit.integrated_bic) < 1.0
    # The means stay; the spreads can go on shrinking (EM moves them slowly where the score is flat).
    np.testing.assert_allclose(again.prior["mean"], fit.prior["mean"], atol=0.05)

    # A learning rate that depends on itself: none of the agents has one.
    lr = "x_learning_rate_reward"
    larger = {name: terms.copy() for name, terms in structure.items()}
    larger[lr][truth.modules[lr].term_names.index(f"{lr}[k]")] = 1.0
    added = population._try_both_starts(fit.model, fit, sessions.xs, sessions.ys, larger)
    # Within what EM's stopping rule leaves (a round that gains less than EVIDENCE_TOLERANCE ends it, while
    # the spreads go on shrinking): here 2.5 above the bound, on the example 417.
    slack = 5.0
    assert added.integrated_bic < fit.integrated_bic + one_number + slack
    removed = share_strength(added.model, sessions.xs, sessions.ys, structure, start=added, **QUIET)
    assert removed.integrated_bic > added.integrated_bic - one_number - slack


def test_the_removal_cost_is_what_pinning_a_number_at_0_costs_under_a_normal_posterior():
    # Under a normal posterior the estimate is exact: the minimum of 1/2 (theta - mode)' P (theta - mode)
    # with theta_j = 0 and every other number free. The diagonal of P instead would ignore that the others
    # make up for it, and overstate what correlated numbers cost.
    generator = torch.Generator().manual_seed(0)
    n_participants, n_numbers = 4, 3
    factors = torch.randn(n_participants, n_numbers, n_numbers, generator=generator, dtype=torch.float64)
    precision = factors @ factors.transpose(1, 2) + 0.1 * torch.eye(n_numbers, dtype=torch.float64)
    mode = torch.randn(n_participants, n_numbers, generator=generator, dtype=torch.float64)

    exact = np.zeros(n_numbers)
    for j in range(n_numbers):
        free = [k for k in range(n_numbers) if k != j]
        for p in range(n_participants):
            # theta_j = 0, the others at their conditional optimum: solve P_ff d_f = -P_fj (0 - mode_j)
            shift = torch.zeros(n_numbers, dtype=torch.float64)
            shift[j] = -mode[p, j]
            shift[free] = torch.linalg.solve(precision[p][free][:, free], -precision[p][free, j] * shift[j])
            exact[j] += float(0.5 * shift @ precision[p] @ shift)

    np.testing.assert_allclose(_removal_cost(mode, torch.linalg.inv(precision)), exact, rtol=1e-10)


MEMORY = ("x_value_choice_chosen", "x_value_choice_chosen[k]")  # the chosen trace's memory


def search_scored_by_hand(rnn, sessions, monkeypatch, majority_term, explains, removal_cost=lambda term: 40.0):
    """choose_structure with every structure scored by hand instead of fitted: the generating agents' terms
    (`generating`) with a majority's vote for `majority_term` (module, term) and only 3 of 12 voting for the
    chosen trace's memory. A structure with terms T scores 1000 + 10 |T| - 100 x its generating terms other
    than the memory - explains(T). Returns the search's (fit, steps) and `generating`."""
    truth = agent_q_equations(AGENT)
    support = {name: (e.coefficients != 0).astype(float) for name, e in truth.modules.items()}
    names = {name: e.term_names for name, e in truth.modules.items()}
    generating = {(name, names[name][term]) for name, values in support.items() for term in np.flatnonzero(values[0])}
    support[majority_term[0]][:8, names[majority_term[0]].index(majority_term[1])] = 1.0
    support[MEMORY[0]][3:, names[MEMORY[0]].index(MEMORY[1])] = 0.0
    votes = equation_model(rnn, truth, support)

    def scored(structure):
        terms = {(name, names[name][term]) for name, values in structure.items() for term in np.flatnonzero(values)}
        prior = pd.DataFrame([{"module": name, "term": term, "mean": 0.1, "sd": 0.1} for name, term in sorted(terms)])
        bic = 1000.0 + 10.0 * len(terms) - 100.0 * len(terms & generating - {MEMORY}) - explains(terms)
        costs = np.array([removal_cost(term) for term in zip(prior["module"], prior["term"])])
        return PopulationFit(votes, prior, bic, 1, costs, information=np.ones(len(prior)))

    monkeypatch.setattr(population, "share_strength", lambda model, xs, ys, structure, **_: scored(structure))
    return choose_structure(votes, sessions.xs, sessions.ys, **QUIET), generating


def test_a_mimic_that_no_single_switch_can_trade_for_the_mechanism_is_swapped_out(sessions_and_rnn, monkeypatch):
    # As on the default study's population: a majority chose forgetting towards a value (the mimic), a few
    # the chosen trace's memory (the mechanism). Either explains the choices, the memory better; both
    # together gain nothing over one, so adding the memory beside the mimic is not kept, and removing the
    # mimic alone loses what it explained. Only the swap gets there.
    sessions, rnn = sessions_and_rnn
    mimic = ("x_value_reward_not_chosen", "1")
    (fit, steps), generating = search_scored_by_hand(
        rnn, sessions, monkeypatch, mimic,
        explains=lambda terms: 60.0 if MEMORY in terms else 50.0 if mimic in terms else 0.0,
        removal_cost=lambda term: 5.0 if term == mimic else 40.0,
    )  # fmt: skip

    swaps = steps[steps["change"] == "swap"]
    assert swaps[["module", "term", "removed", "kept"]].values.tolist() == [
        ["x_value_choice_chosen", "x_value_choice_chosen[k]", "x_value_reward_not_chosen: 1", True]
    ]
    assert steps.loc[(steps["change"] == "add") & (steps["term"] == MEMORY[1]), "kept"].tolist() == [False]
    assert set(zip(fit.prior["module"], fit.prior["term"])) == generating
    start = steps.loc[steps["change"] == "start", "integrated_bic"].item()
    assert fit.integrated_bic == start - 10.0  # the memory explains 10 more than the mimic


def test_a_term_that_did_not_pay_beside_another_is_added_once_a_removal_took_that_one_out(
    sessions_and_rnn, monkeypatch
):
    # A majority chose a term the agents lack (a learning rate that depends on itself) that explains less
    # than it costs; beside it, the chosen trace's memory explains too little to pay. The first pass tries
    # the memory before it removes the invented term; the second adds the memory.
    sessions, rnn = sessions_and_rnn
    invented = ("x_learning_rate_reward", "x_learning_rate_reward[k]")

    def explains(terms):
        memory = (5.0 if invented in terms else 15.0) if MEMORY in terms else 0.0
        return memory + (8.0 if invented in terms else 0.0)

    (fit, steps), generating = search_scored_by_hand(rnn, sessions, monkeypatch, invented, explains)

    memory_added = steps[(steps["change"] == "add") & (steps["term"] == MEMORY[1])]
    assert memory_added["kept"].tolist() == [False, True]
    assert set(zip(fit.prior["module"], fit.prior["term"])) == generating


def test_a_population_fitted_in_the_mirror_of_agent_q_trace_is_written_as_agent_q_writes_it():
    # Perseveration without memory, the population's structure in the mirror's cheaper form (where its
    # search can end): the chosen arm's trace reset to 0 (its equation without terms), the others' raised to
    # the bound 1, beta of the other sign. Written in AgentQ's orientation, it has AgentQ's terms and numbers.
    agent = AgentQ(
        alpha_reward=np.linspace(0.3, 0.6, N), beta_reward=3.0, alpha_choice=1.0, beta_choice=2.0,
        participant_ids=[f"p{i}" for i in range(N)],
    )  # fmt: skip
    sessions = simulate_sessions(agent, BanditsDrift(0.2), n_trials=120, n_sessions=1, seed=7)
    truth = agent_q_equations(agent)
    chosen, not_chosen = "x_value_choice_chosen", "x_value_choice_not_chosen"
    modules = dict(truth.modules)
    modules[chosen] = modules[chosen].with_coefficients(np.zeros((N, 2)))
    modules[not_chosen] = modules[not_chosen].with_coefficients(np.tile([1.0, 0.0], (N, 1)))
    cheaper = EquationSet(modules, truth.betas | {"x_value_choice": -truth.betas["x_value_choice"]}, truth.participant_ids)
    assert mirrored_traces(cheaper).all()
    mirror = equation_model(Weinhardt2024RNN(n_actions=2, n_participants=N), cheaper)
    fit = share_strength(mirror, sessions.xs, sessions.ys, structure_of(current_support(mirror)), max_rounds=10, **QUIET)
    messages = []

    oriented = orient_population(fit, sessions.xs, sessions.ys, log=messages.append)

    found = model_equations(oriented.model)
    assert not mirrored_traces(found).any() and any("written as AgentQ writes it for 12" in m for m in messages)
    # AgentQ's terms: the chosen arm's trace set to a constant, the others' stepped down (fitted as the change)
    prior = set(zip(oriented.prior["module"], oriented.prior["term"]))
    assert {(chosen, "1"), (not_chosen, "1")} <= prior
    assert not {(chosen, f"{chosen}[k]"), (not_chosen, f"{not_chosen}[k]")} & prior
    recovered = recover_agent_q_parameters(found)
    np.testing.assert_allclose(recovered["alpha_choice"], 1.0, atol=0.05)
    assert recovered["beta_choice"].mean() == pytest.approx(2.0, rel=0.3)
    # The same choices (but for the first trials): the rewrite costs at most the number it adds (a mean and
    # a spread).
    assert oriented.integrated_bic - fit.integrated_bic < 2 * 2 * np.log(N * 119)
    # A population in AgentQ's orientation is left as it is.
    assert orient_population(oriented, sessions.xs, sessions.ys, **QUIET) is oriented
