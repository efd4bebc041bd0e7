"""The refit of the equation model: its messages say what happened, on the scale of evaluation.choice_nll."""

import math

import numpy as np
import pytest
import torch

from spice_lib import AgentNetwork, EquationSet, Weinhardt2024RNN
from spice_lib import refit as refit_module
from spice_lib.equations import EquationModules, ModuleEquation, equation_model, model_equations
from spice_lib.evaluation import choice_nll
from spice_lib.refit import minimise, no_worse_than_chance, participant_nll, refit_equation_model


def hand_made_model():
    """The tutorial agent's mechanisms written as equations (one participant)."""
    single = [[0], [1]]
    equations = EquationSet(
        {
            "x_learning_rate_reward": ModuleEquation(
                ["x_learning_rate_reward", "c_reward", "c_value_reward"], [[0, 0, 0]], [[0.25]]
            ),
            "x_value_reward_not_chosen": ModuleEquation(
                ["x_value_reward_not_chosen"], single, [[0.0, 0.75]], center=0.5
            ),
            "x_value_choice_chosen": ModuleEquation(["x_value_choice_chosen"], single, [[0.9, 0.0]]),
            "x_value_choice_not_chosen": ModuleEquation(["x_value_choice_not_chosen"], single, [[0.1, 0.0]]),
        },
        {"x_value_reward": [2.5], "x_value_choice": [1.0]},
        ["0"],
    )
    return equation_model(Weinhardt2024RNN(n_actions=2, n_participants=1), equations)


def test_refit_reports_nll_per_trial_on_the_scale_of_choice_nll(small_dataset):
    model = hand_made_model()
    distilled = choice_nll(AgentNetwork(model).predict(small_dataset.xs), small_dataset.ys)
    messages = []
    before, after = refit_equation_model(
        model, small_dataset.xs, small_dataset.ys, "betas", max_iterations=20, log=messages.append
    )
    assert before == pytest.approx(distilled, abs=1e-5)
    assert after < before
    assert after == pytest.approx(choice_nll(AgentNetwork(model).predict(small_dataset.xs), small_dataset.ys), abs=1e-5)
    assert messages == [f"Refit of betas: NLL per trial {before:.5f} -> {after:.5f}"]


def test_a_failed_refit_says_so_and_keeps_the_distilled_values(small_dataset, monkeypatch):
    def diverging(loss, parameters, max_iterations, log):
        with torch.no_grad():
            for parameter in parameters:
                parameter.fill_(math.nan)
        return math.nan

    monkeypatch.setattr(refit_module, "minimise", diverging)
    model = hand_made_model()
    distilled = {name: value.clone() for name, value in model.state_dict().items()}
    messages = []
    before, after = refit_equation_model(model, small_dataset.xs, small_dataset.ys, log=messages.append)
    assert after == before and math.isfinite(before)
    assert messages == [
        f"Refit of coefficients failed (non-finite loss); kept the distilled values (NLL per trial {before:.5f})."
    ]
    for name, value in model.state_dict().items():
        torch.testing.assert_close(value, distilled[name])


def test_a_refit_that_does_not_improve_keeps_the_distilled_values(small_dataset, monkeypatch):
    monkeypatch.setattr(refit_module, "minimise", lambda loss, parameters, max_iterations, log: 9.0)
    messages = []
    before, after = refit_equation_model(hand_made_model(), small_dataset.xs, small_dataset.ys, log=messages.append)
    assert after == before
    assert messages == [
        f"Refit of coefficients did not improve the equation model (NLL per trial {before:.5f} -> 9.00000); "
        "kept the distilled values."
    ]


def test_minimise_says_when_lbfgs_fails_and_adam_takes_over():
    weight = torch.nn.Parameter(torch.tensor([1.0]))
    calls = []

    def loss():
        calls.append(None)
        if len(calls) == 1:
            raise RuntimeError("the line search left the trained range")
        return ((weight - 2.0) ** 2).sum()

    messages = []
    final = minimise(loss, [weight], max_iterations=300, log=messages.append)
    assert messages == [
        "Refit: L-BFGS failed (RuntimeError: the line search left the trained range); "
        "starting again from the distilled values with Adam."
    ]
    assert final < 0.01 and abs(weight.item() - 2.0) < 0.1


def test_minimise_returns_nan_when_every_step_is_non_finite():
    weight = torch.nn.Parameter(torch.tensor([1.0]))
    messages = []
    final = minimise(lambda: weight.sum() * math.inf, [weight], max_iterations=5, log=messages.append)
    assert math.isnan(final) and weight.item() == 1.0
    assert messages == [
        "Refit: L-BFGS failed (FloatingPointError: non-finite loss); starting again from the distilled values with Adam."
    ]


def test_a_constant_equation_outside_its_range_prints_at_the_bound_it_acts_at():
    equation = ModuleEquation(["lr", "c"], [[0, 0], [1, 0], [0, 1]], [[-7.4, 0.0, 0.0], [1.3, 0.0, 0.2], [0.3, 0, 0]], bounds=(0, 1))
    modules = EquationModules(EquationSet({"lr": equation}, {}, ["a", "b", "c"]))
    assert modules.clip_constant_equations() == 1  # b has a second term, c is inside: both untouched
    np.testing.assert_allclose(modules.coefficients["lr"].detach().numpy(), [[0.0, 0, 0], [1.3, 0, 0.2], [0.3, 0, 0]], atol=1e-6)


def _with_betas(estimator, participant: int, **betas):
    """An equation model of the estimator's equations with one participant's betas replaced (on a copy: the
    fixture is shared)."""
    equations = estimator.equations_.subset(np.arange(estimator.equations_.n_participants))
    for name, value in betas.items():
        equations.betas[name][participant] = value
    return equation_model(estimator.rnn_, equations)


def test_a_participant_worse_than_chance_is_refitted_alone_and_the_others_are_left_alone(population_fit):
    estimator, dataset = population_fit
    xs, ys = estimator._check_data(dataset.xs, dataset.ys)
    model = _with_betas(estimator, 1, x_value_reward=-8.0)  # prefers the worse arm: far worse than chance
    before, _ = participant_nll(model, xs, ys)
    assert before[1] > math.log(2) + 0.05 and (before[[0, 2]] < math.log(2)).all()
    repaired, table = no_worse_than_chance(model, xs, ys, log=lambda _: None)
    after, _ = participant_nll(repaired, xs, ys)
    assert list(table["participant"]) == [dataset.participant_ids[1]] and list(table["action"]) == ["refitted alone"]
    assert after[1] < math.log(2) and table["nll_after"].iloc[0] == pytest.approx(after[1], abs=1e-5)
    np.testing.assert_allclose(after[[0, 2]], before[[0, 2]], rtol=0, atol=1e-7)  # the others: untouched
    unchanged, nobody = no_worse_than_chance(repaired, xs, ys, log=lambda _: None)
    assert nobody.empty and unchanged is repaired


def test_a_participant_the_refit_cannot_rescue_is_set_to_chance_and_logged(population_fit, monkeypatch):
    estimator, dataset = population_fit
    xs, ys = estimator._check_data(dataset.xs, dataset.ys)
    model = _with_betas(estimator, 2, x_value_reward=-8.0)
    monkeypatch.setattr(refit_module, "refit_equation_model", lambda *args, **kwargs: None)  # a refit that achieves nothing
    messages = []
    repaired, table = no_worse_than_chance(model, xs, ys, log=messages.append)
    assert list(table["action"]) == ["betas set to 0"]
    after, _ = participant_nll(repaired, xs, ys)
    assert after[2] == pytest.approx(math.log(2), abs=1e-6)
    assert all(value[2] == 0 for value in model_equations(repaired).betas.values())
    assert len(messages) == 1 and "worse than chance" in messages[0] and "betas set to 0" in messages[0]
