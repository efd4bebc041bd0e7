"""Simulation throughput: 1,000 sessions x 200 trials of AgentQ on a drifting bandit (target: well under 1 s).

Baseline in the same run: the loop a user would write without spice_lib, session after session and trial
after trial in plain numpy (`per_trial_loop`: the same agent and task, its own random draws), timed on 100
sessions and scaled to 1,000.
"""

from __future__ import annotations

import numpy as np

from benchmarks.common import median_seconds, print_table
from spice_lib import AgentQ, BanditsDrift
from spice_lib.simulation import simulate

PARAMETERS = dict(alpha_reward=0.3, forget_rate=0.2, beta_reward=3.0, beta_choice=1.0, alpha_choice=1.0)
SIGMA = 0.2


def per_trial_loop(n_sessions: int, n_trials: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two-armed AgentQ (PARAMETERS, alpha_penalty = alpha_reward) on a drifting bandit, one trial at a time."""
    p = PARAMETERS
    choices = np.empty((n_sessions, n_trials), dtype=np.int64)
    rewards = np.empty((n_sessions, n_trials))
    for session in range(n_sessions):
        reward_probability = rng.random(2)
        value, trace = np.full(2, 0.5), np.zeros(2)
        for trial in range(n_trials):
            logits = p["beta_reward"] * value + p["beta_choice"] * trace
            probabilities = np.exp(logits - logits.max())
            probabilities /= probabilities.sum()
            choice = int(rng.random() >= probabilities[0])
            reward = float(rng.random() < reward_probability[choice])
            other = 1 - choice
            value[choice] += p["alpha_reward"] * (reward - value[choice])
            value[other] += p["forget_rate"] * (0.5 - value[other])
            trace[choice] += p["alpha_choice"] * (1.0 - trace[choice])
            trace[other] += p["alpha_choice"] * (0.0 - trace[other])
            choices[session, trial], rewards[session, trial] = choice, reward
            reward_probability = np.clip(reward_probability + rng.normal(0.0, SIGMA, 2), 0.0, 1.0)
    return choices, rewards


def run() -> list[dict]:
    agent, task = AgentQ(**PARAMETERS), BanditsDrift(SIGMA)
    n_sessions, n_trials, n_loop = 1000, 200, 100

    def vectorised():
        simulate(agent, task, n_trials, np.zeros(n_sessions, int), np.random.default_rng(0))

    fast = median_seconds(vectorised)
    loop = median_seconds(lambda: per_trial_loop(n_loop, n_trials, np.random.default_rng(0)), repeats=3) * n_sessions / n_loop
    return [
        {"method": "spice_lib, vectorised over sessions", "seconds (1000 x 200)": fast, "trials/s": n_sessions * n_trials / fast, "speed-up": loop / fast},
        {"method": "per-trial numpy loop (baseline)", "seconds (1000 x 200)": loop, "trials/s": n_sessions * n_trials / loop, "speed-up": 1.0},
    ]


if __name__ == "__main__":
    print_table("Simulation: 1,000 sessions x 200 trials", run())
