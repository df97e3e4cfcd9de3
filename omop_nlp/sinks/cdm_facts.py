"""ATLAS-usable clinical rows (``run --cdm-facts``): ATLAS cannot query NOTE_NLP.

- brain MRI, present diagnosis -> CONDITION_OCCURRENCE (type 32858 NLP); hedged -> OBSERVATION
  (OMOP puts rule-out diagnoses there), value_as_string 'hedged';
- chest CT, present or hedged lesion -> one OBSERVATION per location (type 32858), the location
  as qualifier_concept_id, the certainty in value_as_string;
- malignant diagnosis with an episode -> EPISODE (Progression 32949, Stable Disease 32948,
  improvement -> Partial Remission 32947) + EPISODE_EVENT to its condition occurrence
  (field concept 1147127).

Every row is recorded in ``omop_nlp_fact`` with its note and nlp_system, which is how a re-run
replaces exactly its own rows and ``unload`` finds them. Row ids come from ``IdAllocator``.
Design and the cohort example: ``docs/atlas.md``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sqlalchemy import Connection, Table, select

from omop_nlp.model import Certainty, Result
from omop_nlp.omop.bulk import bulk_insert
from omop_nlp.omop.concepts import ConceptResolver
from omop_nlp.omop.ids import IdAllocator
from omop_nlp.omop.tables import CdmTables
from omop_nlp.rules import Code, ModalityRules, load_rules

NLP_TYPE = Code("Type Concept", "32858")
CONDITION_OCCURRENCE_FIELD = Code("CDM", "1147127")

def fixed_id(code: Code) -> int:
    """Type, field and episode concepts are OMOP-defined ids: used as they are."""
    return int(code.code)


@dataclass
class FactRows:
    """The fact rows of some notes before ids are allocated, each with its ``_note_id``."""

    conditions: list[dict]
    observations: list[dict]
    episodes: list[tuple[dict, int]]  # (episode row, index into conditions)


class CdmFacts:
    """Builds the fact rows of extracted notes, without a database: ``run --cdm-facts`` writes them
    (``CdmFactsWriter``), ``spark-run --cdm-facts`` builds them on the executors."""

    def __init__(self, resolver: ConceptResolver) -> None:
        self._resolver = resolver

    @staticmethod
    def codes() -> set[Code]:
        """Concepts this writer needs checked in CONCEPT (missing ones are warned about)."""
        return {NLP_TYPE, CONDITION_OCCURRENCE_FIELD}

    def episode_concept_id(self, rules: ModalityRules, episode_key: str) -> int:
        code = rules.related[episode_key].episode_concept
        if code is None:
            return 0
        return fixed_id(code) if code.vocabulary == "Episode" else self._resolver.concept_id(code)

    def rows(self, results: Mapping[int, Result], visits: Mapping[int, int | None]) -> FactRows:
        """The rows of ``results`` (by note_id) in note_id order; a note without person or date has none."""
        pending = FactRows([], [], [])
        for note_id, result in sorted(results.items()):
            report = result.report
            if report.person_id is None or report.note_date is None:
                continue
            base = {"person_id": report.person_id, "note_id": note_id, "visit": visits.get(note_id)}
            self._collect(pending, base, result)
        return pending

    def _collect(self, pending: FactRows, base: dict, result: Result) -> None:
        rules = load_rules(result.modality)
        day = result.report.note_date
        for key, finding in sorted(result.findings.items()):
            key_def = rules.entities.get(key)
            if key_def is None:  # findings hold only present keys (known, treated disease included)
                continue
            concept_id = self._resolver.concept_id(key_def.code)
            hedged = finding.certainty == Certainty.HEDGED
            if rules.entity_type == "diagnosis" and not hedged:
                pending.conditions.append(self._condition(base, concept_id, day, key))
                if rules.is_malignant(key):
                    for episode in sorted(set(finding.related) & set(rules.related)):
                        episode_row = self._episode(base, self.episode_concept_id(rules, episode), concept_id, day,
                                                    f"{key}:{episode}")  # fmt: skip
                        pending.episodes.append((episode_row, len(pending.conditions) - 1))
            elif rules.entity_type == "diagnosis":
                pending.observations.append(self._observation(base, concept_id, day, key, finding.certainty, None))
            else:
                for location in sorted(set(finding.related)) or [None]:
                    pending.observations.append(
                        self._observation(base, concept_id, day, key, finding.certainty, (rules, location))
                    )

    def _condition(self, base: dict, concept_id: int, day, key: str) -> dict:
        return {
            "person_id": base["person_id"], "condition_concept_id": concept_id, "condition_start_date": day,
            "condition_type_concept_id": fixed_id(NLP_TYPE), "condition_status_concept_id": 0,
            "visit_occurrence_id": base["visit"], "condition_source_value": key[:50],
            "condition_source_concept_id": 0, "_note_id": base["note_id"],
        }  # fmt: skip

    def _observation(self, base: dict, concept_id: int, day, key: str, certainty: Certainty,
                     location: tuple[ModalityRules, str | None] | None) -> dict:  # fmt: skip
        qualifier_id, qualifier = 0, None
        if location is not None and location[1] is not None:
            rules, qualifier = location
            loc_def = rules.related.get(qualifier)
            qualifier_id = self._resolver.concept_id(loc_def.code) if loc_def else 0
        return {
            "person_id": base["person_id"], "observation_concept_id": concept_id, "observation_date": day,
            "observation_type_concept_id": fixed_id(NLP_TYPE), "value_as_string": certainty.value,
            "qualifier_concept_id": qualifier_id, "qualifier_source_value": qualifier,
            "visit_occurrence_id": base["visit"], "observation_source_value": key[:50],
            "observation_source_concept_id": 0, "_note_id": base["note_id"],
        }  # fmt: skip

    def _episode(self, base: dict, episode_concept_id: int, object_concept_id: int, day, source: str) -> dict:
        return {
            "person_id": base["person_id"], "episode_concept_id": episode_concept_id, "episode_start_date": day,
            "episode_object_concept_id": object_concept_id, "episode_type_concept_id": fixed_id(NLP_TYPE),
            "episode_source_value": source[:50], "episode_source_concept_id": 0, "_note_id": base["note_id"],
        }  # fmt: skip


class CdmFactsWriter(CdmFacts):
    """Writes a batch's fact rows with ids from ``IdAllocator`` and their provenance rows."""

    def __init__(self, tables: CdmTables, resolver: ConceptResolver, ids: IdAllocator, nlp_system: str) -> None:
        super().__init__(resolver)
        self._t = tables
        self._ids = ids
        self.nlp_system = nlp_system

    def replace(self, conn: Connection, note_ids: Iterable[int], results: Mapping[int, Result],
                visits: Mapping[int, int | None]) -> Counter:  # fmt: skip
        """Delete this system's facts for ``note_ids`` and write those of ``results``; counts per table."""
        self.delete_notes(conn, note_ids)
        return self._insert(conn, self.rows(results, visits))

    def _insert(self, conn: Connection, pending: FactRows) -> Counter:
        t = self._t
        counts: Counter = Counter()
        condition_ids = self._insert_rows(conn, t.condition_occurrence, pending.conditions, counts)
        self._insert_rows(conn, t.observation, pending.observations, counts)
        episode_ids = self._insert_rows(conn, t.episode, [row for row, _ in pending.episodes], counts)
        events = [
            {"episode_id": eid, "event_id": condition_ids[idx],
             "episode_event_field_concept_id": fixed_id(CONDITION_OCCURRENCE_FIELD)}
            for eid, (_, idx) in zip(episode_ids, pending.episodes, strict=True)
        ]  # fmt: skip
        if events:
            counts[t.episode_event.name] += bulk_insert(conn, t.episode_event, events)
        return counts

    def _insert_rows(self, conn: Connection, table: Table, rows: list[dict], counts: Counter) -> list[int]:
        if not rows:
            return []
        pk = next(iter(table.primary_key.columns)).name
        ids = self._ids.allocate(conn, table, len(rows))
        provenance = []
        for row, new_id in zip(rows, ids, strict=True):
            row[pk] = new_id
            provenance.append({"table_name": table.name, "row_id": new_id, "note_id": row.pop("_note_id"),
                               "nlp_system": self.nlp_system})  # fmt: skip
        bulk_insert(conn, table, rows)
        bulk_insert(conn, self._t.fact, provenance)
        counts[table.name] += len(rows)
        return ids

    def delete_notes(self, conn: Connection, note_ids: Iterable[int]) -> Counter:
        ids = sorted(set(note_ids))
        return self._delete(conn, ids) if ids else Counter()

    def delete_system(self, conn: Connection) -> Counter:
        """Every fact this nlp_system wrote (``unload``)."""
        return self._delete(conn, None)

    def _delete(self, conn: Connection, note_ids: list[int] | None) -> Counter:
        fact = self._t.fact
        scope = [fact.c.nlp_system == self.nlp_system]
        if note_ids is not None:
            scope.append(fact.c.note_id.in_(note_ids))
        counts: Counter = Counter()
        # Only tables that hold our rows are touched: a CDM without EPISODE still works without --cdm-facts.
        used = set(conn.execute(select(fact.c.table_name).where(*scope).distinct()).scalars())
        for name, table in self._t.fact_tables.items():
            if name not in used:
                continue
            mine = select(fact.c.row_id).where(fact.c.table_name == name, *scope)
            if table is self._t.episode:
                event = self._t.episode_event
                counts[event.name] += conn.execute(event.delete().where(event.c.episode_id.in_(mine))).rowcount
            pk = next(iter(table.primary_key.columns))
            counts[name] += conn.execute(table.delete().where(pk.in_(mine))).rowcount
        conn.execute(fact.delete().where(*scope))
        return +counts
