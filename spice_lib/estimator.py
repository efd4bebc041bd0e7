"""`SpiceEstimator`: train the RNN, distil it into equations, predict, print, save and load.

scikit-learn style (settings in `__init__`, learned state with a trailing underscore), with the tutorial's
names kept: `rnn_agent`, `spice_agent`, `print_spice_model`, and `predict` returning both models'
probabilities. Training and distillation are also separate steps (`train`, `distill`), as the workflow
runs them as separate rules.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from spice_lib import inclusion, population, term_selection
from spice_lib.equations import EquationSet, TermInclusion, equation_model, model_equations
from spice_lib.files import atomic_path
from spice_lib.network_agent import AgentNetwork
from spice_lib.notation import printout, text_legend
from spice_lib.progress import silent
from spice_lib.provenance import package_versions
from spice_lib.refit import (
    REFIT_CHOICES,
    no_worse_than_chance,
    participant_nll,
    print_constants_at_bounds,
    refit_equation_model,
    refit_participants,
)
from spice_lib.resting_values import describe_outside_range, outside_reward_range, participants_outside
from spice_lib.rnn import BaseRNN
from spice_lib.sindy import DistillationSettings, distill
from spice_lib.spice_config import SpiceConfig
from spice_lib.trace_orientation import orient_choice_trace, orient_keeping_terms
from spice_lib.training import TrainingSettings, resolve_device, train
from spice_lib.xs_layout import check_n_features, n_features, split_xs

MODEL_FILE_FORMAT = 2  # 2: the setting `refit` became `refit_parameters`; `select_terms` is new
# The settings' defaults live in the settings classes (one source); the estimator only names them.
_TRAINING = TrainingSettings()
_DISTILLATION = DistillationSettings()


class SpiceEstimator:
    """Fit SPICE to choice data.

    rnn_class: a BaseRNN subclass, built as rnn_class(n_actions=..., n_participants=..., **rnn_kwargs).
    spice_config: which modules to distil (`SpiceConfig`).
    Training: Adam with `learning_rate` for `epochs` epochs on mini-batches of `batch_size` sessions (None:
    all), `weight_decay`, gradient-norm clipping at `max_grad_norm`, optional `validation_split` with
    `early_stopping_patience`, a progress line every `print_every` epochs, `n_threads` torch threads; a
    checkpoint every `checkpoint_every` epochs when `train` is given a checkpoint path, removed by `save`
    unless `keep_checkpoint`.
    device: 'auto' (CUDA if available), 'cpu' or 'cuda'. seed: None draws one from torch's global generator,
    so `torch.manual_seed` fixes the result; on the CPU the same seed and thread count give the same weights.
    Distillation: polynomial `sindy_degree`, STLSQ `sindy_threshold` and `sindy_ridge`, own values measured
    from their initial values (`sindy_center`; see sindy.py and equations.ModuleEquation), then
    `refit_parameters` ('none', 'betas' or 'coefficients': which numbers are refitted) of the equation model on
    the choices (see refit.py) and, with 'coefficients', `select_terms`: which terms each equation keeps,
    switched on or off one at a time while that lowers the participant's BIC (see term_selection.py), and
    `share_strength`: with several participants, one structure for the population, chosen by integrated BIC,
    and each participant's numbers refitted under a population prior estimated from the data (empirical
    Bayes, see population.py). `resamples` (0: off, else 2 or more): term selection is rerun on that many
    bootstraps of each participant's sessions, which says how often each term is kept and gives a 90%
    interval of every coefficient (see inclusion.py). `second_start_weight_decay` (None: off; default 0): where a
    participant's reward value settles outside the rewards' range after term selection (a choice trace in
    disguise, see resting_values.py), a second network is trained with this weight decay and their search
    is run again from its proposal; they take its equations where those settle within the range.
    """

    def __init__(
        self,
        rnn_class: type[BaseRNN],
        spice_config: SpiceConfig,
        n_actions: int = 2,
        n_participants: int = 1,
        learning_rate: float = _TRAINING.learning_rate,
        epochs: int = _TRAINING.epochs,
        batch_size: int | None = _TRAINING.batch_size,
        device: str = "auto",
        seed: int | None = None,
        weight_decay: float = _TRAINING.weight_decay,
        max_grad_norm: float | None = _TRAINING.max_grad_norm,
        validation_split: float = _TRAINING.validation_split,
        early_stopping_patience: int | None = _TRAINING.early_stopping_patience,
        print_every: int | None = _TRAINING.print_every,
        checkpoint_every: int | None = _TRAINING.checkpoint_every,
        keep_checkpoint: bool = False,
        n_threads: int | None = None,
        sindy_degree: int = _DISTILLATION.degree,
        sindy_threshold: float = _DISTILLATION.threshold,
        sindy_ridge: float = _DISTILLATION.ridge,
        sindy_center: bool = _DISTILLATION.center,
        refit_parameters: str = "coefficients",
        select_terms: bool = True,
        share_strength: bool = False,
        resamples: int = 0,
        second_start_weight_decay: float | None = 0.0,
        participant_ids: list[str] | None = None,
        rnn_kwargs: dict | None = None,
        verbose: bool = True,
    ):
        self.rnn_class = rnn_class
        self.spice_config = spice_config
        self.n_actions = n_actions
        self.n_participants = n_participants
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.device = device
        self.seed = seed
        self.weight_decay = weight_decay
        self.max_grad_norm = max_grad_norm
        self.validation_split = validation_split
        self.early_stopping_patience = early_stopping_patience
        self.print_every = print_every
        self.checkpoint_every = checkpoint_every
        self.keep_checkpoint = keep_checkpoint
        self.n_threads = n_threads
        self.sindy_degree = sindy_degree
        self.sindy_threshold = sindy_threshold
        self.sindy_ridge = sindy_ridge
        self.sindy_center = sindy_center
        self.refit_parameters = refit_parameters
        self.select_terms = select_terms
        self.share_strength = share_strength
        self.resamples = resamples
        self.second_start_weight_decay = second_start_weight_decay
        self.participant_ids = participant_ids
        self.rnn_kwargs = rnn_kwargs
        self.verbose = verbose

    # -- settings --------------------------------------------------------------------------------------

    _SETTINGS = (
        "n_actions", "n_participants", "learning_rate", "epochs", "batch_size", "device", "seed",
        "weight_decay", "max_grad_norm", "validation_split", "early_stopping_patience", "print_every",
        "checkpoint_every", "keep_checkpoint", "n_threads", "sindy_degree", "sindy_threshold", "sindy_ridge", "sindy_center", "refit_parameters", "select_terms", "share_strength", "resamples", "second_start_weight_decay", "participant_ids", "rnn_kwargs", "verbose",
    )  # fmt: skip

    def get_params(self) -> dict:
        return {"rnn_class": self.rnn_class, "spice_config": self.spice_config} | {
            name: getattr(self, name) for name in self._SETTINGS
        }

    def set_params(self, **settings) -> SpiceEstimator:
        """Change settings (scikit-learn style), e.g. the distillation settings of a loaded model."""
        for name, value in settings.items():
            if name not in self._SETTINGS:
                raise ValueError(f"SpiceEstimator has no setting {name!r}; settings: {list(self._SETTINGS)}")
            setattr(self, name, value)
        return self

    @contextlib.contextmanager
    def _threads(self):
        """torch uses `n_threads` threads inside the block (the workflow passes its job's threads)."""
        before = torch.get_num_threads()
        if self.n_threads:
            torch.set_num_threads(int(self.n_threads))
        try:
            yield
        finally:
            if self.n_threads:
                torch.set_num_threads(before)

    def _log(self, message: str) -> None:
        if self.verbose:
            print(message, flush=True)

    def _participant_ids(self) -> list[str]:
        ids = self.participant_ids or [str(i) for i in range(self.n_participants)]
        if len(ids) != self.n_participants:
            raise ValueError(f"{len(ids)} participant_ids for n_participants={self.n_participants}")
        return [str(i) for i in ids]

    def _new_rnn(self) -> BaseRNN:
        return self.rnn_class(n_actions=self.n_actions, n_participants=self.n_participants, **(self.rnn_kwargs or {}))

    def _check_data(self, xs, ys=None) -> tuple[torch.Tensor, torch.Tensor | None]:
        xs = torch.as_tensor(xs, dtype=torch.float32)
        if xs.ndim != 3:
            raise ValueError(f"xs must be (sessions, trials, {n_features(self.n_actions)} features), got {tuple(xs.shape)}")
        check_n_features(xs.shape[-1], self.n_actions)
        index = split_xs(xs, self.n_actions).participant[:, 0]
        if len(index) and (index.min() < 0 or index.max() >= self.n_participants):
            raise ValueError(
                f"xs holds participant index {int(index.max())} but the estimator has "
                f"n_participants={self.n_participants}"
            )
        if ys is not None:
            ys = torch.as_tensor(ys, dtype=torch.float32)
            if ys.shape != xs.shape[:2] + (self.n_actions,):
                raise ValueError(f"ys must be {tuple(xs.shape[:2]) + (self.n_actions,)}, got {tuple(ys.shape)}")
        return xs, ys

    # -- fitting ---------------------------------------------------------------------------------------

    def fit(self, xs, ys) -> SpiceEstimator:
        """Train the RNN on (xs, ys), then distil it into equations (and refit them) on the same data."""
        return self.train(xs, ys).distill(xs, ys)

    def train(
        self, xs, ys, log: Callable[[str], None] | None = None, checkpoint: str | os.PathLike | None = None
    ) -> SpiceEstimator:
        """Train a fresh RNN. Sets rnn_, history_, seed_, device_, participant_ids_, checkpoint_.

        With a `checkpoint` path, training writes a checkpoint there every `checkpoint_every` epochs and
        resumes from one that the same training (seed, settings, data, model) wrote before, e.g. in a job that
        was killed: on the CPU with the same number of threads, the weights equal an uninterrupted run's. The
        checkpoint stays until `save` has written the model.
        """
        xs, ys = self._check_data(xs, ys)
        self.seed_ = int(torch.randint(0, 2**31 - 1, (1,)).item()) if self.seed is None else int(self.seed)
        self.device_ = resolve_device(self.device)
        self.participant_ids_ = self._participant_ids()
        settings = TrainingSettings(
            epochs=self.epochs,
            learning_rate=self.learning_rate,
            batch_size=self.batch_size,
            weight_decay=self.weight_decay,
            max_grad_norm=self.max_grad_norm,
            validation_split=self.validation_split,
            early_stopping_patience=self.early_stopping_patience,
            print_every=self.print_every,
            checkpoint_every=self.checkpoint_every,
        )
        # A private random stream: the seed alone decides the weights, whatever ran before.
        with self._threads(), torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed_)
            self.rnn_ = self._new_rnn().to(self.device_)
            generator = torch.Generator().manual_seed(self.seed_)
            self._log(f"Training the RNN on {self.device_} (seed {self.seed_})...")
            self.history_ = train(
                self.rnn_, xs.to(self.device_), ys.to(self.device_), settings, generator, log or self._log, checkpoint,
                progress_bar=self.verbose,
            )
        self.checkpoint_ = checkpoint
        self.equations_ = None
        self.spice_model_ = None
        return self

    def distill(self, xs, ys=None) -> SpiceEstimator:
        """Replace every module in spice_config.rnn_modules by per-participant equations fitted on the RNN
        run over xs; then, unless refit_parameters='none', refit them on the choices ys and, with
        select_terms, switch terms on or off by BIC (and, with second_start_weight_decay, search again from a
        second network where a reward value settles outside the rewards' range; second_start_ says whose,
        None where no one's was searched again); with refit_parameters='coefficients', a participant whose
        equations predict their own choices worse than chance is refitted alone, else set to chance
        (refit.no_worse_than_chance); with share_strength and refit_parameters='coefficients', the
        population's structure and prior come before that (population.choose_structure). Sets equations_,
        term_switches_ (the switches made, see term_selection.select_terms; None without term selection),
        structure_search_ and population_prior_ (the structures tried and the chosen one's prior; None
        without sharing strength) and chance_repairs_ (those participants; None without the refit). With
        `resamples`, equations_.inclusion says how sure each term is (inclusion.term_inclusion; with
        share_strength, the resamples are fitted per participant, without the population prior)."""
        self._check_fitted()
        xs, ys = self._check_data(xs, ys)
        if self.refit_parameters not in REFIT_CHOICES:
            raise ValueError(f"refit_parameters must be one of {REFIT_CHOICES}, got {self.refit_parameters!r}")
        if self.refit_parameters != "none" and ys is None:
            raise ValueError(f"refit_parameters={self.refit_parameters!r} needs the choices: call distill(xs, ys)")
        if self.resamples == 1 or self.resamples < 0:
            raise ValueError(f"resamples must be 0 (off) or 2 or more, got {self.resamples}")
        settings = DistillationSettings(
            degree=self.sindy_degree, threshold=self.sindy_threshold, ridge=self.sindy_ridge, center=self.sindy_center
        )
        log = self._log if self.verbose else silent  # silent: no progress bars either
        log(f"Distilling {len(self.spice_config.rnn_modules)} modules for {self.n_participants} participant(s)...")
        with self._threads():
            self.spice_model_, self.term_switches_ = self._search(self.rnn_, xs, ys, settings, log)
            self.equations_ = model_equations(self.spice_model_)
            self.second_start_ = None
            if self._selects_terms and self.second_start_weight_decay is not None:
                self._search_again_where_values_leave_the_range(xs, ys, settings, log)
            elif self.select_terms and not self._selects_terms:
                log("Term selection refits coefficients: it runs with refit_parameters='coefficients' only.")
            self.population_prior_ = self.structure_search_ = None
            if self.share_strength and self.refit_parameters == "coefficients":
                if self.n_participants >= population.MIN_PARTICIPANTS:
                    fit, self.structure_search_ = population.choose_structure(self.spice_model_, xs, ys, log=log)
                    self.spice_model_, self.population_prior_ = fit.model, fit.prior
                    print_constants_at_bounds(self.spice_model_, log=log)
                else:
                    log(
                        f"Sharing strength needs {population.MIN_PARTICIPANTS} participants or more to estimate a "
                        f"population; with {self.n_participants}, each participant's equations stand alone."
                    )
            self.chance_repairs_ = None
            if self.refit_parameters == "coefficients":
                self.spice_model_, self.chance_repairs_ = no_worse_than_chance(self.spice_model_, xs, ys, log=log)
            self.equations_ = model_equations(self.spice_model_)
            warning = term_selection.describe_unstable(self.equations_)
            if warning:
                log(warning + (" Term selection found no stable alternative for them within its steps, or a later refit "
                               "(sharing strength, or the refit of a participant worse than chance) made them unstable." if self._selects_terms
                               else " Term selection (select_terms with refit_parameters='coefficients') searches among stable alternatives."))  # fmt: skip
            disguised = describe_outside_range(self.equations_, searched_again=self.second_start_ is not None)
            if disguised:
                log(disguised)
            if self.resamples:
                self.equations_.inclusion = self._term_inclusion(xs, ys, log)
        return self

    def _search(self, rnn: BaseRNN, xs, ys, settings: DistillationSettings, log) -> tuple[BaseRNN, pd.DataFrame | None]:
        """The equation model distilled from `rnn`, refitted (refit_parameters) and its terms selected
        (select_terms), with the switches made (None without term selection). Before a refit, a choice trace
        proposed mirrored is written in AgentQ's orientation (trace_orientation.py: the same choices, but for
        the first trials, which the refit takes up; without a refit the proposal is left as the network has it),
        and again after term selection (`_search_mirrored_again`) or, without it, after the refit of the
        coefficients (keeping the terms the rewrite gives: trace_orientation.orient_keeping_terms)."""
        proposal = distill(rnn, self.spice_config, xs, self.participant_ids_, settings, log)
        if self.refit_parameters != "none":
            proposal, mirrored = orient_choice_trace(proposal)
            if mirrored.any():
                log(
                    f"{int(mirrored.sum())} participant(s)' choice trace came out mirrored (the chosen arm's trace falls, "
                    "its beta has the other sign): written as AgentQ writes it, the trace rising for the arm chosen."
                )
        model = equation_model(rnn, proposal)
        if self.refit_parameters != "none":
            refit_equation_model(model, xs, ys, self.refit_parameters, threshold=self.sindy_threshold, log=log)
        if not self._selects_terms:
            if self.refit_parameters == "coefficients":  # the refit can flip a trace too weak to orient before
                model, _ = orient_keeping_terms(model, xs, ys, log=log)
            return model, None
        model, switches = term_selection.select_terms(model, xs, ys, log=log)
        return self._search_mirrored_again(rnn, model, switches, xs, ys, log)

    def _search_mirrored_again(self, rnn: BaseRNN, model: BaseRNN, switches: pd.DataFrame, xs, ys, log):
        """The refit can settle on a mirrored trace from a proposal whose trace was too weak to say which way
        it runs. Those participants' selected equations are written in AgentQ's orientation, refitted and
        their terms searched again from there, as participants of a model of their own. A search that ends
        mirrored again (the mirror can be a term cheaper) is written in AgentQ's orientation with the terms
        that gives (trace_orientation.orient_keeping_terms). Returns the model and the switches, those of the
        second search after the first's."""
        equations = model_equations(model)
        oriented, mirrored = orient_choice_trace(equations)
        rows = np.flatnonzero(mirrored)
        if not len(rows):
            return model, switches
        log(f"{len(rows)} participant(s)' choice trace ended mirrored after term selection: written as AgentQ writes "
            "it, refitted and their terms searched again.")  # fmt: skip
        again, own_xs, own_ys = refit_participants(rnn, oriented, rows, xs, ys, threshold=self.sindy_threshold, log=log)
        again, more_switches = term_selection.select_terms(again, own_xs, own_ys, log=log)
        model, _ = orient_keeping_terms(equation_model(rnn, equations.with_rows(rows, model_equations(again))), xs, ys, log=log)
        return model, pd.concat([table for table in (switches, more_switches) if len(table)] or [switches], ignore_index=True)

    def _search_again_where_values_leave_the_range(self, xs, ys, settings: DistillationSettings, log) -> None:
        """Where a participant's reward value settles outside the rewards' range (a choice trace in disguise,
        see resting_values.py), search again from a second network's proposal: trained as the first (seed and
        settings) but with `second_start_weight_decay`, which can let it learn the choice trace that the first
        one's weight decay traded for forgetting (docs/validation.md, section 0). A participant takes the second
        search's equations where those settle within the range. Sets second_start_ (one row per participant
        searched again: participant, settles_first, settles_second, bic_first, bic_second, taken)."""
        outside = outside_reward_range(self.equations_)
        rows = np.flatnonzero(participants_outside(outside, self.n_participants))
        if not len(rows):
            return
        log(
            f"{len(rows)} participant(s)' reward values settle outside the rewards' range; training a second network "
            f"with weight decay {self.second_start_weight_decay} to search their equations again from its proposal..."
        )
        second = SpiceEstimator(**(self.get_params() | {"weight_decay": self.second_start_weight_decay, "seed": self.seed_}))
        second.train(xs, ys, log=log)
        model, _ = second._search(second.rnn_, xs, ys, settings, log)
        found = model_equations(model)
        outside_second = outside_reward_range(found)
        taken = rows[~participants_outside(outside_second, self.n_participants)[rows]]
        bic_first, bic_second = (self._participant_bic(candidate, xs, ys) for candidate in (self.equations_, found))
        self.second_start_ = pd.DataFrame(
            {
                "participant": pd.array([self.participant_ids_[row] for row in rows], dtype="string"),
                "settles_first": np.fmin.reduce([rest[rows] for rest in outside.values()], 0),
                "settles_second": np.fmin.reduce([rest[rows] for rest in outside_second.values()], 0),
                "bic_first": bic_first[rows],
                "bic_second": bic_second[rows],
                "taken": np.isin(rows, taken),
            }
        )
        log(f"The second start's equations replace {len(taken)} of those {len(rows)} participant(s)':\n"
            + self.second_start_.to_string(index=False, float_format=lambda value: f"{value:.3f}"))  # fmt: skip
        if len(taken):
            # Their numbers, within the first network's bounds: for a reward value a guard (the network's values
            # widened by their width on either side), which a value that settles within [0, 1] rarely meets.
            self.equations_ = self.equations_.with_rows(taken, found.subset(taken))
            self.spice_model_ = equation_model(self.rnn_, self.equations_)

    def _participant_bic(self, equations: EquationSet, xs, ys) -> np.ndarray:
        """(n_participants,): each participant's BIC under `equations` (2 NLL + k ln n, as term selection
        counts) on (xs, ys)."""
        nll, n_trials = participant_nll(equation_model(self.rnn_, equations), xs, ys)
        k = np.array([equations.n_parameters(row) for row in range(self.n_participants)])
        return term_selection.bic(nll * n_trials, k, n_trials)

    @property
    def _selects_terms(self) -> bool:
        """Whether distillation runs term selection: it refits coefficients, so it needs 'coefficients'."""
        return self.select_terms and self.refit_parameters == "coefficients"

    def _term_inclusion(self, xs, ys, log: Callable[[str], None]) -> TermInclusion | None:
        if not self._selects_terms:
            log("Inclusion probabilities resample term selection: they need select_terms and refit_parameters='coefficients'.")
            return None
        return inclusion.term_inclusion(self.spice_model_, xs, ys, self.resamples, seed=self.seed_, log=log)

    def set_equations(self, equations: EquationSet) -> SpiceEstimator:
        """Use `equations` (e.g. read from an equations table) as the equation model."""
        self._check_fitted()
        if list(equations.participant_ids) != list(self.participant_ids_):
            raise ValueError("the equations were fitted for other participants than this model's")
        self.equations_ = equations
        self.spice_model_ = equation_model(self.rnn_, equations)
        return self

    def _check_fitted(self) -> None:
        if getattr(self, "rnn_", None) is None:
            raise RuntimeError("this SpiceEstimator is not trained yet: call fit (or train) first")

    # -- using the fitted models -----------------------------------------------------------------------

    @property
    def rnn_agent(self) -> AgentNetwork:
        self._check_fitted()
        return AgentNetwork(self.rnn_, self.n_actions, self.participant_ids_)

    @property
    def spice_agent(self) -> AgentNetwork | None:
        """The equation model as an agent (None before distillation)."""
        self._check_fitted()
        return None if self.spice_model_ is None else AgentNetwork(self.spice_model_, self.n_actions, self.participant_ids_)

    def predict(self, xs) -> tuple[np.ndarray, np.ndarray | None]:
        """Probabilities of each next choice by the RNN and by the equation model (None before distillation),
        each (sessions, trials, n_actions) aligned with ys."""
        xs, _ = self._check_data(xs)
        spice = self.spice_agent
        return self.rnn_agent.predict(xs), (None if spice is None else spice.predict(xs))

    def print_spice_model(self, participant_id=None, file=None) -> None:
        """Print the equations of one participant (by id) or, with None, of every participant, in symbols
        (`notation.printout`), then a legend that names each symbol's module."""
        if getattr(self, "equations_", None) is None:
            raise RuntimeError("no equations yet: call fit (or distill) first")
        ids = self.participant_ids_
        if participant_id is not None and str(participant_id) not in ids:
            raise KeyError(f"no participant {participant_id!r}; known: {ids[:10]}{'...' if len(ids) > 10 else ''}")
        chosen = ids if participant_id is None else [str(participant_id)]
        print("SPICE modules:", file=file or sys.stdout)
        outside = outside_reward_range(self.equations_)
        for pid in chosen:
            if len(ids) > 1:
                print(f"Participant {pid}:", file=file or sys.stdout)
            for line in printout(self.equations_, ids.index(pid), outside=outside):
                print(line, file=file or sys.stdout)
        legend = text_legend(self.equations_)
        if legend:
            print(legend, file=file or sys.stdout)

    # -- files -----------------------------------------------------------------------------------------

    def save(self, path) -> None:
        """Write weights, settings, config, participant ids, history, equations and versions to `path`; then,
        unless keep_checkpoint, remove the checkpoint `train` wrote: the model file holds what it was for."""
        self._check_fitted()
        rnn_class = type(self.rnn_)
        settings = {name: getattr(self, name) for name in self._SETTINGS}
        equations = None
        if self.equations_ is not None:
            equations = {"structure": self.equations_.structure(), "table": self.equations_.to_table().to_dict("list")}
        content = {
            "format": MODEL_FILE_FORMAT,
            "rnn_class": f"{rnn_class.__module__}:{rnn_class.__qualname__}",
            "settings": settings,
            "spice_config": self.spice_config.to_dict(),
            "state_dict": {k: v.detach().cpu() for k, v in self.rnn_.state_dict().items()},
            "participant_ids": list(self.participant_ids_),
            "seed": self.seed_,
            "history": self.history_.to_dict("list"),
            "equations": equations,
            "versions": package_versions(),
        }
        with atomic_path(path) as temporary:
            torch.save(content, temporary)
        if self.checkpoint_ is not None and not self.keep_checkpoint:
            Path(self.checkpoint_).unlink(missing_ok=True)

    @classmethod
    def load(cls, path, rnn_class: type[BaseRNN] | None = None, device: str = "cpu") -> SpiceEstimator:
        """Rebuild a saved estimator. Pass `rnn_class` when the model class is not importable by name
        (e.g. it was defined in a notebook)."""
        content = torch.load(path, map_location="cpu", weights_only=True)
        if content.get("format") != MODEL_FILE_FORMAT:
            raise ValueError(f"{path}: not a SpiceEstimator file of format {MODEL_FILE_FORMAT}")
        if rnn_class is None:
            rnn_class = _import_class(content["rnn_class"], path)
        estimator = cls(rnn_class, SpiceConfig.from_dict(content["spice_config"]), **content["settings"])
        estimator.device_ = resolve_device(device)
        estimator.seed_ = content["seed"]
        estimator.participant_ids_ = list(content["participant_ids"])
        estimator.history_ = pd.DataFrame(content["history"])
        estimator.checkpoint_ = None
        estimator.rnn_ = estimator._new_rnn()
        estimator.rnn_.load_state_dict(content["state_dict"])
        estimator.rnn_.to(estimator.device_).eval()
        estimator.equations_ = estimator.spice_model_ = None
        if content["equations"] is not None:
            table = pd.DataFrame(content["equations"]["table"])
            estimator.set_equations(EquationSet.from_table(table, content["equations"]["structure"]))
        estimator.versions_ = content["versions"]
        return estimator


def distillation_params(section) -> dict:
    """SpiceEstimator settings from the workflow config's `distillation:` section (or the settings a distill
    job recorded in its equations table's provenance, which are that section)."""
    return dict(
        sindy_degree=section["degree"],
        sindy_threshold=section["threshold"],
        sindy_ridge=section["ridge"],
        sindy_center=section["center"],
        refit_parameters=section["refit_parameters"],
        select_terms=section["select_terms"],
        share_strength=section["share_strength"],
        resamples=section["resamples"],
        second_start_weight_decay=section.get("second_start_weight_decay"),
    )


def _import_class(qualified: str, path) -> type:
    module_name, _, name = qualified.partition(":")
    try:
        target = importlib.import_module(module_name)
        for part in name.split("."):
            target = getattr(target, part)
        return target
    except (ImportError, AttributeError):
        raise ImportError(
            f"{path} was saved from class {qualified}, which cannot be imported here; "
            f"pass it as SpiceEstimator.load(path, rnn_class=YourClass)"
        ) from None
