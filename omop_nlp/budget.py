"""A per-note time budget: a note the engine cannot finish in time is skipped (reason ``timeout``)
and the batch goes on, so one pathological note never stalls a run or blocks every re-run.

It uses the POSIX interval timer, so it interrupts pure-Python work in the main thread (where
``run``, ``extract`` and every worker process extract); elsewhere, or without SIGALRM, it is off.
An alarm that lands in a finalizer or a weakref/GC callback (SQLAlchemy has them) raises there and
Python drops that exception, so the timer keeps firing every ``RETRY_S`` until one reaches the note.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from omop_nlp.errors import NoteSkipped

DEFAULT_NOTE_TIMEOUT_S = 30.0
RETRY_S = 0.05
_EXITING = frozenset({__file__, contextlib.__file__})  # a block's exit: the context manager's own frames


@contextmanager
def note_budget(seconds: float | None) -> Iterator[None]:
    """Raise ``NoteSkipped('timeout')`` in the block once ``seconds`` have passed."""
    usable = seconds and hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def _expired(_signum, frame) -> None:
        if frame is not None and frame.f_code.co_filename in _EXITING:
            return  # the block is ending already: raising here would skip the clean-up below
        raise NoteSkipped("timeout", f"not finished within {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.setitimer(signal.ITIMER_REAL, seconds, RETRY_S)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
