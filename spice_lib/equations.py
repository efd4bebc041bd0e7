"""Distilled equations: their data (`EquationSet`), their batched evaluation and Parquet files (notation.py
writes them for a reader).

Each module's equation is a polynomial in its variables (own value, library signals...), with one
coefficient row per participant (see `ModuleEquation` for the exact form). The equation model gathers each
session's row by participant index, so it runs as a handful of tensor operations per trial for all
participants at once.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from spice_lib.rnn import ACTIVATION_RANGES, BaseRNN, ParticipantScale
from spice_lib.trials_io import read_table, write_table


@dataclass
class ModuleEquation:
    """One module's equations, one coefficient row per participant p:

        x[k+1] = center + sum_j coefficients[p, j] (x[k] - center)^powers[j, 0] prod_i>0 v_i[k]^powers[j, i]

    or, for an `incremental` module, the same polynomial plus (x[k] - center): its coefficients are the
    change x[k+1] - x[k], so that a value the trial leaves alone is the empty equation.

    variables: the module's own value x first, then its library signals v_i. center: the value x starts a
    session from (its init value). bounds: (low, high) the equation's value is clipped to: what the module's
    activation allows (a sigmoid: a rate or a choice value in [0, 1]), as the network's was, or, for a module
    without one, the range of values the network produced widened by its width on either side; either way an
    equation cannot run off where the data did not take the network. SINDy fits and thresholds
    `coefficients` in this centred form, so that
    "x drifts back to where it started" is the sparse equation and "drifts towards somewhere else" costs a
    term. `incremental` does the same for a value the trial leaves alone unless a mechanism acts on it (the
    not-chosen arm's): fitted and thresholded as the change, "the value stays" costs no term, forgetting back
    to the start one and forgetting towards somewhere else two (see `SpiceConfig.incremental_modules`).
    `activation_bounds`: whether the bounds are the activation's (a limit of the mechanism) rather than the
    widened range (a guard against running off); see `unstable`.
    `expanded_coefficients` gives the same equation as a plain polynomial in x, as printed.
    """

    variables: list[str]
    powers: np.ndarray
    coefficients: np.ndarray
    center: float = 0.0
    bounds: tuple[float, float] | None = None
    incremental: bool = False
    activation_bounds: bool = False

    def __post_init__(self):
        self.powers = np.asarray(self.powers, dtype=np.int64).reshape(-1, len(self.variables))
        self.coefficients = np.asarray(self.coefficients, dtype=np.float64).reshape(-1, len(self.powers))
        self.center = float(self.center)
        self.bounds = None if self.bounds is None else (float(self.bounds[0]), float(self.bounds[1]))
        self.incremental = bool(self.incremental)
        self.activation_bounds = bool(self.activation_bounds)

    def with_coefficients(self, coefficients) -> ModuleEquation:
        """The same equation (variables, powers, center, bounds, form) with other coefficient rows."""
        return dataclasses.replace(self, coefficients=coefficients)

    @property
    def carried(self) -> np.ndarray:
        """(n_terms,): what the form adds to the coefficients: 1 on the own value's linear term of an
        incremental module (x[k+1] = x[k] + ...), else 0."""
        carried = np.zeros(len(self.powers))
        if self.incremental and self.own_value_term is not None:
            carried[self.own_value_term] = 1.0
        return carried

    @property
    def own_value_term(self) -> int | None:
        """Index of the term that is the own value alone (its linear term); None in a library without it."""
        found = np.flatnonzero((self.powers == np.eye(len(self.variables), dtype=np.int64)[0]).all(1))
        return int(found[0]) if len(found) else None

    def drifts(self, support: np.ndarray) -> np.ndarray:
        """(n_participants,) bool: which participants' equations, with the terms `support` gives them
        ((n_participants, n_terms) 0/1), drift with no fixed point whatever their numbers: an incremental
        equation whose change has terms free of its own value (a constant, a signal) but not the own value's
        linear term moves the value by the same step from wherever it is. Only where the bounds are a guard
        (see `unstable`)."""
        support = np.asarray(support) > 0
        if not self.incremental or self.activation_bounds:
            return np.zeros(len(support), dtype=bool)
        has_own_value = support[:, self.own_value_term] if self.own_value_term is not None else False
        return support[:, self.powers[:, 0] == 0].any(1) & ~has_own_value

    def unstable(self) -> np.ndarray:
        """(n_participants,) bool: which participants' equations, iterated on a value that nothing else
        moves, carry it away from every value rather than towards one: their own value's multiplier m
        (x[k+1] - center = m (x[k] - center) + terms free of x) is above 1 or at or below -1, or it is 1 beside
        terms free of x (a drift with no fixed point). Fitted to the trials the network visited, such an
        equation can score as well as a stable one, but on new trials it runs the value to its bounds. Where
        the bounds are the activation's, that edge is a limit of the mechanism (a choice trace stepped to 1 is
        set there, as a trace without memory is): never unstable. Where they are a guard (the network's range
        widened), a value that reaches them stops learning. The linear own-value term decides; a product of
        the own value and a signal is not weighed."""
        if self.activation_bounds:
            return np.zeros(len(self.coefficients), dtype=bool)
        own = self.own_value_term
        multiplier = self.centred_coefficients()[:, own] if own is not None else np.zeros(len(self.coefficients))
        free = (self.coefficients[:, self.powers[:, 0] == 0] != 0).any(1)
        return (multiplier > 1) | (multiplier <= -1) | ((multiplier == 1) & free)

    def centred_coefficients(self) -> np.ndarray:
        """(n_participants, n_terms): the polynomial in the centred own value that gives x[k+1] - center."""
        return self.coefficients + self.carried

    @property
    def term_names(self) -> list[str]:
        """pysindy-style names of the plain polynomial's terms: '1', 'x[k]', 'x[k]^2', 'x[k] c_reward[k]'."""
        names = []
        for row in self.powers:
            factors = [f"{v}[k]" + (f"^{p}" if p > 1 else "") for v, p in zip(self.variables, row) if p > 0]
            names.append(" ".join(factors) if factors else "1")
        return names

    def expanded_coefficients(self) -> np.ndarray:
        """(n_participants, n_terms): the equation as a plain polynomial in the variables (binomial expansion
        of the centred own value; the powers of a full polynomial library are closed under it)."""
        if self.center == 0.0:
            return self.centred_coefficients()
        index = {tuple(row): j for j, row in enumerate(self.powers)}
        expansion = np.zeros((len(self.powers), len(self.powers)))  # centred term j -> plain term
        for j, row in enumerate(self.powers):
            for q in range(row[0] + 1):
                plain = index[(q, *row[1:])]
                expansion[j, plain] += math.comb(int(row[0]), q) * (-self.center) ** (row[0] - q)
        expanded = self.centred_coefficients() @ expansion
        expanded[:, index[(0,) * len(self.variables)]] += self.center
        return expanded

    def coefficient(self, term: str, participant: int = 0) -> float:
        """The printed coefficient of a term (by name, e.g. '1' or 'c_reward[k]'); 0 if absent."""
        names = self.term_names
        return float(self.expanded_coefficients()[participant, names.index(term)]) if term in names else 0.0

    def value_at(self, participant: int = 0, **variables: float) -> float:
        """The equation's next value for one participant at a point; unnamed variables are 0."""
        point = np.array([[variables.get(name, 0.0) for name in self.variables]])
        return float(self.evaluate(point, np.array([participant]))[0])

    def evaluate(self, variables: np.ndarray, participant_index: np.ndarray) -> np.ndarray:
        """Reference evaluation in numpy: variables (n, n_variables), participant_index (n,) -> (n,)."""
        centred = variables - np.eye(len(self.variables))[0] * self.center
        features = np.prod(centred[:, None, :] ** self.powers[None], axis=-1)
        values = self.center + (features * self.centred_coefficients()[participant_index]).sum(-1)
        return values if self.bounds is None else np.clip(values, *self.bounds)


@dataclass
class TermInclusion:
    """How sure each term is, from `n_resamples` resamples of the data (inclusion.py computes it). Per module,
    (n_participants, n_terms) arrays in the module's term order: `inclusion` (the fraction of resamples
    keeping the term), `low` and `high` (a 90% interval of the printed coefficient). NaN for a participant
    who could not be resampled. Betas get no interval: a beta can trade off against the scale of the values
    it weighs (the choice trace's constant times beta_choice is what the choices identify), so its
    resampled spread can be near 0 while the product varies; the coefficients' intervals carry it."""

    n_resamples: int
    inclusion: dict[str, np.ndarray]
    low: dict[str, np.ndarray]
    high: dict[str, np.ndarray]

    def subset(self, rows) -> TermInclusion:
        """The participants at index `rows` (in that order)."""
        rows = np.asarray(rows)
        pick = lambda arrays: {name: values[rows] for name, values in arrays.items()}  # noqa: E731
        return TermInclusion(self.n_resamples, pick(self.inclusion), pick(self.low), pick(self.high))


@dataclass
class EquationSet:
    """Every distilled module's equations plus the betas, per participant (ids in index order), and, when
    the data were resampled, how sure each term is (`inclusion`)."""

    modules: dict[str, ModuleEquation]
    betas: dict[str, np.ndarray]
    participant_ids: list[str]
    inclusion: TermInclusion | None = None

    def __post_init__(self):
        self.betas = {k: np.asarray(v, dtype=np.float64).reshape(-1) for k, v in self.betas.items()}

    @property
    def n_participants(self) -> int:
        return len(self.participant_ids)

    def subset(self, rows) -> EquationSet:
        """The participants at index `rows` (in that order)."""
        rows = np.asarray(rows)
        modules = {name: e.with_coefficients(e.coefficients[rows]) for name, e in self.modules.items()}
        ids = [self.participant_ids[r] for r in rows]
        inclusion = None if self.inclusion is None else self.inclusion.subset(rows)
        return EquationSet(modules, {name: v[rows] for name, v in self.betas.items()}, ids, inclusion)

    def with_rows(self, rows, replacement: EquationSet) -> EquationSet:
        """A copy with the participants at index `rows` taken from `replacement` (in that order), without
        `inclusion` (it described the numbers replaced)."""
        rows = np.asarray(rows)
        modules = {}
        for name, e in self.modules.items():
            coefficients = e.coefficients.copy()
            coefficients[rows] = replacement.modules[name].coefficients
            modules[name] = e.with_coefficients(coefficients)
        betas = {}
        for name, values in self.betas.items():
            betas[name] = values.copy()
            betas[name][rows] = replacement.betas[name]
        return EquationSet(modules, betas, list(self.participant_ids))

    def n_parameters(self, participant: int) -> int:
        """Fitted non-zero coefficients plus betas of one participant (for the equation model's BIC)."""
        terms = sum(int(np.count_nonzero(e.coefficients[participant])) for e in self.modules.values())
        return terms + len(self.betas)

    def to_table(self) -> pd.DataFrame:
        """Long table: participant, kind ('term' or 'beta'), module, term, coefficient (of the printed plain
        polynomial) and centered_coefficient (as fitted, see ModuleEquation); zeros included. Then, from
        `inclusion` (NaN without it, and for betas): inclusion (the share of resamples that kept the term),
        coefficient_low and coefficient_high (a 90% interval of the coefficient)."""
        rows = []
        expanded = {name: equation.expanded_coefficients() for name, equation in self.modules.items()}
        resampled = self.inclusion
        for index, participant in enumerate(self.participant_ids):
            for name, equation in self.modules.items():
                for j, term in enumerate(equation.term_names):
                    certainty = (math.nan,) * 3
                    if resampled is not None:
                        certainty = tuple(float(getattr(resampled, part)[name][index, j]) for part in ("inclusion", "low", "high"))
                    rows.append(
                        (participant, "term", name, term, float(expanded[name][index, j]), float(equation.coefficients[index, j]))
                        + certainty
                    )
            for name, values in self.betas.items():
                rows.append((participant, "beta", name, "beta", float(values[index]), float(values[index])) + (math.nan,) * 3)
        columns = ["participant", "kind", "module", "term", "coefficient", "centered_coefficient", *CERTAINTY_COLUMNS]
        table = pd.DataFrame(rows, columns=columns)
        for column in ("participant", "kind", "module", "term"):
            table[column] = table[column].astype("string")
        return table

    def structure(self) -> dict:
        """What the table alone does not say: variables and powers of each module, participant order."""
        return {
            "participants": list(self.participant_ids),
            # A list, not a mapping: the metadata is written with sorted keys, and module order is kept.
            "modules": [
                {"name": name, "variables": list(e.variables), "powers": e.powers.tolist(), "center": e.center,
                 "bounds": None if e.bounds is None else list(e.bounds), "incremental": e.incremental,
                 "activation_bounds": e.activation_bounds}
                for name, e in self.modules.items()
            ],
            "betas": list(self.betas),
            "n_resamples": None if self.inclusion is None else self.inclusion.n_resamples,
        }

    @classmethod
    def from_table(cls, table: pd.DataFrame, structure: dict) -> EquationSet:
        ids = list(structure["participants"])
        position = {p: i for i, p in enumerate(ids)}
        modules = {}
        for spec in structure["modules"]:
            name = spec["name"]
            zeros = np.zeros((len(ids), len(spec["powers"])))
            bounds = spec.get("bounds")
            # Tables written before the origin of the bounds was recorded: an activation's range is exact.
            activation_bounds = spec.get("activation_bounds", bounds is not None and tuple(bounds) in ACTIVATION_RANGES.values())
            equation = ModuleEquation(
                spec["variables"], spec["powers"], zeros, spec.get("center", 0.0), bounds, spec.get("incremental", False), activation_bounds
            )
            rows = table[(table["kind"] == "term") & (table["module"] == name)]
            term_index = {t: j for j, t in enumerate(equation.term_names)}
            for participant, term, coefficient in zip(rows["participant"], rows["term"], rows["centered_coefficient"]):
                equation.coefficients[position[participant], term_index[term]] = coefficient
            modules[name] = equation
        betas = {}
        for name in structure["betas"]:
            rows = table[(table["kind"] == "beta") & (table["module"] == name)]
            values = np.zeros(len(ids))
            values[[position[p] for p in rows["participant"]]] = rows["coefficient"].to_numpy()
            betas[name] = values
        inclusion = None
        if structure.get("n_resamples"):
            inclusion = _inclusion_from_table(table, structure["n_resamples"], modules, position)
        return cls(modules, betas, ids, inclusion)


# What the equations table says about how sure each coefficient is (see EquationSet.to_table).
CERTAINTY_COLUMNS = ("inclusion", "coefficient_low", "coefficient_high")


def _inclusion_from_table(table, n_resamples, modules, position) -> TermInclusion:
    n = len(position)
    parts = {column: {} for column in CERTAINTY_COLUMNS}
    for name, equation in modules.items():
        term_index = {t: j for j, t in enumerate(equation.term_names)}
        rows = table[(table["kind"] == "term") & (table["module"] == name)]
        rows_at = [position[p] for p in rows["participant"]], [term_index[t] for t in rows["term"]]
        for column in CERTAINTY_COLUMNS:
            values = np.full((n, len(term_index)), np.nan)
            values[rows_at] = rows[column].to_numpy(dtype=float)
            parts[column][name] = values
    return TermInclusion(int(n_resamples), parts["inclusion"], parts["coefficient_low"], parts["coefficient_high"])


def write_equations(path, equations: EquationSet, provenance: dict) -> None:
    """Save the equations table to Parquet; `provenance` (config, seed, versions, ...) joins the metadata."""
    write_table(path, equations.to_table(), {"equations": equations.structure(), **provenance})


def read_equations(path) -> tuple[EquationSet, dict]:
    """Load an equations table written by `write_equations`: the EquationSet and the file's metadata."""
    table, metadata = read_table(path)
    if "equations" not in metadata:
        raise ValueError(f"{path}: not an equations table (no 'equations' metadata)")
    return EquationSet.from_table(table, metadata["equations"]), metadata


class EquationModules(nn.Module):
    """The equations of an EquationSet as torch parameters, evaluated batched over sessions.

    Each module's coefficients are a (n_participants, n_terms) parameter; terms that distillation set to
    zero stay zero (they are masked), so refitting can change the numbers but not add terms. A monomial is
    evaluated as a product of gathered columns of [1, variables...] rather than with powers, which is
    several times cheaper (forward and backward) than `pow`.
    """

    def __init__(self, equations: EquationSet):
        super().__init__()
        self.variables = {name: list(e.variables) for name, e in equations.modules.items()}
        self.module_names = list(equations.modules)
        self.centers = {name: e.center for name, e in equations.modules.items()}
        self.bounds = {name: e.bounds for name, e in equations.modules.items()}
        self.incremental = {name: e.incremental for name, e in equations.modules.items()}
        self.activation_bounds = {name: e.activation_bounds for name, e in equations.modules.items()}
        self.participant_ids = list(equations.participant_ids)
        self.coefficients = nn.ParameterDict()
        for name, equation in equations.modules.items():
            coefficients = torch.as_tensor(equation.coefficients, dtype=torch.float32)
            self.coefficients[name] = nn.Parameter(coefficients)
            self.register_buffer(f"powers_{name}", torch.as_tensor(equation.powers))
            self.register_buffer(f"support_{name}", (coefficients != 0).float())
            self.register_buffer(f"factors_{name}", _monomial_factors(equation.powers))
            self.register_buffer(f"carried_{name}", torch.as_tensor(equation.carried, dtype=torch.float32))
        self._session_coefficients: dict[str, torch.Tensor] = {}

    def start_forward(self, participant_index: torch.Tensor) -> None:
        """Gather every module's coefficients for the sessions of a forward pass, once (batch, 1, n_terms)."""
        self._session_coefficients = {
            name: (self.coefficients[name] * getattr(self, f"support_{name}") + getattr(self, f"carried_{name}"))[
                participant_index
            ].unsqueeze(1)
            for name in self.module_names
        }

    def evaluate(self, module: str, value: torch.Tensor, signals: dict[str, torch.Tensor]) -> torch.Tensor:
        """Next value of `module` for every session and arm of the current forward pass: value (batch,
        n_actions) and this trial's signals by name -> (batch, n_actions)."""
        try:
            inputs = [value - self.centers[module]] + [signals[name] for name in self.variables[module][1:]]
        except KeyError as missing:
            raise KeyError(
                f"equation of {module!r} needs signal {missing.args[0]!r}, which this trial did not record "
                f"(record_signal must come before call_module)"
            ) from None
        columns = torch.stack([torch.ones_like(value)] + [v.expand_as(value) for v in inputs], -1)
        factors = getattr(self, f"factors_{module}")
        features = columns[..., factors].prod(-1) if factors.shape[1] > 1 else columns[..., factors[:, 0]]
        values = self.centers[module] + (features * self._session_coefficients[module]).sum(-1)
        bounds = self.bounds[module]
        return values if bounds is None else values.clamp(*bounds)

    def clip_constant_equations(self) -> int:
        """Move the constant of every bounded equation that is only a constant into its bounds, where the
        equation already acts (it is clipped there): the printed number then says what the model does.
        Returns how many equations were moved."""
        moved = 0
        with torch.no_grad():
            for name in self.module_names:
                bounds = self.bounds[name]
                if bounds is None or self.incremental[name]:  # an incremental constant is a change, not a value
                    continue
                support = getattr(self, f"support_{name}") > 0
                constant = getattr(self, f"powers_{name}").sum(1) == 0  # the term without variables
                only_constant = support[:, constant].all(1) & ~support[:, ~constant].any(1)
                coefficients = self.coefficients[name]
                low, high = bounds[0] - self.centers[name], bounds[1] - self.centers[name]
                clipped = coefficients[:, constant].clamp(low, high)
                changed = only_constant & (clipped != coefficients[:, constant]).any(1)
                coefficients[:, constant] = torch.where(changed[:, None], clipped, coefficients[:, constant])
                moved += int(changed.sum())
        return moved

    def to_equation_set(self, betas: dict[str, np.ndarray]) -> EquationSet:
        modules = {}
        for name in self.module_names:
            coefficients = (self.coefficients[name] * getattr(self, f"support_{name}")).detach().double().cpu()
            powers = getattr(self, f"powers_{name}").cpu().numpy()
            modules[name] = ModuleEquation(
                self.variables[name], powers, coefficients.numpy(), self.centers[name], self.bounds[name], self.incremental[name],
                self.activation_bounds[name],
            )
        return EquationSet(modules, betas, self.participant_ids)


def _monomial_factors(powers: np.ndarray) -> torch.Tensor:
    """(n_terms, degree) indices into [1, variables...] whose product is each term, padded with the 1."""
    degree = max(1, int(powers.sum(1).max()))
    rows = []
    for row in powers:
        factors = [i + 1 for i, power in enumerate(row) for _ in range(int(power))]
        rows.append(factors + [0] * (degree - len(factors)))
    return torch.as_tensor(rows, dtype=torch.long)


class ParticipantIndex(nn.Module):
    """Stands in for the participant embedding in the equation model: its code is the participant's index,
    (batch, 1), which only the betas (`ParticipantTable`) read. Not a one-hot: term selection runs models of
    12,000 virtual participants, whose one-hot codes took a (12,000 x 12,000) table per forward pass, most
    of a refit's time."""

    def __init__(self, n_participants: int):
        super().__init__()
        self.n_participants = n_participants

    def forward(self, participant_index: torch.Tensor) -> torch.Tensor:
        return participant_index.long().reshape(-1, 1)


class ParticipantTable(nn.Module):
    """Stands in for a beta in the equation model: one value per participant, read at the participant's
    index (`ParticipantIndex`)."""

    def __init__(self, values):
        super().__init__()
        self.values = nn.Parameter(torch.as_tensor(np.asarray(values), dtype=torch.float32).reshape(-1, 1))

    def forward(self, participant_index: torch.Tensor) -> torch.Tensor:
        # Gathered, not multiplied with a one-hot: 0 x NaN is NaN, and one participant's diverged beta (or
        # any NaN in their gradient) would poison every participant's.
        return self.values[participant_index[:, 0]]


def participant_betas(rnn: BaseRNN, n_participants: int) -> dict[str, np.ndarray]:
    """Each beta of the RNN evaluated for every participant index, {name: (n_participants,)}."""
    embedding = _embedding_module(rnn)
    with torch.no_grad():
        device = next(rnn.parameters()).device
        index = torch.arange(n_participants, device=device)
        codes = embedding(index) if embedding is not None else torch.zeros((n_participants, 0), device=device)
        return {name: beta(codes).reshape(-1).double().cpu().numpy() for name, beta in rnn.betas.items()}


def _embedding_module(rnn: BaseRNN) -> nn.Module | None:
    embeddings = [(n, m) for n, m in rnn.named_children() if isinstance(m, (nn.Embedding, ParticipantIndex))]
    if len(embeddings) > 1:
        raise ValueError(f"{type(rnn).__name__} has {len(embeddings)} embeddings; SPICE expects one per model")
    return embeddings[0][1] if embeddings else None


def equation_model(rnn: BaseRNN, equations: EquationSet, support: dict[str, np.ndarray] | None = None) -> BaseRNN:
    """The SPICE model: a copy of `rnn` in which every RNN module is replaced by its equations, the
    participant embedding by the participant's index and each beta by its per-participant value from `equations`.
    Hard-coded equations (`submodules_eq`) are kept. Nothing of the RNN's weights is used any more.
    `rnn` may also be an equation model (its equations are replaced). support: module -> (n_participants,
    n_terms) which terms an equation has (default: its non-zero coefficients), so that a term can be given
    to an equation with a starting value of 0."""
    missing = [name for name in rnn.submodules_rnn if name not in equations.modules]
    if missing:
        raise ValueError(f"no equations for RNN module(s) {missing}; add them to SpiceConfig.rnn_modules")
    if set(rnn.betas) != set(equations.betas):
        raise ValueError(f"the model has betas {sorted(rnn.betas)} but the equations have {sorted(equations.betas)}")
    # The memory of the last forward pass is no part of the model (and, after training, holds tensors of a
    # graph that cannot be copied).
    transient = rnn.state, rnn._signals, rnn._padding_undo
    rnn.state, rnn._signals, rnn._padding_undo = {}, {}, None
    old_equations = rnn.equations
    rnn.equations = None  # replaced below; its last forward pass's coefficients may hold a graph too
    try:
        model = copy.deepcopy(rnn)
    finally:
        rnn.state, rnn._signals, rnn._padding_undo = transient
        rnn.equations = old_equations
    model.equations = EquationModules(equations)
    for name, terms in (support or {}).items():
        getattr(model.equations, f"support_{name}").copy_(torch.as_tensor(np.asarray(terms), dtype=torch.float32))
    for name, child in list(model.named_children()):
        if isinstance(child, (nn.Embedding, ParticipantIndex)):
            setattr(model, name, ParticipantIndex(equations.n_participants))
    for name in model.betas:
        if not isinstance(model.betas[name], (ParticipantScale, ParticipantTable)):
            raise TypeError(f"beta {name!r} was not made by setup_constant; cannot replace it by a table")
        model.betas[name] = ParticipantTable(equations.betas[name])
    device = next(rnn.parameters()).device
    return model.to(device).eval()


def model_equations(model: BaseRNN) -> EquationSet:
    """The EquationSet of an equation model made by `equation_model` (after any refit)."""
    n_participants = model.equations.coefficients[model.equations.module_names[0]].shape[0]
    betas = participant_betas(model, n_participants)
    return model.equations.to_equation_set(betas)
