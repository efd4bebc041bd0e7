"""How equations are written for a reader: each module, signal and beta as a symbol, and the equations of
an `EquationSet` in three notations made by the same rules: plain text with Unicode symbols (the printout
of `SpiceEstimator.print_spice_model`), HTML (the report's equations page) and LaTeX, ready for `\\input` in
a paper, also as matplotlib's mathtext (the same LaTeX without amsmath's alignment, for figures).

The tables keep the module names (they are the data's keys); the symbols here are the mathematics a paper
would use, with a legend that ties each back to its name. Names without a symbol of their own (a custom
RNN's modules) are written upright, as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from html import escape
from typing import TYPE_CHECKING

import numpy as np

from spice_lib.resting_values import outside_reward_range, range_note

if TYPE_CHECKING:  # only named here: the workflow's rule files import this without paying for torch
    from spice_lib.equations import EquationSet, ModuleEquation


@dataclass(frozen=True)
class Symbol:
    """A name's symbol, in LaTeX and as a letter with a subscript in text (V_nc) and HTML (V<sub>nc</sub>),
    and what it stands for (the legend)."""

    latex: str
    letter: str
    subscript: str
    meaning: str

    @property
    def text(self) -> str:
        return self.letter + (f"_{self.subscript}" if self.subscript else "")

    @property
    def html(self) -> str:
        # a letter in italics, as in LaTeX; a name (a custom RNN's module) upright
        letter = f"<i>{escape(self.letter)}</i>" if len(self.letter) == 1 else escape(self.letter)
        return letter + (f"<sub>{escape(self.subscript)}</sub>" if self.subscript else "")


# The precoded models' modules, signals and betas (spice_lib.models).
SYMBOLS = {
    "x_learning_rate_reward": Symbol(r"\alpha", "α", "", "learning rate of the chosen arm's reward value"),
    "x_value_reward_chosen": Symbol(r"V^{\mathrm{c}}", "V", "c", "reward value of the chosen arm"),
    "x_value_reward_not_chosen": Symbol(r"V^{\mathrm{nc}}", "V", "nc", "reward value of an arm not chosen"),
    "x_value_choice_chosen": Symbol(r"C^{\mathrm{c}}", "C", "c", "choice trace of the chosen arm"),
    "x_value_choice_not_chosen": Symbol(r"C^{\mathrm{nc}}", "C", "nc", "choice trace of an arm not chosen"),
    "c_reward": Symbol("r", "r", "", "reward of the trial"),
    "c_value_reward": Symbol("V", "V", "", "the chosen arm's reward value before the update"),
    "c_action": Symbol("a", "a", "", "1 for the chosen arm, 0 for the others"),
}
BETA_SYMBOLS = {
    "x_value_reward": Symbol(r"\beta_{V}", "β", "V", "inverse temperature of the reward values"),
    "x_value_choice": Symbol(r"\beta_{C}", "β", "C", "weight of the choice traces"),
}

OWN_SYMBOLS = {*SYMBOLS.values(), *BETA_SYMBOLS.values()}


def _escaped(text: str) -> str:
    return text.replace("_", r"\_")


def symbol(name: str) -> Symbol:
    """The symbol of a module or signal; a name without one is written upright as it is."""
    return SYMBOLS.get(name) or Symbol(r"\mathrm{" + _escaped(name) + "}", name, "", _escaped(name))


def beta_symbol(name: str) -> Symbol:
    return BETA_SYMBOLS.get(name) or Symbol(
        r"\beta_{\mathrm{" + _escaped(name) + "}}", "β", name, "inverse temperature"
    )


def _latex_at(latex: str, index: str) -> str:
    """A symbol at a trial index: V^{nc} -> V^{nc}_{k}; a symbol with a subscript already gets brackets."""
    return f"{latex}[{index}]" if "_" in latex.replace(r"\_", "") else f"{latex}_{{{index}}}"


@dataclass(frozen=True)
class Notation:
    """How one medium writes a symbol (`form`: which of a Symbol's forms it uses), a symbol at a trial index
    ('k', 'k+1'), a power, a product, the minus sign and the equals sign of an equation."""

    form: Callable[[Symbol], str]
    at: Callable[[str, str], str]
    power: Callable[[str, int], str]
    product: str
    minus: str
    equals: str


_SUPERSCRIPT_DIGITS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")

TEXT = Notation(
    form=lambda s: s.text,
    at=lambda written, index: f"{written}[{index}]",
    power=lambda written, power: written + str(power).translate(_SUPERSCRIPT_DIGITS),
    product="·",
    minus="−",
    equals=" = ",
)
HTML = Notation(
    form=lambda s: s.html,
    at=lambda written, index: f"{written}[{index.replace('k', '<i>k</i>')}]",
    power=lambda written, power: f"{written}<sup>{power}</sup>",
    product="&#8201;",  # a thin space, as LaTeX's \,
    minus="&minus;",
    equals=" = ",
)
LATEX = Notation(
    form=lambda s: s.latex,
    at=_latex_at,
    # braced before a power: V^{nc}_{k}^{2} would be a double superscript
    power=lambda written, power: f"{{{written}}}^{{{power}}}",
    product=r"\,",
    minus="-",  # in math mode, a minus sign
    equals=" &= ",  # an `align` row
)


# matplotlib's mathtext (figures, no LaTeX install): LaTeX's symbols, indices, powers and thin spaces, without
# amsmath's `align` (mathtext would draw its & as an ampersand).
MATHTEXT = replace(LATEX, equals=" = ")


def number(value: float, notation: Notation, spec: str = ".3f", plus: bool = False) -> str:
    """A number with the notation's minus sign (and, with `plus`, a + on a positive one: a difference); a
    number that rounds to 0 gets no sign."""
    written = format(abs(value), spec)
    if not any(digit in written for digit in "123456789"):
        return written
    return (notation.minus if value < 0 else "+" if plus else "") + written


def signed_terms(coefficients, terms: list[str], notation: Notation, precision: int = 3) -> list[str]:
    """The pieces of `signed_sum`, one per non-zero term: ['0.463', ' − 0.239·V[k]'] (the first with its sign
    only when negative, the others with the sign between spaces); [] when every coefficient is 0."""
    pieces = []
    for coefficient, term in ((c, t) for c, t in zip(coefficients, terms) if c != 0):
        written = f"{abs(coefficient):.{precision}f}" + (f"{notation.product}{term}" if term else "")
        sign = notation.minus if coefficient < 0 else "+"
        pieces.append((f" {sign} " if pieces else ("" if sign == "+" else sign)) + written)
    return pieces


def signed_sum(coefficients, terms: list[str], notation: Notation, precision: int = 3) -> str:
    """'0.463 − 0.239·V[k]': the non-zero terms with their signs folded, each coefficient joined to its
    term by the notation's product, the constant (term '') bare; '0.000' when every coefficient is 0."""
    return "".join(signed_terms(coefficients, terms, notation, precision)) or f"{0:.{precision}f}"


def written_terms(equation: ModuleEquation, notation: Notation) -> list[str]:
    """Each term of the plain polynomial at trial k, '' for the constant."""
    written = []
    for powers in equation.powers:
        factors = []
        for variable, power in zip(equation.variables, powers):
            if power > 0:
                at_k = notation.at(notation.form(symbol(variable)), "k")
                factors.append(notation.power(at_k, int(power)) if power > 1 else at_k)
        written.append(notation.product.join(factors))
    return written


def table_term(term: str, notation: Notation) -> str:
    """A term as the equations table names it ('x_value_reward_not_chosen[k] c_reward[k]^2'), in symbols
    without the trial index, which is k for every term; '' for the constant '1'."""
    if term == "1":
        return ""
    factors = []
    for factor in term.split(" "):
        name, _, power = factor.partition("^")
        written = notation.form(symbol(name.removesuffix("[k]")))
        factors.append(notation.power(written, int(power)) if power else written)
    return notation.product.join(factors)


def equation_line(
    name: str, equation: ModuleEquation, participant: int = 0, precision: int = 3, notation: Notation = TEXT
) -> str:
    """One module's equation, 'α[k+1] = 0.302': the plain polynomial, signs folded, the constant bare."""
    right = signed_sum(
        equation.expanded_coefficients()[participant], written_terms(equation, notation), notation, precision
    )
    return f"{notation.at(notation.form(symbol(name)), 'k+1')}{notation.equals}{right}"


def beta_line(name: str, value: float, precision: int = 3, notation: Notation = TEXT) -> str:
    return f"{notation.form(beta_symbol(name))}{notation.equals}{number(value, notation, f'.{precision}f')}"


def bounds_note(equation: ModuleEquation, notation: Notation = TEXT) -> str:
    """'kept in [0, 1]': the range the equation's value is clipped to; '' for an unbounded equation."""
    if equation.bounds is None:
        return ""
    low, high = (number(bound, notation, ".3g") for bound in equation.bounds)
    return f"kept in [{low}, {high}]"


def certainty_note(
    equations: EquationSet, module: str, participant: int = 0, precision: int = 3, notation: Notation = TEXT
) -> str:
    """How sure each term is (`EquationSet.inclusion`): the share of resamples that kept it and a 90%
    interval of its coefficient, for every term some resample kept (including ones the equation lacks);
    '' without resamples."""
    resampled = equations.inclusion
    if resampled is None:
        return ""
    inclusion = resampled.inclusion[module][participant]
    if np.isnan(inclusion).all():
        return "terms kept: not resampled (a single session)"
    low, high = resampled.low[module][participant], resampled.high[module][participant]
    spec = f".{precision}f"
    kept = [
        f"{term or 'constant'} {inclusion[j]:.0%} [{number(low[j], notation, spec)}, {number(high[j], notation, spec)}]"
        for j, term in enumerate(written_terms(equations.modules[module], notation))
        if inclusion[j] > 0
    ]
    return f"terms kept in {resampled.n_resamples} resamples (share, 90% interval): " + ("; ".join(kept) or "none")


def printout(
    equations: EquationSet, participant: int = 0, precision: int = 3, outside: dict[str, np.ndarray] | None = None
) -> list[str]:
    """The printed model of one participant index: one line per module, each followed by a note where its
    reward value settles outside the rewards' range (`resting_values`) and, with resamples, by how sure its
    terms are; then the betas. outside: `outside_reward_range(equations)`, computed once where every
    participant is printed (computed here if None)."""
    outside = outside_reward_range(equations) if outside is None else outside
    lines = []
    for name, equation in equations.modules.items():
        bounds = bounds_note(equation)
        lines.append(equation_line(name, equation, participant, precision) + (f"  ({bounds})" if bounds else ""))
        note = range_note(outside, name, participant)
        if note:
            lines.append("    " + note)
        if equations.inclusion is not None:
            lines.append("    " + certainty_note(equations, name, participant, precision))
    lines += [beta_line(name, values[participant], precision) for name, values in equations.betas.items()]
    return lines


def legend_entries(equations: EquationSet) -> list[tuple[Symbol, str]]:
    """Every symbol the equations use, with its name in the tables: modules, then their signals, then the
    betas (as beta(<name>))."""
    names = list(equations.modules)
    signals = [v for e in equations.modules.values() for v in e.variables[1:] if v not in names]
    entries = [(symbol(name), name) for name in dict.fromkeys(names + signals)]
    return entries + [(beta_symbol(name), f"beta({name})") for name in equations.betas]


def text_legend(equations: EquationSet) -> str:
    """The printout's legend, one line: each symbol of its own with its module name; '' when no name has one
    (a custom RNN's modules are printed by name)."""
    own = [f"{s.text} = {name}" for s, name in legend_entries(equations) if s in OWN_SYMBOLS]
    if not own:
        return ""
    return "Symbols: " + ", ".join(own) + "; x[k+1] is x after trial k"


def latex_equation(name: str, equation: ModuleEquation, participant: int = 0, precision: int = 3) -> str:
    """One module's equation as an `align` row, `lhs &= rhs`, the plain polynomial as printed: signs folded,
    the constant bare, products with a thin space."""
    return equation_line(name, equation, participant, precision, LATEX)


def latex_equations(equations: EquationSet, precision: int = 3) -> str:
    """Every participant's equations as LaTeX: a legend of the symbols (with the module names of the
    tables), then one `align*` per participant. Needs the amsmath package."""
    explained = [f"${s.latex}$: {s.meaning} (\\texttt{{{_escaped(name)}}})" for s, name in legend_entries(equations)]
    lines = [
        "% SPICE equations (spice_lib.notation.latex_equations); \\input{} this in a document that loads amsmath.",
        "% Each equation gives a value after trial k from the values and signals of trial k.",
        r"\noindent Symbols: " + "; ".join(explained) + ".",
        "",
    ]
    for index, participant in enumerate(equations.participant_ids):
        if equations.n_participants > 1:
            lines.append(f"\\paragraph{{Participant {_escaped(participant)}}}")
        rows = [latex_equation(name, equation, index, precision) for name, equation in equations.modules.items()]
        betas = [beta_line(name, values[index], precision, LATEX) for name, values in equations.betas.items()]
        if betas:  # one row, aligned at the first
            rows.append(betas[0] + "".join(rf", \quad {beta.replace(' &= ', ' = ')}" for beta in betas[1:]))
        lines += [r"\begin{align*}", " \\\\\n".join(rows), r"\end{align*}", ""]
    return "\n".join(lines)


def mathtext_equation(
    name: str, equation: ModuleEquation, participant: int = 0, precision: int = 3, terms_per_line: int | None = None
) -> list[str]:
    """One module's equation in matplotlib's mathtext, the line `latex_equation` writes without its `&`, as
    lines of `$...$`: the right-hand side broken after every `terms_per_line` terms (each further line
    indented), all on one line without."""
    left = MATHTEXT.at(MATHTEXT.form(symbol(name)), "k+1")
    terms = written_terms(equation, MATHTEXT)
    pieces = signed_terms(equation.expanded_coefficients()[participant], terms, MATHTEXT, precision)
    pieces = pieces or [f"{0:.{precision}f}"]
    step = terms_per_line or len(pieces)
    lines = ["".join(pieces[start : start + step]) for start in range(0, len(pieces), step)]
    return [f"${left}{MATHTEXT.equals}{lines[0]}$"] + [rf"$\qquad{line}$" for line in lines[1:]]


def mathtext_beta(name: str, value: float, precision: int = 3) -> str:
    """A beta in matplotlib's mathtext, `$\\beta_{V} = 3.000$`."""
    return f"${beta_line(name, value, precision, MATHTEXT)}$"
