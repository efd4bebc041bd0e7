"""Provenance: what every result file records about how it was made.

Each table the workflow writes carries, in its Parquet metadata, the settings that reached the job (the
config values that define the result, so that a table can be traced back to its config), the seed where
the result depends on one, and the versions of the packages that computed it.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping


def package_versions() -> dict[str, str]:
    """Versions of what produced a result."""
    import numpy
    import pandas
    import pysindy
    import torch

    from spice_lib import __version__

    versions = {
        "spice_lib": __version__,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
        "pysindy": pysindy.__version__,
    }
    return {name: str(version) for name, version in versions.items()}  # torch's is a str subclass


def provenance(settings: Mapping, seed: int | None = None, **extra) -> dict:
    """The metadata of one result: `settings` (the config values the job used), `seed` (None where the
    result does not depend on one), package `versions`, and any `extra` entries (e.g. the data's origin)."""
    return {"settings": dict(settings), "seed": None if seed is None else int(seed), "versions": package_versions(), **extra}
