"""The simulator and AgentQ's likelihood agree: maximum likelihood recovers the generating parameters, for the
full AgentQ and for each classic model of the comparison."""

import numpy as np
import pandas as pd
import pytest

from spice_lib import AgentQ, BanditsDrift, create_dataset
from spice_lib.evaluation import choice_log_likelihoods
from spice_lib.mle import classic_agent, fit_agent_q, fit_classic_models
from spice_lib.parameter_sets import simulate_sessions

TRUE = dict(alpha_reward=0.3, forget_rate=0.2, beta_reward=3.0, alpha_choice=0.6, beta_choice=1.0)
# About three standard deviations of each estimate at 200 sessions x 100 trials, measured over 12 simulated
# data sets (seeds 100-111): 0.012, 0.016, 0.10, 0.019 and 0.029.
TOLERANCE = dict(alpha_reward=0.04, forget_rate=0.05, beta_reward=0.35, alpha_choice=0.06, beta_choice=0.1)


def test_maximum_likelihood_recovers_agent_q_parameters():
    dataset, _, _ = create_dataset(AgentQ(**TRUE), BanditsDrift(0.2), n_trials=100, n_sessions=200, seed=11)
    fitted = fit_agent_q(dataset.xs, dataset.ys).iloc[0]
    for name, value in TRUE.items():
        assert abs(fitted[name] - value) <= TOLERANCE[name], (name, fitted[name])
    true_nll = fit_agent_q(dataset.xs, dataset.ys, free=(), fixed=TRUE).iloc[0]["nll"]
    assert fitted["nll"] <= true_nll  # the optimum is at least as good as the truth


def test_each_classic_model_recovers_its_parameters_on_data_it_simulated():
    # Three participants per model, 40 sessions x 100 trials each. Tolerances: three times the largest
    # standard deviation of the estimates over seeds 0-4 of this simulation (rates 0.023, beta_reward 0.22).
    participants = dict(alpha_reward=[0.2, 0.4, 0.7], beta_reward=[2.0, 4.0, 6.0])
    cases = {
        "rescorla_wagner": participants,
        "rescorla_wagner_forgetting": dict(participants, forget_rate=[0.05, 0.2, 0.4]),
    }
    for name, true in cases.items():
        agent = AgentQ(participant_ids=["p", "q", "r"], **true)
        sessions = simulate_sessions(agent, BanditsDrift(0.2), n_trials=100, n_sessions=40, seed=3)
        fits = fit_classic_models(sessions.xs, sessions.ys, sessions.participant_ids)
        mine = fits[fits.model == name].reset_index(drop=True)
        assert list(mine.participant) == ["p", "q", "r"] and mine.converged.all()
        assert (mine.n_parameters == len(true)).all()
        for parameter, values in true.items():
            tolerance = 0.65 if parameter == "beta_reward" else 0.07
            assert np.abs(mine[parameter].to_numpy() - values).max() <= tolerance, (name, parameter, mine[parameter])
        assert (mine.alpha_penalty == mine.alpha_reward).all()  # no asymmetry in these models
        assert (mine.beta_choice == 0).all()
        # the nested models fit no better than the full one, and the reported NLL is the agent's own
        full = fits[fits.model == "agent_q"].reset_index(drop=True)
        assert (full.nll <= mine.nll + 1e-6).all()
        replay = classic_agent(fits, name, 2).predict(sessions.xs)
        per_participant = [-choice_log_likelihoods(replay[sessions.participant_index == i], sessions.ys[sessions.participant_index == i]).mean() for i in range(3)]
        assert np.allclose(per_participant, mine.nll, atol=1e-9)


def test_classic_agent_names_a_model_that_was_not_fitted():
    fits = pd.DataFrame({"model": ["rescorla_wagner"], "participant": ["p"]})
    with pytest.raises(ValueError, match="no fits of model 'agent_q'"):
        classic_agent(fits, "agent_q", 2)
