"""The study's summary outputs: one table per kind for the whole grid, and the report's page of equations
(report_tables.py writes the tables' pages)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING

import pandas as pd

from spice_lib.notation import HTML, OWN_SYMBOLS, beta_line, bounds_note, certainty_note, equation_line, legend_entries
from spice_lib.resting_values import outside_reward_range, range_note

if TYPE_CHECKING:  # only named here: the workflow's rule files import the report tables without torch
    from spice_lib.equations import EquationSet


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


@dataclass
class RunEquations:
    """One run on the equations page: its label, its discovered equations, the generating agent's (for
    simulated participants, `recovery.generating_equations`; None otherwise) and its printed model."""

    label: str
    equations: EquationSet
    truth: EquationSet | None = None
    printed: str = ""


_PAGE_STYLE = """
body { font-family: sans-serif; margin: 1.5em; }
table { border-collapse: collapse; margin-bottom: 1em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3em 0.8em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
tr.participant td { border-top: 2px solid #999; }
.math { font-family: "Cambria Math", "STIX Two Math", "Latin Modern Math", "Times New Roman", serif; font-size: 1.1em; }
.note { color: #666; font-size: 0.85em; }
"""


def html_page(title: str, body: str) -> str:
    """A self-contained HTML page (the report embeds it as it is: no network, no scripts)."""
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_PAGE_STYLE}</style></head>\n"
        f"<body>\n<h1>{escape(title)}</h1>\n{body}\n</body></html>\n"
    )


def equations_html(runs: list[RunEquations], precision: int = 3) -> str:
    """The report's page of equations: a legend of the symbols, then per run a table with every
    participant's equations as mathematics (notation.HTML), how sure each term is where the data were
    resampled, the generating agent's equation beside each discovered one for simulated participants, and
    the printed model (model.txt, with the population of participants that share strength)."""
    entries = dict.fromkeys(entry for run in runs for entry in legend_entries(run.equations) if entry[0] in OWN_SYMBOLS)
    legend = "; ".join(
        f'<span class="math">{s.html}</span>: {escape(s.meaning)} (<code>{escape(name)}</code>)' for s, name in entries
    )
    parts = []
    if legend:
        parts.append(
            f"<p>Symbols: {legend}. Each equation gives a value after trial <i>k</i> ([<i>k</i>+1]) from the "
            "values and signals of trial <i>k</i> ([<i>k</i>]).</p>"
        )
    for run in runs:
        parts += [f"<h2>{escape(run.label)}</h2>", _run_table(run, precision)]
        if run.printed:
            parts.append(
                f"<details><summary>As printed (model.txt)</summary><pre>{escape(run.printed)}</pre></details>"
            )
    return html_page("Discovered equations", "\n".join(parts))


def _run_table(run: RunEquations, precision: int) -> str:
    equations, truth = run.equations, run.truth
    header = (
        "<tr><th>Participant</th><th>Discovered</th>" + ("" if truth is None else "<th>Generating agent</th>") + "</tr>"
    )
    rows = []
    outside = outside_reward_range(equations)
    for index, participant in enumerate(equations.participant_ids):
        cells = []  # (discovered, truth) of every module, then of every beta
        for name, equation in equations.modules.items():
            notes = [
                bounds_note(equation, HTML),
                escape(range_note(outside, name, index)),
                certainty_note(equations, name, index, precision, HTML),
            ]
            discovered = _math(equation_line(name, equation, index, precision, HTML)) + "".join(
                f'<div class="note">{note}</div>' for note in notes if note
            )
            true = None if truth is None else _math(equation_line(name, truth.modules[name], index, precision, HTML))
            cells.append((discovered, true))
        for name, values in equations.betas.items():
            true = None if truth is None else _math(beta_line(name, truth.betas[name][index], precision, HTML))
            cells.append((_math(beta_line(name, values[index], precision, HTML)), true))
        for row, (discovered, true) in enumerate(cells):
            first = f'<td rowspan="{len(cells)}">{escape(participant)}</td>' if row == 0 else ""
            row_class = ' class="participant"' if row == 0 else ""
            rows.append(
                f"<tr{row_class}>{first}<td>{discovered}</td>" + ("" if true is None else f"<td>{true}</td>") + "</tr>"
            )
    return "<table>\n" + header + "\n" + "\n".join(rows) + "\n</table>"


def _math(html: str) -> str:
    return f'<span class="math">{html}</span>'
