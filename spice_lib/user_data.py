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
- Choices are coded by `choice_coding`: "0-based" (arm indices 0..n-1), "1-based" (arms 1..n, stored as
  0..n-1) or a list of labels (label i is arm i; a cell matches after stripping whitespace, a Parquet number by
  its string form). Left unset, choices are 0-based, but a file whose choices run 1..k (k >= 2) with arm 0
  never chosen stops with a message asking for the coding: many labs number arms from 1, and importing such a
  file as 0-based would silently add an arm nobody chose.
- n_actions: given, it is checked against every choice and reward_{a} column (a data set's config states
  it); with a label list it is the number of labels; otherwise it is inferred as the larger of max(choice) + 1
  and the highest reward_{a} arm + 1, at least 2. `metadata["source"]["n_actions_from"]` says which, and
  `ImportedData.notes` say it in words for the log (with any arm never chosen, which flags a stray choice).
- Counterfactual rewards (reward_{a}, empty = not shown) take the chosen arm's reward from `reward`, and are
  kept only when some unchosen arm's reward is shown (as `trials_from_dataset` does).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from spice_lib.dataset import TRIALS_COLUMNS, reward_column
from spice_lib.tasks import REWARD_RANGE
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
_INT16_MAX = int(np.iinfo(np.int16).max)  # choices are stored as int16, so at most this many arms


# The keyword settings of `import_choice_data` that a config data set may give (README, "Your own data").
IMPORT_SETTINGS = ("columns", "n_actions", "reward_range", "drop_missed", "choice_coding")


class ChoiceDataError(ValueError):
    """User choice data that break the trials-table contract; the message says where and what to do."""


@dataclass(frozen=True)
class ImportedData:
    """An imported trials table (one row per trial), its metadata (`n_actions`, `participants`, `source`),
    the number of missed trials dropped and `notes`: lines for the log saying how the choices were read and
    where n_actions came from."""

    table: pd.DataFrame
    metadata: dict
    n_missed_dropped: int
    notes: list[str] = field(default_factory=list)


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
    used = set(columns.values())

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

    def label(self, ours: str) -> str:
        """The file's column name, with ours in parentheses when they differ."""
        theirs = self.mapping[ours]
        return repr(theirs) if theirs == ours else f"{theirs!r} ({ours})"

    def error(self, ours: str, i: int, problem: str, fix: str) -> ChoiceDataError:
        return ChoiceDataError(
            f"{self.path}: column {self.label(ours)}, data row {self.rows[i]} (row 1 = first row after the "
            f"header): {problem}; {fix}"
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
        low, high = reward_range if reward_range is not None else REWARD_RANGE
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
    for ours, arm in _reward_arms(data.mapping).items():  # every arm < n_actions (checked in _n_actions)
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


def _reward_arms(mapping: dict[str, str | None]) -> dict[str, int]:
    """{reward_<arm>: arm} for the counterfactual reward columns mapped, in arm order."""
    return {ours: int(ours.removeprefix("reward_")) for ours in mapping if _ARM_COLUMN.fullmatch(ours)}


def _spans(arms: list[int]) -> str:
    """Arms as short text: [0, 2, 3, 4, 7] -> '0, 2..4, 7'."""
    runs: list[list[int]] = []
    for arm in sorted(arms):
        if runs and arm == runs[-1][1] + 1:
            runs[-1][1] = arm
        else:
            runs.append([arm, arm])
    return ", ".join(str(a) if a == b else f"{a}, {b}" if b == a + 1 else f"{a}..{b}" for a, b in runs)


def _coding(choice_coding, n_actions: int | None) -> str | list[str] | None:
    """choice_coding validated: None (0-based, checked for looking 1-based), "0-based", "1-based" or labels."""
    if choice_coding is None or (isinstance(choice_coding, str) and choice_coding in ("0-based", "1-based")):
        return choice_coding
    if isinstance(choice_coding, str) or not isinstance(choice_coding, Sequence):
        raise ValueError(
            f"choice_coding must be '0-based', '1-based' or a list of labels (label i is arm i); "
            f"got {choice_coding!r}"
        )
    labels = [str(label).strip() for label in choice_coding]
    if not 2 <= len(labels) <= _INT16_MAX or "" in labels or len(set(labels)) < len(labels):
        raise ValueError(
            f"choice_coding as labels needs 2 to {_INT16_MAX} distinct, non-empty labels (label i is arm i); "
            f"got {list(choice_coding)!r}"
        )
    if n_actions is not None and n_actions != len(labels):
        raise ValueError(
            f"n_actions={n_actions} disagrees with choice_coding, which lists {len(labels)} labels "
            f"{labels}; drop n_actions or make the two agree"
        )
    return labels


def _choices(data: _Columns, coding: str | list[str] | None, n_actions: int | None) -> np.ndarray:
    """The choice column as 0-based arm indices (int64), failing at the first value the coding rejects."""
    if isinstance(coding, list):
        arm_of = {label: arm for arm, label in enumerate(coding)}
        cells = data.frame[data.mapping["choice"]].to_numpy(object)
        arms = np.array([arm_of.get(str(cell).strip(), -1) for cell in cells], np.int64)
        if (arms < 0).any():
            i = int(np.argmax(arms < 0))
            problem = f"choice {data.value('choice', i)} is not one of the labels {coding}"
            fix = "choice_coding lists the arms' labels in arm order (label i is arm i); add it or correct the value"
            raise data.error("choice", i, problem, fix)
        return arms

    if coding is None:
        values = data.numbers("choice")
        whole = np.isfinite(values) & (values == np.round(values))
        # Only when every value is a whole number: otherwise the first bad value is the better message.
        if whole.all() and values.min() == 1 and values.max() >= 2:
            top = int(values.max())
            raise ChoiceDataError(
                f"{data.path}: column {data.label('choice')}: the choices run 1..{top} and arm 0 is never "
                f"chosen, so they look 1-based; pass choice_coding='1-based' to import them as arms "
                f"0..{top - 1}, or choice_coding='0-based' to keep them as they are (arm 0 then is an arm "
                "nobody chose)"
            )
    offset = 1 if coding == "1-based" else 0
    if coding == "1-based":
        fix = (
            "with choice_coding='1-based' choices are arm numbers 1, 2, ...; a file that uses arm 0 is "
            "0-based (pass choice_coding='0-based')"
        )
    else:
        fix = (
            "choices are 0-based arm indices 0, 1, ...; for arms numbered from 1 pass choice_coding='1-based', "
            "for labels pass them in arm order, e.g. choice_coding=['left', 'right']"
        )
    if n_actions is None:
        requirement, high = f"a whole number >= {offset}", _INT16_MAX - 1 + offset
    else:
        high = n_actions - 1 + offset
        requirement = (
            f"an arm number 1..{n_actions} (n_actions={n_actions}, choice_coding='1-based')"
            if offset
            else f"an arm index 0..{n_actions - 1} (n_actions={n_actions})"
        )
        fix += f", or raise n_actions={n_actions}"
    return data.whole_numbers("choice", offset, high, requirement, fix) - offset


def _n_actions(
    data: _Columns, choice: np.ndarray, coding: str | list[str] | None, n_actions: int | None
) -> tuple[int, str, str]:
    """The number of arms, where it came from (metadata "n_actions_from") and a note saying so in words.

    A stated count (argument or labels) is checked against the reward_<arm> columns; otherwise the count is
    the larger of the choices' and the columns' (at least 2), since either alone can miss an arm.
    """
    lowest, highest = int(choice.min()), int(choice.max())
    chosen = f"arms {lowest}..{highest} chosen" if lowest < highest else f"only arm {lowest} chosen"
    columns = _reward_arms(data.mapping)
    listed = ""  # the reward columns in words, for the note
    if columns:
        names = list(columns)
        contiguous = list(columns.values()) == list(range(min(columns.values()), max(columns.values()) + 1))
        listed = f"{names[0]}..{names[-1]}" if contiguous and len(names) > 2 else ", ".join(names)
        listed = f"reward column{'s' if len(names) > 1 else ''} {listed}"
    if n_actions is not None or isinstance(coding, list):
        stated = n_actions if n_actions is not None else len(coding)
        where = "argument" if n_actions is not None else "choice labels"
        for ours, arm in columns.items():
            if arm >= stated:
                fix = (
                    f"pass n_actions={arm + 1} or drop the column"
                    if where == "argument"
                    else "add the arm's label to choice_coding or drop the column"
                )
                raise ChoiceDataError(
                    f"{data.path}: column {data.mapping[ours]!r} holds rewards of arm {arm} but n_actions is "
                    f"{stated}; {fix}"
                )
        given = "as given" if where == "argument" else f"from the {stated} choice labels"
        return stated, where, f"n_actions = {stated}, {given} ({chosen})"

    from_choices = highest + 1
    from_columns = max(columns.values()) + 1 if columns else 0
    if from_columns > _INT16_MAX:
        arm = from_columns - 1
        name = next(theirs for ours, theirs in data.mapping.items() if columns.get(ours) == arm)
        raise ChoiceDataError(
            f"{data.path}: column {name!r} holds rewards of arm {arm}, but at most {_INT16_MAX} arms "
            f"(0..{_INT16_MAX - 1}) are supported; drop or rename the column"
        )
    inferred = max(2, from_choices, from_columns)
    where = "reward columns" if from_columns > from_choices else "choices"
    note = f"n_actions = {inferred}, inferred from the choices ({chosen})"
    if columns:
        note += f" and {listed}"
    if inferred > max(from_choices, from_columns):
        note += " and raised to the minimum of 2"
    return inferred, where, note


def check_import_options(
    columns: dict[str, str] | None = None,
    n_actions: int | None = None,
    reward_range: tuple[float, float] | None = None,
    choice_coding: str | Sequence[str] | None = None,
) -> tuple[str | list[str] | None, tuple[float, float] | None]:
    """Check the settings of `import_choice_data` that need no file (so a config's data set is checked before
    any job runs). Returns the choice coding and the reward range as the import uses them; raises ValueError
    naming the setting and what to do."""
    if n_actions is not None and not 2 <= n_actions <= _INT16_MAX:
        raise ValueError(f"n_actions must be an integer from 2 to {_INT16_MAX}; got {n_actions}")
    coding = _coding(choice_coding, n_actions)
    if reward_range is not None:
        reward_range = (float(reward_range[0]), float(reward_range[1]))
        if not np.isfinite(reward_range).all() or reward_range[1] <= reward_range[0]:
            raise ValueError(
                f"reward_range must be finite (low, high) with low < high; got {reward_range}: give the lowest "
                "and the highest reward of the file's scale, in that order"
            )
    mapped = list((columns or {}).values())
    if len(set(mapped)) < len(mapped):
        raise ValueError(
            f"columns maps one file column to several of ours: {columns}; give each of ours a column of its own"
        )
    return coding, reward_range


def import_choice_data(
    path,
    columns: dict[str, str] | None = None,
    n_actions: int | None = None,
    reward_range: tuple[float, float] | None = None,
    drop_missed: bool = False,
    choice_coding: str | Sequence[str] | None = None,
) -> ImportedData:
    """Read a user's choice file (.csv, .tsv, .parquet, .pq) into a validated trials table.

    columns: {our column name: the file's column name} for participant, session, trial, choice, reward,
        reward_<arm>; unmapped ones fall back to the defaults of the module docstring.
    n_actions: number of arms (2..32767), checked against every choice and reward_<arm> column. When None:
        the number of labels, or the larger of max(choice) + 1 and the highest reward_<arm> arm + 1, at
        least 2 (metadata source "n_actions_from" says which: "argument", "choice labels", "choices" or
        "reward columns").
    reward_range: (low, high) of the file's reward scale; rewards become (r - low) / (high - low) in [0, 1].
    drop_missed: drop trials with an empty choice (missed trials) instead of failing; counted in the result.
    choice_coding: "0-based" (choices 0..n-1), "1-based" (choices 1..n, stored as 0..n-1) or a list of
        labels (label i is arm i; cells match after stripping whitespace; n_actions, if given, must equal
        the number of labels). None means 0-based, but choices that run 1..k (k >= 2) without a 0 stop with
        an error asking for the coding; pass "0-based" to import them as they are.
    Returns ImportedData: the table (one row per trial) sorted by participant (first appearance), session,
    trial; metadata {n_actions, participants, source} ready for `write_trials` (source records the coding
    as "choice_coding" and "n_actions_from"); notes for the log (how n_actions was found, arms never chosen,
    missed trials dropped).
    Raises ChoiceDataError (a ValueError) naming the file, column and first offending data row; ValueError
    for bad options.
    """
    path = Path(path)
    coding, reward_range = check_import_options(columns, n_actions, reward_range, choice_coding)
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

    choice = _choices(data, coding, n_actions)
    n_actions, n_actions_from, n_actions_note = _n_actions(data, choice, coding, n_actions)
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
        "choice_coding": coding if coding is not None else "0-based",
        "n_actions_from": n_actions_from,
        "reward_range": list(reward_range) if reward_range is not None else None,
        "n_rows": len(frame),
        "n_missed_dropped": n_missed,
    }
    metadata = {"n_actions": int(n_actions), "participants": [str(p) for p in ids], "source": source}

    notes = []
    if coding == "1-based":
        notes.append(
            f"choices read 1-based (choice_coding='1-based'): arm numbers 1..{n_actions} are arms "
            f"0..{n_actions - 1}"
        )
    elif isinstance(coding, list):
        notes.append(f"choices read as labels {coding}: label i is arm i")
    notes.append(n_actions_note)
    never = sorted(set(range(n_actions)) - set(np.unique(choice).tolist()))
    if never:
        # A stray choice (7 in a two-arm file) shows up here as arms nobody chose.
        notes.append(
            f"never chosen: arm{'s' if len(never) > 1 else ''} {_spans(never)} of 0..{n_actions - 1}"
        )
    if n_missed:
        notes.append(f"dropped {n_missed} missed trial{'s' if n_missed > 1 else ''} (empty choice)")
    return ImportedData(table=table, metadata=metadata, n_missed_dropped=n_missed, notes=notes)


def import_to_parquet(source, destination, **options) -> ImportedData:
    """Import `source` with `import_choice_data(source, **options)` (columns, n_actions, reward_range,
    drop_missed, choice_coding) and write the trials table to `destination` (Parquet, with metadata).
    Nothing is written when the import fails."""
    imported = import_choice_data(source, **options)
    write_trials(destination, imported.table, imported.metadata)
    return imported
