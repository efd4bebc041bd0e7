"""Simulation throughput: 1,000 sessions x 200 trials of AgentQ on a drifting bandit (target: well under 1 s).

Baseline in the same run: the same simulation one session at a time (a Python loop over sessions),
timed on 50 sessions and scaled to 1,000.
"""

from __future__ import annotations

import numpy as np

from benchmarks.common import median_seconds, print_table
from spice_lib import AgentQ, BanditsDrift
from spice_lib.simulation import simulate


def run() -> list[dict]:
    agent = AgentQ(alpha_reward=0.3, forget_rate=0.2, beta_choice=1.0, alpha_choice=1.0)
    task = BanditsDrift(0.2)
    n_sessions, n_trials, n_loop = 1000, 200, 50

    def vectorised():
        simulate(agent, task, n_trials, np.zeros(n_sessions, int), np.random.default_rng(0))

    def one_at_a_time():
        rng = np.random.default_rng(0)
        for _ in range(n_loop):
            simulate(agent, task, n_trials, np.zeros(1, int), rng)

    fast = median_seconds(vectorised)
    loop = median_seconds(one_at_a_time, repeats=3) * n_sessions / n_loop
    return [
        {"method": "vectorised over sessions", "seconds (1000 x 200)": fast, "trials/s": n_sessions * n_trials / fast, "speed-up": loop / fast},
        {"method": "one session at a time (baseline)", "seconds (1000 x 200)": loop, "trials/s": n_sessions * n_trials / loop, "speed-up": 1.0},
    ]


if __name__ == "__main__":
    print_table("Simulation: 1,000 sessions x 200 trials", run())
