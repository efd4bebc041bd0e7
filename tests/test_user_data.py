"""Import of user files (CSV/TSV/Parquet) into the trials table: values, defaults, errors, round-trip."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from spice_lib.dataset import dataset_from_trials, trials_from_dataset
from spice_lib.trials_io import read_trials
from spice_lib.user_data import ChoiceDataError, import_choice_data, import_to_parquet


def write_csv(tmp_path, text: str, name: str = "choices.csv"):
    path = tmp_path / name
    path.write_text(text.strip() + "\n")
    return path


def expected_table(participant, session, trial, choice, reward, **arms) -> pd.DataFrame:
    table = pd.DataFrame(
        {
            "participant": pd.array(participant, dtype="string"),
            "session": np.asarray(session, np.int32),
            "trial": np.asarray(trial, np.int32),
            "choice": np.asarray(choice, np.int16),
            "reward": np.asarray(reward, np.float32),
        }
    )
    for name, values in arms.items():
        table[name] = np.asarray(values, np.float32)
    return table


def test_explicit_columns_give_exact_table_sorted_by_first_appearance(tmp_path):
    # Participant "sub-03" comes first in the file and stays first; rows are out of trial order.
    path = write_csv(
        tmp_path,
        """
subj,blk,t,resp,pay,rt
sub-03,1,1,1,0.5,300
sub-03,1,0,0,1,310
17,0,0,1,0,200
sub-03,0,0,1,0.25,320
17,0,1,0,1,210
""",
    )
    columns = {"participant": "subj", "session": "blk", "trial": "t", "choice": "resp", "reward": "pay"}
    imported = import_choice_data(path, columns=columns)
    expected = expected_table(
        ["sub-03"] * 3 + ["17"] * 2, [0, 1, 1, 0, 0], [0, 0, 1, 0, 1], [1, 0, 1, 1, 0], [0.25, 1, 0.5, 0, 1]
    )
    pd.testing.assert_frame_equal(imported.table, expected)
    assert imported.metadata["n_actions"] == 2
    assert imported.metadata["participants"] == ["sub-03", "17"]
    assert imported.metadata["source"] == {
        "file": "choices.csv",
        "format": "csv",
        "columns": {**columns},
        "choice_coding": "0-based",
        "n_actions_from": "choices",
        "reward_range": None,
        "n_rows": 5,
        "n_missed_dropped": 0,
    }
    assert imported.n_missed_dropped == 0


def test_defaults_subject_block_action_outcome_and_trial_from_row_order(tmp_path):
    path = write_csv(
        tmp_path,
        """
Subject,block,action,outcome,rt
a,0,0,1,1
a,0,1,0,1
b,2,1,1,1
a,1,0,0,1
b,2,0,0,1
a,0,1,1,1
""",
    )
    imported = import_choice_data(path)
    expected = expected_table(
        ["a", "a", "a", "a", "b", "b"],
        [0, 0, 0, 1, 2, 2],
        [0, 1, 2, 0, 0, 1],
        [0, 1, 1, 0, 1, 0],
        [1, 0, 1, 0, 1, 0],
    )
    pd.testing.assert_frame_equal(imported.table, expected)
    assert imported.metadata["source"]["columns"] == {
        "participant": "Subject",
        "session": "block",
        "trial": None,
        "choice": "action",
        "reward": "outcome",
    }


def test_real_data_shape_session_is_participant(tmp_path):
    # Shape of the Sugawara 2021 file: session,choice,reward,rt with session = participant, no trial column.
    rng = np.random.default_rng(0)
    lengths = {"03": 5, "10": 3, "2": 4}
    frame = pd.DataFrame(
        {
            "session": np.repeat(list(lengths), list(lengths.values())),
            "choice": rng.integers(0, 2, sum(lengths.values())),
            "reward": rng.integers(0, 2, sum(lengths.values())),
            "rt": rng.integers(200, 1500, sum(lengths.values())),
        }
    )
    path = tmp_path / "bandit.csv"
    frame.to_csv(path, index=False)
    imported = import_choice_data(path)
    expected = expected_table(
        frame["session"], [0] * 12, [0, 1, 2, 3, 4, 0, 1, 2, 0, 1, 2, 3], frame["choice"], frame["reward"]
    )
    pd.testing.assert_frame_equal(imported.table, expected)
    assert imported.metadata["participants"] == ["03", "10", "2"]  # as written, in order of appearance
    assert imported.metadata["n_actions"] == 2
    assert imported.metadata["source"]["columns"]["participant"] == "session"
    assert imported.metadata["source"]["columns"]["session"] is None
    dataset = dataset_from_trials(imported.table, 2, imported.metadata["participants"])
    assert tuple(dataset.xs.shape) == (3, 5, 5)


def test_csv_tsv_and_parquet_give_the_same_table(tmp_path):
    frame = pd.DataFrame(
        {"participant": [7, 7, 7, 8, 8], "choice": [0, 2, 1, 1, 1], "reward": [0.0, 1.0, 0.5, 1.0, 0.0]}
    )
    frame.to_csv(tmp_path / "d.csv", index=False)
    frame.to_csv(tmp_path / "d.tsv", sep="\t", index=False)
    frame.to_parquet(tmp_path / "d.parquet")  # integer participant ids become "7", "8"
    frame.to_parquet(tmp_path / "d.pq")
    tables = [import_choice_data(tmp_path / name).table for name in ("d.csv", "d.tsv", "d.parquet", "d.pq")]
    expected = expected_table(
        ["7"] * 3 + ["8"] * 2, [0] * 5, [0, 1, 2, 0, 1], frame["choice"], frame["reward"]
    )
    for table in tables:
        pd.testing.assert_frame_equal(table, expected)


def test_n_actions_inferred_or_declared(tmp_path):
    path = write_csv(tmp_path, "participant,choice,reward\n1,0,0\n1,2,1\n1,1,1")
    assert import_choice_data(path).metadata["n_actions"] == 3
    assert import_choice_data(path, n_actions=5).metadata["n_actions"] == 5
    only_zero = write_csv(tmp_path, "participant,choice,reward\n1,0,0\n1,0,1", name="zero.csv")
    assert import_choice_data(only_zero).metadata["n_actions"] == 2  # at least two arms


def test_reward_range_rescales_to_unit_interval(tmp_path):
    path = write_csv(tmp_path, "participant,choice,reward\n1,0,-5\n1,1,0\n1,1,15")
    imported = import_choice_data(path, reward_range=(-5, 15))
    np.testing.assert_array_equal(imported.table["reward"], np.array([0.0, 0.25, 1.0], np.float32))
    assert imported.metadata["source"]["reward_range"] == [-5.0, 15.0]


def test_trial_column_with_gaps_is_renumbered_by_its_order(tmp_path):
    path = write_csv(tmp_path, "participant,trial,choice,reward\np,7,1,1\np,1,0,0\np,3,1,0")
    table = import_choice_data(path).table
    pd.testing.assert_frame_equal(table, expected_table(["p"] * 3, [0] * 3, [0, 1, 2], [0, 1, 1], [0, 0, 1]))


def test_drop_missed_counts_and_renumbers(tmp_path):
    path = write_csv(
        tmp_path,
        """
participant,trial,choice,reward
a,0,1,1
a,1,,
a,2,0,0
a,3,NA,0
b,0,1,0
b,1,0,1
""",
    )
    with pytest.raises(
        ChoiceDataError, match=r"choices\.csv: column 'choice', data row 2 .*drop_missed=True"
    ):
        import_choice_data(path)
    imported = import_choice_data(path, drop_missed=True)
    assert imported.n_missed_dropped == 2
    assert imported.metadata["source"]["n_missed_dropped"] == 2
    expected = expected_table(["a", "a", "b", "b"], [0] * 4, [0, 1, 0, 1], [1, 0, 1, 0], [1, 0, 0, 1])
    pd.testing.assert_frame_equal(imported.table, expected)


def test_parquet_missed_trials_and_block_as_session(tmp_path):
    # session is the participant (no participant column), block gives the sessions; NaN choice = missed trial.
    frame = pd.DataFrame(
        {
            "session": [5, 5, 5, 5, 6, 6],
            "block": [0, 0, 1, 1, 0, 0],
            "choice": [1, np.nan, 0, 1, 0, 0],
            "reward": [1.0, np.nan, 0.0, 1.0, 0.0, 1.0],
        }
    )
    path = tmp_path / "missed.parquet"
    frame.to_parquet(path)
    with pytest.raises(ChoiceDataError, match=r"missed\.parquet: column 'choice', data row 2 "):
        import_choice_data(path)
    imported = import_choice_data(path, drop_missed=True)
    assert imported.n_missed_dropped == 1
    expected = expected_table(
        ["5"] * 3 + ["6"] * 2, [0, 1, 1, 0, 0], [0, 0, 1, 0, 1], [1, 0, 1, 0, 0], [1, 0, 1, 0, 1]
    )
    pd.testing.assert_frame_equal(imported.table, expected)
    assert imported.metadata["source"]["columns"]["session"] == "block"


def test_counterfactual_rewards_fill_the_chosen_arm(tmp_path):
    path = write_csv(tmp_path, "participant,choice,reward,reward_0,reward_1\np,0,1,,0\np,1,0,0.5,")
    table = import_choice_data(path).table
    expected = expected_table(["p", "p"], [0, 0], [0, 1], [0, 1], [1, 0], reward_0=[1, 0.5], reward_1=[0, 0])
    pd.testing.assert_frame_equal(table, expected)
    clash = write_csv(
        tmp_path, "participant,choice,reward,reward_0,reward_1\np,0,1,0,0\np,1,0,1,0", "clash.csv"
    )
    with pytest.raises(ChoiceDataError, match=r"clash\.csv: column 'reward_0', data row 1 .*chosen arm"):
        import_choice_data(clash)
    extra_arm = write_csv(tmp_path, "participant,choice,reward,reward_2\np,0,1,0\np,1,0,1", "extra.csv")
    with pytest.raises(ChoiceDataError, match=r"extra\.csv: column 'reward_2' .*arm 2 .*n_actions=3"):
        import_choice_data(extra_arm, n_actions=2)
    imported = import_choice_data(extra_arm)  # the reward_2 column says there is a third arm
    assert imported.metadata["n_actions"] == 3
    assert imported.table.columns.tolist()[-3:] == ["reward_0", "reward_1", "reward_2"]


def test_round_trip_through_dataset(tmp_path):
    rng = np.random.default_rng(1)
    n = 40
    frame = pd.DataFrame(
        {
            "subject": rng.choice(["x", "sub-1", "9"], n),
            "session": rng.integers(0, 3, n),
            "action": rng.integers(0, 3, n),
            "outcome": rng.random(n).round(3),
        }
    )
    frame.loc[:2, "subject"] = ["x", "sub-1", "9"]  # every participant appears with at least 2 trials
    frame.loc[3:5, "subject"] = ["x", "sub-1", "9"]
    frame.to_parquet(tmp_path / "random.parquet")
    imported = import_choice_data(tmp_path / "random.parquet")
    dataset = dataset_from_trials(
        imported.table, imported.metadata["n_actions"], imported.metadata["participants"]
    )
    pd.testing.assert_frame_equal(trials_from_dataset(dataset), imported.table)


def test_import_to_parquet_writes_trials_file(tmp_path):
    source = write_csv(tmp_path, "subject,choice,reward\n1,0,2\n1,1,4\n2,1,0\n2,0,4")
    destination = tmp_path / "out" / "trials.parquet"
    imported = import_to_parquet(source, destination, reward_range=(0, 4))
    table, metadata = read_trials(destination)
    pd.testing.assert_frame_equal(table, imported.table)
    assert metadata == imported.metadata
    assert metadata["participants"] == ["1", "2"]


# Choice coding and the number of arms.


def test_choices_that_look_one_based_stop_unless_the_coding_is_given(tmp_path):
    path = write_csv(tmp_path, "participant,choice,reward\np,1,0\np,3,1\np,4,0\np,2,1\nq,4,1\nq,1,0")
    message = (
        r"choices\.csv: column 'choice': the choices run 1\.\.4 and arm 0 is never chosen, so they look "
        r"1-based; pass choice_coding='1-based' to import them as arms 0\.\.3, or choice_coding='0-based'"
    )
    with pytest.raises(ChoiceDataError, match=message):
        import_choice_data(path)
    with pytest.raises(ChoiceDataError, match="look 1-based"):  # a stated n_actions does not say the coding
        import_choice_data(path, n_actions=4)

    imported = import_choice_data(path, choice_coding="1-based")
    expected = expected_table(
        ["p"] * 4 + ["q"] * 2, [0] * 6, [0, 1, 2, 3, 0, 1], [0, 2, 3, 1, 3, 0], [0, 1, 0, 1, 1, 0]
    )
    pd.testing.assert_frame_equal(imported.table, expected)
    assert imported.metadata["n_actions"] == 4
    assert imported.metadata["source"]["choice_coding"] == "1-based"
    assert imported.metadata["source"]["n_actions_from"] == "choices"
    assert imported.notes == [
        "choices read 1-based (choice_coding='1-based'): arm numbers 1..4 are arms 0..3",
        "n_actions = 4, inferred from the choices (arms 0..3 chosen)",
    ]


def test_explicit_zero_based_keeps_choices_that_look_one_based(tmp_path):
    path = write_csv(tmp_path, "participant,choice,reward\np,1,0\np,2,1\np,2,0")
    imported = import_choice_data(path, choice_coding="0-based")
    assert imported.metadata["n_actions"] == 3
    assert imported.table["choice"].tolist() == [1, 2, 2]
    assert imported.metadata["source"]["choice_coding"] == "0-based"
    assert imported.notes == [
        "n_actions = 3, inferred from the choices (arms 1..2 chosen)",
        "never chosen: arm 0 of 0..2",
    ]
    # Arm 1 alone is no sign of 1-based coding: a two-arm participant may always pick arm 1.
    only_one = write_csv(tmp_path, "participant,choice,reward\np,1,0\np,1,1", name="ones.csv")
    assert import_choice_data(only_one).metadata["n_actions"] == 2


def test_one_based_rejects_arm_zero_and_arms_beyond_n_actions(tmp_path):
    path = write_csv(tmp_path, "participant,choice,reward\np,1,0\np,2,1\np,0,1")
    with pytest.raises(
        ChoiceDataError,
        match=r"column 'choice', data row 3 .*: choice '0' is not a whole number >= 1; .*choice_coding='0-based'",
    ):
        import_choice_data(path, choice_coding="1-based")
    beyond = write_csv(tmp_path, "participant,choice,reward\np,1,0\np,3,1", name="beyond.csv")
    with pytest.raises(
        ChoiceDataError,
        match=re.escape(
            "data row 2 (row 1 = first row after the header): choice '3' is not an arm number 1..2 "
            "(n_actions=2, choice_coding='1-based')"
        ),
    ):
        import_choice_data(beyond, n_actions=2, choice_coding="1-based")
    imported = import_choice_data(beyond, n_actions=3, choice_coding="1-based")
    assert imported.table["choice"].tolist() == [0, 2]
    assert imported.metadata["source"]["n_actions_from"] == "argument"
    assert imported.notes[1:] == ["n_actions = 3, as given (arms 0..2 chosen)", "never chosen: arm 1 of 0..2"]


def test_label_coding_maps_label_i_to_arm_i(tmp_path):
    path = write_csv(
        tmp_path, "participant,choice,reward\np, right ,1\np,left,0\np,right,0\nq,left,1\nq,left,1"
    )
    imported = import_choice_data(path, choice_coding=["left", "right"])
    expected = expected_table(
        ["p"] * 3 + ["q"] * 2, [0] * 5, [0, 1, 2, 0, 1], [1, 0, 1, 0, 0], [1, 0, 0, 1, 1]
    )
    pd.testing.assert_frame_equal(imported.table, expected)
    assert imported.metadata["n_actions"] == 2
    assert imported.metadata["source"]["choice_coding"] == ["left", "right"]
    assert imported.metadata["source"]["n_actions_from"] == "choice labels"
    assert imported.notes == [
        "choices read as labels ['left', 'right']: label i is arm i",
        "n_actions = 2, from the 2 choice labels (arms 0..1 chosen)",
    ]
    # More labels than chosen: the labels, not the choices, give the number of arms.
    three = import_choice_data(path, choice_coding=("left", "right", "middle"))
    assert three.metadata["n_actions"] == 3
    assert three.notes[-1] == "never chosen: arm 2 of 0..2"

    unknown = write_csv(tmp_path, "participant,choice,reward\np,left,1\np,Right,0", name="labels.csv")
    with pytest.raises(
        ChoiceDataError,
        match=re.escape(
            "labels.csv: column 'choice', data row 2 (row 1 = first row after the header): choice 'Right' is "
            "not one of the labels ['left', 'right']; choice_coding lists the arms' labels in arm order"
        ),
    ):
        import_choice_data(unknown, choice_coding=["left", "right"])


def test_label_coding_of_parquet_numbers_and_bad_codings(tmp_path):
    frame = pd.DataFrame({"participant": [1, 1, 1], "choice": [10, 20, 30], "reward": [0.0, 1.0, 0.5]})
    frame.to_parquet(tmp_path / "coded.parquet")
    imported = import_choice_data(tmp_path / "coded.parquet", choice_coding=["30", "20", "10"])
    assert imported.table["choice"].tolist() == [2, 1, 0]
    path = write_csv(tmp_path, "participant,choice,reward\np,a,1\np,b,0")
    with pytest.raises(ValueError, match=r"n_actions=3 disagrees with choice_coding, which lists 2 labels"):
        import_choice_data(path, n_actions=3, choice_coding=["a", "b"])
    assert import_choice_data(path, n_actions=2, choice_coding=["a", "b"]).metadata["n_actions"] == 2
    for bad in ("1based", ["a"], ["a", " a"], ["a", ""], 1):
        with pytest.raises(ValueError, match="choice_coding"):
            import_choice_data(path, choice_coding=bad)
    labelled = write_csv(tmp_path, "participant,choice,reward,reward_2\np,a,1,\np,b,0,", name="cols.csv")
    with pytest.raises(
        ChoiceDataError, match=r"column 'reward_2' holds rewards of arm 2 .*add the arm's label"
    ):
        import_choice_data(labelled, choice_coding=["a", "b"])


def test_n_actions_inferred_from_reward_columns_beyond_the_choices(tmp_path):
    path = write_csv(
        tmp_path,
        "participant,choice,reward,reward_0,reward_1,reward_2,reward_3\n"
        "p,0,1,,0,0.5,0.25\np,1,0,1,,,\np,1,1,,,0,1",
    )
    imported = import_choice_data(path)
    assert imported.metadata["n_actions"] == 4
    assert imported.metadata["source"]["n_actions_from"] == "reward columns"
    assert imported.notes == [
        "n_actions = 4, inferred from the choices (arms 0..1 chosen) and reward columns reward_0..reward_3",
        "never chosen: arms 2, 3 of 0..3",
    ]
    expected = expected_table(
        ["p"] * 3,
        [0] * 3,
        [0, 1, 2],
        [0, 1, 1],
        [1, 0, 1],
        reward_0=[1, 1, np.nan],
        reward_1=[0, 0, 1],
        reward_2=[0.5, np.nan, 0],
        reward_3=[0.25, np.nan, 1],
    )
    pd.testing.assert_frame_equal(imported.table, expected)
    # A lone reward_3 column (nothing shown in it) still says there are four arms, but no reward_<a> are kept.
    lone = write_csv(tmp_path, "participant,choice,reward,reward_3\np,0,1,\np,1,0,", name="lone.csv")
    imported = import_choice_data(lone)
    assert imported.metadata["n_actions"] == 4
    assert imported.table.columns.tolist() == ["participant", "session", "trial", "choice", "reward"]
    assert (
        imported.notes[0]
        == "n_actions = 4, inferred from the choices (arms 0..1 chosen) and reward column reward_3"
    )


def test_stray_choice_is_flagged_in_the_notes_and_caught_by_a_stated_n_actions(tmp_path):
    path = write_csv(tmp_path, "participant,choice,reward\np,0,1\np,1,0\np,7,1\np,1,1")
    imported = import_choice_data(path)
    assert imported.metadata["n_actions"] == 8
    assert imported.notes == [
        "n_actions = 8, inferred from the choices (arms 0..7 chosen)",
        "never chosen: arms 2..6 of 0..7",
    ]
    with pytest.raises(
        ChoiceDataError, match=r"data row 3 .*choice '7' is not an arm index 0\.\.1 \(n_actions=2\)"
    ):
        import_choice_data(path, n_actions=2)
    only_zero = write_csv(tmp_path, "participant,choice,reward\np,0,1\np,0,0", name="zero.csv")
    assert import_choice_data(only_zero).notes == [
        "n_actions = 2, inferred from the choices (only arm 0 chosen) and raised to the minimum of 2",
        "never chosen: arm 1 of 0..1",
    ]


@pytest.mark.parametrize("coding", ["0-based", "1-based"])
def test_eight_arms(tmp_path, coding):
    rng = np.random.default_rng(8)
    arms = np.concatenate([np.arange(8), rng.integers(0, 8, 40)])
    offset = 1 if coding == "1-based" else 0
    frame = pd.DataFrame(
        {"participant": np.repeat(["a", "b"], 24), "choice": arms + offset, "reward": rng.random(48).round(2)}
    )
    frame.to_csv(tmp_path / "eight.csv", index=False)
    imported = import_choice_data(tmp_path / "eight.csv", choice_coding=coding)
    assert imported.metadata["n_actions"] == 8
    np.testing.assert_array_equal(imported.table["choice"], arms)
    dataset = dataset_from_trials(imported.table, 8, imported.metadata["participants"])
    pd.testing.assert_frame_equal(trials_from_dataset(dataset), imported.table)


def test_four_arm_lab_file_with_missed_trials_and_uneven_participants(tmp_path):
    # A lab file: arms 0..3, points 1..100, about 3% missed trials, participants with different numbers of
    # sessions and trials.
    rng = np.random.default_rng(4)
    design = {"s01": [60, 55, 70], "s02": [80], "s03": [45, 50]}  # trials per session
    rows = [
        (p, block, t) for p, sessions in design.items() for block, n in enumerate(sessions) for t in range(n)
    ]
    frame = pd.DataFrame(rows, columns=["subject", "block", "trial"])
    n = len(frame)
    frame["choice"] = rng.integers(0, 4, n).astype(float)
    frame["points"] = rng.integers(1, 101, n).astype(float)
    missed = rng.choice(n, size=round(0.03 * n), replace=False)
    frame.loc[missed, ["choice", "points"]] = np.nan
    frame = frame.sample(frac=1, random_state=0)  # rows in any order; the trial column sets it
    frame.to_csv(tmp_path / "lab.csv", index=False)

    options = {"columns": {"reward": "points"}, "reward_range": (1, 100), "drop_missed": True}
    imported = import_choice_data(tmp_path / "lab.csv", **options)
    kept = frame.drop(index=missed).sort_values(["subject", "block", "trial"])
    table = imported.table
    assert table.shape == (n - len(missed), 5)
    assert imported.n_missed_dropped == len(missed) == imported.metadata["source"]["n_missed_dropped"]
    assert imported.metadata["n_actions"] == 4
    assert sorted(imported.metadata["participants"]) == ["s01", "s02", "s03"]
    counts = table.groupby(["participant", "session"]).size()
    expected_counts = kept.groupby(["subject", "block"]).size()
    assert dict(counts) == {(str(p), int(b)): c for (p, b), c in expected_counts.items()}
    sorted_table = table.sort_values(["participant", "session", "trial"])
    np.testing.assert_array_equal(sorted_table["choice"], kept["choice"].to_numpy(np.int16))
    np.testing.assert_allclose(
        sorted_table["reward"], ((kept["points"] - 1) / 99).to_numpy(np.float32), rtol=1e-6
    )
    assert table["reward"].min() >= 0 and table["reward"].max() <= 1
    assert imported.notes[-1] == f"dropped {len(missed)} missed trials (empty choice)"
    # Trials renumbered 0, 1, ... within every session after the drop.
    assert (
        table.groupby(["participant", "session"])["trial"].apply(lambda t: list(t) == list(range(len(t))))
    ).all()


def test_import_to_parquet_passes_the_coding_through(tmp_path):
    source = write_csv(tmp_path, "subject,choice,reward\n1,L,1\n1,R,0\n2,R,0\n2,L,1")
    destination = tmp_path / "trials.parquet"
    imported = import_to_parquet(source, destination, choice_coding=["L", "R"])
    table, metadata = read_trials(destination)
    assert table["choice"].tolist() == [0, 1, 1, 0]
    assert metadata == imported.metadata
    assert metadata["source"]["choice_coding"] == ["L", "R"]


BAD_INPUTS = {
    # name: (file text, options, pieces the message must contain: column, data row, hint)
    "missing column": ("subject,pick,reward\n1,0,1\n1,1,0", {}, ["no choice column", "'choice'", "'action'"]),
    "mapped column absent": (
        "subject,choice,reward\n1,0,1\n1,1,0",
        {"columns": {"reward": "payoff"}},
        ["'payoff'"],
    ),
    "fractional choice": (
        "subject,choice,reward\n1,0,1\n1,1,0\n1,1.5,0",
        {},
        ["'choice'", "data row 3", "choice '1.5' is not a whole number >= 0"],
    ),
    "text choice": (
        "subject,choice,reward\n1,0,1\n1,left,0",
        {},
        [
            "'choice'",
            "data row 2",
            "choice 'left'",
            "choice_coding='1-based'",
            "choice_coding=['left', 'right']",
        ],
    ),
    "negative choice": ("subject,choice,reward\n1,-1,1\n1,1,0", {}, ["'choice'", "data row 1", "'-1'"]),
    "choice beyond n_actions": (
        "subject,choice,reward\n1,0,1\n1,2,0",
        {"n_actions": 2},
        ["'choice'", "data row 2", "choice '2' is not an arm index 0..1 (n_actions=2)"],
    ),
    "empty reward": (
        "subject,choice,reward\n1,0,1\n1,1,",
        {},
        ["'reward'", "data row 2", "reward (empty) is not a finite number"],
    ),
    "infinite reward": (
        "subject,action,outcome\n1,0,inf\n1,1,0",
        {},
        ["'outcome' (reward)", "data row 1", "'inf'"],
    ),
    "reward outside unit interval": (
        "subject,choice,reward\n1,0,1\n1,1,5",
        {},
        ["'reward'", "data row 2", "outside [0, 1]", "reward_range="],
    ),
    "reward outside stated range": (
        "subject,choice,reward\n1,0,1\n1,1,7",
        {"reward_range": (0, 5)},
        ["'reward'", "data row 2", "reward_range=(0.0, 5.0)"],
    ),
    "duplicate trial": (
        "subject,trial,choice,reward\n1,0,0,1\n1,1,1,0\n1,1,0,0",
        {},
        ["'trial'", "data row 3", "repeats trial 1", "first at data row 2"],
    ),
    "single-trial participant": (
        "subject,choice,reward\n1,0,1\n1,1,0\n2,0,1",
        {},
        ["'subject' (participant)", "data row 3", "'2'"],
    ),
    "negative session": ("subject,session,choice,reward\n1,0,0,1\n1,-2,1,0", {}, ["'session'", "data row 2"]),
    "choices look 1-based": (
        "subject,choice,reward\n1,1,1\n1,2,0",
        {},
        [
            "'choice'",
            "run 1..2 and arm 0 is never chosen",
            "choice_coding='1-based'",
            "choice_coding='0-based'",
        ],
    ),
    "unknown label": (
        "subject,choice,reward\n1,L,1\n1,X,0",
        {"choice_coding": ["L", "R"]},
        ["'choice'", "data row 2", "choice 'X' is not one of the labels ['L', 'R']"],
    ),
    "empty participant": (
        "subject,choice,reward\n1,0,1\n,1,0\n1,1,0",
        {},
        ["'subject' (participant)", "data row 2"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_fails_naming_file_column_and_row_and_writes_nothing(tmp_path, case):
    text, options, pieces = BAD_INPUTS[case]
    source = write_csv(tmp_path, text, name="user_choices.csv")
    out = tmp_path / "out"
    with pytest.raises(ChoiceDataError) as error:
        import_to_parquet(source, out / "trials.parquet", **options)
    message = str(error.value)
    for piece in [str(source), *pieces]:
        assert piece in message, f"{piece!r} not in {message!r}"
    if "data row" in message:
        assert "(row 1 = first row after the header)" in message
    assert not out.exists() or not any(out.iterdir())


def test_unknown_extension_is_named(tmp_path):
    path = tmp_path / "choices.xlsx"
    path.write_text("whatever")
    with pytest.raises(ChoiceDataError, match=re.escape("unknown file extension '.xlsx'")):
        import_choice_data(path)


def test_bad_options_are_value_errors(tmp_path):
    path = write_csv(tmp_path, "subject,choice,reward\n1,0,1\n1,1,0")
    with pytest.raises(ValueError, match="reward_range"):
        import_choice_data(path, reward_range=(1, 1))
    with pytest.raises(ValueError, match="n_actions"):
        import_choice_data(path, n_actions=1)
    with pytest.raises(ChoiceDataError, match="unknown key"):
        import_choice_data(path, columns={"subject": "subject"})
