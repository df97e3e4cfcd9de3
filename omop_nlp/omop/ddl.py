"""Runs the plain DDL in ``sql/<dialect>/*.sql``: ``init-db`` all of it, ``run`` the tool's own part.

The DDL is kept as SQL files, not generated from SQLAlchemy, so that a DBA can read and run it
by hand; ``@cdm_schema.`` and ``@results_schema.`` are the only placeholders.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import Connection, Engine, inspect, text

from omop_nlp.data_files import data_dir
from omop_nlp.omop.connection import write_transaction

SQL_ENV = "OMOP_NLP_SQL"
CDM_FILES = ("01_cdm.sql", "02_results.sql", "03_omop_nlp.sql")
TOOL_FILES = ("03_omop_nlp.sql",)
# Serializes DDL between concurrent runs: CREATE ... IF NOT EXISTS is not race-free in PostgreSQL.
_DDL_LOCK_KEY = 0x6F6D6F70  # "omop"


def sql_dir() -> Path:
    """The DDL folder: $OMOP_NLP_SQL, the copy inside the wheel, or the checkout's ``sql/``."""
    return data_dir("sql", SQL_ENV)


def dialect_dir(dialect: str) -> Path:
    return sql_dir() / ("postgresql" if dialect == "postgresql" else "sqlite")


def render(sql: str, quote_schema, cdm_schema: str | None, results_schema: str | None) -> str:
    """Replace the schema placeholders by quoted names, or drop them to use the search path."""
    for placeholder, schema in (("@cdm_schema.", cdm_schema), ("@results_schema.", results_schema)):
        sql = sql.replace(placeholder, f"{quote_schema(schema)}." if schema else "")
    return sql


def statements(sql: str) -> list[str]:
    """Split a DDL file on ';' at the end of a line; comment lines are dropped."""
    body = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
    return [stmt.strip() for stmt in body.split(";\n") if stmt.strip().rstrip(";").strip()]


def execute_ddl(
    engine: Engine,
    files: tuple[str, ...],
    cdm_schema: str | None = None,
    results_schema: str | None = None,
) -> int:
    """Execute the DDL files in one transaction; returns the number of statements run."""
    dialect = engine.dialect.name
    results_schema = results_schema if results_schema is not None else cdm_schema
    quote = engine.dialect.identifier_preparer.quote_schema
    count = 0
    with write_transaction(engine) as conn:
        if dialect == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _DDL_LOCK_KEY})
            _create_schemas(conn, quote, files, cdm_schema, results_schema)
        existing = _existing_tables(conn, cdm_schema, results_schema)
        for name in files:
            path = dialect_dir(dialect) / name
            for stmt in statements(render(path.read_text(encoding="utf-8"), quote, cdm_schema, results_schema)):
                if name not in TOOL_FILES and _on_existing_table(stmt, existing):
                    continue
                conn.exec_driver_sql(stmt.rstrip(";"))
                count += 1
    return count


_TARGET_TABLE = re.compile(
    r'^CREATE\s+(?:INDEX\b.*?\bON|TABLE\s+IF\s+NOT\s+EXISTS)\s+(?:"?(\w+)"?\.)?"?(\w+)"?\s*\(', re.I | re.S
)


def _existing_tables(conn: Connection, *schemas: str | None) -> set[tuple[str | None, str]]:
    inspector = inspect(conn)
    return {(schema, name) for schema in set(schemas) for name in inspector.get_table_names(schema=schema)}


def _on_existing_table(stmt: str, existing: set[tuple[str | None, str]]) -> bool:
    """A CREATE TABLE or CREATE INDEX for a CDM table that was there before init-db: the site's,
    never touched. Not even sent: PostgreSQL checks CREATE on the schema before IF NOT EXISTS, and
    a role may write NOTE_NLP in a results schema beside a CDM schema it only reads. Indexes (the
    official indices script names its own) go only on the CDM tables init-db created."""
    match = _TARGET_TABLE.match(stmt.strip())
    return match is not None and (match.group(1), match.group(2).lower()) in existing


def _create_schemas(
    conn: Connection, quote, files: tuple[str, ...], cdm_schema: str | None, results_schema: str | None
) -> None:
    """Create missing schemas only: CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even
    when the schema exists, which a least-privileged production role does not have."""
    wanted = {results_schema} | ({cdm_schema} if "01_cdm.sql" in files else set())
    for schema in sorted(s for s in wanted if s):
        exists = conn.execute(text("SELECT 1 FROM pg_namespace WHERE nspname = :n"), {"n": schema}).first()
        if exists is None:
            conn.exec_driver_sql(f"CREATE SCHEMA {quote(schema)}")


_TOOL_SEQUENCES = ("omop_nlp_note_nlp_seq", "omop_nlp_condition_occurrence_seq", "omop_nlp_observation_seq",
                   "omop_nlp_episode_seq")


def ensure_tool_tables(engine: Engine, tables) -> None:
    """The tool's own tables (ledger, fact provenance, id sequences), created only when missing:
    a run by a role without CREATE (or ownership) works once ``init-db`` made them."""
    inspector = inspect(engine)
    schema = tables.ledger.schema
    missing = not all(inspector.has_table(t.name, schema=schema) for t in (tables.ledger, tables.fact))
    if engine.dialect.name == "postgresql":
        missing = missing or not all(inspector.has_sequence(s, schema=schema) for s in _TOOL_SEQUENCES)
    if missing:
        execute_ddl(engine, TOOL_FILES, tables.cdm_schema, tables.results_schema)
    _add_missing_columns(engine, tables.ledger)


def _add_missing_columns(engine: Engine, table) -> None:
    """Columns a later version added to one of the tool's own tables (the ledger's ``facts``)."""
    present = {c["name"] for c in inspect(engine).get_columns(table.name, schema=table.schema)}
    missing = [c for c in table.columns if c.name not in present]
    if not missing:
        return
    name = engine.dialect.identifier_preparer.format_table(table)
    with write_transaction(engine) as conn:
        for column in missing:
            conn.exec_driver_sql(f"ALTER TABLE {name} ADD COLUMN {column.name} {column.type.compile(engine.dialect)}")
