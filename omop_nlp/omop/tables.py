"""SQLAlchemy Core definitions of the CDM v5.4 tables omop-nlp touches, and of its own tables.

Tables are defined explicitly (no reflection) so that every dialect behaves the same and the
site's extra columns or indexes never matter. They must agree with ``sql/<dialect>/*.sql``,
which ``init-db`` executes; a test checks that they do.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
)


def _id(name: str, **kw) -> Column:
    return Column(name, BigInteger, **kw)


def _concept(name: str, nullable: bool = True) -> Column:
    return Column(name, Integer, nullable=nullable)


def _person(md: MetaData) -> Table:
    return Table(
        "person", md,
        _id("person_id", primary_key=True, autoincrement=False),
        _concept("gender_concept_id", False),
        Column("year_of_birth", Integer, nullable=False),
        Column("month_of_birth", Integer),
        Column("day_of_birth", Integer),
        Column("birth_datetime", DateTime),
        _concept("race_concept_id", False),
        _concept("ethnicity_concept_id", False),
        _id("location_id"),
        _id("provider_id"),
        _id("care_site_id"),
        Column("person_source_value", String(50)),
        Column("gender_source_value", String(50)),
        _concept("gender_source_concept_id"),
        Column("race_source_value", String(50)),
        _concept("race_source_concept_id"),
        Column("ethnicity_source_value", String(50)),
        _concept("ethnicity_source_concept_id"),
    )  # fmt: skip


def _note(md: MetaData) -> Table:
    return Table(
        "note", md,
        _id("note_id", primary_key=True, autoincrement=False),
        _id("person_id", nullable=False),
        Column("note_date", Date, nullable=False),
        Column("note_datetime", DateTime),
        _concept("note_type_concept_id", False),
        _concept("note_class_concept_id", False),
        Column("note_title", String(250)),
        Column("note_text", Text, nullable=False),
        _concept("encoding_concept_id", False),
        _concept("language_concept_id", False),
        _id("provider_id"),
        _id("visit_occurrence_id"),
        _id("visit_detail_id"),
        Column("note_source_value", String(50)),
        _id("note_event_id"),
        _concept("note_event_field_concept_id"),
    )  # fmt: skip


def _concept_table(md: MetaData) -> Table:
    return Table(
        "concept", md,
        Column("concept_id", Integer, primary_key=True, autoincrement=False),
        Column("concept_name", String(255), nullable=False),
        Column("domain_id", String(20), nullable=False),
        Column("vocabulary_id", String(20), nullable=False),
        Column("concept_class_id", String(20), nullable=False),
        Column("standard_concept", String(1)),
        Column("concept_code", String(50), nullable=False),
        Column("valid_start_date", Date, nullable=False),
        Column("valid_end_date", Date, nullable=False),
        Column("invalid_reason", String(1)),
    )  # fmt: skip


def _vocabulary(md: MetaData) -> Table:
    return Table(
        "vocabulary", md,
        Column("vocabulary_id", String(20), primary_key=True),
        Column("vocabulary_name", String(255), nullable=False),
        Column("vocabulary_reference", String(255)),
        Column("vocabulary_version", String(255)),
        _concept("vocabulary_concept_id", False),
    )  # fmt: skip


def _condition_occurrence(md: MetaData) -> Table:
    return Table(
        "condition_occurrence", md,
        _id("condition_occurrence_id", primary_key=True, autoincrement=False),
        _id("person_id", nullable=False),
        _concept("condition_concept_id", False),
        Column("condition_start_date", Date, nullable=False),
        Column("condition_start_datetime", DateTime),
        Column("condition_end_date", Date),
        Column("condition_end_datetime", DateTime),
        _concept("condition_type_concept_id", False),
        _concept("condition_status_concept_id"),
        Column("stop_reason", String(20)),
        _id("provider_id"),
        _id("visit_occurrence_id"),
        _id("visit_detail_id"),
        Column("condition_source_value", String(50)),
        _concept("condition_source_concept_id"),
        Column("condition_status_source_value", String(50)),
    )  # fmt: skip


def _observation(md: MetaData) -> Table:
    return Table(
        "observation", md,
        _id("observation_id", primary_key=True, autoincrement=False),
        _id("person_id", nullable=False),
        _concept("observation_concept_id", False),
        Column("observation_date", Date, nullable=False),
        Column("observation_datetime", DateTime),
        _concept("observation_type_concept_id", False),
        Column("value_as_number", Numeric),
        Column("value_as_string", String(60)),
        _concept("value_as_concept_id"),
        _concept("qualifier_concept_id"),
        _concept("unit_concept_id"),
        _id("provider_id"),
        _id("visit_occurrence_id"),
        _id("visit_detail_id"),
        Column("observation_source_value", String(50)),
        _concept("observation_source_concept_id"),
        Column("unit_source_value", String(50)),
        Column("qualifier_source_value", String(50)),
        Column("value_source_value", String(50)),
        _id("observation_event_id"),
        _concept("obs_event_field_concept_id"),
    )  # fmt: skip


def _episode(md: MetaData) -> Table:
    return Table(
        "episode", md,
        _id("episode_id", primary_key=True, autoincrement=False),
        _id("person_id", nullable=False),
        _concept("episode_concept_id", False),
        Column("episode_start_date", Date, nullable=False),
        Column("episode_start_datetime", DateTime),
        Column("episode_end_date", Date),
        Column("episode_end_datetime", DateTime),
        _id("episode_parent_id"),
        Column("episode_number", Integer),
        _concept("episode_object_concept_id", False),
        _concept("episode_type_concept_id", False),
        Column("episode_source_value", String(50)),
        _concept("episode_source_concept_id"),
    )  # fmt: skip


def _episode_event(md: MetaData) -> Table:
    return Table(
        "episode_event", md,
        _id("episode_id", nullable=False),
        _id("event_id", nullable=False),
        _concept("episode_event_field_concept_id", False),
    )  # fmt: skip


def _note_nlp(md: MetaData) -> Table:
    return Table(
        "note_nlp", md,
        _id("note_nlp_id", primary_key=True, autoincrement=False),
        _id("note_id", nullable=False),
        _concept("section_concept_id"),
        Column("snippet", String(250)),
        Column("offset", String(50)),
        Column("lexical_variant", String(250), nullable=False),
        _concept("note_nlp_concept_id"),
        _concept("note_nlp_source_concept_id"),
        Column("nlp_system", String(250)),
        Column("nlp_date", Date, nullable=False),
        Column("nlp_datetime", DateTime),
        Column("term_exists", String(1)),
        Column("term_temporal", String(50)),
        Column("term_modifiers", String(2000)),
    )  # fmt: skip


def _ledger(md: MetaData) -> Table:
    return Table(
        "omop_nlp_ledger", md,
        _id("note_id", primary_key=True, autoincrement=False),
        Column("nlp_system", String(250), primary_key=True),
        Column("text_hash", String(64)),
        Column("status", String(16), nullable=False),
        Column("error", String(250)),
        Column("run_id", String(36)),
        Column("processed_at", DateTime),
        Column("facts", String(1)),
    )  # fmt: skip


def _fact(md: MetaData) -> Table:
    return Table(
        "omop_nlp_fact", md,
        Column("table_name", String(40), primary_key=True),
        _id("row_id", primary_key=True, autoincrement=False),
        _id("note_id", nullable=False),
        Column("nlp_system", String(250), nullable=False),
    )  # fmt: skip


@dataclass(frozen=True)
class CdmTables:
    """Every table omop-nlp uses, bound to the CDM schema or the results schema."""

    cdm_schema: str | None
    results_schema: str | None
    person: Table
    note: Table
    concept: Table
    vocabulary: Table
    condition_occurrence: Table
    observation: Table
    episode: Table
    episode_event: Table
    note_nlp: Table
    ledger: Table
    fact: Table

    @property
    def fact_tables(self) -> dict[str, Table]:
        """The clinical tables ``--cdm-facts`` writes to, by name (the provenance key)."""
        return {t.name: t for t in (self.condition_occurrence, self.observation, self.episode)}


@cache
def cdm_tables(cdm_schema: str | None = None, results_schema: str | None = None) -> CdmTables:
    """Tables for a CDM in ``cdm_schema`` with NOTE_NLP and the tool's tables in ``results_schema``.

    ``results_schema`` defaults to the CDM schema, as ``--results-schema`` does.
    """
    results_schema = results_schema if results_schema is not None else cdm_schema
    cdm = MetaData(schema=cdm_schema)
    results = MetaData(schema=results_schema)
    return CdmTables(
        cdm_schema=cdm_schema,
        results_schema=results_schema,
        person=_person(cdm),
        note=_note(cdm),
        concept=_concept_table(cdm),
        vocabulary=_vocabulary(cdm),
        condition_occurrence=_condition_occurrence(cdm),
        observation=_observation(cdm),
        episode=_episode(cdm),
        episode_event=_episode_event(cdm),
        note_nlp=_note_nlp(results),
        ledger=_ledger(results),
        fact=_fact(results),
    )
