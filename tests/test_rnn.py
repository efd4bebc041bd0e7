"""BaseRNN, the precoded models and SpiceEstimator's training side."""

import numpy as np
import pytest
import torch

from spice_lib import (
    FORGETTING_CONFIG,
    RESCORLA_WAGNER_CONFIG,
    WEINHARDT_2024_CONFIG,
    BanditsDrift,
    BaseRNN,
    DatasetRNN,
    ForgettingRNN,
    RescorlaWagnerRNN,
    SpiceConfig,
    SpiceEstimator,
    Weinhardt2024RNN,
    create_dataset,
)
from spice_lib.equations import EquationSet, ModuleEquation, equation_model
from spice_lib.plotting import plot_session
from spice_lib.sindy import DistillationSettings, distill
from spice_lib.training import next_choice_nll
from spice_lib.tutorial_rnn import CustomRNN, custom_config


def estimator(rnn_class=Weinhardt2024RNN, config=WEINHARDT_2024_CONFIG, **settings):
    defaults = dict(epochs=5, learning_rate=1e-2, seed=0, verbose=False, refit_parameters="none")
    return SpiceEstimator(rnn_class, config, **(defaults | settings))


def randomised(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Weights far from their initial values, so that every path of the model matters."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.7)
    return model


def test_tutorial_custom_rnn_trains_through_the_estimator(small_dataset):
    fitted = estimator(CustomRNN, custom_config, epochs=30).train(small_dataset.xs, small_dataset.ys)
    losses = fitted.history_["train_loss"]
    assert len(losses) == 30 and losses.iloc[-1] < losses.iloc[0]
    assert isinstance(fitted.rnn_, CustomRNN)


def ragged_three_arm_dataset(seed: int = 0) -> tuple[DatasetRNN, list[int]]:
    """3 arms, 4 participants, 6 sessions of different lengths (so each is padded differently); the first
    three sessions see only the chosen arm's reward, the others every arm's. Returns it and the lengths."""
    rng = np.random.default_rng(seed)
    lengths = [12, 5, 9, 2, 7, 11]
    n_trials = max(lengths)
    choices = rng.integers(0, 3, (len(lengths), n_trials))
    choices[np.arange(n_trials) >= np.array(lengths)[:, None]] = -1
    rewards = rng.integers(0, 2, (len(lengths), n_trials, 3)).astype(float)
    unchosen = np.arange(3) != np.maximum(choices, 0)[..., None]
    rewards[:3][unchosen[:3]] = -1.0
    dataset = DatasetRNN.from_sessions(choices, rewards, participant_index=[0, 1, 2, 3, 1, 3])
    return dataset, lengths


@pytest.mark.parametrize("case", ["two arms, one participant", "three arms, four participants, padded"])
def test_grouped_path_computes_the_same_function_as_the_tutorials_loop(small_dataset, case):
    if case.startswith("two"):
        dataset, n_actions, n_participants = small_dataset, 2, 1
    else:
        dataset, n_actions, n_participants = ragged_three_arm_dataset()[0], 3, 4
        assert (dataset.xs[..., 0] < 0).any()  # there is padding
    model = randomised(Weinhardt2024RNN(n_actions=n_actions, n_participants=n_participants))
    tutorial = CustomRNN(n_actions=n_actions, n_participants=n_participants)
    tutorial.load_state_dict(model.state_dict())  # same parameter names, same layout
    embeddings = model.participant_embedding.weight
    assert all(not torch.equal(embeddings[0], embeddings[i]) for i in range(1, n_participants))

    model.use_grouped_path = True
    grouped_logits, grouped_state = model(dataset.xs, batch_first=True)
    model.use_grouped_path = False
    loop_logits, loop_state = model(dataset.xs, batch_first=True)
    tutorial_logits, tutorial_state = tutorial(dataset.xs, batch_first=True)
    torch.testing.assert_close(grouped_logits, loop_logits, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(grouped_logits, tutorial_logits, atol=1e-5, rtol=1e-5)
    for name in grouped_state:
        torch.testing.assert_close(grouped_state[name], loop_state[name], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(grouped_state[name], tutorial_state[name], atol=1e-5, rtol=1e-5)

    # ... and the same gradients
    gradients = []
    for network, grouped in ((model, True), (model, False), (tutorial, None)):
        if grouped is not None:
            network.use_grouped_path = grouped
        network.zero_grad()
        next_choice_nll(network(dataset.xs, batch_first=True)[0], dataset.ys).backward()
        gradients.append({name: p.grad.clone() for name, p in network.named_parameters()})
    for other in gradients[1:]:
        assert other.keys() == gradients[0].keys()
        for name in gradients[0]:
            torch.testing.assert_close(gradients[0][name], other[name], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("degree", [1, 2])
@pytest.mark.parametrize(
    "case",
    [
        "two arms, one participant",
        "three arms, four participants, padded, one equation unbounded",
        "two arms, forgetting that reads the reward and the chosen arm's trace",  # a library of a user's config
    ],
)
def test_the_equation_models_grouped_path_computes_the_same_function_as_the_tutorials_loop(small_dataset, case, degree):
    """Every term of every module switched on, with each participant's own numbers; the same logits, final
    state and gradients of coefficients and betas whichever path runs."""
    if case.startswith("two"):
        dataset, n_actions, participant_ids = small_dataset, 2, ["0"]
    else:
        dataset, n_actions, participant_ids = ragged_three_arm_dataset()[0], 3, ["a", "b", "c", "d"]
    rnn = randomised(Weinhardt2024RNN(n_actions=n_actions, n_participants=len(participant_ids)))
    distilled = distill(rnn, WEINHARDT_2024_CONFIG, dataset.xs, participant_ids, DistillationSettings(degree=degree, threshold=0.0), log=None)
    rng = np.random.default_rng(degree)
    modules = {}
    for name, equation in distilled.modules.items():
        # kept inside their bounds, where the gradients live: values near 0.5, changes near 0
        constant = equation.powers.sum(1) == 0
        coefficients = rng.normal(0.0, 0.1 if equation.incremental else 0.3, equation.coefficients.shape)
        coefficients += 0.0 if equation.incremental else 0.5 * constant
        modules[name] = equation.with_coefficients(coefficients)
    if "unbounded" in case:
        modules["x_value_reward_not_chosen"].bounds = None
    if "reads" in case:
        forgetting = modules["x_value_reward_not_chosen"]
        variables = forgetting.variables + ["c_reward", "x_value_choice_chosen"]
        powers = np.vstack([np.zeros(len(variables), dtype=int), np.eye(len(variables), dtype=int)])  # 1, own, r, trace
        coefficients = rng.normal(0.0, 0.1, (len(participant_ids), len(powers)))
        coefficients[:, 1] -= 0.3  # a decay, so that the value stays inside its bounds
        # bounds around the centre: a randomised network's range need not hold it
        modules["x_value_reward_not_chosen"] = ModuleEquation(variables, powers, coefficients, forgetting.center, (-1.0, 2.0), True)
    model = equation_model(rnn, EquationSet(modules, distilled.betas, participant_ids))
    assert all((model.equations.coefficients[name] != 0).all() for name in modules)

    outputs = []
    for grouped in (True, False):
        model.use_grouped_path = grouped
        for parameter in model.parameters():
            parameter.requires_grad_(True)
        model.zero_grad()
        logits, state = model(dataset.xs, batch_first=True)
        next_choice_nll(logits, dataset.ys).backward()
        outputs.append((logits.detach(), state, {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}))
    (grouped_logits, grouped_state, grouped_gradients), (loop_logits, loop_state, loop_gradients) = outputs
    torch.testing.assert_close(grouped_logits, loop_logits, atol=1e-5, rtol=1e-5)
    for name in loop_state:
        torch.testing.assert_close(grouped_state[name], loop_state[name], atol=1e-5, rtol=1e-5)
    assert sorted(grouped_gradients) == sorted(loop_gradients) and len(loop_gradients) == 4 + 2  # coefficients, betas
    for name in loop_gradients:
        assert loop_gradients[name].abs().max() > 0, name
        torch.testing.assert_close(grouped_gradients[name], loop_gradients[name], atol=1e-5, rtol=1e-5)


class TimestepsLastRNN(BaseRNN):
    """Iterates `timesteps` last in its zip, so the loop never resumes it after the final trial."""

    init_values = {"x_value": 0.5}

    def __init__(self, n_actions, n_participants):
        super().__init__(n_actions=n_actions, embedding_size=2)
        self.participant_embedding = self.setup_embedding(n_participants, self.embedding_size)
        self.submodules_rnn["x_value_not_chosen"] = self.setup_module(0 + self.embedding_size)

    def forward(self, inputs, prev_state=None, batch_first=False):
        (actions, _, _, _), (participant_id, _), logits, timesteps = self.init_forward_pass(
            inputs, prev_state, batch_first
        )
        embedding = self.participant_embedding(participant_id[:, 0])
        for action, timestep in zip(actions, timesteps):
            not_chosen = self.call_module("x_value_not_chosen", "x_value", 1 - action, None, embedding)
            self.state["x_value"] = self.state["x_value"] * action + not_chosen
            logits[timestep] = self.state["x_value"]
        return self.post_forward_pass(logits, batch_first), self.get_state()


def weinhardt(grouped: bool):
    def build(n_actions, n_participants):
        model = Weinhardt2024RNN(n_actions=n_actions, n_participants=n_participants)
        model.use_grouped_path = grouped
        return model

    return build


@pytest.mark.parametrize(
    "build",
    [weinhardt(True), weinhardt(False), CustomRNN, RescorlaWagnerRNN, ForgettingRNN, TimestepsLastRNN],
    ids=["Weinhardt2024RNN-grouped", "Weinhardt2024RNN-loop", "CustomRNN", "RescorlaWagnerRNN", "ForgettingRNN",
         "timesteps-last-in-zip"],
)  # fmt: skip
def test_padding_leaves_the_state_unchanged(build):
    """Each session run alone, unpadded, ends in the state it ends in inside the padded batch."""
    dataset, lengths = ragged_three_arm_dataset()
    model = randomised(build(n_actions=3, n_participants=4))
    batch_logits, batch_state = model(dataset.xs, batch_first=True)
    assert set(batch_state) == set(model.init_values)
    for session, length in enumerate(lengths):
        alone_logits, alone_state = model(dataset.xs[session : session + 1, :length], batch_first=True)
        torch.testing.assert_close(batch_logits[session, :length], alone_logits[0])
        for name in batch_state:
            torch.testing.assert_close(batch_state[name][session], alone_state[name][0], msg=f"{name}, {session}")


def padded(dataset: DatasetRNN, extra: int) -> DatasetRNN:
    xs = torch.cat([dataset.xs, torch.full(dataset.xs.shape[:1] + (extra,) + dataset.xs.shape[2:], -1.0)], 1)
    xs[..., -1] = dataset.xs[:, :1, -1]
    ys = torch.cat([dataset.ys, torch.full(dataset.ys.shape[:1] + (extra,) + dataset.ys.shape[2:], -1.0)], 1)
    return DatasetRNN(xs, ys)


@pytest.mark.parametrize("grouped", [True, False])
def test_padded_trials_change_nothing(small_dataset, grouped):
    model = randomised(Weinhardt2024RNN(n_actions=2, n_participants=1))
    model.use_grouped_path = grouped
    longer = padded(small_dataset, extra=7)
    short_logits, _ = model(small_dataset.xs, batch_first=True)
    long_logits, _ = model(longer.xs, batch_first=True)
    torch.testing.assert_close(long_logits[:, : small_dataset.xs.shape[1]], short_logits)
    assert torch.isfinite(long_logits).all()
    torch.testing.assert_close(
        next_choice_nll(long_logits, longer.ys), next_choice_nll(short_logits, small_dataset.ys)
    )


def test_training_on_padded_data_gives_the_same_weights(small_dataset):
    longer = padded(small_dataset, extra=5)
    a = estimator(epochs=3).train(small_dataset.xs, small_dataset.ys).rnn_.state_dict()
    b = estimator(epochs=3).train(longer.xs, longer.ys).rnn_.state_dict()
    for name in a:
        torch.testing.assert_close(a[name], b[name])


def test_call_module_masks_chosen_and_not_chosen_arms():
    model = randomised(Weinhardt2024RNN(n_actions=3, n_participants=2))
    model.state = model.initial_state(batch_size=2)
    action = torch.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    embedding = model.participant_embedding(torch.tensor([0, 1]))
    full = model.call_module("x_value_choice_chosen", "x_value_choice", None, None, embedding)
    chosen = model.call_module("x_value_choice_chosen", "x_value_choice", action, None, embedding)
    not_chosen = model.call_module("x_value_choice_chosen", "x_value_choice", 1 - action, None, embedding)
    torch.testing.assert_close(chosen, full * action)
    torch.testing.assert_close(chosen + not_chosen, full)
    assert (chosen[action == 0] == 0).all() and (full != 0).all()
    # a hard-coded equation receives the stacked inputs, as the tutorial's lambda expects
    reward, rate = torch.tensor([[1.0, 0.0, 1.0]] * 2), torch.full((2, 3), 0.25)
    value = model.call_module("x_value_reward_chosen", "x_value_reward", action, (reward, rate))
    torch.testing.assert_close(value, (0.5 + 0.25 * (reward - 0.5)) * action)
    with pytest.raises(KeyError, match="no module or equation named 'nope'"):
        model.call_module("nope", "x_value_reward")


def test_recording_gives_before_and_after_values_and_is_off_by_default(small_dataset):
    model = randomised(Weinhardt2024RNN(n_actions=2, n_participants=1))
    model(small_dataset.xs, batch_first=True)
    assert not model.is_recording
    with model.recording() as recording:
        logits, _ = model(small_dataset.xs, batch_first=True)
    assert not logits.requires_grad and not model.is_recording
    data = recording.stacked()
    before = data["signals"]["x_value_reward_not_chosen"]
    after = data["outputs"]["x_value_reward_not_chosen"]
    action = data["signals"]["c_action"]
    n_time = before.shape[0]
    assert before.shape == after.shape == (n_time, len(small_dataset), 2)
    # the value after trial t on an unchosen arm is the value before trial t + 1
    unchosen = action[:-1] == 0
    np.testing.assert_allclose(after[:-1][unchosen], before[1:][unchosen], rtol=1e-6)
    np.testing.assert_array_equal(before[0], 0.5)  # the initial value
    assert data["valid"].all() and (data["participant_index"] == 0).all()


def test_same_seed_same_weights_and_global_seed_when_none(small_dataset):
    first = estimator(seed=3).train(small_dataset.xs, small_dataset.ys).rnn_.state_dict()
    again = estimator(seed=3).train(small_dataset.xs, small_dataset.ys).rnn_.state_dict()
    other = estimator(seed=4).train(small_dataset.xs, small_dataset.ys).rnn_.state_dict()
    assert all(torch.equal(first[k], again[k]) for k in first)
    assert not all(torch.equal(first[k], other[k]) for k in first)
    torch.manual_seed(42)
    a = estimator(seed=None).train(small_dataset.xs, small_dataset.ys)
    torch.manual_seed(42)
    b = estimator(seed=None).train(small_dataset.xs, small_dataset.ys)
    assert a.seed_ == b.seed_ and all(torch.equal(a.rnn_.state_dict()[k], b.rnn_.state_dict()[k]) for k in first)


def test_validation_split_and_early_stopping(small_dataset):
    fitted = estimator(epochs=200, validation_split=0.25, early_stopping_patience=3, learning_rate=0.2)
    fitted.train(small_dataset.xs, small_dataset.ys)
    history = fitted.history_
    assert history["validation_loss"].notna().all()
    assert len(history) < 200  # stopped early
    best = history["validation_loss"].idxmin()
    assert len(history) - 1 - best == 3  # stopped `patience` epochs after the best one
    with pytest.raises(ValueError, match="validation_split=0.99 leaves no sessions"):
        estimator(validation_split=0.99).train(small_dataset.xs, small_dataset.ys)


def test_progress_lines_every_n_epochs(small_dataset, capsys):
    estimator(epochs=6, print_every=2, verbose=True).train(small_dataset.xs, small_dataset.ys)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("Epoch")]
    assert [line.split()[1] for line in lines] == ["2/6", "4/6", "6/6"]
    assert "L(Train)" in lines[0]


class ExplodingRNN(Weinhardt2024RNN):
    """Produces NaN logits from its third forward pass on."""

    calls = 0

    def forward(self, inputs, prev_state=None, batch_first=False):
        type(self).calls += 1
        logits, state = super().forward(inputs, prev_state, batch_first)
        return (logits * float("nan") if type(self).calls >= 3 else logits), state


def test_nan_loss_stops_training_naming_the_epoch(small_dataset):
    ExplodingRNN.calls = 0
    with pytest.raises(FloatingPointError, match="became nan at epoch 3"):
        estimator(ExplodingRNN).train(small_dataset.xs, small_dataset.ys)


def test_threads_are_set_for_training_and_restored(small_dataset, monkeypatch):
    seen = []
    monkeypatch.setattr(torch, "set_num_threads", lambda n: seen.append(n))
    estimator(n_threads=3).train(small_dataset.xs, small_dataset.ys)
    assert seen == [3, torch.get_num_threads()]


def test_cuda_request_without_cuda_is_a_clear_error(small_dataset, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="device 'cuda' was asked for"):
        estimator(device="cuda").train(small_dataset.xs, small_dataset.ys)
    assert estimator(device="auto", epochs=1).train(small_dataset.xs, small_dataset.ys).device_.type == "cpu"


def test_save_and_load_give_identical_predictions(tmp_path, small_dataset):
    fitted = estimator(epochs=4).train(small_dataset.xs, small_dataset.ys)
    fitted.save(tmp_path / "model.pt")
    loaded = SpiceEstimator.load(tmp_path / "model.pt")
    np.testing.assert_array_equal(loaded.predict(small_dataset.xs)[0], fitted.predict(small_dataset.xs)[0])
    assert loaded.history_.equals(fitted.history_) and loaded.seed_ == fitted.seed_
    assert loaded.versions_["torch"] == torch.__version__
    assert loaded.get_params()["epochs"] == 4


class NotebookRNN(CustomRNN):
    """Stands for a class defined in a notebook: not importable by its recorded name."""


def test_load_rebuilds_a_notebook_class_from_the_class_passed(tmp_path, small_dataset):
    NotebookRNN.__module__ = "__main__"
    fitted = estimator(NotebookRNN, custom_config, epochs=2).train(small_dataset.xs, small_dataset.ys)
    fitted.save(tmp_path / "model.pt")
    with pytest.raises(ImportError, match="pass it as SpiceEstimator.load"):
        SpiceEstimator.load(tmp_path / "model.pt")
    loaded = SpiceEstimator.load(tmp_path / "model.pt", rnn_class=NotebookRNN)
    np.testing.assert_array_equal(loaded.predict(small_dataset.xs)[0], fitted.predict(small_dataset.xs)[0])


def test_rnn_agent_steps_like_the_forward_pass_and_plays_a_task(small_dataset):
    fitted = estimator(epochs=2).train(small_dataset.xs, small_dataset.ys)
    agent = fitted.rnn_agent
    batched = agent.predict(small_dataset.xs)
    stepped = super(type(agent), agent).predict(small_dataset.xs)  # the generic trial-by-trial replay
    np.testing.assert_allclose(stepped, batched, atol=1e-6)
    agent.new_sessions([0])
    assert set(agent.state) == {"x_value_reward", "x_value_choice", "x_learning_rate_reward"}
    np.testing.assert_allclose(agent.choice_probabilities(), [[0.5, 0.5]])
    generated, sessions, _ = create_dataset(agent, BanditsDrift(0.2), n_trials=10, n_sessions=3, seed=0)
    assert generated.xs.shape == (3, 10, 5) and sessions.choice_probabilities.shape == (3, 10, 2)


@pytest.mark.parametrize(
    "rnn_class, config", [(RescorlaWagnerRNN, RESCORLA_WAGNER_CONFIG), (ForgettingRNN, FORGETTING_CONFIG)]
)
def test_simpler_precoded_models_train(small_dataset, rnn_class, config):
    fitted = estimator(rnn_class, config, epochs=20, learning_rate=0.05).train(small_dataset.xs, small_dataset.ys)
    assert fitted.history_["train_loss"].iloc[-1] < fitted.history_["train_loss"].iloc[0]


@pytest.mark.parametrize(
    "settings, message",
    [
        (dict(library_setup={"x_other": []}), "library_setup has key 'x_other', which is not in rnn_modules"),
        (dict(filter_setup={"x_other": ["c_action", 1, True]}), "filter_setup has key 'x_other'"),
        (dict(library_setup={"x_a": ["c_missing"]}), r"library_setup\['x_a'\] lists 'c_missing'"),
        (dict(filter_setup={"x_a": ["c_missing", 1, True]}), "filters on 'c_missing'"),
        (dict(filter_setup={"x_a": ["c_action", 1]}), r"must be \[signal, value, keep: bool\]"),
        (dict(control_parameters=["x_a"]), "both as an rnn_module and a control_parameter"),
        (dict(incremental_modules=["x_other"]), r"incremental_modules lists \['x_other'\], which are not in rnn_modules"),
    ],
)
def test_config_validation_names_the_wrong_key(settings, message):
    arguments = dict(rnn_modules=["x_a"], control_parameters=["c_action"]) | settings
    with pytest.raises(ValueError, match=message):
        SpiceConfig(**arguments)


def test_estimator_rejects_data_for_more_participants(small_dataset):
    xs = small_dataset.xs.clone()
    xs[0, :, -1] = 5
    with pytest.raises(ValueError, match="participant index 5 but the estimator has n_participants=1"):
        estimator().train(xs, small_dataset.ys)


def test_estimator_rejects_xs_of_another_number_of_arms(small_dataset):
    fitted = estimator(epochs=1).train(small_dataset.xs, small_dataset.ys)  # n_actions=2
    three_arms, _ = ragged_three_arm_dataset()
    message = "xs has 7 features, i.e. 3 arms; this estimator has n_actions=2, which needs 5 features"
    with pytest.raises(ValueError, match=message):
        fitted.predict(three_arms.xs)
    with pytest.raises(ValueError, match=message):
        estimator().train(three_arms.xs, three_arms.ys)
    with pytest.raises(ValueError, match="xs has 6 features, which fits no number of arms"):
        fitted.predict(torch.zeros(2, 3, 6))


@pytest.mark.parametrize("rnn_class", [Weinhardt2024RNN, RescorlaWagnerRNN, ForgettingRNN])
def test_misspelt_rnn_kwargs_are_an_error_naming_the_key(small_dataset, rnn_class):
    with pytest.raises(TypeError, match="unexpected keyword argument 'hiden_size'"):
        estimator(rnn_class, rnn_kwargs={"hiden_size": 4}).train(small_dataset.xs, small_dataset.ys)
    fitted = estimator(rnn_class, rnn_kwargs={"hidden_size": 4}, epochs=1).train(small_dataset.xs, small_dataset.ys)
    assert all(module.hidden.out_features == 4 for module in fitted.rnn_.submodules_rnn.values())
    with pytest.raises(TypeError, match="unexpected keyword argument 'embeding_size'"):
        BaseRNN(n_actions=2, embeding_size=3)


def test_plot_session_shows_every_agent_and_value(small_dataset, tutorial_agent):
    fitted = estimator(epochs=2).train(small_dataset.xs, small_dataset.ys)
    fig, axs = plot_session({"groundtruth": tutorial_agent, "rnn": fitted.rnn_agent}, small_dataset.xs[0])
    assert len(axs) == 2 + 3  # choices, probabilities, three memory values
    assert len(axs[1].lines) == 2  # one probability line per agent
    assert [ax.get_ylabel() for ax in axs[2:]] == ["value reward", "value choice", "learning rate reward"]
