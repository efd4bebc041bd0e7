"""Scores: the training loss and the evaluation NLL are one quantity, on one scale; models are compared per
participant and pooled on the same trials."""

import math

import numpy as np
import pandas as pd
import pytest
import torch
from test_rnn import ragged_three_arm_dataset, randomised

from spice_lib import DatasetRNN, Weinhardt2024RNN
from spice_lib.evaluation import ScoredModel, choice_nll, compare_models, paired_differences, scores
from spice_lib.training import next_choice_nll


def test_training_loss_and_evaluation_nll_agree_on_padded_data():
    dataset, lengths = ragged_three_arm_dataset()
    model = randomised(Weinhardt2024RNN(n_actions=3, n_participants=4))
    with torch.no_grad():
        logits, _ = model(dataset.xs, batch_first=True)
    from_logits = next_choice_nll(logits, dataset.ys).item()
    from_probabilities = choice_nll(torch.softmax(logits.double(), -1).numpy(), dataset.ys)
    assert from_probabilities == pytest.approx(from_logits, abs=1e-6)
    assert scores(torch.softmax(logits, -1).numpy(), dataset.ys, 0)["n_trials"] == sum(lengths) - len(lengths)


@pytest.mark.parametrize("n_actions", [2, 3])
def test_a_uniform_predictor_scores_ln_n_actions_per_trial(n_actions):
    rng = np.random.default_rng(n_actions)
    choices = rng.integers(0, n_actions, (4, 10))
    choices[1, 6:] = -1  # a shorter session: its padding does not count
    ys = np.full((4, 10, n_actions), -1.0)
    has_next = np.zeros((4, 10), bool)
    has_next[:, :-1] = choices[:, 1:] >= 0
    ys[has_next] = np.eye(n_actions)[choices[:, 1:][has_next[:, :-1]]]
    uniform = np.full(ys.shape, 1.0 / n_actions)
    result = scores(uniform, ys, n_parameters=3)
    n_trials = 4 * 9 - 4
    assert result["n_trials"] == n_trials
    assert result["nll"] == pytest.approx(math.log(n_actions), rel=1e-12)
    assert result["normalized_likelihood"] == pytest.approx(1 / n_actions, rel=1e-12)
    assert result["bic"] == pytest.approx(2 * n_trials * math.log(n_actions) + 3 * math.log(n_trials))
    assert choice_nll(uniform, ys) == pytest.approx(math.log(n_actions), rel=1e-12)


def two_participant_data(n_actions: int = 2):
    """Participant 0: 2 sessions, participant 1: 1 session; 6 trials each, choices alternate 0, 1, ..."""
    choices = np.tile(np.arange(6) % n_actions, (3, 1))
    rewards = np.zeros((3, 6, n_actions))
    return DatasetRNN.from_sessions(choices, rewards, participant_index=[0, 0, 1], participant_ids=["a", "b"])


def test_model_comparison_scores_each_participant_and_pools_by_trials():
    data = two_participant_data()
    uniform = np.full(data.ys.shape, 0.5)
    sure = np.where(data.ys.numpy() == 1, 0.8, 0.2)  # gives the chosen arm 0.8 on every trial
    models = [
        ScoredModel("uniform", uniform, uniform, 0, np.zeros(2)),
        ScoredModel("sure", sure, sure, 4, np.array([1.0, 3.0])),
        ScoredModel("network", sure, uniform, 10),
    ]
    by_participant, pooled = compare_models(models, held_out=data, training=data)
    assert len(by_participant) == 3 * 2 and set(by_participant["participant"]) == {"a", "b"}
    row = by_participant.set_index(["model", "participant"])
    assert row.loc[("sure", "a"), "n_trials"] == 10 and row.loc[("sure", "b"), "n_trials"] == 5
    assert row.loc[("sure", "a"), "nll"] == pytest.approx(-math.log(0.8))
    assert row.loc[("uniform", "b"), "normalized_likelihood"] == pytest.approx(0.5)
    assert row.loc[("sure", "b"), "bic"] == pytest.approx(2 * 5 * -math.log(0.8) + 3 * math.log(5))
    assert math.isnan(row.loc[("network", "a"), "bic"])  # a shared network's weights belong to no one
    pooled = pooled.set_index("model")
    assert pooled.loc["network", "nll"] == pytest.approx(-math.log(0.8))
    assert pooled.loc["network", "train_nll"] == pytest.approx(math.log(2))
    assert pooled.loc["network", "bic"] == pytest.approx(2 * 15 * math.log(2) + 10 * math.log(15))


def test_paired_differences_to_a_reference_with_a_bootstrap_interval():
    rows = []
    for i in range(40):  # model "b" is better than "ref" by 0.05 per trial for everyone, "c" mixed
        for model, nll in (("ref", 0.6), ("b", 0.55), ("c", 0.6 + (0.1 if i % 2 else -0.1))):
            rows.append({"model": model, "participant": str(i), "nll": nll, "n_trials": 10})
    table = pd.DataFrame(rows)
    differences = paired_differences(table, "ref", n_bootstrap=500, seed=0).set_index("model")
    assert differences.loc["b", "difference"] == pytest.approx(-0.05)
    assert differences.loc["b", "low"] == pytest.approx(-0.05) and differences.loc["b", "high"] == pytest.approx(-0.05)
    assert differences.loc["b", "participants_better"] == 1.0
    assert differences.loc["c", "low"] < 0 < differences.loc["c", "high"]
    assert differences.loc["c", "participants_better"] == 0.5
    assert differences.loc["ref", "difference"] == 0.0
    same = paired_differences(table, "ref", n_bootstrap=500, seed=0)
    assert same.equals(paired_differences(table, "ref", n_bootstrap=500, seed=0))
