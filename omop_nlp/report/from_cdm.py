"""Report data from a CDM: NOTE, the NOTE_NLP rows of one nlp_system, its ledger and its facts.

Mention counts (per certainty, lexical variants, the lung diagram) are ``GROUP BY`` queries over all of the
system's rows. Report-level figures (notes per modality, notes with a finding, the brain MRI episodes over time)
come from each note's findings, built as its page builds them: mentions rebuilt from NOTE_NLP's columns as the
writer stored them (docs/note_nlp.md), then the engine's own function (``ModalityEngine.stored_findings``), a
correcting addendum and a later dismissal included, so the summary counts what the pages and ``extract`` show.
The notes stream by in chunks; only counters stay in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, Select, func, inspect, or_, select, union

from omop_nlp.errors import NoteSkipped
from omop_nlp.model import Certainty, EntityType, Mention, Report
from omop_nlp.omop.connection import check_schema_name, make_engine, mask_url
from omop_nlp.omop.ledger import Status
from omop_nlp.omop.tables import CdmTables, cdm_tables
from omop_nlp.pipeline import ModalityEngine
from omop_nlp.report.from_jsonl import ReportData
from omop_nlp.report.notes import NoteView, ReportInputError, Sampler, Selection
from omop_nlp.report.summary import Summary, malignant_episodes, modality_of_key
from omop_nlp.routing import load_router
from omop_nlp.rules import MODALITIES, load_rules
from omop_nlp.text.note import checked_text

_TYPES = {"chest_ct": ("lesion", "location"), "brain_mri": ("diagnosis", "episode")}
_IN_CHUNK = 500
_WRITTEN = (Status.DONE.value, Status.FHIR_PENDING.value)  # ledger states of a note whose rows are written


def parse_modifiers(value: str | None) -> dict[str, str]:
    """``key=nodule,certainty=hedged,location=rul|rll,...`` (NoteNlpWriter's term_modifiers) as a dict."""
    out = {}
    for part in (value or "").split(","):
        name, sep, item = part.partition("=")
        if sep:
            out[name] = item
    return out


def _mention(modifiers: dict[str, str], start: int, words: str, concept_id: int | None) -> dict:
    modality = modality_of_key(modifiers.get("key", ""))
    related_type = load_rules(modality).related_type if modality else ""
    return {"key": modifiers.get("key"), "type": modifiers.get("type"), "start": start, "end": start + len(words),
            "text": words, "section": modifiers.get("section"), "certainty": modifiers.get("certainty"),
            "related": [r for r in modifiers.get(related_type, "").split("|") if r],
            "mapper": modifiers.get("mapper"), "concept": concept_id}  # fmt: skip


def _findings(modality: str, text: str, mentions: list[dict]) -> dict[str, list[str]]:
    """The engine's report-level findings (``ModalityEngine.stored_findings``: a correcting addendum, a later
    dismissal and the impression's denials included) of rebuilt mentions, read in the note's text as extract read
    it: the one definition of a note's findings for its page and for the summary."""
    objects = [Mention(m["key"], EntityType(m["type"]), m["start"], m["end"], m["text"], m["section"],
                       certainty=Certainty(m["certainty"]), related=m["related"], decided_by=m["mapper"] or "")
               for m in mentions if m["type"] in _TYPES[modality]]  # fmt: skip
    findings = _engine(modality).stored_findings(text, objects)
    return {key: sorted(f.related) for key, f in sorted(findings.items())}


_ENGINES: dict[str, ModalityEngine] = {}


def _engine(modality: str) -> ModalityEngine:
    if modality not in _ENGINES:
        _ENGINES[modality] = ModalityEngine.for_modality(modality)
    return _ENGINES[modality]


@dataclass
class _StoredNote:
    """A note of the run as NOTE and its NOTE_NLP rows give it back: what its page shows and the summary counts."""

    note_id: int
    person_id: int | None
    day: date | None
    title: str | None
    text: str
    modality: str
    mentions: list[dict]
    findings: dict[str, list[str]]


class CdmReport:
    def __init__(self, engine: Engine, tables: CdmTables, nlp_system: str) -> None:
        self.engine = engine
        self.t = tables
        self.nlp_system = nlp_system
        present = set(inspect(engine).get_table_names(schema=tables.results_schema))
        self.has_ledger = tables.ledger.name in present
        self.has_facts = tables.fact.name in present

    def _rows(self):
        return self.t.note_nlp.c.nlp_system == self.nlp_system

    def summary(self) -> Summary:
        summary = Summary()
        nn = self.t.note_nlp
        with self.engine.connect() as conn:
            self._ledger_counts(conn, summary)
            variant = func.lower(nn.c.lexical_variant)
            groups = select(nn.c.term_modifiers, variant, func.count()).where(self._rows()).group_by(
                nn.c.term_modifiers, variant)  # fmt: skip
            for modifiers, words, n in conn.execute(groups):
                parsed = parse_modifiers(modifiers)
                modality = modality_of_key(parsed.get("key", ""))
                if modality is None:
                    continue
                entity = parsed.get("type") == load_rules(modality).entity_type
                related = _mention(parsed, 0, words or "", None)["related"]
                summary.add_mentions(modality, parsed["key"], entity, parsed.get("certainty", "present"), related,
                                     words or "", count=n)  # fmt: skip
        notes = 0
        for note in self._every_note():
            notes += 1
            _count_note(summary, note)
        if not self.has_ledger:
            summary.processed = notes
        return summary

    def _ledger_counts(self, conn, summary: Summary) -> None:
        """Notes processed (rows written, FHIR delivered or not) and skipped or failed with the reason."""
        if not self.has_ledger:
            return
        lg = self.t.ledger
        query = select(lg.c.status, lg.c.error, func.count()).where(lg.c.nlp_system == self.nlp_system)
        for status, error, n in conn.execute(query.group_by(lg.c.status, lg.c.error)):
            if status in _WRITTEN:
                summary.processed += n
            else:
                summary.skipped[(error or status).split(":")[0]] += n

    def _note_ids(self) -> Select:
        """The ids of every note the run wrote, in order: those with rows, and those the ledger says are done
        without any (a report with no mention is still a chest CT or a brain MRI, and an exam of its patient)."""
        nn = self.t.note_nlp
        ids = select(nn.c.note_id).where(self._rows())
        if self.has_ledger:
            lg = self.t.ledger
            ids = union(ids, select(lg.c.note_id).where(lg.c.nlp_system == self.nlp_system, lg.c.status.in_(_WRITTEN)))
        written = ids.subquery()
        return select(written.c.note_id).distinct().order_by(written.c.note_id)

    def _every_note(self) -> Iterator[_StoredNote]:
        with self.engine.connect() as ids_conn, self.engine.connect() as conn:
            result = ids_conn.execution_options(stream_results=True, yield_per=_IN_CHUNK).execute(self._note_ids())
            for chunk in result.partitions():
                yield from self._stored_notes(conn, [note_id for (note_id,) in chunk])

    def chosen_notes(self, selection: Selection) -> list[int]:
        """The notes given a page: as ``from_jsonl`` samples extract's lines, from every note the run wrote."""
        nn = self.t.note_nlp
        query = self._note_ids()
        if selection.note_ids:
            if not all(i.isdigit() for i in selection.note_ids):
                raise ReportInputError("--note-id: a CDM's note_id is an integer")
            return sorted({int(i) for i in selection.note_ids})
        if selection.keys:
            keys = or_(*(nn.c.term_modifiers.like(f"key={k},%") for k in sorted(selection.keys)))
            query = select(nn.c.note_id).distinct().where(self._rows(), keys).order_by(nn.c.note_id)
        sampler = Sampler(selection)
        with self.engine.connect() as conn:
            for (note_id,) in conn.execute(query):
                sampler.offer(str(note_id), set(selection.keys))
        return [int(i) for i in sampler.chosen]

    def _mentions(self, conn, note_ids: list[int]) -> dict[int, list[dict]]:
        nn = self.t.note_nlp
        query = select(nn.c.note_id, nn.c.offset, nn.c.lexical_variant, nn.c.term_modifiers, nn.c.note_nlp_concept_id)
        mentions: dict[int, list[dict]] = {i: [] for i in note_ids}
        for note_id, offset, words, modifiers, concept_id in conn.execute(
            query.where(self._rows(), nn.c.note_id.in_(note_ids)).order_by(nn.c.note_nlp_id)
        ):
            mentions[note_id].append(_mention(parse_modifiers(modifiers), int(offset), words or "", concept_id))
        return mentions

    def _facts(self, conn, note_ids: list[int]) -> dict[int, dict[str, int]]:
        """CDM rows written from each note by ``--cdm-facts`` (omop_nlp_fact), per table."""
        facts: dict[int, dict[str, int]] = {i: {} for i in note_ids}
        if self.has_facts:
            ft = self.t.fact
            query = (select(ft.c.note_id, ft.c.table_name, func.count())
                     .where(ft.c.nlp_system == self.nlp_system, ft.c.note_id.in_(note_ids))
                     .group_by(ft.c.note_id, ft.c.table_name))  # fmt: skip
            for note_id, table, n in conn.execute(query):
                facts[note_id][table] = n
        return facts

    def notes(self, note_ids: list[int]) -> list[NoteView]:
        views = []
        with self.engine.connect() as conn:
            for chunk in _chunks(note_ids, _IN_CHUNK):
                facts = self._facts(conn, chunk)
                for note in self._stored_notes(conn, chunk):
                    view = NoteView(str(note.note_id), note.modality, note.text, note.mentions, note.findings,
                                    note.person_id, note.day, note.title, facts[note.note_id])  # fmt: skip
                    view.check_offsets()
                    views.append(view)
        order = {note_id: i for i, note_id in enumerate(note_ids)}
        return sorted(views, key=lambda v: order[int(v.id)])

    def _stored_notes(self, conn, note_ids: list[int]) -> list[_StoredNote]:
        """The notes of ``note_ids`` that NOTE still has, with their rebuilt mentions and findings."""
        note = self.t.note
        texts = conn.execute(select(note.c.note_id, note.c.person_id, note.c.note_date, note.c.note_title,
                                    note.c.note_class_concept_id, note.c.note_text)
                             .where(note.c.note_id.in_(note_ids))).all()  # fmt: skip
        mentions = self._mentions(conn, note_ids)
        notes = []
        for note_id, person_id, day, title, class_id, text in texts:
            text = _text(text)
            found = mentions[note_id]
            modality = next((modality_of_key(m["key"]) for m in found if modality_of_key(m["key"])), None)
            modality = modality or load_router().route(Report(str(note_id), text, title=title), class_id)
            modality = modality or MODALITIES[0]
            notes.append(_StoredNote(note_id, person_id, day, title, text, modality, found,
                                     _findings(modality, text, found)))  # fmt: skip
        return notes


def _text(value: object) -> str:
    """The note text as the engine read it (NULs blanked); empty where NOTE holds none."""
    try:
        return checked_text(value, None)
    except NoteSkipped:
        return value if isinstance(value, str) else ""


def _count_note(summary: Summary, note: _StoredNote) -> None:
    """One note's report-level figures, as ``from_jsonl`` counts a line of extract output."""
    summary.add_note(note.modality, note.findings)
    if note.modality == "brain_mri" and note.person_id is not None and note.day is not None:
        summary.add_exam(note.person_id, note.day, str(note.note_id), malignant_episodes(note.modality, note.findings))


def _chunks(values: list[int], size: int) -> Iterable[list[int]]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def _latest_system(engine: Engine, tables: CdmTables) -> str | None:
    nn = tables.note_nlp
    query = (select(nn.c.nlp_system).group_by(nn.c.nlp_system)
             .order_by(func.max(nn.c.nlp_datetime).desc(), nn.c.nlp_system).limit(1))  # fmt: skip
    with engine.connect() as conn:
        return conn.execute(query).scalar()


def _system_rows(engine: Engine, tables: CdmTables, nlp_system: str) -> int:
    nn = tables.note_nlp
    with engine.connect() as conn:
        return conn.execute(select(func.count()).where(nn.c.nlp_system == nlp_system)).scalar()


def load_cdm(url: str, cdm_schema: str | None, results_schema: str | None, nlp_system: str | None,
             selection: Selection) -> ReportData:  # fmt: skip
    engine = make_engine(url)
    try:
        dialect = engine.dialect.name
        tables = cdm_tables(check_schema_name(cdm_schema, dialect), check_schema_name(results_schema, dialect))
        system = nlp_system or _latest_system(engine, tables)
        if system is None or not _system_rows(engine, tables, system):
            what = f"nlp_system {system!r}" if system else "any nlp_system"
            raise ReportInputError(f"no NOTE_NLP rows for {what} in {mask_url(engine.url)}; run omop-nlp run first")
        cdm = CdmReport(engine, tables, system)
        summary = cdm.summary()
        notes = cdm.notes(cdm.chosen_notes(selection))
        return ReportData(summary, notes, source=mask_url(engine.url), nlp_system=system)
    finally:
        engine.dispose()
