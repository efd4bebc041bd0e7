"""The workflow's config schema and the library agree: one default for each setting."""

import inspect
from pathlib import Path

import yaml

from spice_lib import SpiceEstimator
from spice_lib.sindy import DistillationSettings
from spice_lib.training import TrainingSettings
from spice_lib.weight_decay_choice import WEIGHT_DECAY_HOLDOUT

SCHEMA = yaml.safe_load((Path(__file__).parents[1] / "workflow" / "schemas" / "config.schema.yaml").read_text())
# config key -> SpiceEstimator setting, where the names differ
ESTIMATOR_NAMES = {"degree": "sindy_degree", "threshold": "sindy_threshold", "ridge": "sindy_ridge", "center": "sindy_center"}
# Training keys that the train rule reads rather than the estimator: their library defaults.
TRAIN_RULE_DEFAULTS = {"weight_decay_holdout": WEIGHT_DECAY_HOLDOUT}


def schema_defaults(section: str) -> dict:
    properties = SCHEMA["properties"][section]["properties"]
    return {key: spec["default"] for key, spec in properties.items() if "default" in spec}


def test_training_defaults_of_schema_settings_and_estimator_agree():
    estimator = inspect.signature(SpiceEstimator).parameters
    defaults = schema_defaults("training")
    assert defaults, "the schema gives training defaults"
    for key, value in defaults.items():
        if key in TRAIN_RULE_DEFAULTS:
            assert TRAIN_RULE_DEFAULTS[key] == value, key
            continue
        assert estimator[key].default == value, key
        if key in TrainingSettings.__dataclass_fields__:
            assert getattr(TrainingSettings(), key) == value, key


def test_distillation_defaults_of_schema_settings_and_estimator_agree():
    estimator = inspect.signature(SpiceEstimator).parameters
    defaults = schema_defaults("distillation")
    assert set(defaults) == {
        "degree", "threshold", "ridge", "center", "refit_parameters", "select_terms", "share_strength", "resamples",
        "second_start_weight_decay",
    }  # fmt: skip
    for key, value in defaults.items():
        assert estimator[ESTIMATOR_NAMES.get(key, key)].default == value, key
        if key in DistillationSettings.__dataclass_fields__:
            assert getattr(DistillationSettings(), key) == value, key


def test_every_training_setting_reaches_the_estimator():
    estimator = inspect.signature(SpiceEstimator).parameters
    assert set(SCHEMA["properties"]["training"]["properties"]) - set(TRAIN_RULE_DEFAULTS) <= set(estimator)
