"""Choosing the network's weight decay: the candidate that best predicts held-out training trials wins, and
no candidate is fitted on the trials it is scored on."""

import numpy as np
import pytest

from spice_lib import AgentQ, BanditsDrift, SpiceEstimator
from spice_lib.dataset import dataset_from_trials, trials_from_dataset
from spice_lib.models import precoded_model
from spice_lib.parameter_sets import simulate_sessions
from spice_lib.split import split_trials, training_table
from spice_lib.trials_io import write_trials
from spice_lib.weight_decay_choice import choose_weight_decay, resolve_weight_decay, spice_candidate
from spice_lib.xs_layout import has_next_choice

IDS = ["a", "b", "c"]


def lab_table():
    """Participant a: 4 sessions of 60 trials; b and c: one session of 60 (the split's two cases)."""
    agent = AgentQ(alpha_reward=0.3, beta_reward=5.0, participant_ids=IDS)
    table = trials_from_dataset(simulate_sessions(agent, BanditsDrift(0.2), n_trials=60, n_sessions=4, seed=5))
    return table[(table.participant == "a") | (table.session == 0)].reset_index(drop=True)


def test_the_candidate_that_predicts_held_out_training_trials_best_is_chosen_and_never_fitted_on_them():
    table = lab_table()
    # Stand-ins for networks: each "weight decay" gives an agent; 0.01 gives the one that made the data.
    agents = {0.001: AgentQ(alpha_reward=0.9, beta_reward=5.0), 0.01: AgentQ(alpha_reward=0.3, beta_reward=5.0),
              0.1: AgentQ(alpha_reward=0.3, beta_reward=0.5)}  # fmt: skip
    fitted_targets = []

    def fit(weight_decay, xs, ys):
        fitted_targets.append(int(has_next_choice(ys).sum()))
        return agents[weight_decay].predict

    chosen, choices = choose_weight_decay(table, 2, IDS, list(agents), fit, holdout=0.25, seed=3, log=lambda _: None)
    assert chosen == 0.01
    assert choices["weight_decay"].tolist() == list(agents) and choices["chosen"].tolist() == [False, True, False]
    assert choices["validation_nll"].idxmin() == 1
    # Fitted on the training part only: the trials a split with the same share and seed keeps.
    kept = dataset_from_trials(training_table(table, split_trials(table, 0.25, 3)), 2, IDS)
    total = dataset_from_trials(table, 2, IDS)
    assert fitted_targets == [int(has_next_choice(kept.ys).sum())] * 3
    assert fitted_targets[0] < int(has_next_choice(total.ys).sum())


def test_a_rules_setting_is_used_as_it_is_when_a_number_and_chosen_on_its_trials_file_when_a_list(tmp_path):
    def fit(weight_decay, xs, ys):
        return AgentQ(alpha_reward=0.3 if weight_decay == 0.01 else 0.9, beta_reward=5.0).predict

    missing = tmp_path / "missing.parquet"  # a single number needs no data
    assert resolve_weight_decay(0.003, missing, fit) == (0.003, None)
    path = tmp_path / "trials.parquet"
    write_trials(path, lab_table(), {"n_actions": 2, "participants": IDS})
    chosen, choices = resolve_weight_decay([0.001, 0.01], path, fit, holdout=0.25, seed=3, log=lambda _: None)
    assert chosen == 0.01 and len(choices) == 2


def test_too_few_trials_to_hold_out_names_the_setting_that_decides():
    table = lab_table()
    short = table[(table.participant != "c") | (table.trial < 3)].reset_index(drop=True)  # c: 3 trials
    with pytest.raises(ValueError, match=r"participant 'c' has one session of 3 trials.*weight_decay_holdout"):
        choose_weight_decay(short, 2, IDS, [0.001, 0.01], lambda *_: None, holdout=0.5)


def test_no_candidates_is_an_error():
    with pytest.raises(ValueError, match="at least one candidate"):
        choose_weight_decay(lab_table(), 2, IDS, [], lambda *_: None)


def test_spice_candidate_trains_a_copy_with_the_candidates_weight_decay_and_the_same_seed():
    table = lab_table()
    data = dataset_from_trials(table, 2, IDS)
    rnn_class, config = precoded_model("Weinhardt2024RNN")
    estimator = SpiceEstimator(
        rnn_class, config, n_participants=3, participant_ids=IDS, epochs=3, seed=4, verbose=False
    )
    fit = spice_candidate(estimator)
    first, again, other = (fit(decay, data.xs, data.ys)(data.xs) for decay in (0.001, 0.001, 10.0))
    assert np.array_equal(first, again)  # the same seed: the same network
    assert not np.allclose(first, other)  # the weight decay reached the training
    assert not hasattr(estimator, "rnn_") and estimator.weight_decay == 1e-3  # the estimator itself is untouched
