"""``FhirSink``: the one object the CLI (files and database runs) opens, writes notes to and closes."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from omop_nlp.errors import NoteSkipped
from omop_nlp.model import Result
from omop_nlp.sinks.fhir.builder import FhirBuilder, FhirOptions, NoteContext
from omop_nlp.sinks.fhir.ndjson import NdjsonWriter
from omop_nlp.sinks.fhir.rest import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_BREAKER_FAILURES,
    DEFAULT_DEAD_LETTER,
    DEFAULT_TIMEOUT_S,
    FhirConfigError,
    RestSender,
    SendStats,
)
from omop_nlp.sinks.fhir.validate import FhirValidationError

log = logging.getLogger(__name__)


@dataclass
class FhirSummary:
    notes: int = 0  # notes with resources built
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> notes
    resources: dict[str, int] = field(default_factory=dict)  # type -> resources built
    written: int = 0  # lines in NDJSON files (the Device once included)
    sent: int = 0
    failed: int = 0
    retries: int = 0
    circuit_open: bool = False  # the server failed too often in a row; the rest went to the dead-letter file
    dead_letter: str | None = None  # the file holding what was not sent

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v not in (None, {}, False)}


class FhirSink:
    """Builds resources for each result and writes them to NDJSON files and/or a FHIR server.

    ``write()`` never raises for one bad note: a note without person_id or whose resources do not
    validate is counted under ``skipped`` and the run goes on.

    ``append`` continues the NDJSON files of an earlier, stopped run (``run`` resumes) instead of
    replacing them. ``take_delivered()`` gives the notes whose resources are in the files and were
    accepted or dead-lettered by the server (with ``track_delivery``): the ledger's record of FHIR delivery.
    """

    def __init__(
        self,
        options: FhirOptions | None = None,
        *,
        out_dir: Path | str | None = None,
        url: str | None = None,
        token_env: str | None = None,
        dead_letter: Path | str | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_retries: int = 5,
        backoff: float = 0.5,
        timeout: float = DEFAULT_TIMEOUT_S,
        breaker_failures: int = DEFAULT_BREAKER_FAILURES,
        recorded: datetime | None = None,
        append: bool = False,
        track_delivery: bool = False,
    ) -> None:
        if out_dir is None and url is None:
            raise FhirConfigError("FHIR output needs an output folder or a server URL")
        self.builder = FhirBuilder(options, recorded)
        self.writer = NdjsonWriter(out_dir, append=append) if out_dir is not None else None
        self.sender = None
        if url is not None:
            self.sender = RestSender(
                url, token_env=token_env, dead_letter=dead_letter or DEFAULT_DEAD_LETTER, batch_size=batch_size,
                max_retries=max_retries, backoff=backoff, timeout=timeout, breaker_failures=breaker_failures,
                shared=[self.builder.device],
            )
        self._track = track_delivery  # keep the delivered note ids for take_delivered() (``run``)
        self._written_notes: list[str] = []  # NDJSON only: written, waiting for take_delivered()
        self._notes = 0
        self._skipped: Counter[str] = Counter()
        self._built: Counter[str] = Counter()
        self._device_written = False
        self._summary: FhirSummary | None = None

    def write(self, result: Result, context: NoteContext | None = None) -> int:
        """Build and emit one note's resources; returns how many were emitted (0 if skipped)."""
        resources = self._build(result, context)
        note_id = str((context or NoteContext.from_report(result.report)).note_id) if self._track else None
        if self.sender is not None:
            self.sender.add(resources or [], note_id)  # a note without resources is delivered in its turn
        elif note_id is not None:
            self._written_notes.append(note_id)
        if resources is None:
            return 0
        self._notes += 1
        self._built.update(r["resourceType"] for r in resources)
        if self.writer is not None:
            if not self._device_written:
                self.writer.write(self.builder.device)
                self._device_written = True
            self.writer.write_all(resources)
        return len(resources)

    def _build(self, result: Result, context: NoteContext | None) -> list[dict] | None:
        """The note's resources, or None for a note the sink skips (counted by reason)."""
        try:
            return self.builder.build(result, context)
        except NoteSkipped as skipped:
            if not self._skipped[skipped.reason]:
                log.warning("FHIR output skips notes: %s (counted in the summary)", skipped)
            self._skipped[skipped.reason] += 1
        except FhirValidationError as exc:
            log.error("FHIR resources of a note failed validation: %s", exc)
            self._skipped["fhir_invalid"] += 1
        return None

    def flush(self) -> None:
        """Everything written so far is in the files and accepted or dead-lettered by the server."""
        if self.writer is not None:
            self.writer.flush()
        if self.sender is not None:
            self.sender.flush()

    def take_delivered(self) -> list[str]:
        """The note ids delivered (see ``flush``) since the last call."""
        if self.writer is not None:
            self.writer.flush()  # before the ledger says so, the lines are out of this process
        if self.sender is not None:
            return self.sender.take_delivered()
        out, self._written_notes = self._written_notes, []
        return out

    def close(self) -> FhirSummary:
        """Flush and finish everything; calling it again returns the same summary."""
        if self._summary is None:
            self._summary = self._finish()
        return self._summary

    def _finish(self) -> FhirSummary:
        written = self.writer.close() if self.writer is not None else {}
        stats = self.sender.close() if self.sender is not None else SendStats()
        return FhirSummary(
            notes=self._notes,
            skipped=dict(sorted(self._skipped.items())),
            resources=dict(sorted(self._built.items())),
            written=sum(written.values()),
            sent=stats.sent,
            failed=stats.failed,
            retries=stats.retries,
            circuit_open=stats.circuit_open,
            dead_letter=str(self.sender.dead_letter.path) if self.sender is not None and stats.failed else None,
        )

    def __enter__(self) -> FhirSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
