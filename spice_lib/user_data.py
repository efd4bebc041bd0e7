"""Import a user's choice data (CSV, TSV or Parquet) into the trials table (docs/architecture.md, "The data contract").

`import_choice_data` reads a file, maps its columns onto ours, validates every value and returns the trials
table (exact dtypes of `TRIALS_COLUMNS`, sorted by participant in order of first appearance, session, trial)
with its metadata; `import_to_parquet` also writes it with `write_trials`. Bad input raises one
`ChoiceDataError` naming the file, the column, the first offending data row and what to do; nothing is
written then.

Conventions:
- Row numbers are data rows: the first row after the header is data row 1 (for CSV/TSV, file line = row + 1;
  blank lines are skipped and not counted).
- Column defaults (exact name first, else case-insensitive): participant <- participant | subject | session
  (the last only when `session` is not mapped; then that column is the participant, and sessions come from
  `block` if present, else every participant has the single session 0); session <- session | block, else 0;
  choice <- choice | action; reward <- reward | outcome; trial <- trial, else the order of rows in the file;
  reward_{a} <- reward_{a}. Other columns are ignored.
- Trials are always renumbered 0, 1, 2, ... within a participant's session, in the order of the given trial
  column (so 1-based numbering and gaps are closed) or of the file; a repeated trial number is an error.
- Counterfactual rewards (reward_{a}, empty = not shown) take the chosen arm's reward from `reward`, and are
  kept only when some unchosen arm's reward is shown (as `trials_from_dataset` does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from spice_lib.dataset import TRIALS_COLUMNS, reward_column
from spice_lib.trials_io import write_trials

_FORMATS = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet"}
_DEFAULTS = {
    "participant": ("participant", "subject", "session"),
    "session": ("session", "block"),
    "trial": ("trial",),
    "choice": ("choice", "action"),
    "reward": ("reward", "outcome"),
}
_ARM_COLUMN = re.compile(r"reward_(\d+)")


class ChoiceDataError(ValueError):
    """User choice data that break the trials-table contract; the message says where and what to do."""


@dataclass(frozen=True)
class ImportedData:
    """An imported trials table (one row per trial), its metadata (`n_actions`, `participants`, `source`) and
    the number of missed trials dropped."""

    table: pd.DataFrame
    metadata: dict
    n_missed_dropped: int


def _read(path: Path) -> pd.DataFrame:
    """The file as a DataFrame with a 0-based RangeIndex (position i is data row i + 1)."""
    kind = _FORMATS.get(path.suffix.lower())
    if kind is None:
        raise ChoiceDataError(
            f"{path}: unknown file extension {path.suffix!r}; save the data as .csv, .tsv, .parquet or .pq"
        )
    try:
        if kind == "parquet":
            frame = pd.read_parquet(path)
        else:
            # Everything as text: ids keep their spelling ("03"), and numbers are parsed later so that a bad
            # value is reported with its row instead of silently turning a column into strings.
            frame = pd.read_csv(path, sep="\t" if kind == "tsv" else ",", dtype=str, skipinitialspace=True)
    except (ValueError, pa.ArrowException) as error:  # parser, encoding, empty-file and Arrow errors
        raise ChoiceDataError(f"{path}: cannot be read as {kind}: {error}") from error
    if frame.empty:
        raise ChoiceDataError(f"{path}: has no data rows; the file needs one row per trial")
    return frame.reset_index(drop=True)


def _resolve_columns(path: Path, available: list[str], columns: dict | None) -> dict[str, str | None]:
    """Map our column names to the file's: explicit `columns` first, then the defaults (module docstring).

    Returns {our name: file column or None}; None means session 0 for every trial or trial from row order.
    """
    columns = dict(columns or {})
    unknown = [ours for ours in columns if ours not in TRIALS_COLUMNS and not _ARM_COLUMN.fullmatch(ours)]
    if unknown:
        raise ChoiceDataError(
            f"{path}: columns= has unknown key(s) {unknown}; its keys are our names "
            f"{list(TRIALS_COLUMNS)} or reward_<arm>, its values the file's column names"
        )
    absent = {ours: theirs for ours, theirs in columns.items() if theirs not in available}
    if absent:
        raise ChoiceDataError(
            f"{path}: column(s) {list(absent.values())} given in columns= (for {list(absent)}) are not in "
            f"the file; its columns are {available}"
        )
    values = list(columns.values())
    if len(set(values)) < len(values):
        raise ChoiceDataError(f"{path}: columns= maps one file column to several of ours: {columns}")

    used = set(values)

    def find(names: tuple[str, ...]) -> str | None:
        for name in names:
            exact = [c for c in available if c == name and c not in used]
            loose = [c for c in available if c.strip().lower() == name and c not in used]
            if exact or len(loose) == 1:
                used.add((exact or loose)[0])
                return (exact or loose)[0]
        return None

    mapping: dict[str, str | None] = {}
    for ours, names in _DEFAULTS.items():
        if ours == "participant" and "session" in columns:
            names = names[:-1]  # the user named the session column, so it cannot double as participant
        mapping[ours] = columns[ours] if ours in columns else find(names)
        if mapping[ours] is None and ours in ("participant", "choice", "reward"):
            looked = ", ".join(repr(n) for n in names)
            raise ChoiceDataError(
                f"{path}: no {ours} column; looked for {looked} (case-insensitive) among the file's columns "
                f"{available}; name yours with columns={{{ours!r}: '<your column>'}}"
            )
    arms = {ours: theirs for ours, theirs in columns.items() if _ARM_COLUMN.fullmatch(ours)}
    arms.update({c: c for c in available if _ARM_COLUMN.fullmatch(c) and c not in used and c not in arms})
    return {**mapping, **dict(sorted(arms.items(), key=lambda item: int(item[0][7:])))}


@dataclass(frozen=True)
class _Columns:
    """The rows being imported, how to parse them and how to blame them (rows[i]: data row of frame row i)."""

    path: Path
    frame: pd.DataFrame
    mapping: dict[str, str | None]
    rows: np.ndarray

    def error(self, ours: str, i: int, problem: str, fix: str) -> ChoiceDataError:
        theirs = self.mapping[ours]
        label = repr(theirs) if theirs == ours else f"{theirs!r} ({ours})"
        return ChoiceDataError(
            f"{self.path}: column {label}, data row {self.rows[i]} (row 1 = first row after the header): "
            f"{problem}; {fix}"
        )

    def value(self, ours: str, i: int) -> str:
        raw = self.frame[self.mapping[ours]].iloc[i]
        return "(empty)" if pd.isna(raw) else repr(raw)

    def numbers(self, ours: str) -> np.ndarray:
        """float64 values of a column; NaN where empty or not a number (text, bad spelling)."""
        numeric = pd.to_numeric(self.frame[self.mapping[ours]], errors="coerce")
        return numeric.astype("Float64").to_numpy(float, na_value=np.nan)

    def whole_numbers(self, ours: str, low: int | None, high: int, requirement: str, fix: str) -> np.ndarray:
        """A column as int64, failing at its first value that is not a whole number in [low, high]."""
        values = self.numbers(ours)
        bad = ~np.isfinite(values) | (values != np.round(values)) | (values > high)
        if low is not None:
            bad |= values < low
        if bad.any():
            i = int(np.argmax(bad))
            raise self.error(ours, i, f"{ours} {self.value(ours, i)} is not {requirement}", fix)
        return values.astype(np.int64)

    def rewards(self, ours: str, reward_range: tuple[float, float] | None, allow_empty: bool) -> np.ndarray:
        """A reward column rescaled to [0, 1] (float64; NaN where empty, if `allow_empty`)."""
        values = self.numbers(ours)
        bad = ~np.isfinite(values) & ~(allow_empty & self.frame[self.mapping[ours]].isna().to_numpy())
        if bad.any():
            i = int(np.argmax(bad))
            fix = "rewards must be finite numbers" + (
                "; leave a cell empty where not shown" if allow_empty else ""
            )
            raise self.error(ours, i, f"reward {self.value(ours, i)} is not a finite number", fix)
        low, high = reward_range if reward_range is not None else (0.0, 1.0)
        scaled = (values - low) / (high - low)
        outside = (scaled < 0) | (scaled > 1)  # False for NaN
        if not outside.any():
            return scaled
        i = int(np.argmax(outside))
        if reward_range is None:
            span = f"{np.nanmin(values):g} to {np.nanmax(values):g}"
            fix = (
                "rewards must lie in [0, 1]; if yours are on another scale pass reward_range=(low, high) "
                f"with its bounds to rescale them (this column spans {span})"
            )
            raise self.error(ours, i, f"reward {self.value(ours, i)} is outside [0, 1]", fix)
        problem = (
            f"reward {self.value(ours, i)} is outside reward_range={reward_range} (rescaled: {scaled[i]:g})"
        )
        raise self.error(ours, i, problem, "widen reward_range or correct the value")


def _shown_rewards(
    data: _Columns, choice: np.ndarray, reward: np.ndarray, n_actions: int, reward_range
) -> np.ndarray | None:
    """Reward of every arm per trial, (n_trials, n_actions) float64, NaN where not shown; None when the file
    shows no unchosen arm's reward (then there are no reward_{a} columns to keep)."""
    n = len(choice)
    shown = np.full((n, n_actions), np.nan)
    for ours in data.mapping:
        if not _ARM_COLUMN.fullmatch(ours):
            continue
        arm = int(ours.removeprefix("reward_"))
        if arm >= n_actions:
            raise ChoiceDataError(
                f"{data.path}: column {data.mapping[ours]!r} holds rewards of arm {arm} but n_actions is "
                f"{n_actions}; pass n_actions={arm + 1} or drop the column"
            )
        shown[:, arm] = data.rewards(ours, reward_range, allow_empty=True)
    at_choice = shown[np.arange(n), choice]
    clash = ~np.isnan(at_choice) & (at_choice.astype(np.float32) != reward.astype(np.float32))
    if clash.any():
        i = int(np.argmax(clash))
        problem = f"shows {at_choice[i]:g} for the chosen arm {choice[i]} but reward is {reward[i]:g}"
        fix = "the chosen arm's reward must equal the reward column (or leave it empty)"
        raise data.error(reward_column(int(choice[i])), i, problem, fix)
    shown[np.arange(n), choice] = reward
    return shown if (~np.isnan(shown) & (np.arange(n_actions) != choice[:, None])).any() else None


def import_choice_data(
    path,
    columns: dict[str, str] | None = None,
    n_actions: int | None = None,
    reward_range: tuple[float, float] | None = None,
    drop_missed: bool = False,
) -> ImportedData:
    """Read a user's choice file (.csv, .tsv, .parquet, .pq) into a validated trials table.

    columns: {our column name: the file's column name} for participant, session, trial, choice, reward,
        reward_<arm>; unmapped ones fall back to the defaults of the module docstring.
    n_actions: number of arms; inferred as max(choice) + 1 (at least 2) when None.
    reward_range: (low, high) of the file's reward scale; rewards become (r - low) / (high - low) in [0, 1].
    drop_missed: drop trials with an empty choice (missed trials) instead of failing; counted in the result.
    Returns ImportedData: the table (one row per trial) sorted by participant (first appearance), session,
    trial, and metadata {n_actions, participants, source} ready for `write_trials`.
    Raises ChoiceDataError (a ValueError) naming the file, column and first offending data row.
    """
    path = Path(path)
    int16_max = int(np.iinfo(np.int16).max)
    if n_actions is not None and not 2 <= n_actions <= int16_max:
        raise ValueError(f"n_actions must be an integer from 2 to {int16_max}; got {n_actions}")
    if reward_range is not None:
        reward_range = (float(reward_range[0]), float(reward_range[1]))
        if not np.isfinite(reward_range).all() or reward_range[1] <= reward_range[0]:
            raise ValueError(f"reward_range must be finite (low, high) with low < high; got {reward_range}")
    frame = _read(path)
    mapping = _resolve_columns(path, list(frame.columns), columns)
    data = _Columns(path, frame, mapping, rows=np.arange(1, len(frame) + 1))

    missed = frame[mapping["choice"]].isna().to_numpy()
    if missed.any() and not drop_missed:
        fix = "pass drop_missed=True to drop missed trials, or fill in the choice"
        raise data.error("choice", int(np.argmax(missed)), "choice is empty (a missed trial?)", fix)
    if missed.all():
        raise ChoiceDataError(f"{path}: every trial is missed (empty choice); there is nothing to import")
    data = _Columns(path, frame[~missed].reset_index(drop=True), mapping, data.rows[~missed])

    participant = data.frame[mapping["participant"]]
    if participant.isna().any():
        i = int(np.argmax(participant.isna().to_numpy()))
        raise data.error("participant", i, "participant id is empty", "give every trial its participant's id")
    codes, ids = pd.factorize(participant.astype("string"))  # codes follow the order of first appearance

    if n_actions is None:
        requirement, limit, fix = "a whole number >= 0", int16_max - 1, ""
    else:
        requirement, limit = f"an arm index 0..{n_actions - 1} (n_actions={n_actions})", n_actions - 1
        fix = f", or raise n_actions={n_actions}"
    fix = (
        "choices are 0-based arm indices; recode labels (e.g. 'left'/'right') or 1-based arms to 0, 1, ..."
        + fix
    )
    choice = data.whole_numbers("choice", 0, limit, requirement, fix)
    n_actions = n_actions if n_actions is not None else max(2, int(choice.max()) + 1)
    if mapping["session"] is None:
        session = np.zeros(len(choice), np.int64)
    else:
        fix = "number sessions (or blocks) 0, 1, 2, ..."
        session = data.whole_numbers("session", 0, int(np.iinfo(np.int32).max), "a whole number >= 0", fix)
    if mapping["trial"] is None:
        trial = np.arange(len(choice))  # the file's order within participant and session
    else:
        fix = "trial numbers must be whole numbers (they set the order of trials)"
        trial = data.whole_numbers("trial", None, 2**62, "a whole number", fix)
    reward = data.rewards("reward", reward_range, allow_empty=False)
    shown = _shown_rewards(data, choice, reward, n_actions, reward_range)

    keys = pd.DataFrame({"participant": codes, "session": session, "trial": trial})
    repeated = keys.duplicated().to_numpy()
    if repeated.any():
        i = int(np.argmax(repeated))
        first = int(np.argmax((keys == keys.iloc[i]).all(axis=1).to_numpy()))
        problem = (
            f"repeats trial {trial[i]} of participant {ids[codes[i]]!r}, session {session[i]} "
            f"(first at data row {data.rows[first]})"
        )
        raise data.error("trial", i, problem, "trial numbers must be unique within a session")
    counts = np.bincount(codes, minlength=len(ids))
    if (counts < 2).any():
        p = int(np.argmax(counts < 2))
        fix = (
            "each participant needs at least 2 trials (a choice and a next choice to predict); remove the "
            "participant or check the participant column"
        )
        problem = f"participant {ids[p]!r} has only {counts[p]} trial"
        raise data.error("participant", int(np.argmax(codes == p)), problem, fix)

    # Participant (first appearance), session, then the trial column or the file's order; trials renumbered.
    order = np.lexsort((trial, session, codes))
    codes, session = codes[order], session[order]
    table = pd.DataFrame(
        {
            "participant": pd.array(np.asarray(ids, dtype=object)[codes], dtype="string"),
            "session": session.astype(np.int32),
            "trial": keys.iloc[order, :2].groupby(["participant", "session"]).cumcount().to_numpy(np.int32),
            "choice": choice[order].astype(np.int16),
            "reward": reward[order].astype(np.float32),
        }
    )
    for arm in range(n_actions if shown is not None else 0):
        table[reward_column(arm)] = shown[order, arm].astype(np.float32)

    n_missed = int(missed.sum())
    source = {
        "file": path.name,
        "format": _FORMATS[path.suffix.lower()],
        "columns": mapping,
        "reward_range": list(reward_range) if reward_range is not None else None,
        "n_rows": len(frame),
        "n_missed_dropped": n_missed,
    }
    metadata = {"n_actions": int(n_actions), "participants": [str(p) for p in ids], "source": source}
    return ImportedData(table=table, metadata=metadata, n_missed_dropped=n_missed)


def import_to_parquet(source, destination, **options) -> ImportedData:
    """Import `source` with `import_choice_data(source, **options)` and write the trials table to
    `destination` (Parquet, with metadata). Nothing is written when the import fails."""
    imported = import_choice_data(source, **options)
    write_trials(destination, imported.table, imported.metadata)
    return imported
