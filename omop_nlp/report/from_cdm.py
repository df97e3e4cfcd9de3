"""Report data from a CDM: NOTE, the NOTE_NLP rows of one nlp_system, its ledger and its facts.

Summaries are ``GROUP BY`` queries over all of the system's rows, so they scale with the
database, not with Python; only the sampled notes and the brain MRI diagnoses (for the
over-time pages) come back row by row. Mentions are rebuilt from NOTE_NLP's columns as the
writer stored them (docs/note_nlp.md), and findings by the engine's own function, corrections included.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Engine, and_, case, distinct, func, inspect, or_, select

from omop_nlp.model import Certainty, EntityType, Mention, Report
from omop_nlp.omop.connection import check_schema_name, make_engine, mask_url
from omop_nlp.omop.tables import CdmTables, cdm_tables
from omop_nlp.pipeline import ModalityEngine
from omop_nlp.report.from_jsonl import ReportData
from omop_nlp.report.notes import NoteView, ReportInputError, Sampler, Selection
from omop_nlp.report.summary import Summary, modality_of_key
from omop_nlp.routing import load_router
from omop_nlp.rules import MODALITIES, load_rules

_TYPES = {"chest_ct": ("lesion", "location"), "brain_mri": ("diagnosis", "episode")}
_IN_CHUNK = 500


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
    """The engine's report-level findings (``ModalityEngine.findings``, a correcting addendum included) of rebuilt
    mentions, read in the note's text as extract read it, so the review shows what extract wrote."""
    engine = _engine(modality)
    objects = [Mention(m["key"], EntityType(m["type"]), m["start"], m["end"], m["text"], m["section"],
                       certainty=Certainty(m["certainty"]), related=m["related"], decided_by=m["mapper"] or "")
               for m in mentions if m["type"] in _TYPES[modality]]  # fmt: skip
    findings = engine.findings(engine.annotator.annotate(text), objects)
    return {key: sorted(f.related) for key, f in sorted(findings.items())}


def _malignant_keys() -> list[str]:
    return [key for m in MODALITIES for key, d in load_rules(m).entities.items() if d.group == "malignant"]


_ENGINES: dict[str, ModalityEngine] = {}


def _engine(modality: str) -> ModalityEngine:
    if modality not in _ENGINES:
        _ENGINES[modality] = ModalityEngine.for_modality(modality)
    return _ENGINES[modality]


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
            self._counts(conn, summary)
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
            self._notes_with_key(conn, summary)
            self._exams(conn, summary)
        return summary

    def _counts(self, conn, summary: Summary) -> None:
        nn = self.t.note_nlp
        per_modality = [func.count(distinct(case(
            (or_(*(nn.c.term_modifiers.like(f"%type={t},%") for t in _TYPES[m])), nn.c.note_id)))).label(m)
            for m in MODALITIES]  # fmt: skip
        row = conn.execute(select(func.count(distinct(nn.c.note_id)), *per_modality).where(self._rows())).one()
        summary.processed = row[0]
        for modality, n in zip(MODALITIES, row[1:], strict=True):
            summary.notes_per_modality[modality] = n
        if self.has_ledger:
            lg = self.t.ledger
            query = select(lg.c.status, lg.c.error, func.count()).where(lg.c.nlp_system == self.nlp_system)
            done = 0
            for status, error, n in conn.execute(query.group_by(lg.c.status, lg.c.error)):
                if status == "done":
                    done += n
                else:
                    summary.skipped[(error or status).split(":")[0]] += n
            summary.processed = done

    def _present(self):
        """Rows the guideline counts as present (``ModalityEngine.findings``): present or hedged
        (term_exists 'Y'), or a malignant diagnosis known or treated before (term_temporal 'past')."""
        nn = self.t.note_nlp
        malignant = or_(*(nn.c.term_modifiers.like(f"key={key},%") for key in _malignant_keys()))
        return or_(nn.c.term_exists == "Y", and_(nn.c.term_temporal == "past", malignant))

    def _notes_with_key(self, conn, summary: Summary) -> None:
        nn = self.t.note_nlp
        entity_keys = {key: m for m in MODALITIES for key in load_rules(m).entities}
        key = case(*((nn.c.term_modifiers.like(f"key={k},%"), k) for k in entity_keys)).label("key")
        query = select(key, func.count(distinct(nn.c.note_id))).where(self._rows(), self._present()).group_by(key)
        for found, n in conn.execute(query):
            if found is not None:
                summary.notes_with_key[(entity_keys[found], found)] = n

    def _exams(self, conn, summary: Summary) -> None:
        """Every brain MRI with a person and date, with its malignant diagnoses and their episodes."""
        nn, note = self.t.note_nlp, self.t.note
        brain = select(nn.c.note_id).where(
            self._rows(), or_(*(nn.c.term_modifiers.like(f"%type={t},%") for t in _TYPES["brain_mri"])))  # fmt: skip
        malignant = or_(*(nn.c.term_modifiers.like(f"key={key},%") for key in _malignant_keys()))
        episodes: dict[int, dict[str, set[str]]] = {}
        found = select(nn.c.note_id, nn.c.term_modifiers).distinct().where(self._rows(), self._present(), malignant)
        for note_id, modifiers in conn.execute(found):
            parsed = parse_modifiers(modifiers)
            related = episodes.setdefault(note_id, {}).setdefault(parsed["key"], set())
            related.update(r for r in parsed.get("episode", "").split("|") if r)
        exams = select(note.c.note_id, note.c.person_id, note.c.note_date).where(note.c.note_id.in_(brain))
        for note_id, person_id, day in conn.execute(exams):
            diagnoses = episodes.get(note_id, {})
            summary.add_exam(person_id, day, str(note_id), {k: tuple(sorted(v)) for k, v in diagnoses.items()})

    def chosen_notes(self, selection: Selection) -> list[int]:
        nn = self.t.note_nlp
        query = select(nn.c.note_id).distinct().where(self._rows())
        if selection.note_ids:
            if not all(i.isdigit() for i in selection.note_ids):
                raise ReportInputError("--note-id: a CDM's note_id is an integer")
            return sorted({int(i) for i in selection.note_ids})
        if selection.keys:
            query = query.where(or_(*(nn.c.term_modifiers.like(f"key={k},%") for k in sorted(selection.keys))))
        sampler = Sampler(selection)
        with self.engine.connect() as conn:
            for (note_id,) in conn.execute(query.order_by(nn.c.note_id)):
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
        for chunk in _chunks(note_ids, _IN_CHUNK):
            views += self._note_chunk(chunk)
        order = {note_id: i for i, note_id in enumerate(note_ids)}
        return sorted(views, key=lambda v: order[int(v.id)])

    def _note_chunk(self, note_ids: list[int]) -> list[NoteView]:
        note = self.t.note
        with self.engine.connect() as conn:
            texts = conn.execute(select(note.c.note_id, note.c.person_id, note.c.note_date, note.c.note_title,
                                        note.c.note_text).where(note.c.note_id.in_(note_ids))).all()  # fmt: skip
            mentions = self._mentions(conn, note_ids)
            facts = self._facts(conn, note_ids)
        views = []
        for note_id, person_id, day, title, text in texts:
            text = text if isinstance(text, str) else ""
            found = mentions[note_id]
            modality = next((modality_of_key(m["key"]) for m in found if modality_of_key(m["key"])), None)
            modality = modality or load_router().route(Report(str(note_id), text, title=title)) or MODALITIES[0]
            view = NoteView(str(note_id), modality, text, found, _findings(modality, text, found), person_id, day,
                            title, facts[note_id])  # fmt: skip
            view.check_offsets()
            views.append(view)
        return views


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
