"""Distillation and refit of a large population against the plain per-participant approach.

    .venv/bin/python -m benchmarks.bench_population_scale [--participants 1000] [--plain 20] [--threads 2]
        [--select-terms]

Data: --participants AgentQ participants drawn from config.yaml's `population` ranges, 2 sessions x 100
trials each, one network (`Weinhardt2024RNN`, 100 epochs: the equations' quality is not what is timed).
Timed, on --threads threads:
- distillation: recording the network and one SINDy fit per participant and module (what a user would
  also do by hand);
- the refit of every participant's coefficients and betas on their choices, thresholded, all participants
  as one batched equation model (`refit_equation_model`), against the plain approach: one equation model
  and one refit per participant, timed on the first --plain participants and scaled to all;
- with --select-terms, term selection (`term_selection.select_terms`, the default study's next step).
Target: distillation and refit of 1,000 participants in under 2 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import time

import torch

from benchmarks.common import population_ranges, print_table
from spice_lib import WEINHARDT_2024_CONFIG, BanditsDrift, SpiceEstimator, Weinhardt2024RNN, create_dataset
from spice_lib.agents import sample_population
from spice_lib.equations import equation_model
from spice_lib.progress import silent
from spice_lib.refit import refit_equation_model
from spice_lib.sindy import DistillationSettings, distill
from spice_lib.term_selection import select_terms
from spice_lib.xs_layout import split_xs

TARGET_SECONDS = 120  # distillation and refit of 1,000 participants on 2 cores


def plain_refits(rnn, equations, xs, ys, participants: range) -> float:
    """Seconds to refit `participants` one at a time, each as an equation model of their own."""
    index = split_xs(xs, 2).participant[:, 0].long()
    start = time.perf_counter()
    for participant in participants:
        mine = index == participant
        own_xs = xs[mine].clone()
        split_xs(own_xs, 2).participant[:] = 0
        model = equation_model(rnn, equations.subset([participant]))
        refit_equation_model(model, own_xs, ys[mine], "coefficients", threshold=0.05, log=silent)
    return time.perf_counter() - start


def run(n_participants: int, n_plain: int, threads: int, selection: bool) -> list[dict]:
    torch.set_num_threads(threads)
    population = sample_population(n_participants, population_ranges(), seed=0)
    dataset, _, _ = create_dataset(population, BanditsDrift(0.2), n_trials=100, n_sessions=2, seed=0)
    estimator = SpiceEstimator(
        Weinhardt2024RNN, WEINHARDT_2024_CONFIG, n_participants=n_participants, epochs=100, seed=0, verbose=False,
        participant_ids=dataset.participant_ids, n_threads=threads,
    )  # fmt: skip
    estimator.train(dataset.xs, dataset.ys)
    rnn, xs, ys = estimator.rnn_, dataset.xs, dataset.ys

    start = time.perf_counter()
    equations = distill(rnn, WEINHARDT_2024_CONFIG, xs, dataset.participant_ids, DistillationSettings(), log=None)
    distilled = time.perf_counter() - start
    model = equation_model(rnn, equations)
    start = time.perf_counter()
    refit_equation_model(model, xs, ys, "coefficients", threshold=0.05, log=silent)
    refitted = time.perf_counter() - start
    plain = plain_refits(rnn, equations, xs, ys, range(min(n_plain, n_participants))) * n_participants / min(n_plain, n_participants)

    label = f"step ({n_participants} participants x 2 x 100, {threads} threads)"
    rows = [
        {label: "distil: record + one SINDy fit per participant and module", "seconds": distilled, "speed-up": ""},
        {label: "refit, one batched equation model", "seconds": refitted, "speed-up": plain / refitted},
        {label: f"refit, one model per participant (baseline; {n_plain} timed, scaled)", "seconds": plain, "speed-up": 1.0},
        {label: f"distil + refit (target: under {TARGET_SECONDS} s for 1,000)", "seconds": distilled + refitted, "speed-up": ""},
    ]
    if selection:
        start = time.perf_counter()
        select_terms(model, xs, ys, log=silent)
        rows.append({label: "term selection (stepwise BIC)", "seconds": time.perf_counter() - start, "speed-up": ""})
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--participants", type=int, default=1000)
    parser.add_argument("--plain", type=int, default=20, help="participants the per-participant baseline is timed on")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--select-terms", action="store_true", help="time term selection too (several minutes at 1,000)")
    arguments = parser.parse_args()
    rows = run(arguments.participants, arguments.plain, arguments.threads, arguments.select_terms)
    print_table("Distillation and refit of a population", rows)
