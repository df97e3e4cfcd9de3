"""Resolves the codes in ``mappings/`` to the site's concept_ids, at run time, from its CONCEPT table.

concept_ids differ between vocabulary releases and sites add local concepts, so none is
hard-coded: each (vocabulary_id, concept_code) is looked up once per run, then, for a code the
site lacks, its local concept in the ``omop-nlp`` vocabulary (``init-db --local-concepts``).
A code with neither resolves to 0 (the OMOP "no matching concept"), reported in one warning.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import Connection, and_, or_, select

from omop_nlp.omop.tables import CdmTables
from omop_nlp.rules import MODALITIES, Code, load_rules

log = logging.getLogger(__name__)

# Vocabularies whose "code" in mappings/ is already an OMOP concept_id (checked for existence).
CONCEPT_ID_VOCABULARIES = frozenset({"Episode", "Type Concept", "CDM"})
# mappings/ spelling -> OMOP vocabulary_id
LOCAL_VOCABULARY = "omop-nlp"  # the site-local vocabulary of keys with no standard concept
VOCABULARY_IDS = {"SNOMED": "SNOMED", "LOINC": "LOINC", "DCM": "DCM", LOCAL_VOCABULARY: LOCAL_VOCABULARY}
_CHUNK = 500
_NOT_LOCAL = CONCEPT_ID_VOCABULARIES | {LOCAL_VOCABULARY}


def omop_vocabulary(code: Code) -> str:
    return VOCABULARY_IDS.get(code.vocabulary, code.vocabulary)


def local_code(code: Code) -> Code:
    """The code's concept in the omop-nlp vocabulary: its own code there, ``DCM:112120`` for others."""
    if code.vocabulary == LOCAL_VOCABULARY:
        return code
    return Code(LOCAL_VOCABULARY, f"{code.vocabulary}:{code.code}")


class ConceptResolver:
    """(vocabulary_id, concept_code) -> concept_id, loaded for a known set of codes in one pass."""

    def __init__(self, tables: CdmTables) -> None:
        self._tables = tables
        self._ids: dict[Code, int] = {}
        self.missing: list[Code] = []

    @classmethod
    def from_ids(cls, ids: dict[Code, int]) -> ConceptResolver:
        """A resolver already loaded (a Spark executor gets the driver's ``ids`` by broadcast)."""
        resolver = cls(None)  # type: ignore[arg-type]  # never queries
        resolver._ids = dict(ids)
        return resolver

    @property
    def ids(self) -> dict[Code, int]:
        return dict(self._ids)

    def load(self, conn: Connection, codes: Iterable[Code], *, warn: bool = True) -> list[Code]:
        """Look the codes up; returns (and, with ``warn``, warns once about) the ones the CONCEPT table lacks."""
        wanted = self.wanted(codes)
        rows = [*self._by_code(conn, with_local_codes(wanted)), *self._by_id(conn, wanted)]
        return self.settle(wanted, rows, warn=warn)

    def wanted(self, codes: Iterable[Code]) -> list[Code]:
        """The codes not resolved yet, in a stable order."""
        return sorted({c for c in codes if c is not None and c not in self._ids}, key=_sort_key)

    def settle(self, wanted: list[Code], rows: Iterable[tuple], *, warn: bool = True) -> list[Code]:
        """Resolve ``wanted`` from CONCEPT rows (vocabulary_id, concept_code, concept_id, invalid_reason) of
        ``with_local_codes(wanted)``, read by any means (SQL here, a Spark table in ``omop_nlp.engines.spark``);
        returns the missing codes."""
        found = pick_concepts(wanted, rows)
        missing = [c for c in wanted if c not in found]
        self._ids.update(found)
        self._ids.update(dict.fromkeys(missing, 0))
        self.missing.extend(missing)
        if missing and warn:
            listed = ", ".join(f"{omop_vocabulary(c)}:{c.code}" for c in missing)
            log.warning("%d code(s) not in the CONCEPT table, written with concept_id 0: %s", len(missing), listed)
        return missing

    def concept_id(self, code: Code | None) -> int:
        """The resolved id; 0 for no code or a code that was not loaded or not found."""
        return self._ids.get(code, 0) if code is not None else 0

    def _by_code(self, conn: Connection, codes: list[Code]) -> list[tuple]:
        concept = self._tables.concept
        pairs = sorted(by_code_pairs(codes))
        columns = (concept.c.vocabulary_id, concept.c.concept_code, concept.c.concept_id, concept.c.invalid_reason)
        rows: list[tuple] = []
        for start in range(0, len(pairs), _CHUNK):
            chunk = pairs[start : start + _CHUNK]
            cond = or_(*(and_(concept.c.vocabulary_id == v, concept.c.concept_code == k) for v, k in chunk))
            rows.extend(tuple(r) for r in conn.execute(select(*columns).where(cond)))
        return rows

    def _by_id(self, conn: Connection, codes: list[Code]) -> list[tuple]:
        concept = self._tables.concept
        ids = sorted(by_id_codes(codes))
        if not ids:
            return []
        rows = conn.execute(select(concept.c.concept_id).where(concept.c.concept_id.in_(ids)))
        return [(None, None, int(cid), None) for (cid,) in rows]


def by_code_pairs(codes: Iterable[Code]) -> set[tuple[str, str]]:
    """(vocabulary_id, concept_code) of the codes looked up by code."""
    return {(omop_vocabulary(c), c.code) for c in codes if c.vocabulary not in CONCEPT_ID_VOCABULARIES}


def by_id_codes(codes: Iterable[Code]) -> dict[int, Code]:
    """concept_id -> code for the codes that already are OMOP concept_ids (checked for existence)."""
    return {int(c.code): c for c in codes if c.vocabulary in CONCEPT_ID_VOCABULARIES and c.code.isdigit()}


def with_local_codes(codes: list[Code]) -> list[Code]:
    """The codes and, for those a site's vocabulary may lack, their local concepts (init-db --local-concepts)."""
    local = {local_code(c) for c in codes if c.vocabulary not in _NOT_LOCAL}
    return sorted(set(codes) | local, key=_sort_key)


def pick_concepts(codes: list[Code], rows: Iterable[tuple]) -> dict[Code, int]:
    """code -> concept_id from CONCEPT rows: the code's own concept, else its local one; a valid concept
    wins where a code has several rows (e.g. an updated one)."""
    by_id = by_id_codes(codes)
    found: dict[tuple[str, str], tuple[int, bool]] = {}
    ids: dict[Code, int] = {}
    for vocab, code, cid, invalid in rows:
        if int(cid) in by_id:
            ids[by_id[int(cid)]] = int(cid)
        if vocab is not None and ((vocab, code) not in found or found[(vocab, code)][1]):
            found[(vocab, code)] = (int(cid), invalid is not None)
    for c in codes:
        if c.vocabulary in CONCEPT_ID_VOCABULARIES:
            continue
        candidates = (c,) if c.vocabulary in _NOT_LOCAL else (c, local_code(c))
        key = next(((omop_vocabulary(k), k.code) for k in candidates if (omop_vocabulary(k), k.code) in found), None)
        if key is not None:
            ids[c] = found[key][0]
    return ids


def _sort_key(code: Code) -> tuple[str, str]:
    return (code.vocabulary, code.code)


def code_names() -> dict[Code, tuple[str, str]]:
    """Display name and OMOP domain of every code in the mappings."""
    names: dict[Code, tuple[str, str]] = {}
    for modality in MODALITIES:
        rules = load_rules(modality)
        names[rules.document_code] = (f"{rules.display} report", "Note")
        for d in rules.entities.values():
            names[d.code] = (d.display, "Condition" if rules.entity_type == "diagnosis" else "Observation")
        for d in rules.related.values():
            names[d.code] = (d.display, "Spec Anatomic Site" if rules.related_type == "location" else "Meas Value")
    return names


def mapping_codes(modalities: Iterable[str] = MODALITIES) -> set[Code]:
    """Every code the mappings can emit: entity and related keys, and episode concepts."""
    codes: set[Code] = set()
    for modality in modalities:
        rules = load_rules(modality)
        codes.update(key_def.code for key_def in (*rules.entities.values(), *rules.related.values()))
        codes.update(r.episode_concept for r in rules.related.values() if r.episode_concept is not None)
    return codes
