"""Checks of a workflow config that its schema cannot express.

workflow/schemas/config.schema.yaml checks each value on its own; these check values against each other
and against what they name (a task's settings, a data file). The workflow runs them right after the
schema, before it plans a job, so a wrong config stops `snakemake -n` with one message that lists every
problem, each with its key and what to do.

Where a job would refuse a setting, the check asks the library the same question the job asks (the task
a simulation builds, the participants it draws, the options an import takes), so config and job refuse
for the same reasons.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from pathlib import Path

from spice_lib.parameter_sets import draw_participants
from spice_lib.tasks import task_from_description
from spice_lib.training import validation_sessions
from spice_lib.user_data import check_import_options


class ConfigError(ValueError):
    """A config the workflow cannot run; the message lists every problem with its key and what to do."""


def check_config(config: dict) -> None:
    """Raise ConfigError listing every problem of a config that passed the schema (its defaults filled in).

    A data set's relative path starts at the working directory, as in the workflow.
    """
    problems = [
        *_study_problems(config),
        *_parameter_set_problems(config),
        *_task_problems(config),
        *_dataset_problems(config),
        *_training_problems(config),
    ]
    if problems:
        count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
        raise ConfigError(f"config: {count} (fix them all, then run again):\n" + "\n".join(f"- {p}" for p in problems))


def _study_problems(config: dict) -> Iterator[str]:
    # Names become result paths (parameter_set~<name>, dataset~<name>), shared by both kinds of entry.
    names = [entry["name"] for entry in config["parameter_sets"] + config["datasets"]]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        yield f"parameter_sets, datasets: names must be unique; rename the repeated {repeated}"
    if not names:
        yield "parameter_sets, datasets: nothing to study; give at least one entry under parameter_sets or datasets"


def _parameter_set_problems(config: dict) -> Iterator[str]:
    # Participants drawn as simulate_truth draws them, so a range it would refuse is refused here.
    for index, parameter_set in enumerate(config["parameter_sets"]):
        try:
            draw_participants(parameter_set, seed=0, n_actions=config["task"]["n_actions"])
        except ValueError as error:
            yield f"parameter_sets[{index}] ({parameter_set['name']!r}): {error}"


def _task_problems(config: dict) -> Iterator[str]:
    try:
        task_from_description(config["task"])  # as simulate_training and simulate_test build it
    except ValueError as error:
        yield f"task: {error}"


def _dataset_problems(config: dict) -> Iterator[str]:
    import_options = inspect.signature(check_import_options).parameters
    for index, dataset in enumerate(config["datasets"]):
        where = f"datasets[{index}] ({dataset['name']!r})"
        if not Path(dataset["path"]).is_file():
            yield (
                f"{where}: path {dataset['path']!r} is not a file (relative paths start at the working "
                f"directory, {Path.cwd()}); fix the path"
            )
        try:
            check_import_options(**{key: value for key, value in dataset.items() if key in import_options})
        except ValueError as error:
            yield f"{where}: {error}"


def _training_problems(config: dict) -> Iterator[str]:
    training = config["training"]
    if training["early_stopping_patience"] is not None and not training["validation_split"]:
        yield (
            f"training.early_stopping_patience {training['early_stopping_patience']}: early stopping watches the "
            "validation loss, and validation_split is 0; set validation_split (e.g. 0.2) or remove the patience"
        )
    # A parameter set's run trains on all its participants' sessions, as the train job will split them.
    for index, parameter_set in enumerate(config["parameter_sets"]):
        try:
            validation_sessions(training["validation_split"], int(parameter_set["n_participants"]) * int(parameter_set["n_sessions"]))
        except ValueError as error:
            yield f"training.validation_split, parameter_sets[{index}] ({parameter_set['name']!r}): {error}"
    if training["device"] == "cuda" and not config["resources"]["train"]["gpus"]:
        yield (
            "resources.train.gpus is 0 but training.device is cuda: a cluster's training job would get no GPU; "
            "set resources.train.gpus: 1 (and the GPUs of a local machine in the profile's resources)"
        )
