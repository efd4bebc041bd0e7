"""`BaseRNN`: an RNN whose memory is a few named per-arm values, each updated by its own small module.

A subclass (see the tutorial's `CustomRNN`) declares `init_values`, builds its modules in `__init__` with
`setup_embedding`, `setup_constant` and `setup_module`, and writes `forward` as a loop over trials that calls
`call_module` for every update and `record_signal` for every quantity SPICE should see. The same class then
serves three purposes:

- training: modules are small MLPs, recording is off and costs nothing;
- recording: `recording()` collects, per module, the value before the update (`record_signal`), the value
  after it (recorded by `call_module` itself) and the control signals, for distillation;
- the equation model: once `equations` is set, `call_module` evaluates the distilled equation of a module
  instead of its MLP, batched over sessions with each participant's own coefficients.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import torch
from torch import nn

from spice_lib.xs_layout import is_real_trial, split_xs


class SpiceModule(nn.Module):
    """One mechanism: [own value, listed inputs..., participant embedding] -> next value (before activation).

    A single tanh hidden layer: smooth, so that a low-degree polynomial can later stand in for it.
    """

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.hidden = nn.Linear(input_size, hidden_size)
        self.output = nn.Linear(hidden_size, 1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.output(torch.tanh(self.hidden(features)))[..., 0]


class ParticipantScale(nn.Module):
    """A positive per-participant constant (e.g. an inverse temperature), softplus of a linear readout of the
    participant embedding. Returns (batch, 1) so that it scales (batch, n_actions) values."""

    def __init__(self, embedding_size: int, initial_value: float = 1.0):
        super().__init__()
        self.readout = nn.Linear(embedding_size, 1) if embedding_size > 0 else None
        if self.readout is not None:
            nn.init.zeros_(self.readout.weight)
        # softplus^-1(initial_value): every participant starts from the same scale.
        self.offset = nn.Parameter(torch.tensor([float(np.log(np.expm1(initial_value)))]))

    def forward(self, participant_embedding: torch.Tensor) -> torch.Tensor:
        logit = self.offset.expand(participant_embedding.shape[0], 1)
        if self.readout is not None:
            logit = logit + self.readout(participant_embedding)
        return nn.functional.softplus(logit)


# The values a module can produce through its activation. The equation that replaces such a module is held
# to the same range: a linear equation fitted inside it would otherwise run off (a learning rate above 1 or
# below 0 makes values grow without bound).
ACTIVATION_RANGES: dict[Callable, tuple[float, float]] = {
    torch.sigmoid: (0.0, 1.0),
    nn.functional.sigmoid: (0.0, 1.0),
    torch.tanh: (-1.0, 1.0),
    nn.functional.tanh: (-1.0, 1.0),
}


class Recording:
    """What one or more forward passes showed SPICE, stacked per forward pass ("chunk").

    signals[key]: (n_trials, batch, n_actions) values given to `record_signal` (the state *before* a
    module's update, or a control signal); outputs[key]: the value a module produced (*after* the update,
    for every arm, before the chosen/not-chosen mask); participant_index (batch,) and valid (n_trials,
    batch) per chunk; states: which memory state each module updated; ranges: the values each module can
    produce (`ACTIVATION_RANGES`), for modules whose activation bounds them.
    """

    def __init__(self):
        self.chunks: list[dict] = []
        self.states: dict[str, str] = {}  # module -> the memory state it updates
        self.ranges: dict[str, tuple[float, float]] = {}

    def start_chunk(self, participant_index: torch.Tensor, valid: torch.Tensor) -> None:
        self.chunks.append(
            {"participant_index": participant_index.cpu(), "valid": valid.cpu(), "signals": {}, "outputs": {}}
        )

    def append(self, kind: str, key: str, value: torch.Tensor, shape) -> None:
        """Add one trial's value of `key` to the current chunk ("signals" or "outputs"), broadcast to shape."""
        value = torch.as_tensor(value).detach()
        if value.ndim == 1:
            value = value[:, None]
        self.chunks[-1][kind].setdefault(key, []).append(value.expand(shape).cpu())

    def stacked(self) -> dict[str, np.ndarray | dict[str, np.ndarray]]:
        """All chunks joined along the batch axis: participant_index, valid, signals, outputs as numpy."""
        if not self.chunks:
            raise RuntimeError("nothing was recorded: run a forward pass inside `with rnn.recording():`")

        def join(kind):
            keys = self.chunks[0][kind]
            return {k: torch.cat([torch.stack(c[kind][k]) for c in self.chunks], 1).numpy() for k in keys}

        return {
            "states": dict(self.states),
            "ranges": dict(self.ranges),
            "participant_index": torch.cat([c["participant_index"] for c in self.chunks]).numpy(),
            "valid": torch.cat([c["valid"] for c in self.chunks], 1).numpy(),
            "signals": join("signals"),
            "outputs": join("outputs"),
        }


class BaseRNN(nn.Module):
    """Base class of SPICE RNNs (see the module docstring and the tutorial).

    n_actions: arms of the task; embedding_size: size of the participant embedding the subclass sets up;
    hidden_size: hidden units of every module.
    """

    init_values: dict[str, float] = {}

    def __init__(self, n_actions: int, embedding_size: int = 0, hidden_size: int = 8):
        super().__init__()
        self.n_actions = int(n_actions)
        self.embedding_size = int(embedding_size)
        self.hidden_size = int(hidden_size)
        self.submodules_rnn = nn.ModuleDict()
        self.submodules_eq: dict[str, Callable] = {}
        self.betas = nn.ModuleDict()
        self.state: dict[str, torch.Tensor] = {}
        # Set on the equation model: EquationModules whose equations replace the RNN modules it names.
        self.equations = None
        self._recording: Recording | None = None
        # This trial's signals by name, for equations to read their inputs (kept only on the equation model).
        self._signals: dict[str, torch.Tensor] = {}
        # (real (batch,), state before the trial) while a trial with padded sessions runs; see `Timesteps`.
        self._padding_undo: tuple[torch.Tensor, dict[str, torch.Tensor]] | None = None

    # -- building blocks -------------------------------------------------------------------------------

    def setup_embedding(self, num_embeddings: int, embedding_size: int) -> nn.Embedding:
        """A participant embedding: one learned vector of `embedding_size` per participant index."""
        return nn.Embedding(int(num_embeddings), int(embedding_size))

    def setup_constant(self, embedding_size: int) -> ParticipantScale:
        """A positive per-participant scale computed from the embedding (e.g. a beta)."""
        return ParticipantScale(int(embedding_size))

    def setup_module(self, input_size: int, hidden_size: int | None = None) -> SpiceModule:
        """A module whose inputs are its listed inputs plus the embedding (`input_size`) and, always, its own
        value (not counted in `input_size`)."""
        return SpiceModule(int(input_size) + 1, int(hidden_size or self.hidden_size))

    # -- the forward pass ------------------------------------------------------------------------------

    def initial_state(self, batch_size: int, device=None) -> dict[str, torch.Tensor]:
        return {
            name: torch.full((batch_size, self.n_actions), float(value), device=device)
            for name, value in self.init_values.items()
        }

    def get_state(self) -> dict[str, torch.Tensor]:
        self.restore_padded_sessions()
        return dict(self.state)

    def init_forward_pass(self, inputs: torch.Tensor, prev_state=None, batch_first: bool = False):
        """Split inputs and set up the memory state and the logits.

        inputs: (batch, time, features) if batch_first else (time, batch, features), in the DatasetRNN layout.
        Returns ((actions, rewards, blocks, additional_inputs), (participant_ids, experiment_ids), logits,
        timesteps): actions, rewards, logits are (time, batch, n_actions); participant_ids (batch, 1).
        Padded trials come out with an all-zero action. A session's memory state does not change on its
        padded trials: `timesteps` (iterate it as the tutorial's loop does, first in its `zip`) restores
        the state of the padded sessions once the loop body of such a trial has run.
        """
        if batch_first:
            inputs = inputs.transpose(0, 1)
        n_time, batch = inputs.shape[:2]
        one_hot, rewards, additional_inputs, participant = split_xs(inputs, self.n_actions)
        actions = one_hot.clamp(min=0)
        blocks = inputs.new_zeros((n_time, batch, 0))
        participant_ids = participant[0, :, None].long()
        experiment_ids = torch.zeros_like(participant_ids)
        self._signals = {}
        self._padding_undo = None
        if self.equations is not None:
            self.equations.start_forward(participant_ids[:, 0])
        self.state = dict(prev_state) if prev_state is not None else self.initial_state(batch, inputs.device)
        real = is_real_trial(one_hot)
        if self._recording is not None:
            self._recording.start_chunk(participant_ids[:, 0], real)
        logits = inputs.new_zeros((n_time, batch, self.n_actions))
        return (
            (actions, rewards, blocks, additional_inputs),
            (participant_ids, experiment_ids),
            logits,
            Timesteps(self, real),
        )

    def restore_padded_sessions(self) -> None:
        """Give the sessions that were padded on the trial just run back the state they had before it.
        `timesteps`, `post_forward_pass` and `get_state` call it; it does nothing when there is nothing to undo."""
        if self._padding_undo is None:
            return
        real, before = self._padding_undo
        self._padding_undo = None
        for name, value in self.state.items():
            if name in before:
                keep = real.view(real.shape + (1,) * (value.ndim - 1))
                self.state[name] = torch.where(keep, value, before[name])

    def post_forward_pass(self, logits: torch.Tensor, batch_first: bool = False) -> torch.Tensor:
        self.restore_padded_sessions()  # in case the loop did not resume `timesteps` after the last trial
        return logits.transpose(0, 1) if batch_first else logits

    def call_module(
        self,
        key_module: str,
        key_state: str,
        action: torch.Tensor | None = None,
        inputs=None,
        participant_embedding: torch.Tensor | None = None,
        participant_index: torch.Tensor | None = None,
        activation_rnn: Callable | None = None,
    ) -> torch.Tensor:
        """Next value of state `key_state` by module `key_module`, for the arms selected by `action`.

        inputs: None, a (batch, n_actions) tensor or a tuple of them (stacked on a last axis). The module is
        the distilled equation if there is one, else the hard-coded equation in `submodules_eq` (called as
        f(value, inputs)), else the RNN module (followed by `activation_rnn`). Returns (batch, n_actions): the
        next value where `action` is 1 and 0 elsewhere (all arms if action is None).
        A distilled equation reads its inputs by name from this trial's `record_signal` calls, as the
        equation was fitted on them (record every signal before the first `call_module` of the trial), and
        uses the coefficients of each session's participant (the index in the inputs' last column);
        `participant_index` is accepted for the tutorial's signature.
        """
        value = self.state[key_state]
        inputs = _stack_inputs(inputs, value)
        if self.equations is not None and key_module in self.equations.module_names:
            # each session's own participant's equations, gathered once per forward pass
            next_value = self.equations.evaluate(key_module, value, self._signals)
        elif key_module in self.submodules_eq:
            next_value = self.submodules_eq[key_module](value, inputs)
        elif key_module in self.submodules_rnn:
            features = [value.unsqueeze(-1), inputs]
            if participant_embedding is not None:
                features.append(participant_embedding.unsqueeze(1).expand(-1, self.n_actions, -1))
            next_value = self.submodules_rnn[key_module](torch.cat(features, -1))
            if activation_rnn is not None:
                next_value = activation_rnn(next_value)
        else:
            raise KeyError(f"{type(self).__name__} has no module or equation named {key_module!r}")
        if self._recording is not None:
            self._recording.append("outputs", key_module, next_value, value.shape)
            self._recording.states[key_module] = key_state
            if activation_rnn in ACTIVATION_RANGES:
                self._recording.ranges[key_module] = ACTIVATION_RANGES[activation_rnn]
        return next_value if action is None else next_value * action

    def record_signal(self, key: str, value: torch.Tensor) -> None:
        """Record a value for distillation: a module's state before its update, or a control signal.
        Does nothing unless inside `with rnn.recording():`."""
        if self.equations is not None:
            self._signals[key] = value
        if self._recording is not None:
            batch = value.shape[0]
            self._recording.append("signals", key, value, (batch, self.n_actions))

    @contextmanager
    def recording(self) -> Iterator[Recording]:
        """Record every forward pass run inside the block (gradients off)."""
        self._recording = Recording()
        try:
            with torch.no_grad():
                yield self._recording
        finally:
            self._recording = None

    @property
    def is_recording(self) -> bool:
        return self._recording is not None

    def count_parameters(self) -> int:
        """Number of trainable weights (for the RNN's BIC)."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)


class Timesteps:
    """The trial indices 0..n_time-1 of a forward pass (what `range(n_time)` was), which also keep the memory
    state of padded sessions unchanged.

    Before a trial on which some session is padded it snapshots the model's state; when iteration resumes
    after the loop body, it puts the snapshot back for the padded sessions. Which trials have padding is
    worked out once, so trials without padding cost nothing extra (and no GPU sync).
    real: (n_time, batch) bool, True on real trials; padded: per trial, whether some session is padded.
    """

    def __init__(self, model: BaseRNN, real: torch.Tensor):
        self.model = model
        self.real = real
        self.padded: list[bool] = (~real).any(1).tolist()

    def __len__(self) -> int:
        return len(self.padded)

    def __iter__(self) -> Iterator[int]:
        model = self.model
        for timestep, padded in enumerate(self.padded):
            if not padded:
                yield timestep
                continue
            model._padding_undo = (self.real[timestep], dict(model.state))
            yield timestep
            model.restore_padded_sessions()


def _stack_inputs(inputs, value: torch.Tensor) -> torch.Tensor:
    """Inputs as (batch, n_actions, k): None -> k = 0; a tensor -> k = 1; a tuple -> stacked on a last axis."""
    if inputs is None:
        return value.new_zeros(value.shape + (0,))
    if isinstance(inputs, (tuple, list)):
        if len(inputs) == 0:
            return value.new_zeros(value.shape + (0,))
        return torch.stack([_per_arm(torch.as_tensor(i), value) for i in inputs], -1)
    inputs = torch.as_tensor(inputs)
    return inputs if inputs.ndim == value.ndim + 1 else _per_arm(inputs, value).unsqueeze(-1)


def _per_arm(signal: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    """A (batch,) or (batch, 1) signal broadcast over arms to value's (batch, n_actions)."""
    if signal.ndim == 1:
        signal = signal[:, None]
    return signal.expand_as(value)
