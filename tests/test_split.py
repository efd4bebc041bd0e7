"""The held-out split: whole sessions where there are several, the last trials of a single session, the same
split every time, and held-out tables that score only the held-out choices."""

import numpy as np
import pandas as pd
import pytest

from spice_lib import AgentQ, BanditsDrift
from spice_lib.dataset import dataset_from_trials, trials_from_dataset
from spice_lib.evaluation import choice_log_likelihoods
from spice_lib.parameter_sets import simulate_sessions
from spice_lib.split import held_out_table, split_trials, training_table
from spice_lib.trials_io import load_dataset, write_trials


def lab_table() -> pd.DataFrame:
    """Participant a: 5 sessions of 20 trials; b: one session of 30; c: one session of 11."""
    agent = AgentQ(alpha_reward=[0.3, 0.5, 0.4], participant_ids=["a", "b", "c"])
    table = trials_from_dataset(simulate_sessions(agent, BanditsDrift(0.2), n_trials=30, n_sessions=5, seed=2))
    keep = ((table.participant == "a") & (table.trial < 20)) | ((table.participant == "b") & (table.session == 0))
    keep |= (table.participant == "c") & (table.session == 0) & (table.trial < 11)
    return table[keep].reset_index(drop=True)


def test_several_sessions_are_held_out_whole_and_one_session_by_its_last_trials():
    table = lab_table()
    split = split_trials(table, test_fraction=0.2, seed=0)
    assert len(split) == len(table) and list(split["trial"]) == list(table["trial"])
    a = split[split.participant == "a"]
    held_sessions = a.groupby("session")["held_out"].agg(["all", "any"])
    assert (held_sessions["all"] == held_sessions["any"]).all()  # a session is held out whole or not at all
    assert held_sessions["all"].sum() == 1  # round(0.2 x 5)
    b = split[split.participant == "b"]
    assert list(b[b.held_out]["trial"]) == list(range(24, 30))  # the last 6 of 30
    c = split[split.participant == "c"]
    assert list(c[c.held_out]["trial"]) == [9, 10]  # round(0.2 x 11) = 2


def test_the_split_is_the_same_every_time_and_differs_between_seeds():
    table = lab_table()
    first = split_trials(table, seed=7)
    assert first.equals(split_trials(table, seed=7))
    sessions = {seed: tuple(split_trials(table, seed=seed).query("held_out and participant == 'a'")["session"].unique()) for seed in range(6)}
    assert len(set(sessions.values())) > 1
    # adding a participant (here, first) leaves everyone else's split as it was
    extra = pd.concat([table[table.participant == "a"].assign(participant="z"), table], ignore_index=True)
    assert split_trials(extra, seed=7).iloc[-len(table) :].reset_index(drop=True).equals(first)


def test_no_trial_is_both_training_and_held_out_and_held_out_tables_replay_whole_sessions():
    table = lab_table()
    split = split_trials(table, seed=1)
    training, test = training_table(table, split), held_out_table(table, split)
    keys = ["participant", "session", "trial"]
    trained = set(map(tuple, training[keys].astype(str).to_numpy()))
    scored = set(map(tuple, test.loc[test.scored, keys].astype(str).to_numpy()))
    assert not trained & scored
    assert len(trained) + len(scored) == len(table)
    b_test = test[test.participant == "b"]
    assert list(b_test["trial"]) == list(range(30)) and list(b_test[b_test.scored]["trial"]) == list(range(24, 30))
    assert training[training.participant == "b"]["trial"].max() == 23


def test_only_the_held_out_choices_are_targets(tmp_path):
    table = lab_table()
    split = split_trials(table, seed=1)
    test = held_out_table(table, split)
    write_trials(tmp_path / "test.parquet", test, {"n_actions": 2, "participants": ["a", "b", "c"]})
    dataset, _ = load_dataset(tmp_path / "test.parquet")
    # every scored trial is predicted except a held-out session's first trial, which has no previous trial
    first_of_session = test.groupby(["participant", "session"]).head(1)
    expected = int(test["scored"].sum() - first_of_session["scored"].sum())
    uniform = np.full(dataset.ys.shape, 0.5)
    assert len(choice_log_likelihoods(uniform, dataset.ys)) == expected
    # and the scored targets are the held-out choices themselves
    b = dataset.participant_ids.index("b")
    row = int(np.flatnonzero(dataset.participant_index == b)[0])
    targets = dataset.ys[row].numpy().argmax(-1)[23:29]
    assert list(targets) == list(test[(test.participant == "b") & test.scored]["choice"])
    assert (dataset.ys[row, :23] == -1).all()


def test_too_little_data_to_split_names_the_participant():
    table = lab_table()
    short = table[(table.participant != "c") | (table.trial < 2)]
    with pytest.raises(ValueError, match="participant 'c' has one session of 2 trials"):
        split_trials(short)
    with pytest.raises(ValueError, match="between 0 and 1"):
        split_trials(table, test_fraction=1.0)


def test_a_split_that_does_not_cover_the_table_is_refused():
    table = lab_table()
    split = split_trials(table).iloc[:-1]
    with pytest.raises(ValueError, match="does not cover every trial"):
        training_table(table, split)


def test_held_out_tables_round_trip_with_their_participant_mapping(tmp_path):
    table = lab_table()
    test = held_out_table(table, split_trials(table))
    write_trials(tmp_path / "t.parquet", test, {"n_actions": 2, "participants": ["a", "b", "c"]})
    dataset, metadata = load_dataset(tmp_path / "t.parquet")
    assert metadata["participants"] == ["a", "b", "c"] and set(np.unique(dataset.participant_index)) <= {0, 1, 2}
    assert dataset_from_trials(test, 2, ["a", "b", "c"]).ys.shape == dataset.ys.shape
