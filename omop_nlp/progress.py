"""The progress bar of ``run`` and ``extract``: notes done, notes/s and ETA on stderr, across workers.

The commands show it when stderr is a terminal (``--progress/--no-progress`` override); a log file
or a pipe never gets it. The caller advances it as notes are done, in this process, whichever
process extracted them: one bar for all workers. Updates reach rich at most every 0.1 s, so a bar
advanced per note costs nothing measurable.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

_REFRESH_S = 0.1


class ProgressBar:
    """``with ProgressBar(enabled, total) as advance: advance(n)``; ``total`` None when not known (stdin).
    ``stream``: where to draw it instead of stderr, as on a terminal (a test reads it)."""

    def __init__(self, enabled: bool, total: int | None, stream: TextIO | None = None) -> None:
        self._enabled = enabled
        self._total = total
        self._stream = stream
        self._bar = None
        self._pending = 0

    def __enter__(self) -> Callable[[int], None]:
        if not self._enabled:
            return lambda n: None
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        console = Console(file=sys.stderr) if self._stream is None else Console(file=self._stream, force_terminal=True)
        self._bar = Progress(
            TextColumn("notes"), BarColumn(), MofNCompleteColumn(), TaskProgressColumn(),
            TextColumn("{task.fields[rate]} notes/s"),
            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
            console=console, transient=False,
        )  # fmt: skip
        self._bar.start()
        self._task = self._bar.add_task("notes", total=self._total or None, rate="-")
        self._started = self._last = time.monotonic()
        return self._advance

    def _advance(self, n: int) -> None:
        self._pending += n
        now = time.monotonic()
        if now - self._last >= _REFRESH_S:
            self._update(now)

    def _update(self, now: float) -> None:
        assert self._bar is not None
        done = self._bar.tasks[0].completed + self._pending
        self._bar.update(self._task, advance=self._pending, rate=f"{done / max(now - self._started, 1e-6):.0f}")
        self._pending, self._last = 0, now

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._update(time.monotonic())
            self._bar.stop()
