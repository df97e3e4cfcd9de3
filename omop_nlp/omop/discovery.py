"""Finding the CDM a run was pointed at, and saying where it is when it was pointed elsewhere.

A site's CDM usually lives in a schema of its own (``cdm``, ``omop``, ``cdm_2024``), which the
search path does not name: a run that finds no NOTE must stop and name the schemas that hold
one, never create or accept an empty CDM and "succeed" with 0 notes.
"""

from __future__ import annotations

from sqlalchemy import Connection, Table, inspect, select, text

from omop_nlp.omop.connection import DatabaseError
from omop_nlp.omop.tables import CdmTables


def qualified(table: Table) -> str:
    return f"{table.schema}.{table.name}" if table.schema else table.name


def schemas_with_table(conn: Connection, name: str) -> list[str]:
    """The schemas (PostgreSQL) holding a table or view ``name`` this role can see."""
    if conn.dialect.name != "postgresql":
        return []
    rows = conn.execute(text("SELECT DISTINCT table_schema FROM information_schema.tables WHERE table_name = :n "
                             "ORDER BY table_schema"), {"n": name})  # fmt: skip
    return [r[0] for r in rows]


def _where(conn: Connection, tables: CdmTables) -> str:
    if tables.cdm_schema:
        return f"schema {tables.cdm_schema}"
    if conn.dialect.name != "postgresql":
        return "the database"
    path = conn.execute(text("SELECT array_to_string(current_schemas(false), ', ')")).scalar()
    return f"the search path ({path or 'empty'})"


def check_tool_tables(conn: Connection, tables: CdmTables) -> None:
    """Raise ``DatabaseError`` unless omop-nlp's own tables are where a run would have made them."""
    ledger = tables.ledger
    if inspect(conn).has_table(ledger.name, schema=ledger.schema):
        return
    where = f"schema {ledger.schema}" if ledger.schema else _where(conn, tables)
    elsewhere = schemas_with_table(conn, ledger.name)
    hint = f"; they are in schema(s) {', '.join(elsewhere)}: pass --cdm-schema/--results-schema" if elsewhere else ""
    raise DatabaseError(f"no omop-nlp tables ({ledger.name}) in {where}: omop-nlp wrote nothing there{hint}")


def check_cdm(conn: Connection, tables: CdmTables, needed: list[Table]) -> None:
    """Raise ``DatabaseError`` unless NOTE and the ``needed`` tables exist and NOTE holds notes."""
    inspector = inspect(conn)
    if not inspector.has_table(tables.note.name, schema=tables.note.schema):
        elsewhere = schemas_with_table(conn, tables.note.name)
        if elsewhere:
            hint = (f"--cdm-schema {elsewhere[0]}" if len(elsewhere) == 1
                    else f"--cdm-schema with one of {', '.join(elsewhere)}")  # fmt: skip
            raise DatabaseError(f"no NOTE table in {_where(conn, tables)}; NOTE is in schema(s) "
                                f"{', '.join(elsewhere)}: pass {hint}")  # fmt: skip
        raise DatabaseError(f"no OMOP CDM found: no NOTE table in {_where(conn, tables)} or any other schema; "
                            "point --cdm/--cdm-schema at the CDM (`omop-nlp init-db` makes an empty one, for tests)")
    missing = [qualified(t) for t in needed if not inspector.has_table(t.name, schema=t.schema)]
    if missing:
        raise DatabaseError(f"table(s) not found: {', '.join(missing)}; create them with `omop-nlp init-db`")
    if conn.execute(select(tables.note.c.note_id).limit(1)).first() is None:
        raise DatabaseError(f"the NOTE table {qualified(tables.note)} is empty: there is nothing to process "
                            "(is this the CDM the notes were loaded into?)")  # fmt: skip
