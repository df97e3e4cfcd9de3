"""The embedded demo CDM of ``omop-nlp demo``: a SQLite file with init-db's tables, a CONCEPT
subset for every code the mappings use, and the project's own sample notes in NOTE and PERSON.

concept_ids are the demo ids of ``standards-facts.md`` where it gives one; other codes get ids
from 2,000,000,000 up (the OMOP range for local concepts) and say so in concept_name. A real
site resolves the same codes from its own vocabulary tables.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import date
from importlib import resources
from pathlib import Path

from sqlalchemy import Connection, Engine, insert

from omop_nlp.omop.concepts import (
    CONCEPT_ID_VOCABULARIES,
    ConceptResolver,
    code_names,
    mapping_codes,
    omop_vocabulary,
)
from omop_nlp.omop.connection import make_engine, write_transaction
from omop_nlp.omop.ddl import CDM_FILES, execute_ddl
from omop_nlp.omop.tables import CdmTables, cdm_tables
from omop_nlp.rules import MODALITIES, Code, load_rules
from omop_nlp.sinks.note_nlp import section_codes

LOCAL_ID_START = 2_000_000_000
EHR_TYPE = 32817
UTF8 = 32678
ENGLISH = 4180186
# standards-facts.md, "OMOP id (demo)" and the brain diagnoses' ids.
DEMO_IDS = {
    Code("SNOMED", "786838002"): 37206719,
    Code("SNOMED", "95436008"): 4318404,
    Code("SNOMED", "60046008"): 254061,
    Code("SNOMED", "46621007"): 261880,
    Code("SNOMED", "51615001"): 4197819,
    Code("SNOMED", "309529002"): 4203096,
    Code("SNOMED", "233703007"): 4119786,
    Code("SNOMED", "92030004"): 379769,
    Code("SNOMED", "1386000"): 439847,
    Code("SNOMED", "45170000"): 378143,
    Code("SNOMED", "432504007"): 443454,
}
# Concepts identified by their OMOP id (standards-facts.md "Type and episode concepts").
FIXED_CONCEPTS = {
    32858: ("NLP", "Type Concept", "Type Concept"),
    32817: ("EHR", "Type Concept", "Type Concept"),
    32948: ("Stable Disease", "Episode", "Disease Dynamic"),
    32949: ("Progression", "Episode", "Disease Dynamic"),
    32945: ("Remission", "Episode", "Disease Dynamic"),
    32946: ("Complete Remission", "Episode", "Disease Dynamic"),
    32947: ("Partial Remission", "Episode", "Disease Dynamic"),
    1147127: ("condition_occurrence.condition_occurrence_id", "CDM", "Field"),
    32678: ("UTF-8", "Encoding", "Encoding"),
    4180186: ("English language", "Language", "Qualifier Value"),
}
_HANGUL = re.compile(r"[\uac00-\ud7a3]")


def sample_notes_path() -> Path:
    return Path(str(resources.files("omop_nlp"))) / "demo" / "sample_notes.jsonl"


def demo_concept_rows() -> list[dict]:
    """CONCEPT rows for the mappings' codes, the section codes and the fixed OMOP concepts."""
    names = code_names()
    codes = {c for c in mapping_codes() | section_codes() | set(names) if c.vocabulary not in CONCEPT_ID_VOCABULARIES}
    rows = [_fixed_row(cid, *meta) for cid, meta in FIXED_CONCEPTS.items()]
    next_local = LOCAL_ID_START
    for code in sorted(codes, key=lambda c: (c.vocabulary, c.code)):
        display, domain = names.get(code, (f"{code.vocabulary} {code.code}", "Observation"))
        concept_id = DEMO_IDS.get(code)
        if concept_id is None:
            concept_id, next_local = next_local, next_local + 1
            display = f"{display} [omop-nlp demo: local concept_id]"
        rows.append(_row(concept_id, display, domain, omop_vocabulary(code), code.code))
    return rows


def _row(concept_id: int, name: str, domain: str, vocabulary: str, code: str, klass: str = "Clinical Finding") -> dict:
    return {
        "concept_id": concept_id, "concept_name": name[:255], "domain_id": domain, "vocabulary_id": vocabulary,
        "concept_class_id": klass, "standard_concept": "S", "concept_code": code,
        "valid_start_date": date(1970, 1, 1), "valid_end_date": date(2099, 12, 31), "invalid_reason": None,
    }  # fmt: skip


def _fixed_row(concept_id: int, name: str, vocabulary: str, klass: str) -> dict:
    return _row(concept_id, name, vocabulary if vocabulary != "CDM" else "Metadata", vocabulary, str(concept_id), klass)


def load_concepts(conn: Connection, tables: CdmTables, rows: list[dict] | None = None) -> int:
    rows = rows if rows is not None else demo_concept_rows()
    conn.execute(insert(tables.concept), rows)
    return len(rows)


def read_notes(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_notes(conn: Connection, tables: CdmTables, notes: Iterable[dict]) -> int:
    """NOTE and PERSON rows for notes shaped like ``sample_notes.jsonl`` (id, modality, title, person,
    date, text); note_id is the line number, the note's id goes to note_source_value."""
    class_ids = _document_class_ids(conn, tables)
    notes = list(notes)
    persons = _person_ids(str(n["person"]) for n in notes)
    note_rows = []
    for number, note in enumerate(notes, start=1):
        note_rows.append({
            "note_id": number, "person_id": persons[str(note["person"])], "note_date": date.fromisoformat(note["date"]),
            "note_type_concept_id": EHR_TYPE, "note_class_concept_id": class_ids.get(note.get("modality"), 0),
            "note_title": note.get("title"), "note_text": note["text"], "encoding_concept_id": UTF8,
            "language_concept_id": 0 if _HANGUL.search(note["text"]) else ENGLISH,
            "note_source_value": str(note["id"])[:50],
        })  # fmt: skip
    person_rows = [
        {"person_id": pid, "gender_concept_id": 0, "year_of_birth": 1960, "race_concept_id": 0,
         "ethnicity_concept_id": 0, "person_source_value": source[:50]}
        for source, pid in persons.items()
    ]  # fmt: skip
    if person_rows:
        conn.execute(insert(tables.person), person_rows)
    if note_rows:
        conn.execute(insert(tables.note), note_rows)
    return len(note_rows)


def _person_ids(sources: Iterable[str]) -> dict[str, int]:
    """Numeric person values keep their number; others are numbered after the largest."""
    sources = sorted(set(sources))
    ids = {s: int(s) for s in sources if s.isdigit()}
    top = max(ids.values(), default=0)
    for offset, source in enumerate(s for s in sources if s not in ids):
        ids[source] = top + 1 + offset
    return ids


def _document_class_ids(conn: Connection, tables: CdmTables) -> dict[str, int]:
    resolver = ConceptResolver(tables)
    documents = {m: load_rules(m).document_code for m in MODALITIES}
    resolver.load(conn, documents.values())
    return {m: resolver.concept_id(c) for m, c in documents.items()}


def init_cdm(engine: Engine, tables: CdmTables) -> None:
    execute_ddl(engine, CDM_FILES, tables.cdm_schema, tables.results_schema)


def create_demo_cdm(path: str | Path, notes_path: str | Path | None = None) -> str:
    """Create (or recreate) the demo SQLite CDM at ``path``; returns its URL for ``run_cdm``."""
    path = Path(path).resolve()
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    engine = make_engine(url, create=True)
    try:
        tables = cdm_tables()
        init_cdm(engine, tables)
        with write_transaction(engine) as conn:
            load_concepts(conn, tables)
            load_notes(conn, tables, read_notes(Path(notes_path) if notes_path else sample_notes_path()))
    finally:
        engine.dispose()
    return url

