"""Notes from the OMOP NOTE table, in note_id order, one bounded batch at a time.

Keyset pagination (``note_id > last ORDER BY note_id LIMIT n``) reads any table size with an
index lookup per batch and no OFFSET scans; each batch is its own short transaction, so a run
never holds a snapshot open on a production CDM. Text that cannot be processed (NULL, empty,
not UTF-8, binary, too large) is classified here with a stable reason; oversized text is not
even fetched, which keeps memory bounded by ``batch_size * max_chars``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, LargeBinary, Select, case, cast, func, literal, select

from omop_nlp.model import Report
from omop_nlp.omop.ledger import text_hash
from omop_nlp.omop.tables import CdmTables
from omop_nlp.text.note import MAX_NOTE_CHARS

_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\ufffd]")
_BINARY_SHARE = 0.05


@dataclass(frozen=True)
class NoteFilter:
    """The ``run`` filters; empty means no restriction."""

    type_concept_ids: tuple[int, ...] = ()
    class_concept_ids: tuple[int, ...] = ()
    title_pattern: str | None = None  # SQL LIKE, case-insensitive; no wildcard = substring
    date_from: date | None = None
    date_to: date | None = None
    note_ids: tuple[int, ...] = ()
    limit: int | None = None

    @property
    def title_like(self) -> str | None:
        """``title_pattern`` as a LIKE pattern: without a wildcard it matches anywhere in the title."""
        pattern = self.title_pattern
        return pattern if not pattern or any(ch in pattern for ch in "%_") else f"%{pattern}%"


@dataclass(frozen=True)
class SourceNote:
    """One NOTE row as the pipeline needs it; ``text`` is None when ``skip_reason`` is set."""

    note_id: int
    person_id: int | None
    note_date: date | None
    title: str | None
    class_concept_id: int | None
    type_concept_id: int | None
    visit_occurrence_id: int | None
    text: str | None
    text_hash: str
    skip_reason: str | None = None
    modality: str | None = None  # set by the note selection when the columns name it

    def report(self) -> Report:
        return Report(
            id=str(self.note_id),
            text=self.text or "",
            modality=self.modality,
            person_id=self.person_id,
            note_date=self.note_date,
            title=self.title,
        )


def classify_text(value: str | bytes | memoryview | None) -> tuple[str | None, str | None]:
    """(text, None) for a processable note, else (None, reason)."""
    if value is None:
        return None, "null_text"
    if isinstance(value, bytes | memoryview):
        try:
            value = bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return None, "invalid_encoding"
    if not value.strip():
        return None, "empty_text"
    if looks_binary(value):
        return None, "binary"
    return value, None


def looks_binary(text: str) -> bool:
    """A share of control/replacement characters no report has (a stray NUL is tolerated)."""
    sample = text[:65536]
    return len(_CONTROL.findall(sample)) > _BINARY_SHARE * len(sample)


class OmopNoteSource:
    def __init__(self, engine: Engine, tables: CdmTables, filters: NoteFilter | None = None,
                 max_chars: int = MAX_NOTE_CHARS) -> None:  # fmt: skip
        self._engine = engine
        self._note = tables.note
        self.filters = filters or NoteFilter()
        self.max_chars = max_chars
        self._encoding: str | None = None

    def _conditions(self) -> list:
        c, f = self._note.c, self.filters
        conds = []
        if f.type_concept_ids:
            conds.append(c.note_type_concept_id.in_(f.type_concept_ids))
        if f.class_concept_ids:
            conds.append(c.note_class_concept_id.in_(f.class_concept_ids))
        if f.title_pattern:
            pattern = f.title_like
            conds.append(c.note_title.ilike(pattern))
        if f.date_from:
            conds.append(c.note_date >= f.date_from)
        if f.date_to:
            conds.append(c.note_date <= f.date_to)
        if f.note_ids:
            conds.append(c.note_id.in_(sorted(set(f.note_ids))))
        return conds

    def count(self) -> int:
        """Notes the filters select (capped by ``limit``), for the progress bar."""
        with self._engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(self._note).where(*self._conditions())).scalar()
        return min(int(total), self.filters.limit) if self.filters.limit is not None else int(total)

    def id_ranges(self, batch_size: int) -> Iterator[tuple[int, int, int]]:
        """(first note_id, last note_id, notes) of each batch, reading the ids only: what the parent
        of worker processes hands out, each worker then reading its range with ``notes_between``."""
        c = self._note.c
        after: int | None = None
        remaining = self.filters.limit
        while remaining is None or remaining > 0:
            size = batch_size if remaining is None else min(batch_size, remaining)
            query = select(c.note_id).where(*self._conditions())
            if after is not None:
                query = query.where(c.note_id > after)
            with self._engine.connect() as conn:
                ids = conn.execute(query.order_by(c.note_id).limit(size)).scalars().all()
            if not ids:
                return
            yield int(ids[0]), int(ids[-1]), len(ids)
            after = int(ids[-1])
            remaining = None if remaining is None else remaining - len(ids)

    def ids_between(self, first: int, last: int) -> list[int]:
        """The selected note ids with first <= note_id <= last, in order."""
        c = self._note.c
        query = select(c.note_id).where(*self._conditions(), c.note_id >= first, c.note_id <= last)
        with self._engine.connect() as conn:
            return [int(i) for i in conn.execute(query.order_by(c.note_id)).scalars()]

    def notes_between(self, first: int, last: int) -> list[SourceNote]:
        """The selected notes with first <= note_id <= last (one range of ``id_ranges``)."""
        query = self._batch_query(first - 1, None).where(self._note.c.note_id <= last)
        with self._engine.connect() as conn:
            return [self._to_note(r) for r in conn.execute(query)]

    def _batch_query(self, after: int | None, size: int | None) -> Select:
        c = self._note.c
        n_chars = func.length(c.note_text)
        query = select(
            c.note_id, c.person_id, c.note_date, self._raw_text(c.note_title).label("note_title"),
            c.note_class_concept_id, c.note_type_concept_id, c.visit_occurrence_id, n_chars.label("n_chars"),
            case((n_chars <= self.max_chars, self._raw_text(c.note_text)), else_=None).label("note_text"),
        ).where(*self._conditions())  # fmt: skip
        if after is not None:
            query = query.where(c.note_id > after)
        query = query.order_by(c.note_id)
        return query if size is None else query.limit(size)

    def _raw_text(self, column):
        """Text, or its bytes where the driver could fail a whole batch on one note's bad encoding:
        SQLite (it stores any bytes) and SQL_ASCII PostgreSQL databases. Other PostgreSQL
        encodings are validated by the server and converted to UTF-8 for us."""
        if self._engine.dialect.name == "sqlite":
            return cast(column, LargeBinary)
        if self._server_encoding() == "SQL_ASCII":
            return func.convert_to(column, literal("SQL_ASCII"), type_=LargeBinary)
        return column

    def _server_encoding(self) -> str:
        if self._encoding is None:
            with self._engine.connect() as conn:
                self._encoding = str(conn.exec_driver_sql("SHOW server_encoding").scalar())
        return self._encoding

    def batches(self, batch_size: int) -> Iterator[list[SourceNote]]:
        after: int | None = None
        remaining = self.filters.limit
        while remaining is None or remaining > 0:
            size = batch_size if remaining is None else min(batch_size, remaining)
            with self._engine.connect() as conn:
                rows = conn.execute(self._batch_query(after, size)).all()
            if not rows:
                return
            yield [self._to_note(r) for r in rows]
            after = int(rows[-1].note_id)
            remaining = None if remaining is None else remaining - len(rows)

    def _to_note(self, row) -> SourceNote:
        return source_note(row, self.max_chars)


def source_note(row, max_chars: int) -> SourceNote:
    """A NOTE row read by ``_batch_query`` (or the same columns from Spark) as the pipeline sees it:
    text that cannot be processed gets its skip reason; ``note_text`` is NULL past ``max_chars``."""
    if row.n_chars is not None and row.n_chars > max_chars:
        value, reason, digest = None, "too_long", f"size:{row.n_chars}"
    else:
        value, reason = classify_text(row.note_text)
        digest = text_hash(row.note_text)
    return SourceNote(
        note_id=int(row.note_id),
        person_id=_int(row.person_id),
        note_date=row.note_date,
        title=_title(row.note_title),
        class_concept_id=_int(row.note_class_concept_id),
        type_concept_id=_int(row.note_type_concept_id),
        visit_occurrence_id=_int(row.visit_occurrence_id),
        text=value,
        text_hash=digest,
        skip_reason=reason,
    )


def _title(value: str | bytes | None) -> str | None:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _int(value) -> int | None:
    return int(value) if value is not None else None
