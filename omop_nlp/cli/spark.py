"""``spark-run``: the Spark engine's command (omop_nlp.engines.spark); PySpark is the ``[spark]`` extra."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from omop_nlp.cli.app import app, check_modality, fail
from omop_nlp.cli.bert import BertDirs, BertThreads
from omop_nlp.cli.db import (
    CdmSchema,
    DateFrom,
    DateTo,
    MaxNoteChars,
    ModalityOption,
    NoteLimit,
    NoteTitle,
    ResultsSchema,
    _id_list,
    database_errors,
    note_filter,
    show_warnings,
)
from omop_nlp.cli.fhir_options import FhirAbsent, FhirConfig, FhirDocuments, FhirRequest, fhir_options
from omop_nlp.sources.omop_notes import DEFAULT_MAX_CHARS

_EXTRA = "pip install 'omop-nlp[spark]'"
_TABLE = "a catalog table (cdm.note) or a Parquet path (anything with a /)"


@app.command("spark-run")
def spark_run(
    note_table: Annotated[str | None, typer.Option(help=f"NOTE: {_TABLE}")] = None,
    concept_table: Annotated[str | None, typer.Option(help=f"CONCEPT with --note-table: {_TABLE}")] = None,
    note_nlp_table: Annotated[str | None, typer.Option(
        help=f"NOTE_NLP with --note-table, replaced for the processed notes: {_TABLE}")] = None,
    cdm: Annotated[str | None, typer.Option(
        "--cdm", help="the CDM database (PostgreSQL URL as for run): NOTE read, NOTE_NLP written over JDBC")] = None,
    jdbc_url: Annotated[str | None, typer.Option(
        help="the executors' JDBC URL (default: derived from --cdm; needed when --cdm uses a Unix socket)")] = None,
    cdm_schema: CdmSchema = None,
    results_schema: ResultsSchema = None,
    modality: ModalityOption = "auto",
    note_type_concept_id: _id_list("note_type_concept_ids") = None,
    note_class_concept_id: _id_list("note_class_concept_ids") = None,
    note_title: NoteTitle = None,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    note_id: _id_list("note_ids") = None,
    limit: NoteLimit = None,
    max_note_chars: MaxNoteChars = DEFAULT_MAX_CHARS,
    batch_size: Annotated[int, typer.Option(min=1, max=10000, help="notes per pandas batch")] = 200,
    partitions: Annotated[int | None, typer.Option(
        min=1, help="JDBC read partitions on note_id (default: the cluster's default parallelism)")] = None,
    staging_dir: Annotated[str | None, typer.Option(
        help="shared storage for the staged rows (default: <spark.sql.warehouse.dir>/omop_nlp_staging)")] = None,
    master: Annotated[str | None, typer.Option(
        help="Spark master when not started by spark-submit, e.g. local[4] (default: spark-submit's, else local[*])")
    ] = None,
    jars: Annotated[str | None, typer.Option(
        help="extra jars, e.g. the JDBC driver (default with --cdm: /usr/share/java/postgresql.jar)")] = None,
    bert: BertDirs = None,
    bert_threads: BertThreads = None,
    fhir_out: Annotated[str | None, typer.Option(
        help="also write FHIR R4 resources (NDJSON parts, a folder per resource type) to this path")] = None,
    fhir_create_documents: FhirDocuments = False,
    fhir_absent: FhirAbsent = False,
    fhir_config: FhirConfig = None,
) -> None:
    """Run the pipeline on Apache Spark: NOTE -> NOTE_NLP with the same rows as run (docs/spark.md)."""
    try:
        from omop_nlp.engines.spark import SparkRunOptions
        from omop_nlp.engines.spark import spark_run as run_on_spark
    except ImportError as exc:
        fail(f"spark-run needs the [spark] extra ({_EXTRA}): {exc.name} is missing")
    check_modality(modality)
    for folder in bert or []:
        if not Path(folder).is_dir():
            fail(f"--bert: not a folder: {folder}")
    filters = note_filter(note_type_concept_id, note_class_concept_id, note_title, date_from, date_to, note_id, limit)
    options = SparkRunOptions(
        note_table=note_table, concept_table=concept_table, note_nlp_table=note_nlp_table, cdm_url=cdm,
        jdbc_url=jdbc_url, cdm_schema=cdm_schema, results_schema=results_schema, filters=filters, modality=modality,
        max_note_chars=max_note_chars, batch_size=batch_size, partitions=partitions, bert_dirs=tuple(bert or ()),
        bert_threads=bert_threads, staging_dir=staging_dir, fhir_out=fhir_out,
        fhir=fhir_options("", FhirRequest(documents=fhir_create_documents, absent=fhir_absent, config=fhir_config))[0],
    )  # fmt: skip
    show_warnings()
    with database_errors():
        options.check()
        from pyspark.sql import SparkSession

        active = SparkSession.getActiveSession()  # a notebook's or a Databricks job's session is used, not stopped
        spark = active or _session(master, jars or (_postgres_jar() if cdm else None))
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
