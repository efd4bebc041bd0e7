"""A run's model comparison: SPICE's equations and network beside the classic models, a plain GRU and (for
simulated data) the true agent, all scored on the same held-out trials (README, "Your own data").

The reference for paired differences is the best classic model: the one with the lowest pooled held-out NLL.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spice_lib.agents import AgentQ
from spice_lib.evaluation import ScoredModel, compare_models, paired_differences
from spice_lib.mle import CLASSIC_MODELS, classic_agent


def run_models(estimator, classic_fits: pd.DataFrame, gru, training, held_out, truth=None) -> list[ScoredModel]:
    """The models of one run with their predictions on `training` and `held_out` (DatasetRNN).

    estimator: fitted and distilled SpiceEstimator; classic_fits: `mle.fit_classic_models` on the training
    trials; gru: a fitted GRUBaseline; truth: the truth table of simulated participants, or None.
    """
    ids = list(training.participant_ids)
    rnn_train, spice_train = estimator.predict(training.xs)
    rnn_test, spice_test = estimator.predict(held_out.xs)
    equations = estimator.equations_
    spice_counts = np.array([equations.n_parameters(p) for p in range(equations.n_participants)], dtype=float)
    models = [
        ScoredModel("spice", spice_test, spice_train, int(spice_counts.sum()), spice_counts),
        ScoredModel("rnn", rnn_test, rnn_train, estimator.rnn_.count_parameters()),
        ScoredModel("gru", gru.predict(held_out.xs), gru.predict(training.xs), gru.count_parameters()),
    ]
    for classic in CLASSIC_MODELS:
        agent = classic_agent(classic_fits, classic.name, training.n_actions)
        counts = np.full(len(ids), float(len(classic.free)))
        models.append(
            ScoredModel(classic.name, agent.predict(held_out.xs), agent.predict(training.xs), int(counts.sum()), counts)
        )
    if truth is not None:
        agent = AgentQ.from_parameter_table(truth, training.n_actions)
        counts = np.array(
            [AgentQ.from_parameter_table(truth.iloc[[i]], training.n_actions).active_parameter_count() for i in range(len(truth))],
            dtype=float,
        )
        models.append(ScoredModel("truth", agent.predict(held_out.xs), agent.predict(training.xs), int(counts.sum()), counts))
    return models


def compare_run(models: list[ScoredModel], training, held_out, n_bootstrap: int = 2000, seed: int = 0):
    """Scores of every model (`evaluation.compare_models`), the pooled table joined with each model's paired
    difference to the best classic model (`evaluation.paired_differences`). Returns (by_participant, pooled)."""
    by_participant, pooled = compare_models(models, held_out, training)
    classic = pooled[pooled["model"].isin([m.name for m in CLASSIC_MODELS])]
    reference = classic.loc[classic["nll"].idxmin(), "model"]
    differences = paired_differences(by_participant, reference, n_bootstrap=n_bootstrap, seed=seed)
    return by_participant, pooled.merge(differences, on="model", how="left")
