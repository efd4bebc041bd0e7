"""The plain GRU of the model comparison: near the true agent on held-out choices, reproducible from its seed,
blind to padding and to targets that are not scored."""

import math

import numpy as np
import pytest
import torch

from spice_lib import AgentQ, BanditsDrift, create_dataset
from spice_lib.evaluation import choice_nll
from spice_lib.gru_baseline import GRUBaseline, fit_gru
from spice_lib.xs_layout import NOT_SHOWN

# Two participants that differ in learning rate and inverse temperature.
AGENT = dict(alpha_reward=[0.2, 0.6], beta_reward=[2.0, 6.0])


@pytest.fixture(scope="module")
def simulated():
    agent = AgentQ(**AGENT)
    train, _, _ = create_dataset(agent, BanditsDrift(0.2), n_trials=50, n_sessions=32, seed=0)
    test, _, _ = create_dataset(agent, BanditsDrift(0.2), n_trials=50, n_sessions=100, seed=1)
    return agent, train, test


def test_gru_predicts_held_out_choices_nearly_as_well_as_the_true_agent(simulated):
    agent, train, test = simulated
    model = fit_gru(train.xs, train.ys, train.n_participants, epochs=100, seed=0)
    gru = choice_nll(model.predict(test.xs), test.ys)
    truth = choice_nll(agent.predict(test.xs), test.ys)
    # Measured: truth 0.483, GRU 0.498 (gap 0.011-0.021 over five data/model seeds).
    assert gru < math.log(2) - 0.15
    assert gru - truth < 0.05
    # The embedding carries who is choosing: the other participant's embedding predicts worse.
    swapped = test.xs.clone()
    swapped[..., -1] = 1 - swapped[..., -1]
    assert choice_nll(model.predict(swapped), test.ys) > gru + 0.01


def test_same_seed_gives_bit_identical_predictions(small_dataset):
    xs, ys = small_dataset.xs, small_dataset.ys
    first = fit_gru(xs, ys, 1, epochs=15, seed=3).predict(xs)
    again = fit_gru(xs, ys, 1, epochs=15, seed=3).predict(xs)
    other = fit_gru(xs, ys, 1, epochs=15, seed=4).predict(xs)
    assert first.dtype == np.float64 and first.shape == tuple(ys.shape)
    np.testing.assert_allclose(first.sum(-1), 1.0)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_fit_leaves_callers_rng_and_thread_count_alone(small_dataset):
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    threads = torch.get_num_threads()
    fit_gru(small_dataset.xs, small_dataset.ys, 1, epochs=2, n_threads=2)
    assert torch.equal(torch.rand(3), expected)
    assert torch.get_num_threads() == threads


def test_padding_leaves_predictions_on_real_trials_unchanged():
    torch.manual_seed(0)
    model = GRUBaseline(n_actions=2, n_participants=2)
    agent = AgentQ(**AGENT)
    data, _, _ = create_dataset(agent, BanditsDrift(0.2), n_trials=20, n_sessions=2, seed=5)
    padded_xs = torch.full((len(data), 30, 5), NOT_SHOWN)
    padded_xs[..., -1] = data.xs[:, :1, -1]  # padding keeps the participant column
    padded_xs[:, :20] = data.xs
    unpadded = model.predict(data.xs)
    np.testing.assert_array_equal(model.predict(padded_xs)[:, :20], unpadded)
    # Ragged sessions in one batch: session 1 ends after 12 trials; the same as predicting it alone
    # (up to float32 rounding, which depends on the batch size).
    ragged = padded_xs.clone()
    ragged[1, 12:, :4] = NOT_SHOWN
    np.testing.assert_allclose(model.predict(ragged)[1, :12], model.predict(data.xs[1:, :12])[0], atol=1e-6)
    # Padding in the middle: the state must carry over the padded trials unchanged.
    gapped = torch.cat([data.xs[:1, :10], padded_xs[:1, 20:25], data.xs[:1, 10:]], 1)
    np.testing.assert_array_equal(model.predict(gapped)[0, 15:], model.predict(data.xs[:1])[0, 10:])
    # ...whereas a real trial in place of the padding does change later predictions.
    assert not np.allclose(model.predict(data.xs[:1, 5:])[0, 5:], unpadded[0, 10:])


def test_unshown_rewards_are_not_read_as_rewards_of_minus_one():
    torch.manual_seed(0)
    model = GRUBaseline(n_actions=2, n_participants=1)
    xs = torch.tensor([[[1.0, 0.0, 1.0, NOT_SHOWN, 0.0]]])
    shown_zero = xs.clone()
    shown_zero[..., 3] = 0.0
    # Not shown and shown-with-reward-0 are different inputs.
    assert not np.allclose(model.predict(xs), model.predict(shown_zero))


def test_masked_targets_do_not_affect_the_fit(small_dataset):
    xs, ys = small_dataset.xs, small_dataset.ys.clone()
    ys[::3, 10:20] = NOT_SHOWN  # unscore some trials
    reference = fit_gru(xs, ys, 1, epochs=20, seed=0)
    # Garbage in the other columns of masked targets: still masked (first column -1), same weights exactly.
    garbage = ys.clone()
    masked = garbage[..., 0] < 0
    garbage[..., 1:][masked] = 7.0
    refit = fit_gru(xs, garbage, 1, epochs=20, seed=0)
    for (name, a), b in zip(reference.state_dict().items(), refit.state_dict().values()):
        assert torch.equal(a, b), name
    # A session whose targets are all masked contributes nothing: same fit as leaving the session out.
    ys_without = ys.clone()
    ys_without[4] = NOT_SHOWN
    kept = [s for s in range(len(xs)) if s != 4]
    masked_fit = fit_gru(xs, ys_without, 1, epochs=20, seed=0)
    dropped_fit = fit_gru(xs[kept], ys_without[kept], 1, epochs=20, seed=0)
    for (name, a), b in zip(masked_fit.state_dict().items(), dropped_fit.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-5, msg=name)
    # ...while scoring those targets does change the fit.
    assert not torch.allclose(reference.readout.weight, masked_fit.readout.weight, atol=1e-5)


def test_count_parameters_counts_every_trainable_weight():
    model = GRUBaseline(n_actions=2, n_participants=3, hidden_size=16, embedding_size=4)
    gru = 3 * (16 * (3 * 2 + 4) + 16 * 16 + 2 * 16)
    assert model.count_parameters() == 3 * 4 + gru + (16 * 2 + 2)


def test_log_gets_about_ten_progress_lines(small_dataset):
    lines = []
    fit_gru(small_dataset.xs, small_dataset.ys, 1, epochs=20, log=lines.append)
    assert len(lines) == 10 and lines[-1].startswith("GRU epoch 20/20")
