"""Checkpoints of a training run, so that a killed job resumes where it was instead of starting again.

A checkpoint holds everything the next epoch depends on: the weights, the optimiser's state, the state of the
generator that draws validation sessions and batch order, torch's global random state, the best weights so
far with the epochs since they were found (early stopping), and the history. Resuming from it therefore gives,
on the CPU with the same number of threads, the weights an uninterrupted run gives, bit for bit.

A checkpoint is resumed only by the run that wrote it: it records the run's identity (model class, initial
weights, random states, data, settings, device), and a checkpoint of any other run is ignored, with a log line.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from torch import nn

from spice_lib.files import atomic_path

if TYPE_CHECKING:  # training.py imports this module
    from spice_lib.training import TrainingSettings

CHECKPOINT_FORMAT = 1
# Settings that change what is logged or written, not the weights: a run resumes across a change of these.
BOOKKEEPING_SETTINGS = ("print_every", "checkpoint_every")


def run_identity(
    model: nn.Module, xs: torch.Tensor, ys: torch.Tensor, settings: TrainingSettings, generator: torch.Generator
) -> dict:
    """What makes a training run this run, taken before it starts: two runs with the same identity compute the
    same epochs. The seed shows in the initial weights and the random states."""
    model_class = type(model)
    identity = {
        "model class": f"{model_class.__module__}.{model_class.__qualname__}",
        "initial weights": _digest(model.state_dict().items()),
        "random state": _digest([("generator", generator.get_state()), ("torch", torch.get_rng_state())]),
        "data": _digest([("xs", xs), ("ys", ys)]),
        "device": xs.device.type,
    }
    settings = {name: value for name, value in asdict(settings).items() if name not in BOOKKEEPING_SETTINGS}
    return identity | settings


def _digest(named_tensors: Iterable[tuple[str, torch.Tensor]]) -> str:
    """SHA-256 of names, shapes, types and contents."""
    digest = hashlib.sha256()
    for name, tensor in named_tensors:
        tensor = tensor.detach().cpu().contiguous()
        digest.update(f"{name} {tuple(tensor.shape)} {tensor.dtype};".encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def write_checkpoint(
    path,
    identity: dict,
    progress: dict,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    generator: torch.Generator,
) -> None:
    """Write the checkpoint atomically: a kill while writing leaves the previous one."""
    content = {
        "format": CHECKPOINT_FORMAT,
        "run": identity,
        "progress": progress,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "generator": generator.get_state(),
        "torch_random_state": torch.get_rng_state(),
        "cuda_random_state": _cuda_random_state(model),
    }
    with atomic_path(path) as temporary:
        torch.save(content, temporary)


def read_checkpoint(path, identity: dict, log: Callable[[str], None]) -> dict | None:
    """The checkpoint at `path` if there is one and this run (`identity`) wrote it; else None, and a checkpoint
    that is there but cannot be used is named in the log with the reason."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        content = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, EOFError, pickle.UnpicklingError) as error:
        log(f"Checkpoint {path} cannot be read ({str(error).splitlines()[0]}); training from the start.")
        return None
    if not isinstance(content, dict) or content.get("format") != CHECKPOINT_FORMAT:
        log(f"Checkpoint {path} is not a checkpoint of format {CHECKPOINT_FORMAT}; training from the start.")
        return None
    saved = content["run"]
    different = [key for key in identity | saved if saved.get(key) != identity.get(key)]
    if different:
        log(f"Checkpoint {path} is of another run (different {', '.join(different)}); training from the start.")
        return None
    return content


def restore(content: dict, model: nn.Module, optimizer: torch.optim.Optimizer, generator: torch.Generator) -> dict:
    """Put the weights, optimiser and random states of a checkpoint back; returns its progress."""
    model.load_state_dict(content["model"])
    optimizer.load_state_dict(content["optimizer"])
    generator.set_state(content["generator"])
    torch.set_rng_state(content["torch_random_state"])
    if content["cuda_random_state"] is not None:
        torch.cuda.set_rng_state(content["cuda_random_state"], _device(model))
    return content["progress"]


def _device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


def _cuda_random_state(model: nn.Module) -> torch.Tensor | None:
    """The random state of the CUDA device the model trains on (None on the CPU)."""
    device = _device(model)
    return torch.cuda.get_rng_state(device) if device.type == "cuda" else None
