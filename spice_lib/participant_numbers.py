"""The numbers of an equation model, one row per participant, each row optimised apart.

Participants share no numbers (each has their own coefficients and betas), so the NLL of a study is a sum
of independent problems. Minimised jointly, as one vector, they interfere: one line search serves every
participant, so a participant whose likelihood is steep holds the step of all others, and a stopping rule
on the whole (the mean NLL's gradient) lets any single participant stop far from their optimum. Here each
row is optimised on its own, all rows in one batched evaluation of the model:
- `newton`: damped Newton steps per row with the whole Hessian of each row (the empirical-Bayes refit of
  population.py, which needs the Hessian for its posterior covariance anyway);
- `minimise`: limited-memory BFGS per row, each with its own curvature pairs, backtracking line search and
  stopping rule, optionally under a weak prior (term selection: one joint minimisation of all alternatives
  left most of them short of their optimum, which decided terms; benchmarks/refit_convergence.py).
A row is a participant of the equation model (in term selection, one alternative structure of one).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import torch

from spice_lib.equations import model_equations
from spice_lib.progress import Progress
from spice_lib.rnn import BaseRNN
from spice_lib.training import session_nll
from spice_lib.xs_layout import split_xs

# The largest change of any number in one Newton step (coefficients and betas are of order 1 to 10):
# where the likelihood is flat (a number with no effect), Newton's step is unbounded.
MAX_STEP = 1.0

# A row has converged when a step can no longer lower its NLL by this much (nats, summed over its trials):
# far below what decides a term (the BIC's ln(n) / 2 per number, 2 to 4 nats), above the rounding of a
# float32 sum of a few thousand trials.
TOLERANCE = 1e-3

# ... and its gradient is below this (nats per unit of a number) everywhere: along a flat direction (a beta
# of a choice trace that is rarely on) the curvature pairs underestimate how far the optimum lies, so the
# step's promise alone would stop a row short. At a kink of a clamped module the gradient does not vanish;
# there a row stops when no step along steepest descent lowers its NLL.
GRADIENT_TOLERANCE = 0.01

# The largest change of any number in one L-BFGS step, and in its first (a steepest-descent step, scaled
# without knowledge of the curvature). Modules are clamped to their range (often [0, 1]), and a number
# stepped across it lands where the NLL is flat (the clamp passes no gradient) and stays there: one step of
# MAX_STEP that moves a choice trace's constant from 0.14 to -0.5 kills the trace for good.
MAX_QUASI_NEWTON_STEP = 0.25
FIRST_STEP = 0.05

# Curvature pairs each row keeps: as many as an equation model of four modules has numbers.
HISTORY = 20

# Armijo's sufficient decrease: a step is taken when it lowers the NLL by this share of what its slope
# promised.
SUFFICIENT_DECREASE = 1e-4


def _positive_semidefinite(hessian: torch.Tensor) -> torch.Tensor:
    """Each matrix with its negative eigenvalues set to 0: away from an optimum, a direction of negative
    curvature carries no information about where a number lies, and Newton's step would climb it."""
    eigenvalues, eigenvectors = torch.linalg.eigh(hessian)
    return (eigenvectors * eigenvalues.clamp(min=0.0)[:, None, :]) @ eigenvectors.transpose(1, 2)


class ParticipantNumbers:
    """The free numbers of an equation model as "slots" (a term of a module that some row has, or a beta),
    each with one value per row, and per-row optimisers of the NLL of the sessions (xs, ys) on them: a row
    is the participant index a session carries in xs. A term a row lacks has no effect on its NLL (its
    coefficient is multiplied by the row's support), so its gradient is 0 and it stays put. what: 'betas'
    makes only the betas slots; 'coefficients' (default) the betas and every term some row has."""

    def __init__(self, model: BaseRNN, xs: torch.Tensor, ys: torch.Tensor, what: str = "coefficients"):
        self.model, self.xs, self.ys = model, xs, ys
        equations = model.equations
        self.n_rows = len(equations.participant_ids)
        self.session_row = split_xs(xs, model.n_actions).participant[:, 0].long()
        self.slots: list[tuple[torch.Tensor, int, str, str]] = []  # (tensor, column, module, term)
        term_names = {name: equation.term_names for name, equation in model_equations(model).modules.items()}
        for name in equations.module_names if what == "coefficients" else ():
            in_some_row = (getattr(equations, f"support_{name}") > 0).any(0)
            for column in np.flatnonzero(in_some_row.cpu().numpy()):
                self.slots.append((equations.coefficients[name], int(column), name, term_names[name][column]))
        for name, beta in model.betas.items():
            self.slots.append((beta.values, 0, "beta", name))
        self.tensors = list({id(t): t for t, *_ in self.slots}.values())
        # Which slots act on each row's NLL: its own terms and every beta. (n_rows, n_slots), 0/1.
        self.active = torch.stack(
            [
                getattr(equations, f"support_{module}")[:, column] if module != "beta" else torch.ones(self.n_rows, device=xs.device)
                for _, column, module, _ in self.slots
            ],
            1,
        ).double()
        for parameter in model.parameters():
            parameter.requires_grad_(False)

    def participant_nll(self, rows: torch.Tensor | None = None) -> torch.Tensor:
        """Every row's NLL summed over its predicted trials, differentiable in the numbers: (n_rows,).
        rows: None for all, or a boolean (n_rows,): only their sessions are run (the other rows get 0), so
        that the last few rows still moving cost little."""
        sessions = slice(None) if rows is None else rows[self.session_row]
        per_session = session_nll(self.model(self.xs[sessions], batch_first=True)[0], self.ys[sessions])
        return torch.zeros(self.n_rows, device=per_session.device, dtype=per_session.dtype).index_add(
            0, self.session_row[sessions], per_session
        )

    def values(self) -> torch.Tensor:
        """(n_rows, n_slots), float64."""
        return torch.stack([tensor[:, column].detach() for tensor, column, *_ in self.slots], 1).double()

    def set_values(self, values: torch.Tensor) -> None:
        with torch.no_grad():
            for slot, (tensor, column, *_) in enumerate(self.slots):
                tensor[:, column] = values[:, slot].to(tensor.dtype)

    def prior_precision(self, prior_sd: float | None) -> torch.Tensor:
        """The precision 1 / prior_sd^2 of a normal prior with mean 0 on every number that acts on a row
        (`active`), 0 elsewhere and without a prior (prior_sd None): (n_rows, n_slots)."""
        return self.active * (0.0 if prior_sd is None else prior_sd**-2)

    def prior_penalty(self, prior_sd: float | None) -> torch.Tensor:
        """Each row's sum theta^2 / (2 prior_sd^2) over the numbers that act on it: the negative log of that
        prior, up to a constant. (n_rows,)"""
        return 0.5 * (self.prior_precision(prior_sd) * self.values() ** 2).sum(1)

    def nll(self) -> torch.Tensor:
        with torch.no_grad():
            return self.participant_nll().double()

    def nll_and_gradient(self, rows: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Each row's NLL and its gradient (n_rows, n_slots): one backward pass of the summed NLL, since a
        row's numbers act on that row's NLL only. rows: as `participant_nll` takes them."""
        for tensor in self.tensors:
            tensor.requires_grad_(True)
        nll = self.participant_nll(rows)
        gradients = dict(zip(map(id, self.tensors), torch.autograd.grad(nll.sum(), self.tensors)))
        for tensor in self.tensors:
            tensor.requires_grad_(False)
        gradient = torch.stack([gradients[id(t)][:, c] for t, c, *_ in self.slots], 1)
        return nll.detach().double(), gradient.double()

    def derivatives(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Each row's NLL, gradient (n_rows, n_slots) and Hessian (n_rows, n_slots, n_slots).

        The Hessian of the summed NLL is block-diagonal (rows share no numbers), so one Hessian-vector
        product per slot (a 1 in that slot for every row) gives that column of every row's Hessian at once."""
        for tensor in self.tensors:
            tensor.requires_grad_(True)
        nll = self.participant_nll()
        gradients = dict(zip(map(id, self.tensors), torch.autograd.grad(nll.sum(), self.tensors, create_graph=True)))
        gradient = torch.stack([gradients[id(t)][:, c] for t, c, *_ in self.slots], 1)
        # All Hessian-vector products in one batched backward pass (vmap over the graph): one per slot in turn
        # costs as many passes through the recurrent graph as there are slots.
        n_slots = len(self.slots)
        directions = torch.eye(n_slots, dtype=gradient.dtype, device=gradient.device)[:, None, :]
        second = torch.autograd.grad(
            gradient, self.tensors, directions.expand(-1, len(gradient), -1), is_grads_batched=True, allow_unused=True
        )  # per tensor: (direction, *tensor.shape)
        of = {
            id(t): torch.zeros((n_slots,) + t.shape, dtype=t.dtype, device=t.device) if g is None else g
            for t, g in zip(self.tensors, second)
        }
        for tensor in self.tensors:
            tensor.requires_grad_(False)
        by_direction = torch.stack([of[id(t)][:, :, c] for t, c, *_ in self.slots], 2)  # (direction, row, slot)
        hessian = by_direction.transpose(0, 1).detach().double()
        return nll.detach().double(), gradient.detach().double(), (hessian + hessian.transpose(1, 2)) / 2

    def newton(
        self, mean: torch.Tensor, precision: torch.Tensor, steps: int, tolerance: float | None = None
    ) -> torch.Tensor:
        """At most `steps` damped Newton steps on every row's NLL + 1/2 sum precision (theta - mean)^2 (the
        negative log posterior), fewer where every row's next step promises less than `tolerance` nats (its
        Newton decrement; None: all `steps`). A row's step is taken only if it lowers their objective;
        otherwise their damping grows (Levenberg-Marquardt). No number moves by more than MAX_STEP in one
        step. A row whose derivatives are not finite stays where it is. Returns the NLL Hessian (made
        positive semi-definite) of the last step's start: near convergence, the final numbers' Hessian to
        within a step, for one Hessian fewer."""
        damping = torch.full((self.n_rows,), 1e-3, dtype=torch.float64, device=mean.device)
        identity = torch.eye(len(self.slots), dtype=torch.float64, device=mean.device)
        for _ in range(steps):
            nll, gradient, hessian = self.derivatives()
            finite = torch.isfinite(nll) & torch.isfinite(gradient).all(1) & torch.isfinite(hessian).all(2).all(1)
            hessian = _positive_semidefinite(torch.where(finite[:, None, None], hessian, 0.0))
            gradient = torch.where(finite[:, None], gradient, 0.0)
            values = self.values()
            objective = nll + 0.5 * (precision * (values - mean) ** 2).sum(1)
            system = hessian + torch.diag_embed(precision.expand_as(values)) + damping[:, None, None] * identity
            slope = gradient + precision * (values - mean)
            step = torch.linalg.solve(system, slope[..., None])[..., 0]
            if tolerance is not None and float((0.5 * (slope * step).sum(1)).max()) < tolerance:
                break
            step = step * (MAX_STEP / step.abs().amax(1, keepdim=True).clamp(min=MAX_STEP))
            self.set_values(values - step)
            trial = self.nll()
            better = finite & torch.isfinite(trial)
            better &= trial + 0.5 * (precision * (values - step - mean) ** 2).sum(1) <= objective
            self.set_values(torch.where(better[:, None], values - step, values))
            damping = torch.where(better, damping / 3, damping * 10).clamp(1e-6, 1e6)
        return hessian

    def minimise(
        self,
        max_evaluations: int = 400,
        tolerance: float = TOLERANCE,
        prior_sd: float | None = None,
        log: Callable[[str], None] | None = None,
        description: str = "Refit",
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Minimise every row's NLL by L-BFGS run per row, until each row has converged (its next step
        promises less than `tolerance` nats and its gradient is below GRADIENT_TOLERANCE, or not even a
        steepest-descent step lowers its NLL) or
        `max_evaluations` batched evaluations (NLL and gradient of all rows) have been made. Each evaluation
        tries every unconverged row's next point: a row whose point lowers its NLL enough (Armijo) takes it
        and its next direction; one whose point does not backtracks along its direction. A row whose NLL is
        not finite at the start stays where it is. prior_sd: every number that acts on a row (`active`) gets
        a normal prior with mean 0 and this spread, and each row's NLL + sum theta^2 / (2 prior_sd^2) is
        minimised instead (maximum a posteriori). Leaves each row at its best point; returns the rows' NLL
        there (without the prior's penalty) and whether they converged. Progress as `progress.Progress` shows it."""
        values = self.values()
        n_rows, n_slots = values.shape
        precision = self.prior_precision(prior_sd)

        def objective(rows: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
            """(the loss: NLL + the prior's penalty, its gradient, the NLL alone) at the numbers set now."""
            nll, gradient = self.nll_and_gradient(rows)
            return nll + self.prior_penalty(prior_sd), gradient + precision * self.values(), nll

        self.set_values(values)
        loss, gradient, nll = objective()
        settled = ~(torch.isfinite(loss) & torch.isfinite(gradient).all(1))
        gradient = torch.where(settled[:, None], 0.0, gradient)
        steps = torch.zeros(n_rows, HISTORY, n_slots, dtype=torch.float64, device=values.device)
        changes = torch.zeros_like(steps)  # gradient changes
        stored = torch.zeros(n_rows, HISTORY, dtype=torch.bool, device=values.device)  # newest last
        direction = self._direction(gradient, steps, changes, stored)
        length = torch.full((n_rows,), FIRST_STEP / MAX_QUASI_NEWTON_STEP, dtype=torch.float64, device=values.device)
        converged = settled.clone()
        with Progress(max_evaluations, "evaluations", log, description, total_is_bound=True) as progress:
            for _ in range(max_evaluations):
                slope = (gradient * direction).sum(1)  # < 0: a descent direction
                converged |= (-slope / 2 < tolerance) & (gradient.abs().amax(1) < GRADIENT_TOLERANCE)
                if bool(converged.all()):
                    break
                moving = ~converged
                trial = values + torch.where(moving[:, None], length[:, None] * direction, 0.0)
                self.set_values(trial)
                trial_loss, trial_gradient, trial_nll = objective(moving)
                finite = torch.isfinite(trial_loss) & torch.isfinite(trial_gradient).all(1)
                accept = moving & finite & (trial_loss <= loss + SUFFICIENT_DECREASE * length * slope)
                # Taken steps add a curvature pair (where the curvature is positive, as BFGS needs).
                step, change = trial - values, trial_gradient - gradient
                curvature = (step * change).sum(1)
                keep = accept & (curvature > 1e-10 * step.norm(dim=1) * change.norm(dim=1))
                steps = torch.where(keep[:, None, None], torch.cat([steps[:, 1:], step[:, None]], 1), steps)
                changes = torch.where(keep[:, None, None], torch.cat([changes[:, 1:], change[:, None]], 1), changes)
                stored = torch.where(keep[:, None], torch.cat([stored[:, 1:], keep[:, None]], 1), stored)
                values = torch.where(accept[:, None], trial, values)
                loss = torch.where(accept, trial_loss, loss)
                nll = torch.where(accept, trial_nll, nll)
                gradient = torch.where(accept[:, None], trial_gradient, gradient)
                # Rejected: backtrack to the minimum of the quadratic through the two losses and the slope,
                # within [0.1, 0.5] of the last length (a tenth where the loss was not finite).
                backtrack = -slope * length**2 / (2 * (trial_loss - loss - slope * length))
                backtrack = torch.where(finite, backtrack.clamp(0.1 * length, 0.5 * length), 0.1 * length)
                length = torch.where(accept, 1.0, torch.where(moving, backtrack, length))
                # A row that cannot lower its NLL along its direction starts again from steepest descent
                # without its curvature pairs (at a kink of a clamped module they can point nowhere); one
                # that cannot along steepest descent either is as good as it gets.
                stuck = moving & ~accept & (length * direction.abs().amax(1) < 1e-7)
                converged |= stuck & ~stored.any(1)
                restart = stuck & stored.any(1)
                stored = stored & ~restart[:, None]
                length = torch.where(restart, FIRST_STEP / MAX_QUASI_NEWTON_STEP, length)
                new_direction = self._direction(gradient, steps, changes, stored)
                direction = torch.where((accept | restart)[:, None], new_direction, direction)
                progress.advance(1, f"{int(converged.sum())} of {n_rows} converged")
        self.set_values(values)
        if log is not None and not converged.all():
            log(
                f"{description}: {int((~converged).sum())} of {n_rows} fits had not converged after {max_evaluations} "
                f"evaluations; they are used where they stopped."
            )
        return nll, converged

    @staticmethod
    def _direction(gradient, steps, changes, stored) -> torch.Tensor:
        """Each row's L-BFGS direction from its curvature pairs (the two-loop recursion, newest pair last),
        scaled so that no number moves by more than MAX_QUASI_NEWTON_STEP; steepest descent for a row
        without pairs."""
        curvature = (steps * changes).sum(2)
        rho = torch.where(stored, 1.0 / torch.where(stored, curvature, 1.0), 0.0)
        q = gradient.clone()
        alphas = []
        for i in reversed(range(steps.shape[1])):
            alpha = rho[:, i] * (steps[:, i] * q).sum(1)
            q = q - alpha[:, None] * changes[:, i]
            alphas.append(alpha)
        newest = stored[:, -1]
        scale = torch.where(newest, curvature[:, -1] / (changes[:, -1] ** 2).sum(1).clamp(min=1e-300), 1.0)
        r = scale[:, None] * q
        for i, alpha in zip(range(steps.shape[1]), reversed(alphas)):
            beta = rho[:, i] * (changes[:, i] * r).sum(1)
            r = r + (alpha - beta)[:, None] * steps[:, i]
        direction = -r
        # A pair that broke the descent property (rounding): fall back to steepest descent.
        direction = torch.where(((direction * gradient).sum(1) < 0)[:, None], direction, -gradient)
        largest = direction.abs().amax(1, keepdim=True)
        return direction * (MAX_QUASI_NEWTON_STEP / largest.clamp(min=MAX_QUASI_NEWTON_STEP))

    def prior_table(self, mean: np.ndarray, sd: np.ndarray) -> pd.DataFrame:
        rows = [
            {"module": module, "term": term, "mean": float(m), "sd": float(d)}
            for (_, _, module, term), m, d in zip(self.slots, mean, sd)
        ]
        return pd.DataFrame(rows, columns=["module", "term", "mean", "sd"])
