"""A per-note time budget: a note the engine cannot finish in time is skipped (reason ``timeout``)
and the batch goes on, so one pathological note never stalls a run or blocks every re-run.

It uses the POSIX interval timer, so it interrupts pure-Python work in the main thread (where
``run``, ``extract`` and every worker process extract); elsewhere, or without SIGALRM, it is off.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from omop_nlp.errors import NoteSkipped

DEFAULT_NOTE_TIMEOUT_S = 30.0


@contextmanager
def note_budget(seconds: float | None) -> Iterator[None]:
    """Raise ``NoteSkipped('timeout')`` in the block once ``seconds`` have passed."""
    usable = seconds and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def _expired(_signum, _frame) -> None:
        raise NoteSkipped("timeout", f"not finished within {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
