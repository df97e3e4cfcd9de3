"""spark-run's option checks and JDBC URL derivation (no JVM)."""

from __future__ import annotations

import pytest

from omop_nlp.engines.spark.job import SparkRunOptions, jdbc_target
from omop_nlp.errors import UsageError
from omop_nlp.omop.connection import DatabaseError


def test_the_executors_jdbc_url_comes_from_the_cdm_url() -> None:
    url, props = jdbc_target("postgresql://etl:s3cret@cdm-db.example.org:6543/omop", None)
    assert url == "jdbc:postgresql://cdm-db.example.org:6543/omop"
    assert props == {"driver": "org.postgresql.Driver", "user": "etl", "password": "s3cret"}
    assert jdbc_target("postgresql://etl@cdm-db/omop", None)[0] == "jdbc:postgresql://cdm-db:5432/omop"
    given = "jdbc:postgresql://10.0.0.5:5432/omop?ssl=true"
    assert jdbc_target("postgresql://etl@/omop?host=/run/postgresql", given) == (given, {
        "driver": "org.postgresql.Driver", "user": "etl"})


def test_a_unix_socket_cdm_url_needs_a_jdbc_url() -> None:
    with pytest.raises(DatabaseError, match="--jdbc-url"):
        jdbc_target("postgresql://etl@/omop?host=/run/postgresql", None)


@pytest.mark.parametrize("options, message", [
    (SparkRunOptions(), "give either --note-table"),
    (SparkRunOptions(note_table="cdm.note", cdm_url="postgresql://h/db"), "give either --note-table"),
    (SparkRunOptions(note_table="cdm.note", concept_table="cdm.concept"), "needs --concept-table and --note-nlp-table"),
])  # fmt: skip
def test_usage_errors(options: SparkRunOptions, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        options.check()


def test_a_stage_table_of_an_older_version_is_made_again_while_empty(pg_cdm) -> None:
    """The stage only holds rows while a spark-run writes: one without today's columns is replaced."""
    from sqlalchemy import Column, Integer, MetaData, String, Table, inspect

    from omop_nlp.engines.spark.job import _create_stage, stage_table

    stage = stage_table(pg_cdm.tables)
    old = Table(stage.name, MetaData(schema=stage.schema), Column("run_id", String(36)), Column("note_id", Integer))
    old.create(pg_cdm.engine)
    _create_stage(pg_cdm.engine, stage)
    columns = {c["name"] for c in inspect(pg_cdm.engine).get_columns(stage.name, schema=stage.schema)}
    assert {"fact", "condition_row", "kind"} <= columns
    with pg_cdm.engine.begin() as conn:  # a running spark-run's rows are never dropped
        conn.execute(stage.insert(), {"run_id": "r", "kind": "note", "note_id": 1, "row_in_note": -1})
        conn.exec_driver_sql(f"ALTER TABLE {stage.schema}.{stage.name} DROP COLUMN fact")
    with pytest.raises(DatabaseError, match="older omop-nlp"):
        _create_stage(pg_cdm.engine, stage)
