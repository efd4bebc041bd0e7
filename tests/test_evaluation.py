"""Scores: the training loss and the evaluation NLL are one quantity, on one scale."""

import math

import numpy as np
import pytest
import torch
from test_rnn import ragged_three_arm_dataset, randomised

from spice_lib import Weinhardt2024RNN
from spice_lib.evaluation import choice_nll, scores
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
