"""Reward values that settle outside the rewards' range: named in the printout, the report and a warning."""

import subprocess
import sys
from html import escape

import numpy as np
import pytest

from spice_lib import WEINHARDT_2024_CONFIG, AgentQ, BanditsDrift, SpiceEstimator, Weinhardt2024RNN
from spice_lib.notation import printout
from spice_lib.parameter_sets import simulate_sessions
from spice_lib.recovery import agent_q_equations
from spice_lib.report import RunEquations, equations_html
from spice_lib.resting_values import describe_outside_range, outside_reward_range, range_note, settled

NOT_CHOSEN = "x_value_reward_not_chosen"


def with_forgetting(equations, rows: dict[int, tuple[float, float]]):
    """`equations` with the not-chosen reward value of participant row i set to V[k+1] = a + b V[k]."""
    equation = equations.modules[NOT_CHOSEN]
    coefficients = equation.coefficients.copy()
    for row, (a, b) in rows.items():
        # As fitted: the change, centred at 0.5: V[k+1] - V[k] = (a + 0.5 b - 0.5) + (b - 1)(V[k] - 0.5).
        coefficients[row] = [a + 0.5 * b - 0.5, b - 1.0]
    equations.modules[NOT_CHOSEN] = equation.with_coefficients(coefficients)
    return equations


def four_participants():
    # Row 0: AgentQ's forgetting (towards 0.5); 1: none; 2: towards -0.19 (the decaying trace's mimic,
    # docs/validation.md section 0); 3: towards 1.2, above every reward.
    equations = agent_q_equations(AgentQ(forget_rate=[0.2, 0.0, 0.2, 0.2], participant_ids=["fq", "none", "low", "high"]))
    return with_forgetting(equations, {2: (-0.051, 0.731), 3: (0.3, 0.75)})


def test_a_reward_value_is_read_where_an_arm_left_alone_settles():
    equations = four_participants()
    equation = equations.modules[NOT_CHOSEN]
    rest = settled(equation, np.full(4, equation.center))
    assert rest == pytest.approx([0.5, 0.5, -0.051 / 0.269, 1.2], abs=1e-6)
    outside = outside_reward_range(equations)
    assert list(outside) == [NOT_CHOSEN]  # the choice traces and the learning rate are not reward values
    np.testing.assert_allclose(outside[NOT_CHOSEN], [np.nan, np.nan, -0.051 / 0.269, 1.2], atol=1e-6)
    # Forgetting towards 0, the edge of the range, is forgetting.
    towards_zero = with_forgetting(agent_q_equations(AgentQ(forget_rate=0.2)), {0: (0.0, 0.8)})
    assert np.isnan(outside_reward_range(towards_zero)[NOT_CHOSEN]).all()


def test_the_printout_and_the_report_say_where_a_value_settles_outside_the_range():
    equations = four_participants()
    note = (
        "settles at -0.190, outside the rewards' range [0, 1]: forgetting towards a value no reward takes, "
        "which is how a choice trace (perseveration) can look"
    )
    assert printout(equations, 2)[1:3] == ["V_nc[k+1] = −0.051 + 0.731·V_nc[k]", "    " + note]
    above = range_note(outside_reward_range(equations), NOT_CHOSEN, 3)
    assert above.startswith("settles at 1.200, outside")
    assert above.endswith("which is how alternation (a negative choice trace) can look")
    assert not any("settles" in line for participant in (0, 1) for line in printout(equations, participant))
    page = equations_html([RunEquations("mimic", equations, None, "")])
    assert f'<div class="note">{escape(note)}</div>' in page and page.count("settles at") == 2


def test_the_warning_names_each_participant_and_value_and_none_is_given_without_them():
    warning = describe_outside_range(four_participants())
    assert warning.startswith("Reward values settling outside the rewards' range [0, 1] for 2 of 4 participant(s): ")
    assert "low (x_value_reward_not_chosen at -0.19); high (x_value_reward_not_chosen at 1.20)" in warning
    assert warning.endswith("(the default; in the workflow, distillation.second_start_weight_decay: 0), with term selection, "
                            "searches their equations again from it.")
    searched = describe_outside_range(four_participants(), searched_again=True)
    assert searched.endswith("The search from a second network (second_start_weight_decay) did not bring them within the range.")
    assert describe_outside_range(agent_q_equations(AgentQ(forget_rate=[0.2, 0.0]))) is None


def test_the_report_tables_and_the_notation_load_without_torch():
    # The workflow's rule files import them while Snakemake builds its graph: torch would add seconds to every run.
    code = "import sys, spice_lib.report_tables, spice_lib.notation; print('torch' in sys.modules)"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "False"


def test_a_second_start_replaces_the_equations_that_leave_the_range_where_its_own_stay_within_it(monkeypatch):
    # The decaying-trace agents; SINDy, the refit and the search are stood in for, so that the first network
    # proposes the mimic for both participants and the second network for participant 1 only.
    agent = AgentQ(alpha_reward=[0.3, 0.5], forget_rate=[0.2, 0.2], beta_reward=3.0, alpha_choice=0.3, beta_choice=2.0,
                   participant_ids=["0", "1"])  # fmt: skip
    sessions = simulate_sessions(agent, BanditsDrift(0.2), n_trials=100, n_sessions=10, seed=3)
    truth = agent_q_equations(agent)
    mimic = with_forgetting(agent_q_equations(agent), {0: (-0.051, 0.731), 1: (-0.051, 0.731)})
    proposals = [mimic, truth.with_rows([1], mimic.subset([1]))]
    monkeypatch.setattr("spice_lib.estimator.distill", lambda *arguments: proposals[len(weight_decays) - 1])
    monkeypatch.setattr("spice_lib.estimator.refit_equation_model", lambda *arguments, **settings: None)
    monkeypatch.setattr("spice_lib.term_selection.select_terms", lambda model, *arguments, **settings: (model, None))
    weight_decays = []
    original_train = SpiceEstimator.train

    def train(self, *arguments, **settings):
        weight_decays.append(self.weight_decay)
        return original_train(self, *arguments, **settings)

    monkeypatch.setattr(SpiceEstimator, "train", train)
    estimator = SpiceEstimator(Weinhardt2024RNN, WEINHARDT_2024_CONFIG, n_participants=2, participant_ids=["0", "1"],
                               epochs=1, seed=4, second_start_weight_decay=0.0, verbose=False)  # fmt: skip
    estimator.fit(sessions.xs, sessions.ys)
    assert weight_decays == [estimator.weight_decay, 0.0]
    table = estimator.second_start_
    assert table["participant"].tolist() == ["0", "1"] and table["taken"].tolist() == [True, False]
    assert table["settles_first"].to_numpy() == pytest.approx([-0.051 / 0.269] * 2, abs=1e-3)
    assert np.isnan(table["settles_second"][0]) and table["settles_second"][1] == pytest.approx(-0.051 / 0.269, abs=1e-3)
    assert np.isfinite(table[["bic_first", "bic_second"]].to_numpy()).all()
    final = estimator.equations_.modules[NOT_CHOSEN].coefficients
    np.testing.assert_allclose(final, [truth.modules[NOT_CHOSEN].coefficients[0], mimic.modules[NOT_CHOSEN].coefficients[1]])
    assert "for 1 of 2 participant(s): 1 (x_value_reward_not_chosen at -0.19)" in describe_outside_range(estimator.equations_)
    # Where no value leaves the range, no second network is trained.
    weight_decays.clear()
    proposals[0] = truth
    estimator.fit(sessions.xs, sessions.ys)
    assert weight_decays == [estimator.weight_decay] and estimator.second_start_ is None
