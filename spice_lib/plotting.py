"""Figures: one session through the eyes of several agents, and training curves."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from spice_lib.agents import Agent
from spice_lib.dataset import split_inputs

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
