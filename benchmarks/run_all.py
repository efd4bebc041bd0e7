"""Every benchmark, one table each: `make benchmark` (or `python -m benchmarks.run_all [--full]`).

Speed is quoted as ratios against a baseline measured in the same run; absolute seconds drift between
machines and with their load. `--full` adds the tutorial's 1,024-epoch training runs (a few minutes).
"""

from __future__ import annotations

import sys

from benchmarks import bench_equations, bench_simulation, bench_training
from benchmarks.common import print_table


def main() -> None:
    full = "--full" in sys.argv
    print_table("Simulation: 1,000 sessions x 200 trials", bench_simulation.run())
    print_table("Training speed (1 thread)", bench_training.run(full=full))
    prediction, distillation = bench_equations.run()
    print_table("Equation-model prediction (1 thread)", prediction)
    print_table("Distillation of a population (1 thread)", distillation)


if __name__ == "__main__":
    main()
