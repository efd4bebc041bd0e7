"""Equations written for a reader: the printout and HTML in symbols with signs folded and a legend, and LaTeX."""

from itertools import combinations_with_replacement

import numpy as np
from matplotlib.mathtext import MathTextParser

from spice_lib import AgentQ
from spice_lib.equations import EquationSet, ModuleEquation, TermInclusion
from spice_lib.notation import (
    BETA_SYMBOLS,
    HTML,
    SYMBOLS,
    beta_symbol,
    equation_line,
    latex_equation,
    latex_equations,
    mathtext_beta,
    mathtext_equation,
    printout,
    symbol,
    text_legend,
)
from spice_lib.recovery import agent_q_equations

# AgentQ's exact equations: learning rate 0.3, forgetting at 0.2 towards 0.5, a memoryless choice trace.
TUTORIAL_AGENT = AgentQ(alpha_reward=0.3, forget_rate=0.2, beta_reward=3.0, alpha_choice=1.0, beta_choice=1.0)


def test_the_printout_writes_symbols_folded_signs_a_bare_constant_and_a_legend():
    equations = agent_q_equations(TUTORIAL_AGENT)
    assert printout(equations) == [
        "α[k+1] = 0.300  (kept in [0, 1])",
        "V_nc[k+1] = 0.100 + 0.800·V_nc[k]",
        "C_c[k+1] = 1.000  (kept in [0, 1])",
        "C_nc[k+1] = 0.000  (kept in [0, 1])",
        "β_V = 3.000",
        "β_C = 1.000",
    ]
    assert text_legend(equations) == (
        "Symbols: α = x_learning_rate_reward, V_nc = x_value_reward_not_chosen, C_c = x_value_choice_chosen, "
        "C_nc = x_value_choice_not_chosen, r = c_reward, V = c_value_reward, β_V = beta(x_value_reward), "
        "β_C = beta(x_value_choice); x[k+1] is x after trial k"
    )
    rate = ModuleEquation(
        ["x_learning_rate_reward", "c_value_reward"],
        [[0, 0], [1, 0], [0, 1]],
        [[0.463, 0.0, -0.239], [-0.05, 0.0, 0.0], [0, 0, 0]],
    )
    lines = EquationSet({"x_learning_rate_reward": rate}, {}, ["a", "b", "c"])
    assert printout(lines, 0) == ["α[k+1] = 0.463 − 0.239·V[k]"]
    assert printout(lines, 1) == ["α[k+1] = −0.050"]
    assert printout(lines, 2) == ["α[k+1] = 0.000"]


def test_the_printout_says_how_sure_each_term_is_where_the_data_were_resampled():
    # Two participants, the first with a single session (not resampled), the second resampled 10 times:
    # its learning rate kept the constant always and the reward in 2 of 10 resamples.
    equations = agent_q_equations(AgentQ(alpha_reward=[0.3, 0.3], forget_rate=[0.2, 0.2]))
    shape = {name: np.zeros((2, len(e.powers))) for name, e in equations.modules.items()}
    inclusion, low, high = ({name: zeros.copy() for name, zeros in shape.items()} for _ in range(3))
    for part in (inclusion, low, high):
        for values in part.values():
            values[0] = np.nan
    rate = "x_learning_rate_reward"  # terms: constant, α[k], r[k], V[k]
    inclusion[rate][1], low[rate][1], high[rate][1] = [1.0, 0, 0.2, 0], [0.28, 0, -0.01, 0], [0.32, 0, 0.04, 0]
    equations.inclusion = TermInclusion(10, inclusion, low, high)
    assert printout(equations, 0)[:2] == [
        "α[k+1] = 0.300  (kept in [0, 1])",
        "    terms kept: not resampled (a single session)",
    ]
    assert printout(equations, 1)[:4] == [
        "α[k+1] = 0.300  (kept in [0, 1])",
        "    terms kept in 10 resamples (share, 90% interval): constant 100% [0.280, 0.320]; r[k] 20% [−0.010, 0.040]",
        "V_nc[k+1] = 0.100 + 0.800·V_nc[k]",
        "    terms kept in 10 resamples (share, 90% interval): none",
    ]


def test_the_printout_of_a_custom_model_names_its_modules_and_needs_no_legend():
    custom = ModuleEquation(["x_my_value", "c_my_signal"], [[0, 0], [1, 0], [0, 1], [2, 0]], [[0.0, 0.9, -0.5, 0.1]])
    equations = EquationSet({"x_my_value": custom}, {"x_my_value": [2.0]}, ["p"])
    assert printout(equations) == [
        "x_my_value[k+1] = 0.900·x_my_value[k] − 0.500·c_my_signal[k] + 0.100·x_my_value[k]²",
        "β_x_my_value = 2.000",
    ]
    assert text_legend(equations) == ""


def test_html_writes_the_same_equation_with_sub_and_superscripts():
    squared = ModuleEquation(
        ["x_value_reward_not_chosen", "c_reward"], [[0, 0], [1, 0], [2, 0], [1, 1]], [[0.0, 0.5, 0.25, -0.1]]
    )
    assert equation_line("x_value_reward_not_chosen", squared, notation=HTML) == (
        "<i>V</i><sub>nc</sub>[<i>k</i>+1] = 0.500&#8201;<i>V</i><sub>nc</sub>[<i>k</i>] "
        "+ 0.250&#8201;<i>V</i><sub>nc</sub>[<i>k</i>]<sup>2</sup> "
        "&minus; 0.100&#8201;<i>V</i><sub>nc</sub>[<i>k</i>]&#8201;<i>r</i>[<i>k</i>]"
    )


def test_latex_of_the_tutorial_agents_equations():
    equations = agent_q_equations(TUTORIAL_AGENT)
    expected = r"""% SPICE equations (spice_lib.notation.latex_equations); \input{} this in a document that loads amsmath.
% Each equation gives a value after trial k from the values and signals of trial k.
\noindent Symbols: $\alpha$: learning rate of the chosen arm's reward value (\texttt{x\_learning\_rate\_reward}); $V^{\mathrm{nc}}$: reward value of an arm not chosen (\texttt{x\_value\_reward\_not\_chosen}); $C^{\mathrm{c}}$: choice trace of the chosen arm (\texttt{x\_value\_choice\_chosen}); $C^{\mathrm{nc}}$: choice trace of an arm not chosen (\texttt{x\_value\_choice\_not\_chosen}); $r$: reward of the trial (\texttt{c\_reward}); $V$: the chosen arm's reward value before the update (\texttt{c\_value\_reward}); $\beta_{V}$: inverse temperature of the reward values (\texttt{beta(x\_value\_reward)}); $\beta_{C}$: weight of the choice traces (\texttt{beta(x\_value\_choice)}).

\begin{align*}
\alpha_{k+1} &= 0.300 \\
V^{\mathrm{nc}}_{k+1} &= 0.100 + 0.800\,V^{\mathrm{nc}}_{k} \\
C^{\mathrm{c}}_{k+1} &= 1.000 \\
C^{\mathrm{nc}}_{k+1} &= 0.000 \\
\beta_{V} &= 3.000, \quad \beta_{C} = 1.000
\end{align*}
"""
    assert latex_equations(equations) == expected


def test_latex_names_every_participant_and_writes_unknown_names_upright():
    custom = ModuleEquation(["x_my_value", "c_reward"], [[0, 0], [1, 0], [0, 1]], [[0.0, 0.9, -0.5], [0.1, 0.0, 0.0]])
    text = latex_equations(EquationSet({"x_my_value": custom}, {"x_my_value": np.array([2.0, 3.0])}, ["p_1", "p2"]))
    assert r"\paragraph{Participant p\_1}" in text and r"\paragraph{Participant p2}" in text
    assert r"\mathrm{x\_my\_value}_{k+1} &= 0.900\,\mathrm{x\_my\_value}_{k} - 0.500\,r_{k}" in text
    assert r"\beta_{\mathrm{x\_my\_value}} &= 3.000" in text
    squared = ModuleEquation(["x_value_reward_not_chosen"], [[0], [1], [2]], [[0.0, 0.5, 0.25]])
    assert latex_equation("x_value_reward_not_chosen", squared) == (
        r"V^{\mathrm{nc}}_{k+1} &= 0.500\,V^{\mathrm{nc}}_{k} + 0.250\,{V^{\mathrm{nc}}_{k}}^{2}"
    )


def test_mathtext_writes_the_latex_equation_without_align_and_breaks_it_between_terms():
    equations = agent_q_equations(TUTORIAL_AGENT)
    for name, equation in equations.modules.items():  # one source: the row of equations.tex, without its &
        assert mathtext_equation(name, equation) == [f"${latex_equation(name, equation).replace(' &= ', ' = ')}$"]
    assert mathtext_beta("x_value_reward", 3.0) == r"$\beta_{V} = 3.000$"
    long = ModuleEquation(["x_value_reward_not_chosen", "c_reward"], [[0, 0], [1, 0], [0, 1], [1, 1]], [[0.1, 0.5, -0.25, 0.3]])
    assert mathtext_equation("x_value_reward_not_chosen", long, terms_per_line=2) == [
        r"$V^{\mathrm{nc}}_{k+1} = 0.100 + 0.500\,V^{\mathrm{nc}}_{k}$",
        r"$\qquad - 0.250\,r_{k} + 0.300\,V^{\mathrm{nc}}_{k}\,r_{k}$",
    ]
    assert mathtext_equation("x_value_reward_not_chosen", long.with_coefficients(np.zeros((1, 4)))) == [
        r"$V^{\mathrm{nc}}_{k+1} = 0.000$"
    ]


def degree_two(variables):
    """Every power up to 2 of `variables` (own value first), all with a coefficient: the longest equations."""
    rows = [[0] * len(variables)] + np.eye(len(variables), dtype=int).tolist()
    for i, j in combinations_with_replacement(range(len(variables)), 2):
        row = [0] * len(variables)
        row[i] += 1
        row[j] += 1
        rows.append(row)
    signs = np.where(np.arange(len(rows)) % 2, -1.0, 1.0)  # negative coefficients too
    return rows, (signs * np.linspace(0.1, 2.5, len(rows)))[None]


def test_every_equation_the_library_writes_parses_as_mathtext():
    # The precoded models' modules and signals (each module over every signal, to degree 2), a custom model's
    # names (underscores), negative numbers and zeros, every beta; whole and broken between terms.
    parser = MathTextParser("path")
    signals = [name for name in SYMBOLS if name.startswith("c_")]
    written = []
    for name in [*SYMBOLS, "x_my_value"]:
        if name.startswith("c_"):
            continue
        powers, coefficients = degree_two([name, *signals, "c_my_signal"])
        equation = ModuleEquation([name, *signals, "c_my_signal"], powers, np.vstack([coefficients, -coefficients, 0 * coefficients]))
        for participant in range(3):
            for terms_per_line in (None, 3, 1):
                written += mathtext_equation(name, equation, participant, 3, terms_per_line)
    written += [mathtext_beta(name, value) for name in [*BETA_SYMBOLS, "x_my_value"] for value in (3.0, -0.5, 0.0)]
    written += [f"${symbol(name).latex}$" for name in [*SYMBOLS, "x_my_value"]]
    written += [f"${beta_symbol(name).latex}$" for name in [*BETA_SYMBOLS, "x_my_value"]]
    for text in written:
        assert "&" not in text and text.startswith("$") and text.endswith("$"), text
        parser.parse(text)  # raises on what mathtext cannot parse
