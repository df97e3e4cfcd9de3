"""The ledger: one row per (note_id, nlp_system) saying what a run did with that note.

It is what makes ``run`` resumable (done notes are skipped), sensitive to edits (a different
text hash reprocesses the note) and safe beside a second ``run``: a writer locks the ledger
rows of its batch first, in note_id order, so two transactions on the same notes take turns
and the second sees what the first committed.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from omop_nlp.omop.tables import CdmTables


class Status(StrEnum):
    DONE = "done"  # rows written (possibly none: a note with no findings)
    SKIPPED = "skipped"  # cannot be processed as it is (reason in ``error``); retried only if the text changes
    FAILED = "failed"  # an unexpected error; retried by the next run
    PENDING = "pending"  # placeholder while a writer holds the lock; never committed as such
    # Rows written, FHIR output not yet delivered (accepted or dead-lettered): not final, so a run
    # stopped before the delivery rebuilds and resends the note (PUT and the NDJSON ids deduplicate).
    FHIR_PENDING = "fhir_pending"


FINAL = (Status.DONE.value, Status.SKIPPED.value)
_ERROR_LEN = 250


def text_hash(text: str | bytes | None) -> str:
    """sha256 of the note text as stored; ``null`` for a NULL text."""
    if text is None:
        return "null"
    raw = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    return hashlib.sha256(raw).hexdigest()


@dataclass(frozen=True)
class LedgerState:
    text_hash: str | None
    status: str
    facts: bool = False  # the note's CDM facts were written (a run with --cdm-facts)

    def is_final_for(self, current_hash: str) -> bool:
        return self.status in FINAL and self.text_hash == current_hash

    def is_done_for(self, current_hash: str, *, with_facts: bool) -> bool:
        """Nothing left to do for this text: final, and with its facts where facts are wanted."""
        lacks_facts = with_facts and self.status == Status.DONE and not self.facts
        return self.is_final_for(current_hash) and not lacks_facts


@dataclass(frozen=True)
class LedgerEntry:
    note_id: int
    text_hash: str
    status: Status
    error: str | None = None
    facts: bool = False


class Ledger:
    def __init__(self, tables: CdmTables, nlp_system: str, run_id: str) -> None:
        self._table = tables.ledger
        self.nlp_system = nlp_system
        self.run_id = run_id

    def states(self, conn: Connection, note_ids: list[int], *, lock: bool = False) -> dict[int, LedgerState]:
        t = self._table
        query = (
            select(t.c.note_id, t.c.text_hash, t.c.status, t.c.facts)
            .where(t.c.nlp_system == self.nlp_system, t.c.note_id.in_(note_ids))
            .order_by(t.c.note_id)
        )
        if lock:
            query = query.with_for_update()
        return {int(r.note_id): LedgerState(r.text_hash, r.status, r.facts == "Y") for r in conn.execute(query)}

    def lock(self, conn: Connection, note_ids: list[int]) -> dict[int, LedgerState]:
        """Lock the batch's ledger rows (creating placeholders) and return their committed state.

        Placeholders are inserted in note_id order with ON CONFLICT DO NOTHING: an insert that
        meets another transaction's uncommitted row waits for it, so two writers of the same
        note are serialized, and ordered locking cannot deadlock.
        """
        ids = sorted(set(note_ids))
        if not ids:
            return {}
        insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        placeholders = [
            {"note_id": i, "nlp_system": self.nlp_system, "status": Status.PENDING.value, "run_id": self.run_id}
            for i in ids
        ]
        conn.execute(insert(self._table).values(placeholders).on_conflict_do_nothing())
        return self.states(conn, ids, lock=True)

    def record(self, conn: Connection, entries: list[LedgerEntry], when: datetime) -> None:
        t = self._table
        if not entries:
            return
        stmt = (
            update(t)
            .where(t.c.note_id == bindparam("b_note_id"), t.c.nlp_system == bindparam("b_nlp_system"))
            .values(
                text_hash=bindparam("b_hash"),
                status=bindparam("b_status"),
                error=bindparam("b_error"),
                facts=bindparam("b_facts"),
                run_id=self.run_id,
                processed_at=when,
            )
        )
        conn.execute(
            stmt,
            [
                {
                    "b_note_id": e.note_id,
                    "b_nlp_system": self.nlp_system,
                    "b_hash": e.text_hash,
                    "b_status": e.status.value,
                    "b_error": e.error[:_ERROR_LEN] if e.error else None,
                    "b_facts": "Y" if e.facts else None,
                }
                for e in entries
            ],
        )

    def mark_delivered(self, conn: Connection, note_ids: list[int], when: datetime) -> int:
        """FHIR_PENDING -> DONE for notes whose FHIR output was delivered."""
        t = self._table
        count = 0
        for start in range(0, len(note_ids), 1000):
            chunk = note_ids[start : start + 1000]
            count += conn.execute(
                update(t)
                .where(t.c.nlp_system == self.nlp_system, t.c.note_id.in_(chunk),
                       t.c.status == Status.FHIR_PENDING.value)
                .values(status=Status.DONE.value, processed_at=when)
            ).rowcount
        return count

    def delete_notes(self, conn: Connection, note_ids: list[int]) -> int:
        t = self._table
        return conn.execute(t.delete().where(t.c.nlp_system == self.nlp_system, t.c.note_id.in_(note_ids))).rowcount

    def delete_system(self, conn: Connection) -> int:
        return conn.execute(self._table.delete().where(self._table.c.nlp_system == self.nlp_system)).rowcount

