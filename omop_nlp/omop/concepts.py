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

    def load(self, conn: Connection, codes: Iterable[Code], *, warn: bool = True) -> list[Code]:
        """Look the codes up; returns (and, with ``warn``, warns once about) the ones the CONCEPT table lacks."""
        wanted = sorted({c for c in codes if c is not None and c not in self._ids}, key=_sort_key)
        found = {**self._by_code(conn, wanted), **self._by_id(conn, wanted)}
        # A code the site's vocabulary lacks may have its local concept (init-db --local-concepts).
        locals_ = {local_code(c): c for c in wanted if c not in found and c.vocabulary not in _NOT_LOCAL}
        found |= {locals_[local]: cid for local, cid in self._by_code(conn, list(locals_)).items()}
        missing = [c for c in wanted if c not in found]
        self._ids.update(found)
        self._ids.update(dict.fromkeys(missing, 0))
        self.missing.extend(missing)
        if missing and warn:
            listed = ", ".join(f"{omop_vocabulary(c)}:{c.code}" for c in missing)
            log.warning("%d code(s) not in the CONCEPT table, written with concept_id 0: %s", len(missing), listed)
        return missing

    @property
    def ids(self) -> dict[Code, int]:
        return dict(self._ids)

    def concept_id(self, code: Code | None) -> int:
        """The resolved id; 0 for no code or a code that was not loaded or not found."""
        return self._ids.get(code, 0) if code is not None else 0

    def _by_code(self, conn: Connection, codes: list[Code]) -> dict[Code, int]:
        concept = self._tables.concept
        pairs = [(omop_vocabulary(c), c.code) for c in codes if c.vocabulary not in CONCEPT_ID_VOCABULARIES]
        found: dict[tuple[str, str], tuple[int, bool]] = {}
        for start in range(0, len(pairs), _CHUNK):
            chunk = pairs[start : start + _CHUNK]
            cond = or_(*(and_(concept.c.vocabulary_id == v, concept.c.concept_code == k) for v, k in chunk))
            query = select(
                concept.c.vocabulary_id, concept.c.concept_code, concept.c.concept_id, concept.c.invalid_reason
            ).where(cond)
            for vocab, code, cid, invalid in conn.execute(query):
                # Prefer a valid concept where a code has several rows (e.g. an updated one).
                if (vocab, code) not in found or found[(vocab, code)][1]:
                    found[(vocab, code)] = (int(cid), invalid is not None)
        return {c: found[(omop_vocabulary(c), c.code)][0] for c in codes if (omop_vocabulary(c), c.code) in found}

    def _by_id(self, conn: Connection, codes: list[Code]) -> dict[Code, int]:
        concept = self._tables.concept
        by_id = {int(c.code): c for c in codes if c.vocabulary in CONCEPT_ID_VOCABULARIES and c.code.isdigit()}
        if not by_id:
            return {}
        rows = conn.execute(select(concept.c.concept_id).where(concept.c.concept_id.in_(sorted(by_id))))
        return {by_id[int(cid)]: int(cid) for (cid,) in rows}


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
