"""Distillation into equations, the equation model and the equations table."""

import io

import numpy as np
import pytest
import torch

from spice_lib import (
    WEINHARDT_2024_CONFIG,
    AgentQ,
    BanditsDrift,
    SpiceConfig,
    SpiceEstimator,
    Weinhardt2024RNN,
    create_dataset,
    read_equations,
    write_equations,
)
from spice_lib.equation_replay import replay_weinhardt2024
from spice_lib.equations import EquationModules, EquationSet, ModuleEquation
from spice_lib.evaluation import choice_nll
from spice_lib.sindy import DistillationSettings, distill_recording, module_samples, record
from spice_lib.tutorial_rnn import CustomRNN, custom_config

CONFIG = SpiceConfig(
    rnn_modules=["x_value"],
    control_parameters=["c_action", "c_reward"],
    library_setup={"x_value": ["c_reward"]},
    filter_setup={"x_value": ["c_action", 1, True]},
)


def hand_built_recording(seed=0, n_time=60, batch=40, n_actions=2):
    """A recording made without any RNN: participant p's chosen arm follows
    x[k+1] = c0[p] + c1[p] x[k] + c2[p] r[k]; unchosen arms do something else entirely."""
    rng = np.random.default_rng(seed)
    c0, c1, c2 = np.array([0.1, 0.0]), np.array([0.8, 0.6]), np.array([0.0, 0.35])
    participant = np.arange(batch) % 2
    before = rng.uniform(0, 1, (n_time, batch, n_actions))
    # Continuous rewards: with 0/1 rewards r and r^2 are the same column and their weights not identifiable.
    reward = rng.uniform(0, 1, (n_time, batch, n_actions))
    action = np.eye(n_actions)[rng.integers(0, n_actions, (n_time, batch))]
    p = participant[None, :, None]
    chosen_next = c0[p] + c1[p] * before + c2[p] * reward
    after = np.where(action == 1, chosen_next, 5.0 - before**2)  # unchosen samples must be filtered out
    return {
        "participant_index": participant,
        "valid": np.ones((n_time, batch), bool),
        "signals": {"x_value": before, "c_reward": reward, "c_action": action},
        "outputs": {"x_value": after},
    }


def test_distillation_recovers_known_coefficients_from_a_recording():
    equations = distill_recording(hand_built_recording(), CONFIG, ["a", "b"], DistillationSettings(degree=2))
    equation = equations["x_value"]
    assert equation.variables == ["x_value", "c_reward"]
    expected = {"a": {"1": 0.1, "x_value[k]": 0.8}, "b": {"x_value[k]": 0.6, "c_reward[k]": 0.35}}
    for index, participant in enumerate(["a", "b"]):
        for term, coefficient in zip(equation.term_names, equation.coefficients[index]):
            assert coefficient == pytest.approx(expected[participant].get(term, 0.0), abs=1e-6), (participant, term)


def test_centred_fit_makes_decay_to_the_start_value_sparse():
    """x[k+1] = 0.1 + 0.8 x[k] decays to 0.5 (the start value): centred at 0.5 it is one term, 0.8 (x - 0.5);
    x[k+1] = 0.3 + 0.8 x[k] decays to 1.5 and keeps its constant."""
    recording = hand_built_recording()
    before, action = recording["signals"]["x_value"], recording["signals"]["c_action"]
    target = np.where(recording["participant_index"][None, :, None] == 0, 0.1, 0.3) + 0.8 * before
    recording["outputs"]["x_value"] = np.where(action == 1, target, 0.0)
    settings = DistillationSettings(degree=1, threshold=0.05)
    equation = distill_recording(recording, CONFIG, ["a", "b"], settings, centers={"x_value": 0.5})["x_value"]
    assert equation.center == 0.5 and equation.term_names == ["1", "x_value[k]", "c_reward[k]"]
    np.testing.assert_allclose(equation.coefficients, [[0.0, 0.8, 0.0], [0.2, 0.8, 0.0]], atol=1e-9)
    np.testing.assert_allclose(equation.expanded_coefficients(), [[0.1, 0.8, 0.0], [0.3, 0.8, 0.0]], atol=1e-9)
    assert equation.value_at(0, x_value=0.25) == pytest.approx(0.1 + 0.8 * 0.25)
    plain = distill_recording(recording, CONFIG, ["a", "b"], DistillationSettings(degree=1, center=False), {"x_value": 0.5})
    np.testing.assert_allclose(plain["x_value"].coefficients, [[0.1, 0.8, 0.0], [0.3, 0.8, 0.0]], atol=1e-9)


def test_an_incremental_module_is_fitted_as_the_change_so_a_value_left_alone_is_the_empty_equation():
    """Participant a leaves the value as it is (x[k+1] = x[k]); b forgets towards the start value 0.5 at rate
    0.3. As changes, a's equation has no term and b's one (-0.3 (x - 0.5)); the printed plain polynomial and
    the evaluation are the same as the plain form's, in numpy and in the torch equation model."""
    recording = hand_built_recording()
    before, action = recording["signals"]["x_value"], recording["signals"]["c_action"]
    forgetting = np.where(recording["participant_index"][None, :, None] == 0, 0.0, 0.3)
    recording["outputs"]["x_value"] = np.where(action == 1, before - forgetting * (before - 0.5), 0.0)
    config = SpiceConfig(**(CONFIG.to_dict() | {"incremental_modules": ["x_value"]}))
    assert SpiceConfig.from_dict(config.to_dict()) == config
    settings = DistillationSettings(degree=1, threshold=0.05)
    equation = distill_recording(recording, config, ["a", "b"], settings, centers={"x_value": 0.5})["x_value"]
    assert equation.incremental
    np.testing.assert_allclose(equation.coefficients, [[0.0, 0.0, 0.0], [0.0, -0.3, 0.0]], atol=1e-9)
    np.testing.assert_allclose(equation.expanded_coefficients(), [[0.0, 1.0, 0.0], [0.15, 0.7, 0.0]], atol=1e-9)
    plain = distill_recording(recording, CONFIG, ["a", "b"], settings, centers={"x_value": 0.5})["x_value"]
    np.testing.assert_allclose(plain.coefficients, [[0.0, 1.0, 0.0], [0.0, 0.7, 0.0]], atol=1e-9)
    points, participant = np.random.default_rng(1).uniform(0, 1, (10, 2)), np.arange(10) % 2
    np.testing.assert_allclose(equation.evaluate(points, participant), plain.evaluate(points, participant))
    # the table keeps the form: the change as fitted, the plain polynomial as printed
    equations = EquationSet({"x_value": equation}, {"beta": np.ones(2)}, ["a", "b"])
    again = EquationSet.from_table(equations.to_table(), equations.structure()).modules["x_value"]
    assert again.incremental and np.array_equal(again.coefficients, equation.coefficients)
    modules = EquationModules(equations)
    modules.start_forward(torch.as_tensor(participant))
    value, reward = torch.as_tensor(points, dtype=torch.float32).split(1, dim=1)
    values = modules.evaluate("x_value", value, {"c_reward": reward}).detach()[:, 0].numpy()
    np.testing.assert_allclose(values, plain.evaluate(points, participant), atol=1e-6)


def test_an_equation_records_whether_its_bounds_are_its_activations_or_a_guard():
    recording = hand_built_recording()
    settings = DistillationSettings(degree=1, threshold=0.05)
    guarded = distill_recording(recording, CONFIG, ["a", "b"], settings, log=None)["x_value"]
    assert not guarded.activation_bounds and guarded.bounds[1] > 1.0  # the network's range, widened
    recording["ranges"] = {"x_value": (0.0, 1.0)}  # as a sigmoid's call_module records it
    bounded = distill_recording(recording, CONFIG, ["a", "b"], settings, log=None)["x_value"]
    assert bounded.activation_bounds and bounded.bounds == (0.0, 1.0)
    for equation in (guarded, bounded):  # the table keeps where the bounds come from
        equations = EquationSet({"x_value": equation}, {"beta": np.ones(2)}, ["a", "b"])
        again = EquationSet.from_table(equations.to_table(), equations.structure()).modules["x_value"]
        assert again.activation_bounds == equation.activation_bounds
        # A table written before the origin was recorded: an activation's range is told by its exact bounds.
        structure = equations.structure()
        del structure["modules"][0]["activation_bounds"]
        assert EquationSet.from_table(equations.to_table(), structure).modules["x_value"].activation_bounds == equation.activation_bounds


def test_an_equation_is_unstable_where_it_carries_its_value_away_from_every_value():
    # Changes (incremental) c + a (x - 0.5): forgetting towards 0.9 (a = -0.25) and a reset (a = -1) are
    # stable, as is the empty change; a constant alone drifts with no fixed point; a > 0 runs away from its
    # fixed point; a = -2 flips around it for ever.
    changes = [[0.1, -0.25], [0.0, -1.0], [0.0, 0.0], [0.03, 0.0], [0.0, 0.05], [0.1, -2.0]]
    guarded = ModuleEquation(["x"], [[0], [1]], changes, center=0.5, bounds=(-1.0, 2.0), incremental=True)
    np.testing.assert_array_equal(guarded.unstable(), [False, False, False, True, True, True])
    np.testing.assert_array_equal(guarded.drifts(np.asarray(changes) != 0), [False, False, False, True, False, False])
    # The same numbers as values (not incremental): multipliers -0.25, -1, 0, 0, 0.05, -2.
    values = ModuleEquation(["x"], [[0], [1]], changes, center=0.5, bounds=(-1.0, 2.0))
    np.testing.assert_array_equal(values.unstable(), [False, True, False, False, False, True])
    assert not values.drifts(np.asarray(changes) != 0).any()
    # Bounds that are an activation's are a limit of the mechanism: a trace stepped to 1 is set there.
    traced = ModuleEquation(["x"], [[0], [1]], changes, bounds=(0.0, 1.0), incremental=True, activation_bounds=True)
    assert not traced.unstable().any() and not traced.drifts(np.asarray(changes) != 0).any()


def test_expansion_of_a_centred_quadratic():
    equation = ModuleEquation(["x", "u"], [[0, 0], [1, 0], [0, 1], [2, 0], [1, 1], [0, 2]], [[0.0, 1.0, 0.5, 2.0, 3.0, 0.0]], center=0.5)
    points = np.random.default_rng(0).uniform(-1, 1, (20, 2))
    plain = ModuleEquation(["x", "u"], equation.powers, equation.expanded_coefficients())
    np.testing.assert_allclose(plain.evaluate(points, np.zeros(20, int)), equation.evaluate(points, np.zeros(20, int)))


def test_threshold_removes_small_terms_and_filter_can_exclude():
    recording = hand_built_recording()
    small = distill_recording(recording, CONFIG, ["a", "b"], DistillationSettings(degree=1, threshold=0.4))
    # 0.1 (a's constant) and 0.35 (b's reward weight) fall below 0.4 and are cut; the rest is refitted
    assert small["x_value"].coefficient("1", 0) == 0 and small["x_value"].coefficient("c_reward[k]", 1) == 0
    assert small["x_value"].coefficient("x_value[k]", 0) > 0.8
    excluding = SpiceConfig(["x_value"], ["c_action", "c_reward"], {"x_value": ["c_reward"]}, {"x_value": ["c_action", 0, False]})
    same = distill_recording(recording, excluding, ["a", "b"], DistillationSettings(degree=2))
    np.testing.assert_allclose(same["x_value"].coefficients[0][:3], [0.1, 0.8, 0.0], atol=1e-6)


def test_missing_signal_and_too_few_samples_are_clear_errors():
    recording = hand_built_recording()
    del recording["signals"]["c_reward"]
    with pytest.raises(KeyError, match=r"\['c_reward'\] needed for 'x_value' were not recorded"):
        distill_recording(recording, CONFIG, ["a", "b"], DistillationSettings())
    with pytest.raises(ValueError, match="participant 'c' has 0 samples"):
        distill_recording(hand_built_recording(), CONFIG, ["a", "b", "c"], DistillationSettings())


def test_batched_equation_model_equals_the_numpy_replay(population_fit):
    estimator, dataset = population_fit
    _, batched = estimator.predict(dataset.xs)
    replayed = replay_weinhardt2024(estimator.equations_, dataset.xs.numpy())
    np.testing.assert_allclose(batched, replayed, atol=2e-5)


def test_equations_table_round_trips_into_identical_predictions(tmp_path, population_fit):
    estimator, dataset = population_fit
    path = tmp_path / "equations.parquet"
    write_equations(path, estimator.equations_, {"seed": estimator.seed_, "versions": {"x": "1"}})
    loaded, metadata = read_equations(path)
    assert metadata["seed"] == estimator.seed_ and loaded.participant_ids == dataset.participant_ids
    assert list(loaded.modules) == list(estimator.equations_.modules) and list(loaded.betas) == list(estimator.equations_.betas)
    for name, equation in estimator.equations_.modules.items():
        np.testing.assert_array_equal(loaded.modules[name].coefficients, equation.coefficients)
    _, before = estimator.predict(dataset.xs)
    estimator.set_equations(loaded)
    _, after = estimator.predict(dataset.xs)
    np.testing.assert_array_equal(after, before)
    table = loaded.to_table()
    assert set(table["kind"]) == {"term", "beta"} and table["participant"].nunique() == 3


def test_print_spice_model_prints_the_tutorials_format(population_fit):
    estimator, _ = population_fit
    printed = io.StringIO()
    estimator.print_spice_model(participant_id="1", file=printed)
    lines = printed.getvalue().splitlines()
    assert lines[0] == "SPICE modules:" and lines[1] == "Participant 1:"
    assert lines[2].startswith("α[k+1] = ")
    assert lines[-3].startswith("β_V = ") and lines[-2].startswith("β_C = ")
    assert lines[-1].startswith("Symbols: α = x_learning_rate_reward, V_nc = x_value_reward_not_chosen, ")
    equation = estimator.equations_.modules["x_value_reward_not_chosen"]
    c, s = equation.expanded_coefficients()[1][:2]
    assert c != 0 and s != 0
    low, high = equation.bounds  # no activation bounds this module: a margin around the values it produced
    assert low < 0 < high
    assert lines[3] == (
        f"V_nc[k+1] = {'−' if c < 0 else ''}{abs(c):.3f} {'−' if s < 0 else '+'} "
        f"{abs(s):.3f}·V_nc[k]  (kept in [−{abs(low):.3g}, {high:.3g}])"
    )
    everyone = io.StringIO()
    estimator.print_spice_model(file=everyone)
    assert everyone.getvalue().count("Participant") == 3 and everyone.getvalue().count("Symbols: ") == 1
    with pytest.raises(KeyError, match="no participant 'zz'"):
        estimator.print_spice_model("zz")


def test_tutorial_custom_rnn_distils_and_refit_improves_the_likelihood(small_dataset):
    estimator = SpiceEstimator(CustomRNN, custom_config, epochs=20, seed=0, verbose=False, refit_parameters="none")
    estimator.fit(small_dataset.xs, small_dataset.ys)
    assert set(estimator.equations_.modules) == set(custom_config.rnn_modules)
    distilled = estimator.equations_
    nll_distilled = choice_nll(estimator.predict(small_dataset.xs)[1], small_dataset.ys)

    estimator.set_params(refit_parameters="coefficients", select_terms=False)  # the refit alone
    estimator.distill(small_dataset.xs, small_dataset.ys)
    nll_refit = choice_nll(estimator.predict(small_dataset.xs)[1], small_dataset.ys)
    assert nll_refit < nll_distilled
    for name, equation in estimator.equations_.modules.items():
        # the refit changes the numbers and may drop terms, never adds one
        assert not ((equation.coefficients != 0) & (distilled.modules[name].coefficients == 0)).any()
    with pytest.raises(ValueError, match="needs the choices"):
        estimator.distill(small_dataset.xs)


def test_equation_model_needs_every_rnn_module():
    from spice_lib.equations import equation_model

    rnn = Weinhardt2024RNN(n_actions=2, n_participants=1)
    only_one = EquationSet(
        {"x_value_choice_chosen": ModuleEquation(["x_value_choice_chosen"], [[0], [1]], [[0.5, 0.0]])},
        {"x_value_reward": [1.0], "x_value_choice": [1.0]},
        ["0"],
    )
    with pytest.raises(ValueError, match="no equations for RNN module"):
        equation_model(rnn, only_one)


def test_spice_agent_steps_like_its_forward_pass(population_fit):
    estimator, dataset = population_fit
    agent = estimator.spice_agent
    batched = agent.predict(dataset.xs)
    stepped = super(type(agent), agent).predict(dataset.xs)
    np.testing.assert_allclose(stepped, batched, atol=1e-6)
    generated, _, _ = create_dataset(agent, BanditsDrift(0.2), n_trials=10, n_sessions=2, seed=0)
    assert generated.xs.shape == (6, 10, 5)  # two sessions for each of the three participants


def test_spice_model_is_close_to_the_truth_after_real_training():
    """A short but real fit of the tutorial's agent: the equations predict as well as the truth."""
    agent = AgentQ(alpha_reward=0.3, forget_rate=0.2, beta_choice=1.0, alpha_choice=1.0)
    dataset, _, _ = create_dataset(agent, BanditsDrift(0.2), n_trials=100, n_sessions=60, seed=5)
    estimator = SpiceEstimator(Weinhardt2024RNN, WEINHARDT_2024_CONFIG, epochs=150, seed=0, verbose=False)
    estimator.fit(dataset.xs, dataset.ys)
    true_nll = choice_nll(agent.predict(dataset.xs), dataset.ys)
    assert choice_nll(estimator.predict(dataset.xs)[1], dataset.ys) < true_nll + 0.01
    assert abs(estimator.equations_.betas["x_value_reward"][0] - 3.0) < 0.8


def test_thresholded_refit_removes_a_term_the_choices_do_not_support():
    """Hand-made equations of the true model plus a spurious value term in the learning rate: refitting on
    the choices shrinks it below the threshold, removes it and refits the rest near the truth."""
    from spice_lib.equations import equation_model
    from spice_lib.refit import refit_equation_model

    agent = AgentQ(alpha_reward=0.3, forget_rate=0.2, beta_choice=1.0, alpha_choice=1.0)
    dataset, _, _ = create_dataset(agent, BanditsDrift(0.2), n_trials=100, n_sessions=80, seed=8)
    single = [[0], [1]]
    equations = EquationSet(
        {
            "x_learning_rate_reward": ModuleEquation(
                ["x_learning_rate_reward", "c_reward", "c_value_reward"],
                [[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]],
                [[0.25, 0.0, 0.0, 0.08]],
            ),
            "x_value_reward_not_chosen": ModuleEquation(["x_value_reward_not_chosen"], single, [[0.0, 0.75]], center=0.5),
            "x_value_choice_chosen": ModuleEquation(["x_value_choice_chosen"], single, [[0.9, 0.0]]),
            "x_value_choice_not_chosen": ModuleEquation(["x_value_choice_not_chosen"], single, [[0.1, 0.0]]),
        },
        {"x_value_reward": [2.5], "x_value_choice": [1.0]},
        ["0"],
    )
    model = equation_model(Weinhardt2024RNN(n_actions=2, n_participants=1), equations)
    before, after = refit_equation_model(model, dataset.xs, dataset.ys, "coefficients", threshold=0.05, log=lambda _: None)
    assert after < before
    from spice_lib.equations import model_equations

    refitted = model_equations(model)
    rate = refitted.modules["x_learning_rate_reward"]
    assert rate.coefficient("c_value_reward[k]") == 0.0
    assert abs(rate.coefficient("1") - 0.3) < 0.05
    assert abs(refitted.betas["x_value_reward"][0] - 3.0) < 0.45


def test_a_module_bounded_by_its_activation_keeps_its_equation_in_range(tmp_path, small_dataset):
    # A learning-rate equation distilled or refitted outside [0, 1] would make values grow without bound.
    rate = ModuleEquation(["lr", "c_reward"], [[0, 0], [1, 0], [0, 1]], [[0.2, 0.0, 1.5], [-0.4, 0.0, 0.0]], bounds=(0, 1))
    np.testing.assert_allclose(rate.evaluate(np.array([[0.0, 1.0], [0.0, 0.5]]), np.array([0, 1])), [1.0, 0.0])
    assert rate.value_at(0, c_reward=0.2) == pytest.approx(0.5)
    estimator = SpiceEstimator(
        Weinhardt2024RNN, WEINHARDT_2024_CONFIG, epochs=2, seed=0, verbose=False, refit_parameters="none"
    ).fit(small_dataset.xs, small_dataset.ys)
    bounds = {name: equation.bounds for name, equation in estimator.equations_.modules.items()}
    # the three sigmoid modules are bounded by it; the not-chosen reward value has a linear output, so its
    # equation is held to the values the network produced, widened by their range on either side
    linear = bounds.pop("x_value_reward_not_chosen")
    assert bounds == {"x_learning_rate_reward": (0.0, 1.0), "x_value_choice_chosen": (0.0, 1.0), "x_value_choice_not_chosen": (0.0, 1.0)}
    produced = module_samples(record(estimator.rnn_, small_dataset.xs), WEINHARDT_2024_CONFIG, "x_value_reward_not_chosen").targets
    width = produced.max() - produced.min()
    assert linear == pytest.approx((produced.min() - width, produced.max() + width))
    printed = io.StringIO()
    estimator.print_spice_model(file=printed)
    assert printed.getvalue().count("(kept in [0, 1])") == 3
    path = tmp_path / "equations.parquet"
    write_equations(path, estimator.equations_, {})
    assert read_equations(path)[0].modules["x_value_choice_chosen"].bounds == (0.0, 1.0)
