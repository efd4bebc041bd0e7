"""`DatasetRNN`: choice data as the tensors the RNN reads, and its two-way conversion to the trials table.

The tensor layout (which columns of xs hold what, how padding looks) is defined in `spice_lib.xs_layout`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch

from spice_lib.xs_layout import NOT_SHOWN, check_n_features, is_real_trial, join_xs, split_xs

# Optional column of held-out tables: only choices on trials marked True are scored (spice_lib.split).
SCORED_COLUMN = "scored"
TRIALS_COLUMNS = {"participant": "string", "session": "int32", "trial": "int32", "choice": "int16", "reward": "float32"}


def reward_column(arm: int) -> str:
    """Name of the optional trials-table column holding arm `arm`'s reward when the task shows it."""
    return f"reward_{arm}"


def split_inputs(xs, n_actions: int):
    """Unpack xs (n_sessions, n_trials, features), numpy or torch, into its parts.

    Returns choices (int64, -1 on padding), rewards (n_sessions, n_trials, n_actions; -1 where not shown),
    participant_index (int64, one per session) and valid (bool, real trials).
    """
    xs = xs.detach().cpu().numpy() if isinstance(xs, torch.Tensor) else np.asarray(xs)
    one_hot, rewards, _, participant = split_xs(xs, n_actions)
    valid = is_real_trial(one_hot)
    choices = np.where(valid, one_hot.argmax(-1), -1).astype(np.int64)
    return choices, rewards.astype(np.float64), participant[:, 0].astype(np.int64), valid


class DatasetRNN(torch.utils.data.Dataset):
    """Sessions as tensors: xs (n_sessions, n_trials, 2 n_actions + 1) and ys (n_sessions, n_trials, n_actions).

    participant_ids[i] is the id (as the user gave it) of participant index i; session_ids[s] is the session
    number (within its participant) of row s.
    """

    def __init__(self, xs, ys, participant_ids: Sequence[str] | None = None, session_ids=None):
        self.xs = torch.as_tensor(xs, dtype=torch.float32)
        self.ys = torch.as_tensor(ys, dtype=torch.float32)
        if self.xs.ndim != 3 or self.ys.ndim != 3 or self.xs.shape[:2] != self.ys.shape[:2]:
            raise ValueError(
                f"xs and ys must be (sessions, trials, features) with equal sessions and trials; "
                f"got {tuple(self.xs.shape)} and {tuple(self.ys.shape)}"
            )
        check_n_features(self.xs.shape[-1], self.n_actions, owner=f"ys has {self.n_actions} arms")
        index = self.participant_index
        if participant_ids is None:
            participant_ids = [str(i) for i in range(int(index.max(initial=-1)) + 1)]
        self.participant_ids = [str(p) for p in participant_ids]
        if len(index) and (index.min() < 0 or index.max() >= len(self.participant_ids)):
            raise ValueError(f"participant index out of range for {len(self.participant_ids)} participant ids")
        if session_ids is None:
            session_ids = pd.Series(index).groupby(index).cumcount().to_numpy()
        self.session_ids = np.asarray(session_ids, dtype=np.int64)

    @classmethod
    def from_sessions(
        cls, choices, rewards, participant_index, participant_ids=None, session_ids=None, scored=None
    ):
        """Build from choices (n_sessions, n_trials; -1 on padding), rewards (n_sessions, n_trials, n_actions;
        -1 where not shown) and one participant index per session. scored (n_sessions, n_trials; bool,
        optional): only choices on scored trials become targets (ys); the others are replayed, not scored."""
        choices = np.asarray(choices, dtype=np.int64)
        rewards = np.asarray(rewards, dtype=np.float32)
        n_sessions, n_trials, n_actions = rewards.shape
        valid = choices >= 0
        one_hot = np.where(valid[..., None], np.eye(n_actions, dtype=np.float32)[np.maximum(choices, 0)], NOT_SHOWN)
        participant_column = np.broadcast_to(
            np.asarray(participant_index, dtype=np.float32)[:, None], (n_sessions, n_trials)
        )
        xs = join_xs(one_hot, np.where(valid[..., None], rewards, NOT_SHOWN), participant_column)
        ys = np.full((n_sessions, n_trials, n_actions), NOT_SHOWN, dtype=np.float32)
        has_next = valid[:, 1:] if scored is None else valid[:, 1:] & np.asarray(scored, dtype=bool)[:, 1:]
        ys[:, :-1][has_next] = one_hot[:, 1:][has_next]
        return cls(xs, ys, participant_ids=participant_ids, session_ids=session_ids)

    @property
    def n_actions(self) -> int:
        return int(self.ys.shape[-1])

    @property
    def n_participants(self) -> int:
        return len(self.participant_ids)

    @property
    def participant_index(self) -> np.ndarray:
        if not len(self.xs):
            return np.zeros(0, np.int64)
        return split_xs(self.xs, self.n_actions).participant[:, 0].numpy().astype(np.int64)

    def __len__(self) -> int:
        return self.xs.shape[0]

    def __getitem__(self, index):
        return self.xs[index], self.ys[index]


def dataset_from_trials(table: pd.DataFrame, n_actions: int, participant_ids: Sequence[str]) -> DatasetRNN:
    """Turn a trials table (docs/architecture.md; one row per trial, trials numbered 0.. without gaps within a session)
    into a DatasetRNN whose rows are ordered by participant (as in `participant_ids`) then session.

    A `scored` column (bool, held-out tables of a split) makes only the choices on scored trials targets."""
    ids = [str(p) for p in participant_ids]
    lookup = pd.Series(np.arange(len(ids)), index=pd.Index(ids, dtype="string"))
    participants = table["participant"].astype("string")
    unknown = ~participants.isin(lookup.index)
    if unknown.any():
        raise ValueError(f"participant {participants[unknown].iloc[0]!r} is not in the participant-id mapping")
    frame = pd.DataFrame(
        {
            "index": lookup.loc[participants].to_numpy(),
            "session": table["session"].to_numpy(np.int64),
            "trial": table["trial"].to_numpy(np.int64),
        }
    )
    order = np.lexsort((frame["trial"], frame["session"], frame["index"]))
    frame = frame.iloc[order].reset_index(drop=True)
    keys = frame["index"].to_numpy() * (frame["session"].max() + 1) + frame["session"].to_numpy()
    session_keys, row = np.unique(keys, return_inverse=True)
    position = frame.groupby(row).cumcount().to_numpy()
    if not np.array_equal(position, frame["trial"].to_numpy()):
        bad = int(np.argmax(position != frame["trial"].to_numpy()))
        raise ValueError(
            f"trials of participant {ids[frame['index'][bad]]!r}, session {frame['session'][bad]} are not "
            f"numbered 0, 1, 2, ... without gaps (found trial {frame['trial'][bad]} at position {position[bad]})"
        )
    n_sessions, n_trials = len(session_keys), int(position.max()) + 1
    choices = np.full((n_sessions, n_trials), -1, dtype=np.int64)
    rewards = np.full((n_sessions, n_trials, n_actions), NOT_SHOWN, dtype=np.float32)
    chosen = table["choice"].to_numpy(np.int64)[order]
    choices[row, position] = chosen
    for arm in range(n_actions):
        column = reward_column(arm)
        if column in table:
            shown = table[column].to_numpy(np.float32)[order]
            rewards[row, position, arm] = np.where(np.isnan(shown), NOT_SHOWN, shown)
    rewards[row, position, chosen] = table["reward"].to_numpy(np.float32)[order]
    scored = None
    if SCORED_COLUMN in table:
        scored = np.zeros((n_sessions, n_trials), dtype=bool)
        scored[row, position] = table[SCORED_COLUMN].to_numpy(bool)[order]
    first = np.unique(row, return_index=True)[1]
    return DatasetRNN.from_sessions(
        choices,
        rewards,
        participant_index=frame["index"].to_numpy()[first],
        participant_ids=ids,
        session_ids=frame["session"].to_numpy()[first],
        scored=scored,
    )


def trials_from_dataset(dataset: DatasetRNN) -> pd.DataFrame:
    """The long-format trials table of a DatasetRNN (inverse of `dataset_from_trials`).

    Counterfactual columns reward_{a} are written only when some session shows an unchosen arm's reward.
    """
    n_actions = dataset.n_actions
    choices, rewards, participant_index, valid = split_inputs(dataset.xs, n_actions)
    session_row, trial = np.nonzero(valid)
    chosen = choices[session_row, trial]
    table = pd.DataFrame(
        {
            "participant": pd.array(np.asarray(dataset.participant_ids, dtype=object)[participant_index[session_row]], dtype="string"),
            "session": dataset.session_ids[session_row].astype(np.int32),
            "trial": trial.astype(np.int32),
            "choice": chosen.astype(np.int16),
            "reward": rewards[session_row, trial, chosen].astype(np.float32),
        }
    )
    per_arm = rewards[session_row, trial].astype(np.float32)
    unchosen_shown = (per_arm >= 0) & (np.arange(n_actions) != chosen[:, None])
    if unchosen_shown.any():
        for arm in range(n_actions):
            table[reward_column(arm)] = np.where(per_arm[:, arm] >= 0, per_arm[:, arm], np.nan).astype(np.float32)
    return table
