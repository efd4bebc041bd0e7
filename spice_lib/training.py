"""The fit loop: Adam on the masked cross-entropy of the next choice."""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import torch
from torch import nn

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


def train(
    model: nn.Module,
    xs: torch.Tensor,
    ys: torch.Tensor,
    settings: TrainingSettings,
    generator: torch.Generator,
    log: Callable[[str], None] = print,
) -> pd.DataFrame:
    """Train `model` in place; returns the history (epoch, train_loss, validation_loss, seconds).

    Sessions for validation and the order of mini-batches are drawn from `generator`, so a seeded
    generator and a seeded model give the same weights on the CPU (with the same number of threads).
    With a validation split the weights of the epoch with the lowest validation loss are kept; with a
    patience too, training stops once the validation loss has not improved for `patience` epochs.
    """
    n_sessions = xs.shape[0]
    order = torch.randperm(n_sessions, generator=generator)
    n_validation = int(round(settings.validation_split * n_sessions))
    if settings.validation_split > 0 and not 0 < n_validation < n_sessions:
        raise ValueError(
            f"validation_split={settings.validation_split} leaves no sessions for training or validation "
            f"({n_sessions} sessions)"
        )
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
    history = []
    best = (math.inf, None)
    epochs_since_best = 0
    start = time.perf_counter()

    for epoch in range(1, settings.epochs + 1):
        model.train()
        shuffled = training[torch.randperm(len(training), generator=generator)] if batch_size < len(training) else training
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
            if validation_loss < best[0] - 1e-6:
                best, epochs_since_best = (validation_loss, copy.deepcopy(model.state_dict())), 0
            else:
                epochs_since_best += 1
        seconds = time.perf_counter() - start
        history.append((epoch, train_loss, validation_loss, seconds))

        stop = settings.early_stopping_patience is not None and n_validation and (
            epochs_since_best >= settings.early_stopping_patience
        )
        if epoch % print_every == 0 or epoch == settings.epochs or stop:
            validation_text = f"; L(Val): {validation_loss:.7f}" if n_validation else ""
            log(
                f"Epoch {epoch}/{settings.epochs} --- L(Train): {train_loss:.7f}{validation_text}; "
                f"Time: {seconds / epoch:.3f}s/epoch"
            )
        if stop:
            log(f"Early stopping: no validation improvement for {settings.early_stopping_patience} epochs.")
            break

    if best[1] is not None:
        model.load_state_dict(best[1])
    model.eval()
    return pd.DataFrame(history, columns=["epoch", "train_loss", "validation_loss", "seconds"])
