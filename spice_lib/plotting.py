"""Figures: one session through the eyes of several agents, training curves, scores, equations, recovery
and how sure each term is. Every figure is drawn in the style of `figure_style` (sizes, fonts, a colour per
model)."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Patch
from matplotlib.textpath import TextToPath
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import Affine2D

from spice_lib.agents import Agent
from spice_lib.dataset import split_inputs
from spice_lib.figure_style import (
    CHARACTERS_PER_INCH,
    CLOUD_ALPHA,
    CLOUD_MARKER_SIZE,
    DOUBLE_COLUMN,
    FONT_SIZE,
    MARKER_SIZE,
    NEUTRAL_COLOR,
    PNG_DPI,
    SEED_MARKERS,
    SHARE_COLORMAP,
    SINGLE_COLUMN,
    SMALL_FONT_SIZE,
    SMALL_SET_EDGE_COLOR,
    SMALL_SET_MARKER_SIZE,
    SMALL_SET_POINTS,
    THIN_LINE_WIDTH,
    figure_style,
    grid_columns,
    model_color,
    model_line_style,
    study_colors,
)
from spice_lib.files import atomic_path
from spice_lib.model_recovery import confusion_matrix
from spice_lib.notation import (
    BETA_SYMBOLS,
    MATHTEXT,
    OWN_SYMBOLS,
    SYMBOLS,
    TEXT,
    beta_symbol,
    bounds_note,
    legend_entries,
    mathtext_beta,
    mathtext_equation,
    symbol,
    table_term,
)
from spice_lib.recovery import recovery_summary
from spice_lib.report import run_names

if TYPE_CHECKING:
    from spice_lib.equations import EquationSet

ARM_STYLES = ["-", "--", ":", "-."]

MODEL_LABELS = {
    "spice": "SPICE equations",
    "rnn": "SPICE network",
    "gru": "GRU",
    "rescorla_wagner": "Rescorla-Wagner",
    "rescorla_wagner_forgetting": "RW + forgetting",
    "agent_q": "AgentQ (6 parameters)",
    "truth": "true agent",
}
# The agents plot_session is usually given, by the model each one is (the tutorial calls the truth so).
AGENT_MODELS = {"groundtruth": "truth", "rnn": "rnn", "spice": "spice"}
NLL_UNITS = "nats per trial"


def _family_label(name: str) -> str:
    """A model family's name on a figure: the classic models' own labels (Rescorla-Wagner), else the name."""
    return MODEL_LABELS.get(name, name.replace("_", " "))


def step_through_session(agent: Agent, session, n_actions: int) -> dict[str, np.ndarray]:
    """Feed one recorded session to an agent. Returns 'probabilities' (n_trials, n_actions), the choice
    probabilities *before* each trial's choice, and each memory value (n_trials, n_actions) before it."""
    choices, rewards, participant_index, valid = split_inputs(np.asarray(session)[None], n_actions)
    n_trials = int(valid[0].sum())
    agent.new_sessions(participant_index)
    trace = {"probabilities": np.empty((n_trials, n_actions))}
    for trial in range(n_trials):
        trace["probabilities"][trial] = agent.choice_probabilities()[0]
        for name, value in agent.state.items():
            trace.setdefault(name, np.empty((n_trials, n_actions)))[trial] = value[0]
        agent.update(choices[:, trial], rewards[:, trial])
    return trace


def _model_label(model: str) -> str:
    return MODEL_LABELS.get(model, model)


def _choice_note(value_name: str) -> str | None:
    """For a value the choice reads through a beta: why the models' levels may differ."""
    if value_name not in BETA_SYMBOLS:
        return None
    return f"each model on its own scale: only ${beta_symbol(value_name).latex}$ × (difference between arms) reaches the choice"


@figure_style()
def plot_session(
    agents: dict[str, Agent | None], session, n_actions: int | None = None, title: str = "One session: ground truth and fitted models"
):
    """One session's choices and rewards, and each agent's choice probability and memory values per trial.

    agents: name -> agent (e.g. {'groundtruth': AgentQ, 'rnn': est.rnn_agent, 'spice': est.spice_agent});
    None entries are skipped; the names of AGENT_MODELS get their model's colour and label. session: one
    row of DatasetRNN.xs, (n_trials, features). Returns (fig, axs). Values are each model's own latent
    variables: an RNN may scale them differently from the ground truth (only beta x the difference between
    arms reaches the choice), so compare shapes, not levels; the panels of such values say so.
    """
    agents = {name: agent for name, agent in agents.items() if agent is not None}
    if not agents:
        raise ValueError("plot_session needs at least one agent")
    n_actions = n_actions or next(iter(agents.values())).n_actions
    session = session.detach().cpu().numpy() if hasattr(session, "detach") else np.asarray(session)
    choices, rewards, _, valid = split_inputs(session[None], n_actions)
    n_trials = int(valid[0].sum())
    choices, rewards = choices[0, :n_trials], rewards[0, :n_trials]
    traces = {name: step_through_session(agent, session, n_actions) for name, agent in agents.items()}
    value_names = list(dict.fromkeys(k for t in traces.values() for k in t if k != "probabilities"))

    n_panels = 2 + len(value_names)
    fig, axs = plt.subplots(n_panels, 1, figsize=(DOUBLE_COLUMN, 0.6 + 1.2 * n_panels), sharex=True, squeeze=False)
    axs = axs[:, 0]
    outside = dict(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    trials = np.arange(n_trials)
    rewarded = rewards[trials, choices] > 0.5
    axs[0].scatter(trials[rewarded], choices[rewarded], marker="o", color=NEUTRAL_COLOR, label="rewarded", s=MARKER_SIZE)
    axs[0].scatter(
        trials[~rewarded], choices[~rewarded], marker="o", facecolors="none", edgecolors=NEUTRAL_COLOR, label="not rewarded", s=MARKER_SIZE
    )
    axs[0].set_yticks(range(n_actions), [f"arm {a}" for a in range(n_actions)])
    axs[0].set_ylim(-0.5, n_actions - 0.5)
    axs[0].set_ylabel("choice")
    axs[0].legend(**outside)

    styles = {name: model_line_style(AGENT_MODELS.get(name, name)) for name in agents}
    for name, trace in traces.items():
        probabilities = trace["probabilities"]
        shown = probabilities[:, 0] if n_actions == 2 else probabilities[trials, choices]
        axs[1].plot(trials, shown, label=_model_label(AGENT_MODELS.get(name, name)), **styles[name])
    axs[1].set_ylabel("P(arm 0)" if n_actions == 2 else "P(chosen arm)")
    axs[1].set_ylim(0, 1)
    axs[1].legend(**outside)

    for ax, value_name in zip(axs[2:], value_names):
        for name, trace in traces.items():
            for arm in range(n_actions):
                if value_name in trace:
                    ax.plot(trials, trace[value_name][:, arm], linestyle=ARM_STYLES[arm % len(ARM_STYLES)], **styles[name])
        ax.set_ylabel(value_name.removeprefix("x_").replace("_", " "))
        note = _choice_note(value_name)
        if note:
            ax.set_title(note, loc="right", fontsize=SMALL_FONT_SIZE)
    if value_names:
        arm_lines = [plt.Line2D([], [], color=NEUTRAL_COLOR, linestyle=ARM_STYLES[a % len(ARM_STYLES)]) for a in range(n_actions)]
        axs[2].legend(arm_lines, [f"arm {a}" for a in range(n_actions)], **outside)
    axs[-1].set_xlabel("trial")
    axs[-1].xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.suptitle(title)
    return fig, axs


@figure_style()
def plot_history(history: pd.DataFrame, reference_nll: float | None = None, title: str = "Training"):
    """Loss per epoch (training, and validation when present), with the true agent's NLL as a reference."""
    fig, ax = plt.subplots(figsize=(SINGLE_COLUMN, 2.4))
    network = model_color("rnn")
    ax.plot(history["epoch"], history["train_loss"], color=network, label="training")
    if history["validation_loss"].notna().any():
        ax.plot(history["epoch"], history["validation_loss"], color=network, linestyle="--", label="validation")
    if reference_nll is not None:
        ax.axhline(reference_nll, color=model_color("truth"), linestyle=":", label=_model_label("truth"))
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"NLL ({NLL_UNITS})")
    ax.set_title(title)
    ax.legend()
    return fig, ax


def _panels(n_panels: int, panel_height: float | None = None):
    """A grid of `n_panels` axes that fits the double column (one column when there is one panel), wrapped
    onto rows of at most MAX_COLUMNS; square panels unless `panel_height` says otherwise. Returns (fig,
    the used axes as a flat array)."""
    columns = grid_columns(n_panels)
    rows = -(-n_panels // columns)
    width = SINGLE_COLUMN if columns == 1 else DOUBLE_COLUMN
    height = panel_height or width / columns
    fig, axs = plt.subplots(rows, columns, figsize=(width, 0.5 + height * rows), squeeze=False)
    for ax in axs.ravel()[n_panels:]:
        ax.axis("off")
    return fig, axs.ravel()[:n_panels]


@figure_style()
def plot_scores(scores: pd.DataFrame):
    """Held-out NLL per trial of each model for every parameter set (a marker per seed), and each model's
    difference to the true agent. scores: columns parameter_set, seed, model, nll; rows of data sets (no
    parameter_set, no true agent) are left out."""
    scores = scores[scores["parameter_set"].notna()]
    sets = list(dict.fromkeys(scores["parameter_set"]))
    models = [m for m in ("truth", "rnn", "spice") if m in set(scores["model"])]
    seeds = sorted(scores["seed"].unique())
    markers = {seed: SEED_MARKERS[i % len(SEED_MARKERS)] for i, seed in enumerate(seeds)}
    fig, axs = plt.subplots(1, 2, figsize=(DOUBLE_COLUMN, 2.8))
    truth = scores[scores["model"] == "truth"].set_index(["parameter_set", "seed"])["nll"]
    slot = 0.8 / len(models)  # each model's share of a parameter set's width, its seeds side by side in it
    for m, model in enumerate(models):
        for s, seed in enumerate(seeds):
            rows = scores[(scores["model"] == model) & (scores["seed"] == seed)]
            offset = (m - (len(models) - 1) / 2) * slot + (s - (len(seeds) - 1) / 2) * slot / (len(seeds) + 1)
            x = np.array([sets.index(name) for name in rows["parameter_set"]]) + offset
            style = dict(color=model_color(model), marker=markers[seed], s=MARKER_SIZE)
            axs[0].scatter(x, rows["nll"], **style)
            if model != "truth":
                keys = list(zip(rows["parameter_set"], rows["seed"]))
                axs[1].scatter(x, rows["nll"].to_numpy() - truth.reindex(keys).to_numpy(), **style)
    axs[1].axhline(0, color=model_color("truth"), linewidth=THIN_LINE_WIDTH)
    for ax, label in zip(axs, ("held-out NLL", "NLL − true agent's NLL")):
        ax.set_xticks(range(len(sets)), sets, rotation=20, ha="right")
        ax.set_xlim(-0.5, len(sets) - 0.5)
        ax.set_ylabel(f"{label} ({NLL_UNITS})")
    # colour swatches for the models, so that no model's entry looks like a seed's marker
    handles = [Patch(color=model_color(m), label=_model_label(m)) for m in models]
    handles += [plt.Line2D([], [], linestyle="", marker=markers[s], color=NEUTRAL_COLOR, label=f"seed {s}") for s in seeds]
    fig.legend(handles=handles, loc="outside right upper")
    fig.suptitle("How well each model predicts held-out choices (a marker per seed)")
    return fig, axs


@figure_style()
def plot_comparison(by_participant: pd.DataFrame, pooled: pd.DataFrame):
    """One panel per model: each participant's held-out normalized likelihood under it (y) against the
    reference, the best classic model (x); the panel title gives the pooled paired difference in NLL per
    trial with its 95% interval and the share of participants the model predicts better.

    by_participant, pooled: the tables of `comparison.compare_run` for one run."""
    reference = pooled["reference"].iloc[0]
    likelihood = by_participant.pivot(index="participant", columns="model", values="normalized_likelihood")
    likelihood = likelihood[by_participant.groupby("participant")["n_trials"].max() > 0]
    models = [m for m in pooled["model"] if m != reference]
    fig, axs = _panels(len(models))
    values = likelihood.to_numpy(float)
    low, high = np.nanmin(values), np.nanmax(values)
    pad = 0.03 * (high - low)
    rows = pooled.set_index("model")
    for ax, model in zip(axs, models):
        ax.plot([low - pad, high + pad], [low - pad, high + pad], color=NEUTRAL_COLOR, linewidth=THIN_LINE_WIDTH, zorder=0)
        ax.scatter(likelihood[reference], likelihood[model], s=CLOUD_MARKER_SIZE, alpha=CLOUD_ALPHA, color=model_color(model))
        row = rows.loc[model]
        ax.set_title(
            f"{_model_label(model)}\n"
            f"ΔNLL {row['difference']:+.4f} {NLL_UNITS}\n"
            f"[{row['low']:+.4f}, {row['high']:+.4f}]; better for {row['participants_better']:.0%}",
            fontsize=SMALL_FONT_SIZE,
        )
        ax.set_xlim(low - pad, high + pad)
        ax.set_ylim(low - pad, high + pad)
        ax.set_box_aspect(1)
        ax.set_xlabel(_model_label(reference))
        ax.set_ylabel("normalized likelihood")
    fig.suptitle("Held-out normalized likelihood per participant against the best classic model\n(above the diagonal: better)")
    return fig, axs


def term_label(term: str) -> str:
    """An equations table's term as mathtext: '1' -> 'constant', 'x_value_reward_not_chosen[k] c_reward[k]'
    -> the product of the symbols (all terms are of trial k)."""
    return f"${table_term(term, MATHTEXT)}$" if term != "1" else "constant"


def _module_title(module: str, panel_width: float) -> str:
    """A module's symbol, and what it stands for where notation knows, wrapped to the panel's width."""
    title = f"${symbol(module).latex}$"
    if module not in SYMBOLS:
        return title
    # The first line starts with the symbol, drawn about as wide as the indent.
    indent = "    "
    meaning = textwrap.fill(SYMBOLS[module].meaning, int(panel_width * CHARACTERS_PER_INCH), initial_indent=indent)
    return f"{title}: {meaning.removeprefix(indent)}"


def _study_legend(fig, colors: dict, extra_handles=()) -> None:
    handles = [plt.Line2D([], [], linestyle="", marker="o", color=color, label=study) for study, color in colors.items()]
    handles += list(extra_handles)
    fig.legend(handles=handles, loc="outside lower center", ncol=min(4, len(handles)))


@figure_style()
def plot_equations(equations: pd.DataFrame):
    """Every non-zero coefficient of every module across the grid: one panel per module, terms (as symbols)
    on the x axis, one dot per participant and seed, coloured by parameter set or data set. Betas get a
    panel of their own. equations: the stacked equations tables (columns parameter_set and/or dataset, seed,
    participant, kind, module, term, coefficient)."""
    table = equations.copy()
    is_beta = table["kind"] == "beta"
    table["label"] = [
        f"${beta_symbol(module).latex}$" if beta else term_label(term)
        for beta, module, term in zip(is_beta, table["module"], table["term"])
    ]
    table.loc[is_beta, "module"] = "betas"
    # terms in the tables' order (the constant first), the betas' panel last
    order = list(dict.fromkeys(table["label"]))
    kept = table[table["coefficient"] != 0].copy()
    kept["study"] = run_names(kept)
    modules = sorted(dict.fromkeys(kept["module"]), key=lambda module: module == "betas")
    colors = study_colors(kept["study"])
    fig, axs = _panels(len(modules), panel_height=1.9)
    panel_width = fig.get_figwidth() / grid_columns(len(modules))
    jitter = np.random.default_rng(0)  # fixed: the same figure every time
    for ax, module in zip(axs, modules):
        part = kept[kept["module"] == module]
        labels = sorted(dict.fromkeys(part["label"]), key=order.index)
        for name, group in part.groupby("study", sort=False):
            x = np.array([labels.index(t) for t in group["label"]]) + jitter.uniform(-0.2, 0.2, len(group))
            ax.scatter(x, group["coefficient"], s=CLOUD_MARKER_SIZE, alpha=CLOUD_ALPHA, color=colors[name], label=name)
        ax.set_xticks(range(len(labels)), labels)
        ax.set_xlim(-0.6, len(labels) - 0.4)
        ax.axhline(0, color=NEUTRAL_COLOR, linewidth=THIN_LINE_WIDTH)
        if module == "betas":
            ax.set_title("weights of the values in the choice")
            ax.set_ylabel("β")
        else:
            ax.set_title(_module_title(module, panel_width))
            ax.set_ylabel("coefficient")
    _study_legend(fig, colors)
    fig.suptitle("Discovered equations across the grid: each module's non-zero coefficients, per term of trial k")
    return fig, axs


@figure_style()
def plot_inclusion(equations: pd.DataFrame, terms: pd.DataFrame | None = None):
    """How sure each term is, across the grid: one column per module; on top, the share of resamples that
    kept each term (one dot per participant and run, coloured by parameter set or data set); below, each
    coefficient with its 90% interval. With `terms` (the stacked structure-recovery tables of simulated
    runs), a dot is a circle where the generating model has the term and a cross where it does not: a
    calibrated method puts the circles near 1 and the crosses near 0. equations: the stacked equations
    tables with the inclusion columns (EquationSet.to_table)."""
    table = equations[(equations["kind"] == "term") & equations["inclusion"].notna()].copy()
    if table.empty:
        return _message_figure("No inclusion probabilities: set distillation.resamples (2 or more)")
    table["study"] = run_names(table)
    if terms is not None and not terms.empty:
        truth = terms.assign(study=run_names(terms)).set_index(["study", "seed", "participant", "module", "term"])["in_truth"]
        keys = pd.MultiIndex.from_frame(table[["study", "seed", "participant", "module", "term"]])
        table["in_truth"] = truth.reindex(keys).to_numpy()
    else:
        table["in_truth"] = pd.NA
    modules = list(dict.fromkeys(table["module"]))
    colors = study_colors(table["study"])
    fig, axs = plt.subplots(2, len(modules), figsize=(DOUBLE_COLUMN, 4.6), squeeze=False)
    jitter = np.random.default_rng(0)  # fixed: the same figure every time
    # Where the truth is known, the marker says whether the generating model has the term; a choice trace
    # that never reaches the choice (beta_choice = 0) has no truth to compare with, as in real data.
    markers = {"True": "o", "False": "x", "?": "D"}
    meanings = {"True": "in the generating model", "False": "not in the generating model", "?": "truth unknown or without effect"}
    shown = set()
    for column, module in enumerate(modules):
        part = table[table["module"] == module]
        names = list(dict.fromkeys(part["term"]))
        x = np.array([names.index(t) for t in part["term"]]) + jitter.uniform(-0.25, 0.25, len(part))
        truth = part["in_truth"].astype("string").fillna("?")
        for (study, in_truth), group in part.groupby(["study", truth], sort=False):
            where = x[part.index.get_indexer(group.index)]
            marker, color = markers[in_truth], colors[study]
            axs[0, column].scatter(where, group["inclusion"], s=MARKER_SIZE, alpha=CLOUD_ALPHA, marker=marker, color=color)
            # the interval need not contain the fit to all the data, so no error bars
            axs[1, column].vlines(where, group["coefficient_low"], group["coefficient_high"], color=color, alpha=CLOUD_ALPHA, linewidth=THIN_LINE_WIDTH)
            axs[1, column].scatter(where, group["coefficient"], s=CLOUD_MARKER_SIZE, alpha=CLOUD_ALPHA, marker=marker, color=color)
            shown.add(in_truth)
        for ax in axs[:, column]:
            ax.set_xticks(range(len(names)), [term_label(t) for t in names])
            ax.set_xlim(-0.6, len(names) - 0.4)
        axs[0, column].set_title(_module_title(module, DOUBLE_COLUMN / len(modules)))
        axs[0, column].set_ylim(-0.05, 1.05)
        axs[1, column].axhline(0, color=NEUTRAL_COLOR, linewidth=THIN_LINE_WIDTH)
    axs[0, 0].set_ylabel("share of resamples\nkeeping the term")
    axs[1, 0].set_ylabel("coefficient and\n90% interval")
    truth_handles = [
        plt.Line2D([], [], linestyle="", marker=markers[key], color=NEUTRAL_COLOR, label=meanings[key]) for key in markers if key in shown
    ]
    _study_legend(fig, colors, truth_handles)
    fig.suptitle("Which terms are real: term selection rerun on bootstraps of each participant's sessions")
    return fig, axs.ravel()


@figure_style()
def plot_model_recovery(table: pd.DataFrame):
    """Confusion matrices of the true model family (rows) against the family the discovered equations show
    (columns), one per number of sessions per participant, each cell the share of the row's participants
    (and their count). table: model_recovery.model_recovery_table with an n_sessions column."""
    sizes = sorted(table["n_sessions"].unique())
    if not sizes:
        return _message_figure("No model recovery: it reads inclusion probabilities; set distillation.resamples (2 or more)")
    matrices = {n_sessions: confusion_matrix(table[table["n_sessions"] == n_sessions]) for n_sessions in sizes}
    columns = grid_columns(len(sizes))
    # as tall as the tallest matrix's cells are wide, plus its labels
    rows_at_most = max(max(len(shares.index), 1) / len(shares.columns) for shares in matrices.values())
    fig, axs = _panels(len(sizes), panel_height=DOUBLE_COLUMN / columns * rows_at_most + 1.2)
    fig.set_layout_engine("compressed")  # square cells: no gaps between the matrices
    # the same generating families everywhere: named once, at the left, leaving the cells more room
    named_once = len({tuple(shares.index) for shares in matrices.values()}) == 1
    for index, (ax, n_sessions) in enumerate(zip(axs, sizes)):
        part, shares = table[table["n_sessions"] == n_sessions], matrices[n_sessions]
        first_column = index % columns == 0
        if first_column:
            ax.set_ylabel("generating family")
        if shares.empty:
            ax.text(0.5, 0.5, f"{n_sessions} sessions: no participant\nof a named family", ha="center", va="center", transform=ax.transAxes)
            ax.axis("off")
            continue
        counts = pd.crosstab(part["true_family"], part["found_family"]).reindex(index=shares.index, columns=shares.columns, fill_value=0)
        ax.imshow(shares.to_numpy(), vmin=0, vmax=1, cmap=SHARE_COLORMAP)
        for (row, column), share in np.ndenumerate(shares.to_numpy()):
            ax.text(column, row, f"{share:.2f}\n({counts.iat[row, column]})", ha="center", va="center", fontsize=SMALL_FONT_SIZE,
                    color="white" if share > 0.6 else "black")  # fmt: skip
        ax.set_xticks(range(len(shares.columns)), [_family_label(c) for c in shares.columns], rotation=45, ha="right")
        ax.set_yticks(range(len(shares.index)), [_family_label(r) for r in shares.index] if first_column or not named_once else [])
        diagonal = np.mean([shares.loc[name, name] for name in shares.index])
        ax.set_title(f"{n_sessions} sessions × {int(part.shape[0] / max(len(shares.index), 1))} participants\n"
                     f"per family; mean diagonal {diagonal:.2f}")  # fmt: skip
        ax.set_xlabel("family the equations show")
    fig.suptitle("Model recovery: which family SPICE's equations show, per generating family")
    return fig, axs


METHOD_LABELS = {"spice": "SPICE equations", "mle": "AgentQ maximum likelihood (oracle)"}


def _fixed_value_text(values: pd.DataFrame) -> str:
    """What a panel of a parameter that does not vary says instead of a single dot."""
    true = values["true"].iloc[0]
    text = f"fixed at {true:g} in every set"
    recovered = values["recovered"].dropna()
    if recovered.empty:
        return text + "\nnot identified"
    if np.allclose(recovered, true):
        return text
    low, high = f"{recovered.min():.3g}", f"{recovered.max():.3g}"
    return text + (f"\nrecovered {low}" if low == high else f"\nrecovered {low} to {high}")


def _recovery_scatter(ax, part: pd.DataFrame, colors: dict, view: tuple[float, float]) -> int:
    """One parameter set after the other, the biggest first, so that a set of a few participants lies on
    top of the population cloud, its markers bigger and edged. A recovered value outside `view` is drawn
    at its edge as a triangle pointing the way it lies; returns how many are."""
    groups = sorted(part.groupby("parameter_set", sort=False), key=lambda named: -len(named[1]))
    outside = 0
    for name, group in groups:
        small = len(group) <= SMALL_SET_POINTS
        style = (
            dict(s=SMALL_SET_MARKER_SIZE, edgecolors=SMALL_SET_EDGE_COLOR, linewidths=THIN_LINE_WIDTH, zorder=3)
            if small
            else dict(s=CLOUD_MARKER_SIZE, alpha=CLOUD_ALPHA, linewidths=0, zorder=2)
        )
        below, above = group["recovered"] < view[0], group["recovered"] > view[1]
        inside = group[~below & ~above]
        ax.scatter(inside["true"], inside["recovered"], color=colors[name], label=name, **style)
        for beyond, edge, marker in ((below, view[0], "v"), (above, view[1], "^")):
            if beyond.any():
                ax.scatter(group["true"][beyond], np.full(int(beyond.sum()), edge), color=colors[name], marker=marker,
                           clip_on=False, **style)  # fmt: skip
        outside += int(below.sum() + above.sum())
    return outside


@figure_style()
def plot_recovery(recovery: pd.DataFrame):
    """Recovered against true parameter values: one panel per parameter and method (SPICE's equations, the
    maximum-likelihood oracle), the methods' rows of a parameter next to each other, coloured by parameter
    set, with the identity line and Pearson r over all points. A parameter the study does not vary says so
    instead of drawing a dot. recovery: columns parameter_set, seed, participant, parameter, method, true,
    recovered. Returns (fig, the axes in rows)."""
    parameters = list(dict.fromkeys(recovery["parameter"]))
    if not parameters:
        return _message_figure("No recovery: the model has no mapping to AgentQ parameters")
    methods = [m for m in METHOD_LABELS if m in set(recovery["method"])]
    # r over all parameter sets together, as the panel shows them
    pooled_r = recovery_summary(recovery.drop(columns="parameter_set")).set_index(["parameter", "method"])["r"]
    colors = study_colors(recovery["parameter_set"])
    columns = grid_columns(len(parameters))
    parameter_rows = [parameters[i : i + columns] for i in range(0, len(parameters), columns)]
    n_rows = len(parameter_rows) * len(methods)
    panel = DOUBLE_COLUMN / columns
    fig, axs = plt.subplots(n_rows, columns, figsize=(DOUBLE_COLUMN, 0.7 + 0.8 * panel * n_rows), squeeze=False)
    for block, row_parameters in enumerate(parameter_rows):
        for column, parameter in enumerate(row_parameters):
            of_parameter = recovery[recovery["parameter"] == parameter]
            known = of_parameter.dropna(subset=["recovered"])
            fixed = of_parameter["true"].nunique() == 1
            low = min(known["true"].min(), known["recovered"].min()) if not known.empty else 0.0
            high = max(known["true"].max(), known["recovered"].max()) if not known.empty else 1.0
            if not known.empty:
                # The axes reach past the true values by at most their own range: one estimate far off
                # (an oracle's beta at -10 for true values in [0, 2]) would squeeze everyone else into a corner.
                true_low, true_high = known["true"].min(), known["true"].max()
                reach = true_high - true_low
                low, high = max(low, true_low - reach), min(high, true_high + reach)
            pad = 0.05 * (high - low) or 0.05
            for offset, method in enumerate(methods):
                ax = axs[block * len(methods) + offset, column]
                part = known[known["method"] == method]
                correlation = pooled_r.get((parameter, method), float("nan"))
                name = parameter.replace("_", " ")
                title = name if np.isnan(correlation) else f"{name} (r = {correlation:.2f})"
                # Participants the method gives no value for (no choice trace to read a rate off) are not
                # drawn: the title says how many, so that a thin panel is not read as all of them.
                missing = int(of_parameter[of_parameter["method"] == method]["recovered"].isna().sum())
                notes = [f"{missing} not identified"] if missing else []
                if column == 0:
                    ax.set_ylabel(f"{METHOD_LABELS[method]}\nrecovered")
                if fixed:
                    ax.set_title("\n".join([title, *notes]))
                    ax.text(0.5, 0.5, _fixed_value_text(of_parameter[of_parameter["method"] == method]),
                            ha="center", va="center", transform=ax.transAxes)  # fmt: skip
                    ax.set_xticks([])
                    ax.set_yticks([])
                    ax.spines[:].set_visible(False)
                    continue
                ax.plot([low - pad, high + pad], [low - pad, high + pad], color=NEUTRAL_COLOR, linewidth=THIN_LINE_WIDTH, zorder=1)
                outside = _recovery_scatter(ax, part, colors, (low - pad, high + pad))
                if outside:
                    notes.append(f"{outside} beyond the axis (triangles)")
                ax.set_title("\n".join([title, *notes]))
                ax.set_xlim(low - pad, high + pad)
                ax.set_ylim(low - pad, high + pad)
                ax.set_xlabel("true")
        for row in range(len(methods)):
            for ax in axs[block * len(methods) + row, len(row_parameters) :]:
                ax.axis("off")
    sizes = recovery.drop_duplicates(["parameter_set", "seed", "participant"]).groupby("parameter_set", sort=False).size()
    handles = [
        plt.Line2D([], [], linestyle="", marker="o", color=colors[name], label=f"{name} (n = {sizes[name]})",
                   markeredgecolor=SMALL_SET_EDGE_COLOR if sizes[name] <= SMALL_SET_POINTS else colors[name])
        for name in colors
    ]  # fmt: skip
    fig.legend(handles=handles, loc="outside lower center", ncol=min(4, len(handles)))
    fig.suptitle("Parameter recovery: read off the discovered equations, and fitted by the true model family")
    return fig, axs.ravel()


# The equations figure: each participant shown in its own block (a population's first few), the columns'
# widths (half the double column each), the space between them and around the figure, and each line's height
# as a multiple of its font size (an equation's indices and powers need more than a line of text).
EQUATIONS_SHOWN = 3
EQUATION_COLUMN = DOUBLE_COLUMN / 2
COLUMN_GAP = 0.15
FIGURE_MARGIN = 0.05
MATH_LINE = 2.1
TEXT_LINE = 1.45
# Most terms a line of an equation holds before its right-hand side is broken (fewer where it is too wide).
MOST_TERMS_PER_LINE = 12

_TEXT_PATHS = TextToPath()


def _text_width(text: str, size: float) -> float:
    """How wide `text` (plain, mathtext, or both) is drawn at `size` points, in inches."""
    is_math = text.count("$") - text.count(r"\$") >= 2
    return _TEXT_PATHS.get_text_width_height_descent(text, FontProperties(size=size), ismath=is_math)[0] / 72


def _wrapped(pieces: list[str], width: float, size: float, separator: str = " ", indent: str = "") -> list[str]:
    """`pieces` joined by `separator` into lines at most `width` inches wide where each piece fits (a wider
    piece gets a line of its own); further lines start with `indent`. The pieces are never split (a word,
    or a whole $...$), so that mathtext stays whole."""
    lines: list[str] = []
    for piece in pieces:
        joined = f"{lines[-1]}{separator}{piece}" if lines else piece
        if lines and _text_width(joined, size) <= width:
            lines[-1] = joined
        else:
            lines.append(f"{indent}{piece}" if lines else piece)
    return lines


def _fitting_equation(name: str, equation, participant: int, precision: int, width: float) -> list[str]:
    """The lines of an equation (notation.mathtext_equation) at FONT_SIZE, on as few lines as fit `width`
    inches: all on one, else the most terms a line can hold."""
    for terms_per_line in (None, *range(MOST_TERMS_PER_LINE, 0, -1)):
        lines = mathtext_equation(name, equation, participant, precision, terms_per_line)
        if all(_text_width(line, FONT_SIZE) <= width for line in lines):
            break
    return lines


def _bounded_values(equations: EquationSet) -> list[str]:
    """'Kept in [0, 1]: $\\alpha$, $C^{c}$.': the symbols of the values kept in each range, one line a range."""
    bounded: dict[str, list[str]] = {}
    for name, equation in equations.modules.items():
        if equation.bounds is not None:
            bounded.setdefault(bounds_note(equation, TEXT), []).append(f"${symbol(name).latex}$")
    return [f"{note[0].upper()}{note[1:]}: {', '.join(symbols)}." for note, symbols in bounded.items()]


@figure_style()
def plot_equations_math(
    equations: EquationSet, truth: EquationSet | None = None, title: str = "Discovered equations", precision: int = 3,
    most_participants: int = EQUATIONS_SHOWN,
):  # fmt: skip
    """A run's equations as mathematics (matplotlib's mathtext, notation.mathtext_equation: the LaTeX of
    equations.tex): for the first `most_participants` participants, each module's equation and the betas,
    the discovered ones in one column and, given `truth` (`recovery.generating_equations`, the same
    participants in the same order), the generating agent's in a second; below, which values are kept in a
    range and a legend of the symbols. An equation too wide for its column is broken between terms.
    Returns (fig, texts): the figure's texts, without axes (so that its saved size is what is written)."""
    columns = [("discovered", model_color("spice"), equations)]
    if truth is not None:
        columns.append(("generating agent", model_color("truth"), truth))
    width = EQUATION_COLUMN * len(columns)
    text_width = EQUATION_COLUMN - COLUMN_GAP
    fig = plt.figure(figsize=(width, 1.0), layout="none")
    # Texts are placed in inches from the top left, as a share of the figure (which saving it cropped moves
    # along), whose height is known once every text is placed.
    from_top = Affine2D()
    inches = from_top + fig.transFigure
    y = FIGURE_MARGIN  # the top of the next line
    starts = [FIGURE_MARGIN + c * EQUATION_COLUMN for c in range(len(columns))]  # each column's left edge

    def line(x: float, text: str, size: float = FONT_SIZE, height: float = TEXT_LINE, row: int = 0, **style) -> None:
        """Text on the `row`-th line below the next, its baseline three quarters down the line."""
        fig.text(x, y + (row + 0.75) * height * size / 72, text, fontsize=size, va="baseline", transform=inches, **style)

    def advance(lines: int, size: float = FONT_SIZE, height: float = TEXT_LINE) -> None:
        nonlocal y
        y += lines * height * size / 72

    def side_by_side(cells: list[list[str]]) -> None:
        """A row of mathematics: each column's lines."""
        for x, cell in zip(starts, cells):
            for row, text in enumerate(cell):
                line(x, text, height=MATH_LINE, row=row)
        advance(max(len(cell) for cell in cells), height=MATH_LINE)

    def in_columns(entries: list[list[str]]) -> None:
        """Small text down each column, each entry wrapped to the column's width."""
        nonlocal y
        top = bottom = y
        for x, column in zip(starts, entries):
            y = top
            for entry in column:
                for row in _wrapped(entry.split(" "), text_width, SMALL_FONT_SIZE, indent="    "):
                    line(x, row, SMALL_FONT_SIZE)
                    advance(1, SMALL_FONT_SIZE)
            bottom = max(bottom, y)
        y = bottom

    def paragraph(text: str, size: float, **style) -> None:
        for row in _wrapped(text.split(" "), width - 2 * FIGURE_MARGIN, size):
            line(FIGURE_MARGIN, row, size, **style)
            advance(1, size)

    paragraph(title, FONT_SIZE + 1)
    ids = equations.participant_ids
    if len(ids) > most_participants:
        paragraph(f"the first {most_participants} of {len(ids)} participants (every participant: equations.tex)",
                  SMALL_FONT_SIZE, color=NEUTRAL_COLOR)  # fmt: skip
    advance(0.4)
    for x, (label, color, _) in zip(starts, columns):
        line(x, label, color=color, fontweight="bold")
    advance(1)
    for index in range(min(most_participants, len(ids))):
        advance(0.3)
        line(FIGURE_MARGIN, "participant " + str(ids[index]).replace("$", r"\$"), fontstyle="italic")
        advance(1)
        for name in equations.modules:
            side_by_side([_fitting_equation(name, shown.modules[name], index, precision, text_width) for *_, shown in columns])
        side_by_side([
            _wrapped([mathtext_beta(name, values[index], precision) for name, values in shown.betas.items()], text_width,
                     FONT_SIZE, separator=",  ")
            for *_, shown in columns
        ])  # fmt: skip
    advance(0.5)
    bounded = [_bounded_values(shown) for *_, shown in columns]
    if all(notes == bounded[0] for notes in bounded):  # alike in every column: said once
        for note in bounded[0]:
            paragraph(note, SMALL_FONT_SIZE)
    else:  # each column's under it
        in_columns(bounded)
    legend = [f"${s.latex}$: {s.meaning} ({name})" for s, name in legend_entries(equations) if s in OWN_SYMBOLS]
    if legend:
        advance(0.3)
        paragraph("Symbols (each equation gives $x_{k+1}$, a value after trial $k$, from the values and signals of "
                  "trial $k$):", SMALL_FONT_SIZE)  # fmt: skip
        per_column = -(-len(legend) // len(columns))  # down the first column, then the second
        in_columns([legend[start : start + per_column] for start in range(0, len(legend), per_column)])
    y += FIGURE_MARGIN
    fig.set_figheight(y)
    from_top.scale(1 / width, -1 / y).translate(0, 1)
    return fig, fig.texts


@figure_style()
def _message_figure(message: str):
    """A figure that says why there is nothing to draw, so that the rule still writes its file."""
    fig, ax = plt.subplots(figsize=(SINGLE_COLUMN, 1.2))
    ax.text(0.5, 0.5, message, ha="center", va="center", wrap=True)
    ax.axis("off")
    return fig, np.array([ax])


def save_figure(fig, *paths, dpi: int = PNG_DPI) -> None:
    """Save a figure to each path (atomically), in the format its suffix names (.png for looking, .pdf or
    .svg for a paper: vector, with text kept as text), and close it."""
    # TrueType (42) rather than Type 3 fonts: journals and vector editors take them as editable text.
    with plt.rc_context({"pdf.fonttype": 42, "svg.fonttype": "none"}):
        for path in paths:
            with atomic_path(path) as temporary:
                # Cropped to what is drawn with a thin margin, so that a figure laid out to a column's
                # width stays within it; nothing drawn past the figure's edge is cut off.
                fig.savefig(
                    temporary, dpi=dpi, format=Path(path).suffix.lstrip(".").lower(), bbox_inches="tight", pad_inches=0.02
                )
    plt.close(fig)
