"""`AgentNetwork`: a trained RNN or equation model behind the steppable-agent interface of `AgentQ`."""

from __future__ import annotations

import numpy as np
import torch

from spice_lib.agents import Agent
from spice_lib.rnn import BaseRNN
from spice_lib.xs_layout import NOT_SHOWN, join_xs


class AgentNetwork(Agent):
    """Steps a BaseRNN (the RNN, or the equation model) trial by trial, or replays whole sessions.

    Before the first trial every arm has the same initial values, so the first choice is uniform.
    """

    def __init__(self, model: BaseRNN, n_actions: int | None = None, participant_ids: list[str] | None = None):
        self.model = model.eval()
        self.n_actions = int(n_actions or model.n_actions)
        # Who the participant indices stand for (create_dataset simulates every one of them).
        self.participant_ids = list(participant_ids or ["0"])
        self._device = next(model.parameters()).device
        self._participant_index = np.zeros(0, dtype=np.int64)
        self._state: dict[str, torch.Tensor] = {}
        self._probabilities = np.zeros((0, self.n_actions))

    def new_sessions(self, participant_index) -> None:
        self._participant_index = np.atleast_1d(np.asarray(participant_index, dtype=np.int64))
        batch = len(self._participant_index)
        self._state = self.model.initial_state(batch, self._device)
        self._probabilities = np.full((batch, self.n_actions), 1.0 / self.n_actions)

    def choice_probabilities(self) -> np.ndarray:
        return self._probabilities.copy()

    def update(self, choice, reward) -> None:
        choice = np.asarray(choice, dtype=np.int64)
        reward = np.asarray(reward, dtype=np.float64)
        one_hot = np.eye(self.n_actions)[choice]
        shown = np.where(reward >= 0, reward, NOT_SHOWN)  # NaN and -1 both mean "not shown"
        step = join_xs(one_hot, shown, self._participant_index)[None]
        with torch.no_grad():
            inputs = torch.as_tensor(step, dtype=torch.float32, device=self._device)
            logits, self._state = self.model(inputs, prev_state=self._state, batch_first=False)
            self._probabilities = torch.softmax(logits[0], -1).double().cpu().numpy()

    @property
    def state(self) -> dict[str, np.ndarray]:
        return {name: value.detach().double().cpu().numpy() for name, value in self._state.items()}

    def predict(self, xs) -> np.ndarray:
        """Probabilities of each next choice for whole sessions in one forward pass (see Agent.predict)."""
        with torch.no_grad():
            inputs = torch.as_tensor(xs, dtype=torch.float32, device=self._device)
            logits, _ = self.model(inputs, batch_first=True)
            return torch.softmax(logits, -1).double().cpu().numpy()
