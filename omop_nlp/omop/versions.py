"""A new version of the rules supersedes the old one's output, note by note.

``nlp_system`` is ``omop-nlp <version> <stage-2 mapper> <rules fingerprint>``. Two values that
differ only in version or fingerprint are versions of one system: when a run of the newer one
writes a note, the older ones' NOTE_NLP rows, CDM facts and ledger rows of that note go in the same
transaction, so a site never holds two full sets side by side. Systems with another stage-2
mapper (rules beside an LLM) or from another tool (cTAKES) are left alone; ``unload`` removes
any system explicitly.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, select

from omop_nlp.omop.concepts import ConceptResolver
from omop_nlp.omop.ids import IdAllocator
from omop_nlp.omop.ledger import Ledger
from omop_nlp.omop.tables import CdmTables
from omop_nlp.sinks.cdm_facts import CdmFactsWriter
from omop_nlp.sinks.note_nlp import NoteNlpWriter


def lineage(nlp_system: str) -> tuple[str, str] | None:
    """(tool, stage-2 mapper) of an omop-nlp ``nlp_system``; None for a value of another shape."""
    parts = nlp_system.split(" ")
    if len(parts) < 4:
        return None
    return parts[0], " ".join(parts[2:-1])


def previous_versions(conn: Connection, tables: CdmTables, nlp_system: str) -> list[str]:
    """The other versions of ``nlp_system`` that have notes in the ledger."""
    ledger = tables.ledger
    mine = lineage(nlp_system)
    systems = conn.execute(select(ledger.c.nlp_system).distinct()).scalars()
    return sorted(s for s in systems if s != nlp_system and mine is not None and lineage(s) == mine)


class PreviousVersions:
    """Removes what older versions wrote for the notes a run writes."""

    def __init__(self, tables: CdmTables, resolver: ConceptResolver, ids: IdAllocator, systems: list[str],
                 when: datetime) -> None:  # fmt: skip
        self.systems = systems
        self._writers = [
            (system, NoteNlpWriter(tables, resolver, ids, system, when), CdmFactsWriter(tables, resolver, ids, system),
             Ledger(tables, system, ""))
            for system in systems
        ]  # fmt: skip

    def remove(self, conn: Connection, note_ids: Iterable[int]) -> Counter:
        """Delete the older versions' rows of ``note_ids``; returns the notes superseded per system."""
        ids = sorted(set(note_ids))
        counts: Counter = Counter()
        if not ids:
            return counts
        for system, note_nlp, facts, ledger in self._writers:
            note_nlp.delete_notes(conn, ids)
            facts.delete_notes(conn, ids)
            counts[system] += ledger.delete_notes(conn, ids)
        return +counts
