"""`GRUBaseline`: a plain GRU with a participant embedding, the flexible reference in a model comparison.

It has no mechanism structure: whatever the data hold about the next choice, a GRU of enough size can pick
up, so the gap between it and SPICE (or the true agent) on the same held-out trials says how much of the
predictable structure the structured models capture. It reads xs and predicts ys exactly as the SPICE RNN
does (layout in `spice_lib.xs_layout`), so `evaluation.choice_nll` and `evaluation.scores` apply unchanged.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from spice_lib.files import atomic_path
from spice_lib.training import next_choice_nll
from spice_lib.xs_layout import check_n_features, is_real_trial, split_xs


class GRUBaseline(nn.Module):
    """GRU over trials: input per trial = [choice one-hot | reward per arm (0 where not shown) | shown
    indicator per arm | participant embedding], then a linear readout to n_actions logits.

    Padded trials leave the hidden state unchanged, so a session padded at the end (or anywhere) gives the
    same predictions on its real trials as the unpadded session.
    """

    def __init__(self, n_actions: int, n_participants: int, hidden_size: int = 16, embedding_size: int = 4):
        super().__init__()
        self.n_actions, self.hidden_size = int(n_actions), int(hidden_size)
        self.embedding = nn.Embedding(int(n_participants), int(embedding_size))
        self.gru = nn.GRU(3 * self.n_actions + int(embedding_size), self.hidden_size, batch_first=True)
        self.readout = nn.Linear(self.hidden_size, self.n_actions)

    def forward(self, xs: torch.Tensor) -> torch.Tensor:
        """xs (n_sessions, n_trials, 2 n_actions + 1) -> logits (n_sessions, n_trials, n_actions); logits at
        trial t are for the choice on trial t + 1 (aligned with ys)."""
        check_n_features(xs.shape[-1], self.n_actions, owner=f"this GRU has n_actions={self.n_actions}")
        one_hot, rewards, _, participant = split_xs(xs, self.n_actions)
        valid = is_real_trial(one_hot)
        # -1 means "not shown", not a reward of -1: feed the reward as 0 plus a separate shown flag.
        shown = (rewards >= 0) & valid[..., None]
        embedding = self.embedding(participant[:, 0].long())
        inputs = torch.cat(
            [
                torch.where(valid[..., None], one_hot, 0.0),
                torch.where(shown, rewards, 0.0),
                shown.to(xs.dtype),
                embedding[:, None].expand(-1, xs.shape[1], -1),
            ],
            -1,
        )
        # One step at a time so a padded trial can keep the old state: h = where(valid, h_new, h_old).
        hidden = xs.new_zeros(1, xs.shape[0], self.hidden_size)
        states = []
        for trial in range(xs.shape[1]):
            _, new = self.gru(inputs[:, trial : trial + 1], hidden)
            hidden = torch.where(valid[None, :, trial, None], new, hidden)
            states.append(hidden[0])
        return self.readout(torch.stack(states, 1))

    @torch.no_grad()
    def predict(self, xs) -> np.ndarray:
        """Choice probabilities (n_sessions, n_trials, n_actions), float64; entry [s, t] is for the choice on
        trial t + 1, as ys. xs: numpy or torch in the DatasetRNN layout."""
        self.eval()
        logits = self(torch.as_tensor(xs, dtype=torch.float32))
        return torch.softmax(logits.double(), -1).numpy()

    def count_parameters(self) -> int:
        """Number of trainable weights (for BIC)."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)

    def save(self, path) -> None:
        """Write the sizes and weights to `path` (atomically)."""
        sizes = {
            "n_actions": self.n_actions,
            "n_participants": self.embedding.num_embeddings,
            "hidden_size": self.hidden_size,
            "embedding_size": self.embedding.embedding_dim,
        }
        with atomic_path(path) as temporary:
            torch.save({"sizes": sizes, "state": self.state_dict()}, temporary)

    @classmethod
    def load(cls, path) -> GRUBaseline:
        """A GRUBaseline written by `save`, in eval mode."""
        saved = torch.load(path, map_location="cpu", weights_only=True)
        model = cls(**saved["sizes"])
        model.load_state_dict(saved["state"])
        return model.eval()


def fit_gru(
    xs,
    ys,
    n_participants: int,
    *,
    hidden_size: int = 16,
    embedding_size: int = 4,
    epochs: int = 300,
    learning_rate: float = 0.01,
    weight_decay: float = 1e-4,
    seed: int = 0,
    n_threads: int | None = 1,
    log: Callable[[str], None] | None = None,
) -> GRUBaseline:
    """Fit a fresh GRUBaseline to xs (n_sessions, n_trials, 2 n_actions + 1) and ys (n_sessions, n_trials,
    n_actions; -1 where not scored) and return it in eval mode.

    Full-batch Adam on the mean cross-entropy (nats per scored trial) of the next choice, gradient norm
    clipped to 1. On the CPU the same seed and n_threads give bit-identical weights; the caller's torch RNG
    state and thread count are left as they were. n_threads=None keeps torch's current thread count.
    log: called with a progress line about every 10% of epochs.
    """
    xs = torch.as_tensor(xs, dtype=torch.float32)
    ys = torch.as_tensor(ys, dtype=torch.float32)
    threads_before = torch.get_num_threads()
    if n_threads:
        torch.set_num_threads(int(n_threads))
    # fork_rng: seeding here must not change the random numbers the caller draws afterwards.
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(seed))
            model = GRUBaseline(ys.shape[-1], n_participants, hidden_size, embedding_size)
            optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate, weight_decay=weight_decay)
            every = max(1, epochs // 10)
            model.train()
            for epoch in range(1, epochs + 1):
                optimizer.zero_grad(set_to_none=True)
                loss = next_choice_nll(model(xs), ys)  # mean over trials with ys != -1 only
                if not torch.isfinite(loss):
                    raise FloatingPointError(f"GRU loss became {loss.item()} at epoch {epoch}; lower learning_rate")
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                optimizer.step()
                if log is not None and (epoch % every == 0 or epoch == epochs):
                    log(f"GRU epoch {epoch}/{epochs} --- L(Train): {loss.item():.7f}")
    finally:
        torch.set_num_threads(threads_before)
    model.eval()
    return model
