"""Site-local concepts for the keys a site's vocabulary has no concept for (``init-db --local-concepts``).

Some keys have no standard concept (bronchial wall thickening, pleural thickening, primary CNS
lymphoma: code ``omop-nlp:<key>`` in mappings/) or one the site's Athena download lacks (DICOM's
ground-glass opacity). Written as concept 0, ATLAS concept sets cannot select them. The OMOP
convention for such concepts: ids from 2,000,000,000 up, in a vocabulary of the site's own,
registered in VOCABULARY with a concept of its own. Idempotent: a code that resolves (to a
standard concept or to its local one) is never added twice.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, Engine, func, insert, select, text

from omop_nlp import __version__
from omop_nlp.omop.concepts import (
    CONCEPT_ID_VOCABULARIES,
    LOCAL_VOCABULARY,
    ConceptResolver,
    code_names,
    local_code,
    mapping_codes,
)
from omop_nlp.omop.connection import write_transaction
from omop_nlp.omop.tables import CdmTables

LOCAL_ID_START = 2_000_000_000  # OMOP: concept_ids >= 2,000,000,000 are the site's own
VALID_FROM, VALID_TO = date(1970, 1, 1), date(2099, 12, 31)
_LOCK_KEY = 0x6F6D6F71  # serializes id allocation between two concurrent `init-db --local-concepts`


def add_local_concepts(engine: Engine, tables: CdmTables) -> list[tuple[int, str, str]]:
    """Add a local concept for every mappings code the CONCEPT table lacks; returns (id, code, name) added."""
    with write_transaction(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        codes = {c for c in mapping_codes() if c.vocabulary not in CONCEPT_ID_VOCABULARIES}
        missing = ConceptResolver(tables).load(conn, codes, warn=False)
        if not missing:
            return []
        next_id = _next_local_id(conn, tables)
        next_id = _ensure_vocabulary(conn, tables, next_id)
        names = code_names()
        rows = []
        for concept_id, code in enumerate(sorted(missing, key=lambda c: (c.vocabulary, c.code)), start=next_id):
            name, domain = names.get(code, (code.code, "Observation"))
            klass = "Body Structure" if domain == "Spec Anatomic Site" else "Clinical Finding"
            rows.append(_concept(concept_id, name, domain, LOCAL_VOCABULARY, klass, local_code(code).code, "S"))
        conn.execute(insert(tables.concept), rows)
        return [(r["concept_id"], r["concept_code"], r["concept_name"]) for r in rows]


def _next_local_id(conn: Connection, tables: CdmTables) -> int:
    concept = tables.concept
    top = conn.execute(select(func.max(concept.c.concept_id)).where(concept.c.concept_id >= LOCAL_ID_START)).scalar()
    return LOCAL_ID_START if top is None else int(top) + 1


def _ensure_vocabulary(conn: Connection, tables: CdmTables, next_id: int) -> int:
    """The VOCABULARY row of omop-nlp and its concept (domain Metadata, class Vocabulary), once."""
    vocabulary = tables.vocabulary
    if conn.execute(select(vocabulary.c.vocabulary_id).where(vocabulary.c.vocabulary_id == LOCAL_VOCABULARY)).first():
        return next_id
    name = "omop-nlp radiology NLP keys (site-local concepts)"
    conn.execute(insert(tables.concept), [_concept(next_id, name, "Metadata", "Vocabulary", "Vocabulary",
                                                   "OMOP generated", None)])  # fmt: skip
    conn.execute(insert(vocabulary), [{
        "vocabulary_id": LOCAL_VOCABULARY, "vocabulary_name": name, "vocabulary_reference": "omop-nlp mappings/",
        "vocabulary_version": f"omop-nlp {__version__}", "vocabulary_concept_id": next_id,
    }])  # fmt: skip
    return next_id + 1


def _concept(concept_id: int, name: str, domain: str, vocabulary: str, klass: str, code: str,
             standard: str | None) -> dict:  # fmt: skip
    return {
        "concept_id": concept_id, "concept_name": name[:255], "domain_id": domain, "vocabulary_id": vocabulary,
        "concept_class_id": klass, "standard_concept": standard, "concept_code": code[:50],
        "valid_start_date": VALID_FROM, "valid_end_date": VALID_TO, "invalid_reason": None,
    }  # fmt: skip
