"""spice_lib: SPICE (Sparse and Interpretable Cognitive Equations, Weinhardt et al. 2024), written from scratch.

The names of the SPICE tutorial are importable from here (`from spice_lib import SpiceEstimator, AgentQ, ...`).
They are imported when first used, so that a submodule without torch (the workflow's config checks, which
every snakemake start runs) does not pay for torch, pysindy and matplotlib.
"""

import importlib

__version__ = "0.1.0"

# Each public name and the module that defines it.
_PUBLIC = {
    "Agent": "agents",
    "AgentNetwork": "network_agent",
    "AgentQ": "agents",
    "BanditsDrift": "tasks",
    "BanditsFixed": "tasks",
    "BanditsFlip": "tasks",
    "BaseRNN": "rnn",
    "ChoiceDataError": "user_data",
    "DatasetRNN": "dataset",
    "EquationSet": "equations",
    "FORGETTING_CONFIG": "models",
    "ForgettingRNN": "models",
    "RESCORLA_WAGNER_CONFIG": "models",
    "RescorlaWagnerRNN": "models",
    "SimulatedSessions": "simulation",
    "SpiceConfig": "spice_config",
    "SpiceEstimator": "estimator",
    "WEINHARDT_2024_CONFIG": "models",
    "Weinhardt2024RNN": "models",
    "create_dataset": "simulation",
    "dataset_from_trials": "dataset",
    "import_choice_data": "user_data",
    "import_to_parquet": "user_data",
    "load_dataset": "trials_io",
    "plot_session": "plotting",
    "read_equations": "equations",
    "read_trials": "trials_io",
    "sample_population": "agents",
    "save_dataset": "trials_io",
    "simulate": "simulation",
    "trials_from_dataset": "dataset",
    "write_equations": "equations",
    "write_trials": "trials_io",
}
__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'spice_lib' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"spice_lib.{_PUBLIC[name]}"), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
