"""The grid's summary tables as readable pages for `snakemake --report`: headers in words, numbers rounded to
what the comparison needs, one row per run and model, parameter or kind of term. The Parquet tables keep
every digit and the data's column names; these pages are for reading.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from spice_lib.model_recovery import FAMILIES, OTHER, confusion_matrix
from spice_lib.notation import TEXT, number
from spice_lib.report import html_page, run_names

MISSING = "–"  # a value the table leaves empty (NaN): not identified, or nothing to compare


def _fixed(values: pd.Series, digits: int) -> list[str]:
    return [MISSING if pd.isna(v) else number(v, TEXT, f".{digits}f") for v in values]


def _signed(values: pd.Series, digits: int) -> list[str]:
    """With a sign either way: a difference to a reference."""
    return [MISSING if pd.isna(v) else number(v, TEXT, f".{digits}f", plus=True) for v in values]


def _percent(values: pd.Series) -> list[str]:
    return [MISSING if pd.isna(v) else f"{v:.0%}" for v in values]


def _interval(low: pd.Series, high: pd.Series, digits: int) -> list[str]:
    return [
        MISSING if pd.isna(a) or pd.isna(b) else f"[{number(a, TEXT, f'.{digits}f')}, {number(b, TEXT, f'.{digits}f')}]"
        for a, b in zip(low, high)
    ]


def readable_scores(scores: pd.DataFrame) -> pd.DataFrame:
    """The stacked scores (`comparison.compare_run` per run): held-out NLL to 4 decimals, since models that
    recover the truth differ from it by thousandths."""
    return pd.DataFrame(
        {
            "Study": run_names(scores),
            "Seed": scores["seed"],
            "Model": scores["model"],
            "Held-out trials": scores["n_trials"],
            "Held-out NLL per trial": _fixed(scores["nll"], 4),
            "Normalized likelihood": _fixed(scores["normalized_likelihood"], 3),
            "Parameters": scores["n_parameters"],
            "Training BIC": _fixed(scores["bic"], 1),
            "Compared with": scores["reference"],
            "Δ NLL per trial": _signed(scores["difference"], 4),
            "95% interval of Δ": _interval(scores["low"], scores["high"], 4),
            "Participants predicted better": _percent(scores["participants_better"]),
        }
    )


RECOVERY_METHOD_NAMES = {"spice": "SPICE equations", "mle": "true model, maximum likelihood"}


def readable_recovery_summary(summary: pd.DataFrame) -> pd.DataFrame:
    """`recovery.recovery_summary` of the stacked recovery table: one row per parameter set, parameter and
    method, seeds pooled."""
    return pd.DataFrame(
        {
            "Parameter set": summary["parameter_set"],
            "Parameter": summary["parameter"],
            "Recovered by": summary["method"].map(RECOVERY_METHOD_NAMES),
            "Participants": summary["n"],
            "Not identified": summary["n_unidentified"],
            "Pearson r": _fixed(summary["r"], 2),
            "Bias": _signed(summary["bias"], 3),
            "RMSE": _fixed(summary["rmse"], 3),
        }
    )


def readable_term_recovery(summary: pd.DataFrame) -> pd.DataFrame:
    """`recovery.term_recovery_summary`: per parameter set, the generating model's terms and the absent ones."""
    return pd.DataFrame(
        {
            "Parameter set": summary["parameter_set"],
            "Terms": ["of the generating model" if t else "absent from it" for t in summary["in_truth"]],
            "Participant × term pairs": summary["n"],
            "Found": _percent(summary["share_found"]),
            "Mean inclusion probability": _percent(summary["mean_inclusion"]),
            "Precision of found terms": _fixed(summary["precision"], 2),
            "Recall of true terms": _fixed(summary["recall"], 2),
        }
    )


def readable_model_recovery(table: pd.DataFrame) -> pd.DataFrame:
    """`model_recovery.model_recovery_table` (one row per participant) as its confusion matrices, as the
    figure draws them: per sessions per participant and true family, the share of participants whose
    equations show each family."""
    blocks = []
    for n_sessions, group in table.groupby("n_sessions", sort=True):
        shares = confusion_matrix(group)
        counts = group["true_family"].value_counts()
        block = pd.DataFrame(
            {
                "Sessions per participant": n_sessions,
                "True family": shares.index,
                "Participants": counts.reindex(shares.index).to_numpy(),
            }
        )
        for family in (*FAMILIES, OTHER):
            block[f"found: {family}"] = _percent(shares[family])
        blocks.append(block)
    return pd.concat(blocks, ignore_index=True)


# The grid tables (results/tables/<name>.parquet) the report shows, with their titles.
READABLE_TABLES: dict[str, tuple[str, Callable[[pd.DataFrame], pd.DataFrame]]] = {
    "scores": ("Held-out scores of every model", readable_scores),
    "recovery_summary": ("Parameter recovery", readable_recovery_summary),
    "term_recovery": ("Which terms were found (calibration of the inclusion probabilities)", readable_term_recovery),
    "model_recovery": ("Model recovery: true against discovered family", readable_model_recovery),
}


def readable_table_html(name: str, table: pd.DataFrame) -> str:
    """The page of grid table `name` (a key of READABLE_TABLES)."""
    title, readable = READABLE_TABLES[name]
    if table.empty:  # e.g. recovery of equations without a recovery mapping (a custom model)
        return html_page(title, "<p>Nothing to show: the table is empty.</p>")
    return html_page(title, readable(table).to_html(index=False, border=0, na_rep=MISSING))
