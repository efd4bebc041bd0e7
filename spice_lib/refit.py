"""Maximum-likelihood refit of the equation model: SINDy chooses which terms an equation has, the choices
decide their values.

Distillation copies the RNN's modules, including where the RNN settled somewhere along a flat ridge of
the likelihood (e.g. trading a learning rate against a forgetting rate). Refitting the surviving
coefficients and the betas on the choices themselves, with the structure fixed, moves them to the maximum
of the equation model's own likelihood. Terms that distillation set to zero stay zero.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import torch

from spice_lib.equations import EquationSet, equation_model, model_equations
from spice_lib.evaluation import log_likelihood_per_participant
from spice_lib.progress import Progress
from spice_lib.rnn import BaseRNN
from spice_lib.training import next_choice_nll
from spice_lib.xs_layout import participants_sessions, split_xs

REFIT_CHOICES = ("none", "betas", "coefficients")


def refit_equation_model(
    model: BaseRNN,
    xs: torch.Tensor,
    ys: torch.Tensor,
    what: str = "coefficients",
    max_iterations: int = 100,
    threshold: float | None = None,
    log: Callable[[str], None] = print,
) -> tuple[float, float]:
    """Refit `model` (made by `equation_model`) in place by L-BFGS on the next-choice NLL of (xs, ys).

    what: 'betas' refits the betas only; 'coefficients' refits the betas and every non-zero coefficient.
    threshold: with 'coefficients', coefficients that the refit leaves smaller than this are removed and the
    rest refitted, until none is (sequential thresholding, as STLSQ does, but on the likelihood of the
    choices). Returns the NLL per trial before and after. If the refit fails (non-finite loss) or does not
    improve, the model is left as it was and (before, before) is returned; `log` says which.
    """
    if what not in REFIT_CHOICES[1:]:
        raise ValueError(f"refit must be one of {REFIT_CHOICES}, got {what!r}")
    device = next(model.parameters()).device
    xs, ys = xs.to(device), ys.to(device)
    trainable = free_parameters(model, what)
    before_state = {k: v.clone() for k, v in model.state_dict().items()}

    def loss() -> torch.Tensor:
        return next_choice_nll(model(xs, batch_first=True)[0], ys)

    with torch.no_grad():
        before = loss().item()
    after = minimise(loss, trainable, max_iterations, log)
    while what == "coefficients" and threshold and math.isfinite(after):
        if not _remove_small_terms(model.equations, threshold):
            break
        after = minimise(loss, trainable, max_iterations, log)
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    if not math.isfinite(after):
        model.load_state_dict(before_state)
        log(f"Refit of {what} failed (non-finite loss); kept the distilled values (NLL per trial {before:.5f}).")
        return before, before
    if after > before:
        model.load_state_dict(before_state)
        log(
            f"Refit of {what} did not improve the equation model (NLL per trial {before:.5f} -> {after:.5f}); "
            f"kept the distilled values."
        )
        return before, before
    log(f"Refit of {what}: NLL per trial {before:.5f} -> {after:.5f}")
    print_constants_at_bounds(model, log)
    return before, after


def print_constants_at_bounds(model: BaseRNN, log: Callable[[str], None] = print) -> None:
    """A constant equation outside its module's range acts at the bound it is clipped to: set it there, so
    that it prints as what it does (`α[k+1] = 1.000`, not `1.121` kept in [0, 1])."""
    clipped = model.equations.clip_constant_equations()
    if clipped:
        log(f"{clipped} constant equation(s) were outside their module's range and now print at its bound.")


def free_parameters(model: BaseRNN, what: str = "coefficients") -> list[torch.Tensor]:
    """Make the betas (and, with 'coefficients', the equations' coefficients) of an equation model the only
    parameters with gradients; returns them."""
    betas = [p for beta in model.betas.values() for p in beta.parameters()]
    trainable = betas + (list(model.equations.parameters()) if what == "coefficients" else [])
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    for parameter in trainable:
        parameter.requires_grad_(True)
    return trainable


def _remove_small_terms(equations, threshold: float) -> int:
    """Drop terms whose coefficient is below `threshold` in magnitude; returns how many were dropped."""
    dropped = 0
    with torch.no_grad():
        for name in equations.module_names:
            support = getattr(equations, f"support_{name}")
            small = (equations.coefficients[name].abs() < threshold) & (support > 0)
            support[small] = 0.0
            dropped += int(small.sum())
    return dropped


def minimise(
    loss: Callable[[], torch.Tensor],
    parameters: list[torch.Tensor],
    max_iterations: int,
    log: Callable[[str], None] = print,
    description: str = "Refit",
) -> float:
    """L-BFGS with a strong-Wolfe line search; if its line search runs into a region where the model's
    values explode (an equation can leave the range its module was trained in), start again from the
    distilled values with Adam, whose small steps stay near them, and say so through `log`. Returns the
    final loss (NaN on failure). A long minimisation shows its progress (evaluations of the loss, at most
    L-BFGS's max_eval of them) as `progress.Progress` does, under `description`."""
    start = [p.detach().clone() for p in parameters]
    max_evaluations = max_iterations * 5 // 4  # torch.optim.LBFGS's default max_eval
    optimizer = torch.optim.LBFGS(
        parameters, lr=1.0, max_iter=max_iterations, max_eval=max_evaluations, tolerance_grad=1e-5,
        tolerance_change=1e-7, history_size=100, line_search_fn="strong_wolfe",
    )  # fmt: skip
    progress = Progress(max_evaluations, "evaluations", log, description, total_is_bound=True)

    def closure():
        optimizer.zero_grad()
        value = loss()
        if not torch.isfinite(value):
            raise FloatingPointError("non-finite loss")
        value.backward()
        progress.advance(1, f"NLL per trial {value.item():.5f}")
        return value

    try:
        with progress:
            optimizer.step(closure)
        with torch.no_grad():
            value = loss().item()
        if math.isfinite(value):
            return value
        reason = f"it ended at a non-finite loss ({value})"
    except (FloatingPointError, RuntimeError) as error:
        reason = f"{type(error).__name__}: {error}"
    log(f"Refit: L-BFGS failed ({reason}); starting again from the distilled values with Adam.")
    with torch.no_grad():
        for parameter, value in zip(parameters, start):
            parameter.copy_(value)
    adam = torch.optim.Adam(parameters, lr=1e-2)
    for _ in range(max_iterations):
        adam.zero_grad()
        value = loss()
        if not torch.isfinite(value):
            return math.nan
        value.backward()
        adam.step()
    with torch.no_grad():
        return loss().item()


def participant_nll(model: BaseRNN, xs: torch.Tensor, ys: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """NLL per predicted trial of every participant index of an equation model, and their numbers of
    predicted trials (NLL NaN where there are none)."""
    participant = split_xs(xs, model.n_actions).participant[:, 0].long().cpu().numpy()
    with torch.no_grad():
        probabilities = torch.softmax(model(xs, batch_first=True)[0].double(), -1).cpu().numpy()
    n = next(iter(model.equations.coefficients.values())).shape[0]
    total, trials = log_likelihood_per_participant(probabilities, ys, participant, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        return -total / trials, trials


def refit_participants(
    template: BaseRNN,
    equations: EquationSet,
    rows,
    xs: torch.Tensor,
    ys: torch.Tensor,
    max_iterations: int = 100,
    threshold: float | None = None,
    support: dict[str, np.ndarray] | None = None,
    log: Callable[[str], None] = print,
) -> tuple[BaseRNN, torch.Tensor, torch.Tensor]:
    """An equation model (built on `template`, see equation_model) of the participants at index `rows` of
    `equations` alone, numbered 0, 1, ... in the order of `rows`, with its coefficients refitted on their own
    sessions in (xs, ys) (refit_equation_model); returned with those sessions (xs, ys, renumbered). support:
    module -> (n_participants, n_terms) over all of `equations`' participants (default: the non-zero
    coefficients)."""
    own_xs, own_ys = participants_sessions(xs, ys, rows, template.n_actions)
    picked = None if support is None else {name: terms[np.asarray(rows)] for name, terms in support.items()}
    alone = equation_model(template, equations.subset(rows), picked)
    refit_equation_model(alone, own_xs, own_ys, "coefficients", max_iterations=max_iterations, threshold=threshold, log=log)
    return alone, own_xs, own_ys


def no_worse_than_chance(
    model: BaseRNN,
    xs: torch.Tensor,
    ys: torch.Tensor,
    max_iterations: int = 500,
    log: Callable[[str], None] = print,
) -> tuple[BaseRNN, pd.DataFrame]:
    """Make sure no participant's equations predict their own choices worse than chance.

    With every beta at 0 an equation model is chance, so a participant's maximum-likelihood fit is never
    worse; one that is (on real data a joint refit of many participants can stop short of some of them, or
    diverge) is refitted alone, with its structure kept, for up to `max_iterations` L-BFGS iterations. If it
    is still worse than chance, its betas are set to 0: it then predicts at chance, which is what its data
    support. Every such participant is logged. Returns the (new) equation model and a table: participant,
    nll_before, nll_after, action ('refitted alone' or 'betas set to 0'); empty when nobody needed it.
    """
    chance = math.log(model.n_actions)
    before, n_trials = participant_nll(model, xs, ys)
    # float32 forward passes put an exact chance model at ln(n) + ~1e-7: tolerate that much. A NaN with
    # trials is a diverged fit.
    worse = np.flatnonzero((n_trials > 0) & ~(before <= chance + 1e-6))
    rows = []
    if not len(worse):
        return model, pd.DataFrame(rows, columns=["participant", "nll_before", "nll_after", "action"])
    equations = model_equations(model)
    support = {name: getattr(model.equations, f"support_{name}").cpu().numpy() for name in model.equations.module_names}
    for index in worse:
        alone, own_xs, own_ys = refit_participants(
            model, equations, [index], xs, ys, max_iterations=max_iterations, support=support, log=lambda _: None
        )
        after = float(participant_nll(alone, own_xs, own_ys)[0][0])
        replacement = model_equations(alone)
        action = "refitted alone"
        if not after <= chance + 1e-6:  # also NaN
            for name in replacement.betas:
                replacement.betas[name][:] = 0.0
            after, action = chance, "betas set to 0"
        equations = equations.with_rows([index], replacement)
        rows.append({"participant": equations.participant_ids[index], "nll_before": float(before[index]), "nll_after": after, "action": action})
        log(
            f"Participant {equations.participant_ids[index]!r}: the equations predicted their own choices worse than "
            f"chance (NLL per trial {before[index]:.5f} > ln {model.n_actions} = {chance:.5f}); {action}, NLL {after:.5f}."
        )
    return equation_model(model, equations, support), pd.DataFrame(rows)
