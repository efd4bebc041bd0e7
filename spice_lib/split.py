"""The held-out split of a data set: which trials every model is scored on (README, "Your own data").

Per participant, deterministic from `seed` and the participant's id (each participant has its own random
stream, so adding, removing or reordering participants does not change anyone else's split):
- two or more sessions: whole sessions are held out, round(test_fraction x sessions) of them, at least one,
  and at least one session is kept for training;
- one session: its last round(test_fraction x trials) trials are held out (at least one, keeping at least two
  for training). Models run through the whole session, so their state is warmed up on the training trials,
  and only the held-out trials are scored.

The split is data (`split_trials`: one row per trial with `held_out`); `training_table` and `held_out_table` cut
a trials table by it, so every model sees the same training trials and is scored on the same held-out ones.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from spice_lib.dataset import SCORED_COLUMN

TEST_FRACTION = 0.2


def split_trials(table: pd.DataFrame, test_fraction: float = TEST_FRACTION, seed: int = 0) -> pd.DataFrame:
    """Which trials of a trials table are held out.

    Returns one row per trial of `table` (same order): participant, session, trial, held_out (bool).
    Raises ValueError naming the participant when it has too little data to split.
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must lie strictly between 0 and 1; got {test_fraction}")
    held_out = np.zeros(len(table), dtype=bool)
    participants = table["participant"].astype("string")
    for participant, rows in table.groupby(participants, sort=False).indices.items():
        sessions = table["session"].to_numpy()[rows]
        distinct = np.unique(sessions)
        if len(distinct) >= 2:
            n_test = min(max(1, round(test_fraction * len(distinct))), len(distinct) - 1)
            generator = np.random.default_rng([seed, _stable_number(participant)])
            test_sessions = generator.choice(distinct, size=n_test, replace=False)
            held_out[rows] = np.isin(sessions, test_sessions)
            continue
        trials = table["trial"].to_numpy()[rows]
        n_test = max(1, round(test_fraction * len(rows)))
        if len(rows) - n_test < 2:
            raise ValueError(
                f"participant {participant!r} has one session of {len(rows)} trials: too few to hold out "
                f"{n_test} and keep 2 for training; lower test_fraction or remove the participant"
            )
        cutoff = np.sort(trials)[len(rows) - n_test]
        held_out[rows] = trials >= cutoff
    return pd.DataFrame(
        {
            "participant": participants.to_numpy(),
            "session": table["session"].to_numpy(),
            "trial": table["trial"].to_numpy(),
            "held_out": held_out,
        }
    ).astype({"participant": "string"})


def _stable_number(text: str) -> int:
    """A number from a participant id that is the same in every process (Python's hash() is salted)."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")


def training_table(table: pd.DataFrame, split: pd.DataFrame) -> pd.DataFrame:
    """The trials that are not held out (a single session keeps its first trials, still numbered 0..)."""
    return table[~_held_out(table, split)].reset_index(drop=True)


def held_out_table(table: pd.DataFrame, split: pd.DataFrame) -> pd.DataFrame:
    """Every session with a held-out trial, whole, with the `scored` column marking the held-out trials.

    Models replay the whole session; only choices on scored trials count (`dataset_from_trials`)."""
    held_out = _held_out(table, split)
    keys = table[["participant", "session"]].astype({"participant": "string"})
    tested = pd.MultiIndex.from_frame(keys).isin(pd.MultiIndex.from_frame(keys[held_out]))
    test = table[tested].reset_index(drop=True)
    test[SCORED_COLUMN] = held_out[tested]
    return test


def _held_out(table: pd.DataFrame, split: pd.DataFrame) -> np.ndarray:
    """split's held_out, aligned with table's rows by (participant, session, trial)."""
    keys = ["participant", "session", "trial"]
    aligned = table[keys].astype({"participant": "string"}).merge(
        split[keys + ["held_out"]].astype({"participant": "string"}), on=keys, how="left", validate="one_to_one"
    )
    if aligned["held_out"].isna().any():
        raise ValueError("the split does not cover every trial of the table; rerun the split on this table")
    return aligned["held_out"].to_numpy(bool)
