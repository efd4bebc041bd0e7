"""Validation (not in CI): the tutorial's sections 1-2 with `spice_lib`, checked against the generating agent.

For each seed s: np.random.seed(s), torch.manual_seed(s), 100 sessions x 100 trials of AgentQ(alpha_reward=0.3,
forget_rate=0.2, beta_choice=1, alpha_choice=1) on a drifting bandit, the precoded Weinhardt2024RNN trained for
1024 epochs at learning rate 1e-2, then distilled. Prints the model and a table of checks:

  RNN      training NLL per trial within 0.002 of the true agent's; held-out NLL (100 fresh sessions, seed 43)
           within 0.002 of the true agent's on those sessions
  lr       learning-rate equation: constant 0.30 +- 0.05, no other term
  forget   not-chosen reward value: constant 0.10 +- 0.03, self coefficient 0.80 +- 0.03, no other term
  choice   beta_choice read off the equations (spice_lib.recovery) = 1.0 +- 0.15, and a trace without memory:
           alpha_choice >= 0.9 (no self term above 0.1)
  beta     beta(x_value_reward) = 3.0 +- 0.45
  SPICE    the equation model's held-out NLL within 0.002 of the true agent's (a gap of 0.005 is a wrong mechanism)

Usage: python -m benchmarks.validate_tutorial [--seeds 42 43 44 45 46] [--jobs 2] [--set name=value ...]
(--set overrides a SpiceEstimator setting, e.g. --set refit_parameters=none --set sindy_degree=2).
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import time

import numpy as np
import torch

from benchmarks.common import estimator_overrides
from spice_lib import WEINHARDT_2024_CONFIG, AgentQ, BanditsDrift, SpiceEstimator, Weinhardt2024RNN, create_dataset
from spice_lib.evaluation import choice_nll
from spice_lib.mle import fit_agent_q
from spice_lib.recovery import recover_agent_q_parameters

TRUE_AGENT = dict(n_actions=2, alpha_reward=0.3, forget_rate=0.2, beta_choice=1.0, alpha_choice=1.0)


def run_seed(seed: int, overrides: dict) -> dict:
    torch.set_num_threads(1)
    np.random.seed(seed)
    torch.manual_seed(seed)
    environment = BanditsDrift(sigma=0.2, n_actions=2)
    agent = AgentQ(**TRUE_AGENT)
    dataset, _, _ = create_dataset(agent=agent, environment=environment, n_trials=100, n_sessions=100)
    dataset.xs[..., -1] = 0
    settings = dict(learning_rate=1e-2, epochs=1024, n_participants=1, verbose=False) | overrides
    estimator = SpiceEstimator(rnn_class=Weinhardt2024RNN, spice_config=WEINHARDT_2024_CONFIG, **settings)
    start = time.perf_counter()
    estimator.fit(dataset.xs, dataset.ys)
    seconds = time.perf_counter() - start
    printed = io.StringIO()
    estimator.print_spice_model(file=printed)

    held_out, _, _ = create_dataset(agent, environment, n_trials=100, n_sessions=100, seed=43)
    nll = {}
    for name, data in (("train", dataset), ("test", held_out)):
        rnn, spice = estimator.predict(data.xs)
        nll[name] = {
            "true": choice_nll(agent.predict(data.xs), data.ys),
            "rnn": choice_nll(rnn, data.ys),
            "spice": choice_nll(spice, data.ys),
        }

    equations = estimator.equations_
    rate = equations.modules["x_learning_rate_reward"]
    forget = equations.modules["x_value_reward_not_chosen"]
    chosen = equations.modules["x_value_choice_chosen"]
    unchosen = equations.modules["x_value_choice_not_chosen"]

    def others(equation, allowed):
        return max((abs(c) for c, t in zip(equation.coefficients[0], equation.term_names) if t not in allowed), default=0.0)

    lr_constant = rate.coefficient("1")
    forget_constant = forget.coefficient("1")
    forget_self = forget.coefficient("x_value_reward_not_chosen[k]")
    recovered = recover_agent_q_parameters(equations).iloc[0]
    choice_effect = recovered["beta_choice"]
    choice_self = max(abs(chosen.coefficient("x_value_choice_chosen[k]")), abs(unchosen.coefficient("x_value_choice_not_chosen[k]")))
    beta_reward = equations.betas["x_value_reward"][0]
    checks = {
        "RNN": abs(nll["train"]["rnn"] - nll["train"]["true"]) <= 0.002 and abs(nll["test"]["rnn"] - nll["test"]["true"]) <= 0.002,
        "lr": abs(lr_constant - 0.30) <= 0.05 and others(rate, {"1"}) == 0,
        "forget": abs(forget_constant - 0.10) <= 0.03
        and abs(forget_self - 0.80) <= 0.03
        and others(forget, {"1", "x_value_reward_not_chosen[k]"}) == 0,
        "choice": abs(choice_effect - 1.0) <= 0.15 and choice_self <= 0.1,
        "beta": abs(beta_reward - 3.0) <= 0.45,
        "SPICE": abs(nll["test"]["spice"] - nll["test"]["true"]) <= 0.002,
    }
    values = dict(
        lr=lr_constant, forget_c=forget_constant, forget_s=forget_self, choice=choice_effect, beta=beta_reward
    )
    # Context for the equation checks: the same checks on the maximum-likelihood fit of the true model
    # (AgentQ) to the same data. Where it fails too, the data alone put the truth outside the tolerance.
    mle = fit_agent_q(dataset.xs, dataset.ys).iloc[0]
    mle_passes = (
        abs(mle.alpha_reward - 0.30) <= 0.05
        and abs(0.5 * mle.forget_rate - 0.10) <= 0.03
        and abs((1 - mle.forget_rate) - 0.80) <= 0.03
        and abs(mle.beta_choice - 1.0) <= 0.15
        and abs(mle.beta_reward - 3.0) <= 0.45
    )
    mle_values = dict(lr=mle.alpha_reward, forget_s=1 - mle.forget_rate, beta=mle.beta_reward)
    return dict(
        seed=seed, seconds=seconds, printed=printed.getvalue(), nll=nll, checks=checks, values=values,
        mle_passes=mle_passes, mle_values=mle_values,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 43, 44, 45, 46])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args()
    overrides = estimator_overrides(args.set)
    with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
        results = pool.starmap(run_seed, [(seed, overrides) for seed in args.seeds])

    for result in results:
        print(f"--- seed {result['seed']} ({result['seconds']:.0f} s)")
        print(result["printed"], end="")
    names = list(results[0]["checks"])
    header = "seed | NLL train true/rnn/spice | NLL test true/rnn/spice | lr    forget c/s    choice beta  | "
    print("\n" + header + " ".join(f"{n:>6}" for n in names) + " | MLE of AgentQ: lr    self  beta  checks")
    for r in results:
        n, v, m = r["nll"], r["values"], r["mle_values"]
        print(
            f"{r['seed']:>4} | {n['train']['true']:.4f}/{n['train']['rnn']:.4f}/{n['train']['spice']:.4f} "
            f"| {n['test']['true']:.4f}/{n['test']['rnn']:.4f}/{n['test']['spice']:.4f} "
            f"| {v['lr']:.3f} {v['forget_c']:.3f}/{v['forget_s']:.3f} {v['choice']:.3f}  {v['beta']:.3f} | "
            + " ".join(f"{'pass' if r['checks'][k] else 'FAIL':>6}" for k in names)
            + f" |               {m['lr']:.3f} {m['forget_s']:.3f} {m['beta']:.3f} {'pass' if r['mle_passes'] else 'FAIL'}"
        )
    passed = sum(all(r["checks"].values()) for r in results)
    mle_passed = sum(r["mle_passes"] for r in results)
    print(f"\nall checks passed for {passed} of {len(results)} seeds (settings: {overrides or 'defaults'}); "
          f"the true model's MLE passes the equation checks for {mle_passed} of {len(results)}")


if __name__ == "__main__":
    main()
