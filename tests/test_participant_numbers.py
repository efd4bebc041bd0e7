"""Each participant's numbers optimised to their own optimum: per-row L-BFGS and Newton steps."""

import numpy as np
import pytest
import torch

from spice_lib import WEINHARDT_2024_CONFIG, AgentQ, BanditsDrift, SpiceEstimator, Weinhardt2024RNN
from spice_lib.equations import equation_model
from spice_lib.parameter_sets import simulate_sessions
from spice_lib.participant_numbers import ParticipantNumbers
from spice_lib.recovery import agent_q_equations
from spice_lib.xs_layout import split_xs

N = 6
# Participants from shallow to steep (beta_reward 1 to 8): one joint line search serves them badly.
AGENT = AgentQ(
    alpha_reward=np.linspace(0.2, 0.7, N), beta_reward=np.linspace(1.0, 8.0, N), forget_rate=0.2, alpha_choice=0.5,
    beta_choice=1.0, participant_ids=[f"p{i}" for i in range(N)],
)  # fmt: skip


@pytest.fixture(scope="module")
def sessions_and_rnn():
    sessions = simulate_sessions(AGENT, BanditsDrift(0.2), n_trials=100, n_sessions=3, seed=7)
    rnn = SpiceEstimator(Weinhardt2024RNN, WEINHARDT_2024_CONFIG, n_participants=N, epochs=1, seed=0, verbose=False)
    return sessions, rnn.train(sessions.xs, sessions.ys).rnn_


def numbers_of(model, xs, ys, calls=None):
    """The model's ParticipantNumbers on (xs, ys); `calls` records how many rows each evaluation asked for."""
    numbers = ParticipantNumbers(model, xs, ys)
    if calls is not None:
        evaluate = numbers.participant_nll

        def counted(rows=None):
            calls.append(None if rows is None else int(rows.sum()))
            return evaluate(rows)

        numbers.participant_nll = counted
    return numbers


def started_away_from_the_truth():
    """The generating equations with every number moved: betas halved, learning rates and traces off."""
    equations = agent_q_equations(AGENT)
    for name, equation in equations.modules.items():
        equations.modules[name] = equation.with_coefficients(equation.coefficients * 0.6)
    for name in equations.betas:
        equations.betas[name] = equations.betas[name] * 0.5
    return equations


def test_every_row_ends_at_the_optimum_it_reaches_alone_and_newton_cannot_improve_it(sessions_and_rnn):
    sessions, rnn = sessions_and_rnn
    together = equation_model(rnn, started_away_from_the_truth())
    numbers = numbers_of(together, sessions.xs, sessions.ys)
    start = numbers.nll()
    nll, converged = numbers.minimise(log=None)
    assert converged.all()
    assert (nll < start - 1.0).all()  # everyone moved a long way down
    np.testing.assert_allclose(nll.numpy(), numbers.nll().numpy(), rtol=1e-6)  # left at the reported point
    # Newton's steps with each row's whole Hessian find nothing more than rounding. (The gradient need not
    # vanish: where a clamped module's output sits at its bound, the optimum is a kink.)
    zeros = torch.zeros(len(numbers.slots), dtype=torch.float64)
    numbers.newton(zeros, zeros, 3)
    np.testing.assert_allclose(numbers.nll().numpy(), nll.numpy(), atol=0.01)

    participant = split_xs(sessions.xs, 2).participant[:, 0].long()
    for row in (0, N - 1):  # the shallowest and the steepest participant, each fitted alone
        mine = participant == row
        own_xs = sessions.xs[mine].clone()
        split_xs(own_xs, 2).participant[:] = 0
        alone = equation_model(rnn, started_away_from_the_truth().subset([row]))
        alone_nll, alone_converged = numbers_of(alone, own_xs, sessions.ys[mine]).minimise(log=None)
        assert alone_converged.all()
        np.testing.assert_allclose(float(alone_nll[0]), float(nll[row]), atol=0.01)


def test_only_rows_still_moving_are_evaluated(sessions_and_rnn):
    sessions, rnn = sessions_and_rnn
    model = equation_model(rnn, started_away_from_the_truth())
    calls = []
    numbers = numbers_of(model, sessions.xs, sessions.ys, calls)
    before = numbers.values()
    _, converged = numbers.minimise(log=None)
    assert converged.all() and (numbers.values() != before).any(1).all()  # everyone was fitted
    evaluated = [count for count in calls if count is not None]
    assert evaluated[0] == N  # every row starts moving
    assert min(evaluated) < N  # rows that converged early are left out of later evaluations
    assert evaluated == sorted(evaluated, reverse=True)  # a converged row does not come back


def test_the_hessian_is_each_rows_matrix_of_second_derivatives(sessions_and_rnn):
    sessions, rnn = sessions_and_rnn
    model = equation_model(rnn, agent_q_equations(AGENT))
    numbers = numbers_of(model, sessions.xs, sessions.ys)

    def shifted(shifts):
        with torch.no_grad():
            for slot, shift in shifts:
                tensor, column, *_ = numbers.slots[slot]
                tensor[:, column] += shift
            values = numbers.nll().numpy()
            for slot, shift in shifts:
                tensor, column, *_ = numbers.slots[slot]
                tensor[:, column] -= shift
        return values

    nll, gradient, hessian = (d.numpy() for d in numbers.derivatives())
    np.testing.assert_allclose(nll, shifted([]), rtol=1e-6)
    assert hessian.shape == (N, len(numbers.slots), len(numbers.slots))
    h = 0.03  # float32 sums of 300 trials: a smaller step drowns the second difference in rounding
    rate, beta = 0, len(numbers.slots) - 2  # the learning rate's constant and beta(x_value_reward)
    for slot in (rate, beta):
        first = (shifted([(slot, h)]) - shifted([(slot, -h)])) / (2 * h)
        np.testing.assert_allclose(gradient[:, slot], first, rtol=0.05, atol=0.05)
        second = (shifted([(slot, -h)]) - 2 * shifted([]) + shifted([(slot, h)])) / h**2
        np.testing.assert_allclose(hessian[:, slot, slot], second, rtol=0.05, atol=0.1)
    mixed = (
        shifted([(rate, h), (beta, h)]) - shifted([(rate, h), (beta, -h)]) - shifted([(rate, -h), (beta, h)])
        + shifted([(rate, -h), (beta, -h)])
    ) / (4 * h**2)  # fmt: skip
    np.testing.assert_allclose(hessian[:, rate, beta], mixed, rtol=0.05, atol=0.1)


def test_a_prior_makes_each_row_end_at_its_maximum_a_posteriori(sessions_and_rnn):
    sessions, rnn = sessions_and_rnn
    sd = 1.0  # strong enough to move betas of 1 to 8 a long way
    plain = numbers_of(equation_model(rnn, started_away_from_the_truth()), sessions.xs, sessions.ys)
    plain_nll, _ = plain.minimise(log=None)
    shrunk = numbers_of(equation_model(rnn, started_away_from_the_truth()), sessions.xs, sessions.ys)
    nll, converged = shrunk.minimise(prior_sd=sd, log=None)
    assert converged.all()
    np.testing.assert_allclose(nll.numpy(), shrunk.nll().numpy(), rtol=1e-6)  # the NLL, without the penalty

    def posterior(numbers, nll):
        return nll.numpy() + (numbers.active * numbers.values() ** 2).sum(1).numpy() / (2 * sd**2)

    np.testing.assert_allclose(posterior(shrunk, nll) - nll.numpy(), shrunk.prior_penalty(sd).numpy(), rtol=1e-9)
    # Each row's objective is at least as low as at its maximum-likelihood numbers, which fit better.
    assert (posterior(shrunk, nll) <= posterior(plain, plain_nll) + 1e-3).all()
    assert (nll >= plain_nll - 1e-3).all() and (nll > plain_nll + 0.1).any()
    beta = len(shrunk.slots) - 2  # beta(x_value_reward)
    steepest = N - 1
    assert abs(float(shrunk.values()[steepest, beta])) < abs(float(plain.values()[steepest, beta])) - 1.0


def test_a_row_whose_numbers_are_not_finite_leaves_the_others_fitted(sessions_and_rnn):
    sessions, rnn = sessions_and_rnn
    fitted = numbers_of(equation_model(rnn, started_away_from_the_truth()), sessions.xs, sessions.ys)
    expected, _ = fitted.minimise(log=None)
    broken = started_away_from_the_truth()
    broken.betas["x_value_reward"] = broken.betas["x_value_reward"].copy()
    broken.betas["x_value_reward"][2] = np.nan
    numbers = numbers_of(equation_model(rnn, broken), sessions.xs, sessions.ys)
    nll, _ = numbers.minimise(log=None)
    others = np.arange(N) != 2
    assert np.isnan(float(nll[2]))
    np.testing.assert_allclose(nll.numpy()[others], expected.numpy()[others], atol=0.01)


def test_one_participants_diverged_beta_reaches_no_other_participants_nll_or_gradient(sessions_and_rnn):
    # The equation model reads each beta at the participant's index (not through a one-hot, where 0 x NaN
    # is NaN): a refit of thousands of rows goes on for everyone while one row has diverged.
    sessions, rnn = sessions_and_rnn
    equations = agent_q_equations(AGENT)
    equations.betas["x_value_reward"][2] = np.nan
    model = equation_model(rnn, equations)
    assert model.participant_embedding(torch.arange(N)).shape == (N, 1)
    nll, gradient = ParticipantNumbers(model, sessions.xs, sessions.ys).nll_and_gradient()
    others = np.arange(N) != 2
    assert torch.isnan(nll[2]) and torch.isfinite(nll[others]).all()
    assert torch.isfinite(gradient[others]).all()
    clean = ParticipantNumbers(equation_model(rnn, agent_q_equations(AGENT)), sessions.xs, sessions.ys).nll()
    torch.testing.assert_close(nll[others], clean[others])
