"""Distillation: every RNN module becomes a sparse polynomial equation per participant, fitted with pysindy.

For each module, the trained RNN is run over the participant's own sessions (with its own embedding) while
recording; the module's samples are (value before, control signals) -> value after, restricted to real
trials and to the arms that `filter_setup` selects. A discrete-time SINDy model
x[k+1] - c = Theta(x[k] - c, u[k]) xi with a polynomial library is fitted to them by sequentially
thresholded least squares (STLSQ), c being the value the module's state starts a session from, or, for the
config's `incremental_modules`, the change x[k+1] - x[k] = Theta(x[k] - c, u[k]) xi (see
`equations.ModuleEquation`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pysindy as ps
import torch

from spice_lib.equations import EquationSet, ModuleEquation, participant_betas
from spice_lib.progress import Progress
from spice_lib.rnn import BaseRNN
from spice_lib.spice_config import SpiceConfig


@dataclass
class DistillationSettings:
    """How equations are fitted.

    degree: degree of the polynomial library.
    threshold: STLSQ threshold: coefficients smaller than this (in the units of the module's value, which
        are probabilities or reward units in [0, 1]) are set to zero.
    ridge: STLSQ's ridge penalty (pysindy's `alpha`), relative to the number of samples.
    center: measure each module's own value from its initial value (see ModuleEquation), so that decay back
        to the starting value is the sparse form of a forgetting equation.
    """

    degree: int = 1
    threshold: float = 0.05
    ridge: float = 1e-4
    center: bool = True


@dataclass
class ModuleSamples:
    """One module's samples: variables (n, 1 + k) = (own value before, library signals), targets (n,) =
    value after, participant (n,) index."""

    variables: np.ndarray
    targets: np.ndarray
    participant: np.ndarray


def record(rnn: BaseRNN, xs: torch.Tensor, batch_size: int = 1024) -> dict:
    """Run `rnn` over sessions xs (batch first) while recording; returns `Recording.stacked()`."""
    rnn.eval()
    with rnn.recording() as recording:
        for chunk in torch.as_tensor(xs).split(batch_size):
            rnn(chunk.to(next(rnn.parameters()).device), batch_first=True)
    return recording.stacked()


def module_samples(recorded: dict, config: SpiceConfig, module: str) -> ModuleSamples:
    """The samples of `module` from a recording, filtered as `config.filter_setup` says."""
    signals, outputs = recorded["signals"], recorded["outputs"]
    if module not in outputs:
        raise KeyError(f"module {module!r} was never called during recording (is it called via call_module?)")
    names = [module] + list(config.library_setup.get(module, []))
    missing = [name for name in names if name not in signals]
    if missing:
        raise KeyError(f"signal(s) {missing} needed for {module!r} were not recorded with record_signal")
    keep = np.broadcast_to(recorded["valid"][..., None], outputs[module].shape).copy()
    if module in config.filter_setup:
        signal, value, equal = config.filter_setup[module]
        keep &= (signals[signal] == value) == equal
    participant = np.broadcast_to(recorded["participant_index"][None, :, None], keep.shape)
    return ModuleSamples(
        variables=np.stack([signals[name][keep] for name in names], -1).astype(np.float64),
        targets=outputs[module][keep].astype(np.float64),
        participant=participant[keep],
    )


def fit_equation(
    variables: np.ndarray,
    targets: np.ndarray,
    names: list[str],
    settings: DistillationSettings,
    center: float = 0.0,
    incremental: bool = False,
):
    """Fit one participant's equation x[k+1] - center = Theta(x[k] - center, u[k]) xi, or, `incremental`,
    x[k+1] - x[k] = Theta(x[k] - center, u[k]) xi; returns (xi (n_terms,), powers (n_terms, n_variables))."""
    variables = variables.copy()
    variables[:, 0] -= center
    targets = targets - (variables[:, 0] + center if incremental else center)
    library = ps.PolynomialLibrary(degree=settings.degree)
    optimizer = ps.STLSQ(threshold=settings.threshold, alpha=settings.ridge * len(targets))
    model = ps.DiscreteSINDy(optimizer=optimizer, feature_library=library)
    controls = variables[:, 1:] if variables.shape[1] > 1 else None
    with warnings.catch_warnings():
        # STLSQ warns when it thresholds every coefficient away; a zero equation is a valid answer here.
        warnings.simplefilter("ignore", UserWarning)
        model.fit(variables[:, :1], t=1, x_next=targets[:, None], u=controls, feature_names=names)
    return np.asarray(model.coefficients())[0], np.asarray(model.feature_library.powers_)


def _margin_around(values: np.ndarray) -> tuple[float, float]:
    """Bounds for the equation of a module that no activation bounds: the range of values the network
    produced, widened by its width on either side. Inside it the equation acts unchanged; it stops an
    equation fitted there from running off when it is iterated beyond it (a self-coefficient above 1 grows
    a value geometrically, and over a few hundred trials the logits overflow)."""
    low, high = float(np.min(values)), float(np.max(values))
    width = max(high - low, 1e-3)
    return (low - width, high + width)


def distill_recording(
    recorded: dict,
    config: SpiceConfig,
    participant_ids: list[str],
    settings: DistillationSettings,
    centers: dict[str, float] | None = None,
    log: Callable[[str], None] | None = print,
) -> dict[str, ModuleEquation]:
    """Equations of every module in `config.rnn_modules` for every participant, from a recording
    (`Recording.stacked()`, or a hand-built dict of the same shape). centers: each module's initial value
    (used when settings.center). Progress (one fit per participant and module) goes to a bar in a terminal,
    else to `log`; log=None shows none."""
    modules = {}
    progress = Progress(len(config.rnn_modules) * len(participant_ids), "equations", log, "Distilling")
    with progress:
        for module in config.rnn_modules:
            modules[module] = _distill_module(recorded, config, module, participant_ids, settings, centers, progress)
    return modules


def _distill_module(recorded, config, module, participant_ids, settings, centers, progress) -> ModuleEquation:
    """One module's equations, one SINDy fit per participant."""
    center = (centers or {}).get(module, 0.0) if settings.center else 0.0
    incremental = module in config.incremental_modules
    samples = module_samples(recorded, config, module)
    names = [module] + list(config.library_setup.get(module, []))
    coefficient_rows, powers = [], None
    for participant, participant_id in enumerate(participant_ids):
        mine = samples.participant == participant
        if mine.sum() < 2:
            raise ValueError(
                f"participant {participant_id!r} has {int(mine.sum())} samples for module {module!r}; "
                f"each participant needs sessions in the data being distilled"
            )
        coefficients, powers = fit_equation(samples.variables[mine], samples.targets[mine], names, settings, center, incremental)
        coefficient_rows.append(coefficients)
        progress.advance(1, module)
    activation = recorded.get("ranges", {}).get(module)
    bounds = activation or _margin_around(samples.targets)
    return ModuleEquation(names, powers, np.stack(coefficient_rows), center, bounds, incremental, activation is not None)


def distill(
    rnn: BaseRNN,
    config: SpiceConfig,
    xs: torch.Tensor,
    participant_ids: list[str],
    settings: DistillationSettings | None = None,
    log: Callable[[str], None] | None = print,
) -> EquationSet:
    """Equations of every module in `config.rnn_modules` for every participant, plus the RNN's betas.

    xs: the sessions to run the RNN over (batch first, DatasetRNN layout); each participant's equations
    are fitted on that participant's own sessions. log: progress lines where no bar is drawn.
    """
    recorded = record(rnn, xs)
    centers = {module: float(rnn.init_values.get(state, 0.0)) for module, state in recorded["states"].items()}
    modules = distill_recording(recorded, config, participant_ids, settings or DistillationSettings(), centers, log)
    return EquationSet(modules, participant_betas(rnn, len(participant_ids)), list(participant_ids))
