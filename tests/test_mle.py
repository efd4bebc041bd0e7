"""The simulator and AgentQ's likelihood agree: maximum likelihood recovers the generating parameters."""

from spice_lib import AgentQ, BanditsDrift, create_dataset
from spice_lib.mle import fit_agent_q

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
