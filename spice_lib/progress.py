"""Progress of long work over many items (participants, equations): a tqdm bar with its rate and time left
where stderr is a terminal; elsewhere (a job's log) a few lines with the rate and the time left.

Training has its own progress (training.train: losses and checkpoints on its lines); this one counts the
distillation's SINDy fits and each refit's evaluations of the likelihood (sindy.py, refit.minimise).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from tqdm import tqdm

# Seconds between progress lines in a log: often enough to see work move, rare enough to read the log.
LINE_EVERY_SECONDS = 10.0


def format_duration(seconds: float) -> str:
    """A duration as a person reads it: 11.6s, 3m05s, 1h02m."""
    if seconds < 59.95:  # what would round to 60.0s reads as 1m00s
        return f"{max(seconds, 0.0):.1f}s"
    minutes, seconds = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def silent(message: str) -> None:
    """A log that drops every line; given to `Progress`, it draws no bar either (a quiet estimator)."""


class Progress:
    """Count up to `total` items of work named `what` (a plural noun: "equations").

    log: where the lines go when no bar is drawn: one once LINE_EVERY_SECONDS have passed since the start
    or the last line, and a last one at the end if any was printed (work that ends sooner prints nothing).
    Where stderr is a terminal a bar is drawn instead and nothing is logged. None or `silent`: no progress
    at all. total_is_bound: `total` is an upper limit (an optimiser's evaluations), so the time left is an
    upper bound. Use as a context manager; `advance(n, note)` after each piece of work, note saying what is
    being worked on.
    """

    def __init__(
        self,
        total: int,
        what: str,
        log: Callable[[str], None] | None,
        description: str,
        total_is_bound: bool = False,
    ):
        self.total, self.what, self.log, self.description = int(total), what, log, description
        self.total_is_bound = total_is_bound
        self.done, self.note, self.printed = 0, "", False
        self.started = self.last_line = time.perf_counter()
        self.bar = tqdm(total=self.total, unit=what.rstrip("s") or what, desc=description, file=sys.stderr,
                        disable=log in (None, silent) or not sys.stderr.isatty(), leave=False)  # fmt: skip

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.bar.close()
        if self.printed and exc[0] is None:
            seconds = time.perf_counter() - self.started
            self.log(f"{self.description}: {self.done} {self.what} in {format_duration(seconds)}")

    def advance(self, n: int = 1, note: str = "") -> None:
        self.done += n
        self.note = note or self.note
        self.bar.update(n)
        if note:
            self.bar.set_postfix_str(note, refresh=False)
        now = time.perf_counter()
        if self.log is None or not self.bar.disable or now - self.last_line < LINE_EVERY_SECONDS:
            return
        self.last_line, self.printed = now, True
        rate = self.done / max(now - self.started, 1e-9)
        left = format_duration(max(self.total - self.done, 0) / rate)
        where = f" ({self.note})" if self.note else ""
        self.log(
            f"{self.description}: {self.done}/{self.total} {self.what}{where}, {rate:.1f} {self.what}/s, "
            f"{'at most ' if self.total_is_bound else ''}{left} left"
        )
