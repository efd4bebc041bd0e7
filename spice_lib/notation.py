"""How equations are written for a reader: each module, signal and beta as a symbol, and the equations of
an `EquationSet` as LaTeX, ready for `\\input` in a paper.

The tables and printouts keep the module names (they are the data's keys); the symbols here are the
mathematics a paper would use, with a legend that ties each back to its name. Names without a symbol of
their own (a custom RNN's modules) are written upright, as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from spice_lib.equations import EquationSet, ModuleEquation, signed_sum


@dataclass(frozen=True)
class Symbol:
    """A name's LaTeX symbol and what it stands for (the legend)."""

    latex: str
    meaning: str


# The precoded models' modules, signals and betas (spice_lib.models).
SYMBOLS = {
    "x_learning_rate_reward": Symbol(r"\alpha", "learning rate of the chosen arm's reward value"),
    "x_value_reward_chosen": Symbol(r"V^{\mathrm{c}}", "reward value of the chosen arm"),
    "x_value_reward_not_chosen": Symbol(r"V^{\mathrm{nc}}", "reward value of an arm not chosen"),
    "x_value_choice_chosen": Symbol(r"C^{\mathrm{c}}", "choice trace of the chosen arm"),
    "x_value_choice_not_chosen": Symbol(r"C^{\mathrm{nc}}", "choice trace of an arm not chosen"),
    "c_reward": Symbol("r", "reward of the trial"),
    "c_value_reward": Symbol("V", "the chosen arm's reward value before the update"),
    "c_action": Symbol("a", "1 for the chosen arm, 0 for the others"),
}
BETA_SYMBOLS = {
    "x_value_reward": Symbol(r"\beta_{V}", "inverse temperature of the reward values"),
    "x_value_choice": Symbol(r"\beta_{C}", "weight of the choice traces"),
}


def _escaped(text: str) -> str:
    return text.replace("_", r"\_")


def symbol(name: str) -> Symbol:
    """The symbol of a module or signal; a name without one is written upright as it is."""
    return SYMBOLS.get(name) or Symbol(r"\mathrm{" + _escaped(name) + "}", _escaped(name))


def beta_symbol(name: str) -> Symbol:
    return BETA_SYMBOLS.get(name) or Symbol(r"\beta_{\mathrm{" + _escaped(name) + "}}", "inverse temperature")


def _at(latex: str, index: str) -> str:
    """A symbol at a trial index: V^{nc} -> V^{nc}_{k}; a symbol with a subscript already gets brackets."""
    return f"{latex}[{index}]" if "_" in latex.replace(r"\_", "") else f"{latex}_{{{index}}}"


def latex_equation(name: str, equation: ModuleEquation, participant: int = 0, precision: int = 3) -> str:
    """One module's equation as an `align` row, `lhs &= rhs`, the plain polynomial as printed: signs folded,
    the constant bare, products with a thin space."""
    terms = [
        r"\,".join(
            # braced before a power: V^{nc}_{k}^{2} would be a double superscript
            (f"{{{_at(symbol(variable).latex, 'k')}}}^{{{power}}}" if power > 1 else _at(symbol(variable).latex, "k"))
            for variable, power in zip(equation.variables, powers)
            if power > 0
        )
        for powers in equation.powers
    ]
    right = signed_sum(equation.expanded_coefficients()[participant], terms, precision, product=r"\,")
    return f"{_at(symbol(name).latex, 'k+1')} &= {right}"


def latex_equations(equations: EquationSet, precision: int = 3) -> str:
    """Every participant's equations as LaTeX: a legend of the symbols (with the module names of the
    tables), then one `align*` per participant. Needs the amsmath package."""
    names = list(equations.modules)
    signals = [v for e in equations.modules.values() for v in e.variables[1:] if v not in names]
    legend = [(symbol(name).latex, symbol(name).meaning, name) for name in dict.fromkeys(names + signals)]
    legend += [(beta_symbol(name).latex, beta_symbol(name).meaning, f"beta({name})") for name in equations.betas]
    explained = [f"${latex}$: {meaning} (\\texttt{{{_escaped(name)}}})" for latex, meaning, name in legend]
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
        betas = [
            f"{beta_symbol(name).latex} = {values[index]:.{precision}f}" for name, values in equations.betas.items()
        ]
        if betas:  # one row, aligned at the first
            rows.append(betas[0].replace(" = ", " &= ", 1) + "".join(rf", \quad {beta}" for beta in betas[1:]))
        lines += [r"\begin{align*}", " \\\\\n".join(rows), r"\end{align*}", ""]
    return "\n".join(lines)
