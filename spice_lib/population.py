"""Sharing strength across participants: an empirical-Bayes refit of the equation model.

With a few hundred choices a participant, a per-participant maximum-likelihood fit of the equations
overfits: coefficients that the data barely constrain wander far, and held-out choices are predicted worse
than by a simpler model. Participants of one study are alike, so each participant's number is given a
prior: a normal distribution over the population, one per term of each module and per beta, whose mean and
spread are estimated from the participants themselves (empirical Bayes). A participant with little
information about a term is pulled towards the population's value; one whose choices say otherwise keeps
their own.

Every participant gets the same structure (the population's), so that a term means the same thing for all
and its spread can be estimated. The prior's means and spreads are found by expectation-maximisation under
Laplace's approximation, as Huys et al. (2011, PLoS Comput Biol 7: e1002028) do for reinforcement-learning
models:
- E-step: every participant's maximum a posteriori numbers under the current prior, by damped Newton steps
  on each participant apart (the Hessian H_p of their NLL comes from a few Hessian-vector products for all
  participants at once), and their posterior covariance (H_p + diag(1/sd^2))^-1;
- M-step: mean = the participants' mean, sd^2 = the mean of (theta - mean)^2 plus the posterior variance;
until the prior stops moving. The whole Hessian matters, not its diagonal: numbers that trade against each
other (a learning rate and a forgetting rate) are each precise along an axis but not along the ridge between
them, and the diagonal would credit the data with information they do not have, leaving the prior too wide
to shrink anything. A spread can shrink to nothing (MIN_SPREAD): the population then shares that number,
which is what the data support.

The integrated BIC (Huys et al. 2012, Biol Psychiatry 72: 106) scores a structure: -2 x the Laplace log
evidence of every participant's choices, sum_p [NLL_p + sum_j (theta_pj - mean_j)^2 / (2 sd_j^2)
+ 1/2 ln det(I + S H_p S)] with S = diag(sd), + 2 (a mean and a spread) x the numbers x ln(the number of
predicted trials).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from spice_lib.equations import EquationSet, equation_model, model_equations
from spice_lib.models import WEINHARDT_2024_CHOICE_TRACE
from spice_lib.participant_numbers import ParticipantNumbers
from spice_lib.rnn import BaseRNN
from spice_lib.term_selection import current_support
from spice_lib.trace_orientation import mirrored_traces, orient_choice_trace, unoriented_traces
from spice_lib.xs_layout import has_next_choice

# A population prior's mean and spread are estimated from the participants: with fewer than this many, the
# spread is mostly noise and would pin participants to one another.
MIN_PARTICIPANTS = 5

# The smallest population spread: narrower than this, every participant has the population's value.
MIN_SPREAD = 1e-3

# The prior of the first, per-participant fit: wide enough to leave every number where its own data put it,
# and a bound on those the data say nothing about.
WIDE_SPREAD = 100.0

# An E-step's Newton steps stop where every participant's next step promises less than this (nats).
NEWTON_TOLERANCE = 1e-3

# The structure search's passes (each: every add, then every removal) at most; it stops after a pass that
# keeps nothing.
MAX_PASSES = 3

# EM stops when a round lowers the participants' summed -log evidence by less than this (nats).
EVIDENCE_TOLERANCE = 0.5

# A number whose participants' NLL curves less than this on average (nats per unit^2) at a fit says nothing
# there (the beta of a choice trace without terms, which is 0): a fit started from that one starts it anew.
IDLE_INFORMATION = 1e-6


@dataclass
class PopulationFit:
    """The result of `share_strength`: the refitted equation model, its population prior (a table with
    module, term, mean and sd, one row per term of each module and per beta, module 'beta' for the betas),
    the integrated BIC, the number of EM rounds run, for each row of the prior what setting that number
    to 0 for every participant would cost, estimated (`removal_cost`), and how much the participants' choices
    say about it (`information`: the mean over participants of their NLL's curvature in it)."""

    model: BaseRNN
    prior: pd.DataFrame
    integrated_bic: float
    rounds: int
    removal_cost: np.ndarray
    information: np.ndarray


def term_shares(support: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Which share of the participants has each term: module -> (n_terms,), from `support` (module ->
    (n_participants, n_terms) of 0/1)."""
    return {name: terms.mean(0) for name, terms in support.items()}


def choose_structure(
    model: BaseRNN,
    xs: torch.Tensor,
    ys: torch.Tensor,
    log: Callable[[str], None] = print,
) -> tuple[PopulationFit, pd.DataFrame]:
    """The population's structure, chosen by integrated BIC, and its empirical-Bayes fit.

    The per-participant structures of `model` (after term selection) are votes: terms are ordered by the
    share of participants that chose them. The search starts from the terms a majority chose, then tries
    adding each other term that someone chose, most chosen first, and then removing each term, least chosen
    first; a change is kept when it lowers the integrated BIC. An add that is not kept is tried once more as
    a swap, without the term its fit made cheapest to lose (`_cheapest_to_remove`): one switch at a time
    cannot trade a mimic for the mechanism it stands in for. The passes of adds and removals repeat until
    one keeps nothing (at most MAX_PASSES); a structure is fitted once. Every structure tried is fitted to
    convergence by `share_strength`, and an added term from two starts, keeping the better
    (`_try_both_starts`).
    A search that ends on the mirror image of AgentQ's choice trace is written in AgentQ's orientation
    (`orient_population`).
    Returns the best fit and a table of the structures tried: step, change ('start', 'add', 'swap',
    'remove' or 'orient'), module, term (added or removed), removed (a swap's removed term, as
    'module: term'), share, integrated_bic, kept.
    """
    shares = term_shares(current_support(model))
    equations = model_equations(model)
    names = {name: equation.term_names for name, equation in equations.modules.items()}
    order = sorted(
        (
            (float(share), name, term)
            for name, values in shares.items()
            for term, share in enumerate(values)
            if share > 0
        ),
        key=lambda entry: -entry[0],
    )
    structure = {name: (values >= 0.5).astype(float) for name, values in shares.items()}
    best = share_strength(model, xs, ys, structure, log=log)
    tried = {_key(structure)}
    steps = [{"step": 0, "change": "start", "module": "", "term": "terms most participants chose", "removed": "",
              "share": 0.5, "integrated_bic": best.integrated_bic, "kept": True}]  # fmt: skip

    def try_switch(change: str, share: float, name: str, term: int) -> None:
        nonlocal best, structure
        candidate = {module: values.copy() for module, values in structure.items()}
        candidate[name][term] = 1.0 if change == "add" else 0.0
        # Judged against a best that has only improved since; a structure that drifts is no candidate.
        if _key(candidate) in tried or _drifts(candidate, equations):
            return
        if change == "add":
            fit = _try_both_starts(model, best, xs, ys, candidate)
        else:
            fit = share_strength(best.model, xs, ys, candidate, log=lambda _: None, start=best)
        kept = record(change, share, name, term, candidate, fit)
        if kept:
            best, structure = fit, candidate
        elif change == "add":
            # A term can pay only without another that stood in for it: forgetting the unchosen arm's value
            # towards a low one mimics a choice trace's memory. Beside the mimic the memory does not pay,
            # and without the memory, removing the mimic loses what it explained. Tried: the add without the
            # number it made cheapest to lose.
            cheapest = _cheapest_to_remove(fit, exclude=(name, names[name][term]))
            if cheapest is None:
                return
            out_name, out_term = cheapest
            swapped = {module: values.copy() for module, values in candidate.items()}
            swapped[out_name][names[out_name].index(out_term)] = 0.0
            if _key(swapped) in tried or _drifts(swapped, equations):
                return
            fit = share_strength(fit.model, xs, ys, swapped, log=lambda _: None, start=fit)
            if record("swap", share, name, term, swapped, fit, removed=f"{out_name}: {out_term}"):
                best, structure = fit, swapped

    def record(change, share, name, term, tried_structure, fit, removed="") -> bool:
        tried.add(_key(tried_structure))
        kept = fit.integrated_bic < best.integrated_bic
        steps.append({"step": len(steps), "change": change, "module": name, "term": names[name][term], "removed": removed,
                      "share": share, "integrated_bic": fit.integrated_bic, "kept": kept})  # fmt: skip
        instead = f" for {removed}" if removed else ""
        log(
            f"Population structure: {change} {name}: {names[name][term]} (chosen by {share:.0%}){instead}: integrated "
            f"BIC {best.integrated_bic:.1f} -> {fit.integrated_bic:.1f}, {'kept' if kept else 'not kept'}"
        )
        return kept

    # Passes until one keeps nothing: a term that did not pay beside another can pay once a later change
    # has taken that one out.
    for _ in range(MAX_PASSES):
        start = len(steps)
        for share, name, term in order:
            if not structure[name][term]:
                try_switch("add", share, name, term)
        for share, name, term in reversed(order):
            if structure[name][term]:
                try_switch("remove", share, name, term)
        if not any(step["kept"] for step in steps[start:]):
            break
    oriented = orient_population(best, xs, ys, log=log)
    if oriented is not best:
        steps.append({"step": len(steps), "change": "orient", "module": "", "term": "choice trace as AgentQ writes it",
                      "removed": "", "share": np.nan, "integrated_bic": oriented.integrated_bic, "kept": True})  # fmt: skip
        best = oriented
    log(f"Population structure chosen: {len(best.prior)} numbers, integrated BIC {best.integrated_bic:.1f}")
    return best, pd.DataFrame(steps)


def orient_population(fit: PopulationFit, xs, ys, log: Callable[[str], None] = print) -> PopulationFit:
    """`fit` with its choice trace written in AgentQ's orientation where the population's structure ended on
    its mirror image, fitted again; `fit` itself where no participant's trace is mirrored.

    The structure search, like a participant's (trace_orientation.orient_keeping_terms), can end on the
    mirror image because it is a term cheaper: the chosen arm's trace reset to 0 (its equation without
    terms) and the others' raised by a constant, against AgentQ's 1 and a reset to 0. With one structure for
    everyone, every participant whose trace is mirrored or spans nothing (for whom both forms are the same
    choices) is rewritten, the structure becomes the terms that gives (the union over participants), and the
    population is fitted again from the rewritten numbers. Not searched again: a search would flip it back."""
    equations = model_equations(fit.model)
    mirrored = mirrored_traces(equations)
    if not mirrored.any():
        return fit
    which = unoriented_traces(equations)
    oriented, _ = orient_choice_trace(equations, which=which)
    support = current_support(fit.model)
    for name in WEINHARDT_2024_CHOICE_TRACE[1:]:  # the rewrite touches the trace's modules only
        support[name][which] = oriented.modules[name].coefficients[which] != 0
    structure = {name: terms.max(0) for name, terms in support.items()}
    refitted = share_strength(equation_model(fit.model, oriented), xs, ys, structure, log=lambda _: None)
    log(
        f"Population structure: the choice trace ended mirrored for {int(mirrored.sum())} participant(s) "
        f"(the mirror image can be a term cheaper): written as AgentQ writes it for {int(which.sum())}, with the terms "
        f"that gives, and fitted again: integrated BIC {fit.integrated_bic:.1f} -> {refitted.integrated_bic:.1f}"
    )
    return refitted


def _drifts(structure: dict[str, np.ndarray], equations: EquationSet) -> bool:
    """Whether a population structure makes an equation drift with no fixed point whatever its numbers
    (`ModuleEquation.drifts`): no such structure is tried."""
    return any(equations.modules[name].drifts(terms[None])[0] for name, terms in structure.items())


def _key(structure: dict[str, np.ndarray]) -> tuple:
    """A structure (module -> (n_terms,) of 0/1) as a hashable key."""
    return tuple((name, tuple(np.asarray(terms) > 0)) for name, terms in sorted(structure.items()))


def _cheapest_to_remove(fit: PopulationFit, exclude: tuple[str, str]) -> tuple[str, str] | None:
    """(module, term) of the term of `fit`'s structure, other than `exclude`, whose removal costs least by
    `removal_cost`; None if there is none (betas are not terms)."""
    terms = fit.prior.assign(cost=fit.removal_cost)
    terms = terms[(terms["module"] != "beta") & ~((terms["module"] == exclude[0]) & (terms["term"] == exclude[1]))]
    if terms.empty:
        return None
    cheapest = terms.loc[terms["cost"].idxmin()]
    return str(cheapest["module"]), str(cheapest["term"])


def _try_both_starts(votes: BaseRNN, current: PopulationFit, xs, ys, candidate) -> PopulationFit:
    """The fit of `candidate`, the structure of `current` with one term added, from two starts, the one with
    the lower integrated BIC. Both start at `current` (its participants' numbers and its prior), the new term
    at the mean of the participants of `votes` who chose it, and at 0. From 0 the larger structure starts
    next to where the smaller one ended; from a value some participants chose it can be better (a
    learning rate and the beta weighing the values it moves do not move each other from 0) or much worse (a
    constant drift that takes the value to its bound, where it has no gradient: on a simulated population
    of 143, an integrated BIC 4,000 higher)."""
    from_votes = share_strength(current.model, xs, ys, candidate, log=lambda _: None, reference=votes, start=current)
    # No participant of the current fit has the term (they all have the population's structure): at 0.
    from_zero = share_strength(current.model, xs, ys, candidate, log=lambda _: None, reference=current.model, start=current)
    return min(from_votes, from_zero, key=lambda fit: fit.integrated_bic)


def share_strength(
    model: BaseRNN,
    xs: torch.Tensor,
    ys: torch.Tensor,
    structure: dict[str, np.ndarray],
    max_rounds: int = 30,
    tolerance: float = 1e-2,
    newton_steps: int = 10,
    log: Callable[[str], None] = print,
    reference: BaseRNN | None = None,
    start: PopulationFit | None = None,
) -> PopulationFit:
    """Empirical-Bayes refit of an equation model (made by `equation_model`, usually refitted per
    participant first) with every participant given `structure` (module -> (n_terms,) of 0/1; a term new
    to a participant starts at the mean of the participants of `reference`, default `model`, that have it;
    at 0 if none has): expectation-maximisation as the module docstring says, each E-step Newton's method
    until every participant is at their posterior mode (NEWTON_TOLERANCE) or `newton_steps`, until no prior
    mean moves by more than `tolerance` of its spread and no spread by more than `tolerance` of itself, or a
    round lowers the summed -log evidence by less than EVIDENCE_TOLERANCE, or `max_rounds`. Two steps an
    E-step, as an earlier version took, left participants short of their modes and the prior and the
    integrated BIC with them: on the default study's population (seed 1), the generating structure scored
    28,676 started at the participants' own equations, against 26,585 started at the truth.

    EM starts from `start`, the fit that `model` comes from, where one is given: its prior for every number
    it has and its choices inform (`information`), and the participants' numbers where that fit left them.
    The other numbers (a term new to the structure, a beta that weighed nothing there) start from each
    participant's own maximum-likelihood value given the rest, and their prior from the scatter of those.
    Without `start`, every number starts that way. Why start at the fit a structure changes: EM moves a
    spread slowly where few participants' choices inform the number (their posterior is their prior, which
    holds the spread where it is), and a restart of every number lets some wander where a clamped module
    passes no gradient. On the Sugawara example, restarted every time, the structure with a learning rate
    and a choice trace stopped 417 above the one without the learning rate, which it contains (its
    integrated BIC can exceed that one's by at most one number's 2 ln n at their optima), and the search
    dropped reward learning (docs/validation.md, section 6). `model` is left as it was."""
    device = next(model.parameters()).device
    xs, ys = xs.to(device), ys.to(device)
    n_participants = len(model.equations.participant_ids)
    support = {name: np.tile(np.asarray(terms, dtype=float), (n_participants, 1)) for name, terms in structure.items()}
    reference = model if reference is None else reference
    started = _new_terms_started(model_equations(model), current_support(model), model_equations(reference), current_support(reference), support)
    shared = equation_model(model, started, support)
    n_predicted = float(has_next_choice(ys).sum())
    numbers = ParticipantNumbers(shared, xs, ys)
    mean, variance, known = _starting_prior(numbers, start)
    if not known.all():
        # The participants' own maximum-likelihood values start the prior of the numbers `start` does not
        # give: a term new to the structure starts at 0 for everyone, and a prior centred there with no
        # spread would hold it there.
        precision = torch.where(known, 1.0 / variance, WIDE_SPREAD**-2)
        numbers.newton(torch.where(known, mean, 0.0), precision, 3 * newton_steps, NEWTON_TOLERANCE)
        values = numbers.values()
        mean = torch.where(known, mean, values.mean(0))
        variance = torch.where(known, variance, values.var(0, unbiased=False).clamp(min=MIN_SPREAD**2))
    rounds, previous = 0, math.inf
    while rounds < max_rounds:
        rounds += 1
        hessian = numbers.newton(mean, 1.0 / variance, newton_steps, NEWTON_TOLERANCE)
        values = numbers.values()
        # EM's steps shrink slowly where a spread is barely identified, long after the score has settled:
        # stop when a round no longer lowers the participants' evidence under the prior just used.
        evidence = float(_laplace_evidence(numbers.nll(), numbers.values(), hessian, mean, variance).sum())
        posterior = _posterior_covariance(hessian, variance)
        new_mean = values.mean(0)
        new_variance = (
            (((values - new_mean) ** 2) + torch.diagonal(posterior, dim1=-2, dim2=-1)).mean(0).clamp(min=MIN_SPREAD**2)
        )
        moved = max(
            float(((new_mean - mean).abs() / variance.sqrt()).max()),
            float(((new_variance / variance).sqrt() - 1).abs().max()),
        )
        mean, variance = new_mean, new_variance
        if moved < tolerance or previous - evidence < EVIDENCE_TOLERANCE:
            break
        previous = evidence
    hessian = numbers.newton(mean, 1.0 / variance, newton_steps, NEWTON_TOLERANCE)
    nll = numbers.nll()
    evidence = _laplace_evidence(nll, numbers.values(), hessian, mean, variance)
    integrated_bic = float(2 * evidence.sum() + 2 * len(numbers.slots) * math.log(max(n_predicted, 1.0)))
    log(
        f"Sharing strength: {n_participants} participants, {len(numbers.slots)} population numbers, {rounds} EM round(s); "
        f"NLL per trial {float(nll.sum()) / n_predicted:.5f}, integrated BIC {integrated_bic:.1f}"
    )
    prior = numbers.prior_table(mean.cpu().numpy(), variance.sqrt().cpu().numpy())
    removal_cost = _removal_cost(numbers.values(), _posterior_covariance(hessian, variance))
    information = torch.diagonal(hessian, dim1=-2, dim2=-1).mean(0).cpu().numpy()
    return PopulationFit(shared, prior, integrated_bic, rounds, removal_cost, information)


def _starting_prior(numbers: ParticipantNumbers, start: PopulationFit | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The prior's mean and variance (n_slots,) that `start` gives each of `numbers`' slots, and which it
    gives (bool): those of its prior that the choices inform there (IDLE_INFORMATION)."""
    n_slots = len(numbers.slots)
    device = numbers.xs.device
    mean = torch.zeros(n_slots, dtype=torch.float64, device=device)
    variance = torch.ones(n_slots, dtype=torch.float64, device=device)
    known = torch.zeros(n_slots, dtype=torch.bool, device=device)
    if start is None:
        return mean, variance, known
    rows = {
        (module, term): (m, sd)
        for module, term, m, sd, information in zip(
            start.prior["module"], start.prior["term"], start.prior["mean"], start.prior["sd"], start.information
        )
        if information > IDLE_INFORMATION
    }
    for slot, (_, _, module, term) in enumerate(numbers.slots):
        if (module, term) in rows:
            m, sd = rows[module, term]
            mean[slot], variance[slot], known[slot] = m, sd**2, True
    return mean, variance, known


def _posterior_covariance(hessian: torch.Tensor, variance: torch.Tensor) -> torch.Tensor:
    """Each participant's posterior covariance in the Laplace approximation: the inverse of their NLL's
    Hessian (participants, n, n) plus the prior's precision (1 / `variance`, (n,))."""
    return torch.linalg.inv(hessian + torch.diag_embed((1.0 / variance).expand(hessian.shape[:-1])))


def _removal_cost(values: torch.Tensor, posterior: torch.Tensor) -> np.ndarray:
    """What pinning each number at 0 for every participant costs, summed over participants (nats of -log
    posterior), in the posterior's quadratic approximation: theta_j^2 / (2 [posterior covariance]_jj) a
    participant, with their other numbers moving to make up for it (the saliency of Hassibi & Stork's
    "optimal brain surgeon", 1993). An estimate for ranking terms, not a score: the real refit decides."""
    variances = torch.diagonal(posterior, dim1=-2, dim2=-1).clamp(min=1e-12)
    return (values**2 / (2 * variances)).sum(0).cpu().numpy()


def _laplace_evidence(nll, values, hessian, mean, variance) -> torch.Tensor:
    """Each participant's -log evidence under the prior (mean, variance), by Laplace's approximation at
    their numbers `values` (their posterior mode after an E-step), with `nll` and `hessian` their NLL and
    its Hessian there."""
    spread = variance.sqrt()
    scaled = spread[None, :, None] * hessian * spread[None, None, :]
    volume = torch.logdet(torch.eye(len(spread), dtype=scaled.dtype, device=scaled.device) + scaled)
    return nll + (((values - mean) ** 2) / (2 * variance)).sum(1) + 0.5 * volume


def _new_terms_started(equations, support, reference, reference_support, structure) -> EquationSet:
    """`equations` with every term that `structure` (module -> (n_participants, n_terms) of 0/1) gives a
    participant who lacks it (by `support`) started at the mean of `reference`'s participants that have it
    (by `reference_support`), or 0 where none has. Started at 0, two numbers that act only together sit at
    a saddle: a learning rate of 0 leaves the values where the inverse temperature weighs them, so neither
    number's gradient moves it, and the Newton steps stay there. Its integrated BIC would then judge the
    term on a fit that never used it (on real data, a population without reward learning); `choose_structure`
    tries both starts."""
    modules = {}
    for name, equation in equations.modules.items():
        has = reference_support[name] > 0
        count = has.sum(0)
        mean = np.where(count > 0, (reference.modules[name].coefficients * has).sum(0) / np.maximum(count, 1), 0.0)
        new = (structure[name] > 0) & ~(support[name] > 0)
        coefficients = equation.coefficients.copy()
        coefficients[new] = np.broadcast_to(mean, coefficients.shape)[new]
        modules[name] = equation.with_coefficients(coefficients)
    return EquationSet(modules, equations.betas, equations.participant_ids)
