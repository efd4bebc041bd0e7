"""Long work shows its progress: a tqdm bar where stderr is a terminal, the time left on the log lines elsewhere.
Training's progress does not change the weights; distillation counts its equations, a refit its evaluations."""

from __future__ import annotations

import io
import re
import sys

import pytest
import torch
from tqdm import tqdm

from spice_lib import WEINHARDT_2024_CONFIG, BanditsDrift, SpiceEstimator, Weinhardt2024RNN, create_dataset, progress
from spice_lib.progress import format_duration
from spice_lib.refit import minimise
from spice_lib.sindy import distill


class Terminal(io.StringIO):
    """A stderr that says it is a terminal, so that tqdm draws its bar into it."""

    def isatty(self) -> bool:
        return True


class Interrupted(Exception):
    """Stands in for a kill during training."""


@pytest.fixture
def data(tutorial_agent) -> tuple[torch.Tensor, torch.Tensor]:
    dataset, _, _ = create_dataset(tutorial_agent, BanditsDrift(0.2), n_trials=12, n_sessions=10, seed=7)
    return dataset.xs, dataset.ys


def on_a_terminal(monkeypatch) -> Terminal:
    """Called in the test itself: pytest sets its own sys.stderr again between a fixture and the test."""
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    return terminal


def estimator(**settings) -> SpiceEstimator:
    defaults = dict(epochs=4, seed=0, device="cpu", n_threads=1, verbose=False)
    return SpiceEstimator(Weinhardt2024RNN, WEINHARDT_2024_CONFIG, **(defaults | settings))


def open_bars() -> list[tqdm]:
    return [bar for bar in list(tqdm._instances) if not bar.disable]


@pytest.mark.parametrize(
    "seconds, text",
    [(0, "0.0s"), (11.64, "11.6s"), (59.97, "1m00s"), (185, "3m05s"), (3600, "1h00m"), (3725, "1h02m")],
)
def test_durations_read_as_seconds_minutes_or_hours(seconds, text):
    assert format_duration(seconds) == text


def test_log_lines_say_the_time_left(data):
    lines = []
    estimator(print_every=2).train(*data, log=lines.append)

    pattern = r"Epoch (\d)/4 --- L\(Train\): \d\.\d{7}; Time: \d+\.\d{3}s/epoch, (\S+) left"
    matches = [re.fullmatch(pattern, line) for line in lines]
    assert all(matches), lines
    assert [match[1] for match in matches] == ["2", "4"]
    assert matches[-1][2] == "0.0s"


def test_no_bar_where_stderr_is_not_a_terminal(data, capsys):
    estimator(verbose=True).train(*data)

    captured = capsys.readouterr()
    assert "Epoch 4/4 --- L(Train):" in captured.out
    assert captured.err == ""


def test_a_terminal_shows_a_bar_and_the_weights_stay_the_same(data, monkeypatch):
    terminal = on_a_terminal(monkeypatch)
    settings = dict(validation_split=0.3)
    with_bar = estimator(verbose=True, **settings).train(*data).rnn_.state_dict()
    bar = terminal.getvalue()
    without_bar = estimator(**settings).train(*data).rnn_.state_dict()

    assert "4/4" in bar and "epoch" in bar
    assert "L(Train): " in bar and "L(Val): " in bar
    assert with_bar.keys() == without_bar.keys()
    assert all(torch.equal(with_bar[name], without_bar[name]) for name in with_bar)
    assert not open_bars()


def test_the_bar_closes_when_training_fails_and_resumes_where_the_checkpoint_is(data, monkeypatch, tmp_path):
    terminal = on_a_terminal(monkeypatch)
    settings = dict(epochs=6, print_every=1, checkpoint_every=3)
    checkpoint = tmp_path / "checkpoint.pt"

    def interrupt_at_epoch_4(line: str) -> None:
        if line.startswith("Epoch 4/"):
            raise Interrupted

    with pytest.raises(Interrupted):
        estimator(verbose=True, **settings).train(*data, log=interrupt_at_epoch_4, checkpoint=checkpoint)
    assert not open_bars()
    assert terminal.getvalue().endswith("\n")  # the closed bar leaves the cursor on a fresh line

    terminal.truncate(0)
    terminal.seek(0)
    estimator(verbose=True, **settings).train(*data, log=lambda line: None, checkpoint=checkpoint)
    bar = terminal.getvalue()
    assert "3/6" in bar and "0/6" not in bar
    assert "6/6" in bar


@pytest.fixture
def a_line_per_step(monkeypatch):
    """Progress lines after every piece of work instead of every few seconds."""
    monkeypatch.setattr(progress, "LINE_EVERY_SECONDS", 0.0)


def test_distillation_counts_its_equations_on_log_lines(data, a_line_per_step):
    trained = estimator(refit_parameters="none", select_terms=False).train(*data)
    lines = []
    distill(trained.rnn_, WEINHARDT_2024_CONFIG, data[0], trained.participant_ids_, log=lines.append)

    pattern = r"Distilling: (\d)/4 equations \((x_\w+)\), \d+\.\d equations/s, (\S+) left"
    matches = [re.fullmatch(pattern, line) for line in lines[:-1]]
    assert all(matches), lines
    assert [match[1] for match in matches] == ["1", "2", "3", "4"]
    assert [match[2] for match in matches] == list(WEINHARDT_2024_CONFIG.rnn_modules)
    assert matches[-1][3] == "0.0s"
    assert re.fullmatch(r"Distilling: 4 equations in \d+\.\ds", lines[-1])


def test_a_refit_says_at_most_how_long_it_has_left(a_line_per_step):
    target = torch.tensor([1.0, -2.0])
    parameter = torch.zeros(2, requires_grad=True)
    lines = []
    final = minimise(lambda: ((parameter - target) ** 2).sum(), [parameter], max_iterations=8, log=lines.append)

    assert final < 1e-8
    pattern = r"Refit: (\d+)/10 evaluations \(NLL per trial \d+\.\d{5}\), \d+\.\d evaluations/s, at most (\S+) left"
    matches = [re.fullmatch(pattern, line) for line in lines[:-1]]
    assert all(matches), lines
    assert [int(match[1]) for match in matches] == list(range(1, len(matches) + 1))
    assert re.fullmatch(rf"Refit: {len(matches)} evaluations in \d+\.\ds", lines[-1])


def test_work_done_within_seconds_prints_no_progress():
    parameter = torch.zeros(2, requires_grad=True)
    lines = []
    minimise(lambda: ((parameter - 1.0) ** 2).sum(), [parameter], max_iterations=8, log=lines.append)

    assert lines == []


def test_a_terminal_shows_the_distillation_as_a_bar_and_its_log_stays_quiet(data, monkeypatch, a_line_per_step):
    trained = estimator(refit_parameters="none", select_terms=False).train(*data)
    terminal = on_a_terminal(monkeypatch)
    lines = []
    distill(trained.rnn_, WEINHARDT_2024_CONFIG, data[0], trained.participant_ids_, log=lines.append)

    bar = terminal.getvalue()
    assert "Distilling" in bar and "/4 " in bar and "equation/s" in bar  # tqdm redraws at most every 0.1 s
    assert lines == []
    assert not open_bars()


def test_a_quiet_estimator_draws_no_bar_while_distilling_and_refitting(data, monkeypatch, a_line_per_step):
    trained = estimator(refit_parameters="coefficients", select_terms=True).train(*data)
    terminal = on_a_terminal(monkeypatch)
    trained.distill(*data)

    assert terminal.getvalue() == ""
    assert not open_bars()
