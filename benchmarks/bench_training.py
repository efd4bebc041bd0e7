"""Training speed: seconds per epoch of Weinhardt2024RNN's grouped path against the tutorial's CustomRNN
(generic `call_module` path, same function), one CPU thread, batch = all sessions.

Workloads: the tutorial's data (100 sessions x 100 trials, one participant) and 1,000 sessions x 200 trials.
With `full=True` both models also train for the tutorial's 1,024 epochs, and the final training loss is
compared with the true agent's NLL on the same data (target: no higher than the truth + 0.01).
"""

from __future__ import annotations

import sys
import time

import numpy as np
import torch

from benchmarks.common import print_table
from spice_lib import WEINHARDT_2024_CONFIG, AgentQ, BanditsDrift, SpiceEstimator, Weinhardt2024RNN, create_dataset
from spice_lib.evaluation import choice_nll
from spice_lib.training import TrainingSettings, train
from spice_lib.tutorial_rnn import CustomRNN, custom_config


def seconds_per_epoch(rnn_class, dataset, epochs: int) -> float:
    torch.manual_seed(0)
    model = rnn_class(n_actions=2, n_participants=1)
    settings = TrainingSettings(epochs=epochs + 2, learning_rate=1e-2, print_every=10**9)
    history = train(model, dataset.xs, dataset.ys, settings, torch.Generator().manual_seed(0), log=lambda _: None)
    # epochs 1-2 are warm-up; the rest is timed
    return float(history["seconds"].iloc[-1] - history["seconds"].iloc[1]) / epochs


def run(full: bool = False) -> list[dict]:
    torch.set_num_threads(1)
    agent = AgentQ(alpha_reward=0.3, forget_rate=0.2, beta_choice=1.0, alpha_choice=1.0)
    rows = []
    for label, n_sessions, n_trials, epochs in (("100 x 100 (tutorial)", 100, 100, 30), ("1000 x 200", 1000, 200, 3)):
        dataset, _, _ = create_dataset(agent, BanditsDrift(0.2), n_trials, n_sessions, seed=42)
        dataset.xs[..., -1] = 0
        grouped = seconds_per_epoch(Weinhardt2024RNN, dataset, epochs)
        generic = seconds_per_epoch(CustomRNN, dataset, epochs)
        rows.append({"workload": label, "path": "grouped (Weinhardt2024RNN)", "s/epoch": grouped, "speed-up": generic / grouped})
        rows.append({"workload": label, "path": "generic (tutorial CustomRNN)", "s/epoch": generic, "speed-up": 1.0})
    if full:
        np.random.seed(42)
        dataset, _, _ = create_dataset(agent, BanditsDrift(0.2), 100, 100)
        dataset.xs[..., -1] = 0
        truth = choice_nll(agent.predict(dataset.xs), dataset.ys)
        for rnn_class, config, path in ((Weinhardt2024RNN, WEINHARDT_2024_CONFIG, "grouped"), (CustomRNN, custom_config, "generic")):
            start = time.perf_counter()
            estimator = SpiceEstimator(rnn_class, config, epochs=1024, seed=42, verbose=False).train(dataset.xs, dataset.ys)
            seconds = time.perf_counter() - start
            final = float(estimator.history_["train_loss"].iloc[-1])
            rows.append(
                {"workload": "tutorial, 1024 epochs", "path": path, "s/epoch": seconds / 1024,
                 "speed-up": f"final loss {final:.4f} vs truth {truth:.4f} (diff {final - truth:+.4f})"}
            )  # fmt: skip
    return rows


if __name__ == "__main__":
    print_table("Training speed (1 thread)", run(full="--full" in sys.argv))
