"""Training survives being killed: checkpoints are resumed, by the run that wrote them only, and the resumed
run ends with the weights of an uninterrupted one, bit for bit (CPU, one thread: see conftest.py)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from spice_lib import WEINHARDT_2024_CONFIG, BanditsDrift, SpiceEstimator, Weinhardt2024RNN, create_dataset

# Mini-batches drawn in a shuffled order, a validation split and early stopping: every state a resumed run
# needs. With these data it stops early, after the validation loss last improved, well past epoch 10.
EARLY_STOPPING = dict(
    epochs=80, learning_rate=0.03, batch_size=3, validation_split=0.3, early_stopping_patience=5, checkpoint_every=5
)
PLAIN = dict(epochs=10, checkpoint_every=3)


@pytest.fixture
def data(tutorial_agent) -> tuple[torch.Tensor, torch.Tensor]:
    dataset, _, _ = create_dataset(tutorial_agent, BanditsDrift(0.2), n_trials=12, n_sessions=10, seed=7)
    return dataset.xs, dataset.ys


def estimator(**settings) -> SpiceEstimator:
    return SpiceEstimator(
        Weinhardt2024RNN, WEINHARDT_2024_CONFIG, device="cpu", n_threads=1, verbose=False, **{"seed": 0} | settings
    )


class Interrupted(Exception):
    """Stands in for a kill: raised from the progress line of an epoch."""


def interrupt_at(epoch: int):
    def log(line: str) -> None:
        if line.startswith(f"Epoch {epoch}/"):
            raise Interrupted

    return log


def interrupted_run(xs, ys, checkpoint, epoch: int, **settings) -> None:
    """Train until the progress line of `epoch`, leaving the checkpoints written until then."""
    with pytest.raises(Interrupted):
        estimator(print_every=1, **settings).train(xs, ys, log=interrupt_at(epoch), checkpoint=checkpoint)


def assert_same_weights(state: dict[str, torch.Tensor], expected: dict[str, torch.Tensor]) -> None:
    assert state.keys() == expected.keys()
    different = [name for name in state if not torch.equal(state[name], expected[name])]
    assert not different, f"weights differ from an uninterrupted run's: {different}"


def assert_same_training(resumed: SpiceEstimator, uninterrupted: SpiceEstimator) -> None:
    assert_same_weights(resumed.rnn_.state_dict(), uninterrupted.rnn_.state_dict())
    columns = ["epoch", "train_loss", "validation_loss"]
    np.testing.assert_array_equal(resumed.history_[columns].to_numpy(), uninterrupted.history_[columns].to_numpy())


def test_a_resumed_run_ends_as_an_uninterrupted_one(data, tmp_path):
    xs, ys = data
    uninterrupted = estimator(**EARLY_STOPPING).train(xs, ys)
    stopped_at = len(uninterrupted.history_)
    assert 10 < stopped_at < EARLY_STOPPING["epochs"], "the run is meant to stop early, after epoch 10"
    # Early, and just before the stop: the second resumes the best weights and the epochs since them.
    for epoch in (7, stopped_at - 1):
        checkpoint = tmp_path / f"interrupted_at_{epoch}.pt"
        interrupted_run(xs, ys, checkpoint, epoch, **EARLY_STOPPING)
        lines = []
        resumed = estimator(**EARLY_STOPPING).train(xs, ys, log=lines.append, checkpoint=checkpoint)
        last_checkpoint = epoch - epoch % EARLY_STOPPING["checkpoint_every"]
        assert (
            f"Resuming from checkpoint {checkpoint} at epoch {last_checkpoint} of {EARLY_STOPPING['epochs']}." in lines
        )
        assert_same_training(resumed, uninterrupted)


def test_the_checkpoint_of_a_finished_run_gives_its_model(data, tmp_path):
    xs, ys = data
    checkpoint = tmp_path / "checkpoint.pt"
    finished = estimator(**PLAIN | {"checkpoint_every": 5}).train(xs, ys, checkpoint=checkpoint)
    lines = []
    again = estimator(**PLAIN | {"checkpoint_every": 5}).train(xs, ys, log=lines.append, checkpoint=checkpoint)
    assert f"Resuming from checkpoint {checkpoint} at epoch 10 of 10." in lines
    assert_same_training(again, finished)


@pytest.mark.parametrize(
    ("change", "other_data", "named"),
    [
        ({"seed": 1}, False, "initial weights, random state"),
        ({"learning_rate": 0.02}, False, "learning_rate"),
        ({"rnn_kwargs": {"hidden_size": 4}}, False, "initial weights, random state"),
        ({}, True, "data"),
    ],
)
def test_a_checkpoint_of_another_run_is_not_resumed(data, tmp_path, change, other_data, named):
    xs, ys = data
    checkpoint = tmp_path / "checkpoint.pt"
    interrupted_run(xs, ys, checkpoint, 5, **PLAIN)
    assert checkpoint.exists()
    if other_data:
        xs, ys = xs[1:], ys[1:]
    fresh = estimator(**PLAIN | change).train(xs, ys)
    lines = []
    other = estimator(**PLAIN | change).train(xs, ys, log=lines.append, checkpoint=checkpoint)
    assert f"Checkpoint {checkpoint} is of another run (different {named}); training from the start." in lines
    assert not any(line.startswith("Resuming") for line in lines)
    assert_same_training(other, fresh)


def test_an_unreadable_checkpoint_is_not_resumed(data, tmp_path):
    xs, ys = data
    checkpoint = tmp_path / "checkpoint.pt"
    checkpoint.write_bytes(b"not a checkpoint")
    lines = []
    run = estimator(**PLAIN).train(xs, ys, log=lines.append, checkpoint=checkpoint)
    assert any(line.startswith(f"Checkpoint {checkpoint} cannot be read (") for line in lines), lines
    assert_same_training(run, estimator(**PLAIN).train(xs, ys))


@pytest.mark.parametrize("keep", [False, True])
def test_the_checkpoint_is_removed_once_the_model_is_saved_unless_kept(data, tmp_path, keep):
    xs, ys = data
    checkpoint = tmp_path / "checkpoint.pt"
    trained = estimator(**PLAIN, keep_checkpoint=keep).train(xs, ys, checkpoint=checkpoint)
    assert checkpoint.exists(), "the checkpoint stays until the model is saved"
    trained.save(tmp_path / "model.pt")
    assert checkpoint.exists() == keep
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(["model.pt"] + ["checkpoint.pt"] * keep)


def test_no_checkpoint_without_checkpoint_every(data, tmp_path):
    xs, ys = data
    estimator(**PLAIN | {"checkpoint_every": None}).train(xs, ys, checkpoint=tmp_path / "checkpoint.pt")
    assert list(tmp_path.iterdir()) == []


# The killed and the resumed run: a real process each, trained as `estimator(**KILLED)` trains in this one.
# Long enough that the kill, sent as soon as the first checkpoint is there, lands well before the end.
KILLED = dict(epochs=150, learning_rate=0.01, batch_size=4, validation_split=0.3, checkpoint_every=5)
TRAIN_IN_A_PROCESS = """
import json, sys
import torch
from spice_lib import SpiceEstimator, Weinhardt2024RNN, WEINHARDT_2024_CONFIG

data, settings, checkpoint, weights = sys.argv[1:]
xs, ys = torch.load(data)
estimator = SpiceEstimator(Weinhardt2024RNN, WEINHARDT_2024_CONFIG, **json.loads(settings))
estimator.train(xs, ys, checkpoint=checkpoint)
torch.save(estimator.rnn_.state_dict(), weights)
"""


def test_a_killed_training_process_resumes_to_the_weights_of_an_uninterrupted_one(data, tmp_path):
    xs, ys = data
    torch.save((xs, ys), tmp_path / "data.pt")
    checkpoint, weights = tmp_path / "checkpoint.pt", tmp_path / "weights.pt"
    settings = json.dumps({"seed": 0, "device": "cpu", "n_threads": 1} | KILLED)
    command = [
        sys.executable,
        "-c",
        TRAIN_IN_A_PROCESS,
        str(tmp_path / "data.pt"),
        settings,
        str(checkpoint),
        str(weights),
    ]

    with open(tmp_path / "killed.log", "w") as killed_log:
        killed = subprocess.Popen(command, stdout=killed_log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while not checkpoint.exists() and killed.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        if killed.poll() is None:
            os.kill(killed.pid, signal.SIGKILL)
        killed.wait()
    output = (tmp_path / "killed.log").read_text()
    assert checkpoint.exists(), f"the first run wrote no checkpoint in time:\n{output}"
    assert killed.returncode == -signal.SIGKILL, (
        f"the first run ended (exit status {killed.returncode}) before it was killed; train it for longer:\n{output}"
    )
    assert not weights.exists()
    killed_at = torch.load(checkpoint, weights_only=True)["progress"]["epoch"]
    assert 0 < killed_at < KILLED["epochs"]

    resumed = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    uninterrupted = estimator(**KILLED).train(xs, ys)  # meanwhile, here
    output = resumed.communicate(timeout=300)[0]
    assert resumed.returncode == 0, output
    resumed_at = re.search(r"Resuming from checkpoint .* at epoch (\d+) of 150\.", output)
    assert resumed_at and int(resumed_at.group(1)) == killed_at, output
    assert_same_weights(torch.load(weights, weights_only=True), uninterrupted.rnn_.state_dict())
