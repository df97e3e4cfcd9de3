"""Worker processes for ``run --workers N`` and ``extract --workers N``.

Workers are *spawned*, never forked: a forked worker inherits the parent's open database
connections (and their locks) and outlives a parent killed with -9. A spawned worker opens its
own connections, ignores Ctrl-C and SIGTERM (the parent decides when to stop and lets in-flight batches
finish) and watches its parent: when the parent is gone it exits at once, so its connections
close and the server releases whatever they held.

Results come back in submission order with a bounded number of tasks in flight, so the output
order of ``extract`` is kept and memory grows with the workers, not with the notes. A worker that
dies (killed, out of memory, a crash in native code) is replaced: the tasks in flight are redone
one at a time, so the one that kills its worker again is found. That task is then split into its
items (one note each), each run alone in a fresh worker: only the item that kills a worker once
more is reported as ``WorkerDied``, the others complete, each exactly once.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Generic, TypeVar

from omop_nlp.errors import WorkerStartError

T = TypeVar("T")
R = TypeVar("R")
_END = object()
_WATCH_INTERVAL_S = 0.5


@dataclass(frozen=True)
class WorkerDied(Generic[T]):
    """In place of a result: the task killed the worker that ran it, alone, and cannot be split further."""

    item: T


def usable_cores() -> int:
    """The cores this process may run on (cgroup/affinity aware where the OS tells)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


def _watch_parent(parent_pid: int) -> None:
    while True:
        time.sleep(_WATCH_INTERVAL_S)
        if os.getppid() != parent_pid:
            os._exit(70)  # the parent died (kill -9): leave now; the server rolls back our transaction


def _start_worker(parent_pid: int, ready, initializer: Callable[..., None] | None, initargs: tuple) -> None:
    # Ctrl-C reaches the whole process group and a service manager's SIGTERM the whole cgroup: the
    # parent alone decides, lets the tasks in flight finish and then ends its workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True, name="omop-nlp-watchdog").start()
    if initializer is not None:
        initializer(*initargs)
    with ready.get_lock():
        ready.value += 1


class WorkerPool:
    """``workers`` spawned processes, each set up once by ``initializer(*initargs)``."""

    def __init__(self, workers: int, initializer: Callable[..., None] | None = None, initargs: tuple = ()) -> None:
        self.workers = workers
        self._setup = (initializer, initargs)
        self._executor = self._new_executor()

    def _new_executor(self) -> ProcessPoolExecutor:
        initializer, initargs = self._setup
        context = multiprocessing.get_context("spawn")
        self._ready = context.Value("i", 0)  # workers of this executor that got through their set-up
        return ProcessPoolExecutor(
            self.workers, mp_context=context,
            initializer=_start_worker, initargs=(os.getpid(), self._ready, initializer, initargs),
        )  # fmt: skip

    def _check_started(self) -> None:
        """The pool broke: a task killed its worker, unless no worker ever got ready. Then every task
        would break every new pool too: stop, rather than skip every note one by one."""
        if self._ready.value == 0:
            self._executor.shutdown(wait=True, cancel_futures=True)
            raise WorkerStartError("the worker processes ended before they were ready (their error is above); "
                                   "run with --workers 1 to see it in this process")

    def imap(self, fn: Callable[[T], R], items: Iterable[T], in_flight: int | None = None,
             split: Callable[[T], list[T]] | None = None) -> Iterator[R | WorkerDied[T]]:  # fmt: skip
        """``fn`` over ``items`` in the workers; results in the order of ``items``, at most
        ``in_flight`` (default: two per worker) submitted and not yet consumed.

        A task that kills its worker when run alone is replaced by ``split(task)`` (its notes one
        by one), each yielding its own result in its place; one that cannot be split is ``WorkerDied``."""
        limit = in_flight or 2 * self.workers
        source = iter(items)
        redo: deque[T] = deque()  # tasks in flight when a worker died: run again, one at a time
        pending: deque[tuple[T, Future, bool]] = deque()

        def room() -> bool:
            if redo or any(alone for _, _, alone in pending):
                return not pending
            return len(pending) < limit

        def restart(items: list[T]) -> None:
            """A worker died: a new pool; ``items`` (in order, before any not yet redone) run again."""
            self._check_started()
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = self._new_executor()
            redo.extendleft(reversed(items))
            pending.clear()

        while True:
            while (redo or source is not None) and room():
                alone = bool(redo)
                item = redo.popleft() if redo else next(source, _END)
                if item is _END:
                    source = None
                    break
                try:
                    pending.append((item, self._executor.submit(fn, item), alone))
                except BrokenProcessPool:  # a worker died while this was being handed out
                    restart([*(i for i, _, _ in pending), item])
            if not pending:
                return
            item, future, alone = pending.popleft()
            try:
                result = future.result()
            except BrokenProcessPool:
                if not alone:  # which task killed it is not known: all of those in flight, alone
                    restart([item, *(i for i, _, _ in pending)])
                    continue
                parts = split(item) if split is not None else [item]
                restart(parts if len(parts) > 1 else [])
                if len(parts) <= 1:
                    yield WorkerDied(item)
                continue
            yield result

    def close(self, *, cancel: bool = False) -> None:
        """Wait for the tasks in flight (a batch is never cut in half), or drop those not started."""
        self._executor.shutdown(wait=True, cancel_futures=cancel)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, exc_type, *exc) -> None:
        self.close(cancel=exc_type is not None)


# -- extract --workers N: reports in, results out, in input order -----------------------------------

_CHUNK = 64  # reports per task: large enough that pickling is noise, small enough to keep workers even
_PIPELINE = None
_AS_LINE: Callable | None = None


def _init_extractor(config, build: Callable, as_line: Callable | None) -> None:
    """A worker of ``extract``: the pipeline ``config`` (a ``PipelineConfig``) describes, built once
    by ``build`` (``build_pipeline``; a test passes a module-level wrapper to inject a fault)."""
    global _PIPELINE, _AS_LINE
    _PIPELINE = build(config)
    _AS_LINE = as_line


def _extract_chunk(reports: list) -> list:
    """Results (or their output lines, made here), or (reason, detail, report id) for a skipped
    report: an exception with extra attributes does not survive pickling whole."""
    from omop_nlp.errors import NoteSkipped

    out = []
    for outcome in _PIPELINE.extract_many(reports):
        if isinstance(outcome, NoteSkipped):
            out.append((outcome.reason, outcome.detail, getattr(outcome, "report_id", None)))
        else:
            out.append(outcome if _AS_LINE is None else _AS_LINE(outcome))
    return out


def _one_by_one(chunk: list) -> list[list]:
    return [[report] for report in chunk]


def extract_in_workers(reports: Iterable, workers: int, config, build: Callable | None = None,
                       as_line: Callable | None = None) -> Iterator:  # fmt: skip
    """``Pipeline.extract_many`` over ``workers`` processes, each with the pipeline of ``config`` (a
    ``PipelineConfig``) built by ``build`` (default ``build_pipeline``): Result or NoteSkipped per
    report, in input order. A report that kills its worker is skipped as ``worker_died``, alone.

    ``as_line`` (picklable: module level): the workers hand back ``as_line(result)`` instead of the
    Result, so that turning results into output is not left to this one process."""
    from itertools import islice

    from omop_nlp.build import build_pipeline
    from omop_nlp.errors import NoteSkipped

    iterator = iter(reports)
    chunks = iter(lambda: list(islice(iterator, _CHUNK)), [])
    with WorkerPool(workers, _init_extractor, (config, build or build_pipeline, as_line)) as pool:
        for chunk in pool.imap(_extract_chunk, chunks, split=_one_by_one):
            if isinstance(chunk, WorkerDied):
                chunk = [("worker_died", "the worker process died on this report", r.id) for r in chunk.item]
            for outcome in chunk:
                if isinstance(outcome, tuple):
                    skipped = NoteSkipped(outcome[0], outcome[1])
                    skipped.report_id = outcome[2]
                    outcome = skipped
                yield outcome
