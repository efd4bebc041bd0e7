"""Training speed against the reference SPICE package (autospice 0.2.0), measured in the same run.

    make reference-venv                        # once: the package in .venv-reference (see the Makefile)
    .venv/bin/python -m benchmarks.reference_package [--python .venv-reference/bin/python] [--epochs 30]

Workload: the tutorial's (one participant, 100 sessions x 100 trials of AgentQ on a drifting bandit), one
CPU thread, full batch, training alone. Three paths train the tutorial's section-3 model: the package's
`fit_model` on the tutorial's `CustomRNN` (it has no precoded model of that section; `reference_worker.py`
runs spice_lib/tutorial_rnn.py with the tutorial's own imports), spice_lib's `train` on the same
`CustomRNN` (the generic `call_module` path) and on `Weinhardt2024RNN` (the grouped path). Note that the
package's modules are small GRUs where ours are small MLPs, so the package computes a larger network: the
ratio is what a user gains by switching, not a like-for-like kernel comparison.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import torch

from benchmarks.bench_training import seconds_per_epoch
from benchmarks.common import ROOT, print_table
from spice_lib import AgentQ, BanditsDrift, Weinhardt2024RNN, create_dataset
from spice_lib.tutorial_rnn import CustomRNN

DEFAULT_PYTHON = ROOT / ".venv-reference" / "bin" / "python"


def reference_seconds_per_epoch(python: Path, xs: torch.Tensor, ys: torch.Tensor, epochs: int) -> float:
    """Seconds per epoch of the reference package's training, in its own interpreter."""
    with tempfile.TemporaryDirectory() as directory:
        data = Path(directory) / "data.npz"
        np.savez(data, xs=xs.numpy(), ys=ys.numpy())
        command = [str(python), str(ROOT / "benchmarks" / "reference_worker.py"), str(data), str(epochs),
                   str(ROOT / "spice_lib" / "tutorial_rnn.py")]  # fmt: skip
        finished = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(finished.stdout.strip().splitlines()[-1])["seconds_per_epoch"]


def run(python: Path = DEFAULT_PYTHON, epochs: int = 30) -> list[dict]:
    if not python.exists():
        raise SystemExit(f"{python} does not exist: create the reference package's environment with `make reference-venv`")
    torch.set_num_threads(1)
    agent = AgentQ(alpha_reward=0.3, forget_rate=0.2, beta_choice=1.0, alpha_choice=1.0)
    dataset, _, _ = create_dataset(agent, BanditsDrift(0.2), 100, 100, seed=42)
    dataset.xs[..., -1] = 0
    reference = reference_seconds_per_epoch(python, dataset.xs, dataset.ys, epochs)
    generic = seconds_per_epoch(CustomRNN, dataset, epochs)
    grouped = seconds_per_epoch(Weinhardt2024RNN, dataset, epochs)
    return [
        {"path (100 x 100, 1 thread)": path, "s/epoch": seconds, "x reference": reference / seconds, "x generic": generic / seconds}
        for path, seconds in (
            ("reference package, tutorial CustomRNN", reference),
            ("spice_lib generic, tutorial CustomRNN", generic),
            ("spice_lib grouped, Weinhardt2024RNN", grouped),
        )
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", type=Path, default=DEFAULT_PYTHON, help="the reference package's interpreter")
    parser.add_argument("--epochs", type=int, default=30, help="timed epochs per path")
    arguments = parser.parse_args()
    print_table("Training speed against the reference package", run(arguments.python, arguments.epochs))
