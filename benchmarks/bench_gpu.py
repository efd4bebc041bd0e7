"""Training on a CUDA GPU against the CPU: seconds per epoch, and the same losses.

    .venv/bin/python -m benchmarks.bench_gpu [--sessions 10000] [--trials 100] [--epochs 5]

Data: --sessions sessions of --trials trials, 100 AgentQ participants drawn from config.yaml's `population`
ranges (sessions split evenly between them). `Weinhardt2024RNN` trains from the same seed on each device
through `SpiceEstimator` (full batch, the workflow's training); the first epoch (CUDA's start-up) is left
out of the timing. The CPU uses all its cores (torch's default threads). The losses of every epoch must
agree between the devices to within 1e-4 relative (float32 sums in another order), or the script exits with
status 1. Without CUDA it measures the CPU alone and says that the GPU was not measured.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import torch

from benchmarks.common import population_ranges, print_table
from spice_lib import WEINHARDT_2024_CONFIG, BanditsDrift, SpiceEstimator, Weinhardt2024RNN, create_dataset
from spice_lib.agents import sample_population

N_PARTICIPANTS = 100
LOSS_TOLERANCE = 1e-4  # relative, per epoch


def train_on(device: str, dataset, epochs: int) -> tuple[float, np.ndarray]:
    """(seconds per epoch after the first, training loss of every epoch)."""
    estimator = SpiceEstimator(
        Weinhardt2024RNN, WEINHARDT_2024_CONFIG, n_participants=N_PARTICIPANTS, epochs=epochs + 1, seed=0,
        device=device, verbose=False, participant_ids=dataset.participant_ids, n_threads=torch.get_num_threads(),
    )  # fmt: skip
    history = estimator.train(dataset.xs, dataset.ys).history_
    seconds = history["seconds"].to_numpy()
    return float(seconds[-1] - seconds[0]) / epochs, history["train_loss"].to_numpy()


def run(n_sessions: int, n_trials: int, epochs: int) -> tuple[list[dict], bool]:
    population = sample_population(N_PARTICIPANTS, population_ranges(), seed=0)
    dataset, _, _ = create_dataset(population, BanditsDrift(0.2), n_trials, max(1, n_sessions // N_PARTICIPANTS), seed=0)
    cpu_seconds, cpu_losses = train_on("cpu", dataset, epochs)
    label = f"device ({len(dataset.xs)} sessions x {n_trials} trials)"
    rows = [{label: f"cpu, {torch.get_num_threads()} threads", "s/epoch": cpu_seconds, "speed-up": 1.0, "max relative loss difference": ""}]
    if not torch.cuda.is_available():
        rows.append({label: "cuda: not available on this machine, not measured", "s/epoch": "", "speed-up": "", "max relative loss difference": ""})
        return rows, True
    cuda_seconds, cuda_losses = train_on("cuda", dataset, epochs)
    difference = float(np.max(np.abs(cuda_losses - cpu_losses) / np.abs(cpu_losses)))
    rows.append({label: f"cuda, {torch.cuda.get_device_name()}", "s/epoch": cuda_seconds, "speed-up": cpu_seconds / cuda_seconds,
                 "max relative loss difference": difference})  # fmt: skip
    return rows, difference <= LOSS_TOLERANCE


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=5, help="timed epochs (one more is run first)")
    arguments = parser.parse_args()
    rows, agree = run(arguments.sessions, arguments.trials, arguments.epochs)
    print_table("Training on CUDA against the CPU", rows)
    if not agree:
        print(f"The losses differ by more than {LOSS_TOLERANCE} (relative) between the devices.")
        sys.exit(1)
