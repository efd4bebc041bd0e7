"""Helpers shared by the benchmarks: timing, table printing and running the workflow on a study."""

from __future__ import annotations

import argparse
import ast
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).parents[1]


def median_seconds(function: Callable[[], object], repeats: int = 5, warmup: int = 1) -> float:
    """Median wall-clock seconds of `function()` over `repeats` runs after `warmup` untimed runs."""
    for _ in range(warmup):
        function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def print_table(title: str, rows: list[dict]) -> None:
    """Print rows (dicts with the same keys) as an aligned text table."""
    print(f"\n## {title}")
    if not rows:
        return
    columns = list(rows[0])
    cells = [[_format(row[c]) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    print(" | ".join(c.ljust(w) for c, w in zip(columns, widths)))
    print("-|-".join("-" * w for w in widths))
    for row in cells:
        print(" | ".join(v.ljust(w) for v, w in zip(row, widths)))


def _format(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def estimator_overrides(items: list[str]) -> dict:
    """`--set NAME=VALUE` arguments as SpiceEstimator settings; values are Python literals where they parse
    as one (2, 0.0, False, None), else strings."""
    overrides = {}
    for item in items:
        name, _, value = item.partition("=")
        try:
            overrides[name] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            overrides[name] = value
    return overrides


def study_overlay(directory: Path, overlay: dict, name: str, settings: list[str]) -> Path:
    """Write a study's overlay (a config dict) to `directory`/`name` with `--set SECTION.KEY=VALUE` settings
    (e.g. training.weight_decay=0) put into its sections, and return the path. Values parse as in
    `estimator_overrides`."""
    for dotted, value in estimator_overrides(settings).items():
        *sections, key = dotted.split(".")
        section = overlay
        for part in sections:
            section = section.setdefault(part, {})
        section[key] = value
    path = directory / name
    path.write_text(yaml.safe_dump(overlay, sort_keys=False))
    return path


def finished_study_arguments(doc: str) -> argparse.Namespace:
    """The command line of a benchmark that reruns a step on the runs of a finished study: --study (its
    results folder, default the repository's), --parameter-set (default population) and --seeds (1 2)."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--study", type=Path, default=ROOT / "results")
    parser.add_argument("--parameter-set", default="population")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    return parser.parse_args()


def study_arguments(
    doc: str, prefix: str, configure: Callable[[argparse.ArgumentParser], None] | None = None
) -> argparse.Namespace:
    """The command line of a benchmark that runs the workflow on a study: --cores (default 2), --directory
    (default: a new temporary directory named `prefix`...; created), --set (see `study_overlay`) and what
    `configure` adds to the parser."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--directory", type=Path, default=None)
    parser.add_argument(
        "--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
        help="change a setting of the study's config, e.g. training.weight_decay=0 (repeatable)",
    )  # fmt: skip
    if configure is not None:
        configure(parser)
    arguments = parser.parse_args()
    arguments.directory = arguments.directory or Path(tempfile.mkdtemp(prefix=prefix))
    arguments.directory.mkdir(parents=True, exist_ok=True)
    return arguments


def run_workflow(directory: Path, overlay: Path, cores: int, targets: list[str]) -> None:
    command = [
        sys.executable, "-m", "snakemake", *targets, "--snakefile", str(ROOT / "Snakefile"), "--directory", str(directory),
        "--cores", str(cores), "--quiet", "rules", "--configfile", str(ROOT / "config.yaml"), str(overlay),
    ]  # fmt: skip
    print("$", " ".join(command), flush=True)
    subprocess.run(command, check=True)


def population_ranges() -> dict[str, tuple[float, float]]:
    """The (low, high) of every parameter that config.yaml's `population` parameter set ranges over."""
    from spice_lib.agents import AGENT_Q_PARAMETERS

    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    row = next(entry for entry in config["parameter_sets"] if entry["name"] == "population")
    return {
        name: (float(row[f"{name}_low"]), float(row[f"{name}_high"]))
        for name in AGENT_Q_PARAMETERS
        if f"{name}_low" in row
    }


def fresh_results(directory: Path, marker: str) -> None:
    """Clear the results of an earlier run of a scale benchmark in `directory`, so that every stage runs and
    is timed again (Snakemake would keep outputs whose inputs did not change). The benchmark's overlay,
    named `marker`, beside them says they are its own; any other results are refused."""
    results = directory / "results"
    if not results.exists():
        return
    if not (directory / marker).is_file():
        raise SystemExit(f"{directory} holds results/ not made by this benchmark; choose an empty directory")
    print(f"removing the earlier run's {results}", flush=True)
    shutil.rmtree(results)


def stage_rows(directory: Path, stages: list[tuple[str, str]]) -> list[dict]:
    """Seconds, CPU seconds and peak memory of every (stage, wildcard key) from its Snakemake benchmark file
    (results/benchmarks/<stage>/<key>.tsv)."""
    rows = []
    for stage, key in stages:
        benchmark = pd.read_csv(directory / f"results/benchmarks/{stage}/{key}.tsv", sep="\t")
        max_rss = pd.to_numeric(benchmark["max_rss"], errors="coerce").max()  # "NA" when not measured
        rows.append(
            {
                "stage": stage,
                "seconds": float(benchmark["s"].max()),
                "cpu seconds": float(pd.to_numeric(benchmark["cpu_time"], errors="coerce").max()),
                "peak memory (max_rss MB)": float(max_rss),
            }
        )
    return rows


def configured_epochs() -> int:
    """config.yaml's training epochs."""
    return int(yaml.safe_load((ROOT / "config.yaml").read_text())["training"]["epochs"])


def run_timed(directory: Path, overlay: Path, cores: int, targets: list[str]) -> tuple[float, float]:
    """Run the workflow (`run_workflow`); returns its wall-clock seconds and the largest peak memory (MB) of
    any process it started."""
    start = time.perf_counter()
    run_workflow(directory, overlay, cores, targets)
    wall = time.perf_counter() - start
    return wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux


def print_stage_report(
    title: str, rows: list[dict], wall: float, largest_mb: float, target_minutes: float, target_size: str, at_target: bool
) -> None:
    """A scale benchmark's report: the stage table (`stage_rows`), the total wall clock, the largest process
    and, where the run has the target's size (`at_target`), whether it is under `target_minutes`."""
    print_table(title, rows)
    print(f"\ntotal wall clock (snakemake, start to end): {wall:.1f} s = {wall / 60:.1f} min")
    print(f"largest single process (snakemake or a job): {largest_mb:.0f} MB")
    met = ("yes" if wall <= target_minutes * 60 else "no") if at_target else f"not checked (the target is for {target_size})"
    print(f"target, under {target_minutes} min in total: {met}")
