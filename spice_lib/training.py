"""The fit loop: Adam on the masked cross-entropy of the next choice."""

from __future__ import annotations

import copy
import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import pandas as pd
import torch
from torch import nn
from tqdm import tqdm

from spice_lib.checkpoint import read_checkpoint, restore, run_identity, write_checkpoint
from spice_lib.progress import format_duration
from spice_lib.xs_layout import has_next_choice


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """'auto' means CUDA when it is there, else the CPU; asking for CUDA without it is an error."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' was asked for, but torch sees no CUDA device; use device='auto' or 'cpu'")
    return device


def next_choice_nll(logits: torch.Tensor, ys: torch.Tensor) -> torch.Tensor:
    """Mean negative log-likelihood per trial of the next choice; trials with ys = -1 are ignored. The same
    score as `evaluation.choice_nll` gives the softmax of these logits (a test keeps the two equal).

    logits: (sessions, trials, n_actions); ys: one-hot next choice, -1 on last and padded trials.
    """
    mask = has_next_choice(ys)
    return nn.functional.cross_entropy(logits[mask], ys[mask].argmax(-1))


def session_nll(logits: torch.Tensor, ys: torch.Tensor) -> torch.Tensor:
    """Negative log-likelihood of the next choices summed per session, (sessions,); trials with ys = -1 are
    ignored. What per-participant fits sum by participant."""
    chosen = torch.log_softmax(logits, -1).gather(-1, ys.argmax(-1, keepdim=True))[..., 0]
    return -(chosen * has_next_choice(ys)).sum(1)


def validation_sessions(validation_split: float, n_sessions: int) -> int:
    """How many of `n_sessions` a `validation_split` holds out for validation (0 without a split); ValueError
    when the split leaves no session for validation or none for training."""
    n_validation = int(round(validation_split * n_sessions))
    if validation_split > 0 and not 0 < n_validation < n_sessions:
        fix = (
            f"hold out between {1 / n_sessions:.3g} and {1 - 1 / n_sessions:.3g} of them, or 0"
            if n_sessions > 1
            else "a split needs 2 sessions or more; set it to 0"
        )
        raise ValueError(f"validation_split={validation_split} leaves no sessions for training or validation of {n_sessions} sessions; {fix}")
    return n_validation


@dataclass
class TrainingSettings:
    """How the RNN is trained. These defaults are the library's (SpiceEstimator's) and the workflow's
    (config schema) defaults; a test keeps the three equal."""

    epochs: int = 128
    learning_rate: float = 1e-2
    batch_size: int | None = None  # None: all sessions in one batch
    # L2 on the mechanism modules only: pulls each towards the flattest function the data allow.
    weight_decay: float = 1e-3
    max_grad_norm: float | None = 1.0
    validation_split: float = 0.0  # share of sessions held out for early stopping
    early_stopping_patience: int | None = None  # epochs without validation improvement before stopping
    print_every: int | None = None  # None: about 8 progress lines per run
    # Epochs between checkpoints, written when `train` is given a checkpoint path; None: none.
    checkpoint_every: int | None = 100


@dataclass
class _Progress:
    """Where a run stands after `epoch` epochs, besides its weights, optimiser and random states."""

    epoch: int = 0
    history: list[tuple[int, float, float, float]] = field(default_factory=list)
    best_loss: float = math.inf
    best_state: dict[str, torch.Tensor] | None = None  # the weights of the epoch with the lowest validation loss
    epochs_since_best: int = 0


def train(
    model: nn.Module,
    xs: torch.Tensor,
    ys: torch.Tensor,
    settings: TrainingSettings,
    generator: torch.Generator,
    log: Callable[[str], None] = print,
    checkpoint: str | os.PathLike | None = None,
    progress_bar: bool = False,
) -> pd.DataFrame:
    """Train `model` in place; returns the history (epoch, train_loss, validation_loss, seconds).

    Sessions for validation and the order of mini-batches are drawn from `generator`, so a seeded
    generator and a seeded model give the same weights on the CPU (with the same number of threads).
    With a validation split the weights of the epoch with the lowest validation loss are kept; with a
    patience too, training stops once the validation loss has not improved for `patience` epochs.

    With a `checkpoint` path and `checkpoint_every` set, a checkpoint is written there every
    `checkpoint_every` epochs (see checkpoint.py), and one this same run wrote there before is resumed: a
    killed run, started again, ends with the weights it would have ended with. A checkpoint of another run
    is not resumed (the log says why) and is overwritten. The checkpoint stays when training ends: remove
    it once the model is saved.

    With `progress_bar` and stderr a terminal, a bar over the epochs shows the losses, the rate and the time
    left; where stderr is not one (a job's log) no bar is drawn, and the progress lines say the time left.
    """
    checkpointing = checkpoint is not None and bool(settings.checkpoint_every)
    # The identity is taken before the run draws from its random streams or changes the weights.
    identity = run_identity(model, xs, ys, settings, generator) if checkpointing else None
    n_sessions = xs.shape[0]
    order = torch.randperm(n_sessions, generator=generator)
    n_validation = validation_sessions(settings.validation_split, n_sessions)
    validation, training = order[:n_validation], order[n_validation:]
    batch_size = settings.batch_size or len(training)
    # Weight decay pulls the mechanism modules towards the simplest function they can be (flat in their
    # inputs); embeddings and betas are left free, so it does not bias the inverse temperatures.
    module_parameters = list(model.submodules_rnn.parameters())
    module_ids = {id(p) for p in module_parameters}
    other_parameters = [p for p in model.parameters() if id(p) not in module_ids]
    optimizer = torch.optim.Adam(
        [
            {"params": module_parameters, "weight_decay": settings.weight_decay},
            {"params": other_parameters, "weight_decay": 0.0},
        ],
        lr=settings.learning_rate,
        foreach=True,
    )
    print_every = settings.print_every or max(1, settings.epochs // 8)
    progress = _Progress()
    saved = read_checkpoint(checkpoint, identity, log) if checkpointing else None
    if saved is not None:
        progress = _Progress(**restore(saved, model, optimizer, generator))
        log(f"Resuming from checkpoint {checkpoint} at epoch {progress.epoch} of {settings.epochs}.")
    checkpointed_epoch = progress.epoch if saved is not None else None
    # Seconds count from the start of the run, the time before a kill included.
    start = time.perf_counter() - (progress.history[-1][3] if progress.history else 0.0)

    def log_beside_bar(message: str) -> None:
        # A line printed while a bar is drawn would run into it: tqdm clears the bar and draws it again below.
        with tqdm.external_write_mode():
            log(message)

    show_bar = progress_bar and sys.stderr.isatty()
    with tqdm(
        total=settings.epochs,
        initial=progress.epoch,
        unit="epoch",
        desc="Training",
        file=sys.stderr,
        disable=not show_bar,
    ) as bar:
        for epoch in range(progress.epoch + 1, settings.epochs + 1):
            model.train()
            shuffled = (
                training[torch.randperm(len(training), generator=generator)] if batch_size < len(training) else training
            )
            total, count = 0.0, 0
            for batch in shuffled.split(batch_size):
                batch_ys = ys[batch]
                optimizer.zero_grad(set_to_none=True)
                logits, _ = model(xs[batch], batch_first=True)
                loss = next_choice_nll(logits, batch_ys)
                if not torch.isfinite(loss):
                    raise FloatingPointError(
                        f"training loss became {loss.item()} at epoch {epoch}; try a lower learning_rate "
                        f"(now {settings.learning_rate}) or gradient clipping (max_grad_norm)"
                    )
                loss.backward()
                if settings.max_grad_norm:
                    nn.utils.clip_grad_norm_(model.parameters(), settings.max_grad_norm, foreach=True)
                optimizer.step()
                n_trials = int(has_next_choice(batch_ys).sum())
                total, count = total + loss.item() * n_trials, count + n_trials
            train_loss = total / max(count, 1)

            validation_loss = math.nan
            if n_validation:
                model.eval()
                with torch.no_grad():
                    validation_loss = next_choice_nll(model(xs[validation], batch_first=True)[0], ys[validation]).item()
                if validation_loss < progress.best_loss - 1e-6:
                    progress.best_loss, progress.best_state = validation_loss, copy.deepcopy(model.state_dict())
                    progress.epochs_since_best = 0
                else:
                    progress.epochs_since_best += 1
            seconds = time.perf_counter() - start
            progress.epoch = epoch
            progress.history.append((epoch, train_loss, validation_loss, seconds))
            bar.set_postfix_str(
                f"L(Train): {train_loss:.5f}" + (f", L(Val): {validation_loss:.5f}" if n_validation else ""),
                refresh=False,
            )
            bar.update()

            stop = (
                settings.early_stopping_patience is not None
                and n_validation
                and progress.epochs_since_best >= settings.early_stopping_patience
            )
            # Not at the epoch that stops early: resumed from there, training would go on past it.
            if checkpointing and epoch % settings.checkpoint_every == 0 and not stop:
                write_checkpoint(checkpoint, identity, asdict(progress), model, optimizer, generator)
                checkpointed_epoch = epoch
            if epoch % print_every == 0 or epoch == settings.epochs or stop:
                validation_text = f"; L(Val): {validation_loss:.7f}" if n_validation else ""
                # The latest checkpoint is named on the progress lines rather than on lines of its own.
                checkpoint_text = f"; checkpoint at epoch {checkpointed_epoch}" if checkpointed_epoch else ""
                time_left = format_duration((settings.epochs - epoch) * seconds / epoch)
                log_beside_bar(
                    f"Epoch {epoch}/{settings.epochs} --- L(Train): {train_loss:.7f}{validation_text}; "
                    f"Time: {seconds / epoch:.3f}s/epoch, {time_left} left{checkpoint_text}"
                )
            if stop:
                log_beside_bar(
                    f"Early stopping: no validation improvement for {settings.early_stopping_patience} epochs."
                )
                break

    if progress.best_state is not None:
        model.load_state_dict(progress.best_state)
    model.eval()
    return pd.DataFrame(progress.history, columns=["epoch", "train_loss", "validation_loss", "seconds"])
