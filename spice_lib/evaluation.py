"""Scores of a model's choice predictions: NLL per trial, normalized likelihood and BIC, and the comparison
of several models on the same held-out trials (per participant, pooled, and paired differences).

Every score counts the trials that have a next choice (ys not -1), for models and the true agent alike; in
held-out tables of a split only the held-out trials have one (`spice_lib.split`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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


@dataclass(frozen=True)
class ScoredModel:
    """One model's predictions for a comparison: choice probabilities on the held-out and the training
    sessions (aligned with their ys), and its parameter count per participant (models fitted per
    participant) or in total (a shared network, `per_participant` None)."""

    name: str
    held_out: np.ndarray
    training: np.ndarray
    n_parameters: int
    per_participant: np.ndarray | None = None


def log_likelihood_per_participant(
    probabilities, ys, participant_index, n_participants: int
) -> tuple[np.ndarray, np.ndarray]:
    """Summed log-likelihood of the scored next choices and their count, per participant index.

    probabilities: (sessions, trials, n_actions) aligned with ys; participant_index: one per session."""
    mask, targets = _targets(ys)
    chosen = np.take_along_axis(np.asarray(probabilities), targets[..., None], -1)[..., 0]
    log_likelihood = np.where(mask, np.log(np.clip(chosen, 1e-300, None)), 0.0)
    owner = np.asarray(participant_index)
    return (
        np.bincount(owner, weights=log_likelihood.sum(1), minlength=n_participants),
        np.bincount(owner, weights=mask.sum(1), minlength=n_participants).astype(np.int64),
    )


def _sums_per_participant(probabilities, data) -> tuple[np.ndarray, np.ndarray]:
    return log_likelihood_per_participant(probabilities, data.ys, data.participant_index, data.n_participants)


def compare_models(models: list[ScoredModel], held_out, training) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score every model on the same held-out trials, per participant and pooled.

    held_out, training: DatasetRNN of the held-out sessions (only scored choices count) and of the training
    sessions, with the same participant ids. Returns (by_participant, pooled):
    - by_participant: model, participant, n_trials, nll (held-out, per trial), normalized_likelihood
      (exp(-nll)), train_nll, n_train_trials, n_parameters and bic (on the training trials: 2 NLL + k ln n;
      NaN for shared networks, whose parameters belong to no one participant);
    - pooled: model, n_trials, nll, normalized_likelihood, train_nll, n_train_trials, n_parameters (over
      all participants) and bic (2 NLL_train + k ln n_train over all training trials).
    """
    if list(held_out.participant_ids) != list(training.participant_ids):
        raise ValueError("held-out and training data must share the participant ids, in the same order")
    by_participant, pooled = [], []
    for model in models:
        test_sum, test_n = _sums_per_participant(model.held_out, held_out)
        train_sum, train_n = _sums_per_participant(model.training, training)
        k = model.per_participant
        with np.errstate(divide="ignore", invalid="ignore"):
            frame = pd.DataFrame(
                {
                    "model": model.name,
                    "participant": pd.array(held_out.participant_ids, dtype="string"),
                    "n_trials": test_n,
                    "nll": -test_sum / test_n,
                    "train_nll": -train_sum / train_n,
                    "n_train_trials": train_n,
                    "n_parameters": np.full(len(test_n), np.nan) if k is None else np.asarray(k, float),
                }
            )
            frame.insert(4, "normalized_likelihood", np.exp(-frame["nll"]))
            frame["bic"] = -2 * train_sum + frame["n_parameters"] * np.log(train_n)
        by_participant.append(frame)
        total_test, total_train = int(test_n.sum()), int(train_n.sum())
        nll = float(-test_sum.sum() / total_test)
        pooled.append(
            {
                "model": model.name,
                "n_trials": total_test,
                "nll": nll,
                "normalized_likelihood": math.exp(-nll),
                "train_nll": float(-train_sum.sum() / total_train),
                "n_train_trials": total_train,
                "n_parameters": int(model.n_parameters),
                "bic": float(-2 * train_sum.sum() + model.n_parameters * math.log(total_train)),
            }
        )
    return pd.concat(by_participant, ignore_index=True), pd.DataFrame(pooled)


def paired_differences(
    by_participant: pd.DataFrame, reference: str, n_bootstrap: int = 2000, seed: int = 0
) -> pd.DataFrame:
    """Each model's held-out NLL per trial minus the reference model's, on the same trials, with a bootstrap
    95% interval over participants (resampled with replacement; percentile interval).

    Returns model, reference, difference (negative: better than the reference), low, high, and
    participants_better (the fraction of participants whose held-out NLL is below the reference's).
    """
    totals = by_participant.assign(total=by_participant["nll"] * by_participant["n_trials"])
    total = totals.pivot(index="participant", columns="model", values="total")
    counts = totals.pivot(index="participant", columns="model", values="n_trials")[reference].to_numpy(float)
    scored = counts > 0
    total, counts = total[scored], counts[scored]
    generator = np.random.default_rng(seed)
    resamples = generator.integers(0, len(counts), size=(n_bootstrap, len(counts)))
    rows = []
    for model in dict.fromkeys(by_participant["model"]):
        gap = (total[model] - total[reference]).to_numpy(float)
        boot = gap[resamples].sum(1) / counts[resamples].sum(1)
        low, high = np.percentile(boot, [2.5, 97.5])
        rows.append(
            {
                "model": model,
                "reference": reference,
                "difference": float(gap.sum() / counts.sum()),
                "low": float(low),
                "high": float(high),
                "participants_better": float((gap < 0).mean()),
            }
        )
    return pd.DataFrame(rows)


def agent_nll(agent, data) -> float:
    """NLL per trial of an agent (anything with `predict(xs)`) replaying the sessions of `data`."""
    return choice_nll(agent.predict(data.xs), data.ys)
