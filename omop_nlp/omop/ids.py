"""Row ids for NOTE_NLP and the ``--cdm-facts`` tables that two concurrent runs cannot both take.

PostgreSQL: one sequence per table in the results schema (``03_omop_nlp.sql``). nextval never
returns the same value twice, whatever the number of writers; at the start of a run each
sequence is moved past the table's max(id), so rows written by other tools are never reused.

SQLite: one writer at a time holds the database lock (``write_transaction`` starts with BEGIN
IMMEDIATE), so max(id)+1.. read inside that transaction is free until it commits.
"""

from __future__ import annotations

from sqlalchemy import Connection, Table, func, select, text

from omop_nlp.omop.tables import CdmTables

_SYNC_LOCK_KEY = 0x6F6D6F71


def sequence_name(table: Table) -> str:
    return f"omop_nlp_{table.name}_seq"


class IdAllocator:
    """Hands out blocks of new primary-key values per table, inside the caller's write transaction."""

    def __init__(self, tables: CdmTables, dialect: str) -> None:
        self._tables = tables
        self._dialect = dialect

    def _qualified_sequence(self, conn: Connection, table: Table) -> str:
        quote = conn.dialect.identifier_preparer
        schema = self._tables.results_schema
        name = quote.quote(sequence_name(table))
        return f"{quote.quote_schema(schema)}.{name}" if schema else name

    def sync(self, conn: Connection, tables: list[Table]) -> None:
        """Move each PostgreSQL sequence forward past max(id) of its table (never backwards)."""
        if self._dialect != "postgresql":
            return
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SYNC_LOCK_KEY})
        for table in tables:
            seq = self._qualified_sequence(conn, table)
            pk = _pk(table)
            top = conn.execute(select(func.max(pk))).scalar()
            if top is None:
                continue
            last = conn.execute(text(f"SELECT last_value FROM {seq}")).scalar()
            if top >= last:
                conn.execute(text("SELECT setval(CAST(:seq AS regclass), :v)"), {"seq": seq, "v": int(top)})

    def allocate(self, conn: Connection, table: Table, n: int) -> list[int]:
        if n <= 0:
            return []
        if self._dialect == "postgresql":
            seq = self._qualified_sequence(conn, table)
            rows = conn.execute(
                text("SELECT nextval(CAST(:seq AS regclass)) FROM generate_series(1, :n)"), {"seq": seq, "n": n}
            )
            return sorted(int(r[0]) for r in rows)
        top = conn.execute(select(func.coalesce(func.max(_pk(table)), 0))).scalar()
        return list(range(int(top) + 1, int(top) + 1 + n))


def _pk(table: Table):
    return next(iter(table.primary_key.columns))
