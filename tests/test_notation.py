"""Equations written for a reader: signs folded in the printout, and LaTeX with symbols and a legend."""

import numpy as np

from spice_lib import AgentQ
from spice_lib.equations import EquationSet, ModuleEquation
from spice_lib.notation import latex_equation, latex_equations
from spice_lib.recovery import agent_q_equations


def test_the_printout_folds_signs_and_writes_the_constant_bare():
    rate = ModuleEquation(
        ["lr", "c_value_reward"], [[0, 0], [1, 0], [0, 1]], [[0.463, 0.0, -0.239], [-0.05, 0.0, 0.0], [0, 0, 0]]
    )
    lines = EquationSet({"lr": rate}, {}, ["a", "b", "c"]).format
    assert lines(0) == ["(lr)[k+1] = 0.463 - 0.239 c_value_reward[k]"]
    assert lines(1) == ["(lr)[k+1] = -0.050"]
    assert lines(2) == ["(lr)[k+1] = 0.000"]


def test_latex_of_the_tutorial_agents_equations():
    # AgentQ's exact equations: learning rate 0.3, forgetting at 0.2 towards 0.5, a memoryless choice trace.
    equations = agent_q_equations(
        AgentQ(alpha_reward=0.3, forget_rate=0.2, beta_reward=3.0, alpha_choice=1.0, beta_choice=1.0)
    )
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
