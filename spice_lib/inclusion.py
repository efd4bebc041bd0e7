"""Which terms are real: inclusion probabilities and intervals by a bootstrap of sessions.

Term selection (term_selection.py) gives one structure per participant, decided by BIC on one data set.
Whether a term would survive other data from the same participant is what a reader needs before believing
it. Each resample draws a participant's training sessions with replacement (as many as they have), refits
the equation model's numbers on it and reruns term selection; for every participant, module and term it
then reports
- inclusion: the fraction of resamples whose selected equation keeps the term (in the centred form that
  selection switches, see equations.ModuleEquation), and
- a 90% interval (5th to 95th percentile) of the printed coefficient over the resamples, with 0 for the
  resamples that drop the term (betas get none: see equations.TermInclusion).

Every resample starts from the structure chosen on all the data (a warm start: selection then usually
settles in one or two steps), and all resamples of all participants are refitted together, as extra
participants of one equation model, as term selection does with its alternatives. A participant with a single session cannot be resampled this way: their numbers are
NaN and the log says so.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from spice_lib import term_selection
from spice_lib.equations import EquationSet, TermInclusion, equation_model, model_equations
from spice_lib.rnn import BaseRNN
from spice_lib.trace_orientation import orient_keeping_terms
from spice_lib.xs_layout import split_xs

INTERVAL = (5.0, 95.0)  # percentiles of the reported interval: 90%


def bootstrap_sessions(
    xs: torch.Tensor, ys: torch.Tensor, n_participants: int, n_actions: int, n_resamples: int, seed: int
) -> tuple[torch.Tensor, torch.Tensor, np.ndarray]:
    """Every participant's sessions drawn with replacement, `n_resamples` times, as one data set in which
    resample b of participant p is participant b * n_participants + p. Returns (xs, ys, which participants
    have two or more sessions). Deterministic in `seed`."""
    participant = split_xs(xs, n_actions).participant[:, 0].long().cpu().numpy()
    generator = np.random.default_rng(seed)
    own_sessions = [np.flatnonzero(participant == p) for p in range(n_participants)]
    drawn, labels = [], []
    for b in range(n_resamples):
        for p, sessions in enumerate(own_sessions):
            picked = generator.choice(sessions, size=len(sessions), replace=True) if len(sessions) else sessions
            drawn.append(picked)
            labels.append(np.full(len(picked), b * n_participants + p))
    index = torch.as_tensor(np.concatenate(drawn), device=xs.device)
    resampled_xs, resampled_ys = xs[index].clone(), ys[index].clone()
    split_xs(resampled_xs, n_actions).participant[:] = torch.as_tensor(
        np.concatenate(labels), dtype=xs.dtype, device=xs.device
    )[:, None]
    resampleable = np.array([len(sessions) >= 2 for sessions in own_sessions])
    return resampled_xs, resampled_ys, resampleable


def term_inclusion(
    model: BaseRNN,
    xs: torch.Tensor,
    ys: torch.Tensor,
    n_resamples: int,
    seed: int,
    log: Callable[[str], None] = print,
) -> TermInclusion:
    """Inclusion probabilities and intervals of the terms of an equation model (after term selection: its
    structure is every resample's starting point) from `n_resamples` bootstraps of each participant's
    sessions in (xs, ys)."""
    if n_resamples < 2:
        raise ValueError(f"inclusion probabilities need 2 resamples or more, got {n_resamples}")
    equations = model_equations(model)
    n_participants = equations.n_participants
    device = next(model.parameters()).device
    resampled_xs, resampled_ys, resampleable = bootstrap_sessions(
        xs.to(device), ys.to(device), n_participants, model.n_actions, n_resamples, seed
    )
    if not resampleable.all():
        log(
            f"Inclusion probabilities: {int((~resampleable).sum())} participant(s) have a single session, which "
            f"a bootstrap of sessions cannot resample; their inclusion and intervals are NaN."
        )
    stacked = _tiled(equations, n_resamples)
    if not resampleable.any():  # nothing to learn from the resamples: the same sessions every time
        return _summarise(stacked, n_resamples, n_participants, resampleable)
    log(f"Inclusion probabilities: term selection on {n_resamples} bootstraps of each participant's sessions...")
    selected, _ = term_selection.select_terms(equation_model(model, stacked), resampled_xs, resampled_ys, log=log)
    # Terms are counted in one orientation of the choice trace, AgentQ's, as the fit on all the data writes them
    # (not searched again from there, as that fit is: see SpiceEstimator._search_mirrored_again).
    selected, _ = orient_keeping_terms(selected, resampled_xs, resampled_ys, log=log)
    return _summarise(model_equations(selected), n_resamples, n_participants, resampleable)


def _tiled(equations: EquationSet, n_resamples: int) -> EquationSet:
    """`n_resamples` copies of every participant: row b * n_participants + p is participant p."""
    tile = lambda values: np.tile(np.asarray(values), (n_resamples,) + (1,) * (np.ndim(values) - 1))  # noqa: E731
    modules = {name: e.with_coefficients(tile(e.coefficients)) for name, e in equations.modules.items()}
    ids = [f"{p}#{b}" for b in range(n_resamples) for p in equations.participant_ids]
    return EquationSet(modules, {name: tile(values) for name, values in equations.betas.items()}, ids)


def _summarise(
    resampled: EquationSet, n_resamples: int, n_participants: int, resampleable: np.ndarray
) -> TermInclusion:
    def by_resample(values: np.ndarray) -> np.ndarray:  # (B * P, ...) -> (B, P, ...)
        return values.reshape((n_resamples, n_participants) + values.shape[1:])

    def blank(values: np.ndarray) -> np.ndarray:
        values[~resampleable] = np.nan
        return values

    inclusion, low, high = {}, {}, {}
    for name, equation in resampled.modules.items():
        kept = by_resample(equation.coefficients != 0)
        printed = by_resample(equation.expanded_coefficients())
        inclusion[name] = blank(kept.mean(0))
        low[name], high[name] = (blank(bound) for bound in np.percentile(printed, INTERVAL, axis=0))
    return TermInclusion(n_resamples, inclusion, low, high)
