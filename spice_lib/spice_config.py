"""`SpiceConfig`: which modules SPICE distils, which signals each equation may use and on which samples."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SpiceConfig:
    """What to distil and how.

    rnn_modules: the RNN modules to replace by equations.
    control_parameters: recorded signals that are not modules (e.g. 'c_action', 'c_reward').
    library_setup: module -> the signals its equation may use besides its own value.
    filter_setup: module -> [signal, value, keep]: fit only on samples where `signal == value` (keep=True)
        or where `signal != value` (keep=False), e.g. ['c_action', 1, True] for the chosen arm.
    incremental_modules: modules whose equation is fitted as the change of their value, x[k+1] - x[k], for
        which "the value stays as it was" is the natural empty equation: the not-chosen arm's values, which
        the trial leaves alone unless a mechanism (forgetting, a decaying trace) acts on them. Leave out
        modules that set a value anew each trial (a learning rate, the chosen arm's choice trace), for which
        a constant is. It decides what a term costs: in the plain form, "no forgetting" is a term (a
        self-coefficient of 1) and a choice trace with memory costs two terms more than one without, so that
        forgetting towards a low value mimics it more cheaply; with the not-chosen trace incremental, one.
        (Fitting the chosen trace as a change would let a constant step clipped at the module's bound mimic a
        decaying trace with a term less.)
    """

    rnn_modules: list[str]
    control_parameters: list[str]
    library_setup: dict[str, list[str]] = field(default_factory=dict)
    filter_setup: dict[str, list] = field(default_factory=dict)
    incremental_modules: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.rnn_modules = list(self.rnn_modules)
        self.control_parameters = list(self.control_parameters)
        self.library_setup = {k: list(v) for k, v in self.library_setup.items()}
        self.filter_setup = {k: list(v) for k, v in self.filter_setup.items()}
        self.incremental_modules = list(self.incremental_modules)
        unknown = [name for name in self.incremental_modules if name not in self.rnn_modules]
        if unknown:
            raise ValueError(f"SpiceConfig.incremental_modules lists {unknown}, which are not in rnn_modules {self.rnn_modules}")
        known = set(self.rnn_modules) | set(self.control_parameters)
        for name in self.rnn_modules:
            if name in self.control_parameters:
                raise ValueError(f"SpiceConfig: {name!r} is listed both as an rnn_module and a control_parameter")
        for setup_name, setup in (("library_setup", self.library_setup), ("filter_setup", self.filter_setup)):
            for key in setup:
                if key not in self.rnn_modules:
                    raise ValueError(
                        f"SpiceConfig.{setup_name} has key {key!r}, which is not in rnn_modules {self.rnn_modules}"
                    )
        for module, signals in self.library_setup.items():
            for signal in signals:
                if signal not in known:
                    raise ValueError(
                        f"SpiceConfig.library_setup[{module!r}] lists {signal!r}, which is neither a "
                        f"control_parameter nor an rnn_module"
                    )
        for module, rule in self.filter_setup.items():
            if len(rule) != 3 or not isinstance(rule[2], bool):
                raise ValueError(
                    f"SpiceConfig.filter_setup[{module!r}] must be [signal, value, keep: bool], got {rule!r}"
                )
            if rule[0] not in known:
                raise ValueError(
                    f"SpiceConfig.filter_setup[{module!r}] filters on {rule[0]!r}, which is neither a "
                    f"control_parameter nor an rnn_module"
                )

    def to_dict(self) -> dict:
        return {
            "rnn_modules": list(self.rnn_modules),
            "control_parameters": list(self.control_parameters),
            "library_setup": {k: list(v) for k, v in self.library_setup.items()},
            "filter_setup": {k: list(v) for k, v in self.filter_setup.items()},
            "incremental_modules": list(self.incremental_modules),
        }

    @classmethod
    def from_dict(cls, values: dict) -> SpiceConfig:
        return cls(**values)
