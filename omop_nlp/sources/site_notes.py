"""The site's own notes a stage-1 model learns from (``train-bert``): a JSONL file, or the NOTE table.

Only the notes are chosen here; the rule pipeline routes each one to its modality and labels it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from omop_nlp.errors import JsonlError, UsageError
from omop_nlp.model import Report

BATCH = 500


@dataclass(frozen=True)
class SiteNotes:
    """``notes`` (JSONL with id and text), else the NOTE table of the CDM at ``cdm``; at most ``limit``."""

    notes: Path | None = None
    cdm: str | None = None
    cdm_schema: str | None = None
    results_schema: str | None = None
    note_title: str | None = None  # with ``cdm``: note_title LIKE pattern
    limit: int | None = None

    def check(self) -> None:
        """A ``UsageError`` now, before any training, for a missing source or file."""
        if self.notes is None and not self.cdm:
            raise UsageError("give --notes FILE, or --cdm URL for the CDM's NOTE table")
        if self.notes is not None and not Path(self.notes).is_file():
            raise UsageError(f"--notes: file not found: {self.notes}")

    def reports(self, skipped: Callable[[JsonlError], None]) -> Iterator[Report]:
        """The notes as reports, streamed; a JSONL line that cannot be read goes to ``skipped``."""
        self.check()
        reports = self._jsonl(skipped) if self.notes is not None else self._cdm()
        return itertools.islice(reports, self.limit) if self.limit is not None else reports

    def _jsonl(self, skipped: Callable[[JsonlError], None]) -> Iterator[Report]:
        from omop_nlp.sources.jsonl import read_reports

        return read_reports(self.notes, skipped)

    def _cdm(self) -> Iterator[Report]:
        from omop_nlp.omop.connection import make_engine
        from omop_nlp.omop.tables import cdm_tables
        from omop_nlp.sources.omop_notes import NoteFilter, OmopNoteSource

        engine = make_engine(self.cdm)
        try:
            tables = cdm_tables(self.cdm_schema, self.results_schema or self.cdm_schema)
            source = OmopNoteSource(engine, tables, NoteFilter(title_pattern=self.note_title))
            for batch in source.batches(BATCH):
                yield from (note.report() for note in batch if note.skip_reason is None)
        finally:
            engine.dispose()
