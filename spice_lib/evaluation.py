"""Scores of a model's choice predictions: NLL per trial, normalized likelihood and BIC.

Every score counts the trials that have a next choice (ys not -1), for models and the true agent alike.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch

from spice_lib.xs_layout import has_next_choice


def _targets(ys) -> tuple[np.ndarray, np.ndarray]:
    ys = ys.detach().cpu().numpy() if isinstance(ys, torch.Tensor) else np.asarray(ys)
    return has_next_choice(ys), ys.argmax(-1)


def choice_log_likelihoods(probabilities: np.ndarray, ys) -> np.ndarray:
    """Log-probability of every next choice that exists (1-D, in session-major order).

    probabilities: (sessions, trials, n_actions) from a model's `predict`, aligned with ys.
    """
    mask, targets = _targets(ys)
    chosen = np.take_along_axis(np.asarray(probabilities), targets[..., None], -1)[..., 0]
    return np.log(np.clip(chosen[mask], 1e-300, None))


def choice_nll(probabilities: np.ndarray, ys) -> float:
    """Mean negative log-likelihood per predicted trial."""
    return float(-choice_log_likelihoods(probabilities, ys).mean())


def scores(probabilities: np.ndarray, ys, n_parameters: int) -> dict[str, float]:
    """nll (per trial), normalized_likelihood = exp(-nll), bic = 2 NLL_total + k ln(n), n_trials, n_parameters."""
    log_likelihoods = choice_log_likelihoods(probabilities, ys)
    n_trials = len(log_likelihoods)
    nll = float(-log_likelihoods.mean())
    return {
        "nll": nll,
        "normalized_likelihood": math.exp(-nll),
        "bic": 2 * nll * n_trials + n_parameters * math.log(n_trials),
        "n_trials": n_trials,
        "n_parameters": int(n_parameters),
    }


def score_models(estimator, agent, data) -> pd.DataFrame:
    """Scores (see `scores`) of the RNN, the equations and the true agent on `data` (a DatasetRNN).

    estimator: a fitted SpiceEstimator; agent: the true participants (AgentQ). Parameter counts: the RNN's
    trainable weights; the equations' non-zero coefficients plus betas over all participants; the true
    agent's active parameters (`AgentQ.active_parameter_count`).
    """
    rnn, spice = estimator.predict(data.xs)
    equations = estimator.equations_
    counts = {
        "rnn": estimator.rnn_.count_parameters(),
        "spice": sum(equations.n_parameters(p) for p in range(equations.n_participants)),
        "truth": agent.active_parameter_count(),
    }
    probabilities = {"rnn": rnn, "spice": spice, "truth": agent.predict(data.xs)}
    return pd.DataFrame([{"model": name, **scores(probabilities[name], data.ys, counts[name])} for name in counts])


def agent_nll(agent, data) -> float:
    """NLL per trial of an agent (anything with `predict(xs)`) replaying the sessions of `data`."""
    return choice_nll(agent.predict(data.xs), data.ys)
