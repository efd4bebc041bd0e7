"""Model recovery: does SPICE tell model families apart?

Parameter recovery assumes the family is known. Here each participant's discovered equations are read as
three mechanisms, each decided with the inclusion probabilities of the resamples (inclusion.py), and so
is the truth; the two combinations are compared as model families.

- asymmetric learning rates: the learning rate depends on the reward (`c_reward[k]` kept by at least half
  of the resamples); truth: alpha_penalty != alpha_reward;
- forgetting: the unchosen arm's reward value changes: a term of its equation (its own value's, or a
  constant) is kept by at least half of the resamples; truth: forget_rate > 0. That equation is fitted as
  the change of the value (`SpiceConfig.incremental_modules`), so "no forgetting" is the empty equation
  and any term of it is forgetting, as any term of a choice-value equation is perseveration;
- perseveration: a choice trace reaches the choice: some term of a choice-value equation is kept by at
  least half of the resamples; truth: beta_choice != 0.

The families are the combinations a study simulates (FAMILIES); any other combination is "other". Written
for Weinhardt2024RNN's modules, as recovery.py is.

What the data allow at all is measured by an oracle that knows the five candidate families
(`family_by_maximum_likelihood`): each family fitted to a participant's sessions by maximum likelihood
(mle.py), the one with the lowest BIC taken, as a classic model-recovery study does (Wilson & Collins 2019,
"Ten simple rules for the computational modeling of behavioral data", eLife). SPICE is not told the
families, so it can also answer "other".
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from spice_lib.report import run_names

MECHANISMS = ("asymmetric", "forgetting", "perseveration")
# The five generating families of the model-recovery study, by which mechanisms they have.
FAMILIES = {
    "rescorla_wagner": (False, False, False),
    "forgetting": (False, True, False),
    "perseveration": (False, False, True),
    "asymmetric": (True, False, False),
    "full": (True, True, True),
}
OTHER = "other"
# The AgentQ parameters a family fits: Rescorla-Wagner's, and those each of its mechanisms adds.
RESCORLA_WAGNER_PARAMETERS = ("alpha_reward", "beta_reward")
MECHANISM_PARAMETERS = {
    "asymmetric": ("alpha_penalty",),
    "forgetting": ("forget_rate",),
    "perseveration": ("alpha_choice", "beta_choice"),
}
KEPT = 0.5  # a term counts as present when at least this share of resamples keeps it
_CHOICE_MODULES = ("x_value_choice_chosen", "x_value_choice_not_chosen")
_RUN = ["study", "seed", "participant"]


def family_of(mechanisms: tuple[bool, bool, bool]) -> str:
    """The family with exactly these mechanisms (asymmetric, forgetting, perseveration), else 'other'."""
    by_mechanisms = {value: name for name, value in FAMILIES.items()}
    return by_mechanisms.get(tuple(bool(m) for m in mechanisms), OTHER)


def family_parameters(family: str) -> tuple[str, ...]:
    """The AgentQ parameters a family of FAMILIES fits; the others keep AgentQ's defaults (no forgetting, no
    choice trace, alpha_penalty = alpha_reward)."""
    added = (MECHANISM_PARAMETERS[name] for name, on in zip(MECHANISMS, FAMILIES[family]) if on)
    return RESCORLA_WAGNER_PARAMETERS + sum(added, ())


def family_by_maximum_likelihood(xs, ys, participant_ids: list[str] | None = None) -> pd.DataFrame:
    """The oracle of model recovery: every family of FAMILIES fitted to each participant's sessions (xs, ys)
    by maximum likelihood (`mle.fit_agent_q`), one row per participant and family: participant, family,
    n_parameters, nll (per trial), n_trials, bic (2 NLL + k ln n, as term selection counts) and `chosen`
    (the participant's lowest BIC)."""
    # Imported here: the workflow's rule files read FAMILIES and the confusion matrix without paying for torch.
    from spice_lib.mle import fit_agent_q
    from spice_lib.term_selection import bic

    tables = []
    for family in FAMILIES:
        free = family_parameters(family)
        fits = fit_agent_q(xs, ys, free=free, participant_ids=participant_ids)
        tables.append(
            pd.DataFrame(
                {"participant": fits["participant"].astype("string"), "family": family, "n_parameters": len(free),
                 "nll": fits["nll"], "n_trials": fits["n_trials"],
                 "bic": bic(fits["nll"] * fits["n_trials"], len(free), fits["n_trials"])}
            )
        )  # fmt: skip
    table = pd.concat(tables, ignore_index=True)
    table["chosen"] = table.index.isin(table.groupby("participant")["bic"].idxmin())
    return table


def discovered_mechanisms(equations: pd.DataFrame) -> pd.DataFrame:
    """One row per study, seed and participant of a stacked equations table with inclusion columns
    (EquationSet.to_table): which mechanisms the equations have, and their family. Participants without
    inclusion probabilities (not resampled) are left out."""
    terms = equations[(equations["kind"] == "term") & equations["inclusion"].notna()].assign(study=run_names)
    kept = terms["inclusion"] >= KEPT

    def per_participant(mask: pd.Series) -> pd.Series:
        return mask.groupby([terms["study"], terms["seed"], terms["participant"]]).any()

    rate = terms["module"] == "x_learning_rate_reward"
    found = pd.DataFrame(
        {
            "asymmetric": per_participant(rate & (terms["term"] == "c_reward[k]") & kept),
            "forgetting": per_participant((terms["module"] == "x_value_reward_not_chosen") & kept),
            "perseveration": per_participant(terms["module"].isin(_CHOICE_MODULES) & kept),
        }
    ).reset_index()
    found["family"] = [family_of(row) for row in found[list(MECHANISMS)].itertuples(index=False)]
    return found


def true_mechanisms(recovery: pd.DataFrame) -> pd.DataFrame:
    """The same for the generating parameters, from a stacked recovery table (its `true` column)."""
    truth = recovery[recovery["method"] == "spice"].assign(study=run_names)
    wide = truth.pivot_table(index=_RUN, columns="parameter", values="true").reset_index()
    found = pd.DataFrame(
        {
            **{key: wide[key] for key in _RUN},
            "asymmetric": ~np.isclose(wide["alpha_penalty"], wide["alpha_reward"]),
            "forgetting": wide["forget_rate"] > 0,
            "perseveration": wide["beta_choice"] != 0,
        }
    )
    found["family"] = [family_of(row) for row in found[list(MECHANISMS)].itertuples(index=False)]
    return found


def model_recovery_table(
    equations: pd.DataFrame, recovery: pd.DataFrame, n_sessions: Mapping[str, int]
) -> pd.DataFrame:
    """Per participant: n_sessions (of the participant's parameter set, from `n_sessions`: name -> sessions),
    study, seed, participant, the true and the discovered family and each mechanism (true_<mechanism>,
    found_<mechanism>)."""
    true = true_mechanisms(recovery).rename(columns=lambda c: f"true_{c}" if c in (*MECHANISMS, "family") else c)
    found = discovered_mechanisms(equations).rename(
        columns=lambda c: f"found_{c}" if c in (*MECHANISMS, "family") else c
    )
    joined = true.merge(found, on=_RUN, how="inner")
    joined["participant"] = joined["participant"].astype("string")
    joined.insert(0, "n_sessions", joined["study"].map(n_sessions).astype(int))
    return joined


def confusion_matrix(table: pd.DataFrame) -> pd.DataFrame:
    """Share of each true family's participants (rows) classified as each family (columns, 'other' last)."""
    counts = pd.crosstab(table["true_family"], table["found_family"])
    rows = [name for name in FAMILIES if name in counts.index]
    counts = counts.reindex(index=rows, columns=[*FAMILIES, OTHER], fill_value=0)
    return counts.div(counts.sum(axis=1), axis=0)


def mechanism_precision_recall(table: pd.DataFrame) -> pd.DataFrame:
    """Per mechanism: how many participants have it, precision and recall of the discovered mechanism."""
    rows = []
    for name in MECHANISMS:
        true, found = table[f"true_{name}"].astype(bool), table[f"found_{name}"].astype(bool)
        hits = int((true & found).sum())
        rows.append(
            {"mechanism": name, "n_true": int(true.sum()), "n_found": int(found.sum()),
             "precision": hits / found.sum() if found.any() else np.nan,
             "recall": hits / true.sum() if true.any() else np.nan}
        )  # fmt: skip
    return pd.DataFrame(rows)
