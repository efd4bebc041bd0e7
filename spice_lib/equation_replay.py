"""An independent replay of Weinhardt2024RNN's equation model in numpy, vectorised over sessions.

It computes what the torch equation model (`equations.equation_model`) computes, written out from the
model's definition instead of through `BaseRNN`: the reference the batched model is tested against, and
the baseline its speed is measured against (a user without the torch model would write this loop).
"""

from __future__ import annotations

import numpy as np

from spice_lib.agents import softmax
from spice_lib.equations import EquationSet
from spice_lib.models import Weinhardt2024RNN
from spice_lib.xs_layout import split_xs


def replay_weinhardt2024(equations: EquationSet, xs) -> np.ndarray:
    """Probabilities of each next choice, (n_sessions, n_trials, n_actions), aligned with ys, of the
    Weinhardt2024RNN equations replayed over sessions xs (DatasetRNN layout; padding keeps the state)."""
    xs = np.asarray(xs, dtype=np.float64)
    n_sessions, n_trials = xs.shape[:2]
    n_actions = (xs.shape[-1] - 1) // 2
    one_hot, rewards, _, participant_column = split_xs(xs, n_actions)
    participant = np.repeat(participant_column[:, 0].astype(np.int64), n_actions)  # one entry per session and arm
    modules = equations.modules
    initial = Weinhardt2024RNN.init_values
    shape = (n_sessions * n_actions,)
    learning_rate = np.full(shape, initial["x_learning_rate_reward"])
    value_reward = np.full(shape, initial["x_value_reward"])
    value_choice = np.full(shape, initial["x_value_choice"])
    beta_reward = equations.betas["x_value_reward"][participant]
    beta_choice = equations.betas["x_value_choice"][participant]
    probabilities = np.empty((n_sessions, n_trials, n_actions))

    def step(module: str, **signals: np.ndarray) -> np.ndarray:
        names = modules[module].variables
        return modules[module].evaluate(np.stack([signals[name] for name in names], -1), participant)

    for trial in range(n_trials):
        chosen = one_hot[:, trial].reshape(-1) > 0.5
        real = np.repeat(one_hot[:, trial].sum(-1) == 1, n_actions)
        reward = rewards[:, trial].reshape(-1)
        rate = step(
            "x_learning_rate_reward", x_learning_rate_reward=learning_rate, c_reward=reward, c_value_reward=value_reward
        )
        new_learning_rate = np.where(chosen, rate, 0.0)
        new_value_reward = np.where(
            chosen,
            value_reward + rate * (reward - value_reward),
            step("x_value_reward_not_chosen", x_value_reward_not_chosen=value_reward),
        )
        new_value_choice = np.where(
            chosen,
            step("x_value_choice_chosen", x_value_choice_chosen=value_choice),
            step("x_value_choice_not_chosen", x_value_choice_not_chosen=value_choice),
        )
        learning_rate = np.where(real, new_learning_rate, learning_rate)
        value_reward = np.where(real, new_value_reward, value_reward)
        value_choice = np.where(real, new_value_choice, value_choice)
        logits = beta_reward * value_reward + beta_choice * value_choice
        probabilities[:, trial] = softmax(logits.reshape(n_sessions, n_actions))
    return probabilities
