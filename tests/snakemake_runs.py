"""Running the workflow from the tests: the tiny study's files and snakemake in a subprocess."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]
TINY = ROOT / "tests" / "workflow" / "config_tiny.yaml"
LAB_FILE = ROOT / "tests" / "workflow" / "tiny_choices.csv"  # the tiny study's data set (relative path)


def snakemake(*arguments, directory: Path, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
    """snakemake with `arguments` in `directory` (which gets the tiny study's data file)."""
    if not (directory / LAB_FILE.name).exists():
        directory.mkdir(parents=True, exist_ok=True)
        shutil.copy(LAB_FILE, directory / LAB_FILE.name)
    command = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--directory", str(directory)]
    result = subprocess.run(command + list(arguments), capture_output=True, text=True, cwd=ROOT, env=env)
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(arguments)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def job_counts(output: str) -> dict[str, int]:
    """The 'Job stats' table of a (dry) run: rule -> number of jobs."""
    block = output.split("Job stats:")[1].split("total")[0]
    return {rule: int(count) for rule, count in re.findall(r"^(\w+)\s+(\d+)$", block, re.M)}
