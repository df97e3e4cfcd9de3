"""NOTE_NLP rows: one per mention, present or not, replaced per (note_id, nlp_system).

The row design is in ``docs/note_nlp.md``. The writer works inside the caller's write
transaction, so a batch's old rows, new rows and ledger entries commit together: a re-run
replaces, a crash leaves the previous state, and nothing is ever duplicated.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection

from omop_nlp.model import Certainty, Mention, Result
from omop_nlp.omop.bulk import bulk_insert
from omop_nlp.omop.concepts import ConceptResolver
from omop_nlp.omop.ids import IdAllocator
from omop_nlp.omop.tables import CdmTables
from omop_nlp.rules import Code, KeyDef, load_rules
from omop_nlp.text.sections import load_section_rules

SNIPPET_LEN = 250
LEXICAL_LEN = 250
MODIFIERS_LEN = 2000

_PAST = (Certainty.HISTORICAL, Certainty.RESOLVED)
_SENTENCE_END = re.compile(r"[.!?。]\s|\n\s*\n|\n(?=\s*[-*•\d]+[.)]?\s)")
_SPACES = re.compile(r"\s+")


def section_code(section: str | None) -> Code | None:
    """The LOINC code of a section (``mappings/sections.yaml``), or None."""
    definition = load_section_rules().definitions.get(section) if section else None
    return definition.code if definition else None


def section_codes() -> set[Code]:
    return {d.code for d in load_section_rules().definitions.values() if d.code is not None}


def key_definition(modality: str, key: str) -> KeyDef | None:
    rules = load_rules(modality)
    return rules.entities.get(key) or rules.related.get(key)


def term_exists(certainty: Certainty) -> str:
    """'Y' for what the annotation guideline counts as present (present, hedged), else 'N'."""
    return "Y" if certainty.counts_as_present else "N"


def term_temporal(certainty: Certainty) -> str:
    return "past" if certainty in _PAST else "present"


def term_modifiers(mention: Mention, related_type: str) -> str:
    """``key=nodule,certainty=hedged,section=impression,location=rul|rll,mapper=rules``."""
    parts = [f"key={mention.key}", f"certainty={mention.certainty.value}"]
    if mention.section:
        parts.append(f"section={mention.section}")
    if mention.related:
        parts.append(f"{related_type}={'|'.join(sorted(set(mention.related)))}")
    parts.append(f"type={mention.type.value}")
    parts.append(f"mapper={mention.mapper}")
    return ",".join(parts)[:MODIFIERS_LEN]


def snippet(text: str, start: int, end: int, width: int = SNIPPET_LEN) -> str:
    """The sentence around the mention, cut to ``width`` characters around it, spaces collapsed."""
    left = 0
    for match in _SENTENCE_END.finditer(text, max(0, start - width), start):
        left = match.end()
    right_match = _SENTENCE_END.search(text, end, min(len(text), end + width))
    right = right_match.start() + 1 if right_match else min(len(text), end + width)
    if right - left > width:
        room = max(0, width - (end - start))
        left = max(left, start - room // 2)
        right = min(right, left + width)
    return _SPACES.sub(" ", text[left:right]).strip()[:width]


def note_nlp_rows(note_id: int, result: Result, concepts: ConceptResolver, nlp_system: str,
                  when: datetime) -> list[dict]:  # fmt: skip
    """A note's NOTE_NLP rows without their ids, one per mention in text order: what ``run`` and
    ``spark-run`` both write (the ids come from the database or the Spark job)."""
    rules = load_rules(result.modality)
    text = result.report.text
    rows = []
    for m in sorted(result.mentions, key=lambda m: (m.start, m.end, m.key)):
        key_def = key_definition(result.modality, m.key)
        rows.append({
            "note_id": note_id,
            "section_concept_id": _section_concept_id(concepts, m.section),
            "snippet": snippet(text, m.start, m.end),
            "offset": str(m.start),
            "lexical_variant": (text[m.start : m.end] or m.text)[:LEXICAL_LEN],
            "note_nlp_concept_id": concepts.concept_id(key_def.code if key_def else None),
            "note_nlp_source_concept_id": 0,
            "nlp_system": nlp_system,
            "nlp_date": when.date(),
            "nlp_datetime": when,
            "term_exists": term_exists(m.certainty),
            "term_temporal": term_temporal(m.certainty),
            "term_modifiers": term_modifiers(m, rules.related_type),
        })  # fmt: skip
    return rows


def _section_concept_id(concepts: ConceptResolver, section: str | None) -> int | None:
    """NULL where the section is unknown or has no code; 0 where the site lacks its concept."""
    code = section_code(section)
    return concepts.concept_id(code) if code else None


class NoteNlpWriter:
    """Builds and replaces a batch's NOTE_NLP rows for one nlp_system."""

    def __init__(self, tables: CdmTables, resolver: ConceptResolver, ids: IdAllocator, nlp_system: str,
                 when: datetime) -> None:  # fmt: skip
        self._table = tables.note_nlp
        self._resolver = resolver
        self._ids = ids
        self.nlp_system = nlp_system
        self.when = when

    def rows(self, note_id: int, result: Result) -> list[dict]:
        return note_nlp_rows(note_id, result, self._resolver, self.nlp_system, self.when)

    def delete_notes(self, conn: Connection, note_ids: Iterable[int]) -> int:
        t = self._table
        ids = sorted(set(note_ids))
        if not ids:
            return 0
        return conn.execute(t.delete().where(t.c.nlp_system == self.nlp_system, t.c.note_id.in_(ids))).rowcount

    def replace(self, conn: Connection, note_ids: Iterable[int], results: dict[int, Result]) -> int:
        """Delete this system's rows of ``note_ids``, insert those of ``results``; returns rows written."""
        self.delete_notes(conn, note_ids)
        rows = [row for note_id, result in sorted(results.items()) for row in self.rows(note_id, result)]
        for row, new_id in zip(rows, self._ids.allocate(conn, self._table, len(rows)), strict=True):
            row["note_nlp_id"] = new_id
        return bulk_insert(conn, self._table, rows)

    def delete_system(self, conn: Connection) -> int:
        t = self._table
        return conn.execute(t.delete().where(t.c.nlp_system == self.nlp_system)).rowcount
