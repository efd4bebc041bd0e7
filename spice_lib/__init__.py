"""spice_lib: SPICE (Sparse and Interpretable Cognitive Equations, Weinhardt et al. 2024), written from scratch.

The names of the SPICE tutorial are importable from here (`from spice_lib import SpiceEstimator, AgentQ, ...`).
"""

__version__ = "0.1.0"

from spice_lib.agents import Agent, AgentQ, sample_population
from spice_lib.dataset import DatasetRNN, dataset_from_trials, trials_from_dataset
from spice_lib.equations import EquationSet, read_equations, write_equations
from spice_lib.estimator import SpiceEstimator
from spice_lib.models import (
    FORGETTING_CONFIG,
    RESCORLA_WAGNER_CONFIG,
    WEINHARDT_2024_CONFIG,
    ForgettingRNN,
    RescorlaWagnerRNN,
    Weinhardt2024RNN,
)
from spice_lib.network_agent import AgentNetwork
from spice_lib.plotting import plot_session
from spice_lib.rnn import BaseRNN
from spice_lib.simulation import SimulatedSessions, create_dataset, simulate
from spice_lib.spice_config import SpiceConfig
from spice_lib.tasks import BanditsDrift, BanditsFixed, BanditsFlip
from spice_lib.trials_io import load_dataset, read_trials, save_dataset, write_trials
from spice_lib.user_data import ChoiceDataError, import_choice_data, import_to_parquet

__all__ = [
    "Agent",
    "AgentNetwork",
    "AgentQ",
    "BanditsDrift",
    "BanditsFixed",
    "BanditsFlip",
    "BaseRNN",
    "ChoiceDataError",
    "DatasetRNN",
    "EquationSet",
    "FORGETTING_CONFIG",
    "ForgettingRNN",
    "RESCORLA_WAGNER_CONFIG",
    "RescorlaWagnerRNN",
    "SimulatedSessions",
    "SpiceConfig",
    "SpiceEstimator",
    "WEINHARDT_2024_CONFIG",
    "Weinhardt2024RNN",
    "create_dataset",
    "dataset_from_trials",
    "import_choice_data",
    "import_to_parquet",
    "load_dataset",
    "plot_session",
    "read_equations",
    "read_trials",
    "sample_population",
    "save_dataset",
    "simulate",
    "trials_from_dataset",
    "write_equations",
    "write_trials",
]
