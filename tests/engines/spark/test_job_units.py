"""spark-run's option checks and JDBC URL derivation (no JVM)."""

from __future__ import annotations

import pytest

from omop_nlp.engines.spark.job import SparkRunOptions, jdbc_target
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
    with pytest.raises(DatabaseError, match=message):
        options.check()
