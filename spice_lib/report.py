"""The study's summary outputs: one table per kind for the whole grid, and the page of printed models."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

import pandas as pd


def stack_runs(tables: list[pd.DataFrame], runs: list[Mapping[str, object]]) -> pd.DataFrame:
    """One table from per-run tables, each run's labels (e.g. parameter_set, seed) as leading columns."""
    labelled = []
    for table, labels in zip(tables, runs):
        table = table.copy()
        for position, (name, value) in enumerate(labels.items()):
            table.insert(position, name, value)
        labelled.append(table)
    return pd.concat(labelled, ignore_index=True) if labelled else pd.DataFrame()


def run_name(labels: Mapping[str, object]) -> str:
    """What a run studies, from its labels: the parameter set's or the data set's name."""
    return str(labels.get("parameter_set") or labels.get("dataset"))


def run_names(table: pd.DataFrame) -> pd.Series:
    """`run_name` of every row of a grid table (columns parameter_set and/or dataset)."""
    names = table["parameter_set"] if "parameter_set" in table else pd.Series(pd.NA, index=table.index)
    return names.fillna(table["dataset"]) if "dataset" in table else names


def equations_html(printed_models: Mapping[str, str]) -> str:
    """A small HTML page with every run's printed model, for the report."""
    sections = [
        f"<h2>{escape(label, quote=False)}</h2>\n<pre>{escape(text, quote=False)}</pre>"
        for label, text in printed_models.items()
    ]
    return "<html><body>\n<h1>Discovered equations</h1>\n" + "\n".join(sections) + "\n</body></html>\n"
