"""Claims on the real PostgreSQL server: a worker's claims, taken on its engine's one connection
between the batch's transactions, hold against another runner until released."""

from __future__ import annotations

from sqlalchemy import text

from omop_nlp.omop.claims import Claims
from omop_nlp.omop.connection import make_engine


def test_claims_on_a_one_connection_engine_outlive_its_transactions(pg_cdm) -> None:
    worker_engine = make_engine(pg_cdm.url, one_connection=True)
    other_engine = make_engine(pg_cdm.url)
    try:
        worker = Claims(worker_engine, "sys", own_connection=False)
        other = Claims(other_engine, "sys")
        assert worker.claim([1, 2, 3]) == {1, 2, 3}
        with worker_engine.connect() as conn:  # the batch's reads and its write transaction, on the same session
            conn.execute(text("SELECT 1"))
        with worker_engine.begin() as conn:
            conn.execute(text("SELECT 1"))
        with worker_engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            conn.rollback()
        assert other.claim([2, 3, 4]) == {4}  # held by the worker's session still
        other.release()
        worker.release()
        assert other.claim([1, 2, 3]) == {1, 2, 3}
        other.release()
        assert worker_engine.pool.size() == 1 and worker_engine.pool.checkedout() == 0
    finally:
        worker_engine.dispose()
        other_engine.dispose()
