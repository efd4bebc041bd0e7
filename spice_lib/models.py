"""Precoded SPICE RNNs and their distillation configs.

`Weinhardt2024RNN` is the architecture of the tutorial's section 3 (Weinhardt et al. 2024): a learned
learning rate inside a hard-coded reward-prediction-error update of the chosen arm, a module for the
not-chosen arm's reward value, and chosen/not-chosen modules for a choice (perseverance) value. Its
`forward` is the tutorial's loop; when nothing is recorded and no equation replaces a module it takes an
equivalent grouped path (`_forward_grouped`) that evaluates all four modules of a trial as two matrix
products, which trains several times faster (benchmarks/bench_training.py). Both paths read the same
parameters, so a model trains on one and is recorded or distilled on the other. As an equation model
(equations in place of the modules) it takes a grouped path of the equations too
(`_forward_equations_grouped`, grouped_equations.py), which refits several times faster
(benchmarks/bench_equations.py). `use_grouped_path = False` runs the tutorial's loop throughout.

`RescorlaWagnerRNN` and `ForgettingRNN` are smaller models for teaching and tests.
"""

from __future__ import annotations

import torch

from spice_lib.grouped_equations import EquationPlan, equation_plan
from spice_lib.rnn import BaseRNN
from spice_lib.spice_config import SpiceConfig

# Weinhardt2024RNN's learned modules: what its config distils, the order of its grouped path, and what
# parameter recovery reads.
WEINHARDT_2024_MODULES = (
    "x_learning_rate_reward",
    "x_value_reward_not_chosen",
    "x_value_choice_chosen",
    "x_value_choice_not_chosen",
)

# Its choice trace: the beta that weighs it, the module of the chosen arm's trace and that of the others'
# (trace_orientation.py writes it in AgentQ's orientation; recovery reads alpha_choice and beta_choice off it).
WEINHARDT_2024_CHOICE_TRACE = ("x_value_choice", "x_value_choice_chosen", "x_value_choice_not_chosen")

WEINHARDT_2024_CONFIG = SpiceConfig(
    rnn_modules=list(WEINHARDT_2024_MODULES),
    control_parameters=["c_action", "c_reward", "c_value_reward"],
    library_setup={
        "x_learning_rate_reward": ["c_reward", "c_value_reward"],
        "x_value_reward_not_chosen": [],
        "x_value_choice_chosen": [],
        "x_value_choice_not_chosen": [],
    },
    filter_setup={
        "x_learning_rate_reward": ["c_action", 1, True],
        "x_value_reward_not_chosen": ["c_action", 0, True],
        "x_value_choice_chosen": ["c_action", 1, True],
        "x_value_choice_not_chosen": ["c_action", 0, True],
    },
    # The not-chosen arm's values stay as they were unless an equation changes them; the chosen arm's
    # trace and the learning rate are set anew each trial (SpiceConfig.incremental_modules).
    incremental_modules=["x_value_reward_not_chosen", "x_value_choice_not_chosen"],
)


def reward_prediction_error_update(value: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
    """Chosen arm's reward value: value + learning_rate * (reward - value); inputs = (reward, learning_rate)."""
    return value + inputs[..., 1] * (inputs[..., 0] - value)


class Weinhardt2024RNN(BaseRNN):
    """The SPICE RNN of Weinhardt et al. (2024); see the module docstring."""

    init_values = {"x_value_reward": 0.5, "x_value_choice": 0.0, "x_learning_rate_reward": 0.0}

    # Module order of the grouped path (`_grouped_weights` unpacks them in this order).
    _grouped_modules = WEINHARDT_2024_MODULES

    def __init__(self, n_actions: int, n_participants: int, embedding_size: int = 8, hidden_size: int = 8):
        super().__init__(n_actions=n_actions, embedding_size=embedding_size, hidden_size=hidden_size)
        self.participant_embedding = self.setup_embedding(n_participants, self.embedding_size)
        self.betas["x_value_reward"] = self.setup_constant(self.embedding_size)
        self.betas["x_value_choice"] = self.setup_constant(self.embedding_size)
        self.submodules_rnn["x_learning_rate_reward"] = self.setup_module(2 + self.embedding_size)
        self.submodules_rnn["x_value_reward_not_chosen"] = self.setup_module(0 + self.embedding_size)
        self.submodules_rnn["x_value_choice_chosen"] = self.setup_module(0 + self.embedding_size)
        self.submodules_rnn["x_value_choice_not_chosen"] = self.setup_module(0 + self.embedding_size)
        self.submodules_eq["x_value_reward_chosen"] = reward_prediction_error_update
        self.use_grouped_path = True

    # Where the equation model's grouped path reads each module's own value and each signal the tutorial's
    # loop records (`_forward_modules`): the sources are the states and inputs of `_forward_equations_grouped`.
    _own_value_source = {
        "x_learning_rate_reward": "learning_rate",
        "x_value_reward_not_chosen": "value_reward",
        "x_value_choice_chosen": "value_choice",
        "x_value_choice_not_chosen": "value_choice",
    }
    _signal_source = _own_value_source | {"c_action": "action", "c_reward": "reward", "c_value_reward": "value_reward"}

    def forward(self, inputs, prev_state=None, batch_first=False):
        if self.use_grouped_path and not self.is_recording:
            if self.equations is None:
                return self._forward_grouped(inputs, prev_state, batch_first)
            plan = equation_plan(self.equations, self._own_value_source, self._signal_source, list(self._grouped_modules))
            if plan is not None:
                return self._forward_equations_grouped(plan, inputs, prev_state, batch_first)
        return self._forward_modules(inputs, prev_state, batch_first)

    def _forward_modules(self, inputs, prev_state=None, batch_first=False):
        """The tutorial's forward pass: one `call_module` per update."""
        inputs, ids, logits, timesteps = self.init_forward_pass(inputs, prev_state, batch_first)
        actions, rewards, _, _ = inputs
        participant_id, _ = ids
        participant_embedding = self.participant_embedding(participant_id[:, 0])
        beta_reward = self.betas["x_value_reward"](participant_embedding)
        beta_choice = self.betas["x_value_choice"](participant_embedding)
        sigmoid = torch.sigmoid
        common = dict(participant_embedding=participant_embedding, participant_index=participant_id)

        for timestep, action, reward in zip(timesteps, actions, rewards):
            self.record_signal("c_action", action)
            self.record_signal("c_reward", reward)
            self.record_signal("c_value_reward", self.state["x_value_reward"])
            self.record_signal("x_learning_rate_reward", self.state["x_learning_rate_reward"])
            self.record_signal("x_value_reward_not_chosen", self.state["x_value_reward"])
            self.record_signal("x_value_choice_chosen", self.state["x_value_choice"])
            self.record_signal("x_value_choice_not_chosen", self.state["x_value_choice"])

            learning_rate = self.call_module(
                "x_learning_rate_reward", "x_learning_rate_reward", action,
                (reward, self.state["x_value_reward"]), activation_rnn=sigmoid, **common,
            )  # fmt: skip
            value_chosen = self.call_module(
                "x_value_reward_chosen", "x_value_reward", action, (reward, learning_rate), **common
            )
            value_not_chosen = self.call_module("x_value_reward_not_chosen", "x_value_reward", 1 - action, **common)
            choice_chosen = self.call_module(
                "x_value_choice_chosen", "x_value_choice", action, activation_rnn=sigmoid, **common
            )
            choice_not_chosen = self.call_module(
                "x_value_choice_not_chosen", "x_value_choice", 1 - action, activation_rnn=sigmoid, **common
            )

            self.state["x_learning_rate_reward"] = learning_rate
            self.state["x_value_reward"] = value_chosen + value_not_chosen
            self.state["x_value_choice"] = choice_chosen + choice_not_chosen
            logits[timestep] = self.state["x_value_reward"] * beta_reward + self.state["x_value_choice"] * beta_choice

        return self.post_forward_pass(logits, batch_first), self.get_state()

    def _grouped_weights(self, participant_embedding: torch.Tensor):
        """The four modules' weights rearranged so that one step evaluates them all at once.

        The step's state vector per arm is s = [learning rate, reward value, choice value]. Returns
        (state_weight (3, 4H), reward_weight (4H,), embedding_term (batch, 4H), output_weight (4H, 4),
        output_bias (4,)), hidden units grouped by module in `_grouped_modules` order.
        """
        modules = [self.submodules_rnn[name] for name in self._grouped_modules]
        learning_rate, not_chosen, choice_chosen, choice_not_chosen = (m.hidden.weight for m in modules)
        zeros = learning_rate.new_zeros(self.hidden_size)
        # Column layout of each module's first layer: [own value, listed inputs..., embedding].
        state_weight = torch.stack(
            [
                torch.cat([learning_rate[:, 0], zeros, zeros, zeros]),
                torch.cat([learning_rate[:, 2], not_chosen[:, 0], zeros, zeros]),
                torch.cat([zeros, zeros, choice_chosen[:, 0], choice_not_chosen[:, 0]]),
            ]
        )
        reward_weight = torch.cat([learning_rate[:, 1], zeros, zeros, zeros])
        embedding_weight = torch.cat(
            [learning_rate[:, 3:], not_chosen[:, 1:], choice_chosen[:, 1:], choice_not_chosen[:, 1:]]
        )
        hidden_bias = torch.cat([m.hidden.bias for m in modules])
        embedding_term = participant_embedding @ embedding_weight.T + hidden_bias
        output_weight = torch.block_diag(*(m.output.weight.T for m in modules))
        output_bias = torch.cat([m.output.bias for m in modules])
        return state_weight, reward_weight, embedding_term, output_weight, output_bias

    def _forward_grouped(self, inputs, prev_state=None, batch_first=False):
        """Same function as `_forward_modules`, with a trial's four modules evaluated together."""
        (actions, rewards, _, _), (participant_id, _), _, timesteps = self.init_forward_pass(
            inputs, prev_state, batch_first
        )
        n_time, batch, n_actions = actions.shape
        participant_embedding = self.participant_embedding(participant_id[:, 0])
        state_weight, reward_weight, embedding_term, output_weight, output_bias = self._grouped_weights(
            participant_embedding
        )
        # Everything that does not depend on the recurrent state is computed for all trials at once.
        flat_rewards = rewards.reshape(n_time, batch * n_actions)
        fixed_input = flat_rewards.unsqueeze(-1) * reward_weight + embedding_term.repeat_interleave(n_actions, 0)
        chosen = actions.reshape(n_time, batch * n_actions) > 0.5
        sigmoid_columns = torch.tensor([True, False, True, True], device=inputs.device)
        # Padded sessions keep their state; only trials where some session is padded pay for the check.
        real_arms = timesteps.real.repeat_interleave(n_actions, 1)[..., None] if any(timesteps.padded) else None

        learning_rate, value_reward, value_choice = (
            self.state[name].reshape(-1) for name in ("x_learning_rate_reward", "x_value_reward", "x_value_choice")
        )
        state = torch.stack([learning_rate, value_reward, value_choice], -1)
        reward_values, choice_values = [], []
        steps = zip(fixed_input.unbind(0), chosen.unbind(0), flat_rewards.unbind(0), timesteps.padded)
        for t, (fixed_t, chosen_t, reward_t, padded_t) in enumerate(steps):
            hidden = torch.tanh(torch.addmm(fixed_t, state, state_weight))
            output = torch.addmm(output_bias, hidden, output_weight)
            output = torch.where(sigmoid_columns, torch.sigmoid(output), output)
            rate, reward_not_chosen, choice_chosen, choice_not_chosen = output.unbind(-1)
            learning_rate = torch.where(chosen_t, rate, 0.0)
            value_reward = torch.where(chosen_t, torch.lerp(value_reward, reward_t, rate), reward_not_chosen)
            value_choice = torch.where(chosen_t, choice_chosen, choice_not_chosen)
            # A padded trial's logits come from the updated values, as in the loop; they are never scored.
            reward_values.append(value_reward)
            choice_values.append(value_choice)
            next_state = torch.stack([learning_rate, value_reward, value_choice], -1)
            if padded_t:
                next_state = torch.where(real_arms[t], next_state, state)
                learning_rate, value_reward, value_choice = next_state.unbind(-1)
            state = next_state

        shape = (n_time, batch, n_actions)
        beta_reward = self.betas["x_value_reward"](participant_embedding)
        beta_choice = self.betas["x_value_choice"](participant_embedding)
        logits = torch.stack(reward_values).view(shape) * beta_reward + torch.stack(choice_values).view(shape) * beta_choice
        self.state = {
            "x_value_reward": value_reward.view(batch, n_actions),
            "x_value_choice": value_choice.view(batch, n_actions),
            "x_learning_rate_reward": learning_rate.view(batch, n_actions),
        }
        return self.post_forward_pass(logits, batch_first), self.get_state()

    def _forward_equations_grouped(self, plan: EquationPlan, inputs, prev_state=None, batch_first=False):
        """Same function as `_forward_modules` with equations in place of the modules, all four equations of a
        trial evaluated together (grouped_equations.py)."""
        (actions, rewards, _, _), (participant_id, _), _, timesteps = self.init_forward_pass(
            inputs, prev_state, batch_first
        )
        participant_embedding = self.participant_embedding(participant_id[:, 0])
        weights = plan.weights_of(self.equations)
        learning_rate, value_reward, value_choice = (
            self.state[name] for name in ("x_learning_rate_reward", "x_value_reward", "x_value_choice")
        )
        ones = torch.ones_like(value_reward)
        reward_values, choice_values = [], []
        for t, (action, reward, padded_t) in enumerate(zip(actions, rewards, timesteps.padded)):
            sources = dict(learning_rate=learning_rate, value_reward=value_reward, value_choice=value_choice,
                           action=action, reward=reward)  # fmt: skip
            table = plan.table(sources, ones)
            rate, reward_not_chosen, choice_chosen, choice_not_chosen = plan.evaluate(table, weights).unbind(-1)
            # As call_module does: each update kept where its arms are selected, 0 elsewhere.
            not_action = 1 - action
            next_learning_rate = rate * action
            value_chosen = reward_prediction_error_update(value_reward, torch.stack([reward, next_learning_rate], -1))
            next_value_reward = value_chosen * action + reward_not_chosen * not_action
            next_value_choice = choice_chosen * action + choice_not_chosen * not_action
            reward_values.append(next_value_reward)
            choice_values.append(next_value_choice)
            if padded_t:
                real = timesteps.real[t][:, None]
                next_learning_rate = torch.where(real, next_learning_rate, learning_rate)
                next_value_reward = torch.where(real, next_value_reward, value_reward)
                next_value_choice = torch.where(real, next_value_choice, value_choice)
            learning_rate, value_reward, value_choice = next_learning_rate, next_value_reward, next_value_choice

        beta_reward = self.betas["x_value_reward"](participant_embedding)
        beta_choice = self.betas["x_value_choice"](participant_embedding)
        logits = torch.stack(reward_values) * beta_reward + torch.stack(choice_values) * beta_choice
        self.state = {
            "x_value_reward": value_reward,
            "x_value_choice": value_choice,
            "x_learning_rate_reward": learning_rate,
        }
        return self.post_forward_pass(logits, batch_first), self.get_state()


RESCORLA_WAGNER_CONFIG = SpiceConfig(
    rnn_modules=["x_value_reward_chosen"],
    control_parameters=["c_action", "c_reward"],
    library_setup={"x_value_reward_chosen": ["c_reward"]},
    filter_setup={"x_value_reward_chosen": ["c_action", 1, True]},
)


class RescorlaWagnerRNN(BaseRNN):
    """Only the chosen arm's reward value is learned; unchosen values stay as they are."""

    init_values = {"x_value_reward": 0.5}

    def __init__(self, n_actions: int, n_participants: int, embedding_size: int = 4, hidden_size: int = 8):
        super().__init__(n_actions=n_actions, embedding_size=embedding_size, hidden_size=hidden_size)
        self.participant_embedding = self.setup_embedding(n_participants, self.embedding_size)
        self.betas["x_value_reward"] = self.setup_constant(self.embedding_size)
        self.submodules_rnn["x_value_reward_chosen"] = self.setup_module(1 + self.embedding_size)

    def forward(self, inputs, prev_state=None, batch_first=False):
        inputs, ids, logits, timesteps = self.init_forward_pass(inputs, prev_state, batch_first)
        actions, rewards, _, _ = inputs
        participant_id, _ = ids
        embedding = self.participant_embedding(participant_id[:, 0])
        beta = self.betas["x_value_reward"](embedding)
        forgets = "x_value_reward_not_chosen" in self.submodules_rnn
        for timestep, action, reward in zip(timesteps, actions, rewards):
            self.record_signal("c_action", action)
            self.record_signal("c_reward", reward)
            self.record_signal("x_value_reward_chosen", self.state["x_value_reward"])
            if forgets:
                self.record_signal("x_value_reward_not_chosen", self.state["x_value_reward"])
            chosen = self.call_module(
                "x_value_reward_chosen", "x_value_reward", action, reward, embedding, participant_id
            )
            if forgets:
                not_chosen = self.call_module(
                    "x_value_reward_not_chosen", "x_value_reward", 1 - action, None, embedding, participant_id
                )
            else:
                not_chosen = self.state["x_value_reward"] * (1 - action)
            self.state["x_value_reward"] = chosen + not_chosen
            logits[timestep] = self.state["x_value_reward"] * beta
        return self.post_forward_pass(logits, batch_first), self.get_state()


FORGETTING_CONFIG = SpiceConfig(
    rnn_modules=["x_value_reward_chosen", "x_value_reward_not_chosen"],
    control_parameters=["c_action", "c_reward"],
    library_setup={"x_value_reward_chosen": ["c_reward"], "x_value_reward_not_chosen": []},
    filter_setup={
        "x_value_reward_chosen": ["c_action", 1, True],
        "x_value_reward_not_chosen": ["c_action", 0, True],
    },
)


class ForgettingRNN(RescorlaWagnerRNN):
    """Rescorla-Wagner for the chosen arm plus a learned update (forgetting) of the unchosen arms."""

    def __init__(self, n_actions: int, n_participants: int, embedding_size: int = 4, hidden_size: int = 8):
        super().__init__(n_actions, n_participants, embedding_size, hidden_size)
        self.submodules_rnn["x_value_reward_not_chosen"] = self.setup_module(0 + self.embedding_size)


PRECODED_MODELS: dict[str, tuple[type[BaseRNN], SpiceConfig]] = {
    "Weinhardt2024RNN": (Weinhardt2024RNN, WEINHARDT_2024_CONFIG),
    "RescorlaWagnerRNN": (RescorlaWagnerRNN, RESCORLA_WAGNER_CONFIG),
    "ForgettingRNN": (ForgettingRNN, FORGETTING_CONFIG),
}


def precoded_model(name: str) -> tuple[type[BaseRNN], SpiceConfig]:
    """The precoded RNN class and its SpiceConfig by name."""
    if name not in PRECODED_MODELS:
        raise ValueError(f"unknown precoded model {name!r}; choose one of {sorted(PRECODED_MODELS)}")
    return PRECODED_MODELS[name]
