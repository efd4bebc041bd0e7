"""Choosing a network's weight decay by how well it predicts choices it was not trained on (README, "Your own
data").

How hard a network may bend to its training choices decides whether it learns the participants or
memorises them: with ~150 trials a participant (the Sugawara data, docs/validation.md
section 6) the default weight decay lets the network overfit, so that its held-out predictions lose to
Rescorla-Wagner's. Which strength suits a data set is measured, not guessed: the training trials are split
again by the held-out split's own rule (`split.split_trials`: whole sessions for a participant with two or
more, the last trials of a single session), each candidate is trained on the rest and scored on those, and
the candidate with the lowest NLL per trial wins. The caller then trains on all training trials with it.
The held-out trials of the study's own split are never seen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from spice_lib.dataset import dataset_from_trials
from spice_lib.evaluation import choice_nll
from spice_lib.gru_baseline import fit_gru
from spice_lib.split import held_out_table, split_trials, training_table
from spice_lib.trials_io import read_trials

# The share of a run's training trials held out to score each candidate (the workflow's default too).
WEIGHT_DECAY_HOLDOUT = 0.2

# Fits a network with the given weight decay to (xs, ys) and returns its choice probabilities for xs' sessions.
FitCandidate = Callable[[float, object, object], Callable[[object], np.ndarray]]


def choose_weight_decay(
    table: pd.DataFrame,
    n_actions: int,
    participant_ids: Sequence[str],
    candidates: Sequence[float],
    fit: FitCandidate,
    holdout: float = WEIGHT_DECAY_HOLDOUT,
    seed: int = 0,
    log: Callable[[str], None] = print,
) -> tuple[float, pd.DataFrame]:
    """The weight decay of `candidates` whose network best predicts a held-out part of `table`.

    table: a run's training trials (a trials table); `holdout` of them, split per participant by
    `split.split_trials` with `seed`, are held out for scoring. fit(weight_decay, xs, ys) trains on the
    rest and returns a function from xs to choice probabilities. Returns the chosen weight decay and one row per
    candidate: weight_decay, validation_nll (mean per held-out trial), chosen. Ties go to the stronger
    decay, the simpler network.
    """
    if len(candidates) == 0:
        raise ValueError("choose_weight_decay needs at least one candidate weight decay")
    try:
        split = split_trials(table, holdout, seed)
    except ValueError as error:  # its advice names the data set's test_fraction; here the holdout decides
        raise ValueError(
            f"choosing the weight decay on {holdout:.0%} of the training trials: {error}. Here that share is "
            "training.weight_decay_holdout; or give a single weight decay"
        ) from error
    fitted = dataset_from_trials(training_table(table, split), n_actions, participant_ids)
    scored = dataset_from_trials(held_out_table(table, split), n_actions, participant_ids)
    rows = []
    for number, weight_decay in enumerate(candidates, start=1):
        log(
            f"Weight decay {weight_decay:g} ({number} of {len(candidates)}): "
            f"training on {1 - holdout:.0%} of the training trials..."
        )
        predict = fit(float(weight_decay), fitted.xs, fitted.ys)
        nll = choice_nll(predict(scored.xs), scored.ys)
        log(f"Weight decay {weight_decay:g}: NLL {nll:.5f} per held-out training trial")
        rows.append({"weight_decay": float(weight_decay), "validation_nll": nll})
    choices = pd.DataFrame(rows)
    best = choices.sort_values(["validation_nll", "weight_decay"], ascending=[True, False], kind="stable").index[0]
    choices["chosen"] = choices.index == best
    chosen = float(choices.loc[best, "weight_decay"])
    log("Weight decay by held-out training trials:\n" + choices.to_string(index=False) + f"\nChosen: {chosen:g}")
    return chosen, choices


def resolve_weight_decay(
    setting: float | Sequence[float],
    trials_path,
    fit: FitCandidate,
    holdout: float = WEIGHT_DECAY_HOLDOUT,
    seed: int = 0,
    log: Callable[[str], None] = print,
) -> tuple[float, pd.DataFrame | None]:
    """A rule's weight decay: `setting` itself when it is a number; when it is a list, the candidate
    `choose_weight_decay` picks on the trials table at `trials_path` (a run's training trials), with its
    table of candidates (else None)."""
    if not isinstance(setting, Sequence):
        return float(setting), None
    table, metadata = read_trials(trials_path)
    n_actions, participant_ids = int(metadata["n_actions"]), metadata["participants"]
    return choose_weight_decay(table, n_actions, participant_ids, setting, fit, holdout, seed, log)


def spice_candidate(estimator) -> FitCandidate:
    """`fit` for `choose_weight_decay` that trains a copy of a SpiceEstimator (same seed and settings, no
    checkpoints) and predicts with its network."""

    def fit(weight_decay: float, xs, ys) -> Callable[[object], np.ndarray]:
        candidate = type(estimator)(**estimator.get_params())
        candidate.set_params(weight_decay=weight_decay, checkpoint_every=None)
        candidate.train(xs, ys)
        return lambda new_xs: candidate.predict(new_xs)[0]

    return fit


def gru_candidate(n_participants: int, **settings) -> FitCandidate:
    """`fit` for `choose_weight_decay` that fits the comparison's plain GRU (`gru_baseline.fit_gru` with
    `settings`, e.g. its sizes, epochs and seed)."""

    def fit(weight_decay: float, xs, ys) -> Callable[[object], np.ndarray]:
        return fit_gru(xs, ys, n_participants, weight_decay=weight_decay, **settings).predict

    return fit
