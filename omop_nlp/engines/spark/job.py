"""``spark-run``: NOTE -> NOTE_NLP on Apache Spark, where a lakehouse CDM or a large one lives.

Two steps, each safe against task retries and re-runs (design and limits: ``docs/spark.md``):

1. NOTE (a Spark table, a Parquet path, or the CDM database over JDBC partitioned on note_id)
   -> the batch function of ``omop_nlp.engines.spark.batch`` through ``mapInPandas`` -> a Parquet staging
   folder. Spark's file commit protocol keeps exactly one attempt of each task, and nothing is
   collected to the driver; the summary comes from aggregates of the staged rows.
2. staging -> NOTE_NLP, replacing this nlp_system's rows of the processed notes:
   - database: the staged rows are appended over JDBC to ``omop_nlp_spark_stage`` (one transaction
     per partition), then one transaction per note_id range upserts the ledger, deletes the old
     rows and inserts the new ones, de-duplicated on (note_id, row_in_note), with ids from the
     ``run`` sequence; a concurrent ``run`` never gets the same id and waits on the ledger rows;
   - table or Parquet path: the kept rows plus the new ones (ids max(note_nlp_id)+1.. in note and
     mention order) are written beside the target, which is then swapped in.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, func, literal, select, text
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.dialects.postgresql import insert as pg_insert

from omop_nlp.engines.spark.batch import (
    DATABASE_COLUMNS,
    NOTE_COLUMNS,
    NOTE_NLP_COLUMNS,
    STAGE_SCHEMA,
    BatchSpec,
    SiteConcepts,
    fhir_builder,
    note_nlp_batches,
)
from omop_nlp.omop.concepts import ConceptResolver, by_code_pairs, by_id_codes, mapping_codes, with_local_codes
from omop_nlp.omop.connection import DatabaseError, make_engine, write_transaction
from omop_nlp.omop.runner import CdmRun, Extractor, RunOptions, RunSummary, pipeline_factory, selection_concept_ids
from omop_nlp.omop.tables import CdmTables
from omop_nlp.sinks.fhir.builder import FhirOptions
from omop_nlp.sinks.fhir.ndjson import dumps
from omop_nlp.sinks.note_nlp import section_codes
from omop_nlp.sources.note_selection import REASON_PREFIX, load_selection_rules
from omop_nlp.sources.omop_notes import DEFAULT_MAX_CHARS, NoteFilter

log = logging.getLogger(__name__)

POSTGRES_JAR = "/usr/share/java/postgresql.jar"  # Debian's libpostgresql-jdbc-java
SWAP_CHUNK = 20_000  # notes per write transaction of the database swap (ids travel as bind parameters)
BatchFunction = Callable  # (BatchSpec, concept ids, iterator of pandas frames) -> iterator of pandas frames


@dataclass(frozen=True)
class SparkRunOptions:
    """Where notes come from and where NOTE_NLP goes: a table/Parquet path, or the CDM database."""

    note_table: str | None = None  # table name (Hive metastore / catalog) or Parquet path
    concept_table: str | None = None  # with note_table: the site's CONCEPT (name or path)
    note_nlp_table: str | None = None  # with note_table: NOTE_NLP (name or path), replaced in place
    cdm_url: str | None = None  # the CDM database (as for `run`): read over JDBC, written over JDBC
    jdbc_url: str | None = None  # the executors' JDBC URL (default: derived from cdm_url)
    cdm_schema: str | None = None
    results_schema: str | None = None
    filters: NoteFilter = field(default_factory=NoteFilter)
    modality: str = "auto"
    max_note_chars: int = DEFAULT_MAX_CHARS
    batch_size: int = 200  # notes per pandas batch (Arrow records per batch)
    partitions: int | None = None  # JDBC read partitions (default: the cluster's default parallelism)
    bert_dirs: tuple[str, ...] = ()
    bert_threads: int | None = None
    staging_dir: str | None = None  # shared storage for step 1 (default: under the warehouse dir)
    fhir_out: str | None = None  # also write FHIR R4 resources here, a folder of NDJSON parts per type
    fhir: FhirOptions | None = None  # the builder's options (identifier systems, documents, absent)

    def check(self) -> None:
        if (self.note_table is None) == (self.cdm_url is None):
            raise DatabaseError("give either --note-table (Spark table or Parquet path) or --cdm (the CDM database)")
        if self.note_table is not None and not (self.concept_table and self.note_nlp_table):
            raise DatabaseError("--note-table needs --concept-table and --note-nlp-table")


@dataclass
class SparkRunSummary(RunSummary):
    """``run``'s summary, and the FHIR resources built by type and the notes FHIR skipped by reason."""

    fhir: Counter = field(default_factory=Counter)
    fhir_skipped: Counter = field(default_factory=Counter)

    def lines(self) -> list[str]:
        out = super().lines()
        if self.fhir or self.fhir_skipped:
            built = ", ".join(f"{t} {n}" for t, n in sorted(self.fhir.items())) or "none"
            skipped = ", ".join(f"{r} {n}" for r, n in sorted(self.fhir_skipped.items())) or "none"
            out.append(f"FHIR resources: {built}; notes skipped: {skipped}")
        return out


def spark_run(spark, options: SparkRunOptions, *, batch: BatchFunction = note_nlp_batches) -> SparkRunSummary:
    """Run the pipeline over NOTE on ``spark``; returns ``run``'s summary (and FHIR's counts)."""
    options.check()
    started = time.monotonic()
    job = _DatabaseJob(spark, options) if options.cdm_url else _TableJob(spark, options)
    try:
        job.prepare()
        summary = SparkRunSummary(nlp_system=job.nlp_system, run_id=job.run_id)
        fhir = replace(options.fhir or FhirOptions(), nlp_system=job.nlp_system) if options.fhir_out else None
        spec = BatchSpec(job.nlp_system, job.when, options.modality, options.max_note_chars, options.bert_dirs,
                         options.bert_threads, fhir)  # fmt: skip
        site = spark.sparkContext.broadcast(SiteConcepts(job.concepts.ids, job.documents))
        notes = select_notes(job.notes(), options.filters, options.max_note_chars)
        spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(options.batch_size))
        staged = notes.mapInPandas(lambda frames: batch(spec, site.value, frames), STAGE_SCHEMA)
        staged.write.mode("overwrite").parquet(job.staging)
        staged = spark.read.parquet(job.staging)
        _count(summary, staged)
        if fhir is not None:
            write_fhir(spark, staged, fhir_builder(spec).device, options.fhir_out)
        summary.superseded.update(job.write(staged))
        summary.seconds = time.monotonic() - started
        return summary
    finally:
        job.close()


def select_notes(notes, filters: NoteFilter, max_chars: int):
    """``run``'s note selection (``OmopNoteSource``) as Spark column expressions, the batch
    function's columns, and ``note_text`` NULL past ``max_chars`` so that it is never shipped."""
    from pyspark.sql import functions as F

    c = F.col
    conds = []
    if filters.type_concept_ids:
        conds.append(c("note_type_concept_id").isin(list(filters.type_concept_ids)))
    if filters.class_concept_ids:
        conds.append(c("note_class_concept_id").isin(list(filters.class_concept_ids)))
    if filters.title_pattern:
        conds.append(c("note_title").ilike(filters.title_like))
    if filters.date_from:
        conds.append(c("note_date") >= F.lit(filters.date_from))
    if filters.date_to:
        conds.append(c("note_date") <= F.lit(filters.date_to))
    if filters.note_ids:
        conds.append(c("note_id").isin(sorted(set(filters.note_ids))))
    for cond in conds:
        notes = notes.where(cond)
    if filters.limit is not None:
        notes = notes.orderBy("note_id").limit(filters.limit)
    n_chars = F.length("note_text")
    columns = {name: c(name) for name in NOTE_COLUMNS if name not in ("n_chars", "note_text")}
    return notes.select(
        *columns.values(), n_chars.alias("n_chars"),
        F.when(n_chars <= max_chars, c("note_text")).alias("note_text"),
    )  # fmt: skip


def write_fhir(spark, staged, device: dict, out: str) -> None:
    """The staged resources and the run's Device as NDJSON text parts, one folder per resource type
    (``resource_type=Observation/part-*.txt``); a re-run replaces the folder."""
    from pyspark.sql import functions as F

    resources = staged.where(F.col("kind") == "fhir").select("resource_type", "resource")
    shared = spark.createDataFrame([(device["resourceType"], dumps(device))], "resource_type string, resource string")
    resources.unionByName(shared).write.mode("overwrite").partitionBy("resource_type").text(out)


def _count(summary: SparkRunSummary, staged) -> None:
    """The run's counters from aggregates of the staged rows (a handful of rows reach the driver)."""
    from pyspark.sql import functions as F

    for row in staged.groupBy("kind", "status", "reason", "resource_type").agg(F.count("*").alias("n")).collect():
        if row.kind == "fhir":
            summary.fhir[row.resource_type] += row.n
        elif row.kind == "fhir_skipped":
            summary.fhir_skipped[row.reason] += row.n
        elif row.kind == "note_nlp":
            summary.note_nlp_rows += row.n
        elif row.status == "done":
            summary.processed += row.n
        elif row.status == "skipped":
            summary.skipped[row.reason or "skipped"] += row.n
        else:
            summary.failed[row.reason or "error"] += row.n
    summary.selected = summary.seen


def _codes():
    return mapping_codes() | section_codes()


class _Job:
    def __init__(self, spark, options: SparkRunOptions) -> None:
        self.spark = spark
        self.options = options
        self.run_id = str(uuid.uuid4())
        self.staging = (options.staging_dir or _warehouse(spark)).rstrip("/") + f"/omop_nlp_staging/{self.run_id}"
        self.nlp_system = ""
        self.when = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        self.concepts = ConceptResolver.from_ids({})
        self.documents: dict = {}  # the site's ids of the note selection's document codes

    def factory(self):
        return pipeline_factory(self.options.bert_dirs, self.options.bert_threads)

    def close(self) -> None:
        _delete_path(self.spark, self.staging)


class _TableJob(_Job):
    """NOTE and CONCEPT from Spark tables or Parquet paths; NOTE_NLP replaced in a table or path."""

    def prepare(self) -> None:
        self.nlp_system = Extractor(self.factory(), self.options.modality).nlp_system
        documents = ConceptResolver.from_ids({})
        wanted, documents_wanted = self.concepts.wanted(_codes()), documents.wanted(load_selection_rules().codes())
        rows = self._concept_rows([*wanted, *documents_wanted])
        self.concepts.settle(wanted, rows)
        documents.settle(documents_wanted, rows, warn=False)  # a site need not have every document code
        self.documents = documents.ids

    def _concept_rows(self, wanted: list) -> list[tuple]:
        from pyspark.sql import functions as F

        pairs = by_code_pairs(with_local_codes(wanted))
        concept = read_table(self.spark, self.options.concept_table)
        found = concept.where(
            F.col("concept_id").isin(sorted(by_id_codes(wanted)))
            | (F.col("vocabulary_id").isin(sorted({v for v, _ in pairs}))
               & F.col("concept_code").isin(sorted({k for _, k in pairs})))
        ).select("vocabulary_id", "concept_code", "concept_id", "invalid_reason")  # fmt: skip
        return [tuple(r) for r in found.collect()]  # the few concepts of mappings/, never notes

    def notes(self):
        return read_table(self.spark, self.options.note_table)

    def write(self, staged) -> Counter:
        from pyspark.sql import functions as F

        target = self.options.note_nlp_table
        new = staged.where(F.col("kind") == "note_nlp").dropDuplicates(["note_id", "row_in_note"])
        processed = staged.where(F.col("kind") == "note").select("note_id").distinct()
        base, kept = 0, None
        if table_exists(self.spark, target):
            existing = read_table(self.spark, target)
            base = existing.agg(F.max("note_nlp_id")).first()[0] or 0
            done = processed.withColumn("_replaced", F.lit(True))
            kept = (existing.join(done, "note_id", "left")
                    .where(~(F.coalesce("_replaced", F.lit(False)) & (F.col("nlp_system") == self.nlp_system)))
                    .select(*existing.columns))  # fmt: skip
        rows = _with_ids(self.spark, new, base)
        out = rows if kept is None else kept.unionByName(rows.select(*kept.columns))
        _replace_table(self.spark, target, out, self.run_id)
        return Counter()  # older versions' rows in a table are left to the site (docs/spark.md)


def _with_ids(spark, new, base: int):
    """NOTE_NLP rows with note_nlp_id = base+1.. in (note_id, row_in_note) order: contiguous, and
    the same for a retried task, since the order is total."""
    from pyspark.sql.types import LongType, StructField, StructType

    ordered = new.orderBy("note_id", "row_in_note").select("note_id", *NOTE_NLP_COLUMNS)
    schema = StructType([StructField("note_nlp_id", LongType(), False), *ordered.schema.fields])
    ids = ordered.rdd.zipWithIndex().map(lambda pair: (base + 1 + pair[1], *pair[0]))
    return spark.createDataFrame(ids, schema)


class _DatabaseJob(_Job):
    """The CDM database: ``run``'s checks, concepts and id sequences; NOTE and NOTE_NLP over JDBC."""

    def prepare(self) -> None:
        o = self.options
        self.engine: Engine = make_engine(o.cdm_url)
        if self.engine.dialect.name != "postgresql":
            raise DatabaseError("spark-run --cdm needs PostgreSQL (JDBC); for other CDMs use --note-table")
        run = CdmRun(self.engine, RunOptions(cdm_schema=o.cdm_schema, results_schema=o.results_schema,
                                             modality=o.modality), self.factory())  # fmt: skip
        run.prepare()  # the CDM tables checked, the tool's created, concepts resolved, sequences synced
        self.run, self.tables = run, run.tables
        self.nlp_system, self.concepts, self.when = run.summary.nlp_system, run.resolver, run.when
        with self.engine.connect() as conn:
            self.documents = selection_concept_ids(conn, self.tables)
        self.stage = stage_table(self.tables)
        self.stage.create(self.engine, checkfirst=True)
        self.jdbc_url, self.jdbc_props = jdbc_target(o.cdm_url, o.jdbc_url)

    def notes(self):
        note = self.tables.note
        with self.engine.connect() as conn:
            low, high = conn.execute(select(func.min(note.c.note_id), func.max(note.c.note_id))).one()
        parts = self.options.partitions or self.spark.sparkContext.defaultParallelism
        return self.spark.read.jdbc(
            self.jdbc_url, _qualified(note), column="note_id", lowerBound=int(low or 0), upperBound=int(high or 0),
            numPartitions=max(1, parts), properties={**self.jdbc_props, "fetchsize": "1000"},
        )  # fmt: skip

    def write(self, staged) -> Counter:
        from pyspark.sql import functions as F

        rows = (staged.where(F.col("kind").isin("note", "note_nlp")).withColumn("run_id", F.lit(self.run_id))
                .select("run_id", *DATABASE_COLUMNS))  # fmt: skip
        rows.write.jdbc(self.jdbc_url, _qualified(self.stage), mode="append",
                        properties={**self.jdbc_props, "batchsize": "2000"})  # fmt: skip
        superseded: Counter = Counter()
        for low, high in self._ranges():
            with write_transaction(self.engine) as conn:
                superseded.update(self._swap(conn, low, high))
        with write_transaction(self.engine) as conn:
            conn.execute(self.stage.delete().where(self.stage.c.run_id == self.run_id))
        return superseded

    def _ranges(self) -> list[tuple[int, int]]:
        s = self.stage.c
        mine = (s.run_id == self.run_id) & (s.kind == "note")
        with self.engine.connect() as conn:
            n = conn.execute(select(func.count()).where(mine)).scalar() or 0
            tile = func.ntile(max(1, math.ceil(n / SWAP_CHUNK))).over(order_by=s.note_id).label("tile")
            tiles = select(s.note_id, tile).where(mine).subquery()
            query = select(func.min(tiles.c.note_id), func.max(tiles.c.note_id)).group_by(tiles.c.tile)
            return sorted((int(lo), int(hi)) for lo, hi in conn.execute(query))

    def _swap(self, conn, low: int, high: int) -> Counter:
        """One note range, as ``run`` writes a batch: ledger rows first (a concurrent ``run`` locks them
        too), older versions superseded, this system's facts and NOTE_NLP rows replaced."""
        s, t = self.stage.c, self.tables
        scope = (s.run_id == self.run_id) & s.note_id.between(low, high) & (s.kind == "note")
        unselected = func.coalesce(s.reason, "").like(f"{REASON_PREFIX}%")
        written = [*self._record(conn, scope & ~unselected), *self._record_unselected(conn, scope & unselected)]
        superseded = self.run.previous.remove(conn, written)
        self.run.facts.delete_notes(conn, written)  # facts of an earlier --cdm-facts run describe the old text
        self.run.note_nlp.delete_notes(conn, written)
        rows = (select(s.note_id, s.row_in_note, *(s[c] for c in NOTE_NLP_COLUMNS))
                .where(s.run_id == self.run_id, s.note_id.between(low, high), s.kind == "note_nlp")
                .ext(distinct_on(s.note_id, s.row_in_note)).order_by(s.note_id, s.row_in_note).subquery())  # fmt: skip
        sequence = text(f"nextval('{_sequence(conn, t)}')")
        conn.execute(t.note_nlp.insert().from_select(
            ["note_nlp_id", "note_id", *NOTE_NLP_COLUMNS],
            select(sequence, rows.c.note_id, *(rows.c[c] for c in NOTE_NLP_COLUMNS))
            .order_by(rows.c.note_id, rows.c.row_in_note)))  # fmt: skip
        return superseded

    def _record(self, conn, scope) -> list[int]:
        """Upsert the ledger rows of the notes the selection took (done, skipped, failed)."""
        s, ledger = self.stage.c, self.tables.ledger
        notes = (select(s.note_id, literal(self.nlp_system), s.text_hash, s.status, func.left(s.reason, 250),
                        literal(self.run_id), func.now()).where(scope).ext(distinct_on(s.note_id)))  # fmt: skip
        upsert = pg_insert(ledger).from_select(
            ["note_id", "nlp_system", "text_hash", "status", "error", "run_id", "processed_at"], notes)
        upsert = upsert.on_conflict_do_update(
            index_elements=[ledger.c.note_id, ledger.c.nlp_system],
            set_={**{k: upsert.excluded[k] for k in ("text_hash", "status", "error", "run_id", "processed_at")},
                  "facts": None})  # fmt: skip
        return list(conn.execute(upsert.returning(ledger.c.note_id)).scalars())

    def _record_unselected(self, conn, scope) -> list[int]:
        """Notes the selection leaves out: recorded only where this system had extracted them (``run``
        then removes their rows); otherwise nothing is written, so a wider selection later takes them."""
        s, ledger = self.stage.c, self.tables.ledger
        mine = (ledger.c.nlp_system == self.nlp_system) & (ledger.c.status == "done")
        unselected = select(s.note_id, s.reason).where(scope).ext(distinct_on(s.note_id)).subquery()
        update = (ledger.update().where(mine, ledger.c.note_id == unselected.c.note_id)
                  .values(status="skipped", error=unselected.c.reason, run_id=self.run_id, processed_at=func.now(),
                          facts=None).returning(ledger.c.note_id))  # fmt: skip
        return list(conn.execute(update).scalars())

    def close(self) -> None:
        super().close()
        engine = getattr(self, "engine", None)
        if engine is not None:
            engine.dispose()


def _sequence(conn, tables: CdmTables) -> str:
    from omop_nlp.omop.ids import sequence_name

    quote = conn.dialect.identifier_preparer
    name = quote.quote(sequence_name(tables.note_nlp))
    return f"{quote.quote_schema(tables.results_schema)}.{name}" if tables.results_schema else name


def stage_table(tables: CdmTables) -> Table:
    """``omop_nlp_spark_stage`` in the results schema: step 1's rows, per run_id, until the swap."""
    note_nlp = [Column(c.name, c.type) for c in tables.note_nlp.columns if c.name not in ("note_nlp_id", "note_id")]
    return Table(
        "omop_nlp_spark_stage", MetaData(schema=tables.results_schema),
        Column("run_id", String(36), nullable=False, index=True),
        Column("kind", String(16), nullable=False),
        Column("note_id", tables.note.c.note_id.type, nullable=False),
        Column("row_in_note", Integer, nullable=False),
        Column("status", String(16)),
        Column("reason", String(2000)),
        Column("text_hash", String(64)),
        *note_nlp,
    )  # fmt: skip


def _qualified(table: Table) -> str:
    return f'"{table.schema}".{table.name}' if table.schema else table.name


def jdbc_target(cdm_url: str, jdbc_url: str | None) -> tuple[str, dict[str, str]]:
    """The executors' JDBC URL and properties: ``--jdbc-url`` as given, else derived from the CDM URL
    (TCP host and port; JDBC cannot use a Unix socket). User and password come from the CDM URL."""
    from omop_nlp.omop.connection import parse_url

    url = parse_url(cdm_url)
    props = {"driver": "org.postgresql.Driver"}
    if url.username:
        props["user"] = url.username
    if url.password:
        props["password"] = str(url.password)
    if jdbc_url:
        return jdbc_url, props
    if not url.host or url.host.startswith("/") or str(url.query.get("host", "")).startswith("/"):
        raise DatabaseError("the CDM URL has no TCP host (a Unix socket?): give the executors' --jdbc-url")
    return f"jdbc:postgresql://{url.host}:{url.port or 5432}/{url.database}", props


def read_table(spark, ref: str):
    """A catalog table (``cdm.note``) or a Parquet path (anything with a ``/``)."""
    return spark.read.parquet(ref) if _is_path(ref) else spark.table(ref)


def table_exists(spark, ref: str) -> bool:
    if _is_path(ref):
        path = spark._jvm.org.apache.hadoop.fs.Path(ref)
        return bool(path.getFileSystem(spark._jsc.hadoopConfiguration()).exists(path))
    return bool(spark.catalog.tableExists(ref))


def _replace_table(spark, ref: str, frame, run_id: str) -> None:
    """Write ``frame`` beside ``ref`` and swap it in: readers see the old or the new table, and a
    failed write leaves the old one untouched."""
    if not _is_path(ref):
        if not spark.catalog.tableExists(ref):
            frame.write.saveAsTable(ref)
            return
        staging = f"{ref}_omop_nlp_{run_id.replace('-', '')[:12]}"
        frame.write.saveAsTable(staging)
        spark.sql(f"DROP TABLE {ref}")
        spark.sql(f"ALTER TABLE {staging} RENAME TO {ref}")
        return
    jvm = spark._jvm
    target = jvm.org.apache.hadoop.fs.Path(ref)
    fs = target.getFileSystem(spark._jsc.hadoopConfiguration())
    fresh, old = f"{ref.rstrip('/')}.omop-nlp-{run_id}", f"{ref.rstrip('/')}.omop-nlp-old-{run_id}"
    frame.write.parquet(fresh)
    if fs.exists(target):
        fs.rename(target, jvm.org.apache.hadoop.fs.Path(old))
    fs.rename(jvm.org.apache.hadoop.fs.Path(fresh), target)
    fs.delete(jvm.org.apache.hadoop.fs.Path(old), True)


def _delete_path(spark, ref: str) -> None:
    path = spark._jvm.org.apache.hadoop.fs.Path(ref)
    path.getFileSystem(spark._jsc.hadoopConfiguration()).delete(path, True)


def _is_path(ref: str) -> bool:
    return "/" in ref


def _warehouse(spark) -> str:
    return spark.conf.get("spark.sql.warehouse.dir")
