"""Test CDMs: one made by ``init-db``, or one made by the official OHDSI v5.4 scripts as a site has it.

A module of its own (not conftest.py) so that tests import it by a name no other folder's
conftest shadows.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest


def admin_connection(server):
    import psycopg

    return psycopg.connect(server.get_uri(), autocommit=True)


class Cdm:
    """A CDM database for a test: init-db's tables, the demo CONCEPT subset, and helpers."""

    def __init__(self, url: str, cdm_schema: str | None = None, results_schema: str | None = None) -> None:
        from omop_nlp.omop.connection import make_engine
        from omop_nlp.omop.demo_db import init_cdm, load_concepts
        from omop_nlp.omop.tables import cdm_tables

        self.url = url
        self.cdm_schema = cdm_schema
        self.results_schema = results_schema
        self.engine = make_engine(url, create=True)
        self.tables = cdm_tables(cdm_schema, results_schema)
        init_cdm(self.engine, self.tables)
        with self.engine.begin() as conn:
            load_concepts(conn, self.tables)

    @classmethod
    def official(cls, url: str, schema: str | None = None, *, athena: bool = True) -> Cdm:
        """A CDM as a site has it: the official OHDSI v5.4 scripts (DDL, primary keys, the vocabulary
        subset omop-nlp needs, then ``init-db``, then the official indices and foreign keys, which must
        still apply after it). SQLite cannot ALTER TABLE ADD CONSTRAINT: there, DDL and indices only.
        NOTE_NLP is in the CDM schema, as in the official layout. ``athena``: CONCEPT lacks what an
        Athena download lacks (omop-nlp's own keys, DICOM), else it has every code the mappings use."""
        from omop_nlp.omop.connection import make_engine
        from omop_nlp.omop.demo_db import init_cdm
        from omop_nlp.omop.tables import cdm_tables

        cdm = cls.__new__(cls)
        cdm.url, cdm.cdm_schema, cdm.results_schema = url, schema, None
        cdm.engine = make_engine(url, create=True)
        cdm.tables = cdm_tables(schema)
        dialect = cdm.engine.dialect.name
        run_official(cdm.engine, "ddl", schema)
        if dialect == "postgresql":
            run_official(cdm.engine, "primary_keys", schema)
        with cdm.engine.begin() as conn:
            load_athena_subset(conn, schema, NOT_IN_ATHENA if athena else ())
        init_cdm(cdm.engine, cdm.tables)
        run_official(cdm.engine, "indices", schema)
        if dialect == "postgresql":
            run_official(cdm.engine, "constraints", schema)
        return cdm

    def add_notes(self, texts, *, start_id: int = 1, title: str | None = None, person_id: int = 1,
                  class_concept_id: int = 0) -> list[int]:  # fmt: skip
        """NOTE rows with these texts (str, bytes-as-str or None) and ids from ``start_id``, and
        their PERSON row where missing."""
        from datetime import date

        from sqlalchemy import select

        rows = [
            {"note_id": start_id + i, "person_id": person_id, "note_date": date(2025, 1, 2 + i % 20),
             "note_type_concept_id": 32817, "note_class_concept_id": class_concept_id, "note_title": title,
             "note_text": text, "encoding_concept_id": 32678, "language_concept_id": 4180186}
            for i, text in enumerate(texts)
        ]  # fmt: skip
        person = self.tables.person
        with self.engine.begin() as conn:
            if conn.execute(select(person.c.person_id).where(person.c.person_id == person_id)).first() is None:
                conn.execute(person.insert(), {"person_id": person_id, "gender_concept_id": 0, "year_of_birth": 1960,
                                               "race_concept_id": 0, "ethnicity_concept_id": 0})  # fmt: skip
            conn.execute(self.tables.note.insert(), rows)
        return [r["note_id"] for r in rows]

    def options(self, **kw):
        from omop_nlp.engines.cdm import RunOptions

        return RunOptions(cdm_schema=self.cdm_schema, results_schema=self.results_schema, **kw)

    def run(self, pipeline=None, on_result=None, config=None, **kw):
        """``run_cdm`` here; ``pipeline`` a ready Pipeline, ``config`` the PipelineConfig of RunOptions."""
        from omop_nlp.engines.cdm import run_cdm

        options = self.options(**kw, **({"pipeline": config} if config is not None else {}))
        return run_cdm(self.url, options, pipeline=pipeline, on_result=on_result)

    def rows(self, table_name: str, order_by: str | None = None, **where) -> list[dict]:
        from sqlalchemy import select

        table = getattr(self.tables, table_name)
        query = select(table).where(*(table.c[k] == v for k, v in where.items()))
        query = query.order_by(table.c[order_by] if order_by else next(iter(table.primary_key.columns)))
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def note_nlp(self, note_id: int | None = None) -> list[dict]:
        return self.rows("note_nlp", **({"note_id": note_id} if note_id is not None else {}))

    def content(self, *, except_note: int | None = None) -> list[tuple]:
        """NOTE_NLP rows without their ids and timestamps: what two equivalent runs must agree on."""
        skip = {"note_nlp_id", "nlp_datetime", "nlp_date"}
        rows = [tuple(v for k, v in sorted(r.items()) if k not in skip) for r in self.note_nlp()
                if r["note_id"] != except_note]  # fmt: skip
        return sorted(rows, key=repr)

    def ledger(self) -> dict[int, dict]:
        return {r["note_id"]: r for r in self.rows("ledger", order_by="note_id")}

    def close(self) -> None:
        self.engine.dispose()


def shared_dir() -> Path:
    """The project's shared data: $OMOP_NLP_SHARED, else ``shared/`` beside the repository (as in CI)."""
    path = Path(os.environ.get("OMOP_NLP_SHARED") or Path(__file__).resolve().parents[2] / "shared")
    if not (path / "omop-cdm-5.4").is_dir():
        pytest.fail(f"the official OMOP CDM DDL is not in {path}/omop-cdm-5.4: set OMOP_NLP_SHARED")
    return path


def official_statements(dialect: str, part: str, schema: str | None) -> list[str]:
    """The statements of the official ``OMOPCDM_<dialect>_5.4_<part>.sql``, for ``schema``."""
    path = shared_dir() / "omop-cdm-5.4" / dialect / f"OMOPCDM_{dialect}_5.4_{part}.sql"
    sql = re.sub(r"/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.S)
    sql = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    sql = sql.replace("@cdmDatabaseSchema.", f"{schema}." if schema else "")
    return [stmt.strip() for stmt in sql.split(";") if stmt.strip()]


def run_official(engine, part: str, schema: str | None) -> None:
    dialect = engine.dialect.name
    with engine.begin() as conn:
        if dialect == "postgresql" and part == "ddl" and schema:
            conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for stmt in official_statements(dialect, part, schema):
            conn.exec_driver_sql(stmt)


# Codes a site's Athena vocabulary lacks (concept 0 until `init-db --local-concepts`): omop-nlp's own keys, DICOM.
NOT_IN_ATHENA = ("omop-nlp", "DCM")


def load_athena_subset(conn, schema: str | None, lacking: tuple[str, ...] = NOT_IN_ATHENA) -> None:
    """CONCEPT rows for the codes omop-nlp resolves (the demo's, less what Athena lacks), concept 0, and
    the DOMAIN / VOCABULARY / CONCEPT_CLASS rows their foreign keys need, as a vocabulary load has."""
    from sqlalchemy import column, insert, table

    from omop_nlp.omop.demo_db import demo_concept_rows
    from omop_nlp.omop.tables import cdm_tables

    concepts = [r for r in demo_concept_rows() if r["vocabulary_id"] not in lacking]
    for row in concepts:  # Athena's ids are below the local range the demo gives codes it has no id for
        if row["concept_id"] >= 2_000_000_000:
            row["concept_id"] -= 1_000_000_000
    concepts.append({**concepts[0], "concept_id": 0, "concept_name": "No matching concept", "domain_id": "Metadata",
                     "vocabulary_id": "None", "concept_class_id": "Undefined", "standard_concept": None,
                     "concept_code": "No matching concept"})  # fmt: skip
    conn.execute(insert(cdm_tables(schema).concept), concepts)
    # Athena also has the 'Vocabulary' vocabulary and concept class that vocabulary concepts belong to.
    for name, extra in (("domain", set()), ("vocabulary", {"Vocabulary"}),
                        ("concept_class", {"Vocabulary", "Body Structure"})):
        key = f"{name}_id"
        target = table(name, column(key), column(f"{name}_name"), column(f"{name}_concept_id"), schema=schema)
        values = sorted({r[key] for r in concepts} | extra)
        conn.execute(insert(target), [{key: v, f"{name}_name": v, f"{name}_concept_id": 0} for v in values])


