"""The SLURM profile against a real scheduler: a single-node cluster on this machine runs a run of the tiny
study through snakemake-executor-plugin-slurm, and its equations equal those of the same run made locally.

tests/slurm/single_node.sh starts the cluster (installing Debian's slurm-wlm and munge as root when they
are missing); where it cannot (not root, no apt-get), the test is skipped with the reason.
"""

from __future__ import annotations

import os
import subprocess

import pandas as pd
import pytest
from snakemake_runs import ROOT, TINY, snakemake

from spice_lib.trials_io import read_table

pytestmark = [pytest.mark.workflow, pytest.mark.slurm]

CLUSTER_SCRIPT = ROOT / "tests" / "slurm" / "single_node.sh"
CANNOT_START = 3  # the script's exit status when this machine cannot run SLURM at all


@pytest.fixture(scope="module")
def slurm_environment(tmp_path_factory):
    """The environment of a client of a freshly started single-node cluster; the daemons stop afterwards."""
    directory = tmp_path_factory.mktemp("slurm")
    started = subprocess.run([CLUSTER_SCRIPT, "start", directory], capture_output=True, text=True)
    if started.returncode == CANNOT_START:
        pytest.skip(f"SLURM cannot start on this machine: {started.stderr.strip()}")
    assert started.returncode == 0, f"the single-node cluster did not start:\n{started.stdout}\n{started.stderr}"
    yield os.environ | {"SLURM_CONF": str(directory / "slurm.conf")}
    subprocess.run([CLUSTER_SCRIPT, "stop", directory], check=True)


def filled_in_profile(directory):
    """profiles/slurm with its placeholders replaced, as a user does: the cluster's one partition, and an
    account name (a cluster without accounting takes any)."""
    text = (ROOT / "profiles" / "slurm" / "config.yaml").read_text()
    directory.mkdir()
    (directory / "config.yaml").write_text(text.replace("<partition>", "debug").replace("<account>", "spice"))
    return directory


# Without an accounting database the plugin reads job states from squeue; the short intervals keep a
# test of a few short jobs from waiting on the defaults, which suit hour-long jobs.
QUICK_STATUS = (
    "--slurm-status-command", "squeue", "--slurm-init-seconds-before-status-checks", "2",
    "--seconds-between-status-checks", "2", "--latency-wait", "5",
)  # fmt: skip

# One run of the tiny study, its single participant (the quickest to distil), up to its equations figure:
# simulation, training and distillation go to SLURM, the figure is a local rule.
RUN = "parameter_set~fixed/seed~3"


def test_a_run_of_the_tiny_study_goes_through_slurm_to_the_local_equations(slurm_environment, tmp_path):
    target = f"results/figures/{RUN}/equations_math.png"
    snakemake(target, "--cores", "2", "--configfile", str(TINY), directory=tmp_path / "local")
    profile = filled_in_profile(tmp_path / "profile")
    directory = tmp_path / "run"
    result = snakemake(
        target, "--profile", str(profile), "--configfile", str(TINY), *QUICK_STATUS, directory=directory, env=slurm_environment
    )  # fmt: skip
    submitted = [line for line in result.stderr.splitlines() if "has been submitted with SLURM jobid" in line]
    assert any("rule_train/" in line for line in submitted) and any("rule_distill/" in line for line in submitted)
    assert not any("rule_figure_" in line for line in submitted)  # a local rule
    assert (directory / "results" / "figures" / RUN / "equations_math.png").stat().st_size > 0

    through_slurm, _ = read_table(directory / "results" / "equations" / RUN / "equations.parquet")
    local, _ = read_table(tmp_path / "local" / "results" / "equations" / RUN / "equations.parquet")
    pd.testing.assert_frame_equal(through_slurm, local, check_exact=True)


def test_a_profile_with_its_placeholders_left_in_stops_before_any_job(tmp_path):
    result = snakemake(
        "-n", "--profile", str(ROOT / "profiles" / "slurm"), "--configfile", str(TINY), directory=tmp_path, check=False
    )  # fmt: skip
    assert result.returncode != 0 and "Job stats" not in result.stdout
    output = result.stdout + result.stderr
    assert "profiles/slurm/config.yaml" in output and "slurm_partition=<partition>" in output
