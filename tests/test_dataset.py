import numpy as np
import pandas as pd
import pytest
import torch

from spice_lib import (
    DatasetRNN,
    dataset_from_trials,
    load_dataset,
    read_trials,
    save_dataset,
    trials_from_dataset,
    write_trials,
)
from spice_lib.dataset import split_inputs
from spice_lib.trials_io import write_table
from spice_lib.xs_layout import check_n_features, has_next_choice, is_real_trial, join_xs, n_features, split_xs


def ragged_dataset():
    """Two participants, three sessions of lengths 4, 2 and 3."""
    choices = np.array([[0, 1, 1, 0], [1, 0, -1, -1], [1, 1, 0, -1]])
    rewards = np.full((3, 4, 2), -1.0)
    rewards[np.arange(3)[:, None], np.arange(4), np.maximum(choices, 0)] = [[1, 0, 1, 1], [0, 1, 0, 0], [1, 1, 0, 0]]
    return DatasetRNN.from_sessions(choices, rewards, participant_index=[0, 0, 1], participant_ids=["ann", "bob"])


def test_layout_and_padding_convention():
    dataset = ragged_dataset()
    xs, ys = dataset.xs, dataset.ys
    assert xs.shape == (3, 4, 5) and ys.shape == (3, 4, 2)
    torch.testing.assert_close(xs[0, 0], torch.tensor([1.0, 0.0, 1.0, -1.0, 0.0]))
    torch.testing.assert_close(ys[0, 0], torch.tensor([0.0, 1.0]))  # the next choice
    assert (ys[0, -1] == -1).all()  # last trial of a session
    assert (ys[1, 1:] == -1).all()  # last real trial and padding
    assert (xs[1, 2:, :-1] == -1).all() and (xs[1, 2:, -1] == 0).all()  # padding keeps the participant
    assert (xs[2, :, -1] == 1).all()
    assert not torch.isnan(xs).any() and not torch.isnan(ys).any()
    assert dataset.session_ids.tolist() == [0, 1, 0]


@pytest.mark.parametrize("kind", ["numpy", "torch"])
def test_xs_layout_splits_and_joins_numpy_and_torch_alike(kind):
    xs = ragged_dataset().xs
    xs = xs.numpy() if kind == "numpy" else xs
    one_hot, rewards, extra, participant = split_xs(xs, 2)
    assert all(type(part) is type(xs) for part in (one_hot, rewards, extra, participant))
    assert one_hot.shape == rewards.shape == (3, 4, 2) and extra.shape == (3, 4, 0) and participant.shape == (3, 4)
    assert n_features(2) == xs.shape[-1] == 5
    assert is_real_trial(one_hot).tolist() == [[True] * 4, [True, True, False, False], [True, True, True, False]]
    assert participant[:, 0].tolist() == [0, 0, 1]
    joined = join_xs(one_hot, rewards, participant)
    assert type(joined) is type(xs) and (joined == xs).all()
    ys = ragged_dataset().ys
    assert has_next_choice(ys).sum() == 9 - 3  # every real trial but each session's last


def test_split_inputs_reads_choices_rewards_and_participants():
    choices, rewards, participant_index, valid = split_inputs(ragged_dataset().xs, 2)
    assert choices.tolist() == [[0, 1, 1, 0], [1, 0, -1, -1], [1, 1, 0, -1]]
    assert rewards[0, 0].tolist() == [1.0, -1.0] and (rewards[1, 2:] == -1).all()
    assert participant_index.tolist() == [0, 0, 1] and valid.sum() == 9


def test_width_of_xs_must_fit_the_number_of_arms():
    check_n_features(7, 3)
    with pytest.raises(ValueError, match="xs has 7 features, i.e. 3 arms; this estimator has n_actions=2"):
        check_n_features(7, 2)
    with pytest.raises(ValueError, match="xs has 7 features, i.e. 3 arms; ys has 2 arms, which needs 5 features"):
        DatasetRNN(torch.zeros(2, 3, 7), torch.zeros(2, 3, 2))


def test_trials_table_round_trip_is_exact(tmp_path):
    dataset = ragged_dataset()
    table = trials_from_dataset(dataset)
    assert list(table.columns) == ["participant", "session", "trial", "choice", "reward"]
    assert table.dtypes.astype(str).tolist() == ["string", "int32", "int32", "int16", "float32"]
    assert len(table) == 9 and table["participant"].tolist()[:4] == ["ann"] * 4
    again = dataset_from_trials(table, 2, dataset.participant_ids)
    assert torch.equal(again.xs, dataset.xs) and torch.equal(again.ys, dataset.ys)
    pd.testing.assert_frame_equal(trials_from_dataset(again), table)
    save_dataset(tmp_path / "t.parquet", dataset, task={"task": "BanditsFixed"})
    loaded, metadata = load_dataset(tmp_path / "t.parquet")
    assert torch.equal(loaded.xs, dataset.xs) and loaded.participant_ids == ["ann", "bob"]
    assert metadata["n_actions"] == 2 and metadata["task"] == {"task": "BanditsFixed"}
    read, _ = read_trials(tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(read, table)


def test_counterfactual_rewards_round_trip():
    choices = np.array([[0, 1, 0]])
    rewards = np.array([[[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]])
    dataset = DatasetRNN.from_sessions(choices, rewards, participant_index=[0])
    table = trials_from_dataset(dataset)
    assert {"reward_0", "reward_1"} <= set(table.columns)
    assert torch.equal(dataset_from_trials(table, 2, ["0"]).xs, dataset.xs)


def test_table_with_gaps_in_trials_is_rejected():
    table = trials_from_dataset(ragged_dataset())
    table.loc[1, "trial"] = 7
    with pytest.raises(ValueError, match="'ann', session 0 are not numbered"):
        dataset_from_trials(table, 2, ["ann", "bob"])


def test_unknown_participant_and_bad_shapes_are_errors():
    table = trials_from_dataset(ragged_dataset())
    with pytest.raises(ValueError, match="'bob' is not in the participant-id mapping"):
        dataset_from_trials(table, 2, ["ann"])
    with pytest.raises(ValueError, match="equal sessions and trials"):
        DatasetRNN(torch.zeros(2, 3, 5), torch.zeros(2, 4, 2))


def test_reading_a_file_that_is_not_a_trials_table_names_it(tmp_path):
    path = tmp_path / "other.parquet"
    write_table(path, pd.DataFrame({"x": [1]}), {})
    with pytest.raises(ValueError, match="other.parquet: not a trials table"):
        read_trials(path)


def test_failed_write_leaves_nothing(tmp_path):
    bad = trials_from_dataset(ragged_dataset())
    bad["choice"] = "x"  # cannot become int16
    with pytest.raises(ValueError):  # pyarrow's ArrowInvalid
        write_trials(tmp_path / "out.parquet", bad, {"n_actions": 2, "participants": ["ann", "bob"]})
    assert list(tmp_path.iterdir()) == []
