"""Parquet files of the workflow: the trials table (the data contract), the truth table and other tables.

Every file carries a JSON document under the schema-metadata key `spice_workflow`: for trials files
`n_actions`, the participant ids in index order (`participants`) and, for simulated data, the generating
`task` and `agent`. Files are written to a temporary name and renamed, so a failed write leaves nothing.
"""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from spice_lib.dataset import (
    SCORED_COLUMN,
    TRIALS_COLUMNS,
    DatasetRNN,
    dataset_from_trials,
    reward_column,
    trials_from_dataset,
)
from spice_lib.files import atomic_path

METADATA_KEY = b"spice_workflow"

_ARROW_TYPES = {"string": pa.string(), "int32": pa.int32(), "int16": pa.int16(), "float32": pa.float32()}


def trials_schema(n_actions: int, counterfactual: bool, scored: bool = False) -> pa.Schema:
    """The pyarrow schema of a trials table, with reward_{a} columns when rewards of all arms are shown and
    the `scored` column in held-out tables of a split."""
    fields = [pa.field(name, _ARROW_TYPES[kind], nullable=False) for name, kind in TRIALS_COLUMNS.items()]
    if counterfactual:
        fields += [pa.field(reward_column(arm), pa.float32()) for arm in range(n_actions)]
    if scored:
        fields.append(pa.field(SCORED_COLUMN, pa.bool_(), nullable=False))
    return pa.schema(fields)


def write_table(path, frame: pd.DataFrame, metadata: dict, schema: pa.Schema | None = None) -> None:
    """Write a DataFrame to Parquet with `metadata` (JSON-serialisable), atomically."""
    table = pa.Table.from_pandas(frame, schema=schema, preserve_index=False)
    existing = table.schema.metadata or {}
    table = table.replace_schema_metadata({**existing, METADATA_KEY: json.dumps(metadata, sort_keys=True).encode()})
    with atomic_path(path) as temporary:
        pq.write_table(table, temporary)


def read_table(path) -> tuple[pd.DataFrame, dict]:
    """Read a Parquet file written by `write_table`: the DataFrame and its metadata (empty if none)."""
    table = pq.read_table(path)
    raw = (table.schema.metadata or {}).get(METADATA_KEY)
    frame = table.to_pandas()
    for name, field in zip(table.schema.names, table.schema):
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            frame[name] = frame[name].astype("string")
    return frame, (json.loads(raw) if raw else {})


def write_trials(path, table: pd.DataFrame, metadata: dict) -> None:
    """Write a trials table. metadata needs `n_actions` and `participants` (ids in index order)."""
    for key in ("n_actions", "participants"):
        if key not in metadata:
            raise ValueError(f"trials metadata needs {key!r}")
    n_actions = int(metadata["n_actions"])
    counterfactual = reward_column(0) in table
    schema = trials_schema(n_actions, counterfactual, scored=SCORED_COLUMN in table)
    write_table(path, table[schema.names], metadata, schema=schema)


def read_trials(path) -> tuple[pd.DataFrame, dict]:
    """Read a trials table and its metadata; fails naming the file if it is not one."""
    frame, metadata = read_table(path)
    missing = [c for c in TRIALS_COLUMNS if c not in frame]
    if missing or "n_actions" not in metadata or "participants" not in metadata:
        raise ValueError(
            f"{path}: not a trials table (missing columns {missing} or n_actions/participants metadata)"
        )
    return frame, metadata


def save_dataset(path, dataset: DatasetRNN, **provenance) -> None:
    """Write a DatasetRNN as a trials table; `provenance` (e.g. task=..., agent=...) joins the metadata."""
    metadata = {"n_actions": dataset.n_actions, "participants": list(dataset.participant_ids), **provenance}
    write_trials(path, trials_from_dataset(dataset), metadata)


def load_dataset(path) -> tuple[DatasetRNN, dict]:
    """Read a trials table into a DatasetRNN; returns it with the file's metadata."""
    table, metadata = read_trials(path)
    return dataset_from_trials(table, int(metadata["n_actions"]), metadata["participants"]), metadata
