"""The per-note time budget (omop_nlp/budget.py): its timeout reaches the note's work even where the
first alarm lands in code that swallows exceptions (a finalizer, a weakref or GC callback)."""

from __future__ import annotations

import signal
import time

import pytest

from omop_nlp.budget import note_budget
from omop_nlp.errors import NoteSkipped


def _busy(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


class _SlowFinalizer:
    def __del__(self) -> None:
        _busy(0.5)  # the first alarm fires here, and Python ignores what a finalizer raises


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_timeout_swallowed_by_a_finalizer_still_ends_the_note() -> None:
    started = time.monotonic()
    with pytest.raises(NoteSkipped, match="timeout"), note_budget(0.1):
        _SlowFinalizer()  # dropped at once: its __del__ runs now
        _busy(3.0)
    assert time.monotonic() - started < 2.0
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_a_note_within_its_budget_leaves_no_timer_behind() -> None:
    previous = signal.getsignal(signal.SIGALRM)
    with note_budget(5.0):
        _busy(0.01)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is previous
