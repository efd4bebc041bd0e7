"""Logging for workflow jobs: everything a job prints goes to its Snakemake log file, with timing."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def log_to_file(path) -> Iterator[None]:
    """Send stdout and stderr to `path` (line-buffered, so progress can be watched with `tail -f`)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    # UTF-8 whatever the locale: printed equations use symbols (α, β, ·, −)
    with open(path, "w", buffering=1, encoding="utf-8") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        try:
            yield
        except BaseException:
            import traceback

            traceback.print_exc()
            raise
        finally:
            print(f"[{time.perf_counter() - start:.1f} s]")
