"""Training speed: seconds per epoch of Weinhardt2024RNN's grouped path against the tutorial's CustomRNN
(generic `call_module` path, same function), one CPU thread, batch = all sessions.

Workloads: the tutorial's data (100 sessions x 100 trials, one participant) and 1,000 sessions x 200 trials.
The grouped path is also timed compiled (`torch.compile` of the model, as `train` runs it): seconds per epoch
after warm-up, and the first epoch's seconds, which hold the compilation; at 1,000 x 200 only with
`full=True` (its compilation takes minutes). With `full=True` both models also train for the tutorial's
1,024 epochs, and the final training loss is compared with the true agent's NLL on the same data (target:
no higher than the truth + 0.01).
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


def seconds_per_epoch(rnn_class, dataset, epochs: int, compiled: bool = False) -> tuple[float, float]:
    """Seconds per epoch after two warm-up epochs, and the first epoch's seconds (with `compiled`, the model
    is trained through `torch.compile`, whose compilation happens in the first epoch)."""
    torch.manual_seed(0)
    model = rnn_class(n_actions=2, n_participants=1)
    settings = TrainingSettings(epochs=epochs + 2, learning_rate=1e-2, print_every=10**9)
    trained = torch.compile(model) if compiled else model
    history = train(trained, dataset.xs, dataset.ys, settings, torch.Generator().manual_seed(0), log=lambda _: None)
    seconds = history["seconds"]
    return float(seconds.iloc[-1] - seconds.iloc[1]) / epochs, float(seconds.iloc[0])


def run(full: bool = False) -> list[dict]:
    torch.set_num_threads(1)
    agent = AgentQ(alpha_reward=0.3, forget_rate=0.2, beta_choice=1.0, alpha_choice=1.0)
    rows = []
    for label, n_sessions, n_trials, epochs in (("100 x 100 (tutorial)", 100, 100, 30), ("1000 x 200", 1000, 200, 3)):
        dataset, _, _ = create_dataset(agent, BanditsDrift(0.2), n_trials, n_sessions, seed=42)
        dataset.xs[..., -1] = 0
        generic, generic_first = seconds_per_epoch(CustomRNN, dataset, epochs)
        paths = [("grouped (Weinhardt2024RNN)", Weinhardt2024RNN, False)]
        if full or n_sessions == 100:
            paths.append(("grouped, torch.compile", Weinhardt2024RNN, True))
        for path, rnn_class, compiled in paths:
            seconds, first = seconds_per_epoch(rnn_class, dataset, epochs, compiled)
            rows.append({"workload": label, "path": path, "s/epoch": seconds, "speed-up": generic / seconds, "first epoch (s)": first})
        rows.append({"workload": label, "path": "generic (tutorial CustomRNN)", "s/epoch": generic, "speed-up": 1.0, "first epoch (s)": generic_first})
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
                 "speed-up": f"final loss {final:.4f} vs truth {truth:.4f} (diff {final - truth:+.4f})", "first epoch (s)": ""}
            )  # fmt: skip
    return rows


if __name__ == "__main__":
    print_table("Training speed (1 thread)", run(full="--full" in sys.argv))
