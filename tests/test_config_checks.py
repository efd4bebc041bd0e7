"""A wrong config stops before any job: the schema checks each value, `check_config` what the schema cannot
(values against each other and against what they name), each problem with its key and what to do."""

from __future__ import annotations

import copy

import pytest
import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate
from snakemake_runs import ROOT, TINY, snakemake

from spice_lib.config_checks import ConfigError, check_config

SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"
DEFAULT = yaml.safe_load((ROOT / "config.yaml").read_text())
TINY_CONFIG = yaml.safe_load(TINY.read_text())


@pytest.fixture(autouse=True)
def _in_the_tiny_configs_directory(monkeypatch):
    """The tiny config's data set has a relative path, which starts at the working directory."""
    monkeypatch.chdir(TINY.parent)


def stop_message(config: dict) -> str | None:
    """What the workflow says before any job: the schema's message, else check_config's; None if it runs."""
    config = copy.deepcopy(config)
    try:
        validate(config, str(SCHEMA))
        check_config(config)
    except (WorkflowError, ConfigError) as error:
        return str(error)
    return None


def edited(base: dict, edit) -> dict:
    config = copy.deepcopy(base)
    edit(config)
    return config


def set_task(config, **task):
    config["task"] = task


BAD_CONFIGS = {
    "range low above high": (
        edited(DEFAULT, lambda c: c["parameter_sets"][1].update(alpha_reward_low=0.8, alpha_reward_high=0.3)),
        "parameter_sets[1] ('asymmetric'): alpha_reward_low 0.8 is above alpha_reward_high 0.3; swap them",
    ),
    "range with one bound": (
        edited(TINY_CONFIG, lambda c: c["parameter_sets"][0].pop("alpha_reward_high")),
        "parameter_sets[0] ('fixed'): give both alpha_reward_low and alpha_reward_high",
    ),
    "setting of another task": (
        edited(DEFAULT, lambda c: c["task"].update(task="BanditsFlip")),
        "task: BanditsFlip does not take sigma; remove it (BanditsFlip's settings: block_flip_prob,",
    ),
    "BanditsFixed without probabilities": (
        edited(DEFAULT, lambda c: set_task(c, task="BanditsFixed", n_actions=2)),
        "task: BanditsFixed needs probabilities: add it",
    ),
    "n_actions against the task's arms": (
        edited(DEFAULT, lambda c: set_task(c, task="BanditsFixed", n_actions=3, probabilities=[0.2, 0.8])),
        "task: n_actions=3 does not match probabilities, which give 2 arms; give one probability per arm",
    ),
    "duplicate seeds (the schema)": (
        edited(TINY_CONFIG, lambda c: c.update(seeds=[3, 3])),
        "[3, 3] has non-unique elements",
    ),
    "data file that does not exist": (
        edited(TINY_CONFIG, lambda c: c["datasets"][0].update(path="missing.csv")),
        "datasets[0] ('lab'): path 'missing.csv' is not a file (relative paths start at the working directory",
    ),
    "reward range high below low": (
        edited(TINY_CONFIG, lambda c: c["datasets"][0].update(reward_range=[100, 0])),
        "datasets[0] ('lab'): reward_range must be finite (low, high) with low < high; got (100.0, 0.0)",
    ),
    "choice labels against n_actions": (
        edited(TINY_CONFIG, lambda c: c["datasets"][0].update(choice_coding=["l", "m", "r"], n_actions=2)),
        "datasets[0] ('lab'): n_actions=2 disagrees with choice_coding, which lists 3 labels",
    ),
    "one file column for two of ours": (
        edited(TINY_CONFIG, lambda c: c["datasets"][0]["columns"].update(choice="block")),
        "datasets[0] ('lab'): columns maps one file column to several of ours",
    ),
    "a parameter set and a data set of one name": (
        edited(TINY_CONFIG, lambda c: c["datasets"][0].update(name="pop")),
        "parameter_sets, datasets: names must be unique; rename the repeated ['pop']",
    ),
    "nothing to study": (
        edited(TINY_CONFIG, lambda c: c.update(parameter_sets=[], datasets=[])),
        "nothing to study; give at least one entry under parameter_sets or datasets",
    ),
    "early stopping without a validation split": (
        edited(TINY_CONFIG, lambda c: c["training"].update(early_stopping_patience=5)),
        "training.early_stopping_patience 5: early stopping watches the validation loss, and validation_split is 0",
    ),
    "a validation split that rounds to no session": (
        edited(TINY_CONFIG, lambda c: c["training"].update(validation_split=0.05)),
        "training.validation_split, parameter_sets[0] ('fixed'): validation_split=0.05 leaves no sessions for "
        "training or validation of 6 sessions; hold out between 0.167 and 0.833 of them, or 0",
    ),
    "one weight decay in a list of candidates (the schema)": (
        edited(TINY_CONFIG, lambda c: c["training"].update(weight_decay=[0.01])),
        "[0.01] is not valid under any of the given schemas",
    ),
    "a negative candidate weight decay of the GRU (the schema)": (
        edited(TINY_CONFIG, lambda c: c["comparison"]["gru"].update(weight_decay=[0.001, -0.01])),
        "On instance['comparison']['gru']['weight_decay']",
    ),
    "training on cuda without a GPU for the job": (
        edited(TINY_CONFIG, lambda c: c["training"].update(device="cuda")),
        "resources.train.gpus is 0 but training.device is cuda",
    ),
}


@pytest.mark.parametrize("config, message", BAD_CONFIGS.values(), ids=BAD_CONFIGS.keys())
def test_a_bad_config_is_stopped_naming_the_key_and_the_fix(config, message):
    assert message in (stop_message(config) or "no message: the config passed")


def test_every_problem_comes_in_one_message():
    config = edited(DEFAULT, lambda c: c["task"].update(task="BanditsFlip"))
    config["parameter_sets"][1].update(alpha_reward_low=0.8, alpha_reward_high=0.3)
    message = stop_message(config)
    assert message.startswith("config: 2 problems (fix them all, then run again):")
    assert "- parameter_sets[1] ('asymmetric')" in message and "- task: BanditsFlip" in message


@pytest.mark.parametrize(
    "config",
    [
        DEFAULT,
        TINY_CONFIG,
        edited(DEFAULT, lambda c: set_task(c, task="BanditsFixed", n_actions=2, probabilities=[0.2, 0.8])),
        edited(DEFAULT, lambda c: set_task(c, task="BanditsFlip", n_actions=3, p_high=0.9)),
        edited(TINY_CONFIG, lambda c: c["training"].update(validation_split=0.2, early_stopping_patience=5)),
    ],
    ids=["config.yaml", "tiny", "BanditsFixed", "BanditsFlip", "early stopping"],
)
def test_good_configs_pass(config):
    assert stop_message(config) is None


@pytest.mark.workflow
def test_a_cross_field_error_stops_the_dry_run_before_any_job(tmp_path):
    config = edited(TINY_CONFIG, lambda c: c["parameter_sets"][1].update(alpha_reward_low=0.8))
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    result = snakemake("-n", "--cores", "1", "--configfile", str(path), directory=tmp_path, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "Job stats" not in output
    assert output.count("parameter_sets[1] ('pop'): alpha_reward_low 0.8 is above alpha_reward_high 0.6") == 1
