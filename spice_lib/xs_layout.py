"""The column layout of xs and ys, in one place (docs/architecture.md, "The data contract").

  xs[session, trial, :] = [one-hot choice (n_actions) | reward per arm (n_actions; -1 where not shown)
                           | participant index]
  ys[session, trial]    = one-hot choice of trial + 1; -1 where there is no next choice (the last trial of
                          a session, padding).

Padded trials have xs = -1 except the participant column. Columns added later (block, experiment) go before
the participant index, which stays last; `n_features`, `split_xs` and `join_xs` are what would change.
Every function here takes numpy arrays and torch tensors alike and returns the same kind.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import torch

NOT_SHOWN = -1.0  # fill for rewards the participant did not see and for padding


class XsParts(NamedTuple):
    """Views into xs (..., n_features): one_hot and rewards (..., n_actions), extra (..., 0) for columns a
    later layout may add, participant (...) the participant column of every trial."""

    one_hot: np.ndarray | torch.Tensor
    rewards: np.ndarray | torch.Tensor
    extra: np.ndarray | torch.Tensor
    participant: np.ndarray | torch.Tensor


def n_features(n_actions: int) -> int:
    """Width of xs for a task with n_actions arms."""
    return 2 * int(n_actions) + 1


def check_n_features(width: int, n_actions: int, owner: str | None = None) -> None:
    """Raise ValueError unless an xs of `width` features fits `n_actions` arms, saying how many arms it does
    fit. owner: who has the n_actions, as a phrase (default "this estimator has n_actions=...")."""
    if width == n_features(n_actions):
        return
    fits = (width - 1) // 2 if width > 1 and (width - 1) % 2 == 0 else None
    reading = f"i.e. {fits} arms" if fits else "which fits no number of arms"
    owner = owner or f"this estimator has n_actions={n_actions}"
    raise ValueError(
        f"xs has {width} features, {reading}; {owner}, which needs {n_features(n_actions)} features "
        f"(one-hot choice and reward per arm, then the participant index)"
    )


def split_xs(xs, n_actions: int) -> XsParts:
    """The parts of xs (..., n_features); slices of it, so no copy is made."""
    return XsParts(
        one_hot=xs[..., :n_actions],
        rewards=xs[..., n_actions : 2 * n_actions],
        extra=xs[..., 2 * n_actions : -1],
        participant=xs[..., -1],
    )


def join_xs(one_hot, rewards, participant):
    """xs from its parts: one_hot and rewards (..., n_actions), participant (...) per trial."""
    if isinstance(one_hot, torch.Tensor):
        return torch.cat([one_hot, rewards, participant.to(one_hot.dtype).unsqueeze(-1)], -1)
    participant = np.asarray(participant, dtype=np.asarray(one_hot).dtype)[..., None]
    return np.concatenate([one_hot, rewards, participant], -1)


def is_real_trial(one_hot):
    """Which trials are real, not padding (bool, one_hot's shape without the last axis)."""
    return one_hot.sum(-1) == 1


def has_next_choice(ys):
    """Which trials have a next choice to predict, i.e. count in every loss and score."""
    return ys[..., 0] >= 0


def participants_sessions(xs: torch.Tensor, ys: torch.Tensor, rows, n_actions: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The sessions (xs, ys) of the participants at index `rows`, their participant column renumbered 0, 1, ...
    in the order of `rows`, as an `EquationSet.subset(rows)` numbers them (copies: xs is left as it was)."""
    participant = split_xs(xs, n_actions).participant[:, 0].long()
    rows = torch.as_tensor(np.asarray(rows), dtype=torch.long, device=participant.device)
    renumbered = torch.full((int(participant.max()) + 1,), -1, dtype=torch.long, device=participant.device)
    renumbered[rows] = torch.arange(len(rows), device=participant.device)
    keep = renumbered[participant] >= 0
    kept_xs = xs[keep].clone()
    split_xs(kept_xs, n_actions).participant[:] = renumbered[participant[keep]][:, None].to(xs.dtype)
    return kept_xs, ys[keep]
