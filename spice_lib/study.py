"""A simulation study, as the workflow runs it: parameter sets -> participants -> data -> scores -> recovery.

A parameter set is one row of scalars (config.yaml's `parameter_sets`): `name`, `n_participants`,
`n_sessions` (per participant) and, per AgentQ parameter p, optional `p_low`/`p_high` (equal for a fixed
value; absent for AgentQ's default). Each seed draws its own participants and data from the set.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from spice_lib.agents import AGENT_Q_PARAMETERS, AgentQ, sample_population
from spice_lib.dataset import DatasetRNN
from spice_lib.equations import EquationSet
from spice_lib.estimator import SpiceEstimator
from spice_lib.evaluation import scores
from spice_lib.recovery import has_recovery_mapping, recover_agent_q_parameters
from spice_lib.simulation import create_dataset
from spice_lib.tasks import BanditTask

# Values at which an AgentQ mechanism is switched off; a parameter at its null value is not counted as a
# parameter of the true model (alpha_choice only counts when the choice trace reaches the choice).
_NULL_VALUES = {"forget_rate": 0.0, "beta_choice": 0.0, "alpha_counterfactual": 0.0}


def parameter_ranges(parameter_set: Mapping) -> dict[str, tuple[float, float]]:
    """The (low, high) range of every AgentQ parameter the set names."""
    ranges = {}
    for name in AGENT_Q_PARAMETERS:
        low, high = parameter_set.get(f"{name}_low"), parameter_set.get(f"{name}_high")
        if low is None and high is None:
            continue
        if low is None or high is None or _missing(low) or _missing(high):
            raise ValueError(f"parameter set {parameter_set.get('name')!r}: give both {name}_low and {name}_high")
        ranges[name] = (float(low), float(high))
    return ranges


def _missing(value) -> bool:
    return isinstance(value, float) and math.isnan(value)


def agent_from_truth(truth: pd.DataFrame, n_actions: int) -> AgentQ:
    """The true participants back from a truth table (one row per participant, every AgentQ parameter)."""
    parameters = {name: truth[name].to_numpy(float) for name in AGENT_Q_PARAMETERS}
    return AgentQ(n_actions=n_actions, participant_ids=list(truth["participant"]), **parameters)


def participants(parameter_set: Mapping, seed: int, n_actions: int) -> AgentQ:
    """The participants of a parameter set for one seed (drawn uniformly from its ranges)."""
    return sample_population(int(parameter_set["n_participants"]), parameter_ranges(parameter_set), seed, n_actions)


@dataclass
class StudyData:
    """Training sessions, held-out sessions (same participants, another seed) and the participants."""

    train: DatasetRNN
    test: DatasetRNN
    agent: AgentQ


def simulate_parameter_set(
    parameter_set: Mapping, task: BanditTask, n_trials: int, n_test_sessions: int, seed: int, test_seed: int
) -> StudyData:
    """Simulate the training data (n_sessions per participant) and the held-out data of one seed."""
    agent = participants(parameter_set, seed, task.n_actions)
    train, _, _ = create_dataset(agent, task, n_trials, int(parameter_set["n_sessions"]), seed=seed)
    test, _, _ = create_dataset(agent, task, n_trials, n_test_sessions, seed=test_seed)
    return StudyData(train, test, agent)


def true_parameter_count(agent: AgentQ) -> int:
    """Parameters of the true model over all participants, mechanisms that are switched off not counted."""
    table = agent.parameter_table()
    count = 0
    for _, row in table.iterrows():
        active = {"alpha_reward", "beta_reward"}
        active |= {name for name, null in _NULL_VALUES.items() if row[name] != null}
        if row["alpha_penalty"] != row["alpha_reward"]:
            active.add("alpha_penalty")
        if row["beta_choice"] != 0:
            active.add("alpha_choice")
        count += len(active)
    return count


def score_models(estimator: SpiceEstimator, agent: AgentQ, data: DatasetRNN) -> pd.DataFrame:
    """NLL per trial, normalized likelihood and BIC of the RNN, the equations and the true agent on `data`.

    Parameter counts: the RNN's trainable weights; the equations' non-zero coefficients plus betas over all
    participants; the true agent's active parameters (`true_parameter_count`).
    """
    rnn, spice = estimator.predict(data.xs)
    equations = estimator.equations_
    counts = {
        "rnn": estimator.rnn_.count_parameters(),
        "spice": sum(equations.n_parameters(p) for p in range(equations.n_participants)),
        "truth": true_parameter_count(agent),
    }
    probabilities = {"rnn": rnn, "spice": spice, "truth": agent.predict(data.xs)}
    rows = [{"model": name, **scores(probabilities[name], data.ys, counts[name])} for name in counts]
    return pd.DataFrame(rows)


def recovery_table(equations: EquationSet, agent: AgentQ) -> pd.DataFrame:
    """Long table: participant, parameter, true and recovered value. Empty (same columns) for models
    without a recovery mapping (see spice_lib.recovery)."""
    if not has_recovery_mapping(equations):
        return pd.DataFrame(
            {"participant": pd.Series(dtype="string"), "parameter": pd.Series(dtype="string"),
             "true": pd.Series(dtype=float), "recovered": pd.Series(dtype=float)}
        )  # fmt: skip
    recovered = recover_agent_q_parameters(equations).set_index("participant")
    truth = agent.parameter_table().set_index("participant")
    rows = [
        {"participant": participant, "parameter": name, "true": float(truth.loc[participant, name]),
         "recovered": float(recovered.loc[participant, name])}
        for participant in recovered.index
        for name in recovered.columns
    ]  # fmt: skip
    table = pd.DataFrame(rows)
    table["participant"] = table["participant"].astype("string")
    table["parameter"] = table["parameter"].astype("string")
    return table


def stack_runs(tables: list[pd.DataFrame], runs: list[Mapping[str, object]]) -> pd.DataFrame:
    """One table from per-run tables, each run's labels (e.g. parameter_set, seed) as leading columns."""
    labelled = []
    for table, labels in zip(tables, runs):
        table = table.copy()
        for position, (name, value) in enumerate(labels.items()):
            table.insert(position, name, value)
        labelled.append(table)
    return pd.concat(labelled, ignore_index=True) if labelled else pd.DataFrame()


def equations_html(printed_models: Mapping[str, str]) -> str:
    """A small HTML page with every run's printed model, for the report."""
    sections = [
        f"<h2>{_escape(label)}</h2>\n<pre>{_escape(text)}</pre>" for label, text in printed_models.items()
    ]
    return "<html><body>\n<h1>Discovered equations</h1>\n" + "\n".join(sections) + "\n</body></html>\n"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def seeds_for_test(seed: int, offset: int) -> int:
    """The held-out data's seed: distinct from every training seed as long as seeds stay below `offset`."""
    return int(seed) + int(offset)
