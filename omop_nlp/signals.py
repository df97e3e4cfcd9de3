"""SIGTERM and Ctrl-C as a clean stop: the batch in flight is finished, outputs are flushed, the
summary is printed, and the exit status says which signal stopped the run (130, 143).

The first signal only asks the run to stop after its batch in flight; a second one stops at once
(``KeyboardInterrupt``: the open transaction is rolled back, nothing is half-written either way).
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)


class StopRequest:
    """Set by a signal; read by the run loops between batches."""

    def __init__(self) -> None:
        self.signum: int | None = None

    @property
    def requested(self) -> bool:
        return self.signum is not None

    @property
    def signal_name(self) -> str | None:
        return signal.Signals(self.signum).name if self.signum is not None else None

    @property
    def exit_code(self) -> int:
        """128 + the signal, as a shell reports a process a signal ended (130 Ctrl-C, 143 SIGTERM)."""
        return 128 + self.signum if self.signum is not None else 0


@contextmanager
def graceful_stop() -> Iterator[StopRequest]:
    """Within the block SIGTERM and SIGINT set the request (main thread only; elsewhere they keep
    their usual effect). A second signal raises ``KeyboardInterrupt``."""
    stop = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def _on_signal(signum, _frame) -> None:
        if stop.requested:
            raise KeyboardInterrupt
        stop.signum = signum
        log.warning("%s: stopping after the batch in flight (again to stop at once)", signal.Signals(signum).name)

    previous = {s: signal.signal(s, _on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
