"""``omop-nlp run``: NOTE → pipeline → NOTE_NLP (+ CDM facts), batch by batch, with the ledger.

Per batch: read notes (keyset), claim them (a note another runner has claimed is left to it),
drop those the ledger says are done with the same text, route each to a modality, extract, then
one write transaction: lock the batch's ledger rows, drop notes another run finished meanwhile,
mark notes deleted since they were read, remove older versions' rows of the notes
(engines/versions.py), replace NOTE_NLP and fact rows, record the ledger. A crash loses at most the
batch in flight; a second run on the same notes skips or replaces, never duplicates.

With ``workers`` > 1 the parent only reads note-id ranges and hands them to spawned worker
processes (omop_nlp.parallel) that read, extract and write their batches themselves, each with
its own connections: the database path scales with the workers instead of queueing in one
process. Results come back in range order, so the FHIR output follows note_id as with one worker.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.exc import DBAPIError, OperationalError

from omop_nlp.build import build_pipeline
from omop_nlp.config import PipelineConfig
from omop_nlp.engines.versions import PreviousVersions, previous_versions
from omop_nlp.errors import NoteFailed, NoteSkipped
from omop_nlp.model import DECIDED_BY_RULES, Result
from omop_nlp.omop.claims import Claims
from omop_nlp.omop.concepts import ConceptResolver, mapping_codes, section_codes
from omop_nlp.omop.connection import (
    DatabaseError,
    check_schema_name,
    is_note_data_error,
    make_engine,
    short_reason,
    write_transaction,
)
from omop_nlp.omop.ddl import ensure_tool_tables
from omop_nlp.omop.discovery import check_cdm, check_tool_tables
from omop_nlp.omop.ids import IdAllocator
from omop_nlp.omop.ledger import Ledger, LedgerEntry, LedgerState, Status
from omop_nlp.omop.tables import CdmTables, cdm_tables
from omop_nlp.parallel import WorkerDied, WorkerPool
from omop_nlp.pipeline import NoteOutcome, Pipeline
from omop_nlp.progress import ProgressBar
from omop_nlp.signals import StopRequest
from omop_nlp.sinks.cdm_facts import CdmFactsWriter
from omop_nlp.sinks.note_nlp import NoteNlpWriter
from omop_nlp.sources.note_selection import NoteSelector, Selection, is_not_selected, load_selection_rules
from omop_nlp.sources.omop_notes import NoteFilter, OmopNoteSource, SourceNote

log = logging.getLogger(__name__)



class DeliveringSink(Protocol):
    """An output whose delivery the ledger records (omop_nlp.sinks.fhir.FhirSink): a note stays
    FHIR_PENDING until the sink reports it delivered, so a stopped run resends exactly those."""

    def write(self, result: Result) -> object: ...

    def flush(self) -> None: ...

    def take_delivered(self) -> list[str]: ...

_RETRIES = 3


@dataclass(frozen=True)
class RunOptions:
    cdm_schema: str | None = None
    results_schema: str | None = None
    filters: NoteFilter = field(default_factory=NoteFilter)
    batch_size: int = 200
    reprocess: bool = False
    cdm_facts: bool = False
    pipeline: PipelineConfig = field(default_factory=PipelineConfig)  # what this process and each worker build
    # How a process builds it: build_pipeline; a test passes a module-level wrapper to inject a fault.
    build: Callable[[PipelineConfig], Pipeline] = build_pipeline
    workers: int = 1
    progress: bool = False


# Skip reasons that are the run working as intended, not notes it could not process: they never make
# the exit status non-zero. Every other skip or failure does, unless the operator passes --allow-skips.
EXPECTED_SKIPS = frozenset({"already_done", "done_by_other_run", "claimed_by_other_run", "note_deleted"})


@dataclass
class RunSummary:
    nlp_system: str
    run_id: str
    selected: int = 0
    processed: int = 0
    note_nlp_rows: int = 0
    facts: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    failed: Counter = field(default_factory=Counter)
    facts_added: int = 0  # notes a run without --cdm-facts had done, extracted again for their facts
    superseded: Counter = field(default_factory=Counter)  # notes whose older-version rows were replaced
    seconds: float = 0.0
    stopped_by: str | None = None  # SIGTERM / SIGINT when the run was stopped before the end

    def add(self, other: RunSummary) -> None:
        """Counts of a batch done by a worker process."""
        self.processed += other.processed
        self.facts_added += other.facts_added
        self.superseded.update(other.superseded)
        self.note_nlp_rows += other.note_nlp_rows
        self.facts.update(other.facts)
        self.skipped.update(other.skipped)
        self.failed.update(other.failed)

    @property
    def seen(self) -> int:
        return self.processed + sum(self.skipped.values()) + sum(self.failed.values())

    @property
    def notes_per_s(self) -> float:
        return self.seen / self.seconds if self.seconds > 0 else 0.0

    @property
    def problems(self) -> Counter:
        """Notes skipped for a problem with the note, or failed, by reason."""
        unexpected = {k: v for k, v in self.skipped.items() if k not in EXPECTED_SKIPS and not is_not_selected(k)}
        return Counter(unexpected) + self.failed

    def lines(self) -> list[str]:
        out = [
            f"nlp_system: {self.nlp_system}",
            f"notes: {self.seen} of {self.selected} selected in {self.seconds:.1f}s ({self.notes_per_s:.0f} notes/s)",
            f"processed: {self.processed} notes, {self.note_nlp_rows} NOTE_NLP rows",
        ]
        if self.facts:
            out.append("cdm facts: " + ", ".join(f"{t} {n}" for t, n in sorted(self.facts.items())))
        if self.facts_added:
            out.append(f"cdm facts: {self.facts_added} note(s) done by a run without --cdm-facts were extracted "
                       "again for their facts")
        for system, n in sorted(self.superseded.items()):
            out.append(f"superseded: {n} note(s) of {system!r} (its NOTE_NLP rows and facts for them removed)")
        out.append(f"skipped: {sum(self.skipped.values())}" + _reasons(self.skipped))
        if self.failed:
            out.append(f"failed: {sum(self.failed.values())}" + _reasons(self.failed))
        if self.stopped_by:
            out.append(f"stopped by {self.stopped_by}: the batches in flight were finished; run again to resume")
        return out


def _reasons(counter: Counter) -> str:
    return f" ({', '.join(f'{k} {v}' for k, v in sorted(counter.items()))})" if counter else ""


@dataclass(frozen=True)
class Outcome:
    note: SourceNote
    status: Status
    reason: str | None = None
    result: Result | None = None


class Extractor:
    """The pipeline on a batch of NOTE rows: one outcome per note, never an exception."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    def extract_many(self, notes: list[SourceNote]) -> list[Outcome]:
        # One batch: stage 1 (BERT) scores it length-bucketed and an LLM server sees it whole.
        results = self.pipeline.extract_batch([n.report() for n in notes], [n.class_concept_id for n in notes])
        return [self._outcome(note, result) for note, result in zip(notes, results, strict=True)]

    @staticmethod
    def _outcome(note: SourceNote, result: NoteOutcome) -> Outcome:
        """A note's outcome; the log names the note and the error class only, never text."""
        if isinstance(result, NoteFailed):  # failed, not skipped: the next run retries it
            log.warning("note_id %d failed in the pipeline: %s", note.note_id, result.error_class)
            return Outcome(note, Status.FAILED, result.error_class)
        if isinstance(result, NoteSkipped):
            return Outcome(note, Status.SKIPPED, result.reason)
        return Outcome(note, Status.DONE, _decided_by_note(result), result)


def _decided_by_note(result: Result) -> str | None:
    """The ledger's note on a done note: what other than the plain rules decided its relations
    (``mapper=llm``, ``mapper=rules-fallback``, ``mapper=llm|rules-fallback``), else None."""
    deciders = sorted({m.decided_by for m in result.mentions if m.decided_by != DECIDED_BY_RULES})
    return f"mapper={'|'.join(deciders)}" if deciders else None


class CdmRun:
    """One ``run``: holds the engine, writers and ledger; ``execute`` walks the batches."""

    def __init__(self, engine: Engine, options: RunOptions, pipeline: Pipeline | None = None,
                 on_result: Callable[[Result], None] | None = None, stop: StopRequest | None = None,
                 sink: DeliveringSink | None = None) -> None:  # fmt: skip
        self.engine = engine
        self.on_result = on_result  # a callback fed after the batch is committed
        self.sink = sink  # FHIR output, fed after the batch is committed; its deliveries go to the ledger
        self.done_status = Status.FHIR_PENDING if sink is not None else Status.DONE
        self.stop = stop or StopRequest()
        self._lock_notes = True  # settled by prepare(): may this role lock NOTE rows?
        self.selector: NoteSelector | None = None  # made by prepare(), with the site's document concept ids
        self.options = options
        dialect = engine.dialect.name
        cdm_schema = check_schema_name(options.cdm_schema, dialect)
        results_schema = check_schema_name(options.results_schema, dialect)
        self.tables: CdmTables = cdm_tables(cdm_schema, results_schema)
        self.extractor = Extractor(pipeline or options.build(options.pipeline))
        self.summary = RunSummary(nlp_system=self.extractor.pipeline.nlp_system, run_id=str(uuid.uuid4()))
        self.when = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        self.resolver = ConceptResolver(self.tables)
        ids = IdAllocator(self.tables, dialect)
        self.ids = ids
        self.previous = PreviousVersions(self.tables, self.resolver, ids, [], self.when)  # found by prepare()
        self.ledger = Ledger(self.tables, self.summary.nlp_system, self.summary.run_id)
        self.note_nlp = NoteNlpWriter(self.tables, self.resolver, ids, self.summary.nlp_system, self.when)
        self.facts = CdmFactsWriter(self.tables, self.resolver, ids, self.summary.nlp_system)
        self.source = OmopNoteSource(engine, self.tables, options.filters, options.pipeline.max_note_chars)
        self.claims = Claims(engine, self.summary.nlp_system)

    # -- setup ---------------------------------------------------------------------------
    def prepare(self) -> None:
        """Check the CDM tables, create the tool's own ones, resolve concepts, sync id sequences."""
        self._check_tables()
        ensure_tool_tables(self.engine, self.tables)
        self.load()
        with write_transaction(self.engine) as conn:
            self.ids.sync(conn, self._id_tables())

    def load(self) -> None:
        """What every process that writes batches needs: the concepts, the row-lock privilege."""
        codes = mapping_codes() | section_codes()
        if self.options.cdm_facts:
            codes |= CdmFactsWriter.codes()
        with self.engine.connect() as conn:
            self.resolver.load(conn, codes)
            self._lock_notes = _may_lock_rows(conn, self.tables.note)
            self.selector = _note_selector(conn, self.tables)
            older = previous_versions(conn, self.tables, self.summary.nlp_system)
        self.previous = PreviousVersions(self.tables, self.resolver, self.ids, older, self.when)

    def _id_tables(self):
        t = self.tables
        return [t.note_nlp, *((t.condition_occurrence, t.observation, t.episode) if self.options.cdm_facts else ())]

    def _check_tables(self) -> None:
        t = self.tables
        needed = [t.concept, t.note_nlp]
        if self.options.cdm_facts:
            needed += [t.condition_occurrence, t.observation, t.episode, t.episode_event]
        with self.engine.connect() as conn:
            check_cdm(conn, t, needed)

    # -- the run -------------------------------------------------------------------------
    def execute(self) -> RunSummary:
        """All batches, or those before a stop request (SIGTERM, Ctrl-C): a stop lets the batches
        in flight commit, so the summary is exact and the next run resumes after them."""
        started = time.monotonic()
        self.summary.selected = self.source.count()
        try:
            with ProgressBar(self.options.progress, self.summary.selected) as advance:
                batches = -(-self.summary.selected // self.options.batch_size)
                workers = min(self.options.workers, batches)  # no process to start for a batch or two
                if workers > 1:
                    self._execute_in_workers(workers, advance)
                else:
                    for batch in self.source.batches(self.options.batch_size):
                        self._deliver(self.process_batch(batch))
                        advance(len(batch))
                        if self.stop.requested:
                            break
            if self.sink is not None:  # also after a stop: what was built is delivered and recorded
                self.sink.flush()
                self._record_delivered()
        finally:
            self.claims.close()
        self.summary.stopped_by = self.stop.signal_name
        self.summary.seconds = time.monotonic() - started
        return self.summary

    def _execute_in_workers(self, workers: int, advance: Callable[[int], None]) -> None:
        url = self.engine.url.render_as_string(hide_password=False)
        args = (url, self.options, self.on_result is not None or self.sink is not None, self.done_status)
        with WorkerPool(workers, _init_worker, args) as pool:
            for done in pool.imap(_process_range, self._ranges(), split=self._one_by_one):
                if isinstance(done, WorkerDied):
                    first, last, count = done.item
                    self._worker_died(first, last)
                    advance(count)
                    continue
                count, summary, results = done
                self.summary.add(summary)
                self._deliver(results)
                advance(count)

    def _one_by_one(self, note_range: tuple[int, int, int]) -> list[tuple[int, int, int]]:
        """A range that killed its worker, as one range per note: only the note that kills again is lost."""
        first, last, count = note_range
        if count <= 1:
            return [note_range]
        return [(note_id, note_id, 1) for note_id in self.source.ids_between(first, last)]

    def _worker_died(self, first: int, last: int) -> None:
        """A note killed the worker that ran it, each time: failed (the next run tries it again),
        recorded in the ledger so that the operator finds it. Not claimed first: the dead worker's
        server session may not have ended yet; the ledger's row lock orders this write with any other
        run's, and a failed note is only ever done again."""
        ids = str(first) if first == last else f"{first} to {last}"
        log.error("note_id %s: the worker process died on it, alone; recorded as failed", ids)
        for note in self.source.notes_between(first, last):
            self._record_failure(Outcome(note, Status.FAILED, "worker_died"), "worker_died")

    def _ranges(self) -> Iterator[tuple[int, int, int]]:
        for note_range in self.source.id_ranges(self.options.batch_size):
            if self.stop.requested:
                return
            yield note_range

    def _deliver(self, results: list[Result]) -> None:
        for result in results:
            if self.on_result is not None:
                self.on_result(result)
            if self.sink is not None:
                self.sink.write(result)
        if self.sink is not None:
            self._record_delivered()

    def _record_delivered(self) -> None:
        assert self.sink is not None
        delivered = [int(i) for i in self.sink.take_delivered()]
        if delivered:
            with write_transaction(self.engine) as conn:
                self.ledger.mark_delivered(conn, delivered, datetime.now(UTC).replace(tzinfo=None))

    def process_batch(self, notes: list[SourceNote]) -> list[Result]:
        """Claim, select, extract and write one batch; returns the results written (for further sinks)."""
        try:
            claimed = self.claims.claim([n.note_id for n in notes])
            if len(claimed) < len(notes):  # another runner has them; it writes them or leaves them for the next run
                self.summary.skipped["claimed_by_other_run"] += len(notes) - len(claimed)
                notes = [n for n in notes if n.note_id in claimed]
            with self.engine.connect() as conn:
                prior = self.ledger.states(conn, [n.note_id for n in notes])
            outcomes: list[Outcome] = []
            todo: list[SourceNote] = []
            for note in notes:
                state = prior.get(note.note_id)
                selection = self._select(note)
                written_before = state is not None and state.status in (Status.DONE, Status.FHIR_PENDING)
                if selection.skip_reason and not written_before:
                    self.summary.skipped[selection.skip_reason] += 1  # never extracted, nothing to write
                elif selection.skip_reason:  # extracted by an earlier, wider selection: its rows go
                    outcomes.append(Outcome(note, Status.SKIPPED, selection.skip_reason))
                elif not self.options.reprocess and state is not None and state.is_final_for(note.text_hash):
                    if self._lacks_facts(state):  # done by a run without --cdm-facts: extracted again for them
                        self.summary.facts_added += 1
                        todo.append(replace(note, modality=selection.modality))
                    else:
                        self.summary.skipped["already_done"] += 1
                elif note.skip_reason:
                    outcomes.append(Outcome(note, Status.SKIPPED, note.skip_reason))
                else:
                    todo.append(replace(note, modality=selection.modality))
            outcomes.extend(self.extractor.extract_many(todo))
            written = self._write(outcomes) if outcomes else []
        finally:
            self.claims.release()
        return [o.result for o in written if o.result is not None and o.status is Status.DONE]

    def _lacks_facts(self, state: LedgerState) -> bool:
        return self.options.cdm_facts and state.status == Status.DONE and not state.facts

    def _select(self, note: SourceNote) -> Selection:
        assert self.selector is not None, "prepare() first"
        return select_note(self.selector, note)

    def _write(self, outcomes: list[Outcome]) -> list[Outcome]:
        """Write the batch in one transaction; fall back to one note at a time if a note's data is refused.

        Returns the outcomes as committed (without notes another run wrote, deleted notes marked)."""
        try:
            return self._write_retrying(outcomes)
        except DBAPIError as exc:
            if not is_note_data_error(exc):  # a missing GRANT or table, a lost connection: stop the run
                raise DatabaseError(f"cannot write the results: {short_reason(exc)}") from None
            if len(outcomes) == 1:
                error = f"database_error:{(exc.orig or exc).__class__.__name__}"
                log.warning("note_id %d could not be written: %s", outcomes[0].note.note_id, error)
                self._record_failure(outcomes[0], error)
                return []
            return [written for outcome in outcomes for written in self._write([outcome])]

    def _write_retrying(self, outcomes: list[Outcome]) -> list[Outcome]:
        for attempt in range(_RETRIES):
            try:
                with write_transaction(self.engine) as conn:
                    counts = self._write_in(conn, outcomes)
            except OperationalError as exc:
                if attempt + 1 < _RETRIES and _is_transient(exc):
                    time.sleep(0.2 * (attempt + 1))
                    continue
                raise
            self._count(counts)
            return counts["outcomes"]
        raise AssertionError("unreachable")  # pragma: no cover

    def _write_in(self, conn: Connection, outcomes: list[Outcome]) -> dict:
        ids = [o.note.note_id for o in outcomes]
        locked = self.ledger.lock(conn, ids)
        done_elsewhere = Counter()
        if not self.options.reprocess:
            fresh = [o for o in outcomes if not _final(locked, o) or self._lacks_facts(locked[o.note.note_id])]
            done_elsewhere["done_by_other_run"] = len(outcomes) - len(fresh)
            outcomes = fresh
        present = self._existing_notes(conn, [o.note.note_id for o in outcomes])
        outcomes = [o if o.note.note_id in present else _deleted(o) for o in outcomes]
        write_ids = [o.note.note_id for o in outcomes]
        results = {o.note.note_id: o.result for o in outcomes if o.status is Status.DONE and o.result is not None}
        final = [o.note.note_id for o in outcomes if o.status in (Status.DONE, Status.SKIPPED)]
        superseded = self.previous.remove(conn, final)
        rows = self.note_nlp.replace(conn, write_ids, results)
        facts = Counter()
        if self.options.cdm_facts:
            visits = {o.note.note_id: o.note.visit_occurrence_id for o in outcomes}
            facts = self.facts.replace(conn, write_ids, results, visits)
        else:  # facts of an earlier --cdm-facts run describe the old text: drop them too
            self.facts.delete_notes(conn, write_ids)
        with_facts = self.options.cdm_facts
        entries = [
            LedgerEntry(o.note.note_id, o.note.text_hash, self.done_status if o.status is Status.DONE else o.status,
                        o.reason, with_facts)
            for o in outcomes
        ]
        self.ledger.record(conn, entries, datetime.now(UTC).replace(tzinfo=None))
        return {"outcomes": outcomes, "rows": rows, "facts": facts, "skipped": done_elsewhere, "superseded": superseded}

    def _existing_notes(self, conn: Connection, note_ids: list[int]) -> set[int]:
        if not note_ids:
            return set()
        note = self.tables.note
        # FOR KEY SHARE: the notes cannot be deleted under us until this batch commits. A read-only
        # role may not lock rows; it still sees deletions that happened before this check.
        query = select(note.c.note_id).where(note.c.note_id.in_(note_ids))
        if self._lock_notes:
            query = query.with_for_update(read=True, key_share=True)
        return {int(i) for i in conn.execute(query).scalars()}

    def _record_failure(self, outcome: Outcome, error: str) -> None:
        with write_transaction(self.engine) as conn:
            self.ledger.lock(conn, [outcome.note.note_id])
            entry = LedgerEntry(outcome.note.note_id, outcome.note.text_hash, Status.FAILED, error)
            self.ledger.record(conn, [entry], datetime.now(UTC).replace(tzinfo=None))
        self.summary.failed[error] += 1

    def _count(self, counts: dict) -> None:
        s = self.summary
        s.note_nlp_rows += counts["rows"]
        s.facts.update(counts["facts"])
        s.skipped.update(+counts["skipped"])
        s.superseded.update(counts["superseded"])
        for o in counts["outcomes"]:
            if o.status is Status.DONE:
                s.processed += 1
            elif o.status is Status.SKIPPED:
                s.skipped[o.reason or "skipped"] += 1
            else:
                s.failed[o.reason or "error"] += 1


def _deleted(outcome: Outcome) -> Outcome:
    return Outcome(outcome.note, Status.SKIPPED, "note_deleted")


def _final(locked: dict, outcome: Outcome) -> bool:
    state = locked.get(outcome.note.note_id)
    return state is not None and state.is_final_for(outcome.note.text_hash)


def _is_transient(exc: OperationalError) -> bool:
    """Deadlocks, serialization failures and a busy SQLite file are worth another try."""
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return sqlstate in ("40001", "40P01") or "database is locked" in str(exc.orig)


def _note_selector(conn: Connection, tables: CdmTables) -> NoteSelector:
    """The note selection, with the LOINC document codes resolved to this site's concept ids."""
    return note_selector(selection_concept_ids(conn, tables))


def selection_concept_ids(conn: Connection, tables: CdmTables) -> dict:
    """The site's concept ids of the selection's LOINC document codes (a site need not have them all)."""
    resolver = ConceptResolver(tables)
    resolver.load(conn, load_selection_rules().codes(), warn=False)
    return resolver.ids


def note_selector(concept_ids: dict) -> NoteSelector:
    """The selection of ``mappings/note_selection.yaml`` with the site's ids of its document codes."""
    from omop_nlp.routing import load_router  # lazy: the CLI's database commands load fast

    return NoteSelector(load_selection_rules(), concept_ids, load_router().modality_of_title)


def select_note(selector: NoteSelector, note: SourceNote) -> Selection:
    """Radiology reports of a supported modality only (mappings/note_selection.yaml); a note whose text
    cannot be read is left to its own skip reason."""
    if note.skip_reason:
        return Selection()
    return selector.select(note.title, (note.class_concept_id, note.type_concept_id), note.text or "")


def _may_lock_rows(conn: Connection, table) -> bool:
    """Row locks (FOR KEY SHARE) need UPDATE privilege on PostgreSQL; SQLite has no row locks."""
    if conn.dialect.name != "postgresql":
        return True
    name = f"{table.schema}.{table.name}" if table.schema else table.name
    return bool(conn.execute(text("SELECT has_table_privilege(:t, 'UPDATE')"), {"t": name}).scalar())


_WORKER_RUN: CdmRun | None = None
_WORKER_RESULTS = False


def _init_worker(url: str, options: RunOptions, want_results: bool, done_status: Status) -> None:
    """A worker process: its own engine of one connection (its batches and its claims take turns on it),
    the pipeline built once from ``options.pipeline``."""
    global _WORKER_RUN, _WORKER_RESULTS
    engine = make_engine(url, one_connection=True)
    _WORKER_RUN = CdmRun(engine, options)
    _WORKER_RUN.claims = Claims(engine, _WORKER_RUN.summary.nlp_system, own_connection=False)
    _WORKER_RUN.done_status = done_status  # the parent feeds the sink and records its deliveries
    _WORKER_RUN.load()
    _WORKER_RESULTS = want_results


def _process_range(note_range: tuple[int, int, int]) -> tuple[int, RunSummary, list[Result]]:
    """One batch in a worker: the notes of [first, last], read, extracted and written here."""
    run = _WORKER_RUN
    assert run is not None
    first, last, count = note_range
    run.summary = RunSummary(run.summary.nlp_system, run.summary.run_id)
    results = run.process_batch(run.source.notes_between(first, last))
    return count, run.summary, results if _WORKER_RESULTS else []


def run_cdm(url: str, options: RunOptions | None = None, *, pipeline: Pipeline | None = None,
            engine: Engine | None = None, on_result: Callable[[Result], None] | None = None,
            stop: StopRequest | None = None, sink: DeliveringSink | None = None) -> RunSummary:  # fmt: skip
    """Run the pipeline over a CDM's NOTE table; see ``RunOptions``. Raises ``DatabaseError`` for
    an unusable database; bad notes are recorded in the ledger and counted, never raised.
    ``stop`` (omop_nlp.signals.graceful_stop) ends the run after the batches in flight.

    ``pipeline``: the one built from ``options.pipeline`` when the caller has it already (or a
    test's variant of it); it runs in this process, worker processes build theirs from the config."""
    options = options or RunOptions()
    own_engine = engine is None
    engine = engine or make_engine(url)
    try:
        run = CdmRun(engine, options, pipeline, on_result, stop, sink)
        run.prepare()
        return run.execute()
    finally:
        if own_engine:
            engine.dispose()


def unload(url: str, nlp_system: str, *, cdm_schema: str | None = None, results_schema: str | None = None,
           engine: Engine | None = None) -> Counter:  # fmt: skip
    """Remove everything ``nlp_system`` wrote: NOTE_NLP rows, CDM facts and ledger entries."""
    own_engine = engine is None
    engine = engine or make_engine(url)
    try:
        dialect = engine.dialect.name
        tables = cdm_tables(check_schema_name(cdm_schema, dialect), check_schema_name(results_schema, dialect))
        with engine.connect() as conn:
            check_tool_tables(conn, tables)
        ids = IdAllocator(tables, dialect)
        resolver = ConceptResolver(tables)
        when = datetime.now(UTC)
        with write_transaction(engine) as conn:
            counts = CdmFactsWriter(tables, resolver, ids, nlp_system).delete_system(conn)
            counts["note_nlp"] = NoteNlpWriter(tables, resolver, ids, nlp_system, when).delete_system(conn)
            counts["omop_nlp_ledger"] = Ledger(tables, nlp_system, "").delete_system(conn)
        return counts
    finally:
        if own_engine:
            engine.dispose()


