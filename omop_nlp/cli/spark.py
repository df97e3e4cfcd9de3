"""``spark-run``: the Spark engine's command (omop_nlp.engines.spark); PySpark is the ``[spark]`` extra."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from omop_nlp.cli.app import app, fail
from omop_nlp.cli.db import database_errors, show_warnings
from omop_nlp.cli.fhir_output import fhir_options
from omop_nlp.cli.options import (
    CdmWriteOptions,
    ConnectionOptions,
    FhirOutputOptions,
    NoteSelectionOptions,
    PipelineOptions,
    grouped,
)

_EXTRA = "pip install 'omop-nlp[spark]'"
_TABLE = "a catalog table (cdm.note) or a Parquet path (anything with a /)"


@app.command("spark-run")
@grouped
def spark_run(
    connection: ConnectionOptions,
    pipeline: PipelineOptions,
    notes: NoteSelectionOptions,
    fhir: FhirOutputOptions,
    writing: CdmWriteOptions,
    note_table: Annotated[str | None, typer.Option(help=f"NOTE: {_TABLE}")] = None,
    concept_table: Annotated[str | None, typer.Option(help=f"CONCEPT with --note-table: {_TABLE}")] = None,
    note_nlp_table: Annotated[str | None, typer.Option(
        help=f"NOTE_NLP with --note-table, replaced for the processed notes: {_TABLE}")] = None,
    jdbc_url: Annotated[str | None, typer.Option(
        help="the executors' JDBC URL (default: derived from --cdm; needed when --cdm uses a Unix socket)")] = None,
    partitions: Annotated[int | None, typer.Option(
        min=1, help="JDBC read partitions on note_id (default: the cluster's default parallelism)")] = None,
    staging_dir: Annotated[str | None, typer.Option(
        help="shared storage for the staged rows (default: <spark.sql.warehouse.dir>/omop_nlp_staging)")] = None,
    master: Annotated[str | None, typer.Option(
        help="Spark master when not started by spark-submit, e.g. local[4] (default: spark-submit's, else local[*])")
    ] = None,
    jars: Annotated[str | None, typer.Option(
        help="extra jars, e.g. the JDBC driver (default with --cdm: /usr/share/java/postgresql.jar)")] = None,
    facts_location: Annotated[str | None, typer.Option(
        help="with --note-table and --cdm-facts: the catalog database or folder of the fact tables "
             "(default: NOTE_NLP's)")] = None,
) -> None:
    """Run the pipeline on Apache Spark: NOTE -> NOTE_NLP with the same rows as run (docs/spark.md).

    With --cdm (PostgreSQL) NOTE is read and NOTE_NLP written over JDBC, skipping the notes the ledger
    says are done (--reprocess: all); --cdm-facts also writes run's facts; --fhir-out also writes FHIR
    R4 resources (NDJSON parts, a folder per resource type) to that path."""
    try:
        from omop_nlp.engines.spark import SparkRunOptions
        from omop_nlp.engines.spark import spark_run as run_on_spark
    except ImportError as exc:
        fail(f"spark-run needs the [spark] extra ({_EXTRA}): {exc.name} is missing")
    config = pipeline.config()
    if config.llm is not None:
        fail("spark-run maps relations with the rules only (--mapper rules)")
    if fhir.server.fhir_url:
        fail("spark-run writes FHIR files (--fhir-out), it sends to no server (--fhir-url)")
    options = SparkRunOptions(
        note_table=note_table, concept_table=concept_table, note_nlp_table=note_nlp_table,
        cdm_url=connection.cdm if note_table is None else None,  # $OMOP_NLP_CDM does not compete with --note-table
        jdbc_url=jdbc_url, cdm_schema=connection.cdm_schema, results_schema=connection.results_schema,
        filters=notes.filter(), pipeline=config, batch_size=writing.batch_size, partitions=partitions,
        staging_dir=staging_dir, fhir_out=str(fhir.fhir_out) if fhir.fhir_out else None,
        fhir=fhir_options("", fhir)[0], cdm_facts=writing.cdm_facts, facts_location=facts_location,
        reprocess=writing.reprocess,
    )  # fmt: skip
    show_warnings()
    with database_errors():
        options.check()
        from pyspark.sql import SparkSession

        active = SparkSession.getActiveSession()  # a notebook's or a Databricks job's session is used, not stopped
        spark = active or _session(master, jars or (_postgres_jar() if connection.cdm else None))
        try:
            summary = _spark_errors(lambda: run_on_spark(spark, options))
        finally:
            if active is None:
                spark.stop()
    for line in summary.lines():
        typer.echo(line)


def _session(master: str | None, jars: str | None):
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("omop-nlp spark-run").config("spark.sql.session.timeZone", "UTC")
    if master:
        builder = builder.master(master)
    if jars:
        builder = builder.config("spark.jars", jars)
    local = (master or os.environ.get("MASTER") or "local").startswith("local")
    if local and "PYSPARK_PYTHON" not in os.environ:  # local workers run this Python, with omop-nlp installed
        os.environ["PYSPARK_PYTHON"] = sys.executable
    return builder.getOrCreate()


def _postgres_jar() -> str | None:
    from omop_nlp.engines.spark.job import POSTGRES_JAR

    return POSTGRES_JAR if Path(POSTGRES_JAR).exists() else None


def _spark_errors(job):
    """Spark's analysis errors (a missing table or column) as one line, not a JVM stack."""
    from pyspark.errors import AnalysisException

    try:
        return job()
    except AnalysisException as exc:
        fail(f"spark: {str(exc).splitlines()[0]}")
