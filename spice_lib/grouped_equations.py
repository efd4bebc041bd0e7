"""All of a trial's equations in one batched product: the grouped path of an equation model.

The equation model evaluates each module's polynomial through `call_module` (`EquationModules.evaluate`):
per trial and module it stacks the module's inputs, gathers its monomials and sums them with each session's
coefficients, a dozen small tensor operations each. Refitting, term selection and the population search
run the equation model hundreds of times over many sessions, so those operations are most of their time.
A model whose trial is a fixed set of modules (`Weinhardt2024RNN`) can instead lay every quantity its
equations read out as the columns of one table per trial, gather all monomials of all modules from it at
once, weigh them by each session's coefficients and sum them per module with one matrix product (which
module each term belongs to, the same for every session); the result is the same function.

A plan names the table's columns by their source (a per-trial tensor the model provides, such as a state or
the reward) and the amount subtracted from it (a module's centre), so each column is made once however many
terms read it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from spice_lib.equations import EquationModules


@dataclass
class EquationPlan:
    """columns: (source, offset) of each column of a trial's table, column 0 being the constant 1;
    selection (degree, n_columns, n_terms): 1 where the d-th factor of a term is a column (a term of lower
    degree has the constant 1 as its other factors), the terms of every module one after another in the
    order of `modules`; membership (n_terms, n_modules): 1 where a term belongs to a module; centers, lower,
    upper (n_modules,): what `EquationModules.evaluate` adds and clamps to (+-inf where an equation has no
    bounds)."""

    columns: list[tuple[str, float]]
    selection: torch.Tensor
    modules: list[str]
    membership: torch.Tensor
    centers: torch.Tensor
    lower: torch.Tensor
    upper: torch.Tensor

    def weights_of(self, equations: EquationModules) -> torch.Tensor:
        """Each session's coefficients of every term, modules one after another: (batch, 1, n_terms). Call
        it after `start_forward`, once per forward pass."""
        return torch.cat([equations._session_coefficients[name] for name in self.modules], -1)

    def table(self, sources: dict[str, torch.Tensor], ones: torch.Tensor) -> torch.Tensor:
        """A trial's columns from the model's per-trial tensors, each (batch, n_actions), and a (batch,
        n_actions) tensor of ones: (batch, n_actions, n_columns)."""
        made = [ones]
        for source, offset in self.columns[1:]:
            made.append(sources[source] - offset if offset else sources[source])
        return torch.stack(made, -1)

    def evaluate(self, table: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """Every module's next value for every session and arm: (batch, n_actions, n_modules); weights from
        `weights_of`.

        Each term's factors are picked out of the table by a product with a 0/1 matrix rather than by
        indexing (whose backward, columns read by several terms, is a slow scatter). Weighing the terms
        elementwise and summing them per module with the one membership matrix is the sum a batched product
        with each session's own (n_terms, n_modules) block of weights makes, several times faster: a batched
        product of thousands of tiny matrices is mostly per-matrix overhead."""
        features = table @ self.selection[0]
        for factor in self.selection[1:]:
            features = features * (table @ factor)
        return torch.clamp((features * weights) @ self.membership + self.centers, self.lower, self.upper)


def equation_plan(
    equations: EquationModules, own_value: dict[str, str], signal_source: dict[str, str], modules: list[str]
) -> EquationPlan | None:
    """The plan of `equations` for a model whose module m reads its own value from source own_value[m] and
    a signal s from source signal_source[s]; `modules` in the order the model wants their values. None
    where the equations are not exactly those modules or read a signal the model does not name: the model
    then takes its module-by-module path, which handles anything."""
    if sorted(equations.module_names) != sorted(modules) or any(m not in own_value for m in modules):
        return None
    columns: list[tuple[str, float]] = [("one", 0.0)]
    factor_rows, term_module = [], []
    for index, module in enumerate(modules):
        center = float(equations.centers[module])
        local = [(own_value[module], center)]
        for signal in equations.variables[module][1:]:
            if signal not in signal_source:
                return None
            local.append((signal_source[signal], 0.0))
        # column 0 of a module's own numbering is the constant 1, then its variables (_monomial_factors)
        to_global = [0] + [_column(columns, spec) for spec in local]
        for row in getattr(equations, f"factors_{module}").tolist():
            factor_rows.append([to_global[i] for i in row])
            term_module.append(index)
    degree = max(len(row) for row in factor_rows)
    factors = [row + [0] * (degree - len(row)) for row in factor_rows]
    device = equations.coefficients[modules[0]].device
    bounds = [equations.bounds[m] or (-float("inf"), float("inf")) for m in modules]
    one_hot = torch.nn.functional.one_hot
    selection = one_hot(torch.tensor(factors, dtype=torch.long, device=device), len(columns)).permute(1, 2, 0)
    return EquationPlan(
        columns=columns,
        selection=selection.float().contiguous(),
        modules=list(modules),
        membership=one_hot(torch.tensor(term_module, dtype=torch.long, device=device), len(modules)).float(),
        centers=torch.tensor([float(equations.centers[m]) for m in modules], device=device),
        lower=torch.tensor([float(low) for low, _ in bounds], device=device),
        upper=torch.tensor([float(high) for _, high in bounds], device=device),
    )


def _column(columns: list[tuple[str, float]], spec: tuple[str, float]) -> int:
    """Index of column `spec`, added if new."""
    if spec not in columns:
        columns.append(spec)
    return columns.index(spec)
