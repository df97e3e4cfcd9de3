"""Work claiming: a run extracts only the notes it has claimed, so N concurrent runners share the
notes instead of all extracting every batch and throwing most of the work away.

PostgreSQL: a session-level advisory lock per (nlp_system, note_id), taken with
``pg_try_advisory_lock`` (never waits) on one connection the claimer keeps for itself. A note
another session holds is left to that session. When a claimer dies, its connection closes and the
server releases its claims at once: no lease to expire, nothing to clean up. SQLite has one
writer at a time anyway; there every note counts as claimed and the ledger settles the rest.

A worker process of ``run --workers N`` has an engine of one connection (``make_engine(...,
one_connection=True)``): its claims are taken on that connection, between the transactions that
read and write the batch. Session-level advisory locks outlive transactions, commits and rollbacks
alike, so the claim holds until ``release``; should the connection be lost and replaced meanwhile,
the claims went with the old session, as when a claimer dies.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, BIGINT
from sqlalchemy.exc import DBAPIError

_TRY = text(
    "SELECT k FROM unnest(:ids) AS k "
    "WHERE pg_try_advisory_lock(hashtextextended(:system || ':' || k::text, 0))"
).bindparams(bindparam("ids", type_=ARRAY(BIGINT)))


class Claims:
    def __init__(self, engine: Engine, nlp_system: str, *, own_connection: bool = True) -> None:
        """``own_connection``: keep a connection of its own for the claims; False for an engine
        whose pool is one connection, which the claims then share with the batches."""
        self._engine = engine
        self._system = nlp_system
        self._own = own_connection
        self._conn: Connection | None = None

    @property
    def active(self) -> bool:
        return self._engine.dialect.name == "postgresql"

    def claim(self, note_ids: list[int]) -> set[int]:
        """The notes of ``note_ids`` now claimed by this claimer (those held elsewhere left out)."""
        if not self.active or not note_ids:
            return set(note_ids)
        with self._session() as conn:
            return {int(k) for k in conn.execute(_TRY, {"ids": sorted(note_ids), "system": self._system}).scalars()}

    def release(self) -> None:
        """Give back every claim (after the batch's write transaction committed or failed)."""
        if not self.active or (self._own and self._conn is None):
            return
        try:
            with self._session() as conn:
                conn.execute(text("SELECT pg_advisory_unlock_all()"))
        except DBAPIError:  # the session is gone, and its claims with it; the next claim reconnects
            self.close()

    def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                conn.close()
            except DBAPIError:
                conn.invalidate()

    @contextmanager
    def _session(self) -> Iterator[Connection]:
        """The connection whose session holds the claims: this claimer's own, kept open, or (a
        one-connection engine) the engine's only one, checked out for the statement."""
        if not self._own:
            with self._engine.connect() as conn:
                yield conn
            return
        if self._conn is None:
            self._conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        yield self._conn
