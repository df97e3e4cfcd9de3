"""``omop-nlp extract``: a JSONL file of reports -> interchange JSONL, in this process."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TextIO

from omop_nlp.errors import JsonlError, NoteSkipped, UsageError
from omop_nlp.jsonl import STDIN
from omop_nlp.model import Result
from omop_nlp.parallel import extract_in_workers
from omop_nlp.pipeline import Pipeline
from omop_nlp.progress import ProgressBar
from omop_nlp.signals import StopRequest
from omop_nlp.sources.jsonl import read_reports


@dataclass
class ExtractSummary:
    written: int = 0
    skipped: Counter = field(default_factory=Counter)  # reason -> notes
    stopped_by: str | None = None  # SIGTERM / SIGINT when stopped before the end of the input

    def line(self) -> str:
        reasons = ", ".join(f"{n} {reason}" for reason, n in sorted(self.skipped.items())) or "none"
        line = f"extracted {self.written} report(s); skipped: {reasons}"
        if self.stopped_by:
            line += f"; stopped by {self.stopped_by}: the output holds the reports before the stop"
        return line


def extract_jsonl(source: str, output: str, pipeline: Pipeline, *, mentions: bool = True, workers: int = 1,
                  on_result: Callable[[Result], None] | None = None,
                  on_skip: Callable[[str], None] | None = None, stop: StopRequest | None = None,
                  progress: bool = False) -> ExtractSummary:  # fmt: skip
    """Every report of ``source`` (a path or '-') to an interchange line in ``output`` (a path or '-').

    A bad line or a note that cannot be processed is counted and passed to ``on_skip`` as one
    line without note text; the others go on. ``on_result`` feeds further sinks (FHIR). With
    ``workers`` > 1, worker processes build the pipeline of ``pipeline.config`` (output order kept).
    ``stop`` (omop_nlp.signals.graceful_stop) ends the extraction after the report being written:
    the output then holds whole lines for a prefix of the input, and the workers are gone.
    ``progress``: a progress bar on stderr (notes/s; ETA when ``source`` is a file, its lines counted)."""
    if source != STDIN and not Path(source).is_file():
        raise UsageError(f"input file not found: {source}")
    summary = ExtractSummary()

    def bad_line(error: JsonlError) -> None:
        summary.skipped["invalid_line"] += 1
        if on_skip is not None:
            on_skip(str(error))

    stop = stop or StopRequest()
    reports = read_reports(source, bad_line)
    as_line = partial(interchange_line, mentions=mentions)
    if workers > 1:  # the workers make the output lines, unless the results go to further sinks here
        lines_in_workers = as_line if on_result is None else None
        outcomes = extract_in_workers(reports, workers, pipeline.config, as_line=lines_in_workers)
    else:
        outcomes = pipeline.extract_many(reports)
    # closing(): on a stop, the workers' tasks in flight finish, the rest is dropped, the processes end
    total = _count_lines(source) if progress and source != STDIN else None
    with _output(output) as out, closing(outcomes), ProgressBar(progress, total) as advance:
        for outcome in outcomes:
            if stop.requested:
                break
            advance(1)
            if isinstance(outcome, NoteSkipped):
                summary.skipped[outcome.reason] += 1
                if on_skip is not None:
                    on_skip(f"report {outcome.report_id}: {outcome}")
                continue
            out.write(outcome if isinstance(outcome, str) else as_line(outcome))
            summary.written += 1
            if on_result is not None:
                on_result(outcome)
    summary.stopped_by = stop.signal_name
    return summary


def interchange_line(result: Result, *, mentions: bool = True) -> str:
    """One line of interchange JSONL (guideline section 5), newline included."""
    line = result.as_interchange()
    if not mentions:
        line.pop("mentions")
    return json.dumps(line, ensure_ascii=False) + "\n"


def _count_lines(path: str) -> int:
    """Lines of the input (blank or invalid ones included: an upper bound of its reports)."""
    lines, last = 0, b"\n"
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            lines, last = lines + chunk.count(b"\n"), chunk[-1:]
    return lines + (last != b"\n")  # a last line without its newline


@contextmanager
def _output(path: str) -> Iterator[TextIO]:
    """stdout, or the file ``path`` written a whole line at a time: even a process killed with -9
    leaves no line cut short in it."""
    if path == STDIN:
        try:
            yield sys.stdout
        finally:
            sys.stdout.flush()
        return
    with _open_output(path) as out:
        yield out


def _open_output(path: str) -> TextIO:
    try:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return open(path, "w", encoding="utf-8", buffering=1)  # text mode, buffering=1: one write() per line
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
