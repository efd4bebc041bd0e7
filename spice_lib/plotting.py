"""Figures: one session through the eyes of several agents, training curves, scores, equations, recovery
and how sure each term is."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from spice_lib.agents import Agent
from spice_lib.dataset import split_inputs
from spice_lib.files import atomic_path
from spice_lib.model_recovery import confusion_matrix
from spice_lib.recovery import recovery_summary
from spice_lib.report import run_names

AGENT_COLORS = {"groundtruth": "black", "rnn": "tab:orange", "spice": "tab:blue"}
ARM_STYLES = ["-", "--", ":", "-."]


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


def plot_session(agents: dict[str, Agent | None], session, n_actions: int | None = None):
    """One session's choices and rewards, and each agent's choice probability and memory values per trial.

    agents: name -> agent (e.g. {'groundtruth': AgentQ, 'rnn': est.rnn_agent, 'spice': est.spice_agent});
    None entries are skipped. session: one row of DatasetRNN.xs, (n_trials, features).
    Returns (fig, axs). Values are each model's own latent variables: an RNN may scale them differently
    from the ground truth (only beta x value reaches the choice), so compare shapes, not levels.
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

    fig, axs = plt.subplots(
        2 + len(value_names), 1, figsize=(11, 2.1 * (2 + len(value_names))), sharex=True, squeeze=False
    )
    axs = axs[:, 0]
    outside = dict(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    trials = np.arange(n_trials)
    rewarded = rewards[trials, choices] > 0.5
    axs[0].scatter(trials[rewarded], choices[rewarded], marker="o", color="tab:green", label="rewarded", s=18)
    axs[0].scatter(
        trials[~rewarded], choices[~rewarded], marker="o", facecolors="none", edgecolors="tab:red", label="not rewarded", s=18
    )
    axs[0].set_yticks(range(n_actions), [f"arm {a}" for a in range(n_actions)])
    axs[0].set_ylim(-0.5, n_actions - 0.5)
    axs[0].set_ylabel("choice")
    axs[0].legend(**outside)

    for name, trace in traces.items():
        probabilities = trace["probabilities"]
        shown = probabilities[:, 0] if n_actions == 2 else probabilities[trials, choices]
        axs[1].plot(trials, shown, color=AGENT_COLORS.get(name), label=name)
    axs[1].set_ylabel("P(arm 0)" if n_actions == 2 else "P(chosen arm)")
    axs[1].set_ylim(0, 1)
    axs[1].legend(**outside)

    for ax, value_name in zip(axs[2:], value_names):
        for name, trace in traces.items():
            for arm in range(n_actions):
                if value_name in trace:
                    style = ARM_STYLES[arm % len(ARM_STYLES)]
                    ax.plot(trials, trace[value_name][:, arm], color=AGENT_COLORS.get(name), linestyle=style)
        ax.set_ylabel(value_name.removeprefix("x_").replace("_", " "), fontsize=9)
    if value_names:
        arm_lines = [plt.Line2D([], [], color="grey", linestyle=ARM_STYLES[a % 4]) for a in range(n_actions)]
        axs[2].legend(arm_lines, [f"arm {a}" for a in range(n_actions)], **outside)
    axs[-1].set_xlabel("trial")
    fig.suptitle("One session: ground truth and fitted models")
    fig.tight_layout()
    return fig, axs


def plot_history(history: pd.DataFrame, reference_nll: float | None = None, title: str = "Training"):
    """Loss per epoch (training, and validation when present), with the true agent's NLL as a reference."""
    fig, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot(history["epoch"], history["train_loss"], label="training")
    if history["validation_loss"].notna().any():
        ax.plot(history["epoch"], history["validation_loss"], label="validation")
    if reference_nll is not None:
        ax.axhline(reference_nll, color="black", linestyle="--", linewidth=1, label="true agent")
    ax.set_xlabel("epoch")
    ax.set_ylabel("NLL per trial")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    return fig, ax


def _set_colors(names) -> dict[str, str]:
    palette = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    return {name: palette[i % len(palette)] for i, name in enumerate(dict.fromkeys(names))}


def _panels(n_panels: int, panel_size: tuple[float, float], columns: int = 3):
    """A grid of `n_panels` axes, three to a row; returns (fig, the used axes as a flat array)."""
    rows = -(-n_panels // columns)
    fig, axs = plt.subplots(rows, columns, figsize=(panel_size[0] * columns, panel_size[1] * rows), squeeze=False)
    for ax in axs.ravel()[n_panels:]:
        ax.axis("off")
    return fig, axs.ravel()[:n_panels]


def plot_scores(scores: pd.DataFrame):
    """Held-out NLL per trial of each model for every parameter set (one dot per seed), and each model's
    difference to the true agent. scores: columns parameter_set, seed, model, nll; rows of data sets (no
    parameter_set, no true agent) are left out."""
    scores = scores[scores["parameter_set"].notna()]
    sets = list(dict.fromkeys(scores["parameter_set"]))
    models = [m for m in ("truth", "rnn", "spice") if m in set(scores["model"])]
    colors = {"truth": AGENT_COLORS["groundtruth"], "rnn": AGENT_COLORS["rnn"], "spice": AGENT_COLORS["spice"]}
    fig, axs = plt.subplots(1, 2, figsize=(11, 4))
    truth = scores[scores["model"] == "truth"].set_index(["parameter_set", "seed"])["nll"]
    width = 0.8 / len(models)
    for m, model in enumerate(models):
        rows = scores[scores["model"] == model]
        x = np.array([sets.index(s) for s in rows["parameter_set"]]) + (m - (len(models) - 1) / 2) * width
        axs[0].scatter(x, rows["nll"], color=colors[model], label=model, s=25)
        if model != "truth":
            difference = rows["nll"].to_numpy() - truth.loc[list(zip(rows["parameter_set"], rows["seed"]))].to_numpy()
            axs[1].scatter(x, difference, color=colors[model], label=model, s=25)
    axs[1].axhline(0, color="black", linewidth=1)
    for ax, label in zip(axs, ("held-out NLL per trial", "NLL - true agent's NLL")):
        ax.set_xticks(range(len(sets)), sets, rotation=20, ha="right")
        ax.set_ylabel(label)
        ax.legend(fontsize=8)
    fig.suptitle("How well each model predicts held-out choices (one dot per seed)")
    fig.tight_layout()
    return fig, axs


MODEL_LABELS = {
    "spice": "SPICE equations",
    "rnn": "SPICE network",
    "gru": "GRU",
    "rescorla_wagner": "Rescorla-Wagner",
    "rescorla_wagner_forgetting": "RW + forgetting",
    "agent_q": "AgentQ (6 parameters)",
    "truth": "true agent",
}


# The SPICE models in their colours of the other figures; the references in their own; classic models purple.
MODEL_COLORS = {"spice": AGENT_COLORS["spice"], "rnn": AGENT_COLORS["rnn"], "gru": "tab:green", "truth": "black"}


def plot_comparison(by_participant: pd.DataFrame, pooled: pd.DataFrame):
    """One panel per model: each participant's held-out normalized likelihood under it (y) against the
    reference, the best classic model (x); the panel title gives the pooled paired difference in NLL per
    trial with its 95% interval and the share of participants the model predicts better.

    by_participant, pooled: the tables of `comparison.compare_run` for one run."""
    reference = pooled["reference"].iloc[0]
    likelihood = by_participant.pivot(index="participant", columns="model", values="normalized_likelihood")
    likelihood = likelihood[by_participant.groupby("participant")["n_trials"].max() > 0]
    models = [m for m in pooled["model"] if m != reference]
    fig, axs = _panels(len(models), (3.2, 3.2), columns=min(4, len(models)))
    values = likelihood.to_numpy(float)
    low, high = np.nanmin(values), np.nanmax(values)
    pad = 0.03 * (high - low)
    rows = pooled.set_index("model")
    for ax, model in zip(axs, models):
        ax.plot([low - pad, high + pad], [low - pad, high + pad], color="grey", linewidth=0.8, zorder=0)
        ax.scatter(likelihood[reference], likelihood[model], s=10, alpha=0.7, color=MODEL_COLORS.get(model, "tab:purple"))
        row = rows.loc[model]
        ax.set_title(
            f"{MODEL_LABELS.get(model, model)}\n"
            f"ΔNLL {row['difference']:+.4f} [{row['low']:+.4f}, {row['high']:+.4f}]; "
            f"better for {row['participants_better']:.0%}",
            fontsize=8,
        )
        ax.set_xlim(low - pad, high + pad)
        ax.set_ylim(low - pad, high + pad)
        ax.set_xlabel(f"{MODEL_LABELS.get(reference, reference)}", fontsize=8)
        ax.set_ylabel("normalized likelihood", fontsize=8)
        ax.tick_params(labelsize=7)
    fig.suptitle(
        "Held-out normalized likelihood per participant against the best classic model "
        "(above the diagonal: better)",
        fontsize=9,
    )
    fig.tight_layout()
    return fig, axs


def plot_equations(equations: pd.DataFrame):
    """Every non-zero coefficient of every module across the grid: one panel per module, terms on the x
    axis, one dot per participant and seed, coloured by parameter set or data set. Betas get a panel of their
    own. equations: the stacked equations tables (columns parameter_set and/or dataset, seed, participant,
    kind, module, term, coefficient)."""
    kept = equations[equations["coefficient"] != 0].copy()
    kept["study"] = run_names(kept)
    kept.loc[kept["kind"] == "beta", "term"] = "beta(" + kept.loc[kept["kind"] == "beta", "module"] + ")"
    kept.loc[kept["kind"] == "beta", "module"] = "betas"
    modules = list(dict.fromkeys(kept["module"]))
    colors = _set_colors(kept["study"])
    fig, axs = _panels(len(modules), panel_size=(4.2, 3.4))
    jitter = np.random.default_rng(0)  # fixed: the same figure every time
    for ax, module in zip(axs, modules):
        part = kept[kept["module"] == module]
        terms = list(dict.fromkeys(part["term"]))
        for name, group in part.groupby("study", sort=False):
            x = np.array([terms.index(t) for t in group["term"]]) + jitter.uniform(-0.2, 0.2, len(group))
            ax.scatter(x, group["coefficient"], s=12, alpha=0.7, color=colors[name], label=name)
        ax.set_xticks(range(len(terms)), [t.replace(f"{module}[k]", "x[k]") for t in terms], rotation=20, ha="right", fontsize=8)
        ax.axhline(0, color="grey", linewidth=0.5)
        ax.set_title(module, fontsize=9)
    axs[0].legend(fontsize=7)
    fig.suptitle("Discovered equations across the grid (non-zero coefficients; x[k] is the module's own value)")
    fig.tight_layout()
    return fig, axs


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
    colors = _set_colors(table["study"])
    fig, axs = plt.subplots(2, len(modules), figsize=(3.6 * len(modules), 6.2), squeeze=False)
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
            axs[0, column].scatter(where, group["inclusion"], s=16, alpha=0.7, marker=marker, color=color)
            # the interval need not contain the fit to all the data, so no error bars
            axs[1, column].vlines(where, group["coefficient_low"], group["coefficient_high"], color=color, alpha=0.5, linewidth=0.8)
            axs[1, column].scatter(where, group["coefficient"], s=10, alpha=0.7, marker=marker, color=color)
            shown.add(in_truth)
        for ax in axs[:, column]:
            ax.set_xticks(range(len(names)), [t.replace(f"{module}[k]", "x[k]") for t in names], rotation=20, ha="right", fontsize=8)
        axs[0, column].set_title(module, fontsize=9)
        axs[0, column].set_ylim(-0.05, 1.05)
        axs[1, column].axhline(0, color="grey", linewidth=0.5)
    axs[0, 0].set_ylabel("share of resamples keeping the term")
    axs[1, 0].set_ylabel("coefficient and 90% interval")
    handles = [plt.Line2D([], [], linestyle="", marker="s", color=color, label=study) for study, color in colors.items()]
    handles += [
        plt.Line2D([], [], linestyle="", marker=markers[key], color="black", label=meanings[key]) for key in markers if key in shown
    ]
    fig.legend(handles=handles, fontsize=7, loc="lower center", ncol=min(5, len(handles)), bbox_to_anchor=(0.5, -0.01))
    fig.suptitle("Which terms are real: term selection rerun on bootstraps of each participant's sessions (x[k]: the module's own value)")
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return fig, axs.ravel()


def plot_model_recovery(table: pd.DataFrame):
    """Confusion matrices of the true model family (rows) against the family the discovered equations show
    (columns), one per number of sessions per participant, each cell the share of the row's participants
    (and their count). table: model_recovery.model_recovery_table with an n_sessions column."""
    sizes = sorted(table["n_sessions"].unique())
    if not sizes:
        return _message_figure("No model recovery: it reads inclusion probabilities; set distillation.resamples (2 or more)")
    fig, axs = plt.subplots(1, len(sizes), figsize=(4.4 * len(sizes), 4.2), squeeze=False)
    for ax, n_sessions in zip(axs[0], sizes):
        part = table[table["n_sessions"] == n_sessions]
        shares = confusion_matrix(part)
        counts = pd.crosstab(part["true_family"], part["found_family"]).reindex(index=shares.index, columns=shares.columns, fill_value=0)
        ax.imshow(shares.to_numpy(), vmin=0, vmax=1, cmap="Blues")
        for (row, column), share in np.ndenumerate(shares.to_numpy()):
            ax.text(column, row, f"{share:.2f}\n({counts.iat[row, column]})", ha="center", va="center", fontsize=7,
                    color="white" if share > 0.6 else "black")  # fmt: skip
        ax.set_xticks(range(len(shares.columns)), [c.replace("_", " ") for c in shares.columns], rotation=30, ha="right", fontsize=8)
        ax.set_yticks(range(len(shares.index)), [r.replace("_", " ") for r in shares.index], fontsize=8)
        diagonal = np.mean([shares.loc[name, name] for name in shares.index])
        ax.set_title(f"{n_sessions} sessions x {int(part.shape[0] / max(len(shares.index), 1))} participants per family\n"
                     f"mean diagonal {diagonal:.2f}", fontsize=9)  # fmt: skip
        ax.set_xlabel("family the equations show")
    axs[0, 0].set_ylabel("generating family")
    fig.suptitle("Model recovery: which family SPICE's equations show, per generating family")
    fig.tight_layout()
    return fig, axs.ravel()


METHOD_LABELS = {"spice": "SPICE equations", "mle": "AgentQ maximum likelihood (oracle)"}


def plot_recovery(recovery: pd.DataFrame):
    """Recovered against true parameter values: one column per parameter, one row per method (SPICE's
    equations, the maximum-likelihood oracle), coloured by parameter set, Pearson r over all points.
    recovery: columns parameter_set, seed, participant, parameter, method, true, recovered."""
    parameters = list(dict.fromkeys(recovery["parameter"]))
    if not parameters:
        return _message_figure("No recovery: the model has no mapping to AgentQ parameters")
    methods = [m for m in METHOD_LABELS if m in set(recovery["method"])]
    # r over all parameter sets together, as the panel shows them
    pooled_r = recovery_summary(recovery.drop(columns="parameter_set")).set_index(["parameter", "method"])["r"]
    colors = _set_colors(recovery["parameter_set"])
    fig, axs = plt.subplots(len(methods), len(parameters), figsize=(3.2 * len(parameters), 3.1 * len(methods)), squeeze=False)
    for column, parameter in enumerate(parameters):
        of_parameter = recovery[(recovery["parameter"] == parameter)].dropna(subset=["recovered"])
        low = min(of_parameter["true"].min(), of_parameter["recovered"].min())
        high = max(of_parameter["true"].max(), of_parameter["recovered"].max())
        for row, method in enumerate(methods):
            ax = axs[row, column]
            part = of_parameter[of_parameter["method"] == method]
            for name, group in part.groupby("parameter_set", sort=False):
                ax.scatter(group["true"], group["recovered"], s=14, alpha=0.7, color=colors[name], label=name)
            ax.plot([low, high], [low, high], color="black", linewidth=1)
            correlation = pooled_r.get((parameter, method), float("nan"))
            ax.set_title(f"{parameter}" + ("" if np.isnan(correlation) else f" (r = {correlation:.2f})"), fontsize=9)
            ax.set_xlabel("true")
            if column == 0:
                ax.set_ylabel(f"{METHOD_LABELS[method]}\nrecovered", fontsize=8)
    axs[0, 0].legend(fontsize=7)
    fig.suptitle("Parameter recovery: read off the discovered equations, and fitted by the true model family")
    fig.tight_layout()
    return fig, axs.ravel()


def _message_figure(message: str):
    """A figure that says why there is nothing to draw, so that the rule still writes its file."""
    fig, ax = plt.subplots(figsize=(6, 2))
    ax.text(0.5, 0.5, message, ha="center", va="center")
    ax.axis("off")
    return fig, np.array([ax])


def save_figure(fig, *paths, dpi: int = 110) -> None:
    """Save a figure to each path (atomically), in the format its suffix names (.png for looking, .pdf or
    .svg for a paper: vector, with text kept as text), and close it."""
    # TrueType (42) rather than Type 3 fonts: journals and vector editors take them as editable text.
    with plt.rc_context({"pdf.fonttype": 42, "svg.fonttype": "none"}):
        for path in paths:
            with atomic_path(path) as temporary:
                fig.savefig(temporary, dpi=dpi, format=Path(path).suffix.lstrip(".").lower(), bbox_inches="tight")
    plt.close(fig)
