"""Equation model and distillation speed (one CPU thread).

1. Prediction: the equation model predicting 100 sessions x 100 trials (target: under 0.1 s), on its
   grouped path (all equations of a trial in one product) and on the tutorial's module-by-module loop,
   against the same equations replayed in numpy, vectorised over sessions (`spice_lib.equation_replay`).
2. Distillation: a population of 100 participants x 4 sessions x 100 trials, trained jointly; seconds to
   distil every module for every participant (target: under a minute), and to refit the equations on each
   path.
"""

from __future__ import annotations

import time

import torch

from benchmarks.common import median_seconds, print_table
from spice_lib import (
    WEINHARDT_2024_CONFIG,
    AgentQ,
    BanditsDrift,
    SpiceEstimator,
    Weinhardt2024RNN,
    create_dataset,
    sample_population,
)
from spice_lib.equation_replay import replay_weinhardt2024
from spice_lib.equations import equation_model
from spice_lib.refit import refit_equation_model
from spice_lib.sindy import DistillationSettings, distill


def prediction_rows() -> list[dict]:
    agent = AgentQ(alpha_reward=0.3, forget_rate=0.2, beta_choice=1.0, alpha_choice=1.0)
    dataset, _, _ = create_dataset(agent, BanditsDrift(0.2), 100, 100, seed=42)
    estimator = SpiceEstimator(Weinhardt2024RNN, WEINHARDT_2024_CONFIG, epochs=100, seed=0, verbose=False)
    estimator.fit(dataset.xs, dataset.ys)
    spice = estimator.spice_agent
    batched = median_seconds(lambda: spice.predict(dataset.xs))
    estimator.spice_model_.use_grouped_path = False
    loop = median_seconds(lambda: spice.predict(dataset.xs))
    replay = median_seconds(lambda: replay_weinhardt2024(estimator.equations_, dataset.xs.numpy()))
    return [
        {"method": "equation model, grouped path", "seconds (100 x 100)": batched, "speed-up": replay / batched},
        {"method": "equation model, module-by-module loop", "seconds (100 x 100)": loop, "speed-up": replay / loop},
        {"method": "numpy replay, vectorised over sessions (baseline)", "seconds (100 x 100)": replay, "speed-up": 1.0},
    ]


def distillation_rows() -> list[dict]:
    population = sample_population(100, {"alpha_reward": (0.1, 0.9), "beta_reward": (1.0, 5.0), "forget_rate": (0.0, 0.5)}, seed=0)
    dataset, _, _ = create_dataset(population, BanditsDrift(0.2), n_trials=100, n_sessions=4, seed=0)
    estimator = SpiceEstimator(
        Weinhardt2024RNN, WEINHARDT_2024_CONFIG, n_participants=100, epochs=200, seed=0, verbose=False,
        participant_ids=dataset.participant_ids,
    )  # fmt: skip
    start = time.perf_counter()
    estimator.train(dataset.xs, dataset.ys)
    trained = time.perf_counter() - start
    start = time.perf_counter()
    equations = distill(estimator.rnn_, WEINHARDT_2024_CONFIG, dataset.xs, dataset.participant_ids, DistillationSettings())
    distilled = time.perf_counter() - start
    refitted = {}
    for grouped in (True, False):
        model = equation_model(estimator.rnn_, equations)
        model.use_grouped_path = grouped
        start = time.perf_counter()
        refit_equation_model(model, dataset.xs, dataset.ys, "coefficients", threshold=0.05, log=lambda _: None)
        refitted[grouped] = time.perf_counter() - start
    step = "step (100 participants x 4 x 100)"
    return [
        {step: "train RNN, 200 epochs", "seconds": trained, "per participant": trained / 100, "speed-up": ""},
        {step: "distil 4 modules (record + pysindy)", "seconds": distilled, "per participant": distilled / 100, "speed-up": ""},
        {step: "refit coefficients and betas, thresholded (L-BFGS), grouped path", "seconds": refitted[True],
         "per participant": refitted[True] / 100, "speed-up": refitted[False] / refitted[True]},
        {step: "the same refit on the module-by-module loop (baseline)", "seconds": refitted[False],
         "per participant": refitted[False] / 100, "speed-up": 1.0},
    ]  # fmt: skip


def run() -> tuple[list[dict], list[dict]]:
    torch.set_num_threads(1)
    return prediction_rows(), distillation_rows()


if __name__ == "__main__":
    prediction, distillation = run()
    print_table("Equation-model prediction (1 thread)", prediction)
    print_table("Distillation of a population (1 thread)", distillation)
