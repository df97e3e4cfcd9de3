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
   With ``cdm_facts`` the fact rows (``run --cdm-facts``'s) are replaced the same way, through the
   provenance table ``omop_nlp_fact`` that says which rows this nlp_system wrote for which note.
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

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    func,
    literal,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.dialects.postgresql import insert as pg_insert

from omop_nlp.build import build_pipeline
from omop_nlp.config import PipelineConfig
from omop_nlp.engines.cdm import CdmRun, RunOptions, RunSummary, selection_concept_ids
from omop_nlp.engines.spark.batch import (
    ALREADY_DONE,
    DATABASE_COLUMNS,
    FACT_TABLES,
    LEDGER_COLUMNS,
    NOTE_COLUMNS,
    NOTE_NLP_COLUMNS,
    STAGE_SCHEMA,
    BatchSpec,
    SiteConcepts,
    fhir_builder,
    note_nlp_batches,
)
from omop_nlp.errors import UsageError
from omop_nlp.omop.concepts import (
    ConceptResolver,
    by_code_pairs,
    by_id_codes,
    mapping_codes,
    section_codes,
    with_local_codes,
)
from omop_nlp.omop.connection import DatabaseError, make_engine, write_transaction
from omop_nlp.omop.ledger import FINAL
from omop_nlp.omop.tables import CdmTables, cdm_tables
from omop_nlp.sinks.cdm_facts import CONDITION_OCCURRENCE_FIELD, CdmFacts, fixed_id
from omop_nlp.sinks.fhir.builder import FhirOptions
from omop_nlp.sinks.fhir.ndjson import dumps
from omop_nlp.sources.note_selection import REASON_PREFIX, load_selection_rules
from omop_nlp.sources.omop_notes import NoteFilter

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
    pipeline: PipelineConfig = field(default_factory=PipelineConfig)  # modality, limits, --bert
    batch_size: int = 200  # notes per pandas batch (Arrow records per batch)
    partitions: int | None = None  # JDBC read partitions (default: the cluster's default parallelism)
    staging_dir: str | None = None  # shared storage for step 1 (default: under the warehouse dir)
    fhir_out: str | None = None  # also write FHIR R4 resources here, a folder of NDJSON parts per type
    fhir: FhirOptions | None = None  # the builder's options (identifier systems, documents, absent)
    cdm_facts: bool = False  # also CONDITION_OCCURRENCE / OBSERVATION / EPISODE rows, as run --cdm-facts
    facts_location: str | None = None  # with note_table: where the fact tables are (default: beside NOTE_NLP)
    reprocess: bool = False  # over JDBC: also the notes the ledger says are done (as run --reprocess)

    def check(self) -> None:
        """The sources and targets given fit together; else a ``UsageError``."""
        if (self.note_table is None) == (self.cdm_url is None):
            raise UsageError("give either --note-table (Spark table or Parquet path) or --cdm (the CDM database)")
        if self.note_table is not None and not (self.concept_table and self.note_nlp_table):
            raise UsageError("--note-table needs --concept-table and --note-nlp-table")


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
        spec = BatchSpec(job.nlp_system, job.when, options.pipeline, fhir, options.cdm_facts)
        site = spark.sparkContext.broadcast(SiteConcepts(job.concepts.ids, job.documents))
        notes = job.with_ledger(select_notes(job.notes(), options.filters, options.pipeline.max_note_chars))
        spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(options.batch_size))
        staged = notes.mapInPandas(lambda frames: batch(spec, site.value, frames), STAGE_SCHEMA)
        staged.write.mode("overwrite").parquet(job.staging)
        staged = spark.read.parquet(job.staging)
        _count(summary, staged)
        if fhir is not None:
            resumed = summary.skipped[ALREADY_DONE] > 0  # the done notes' resources are in the folder already
            write_fhir(spark, staged, fhir_builder(spec).device, options.fhir_out, append=resumed)
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


def write_fhir(spark, staged, device: dict, out: str, *, append: bool = False) -> None:
    """The staged resources and the run's Device as NDJSON text parts, one folder per resource type
    (``resource_type=Observation/part-*.txt``); a re-run replaces the folder, a run that skipped notes
    done before adds its parts to it (as ``run`` appends to its NDJSON files when it resumes)."""
    from pyspark.sql import functions as F

    resources = staged.where(F.col("kind") == "fhir").select("resource_type", "resource")
    shared = spark.createDataFrame([(device["resourceType"], dumps(device))], "resource_type string, resource string")
    resources.unionByName(shared).write.mode("append" if append else "overwrite").partitionBy("resource_type").text(out)


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
        elif row.kind in FACT_TABLES:
            summary.facts[row.kind] += row.n
            if row.kind == "episode":  # each episode has its EPISODE_EVENT to its condition
                summary.facts["episode_event"] += row.n
        elif row.status == "done":
            summary.processed += row.n
        elif row.status == "skipped":
            summary.skipped[row.reason or "skipped"] += row.n
        else:
            summary.failed[row.reason or "error"] += row.n
    summary.selected = summary.seen


def _codes(cdm_facts: bool):
    return mapping_codes() | section_codes() | (CdmFacts.codes() if cdm_facts else set())


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

    def with_ledger(self, notes):
        """The notes with their ledger state, where there is a ledger (over JDBC, without --reprocess)."""
        return notes

    def close(self) -> None:
        _delete_path(self.spark, self.staging)


class _TableJob(_Job):
    """NOTE and CONCEPT from Spark tables or Parquet paths; NOTE_NLP replaced in a table or path."""

    def prepare(self) -> None:
        self.nlp_system = build_pipeline(self.options.pipeline).nlp_system
        documents = ConceptResolver.from_ids({})
        wanted = self.concepts.wanted(_codes(self.options.cdm_facts))
        documents_wanted = documents.wanted(load_selection_rules().codes())
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
        rows = _with_ids(self.spark, new.select("note_id", "row_in_note", *NOTE_NLP_COLUMNS), base, "note_nlp_id")
        rows = rows.drop("row_in_note")
        out = rows if kept is None else kept.unionByName(rows.select(*kept.columns))
        _replace_table(self.spark, target, out, self.run_id)
        _TableFacts(self, staged, processed).replace()
        return Counter()  # older versions' rows in a table are left to the site (docs/spark.md)


class _TableFacts:
    """The fact tables beside NOTE_NLP (or in ``--facts-location``): this system's rows of the processed
    notes, found through the provenance table ``omop_nlp_fact``, are replaced by the staged ones
    (ids max(id)+1.. per table in (note_id, row) order, as for NOTE_NLP), as ``run --cdm-facts`` does;
    without ``--cdm-facts`` they are only removed, as ``run`` removes facts that describe an old text."""

    def __init__(self, job: _TableJob, staged, processed) -> None:
        self.job, self.spark, self.staged, self.processed = job, job.spark, staged, processed
        self.tables = cdm_tables()
        self.location = job.options.facts_location or _location(job.options.note_nlp_table)

    def replace(self) -> None:
        from pyspark.sql import functions as F

        provenance = self._existing(self.tables.fact.name)
        if provenance is None and not self.job.options.cdm_facts:
            return
        removed = None  # (table_name, row_id) of this system's facts of the processed notes
        if provenance is not None:
            removed = (provenance.where(F.col("nlp_system") == self.job.nlp_system)
                       .join(self.processed, "note_id", "left_semi").select("table_name", "row_id"))  # fmt: skip
        new = {name: self._new_rows(name) for name in FACT_TABLES} if self.job.options.cdm_facts else {}
        for name in FACT_TABLES:
            table = self.tables.fact_tables[name]
            rows = _typed(table, new[name]) if new else None
            self._replace(table, _removed(removed, name, _pk(table)), rows)
        events = None
        if new:
            conditions = new["condition_occurrence"].select("note_id", F.col("row_in_note").alias("condition_row"),
                                                            F.col("row_id").alias("event_id"))  # fmt: skip
            field = F.lit(fixed_id(CONDITION_OCCURRENCE_FIELD)).alias("episode_event_field_concept_id")
            events = (new["episode"].join(conditions, ["note_id", "condition_row"])
                      .select(F.col("row_id").alias("episode_id"), "event_id", field))  # fmt: skip
        self._replace(self.tables.episode_event, _removed(removed, "episode", "episode_id"), events)
        mine = [rows.select(F.lit(name).alias("table_name"), "row_id", "note_id",
                            F.lit(self.job.nlp_system).alias("nlp_system")) for name, rows in new.items()]  # fmt: skip
        self._replace(self.tables.fact, removed, _union(mine))

    def _new_rows(self, name: str):
        """The staged rows of one table with their new ids (``row_id``) from max(id)+1."""
        from pyspark.sql import functions as F

        table = self.tables.fact_tables[name]
        existing = self._existing(name)
        base = (existing.agg(F.max(_pk(table))).first()[0] or 0) if existing is not None else 0
        rows = (self.staged.where(F.col("kind") == name).dropDuplicates(["note_id", "row_in_note"])
                .select("note_id", "row_in_note", "condition_row", "fact"))  # fmt: skip
        return _with_ids(self.spark, rows, base, "row_id")

    def _replace(self, table: Table, gone, new) -> None:
        """Write ``table`` less the rows ``gone`` names (by the columns it has), plus ``new``; a table
        that does not exist yet is created with the CDM columns and types."""
        from pyspark.sql import functions as F

        existing = self._existing(table.name)
        if new is None and (existing is None or gone is None):
            return  # nothing to add, nothing to remove
        kept = existing.join(gone, gone.columns, "left_anti") if existing is not None and gone is not None else existing
        if kept is None:
            out = new.select(*(F.col(c).cast(kind).alias(c) for c, kind in _spark_types(table)))
        elif new is None:
            out = kept
        else:
            out = kept.unionByName(new.select(*(F.col(c).cast(kept.schema[c].dataType).alias(c) for c in kept.columns)))
        _replace_table(self.spark, self._ref(table.name), out, self.job.run_id)

    def _ref(self, name: str) -> str:
        if not self.location:
            return name
        return f"{self.location.rstrip('/')}/{name}" if _is_path(self.location) else f"{self.location}.{name}"

    def _existing(self, name: str):
        ref = self._ref(name)
        return read_table(self.spark, ref) if table_exists(self.spark, ref) else None


def _typed(table: Table, rows):
    """Staged fact rows (``row_id``, ``fact`` JSON) as the CDM table's typed columns."""
    from pyspark.sql import functions as F

    pk = _pk(table)
    parsed = rows.select(F.col("row_id").alias(pk), F.from_json("fact", spark_schema(table, skip=pk)).alias("r"))
    return parsed.select(pk, "r.*")


def _removed(removed, table_name: str, key: str):
    """The ids of ``table_name``'s rows among the removed facts, as ``key`` (None: nothing removed)."""
    from pyspark.sql import functions as F

    if removed is None:
        return None
    return removed.where(F.col("table_name") == table_name).select(F.col("row_id").alias(key))


def _union(frames: list):
    out = None
    for frame in frames:
        out = frame if out is None else out.unionByName(frame)
    return out


def _location(note_nlp: str) -> str:
    """Where NOTE_NLP is: its folder, or its catalog database ('' for the current one)."""
    if _is_path(note_nlp):
        return note_nlp.rstrip("/").rsplit("/", 1)[0]
    return note_nlp.rsplit(".", 1)[0] if "." in note_nlp else ""


def _pk(table: Table) -> str:
    return next(iter(table.primary_key.columns)).name


# SQLAlchemy types of the CDM tables -> Spark SQL types (subclasses first: BigInteger is an Integer)
_SPARK_TYPES = ((BigInteger, "bigint"), (Integer, "int"), (DateTime, "timestamp"), (Date, "date"), (Numeric, "double"))


def _spark_types(table: Table, skip: str = "") -> list[tuple[str, str]]:
    """The CDM table's columns as Spark SQL types (the fact tables a run creates in a lakehouse)."""
    return [(c.name, next((name for kind, name in _SPARK_TYPES if isinstance(c.type, kind)), "string"))
            for c in table.columns if c.name != skip]  # fmt: skip


def spark_schema(table: Table, skip: str = "") -> str:
    return ", ".join(f"`{name}` {kind}" for name, kind in _spark_types(table, skip))


def _with_ids(spark, new, base: int, id_name: str):
    """``new``'s rows with ``id_name`` = base+1.. in (note_id, row_in_note) order: contiguous, and
    the same for a retried task, since the order is total."""
    from pyspark.sql.types import LongType, StructField, StructType

    ordered = new.orderBy("note_id", "row_in_note")
    schema = StructType([StructField(id_name, LongType(), False), *ordered.schema.fields])
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
                                             pipeline=o.pipeline, cdm_facts=o.cdm_facts))  # fmt: skip
        run.prepare()  # the CDM tables checked, the tool's created, concepts resolved, sequences synced
        self.run, self.tables = run, run.tables
        self.nlp_system, self.concepts, self.when = run.summary.nlp_system, run.resolver, run.when
        with self.engine.connect() as conn:
            self.documents = selection_concept_ids(conn, self.tables)
        self.stage = stage_table(self.tables)
        _create_stage(self.engine, self.stage)
        self.jdbc_url, self.jdbc_props = jdbc_target(o.cdm_url, o.jdbc_url)

    def notes(self):
        note = self.tables.note
        with self.engine.connect() as conn:
            low, high = conn.execute(select(func.min(note.c.note_id), func.max(note.c.note_id))).one()
        self.bounds = int(low or 0), int(high or 0)
        return self._read(_qualified(note))

    def _read(self, table: str):
        """A table or subquery over JDBC, in ``--partitions`` ranges of note_id read in parallel."""
        parts = self.options.partitions or self.spark.sparkContext.defaultParallelism
        low, high = self.bounds
        return self.spark.read.jdbc(
            self.jdbc_url, table, column="note_id", lowerBound=low, upperBound=high,
            numPartitions=max(1, parts), properties={**self.jdbc_props, "fetchsize": "1000"},
        )  # fmt: skip

    def with_ledger(self, notes):
        """``run``'s resumption on the cluster: this system's final ledger rows, read over JDBC in note_id
        ranges, joined to the notes; the batch function skips those done with the same text."""
        if self.options.reprocess:
            return notes
        t = self.tables.ledger.c
        query = select(t.note_id, *(c.label(name) for c, name in zip((t.text_hash, t.status, t.facts), LEDGER_COLUMNS,
                                                                      strict=True)))  # fmt: skip
        query = query.where(t.nlp_system == self.nlp_system, t.status.in_(FINAL))
        sql = query.compile(self.engine, compile_kwargs={"literal_binds": True})
        return notes.join(self._read(f"({sql}) AS omop_nlp_ledger"), "note_id", "left")

    def write(self, staged) -> Counter:
        from pyspark.sql import functions as F

        database_kinds = F.col("kind").isin("note", "note_nlp", *FACT_TABLES)  # not the FHIR resources
        done = F.col("reason").eqNullSafe(ALREADY_DONE)  # notes done before: their rows and ledger stay as they are
        rows = staged.where(database_kinds & ~done).select(F.lit(self.run_id).alias("run_id"), *DATABASE_COLUMNS)
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
        sequence = text(f"nextval('{_sequence(conn, t, t.note_nlp)}')")
        conn.execute(t.note_nlp.insert().from_select(
            ["note_nlp_id", "note_id", *NOTE_NLP_COLUMNS],
            select(sequence, rows.c.note_id, *(rows.c[c] for c in NOTE_NLP_COLUMNS))
            .order_by(rows.c.note_id, rows.c.row_in_note)))  # fmt: skip
        if self.options.cdm_facts:
            self._insert_facts(conn, low, high)
        return superseded

    def _insert_facts(self, conn, low: int, high: int) -> None:
        """The range's staged fact rows into the CDM tables, as ``run --cdm-facts`` writes them: ids from
        its sequences in (note_id, row) order, a provenance row each in ``omop_nlp_fact``, and each
        episode's EPISODE_EVENT to its condition. The ids are drawn into a temporary table first."""
        t, quote = self.tables, conn.dialect.identifier_preparer
        stage, ids = quote.format_table(self.stage), "omop_nlp_spark_fact_ids"
        conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {ids} (kind varchar(40), note_id bigint, row_in_note int, "
                             "condition_row int, fact text, row_id bigint) ON COMMIT DROP")  # fmt: skip
        scope = {"run_id": self.run_id, "low": low, "high": high}
        for kind in FACT_TABLES:
            table = t.fact_tables[kind]
            conn.execute(text(
                f"INSERT INTO {ids} SELECT kind, note_id, row_in_note, condition_row, fact, "
                f"nextval('{_sequence(conn, t, table)}') FROM (SELECT DISTINCT ON (note_id, row_in_note) kind, "
                f"note_id, row_in_note, condition_row, fact FROM {stage} WHERE run_id = :run_id AND kind = :kind "
                "AND note_id BETWEEN :low AND :high ORDER BY note_id, row_in_note) AS s ORDER BY note_id, row_in_note"),
                {**scope, "kind": kind})  # fmt: skip
            name, pk = quote.format_table(table), _pk(table)
            columns = [c.name for c in table.columns if c.name != pk]
            conn.execute(text(
                f"INSERT INTO {name} ({quote.quote(pk)}, {', '.join(quote.quote(c) for c in columns)}) "
                f"SELECT row_id, {', '.join(f'(r).{quote.quote(c)}' for c in columns)} FROM (SELECT row_id, "
                f"jsonb_populate_record(NULL::{name}, fact::jsonb) AS r FROM {ids} WHERE kind = :kind) AS f "
                "ORDER BY row_id"), {"kind": kind})  # fmt: skip
        conn.execute(text(
            f"INSERT INTO {quote.format_table(t.fact)} (table_name, row_id, note_id, nlp_system) "
            f"SELECT kind, row_id, note_id, :nlp_system FROM {ids}"), {"nlp_system": self.nlp_system})  # fmt: skip
        conn.execute(text(
            f"INSERT INTO {quote.format_table(t.episode_event)} (episode_id, event_id, episode_event_field_concept_id) "
            f"SELECT e.row_id, c.row_id, :field FROM {ids} e JOIN {ids} c ON c.kind = 'condition_occurrence' "
            "AND c.note_id = e.note_id AND c.row_in_note = e.condition_row WHERE e.kind = 'episode' "
            "ORDER BY e.row_id"), {"field": fixed_id(CONDITION_OCCURRENCE_FIELD)})  # fmt: skip
        conn.exec_driver_sql(f"DROP TABLE {ids}")

    def _record(self, conn, scope) -> list[int]:
        """Upsert the ledger rows of the notes the selection took (done, skipped, failed)."""
        s, ledger = self.stage.c, self.tables.ledger
        columns = ("text_hash", "status", "error", "run_id", "processed_at", "facts")
        notes = (select(s.note_id, literal(self.nlp_system), s.text_hash, s.status, func.left(s.reason, 250),
                        literal(self.run_id), func.now(), literal(self._facts_flag, String(1)))
                 .where(scope).ext(distinct_on(s.note_id)))  # fmt: skip
        upsert = pg_insert(ledger).from_select(["note_id", "nlp_system", *columns], notes)
        upsert = upsert.on_conflict_do_update(index_elements=[ledger.c.note_id, ledger.c.nlp_system],
                                              set_={k: upsert.excluded[k] for k in columns})  # fmt: skip
        return list(conn.execute(upsert.returning(ledger.c.note_id)).scalars())

    def _record_unselected(self, conn, scope) -> list[int]:
        """Notes the selection leaves out: recorded only where this system had extracted them (``run``
        then removes their rows); otherwise nothing is written, so a wider selection later takes them."""
        s, ledger = self.stage.c, self.tables.ledger
        mine = (ledger.c.nlp_system == self.nlp_system) & (ledger.c.status == "done")
        unselected = select(s.note_id, s.reason).where(scope).ext(distinct_on(s.note_id)).subquery()
        update = (ledger.update().where(mine, ledger.c.note_id == unselected.c.note_id)
                  .values(status="skipped", error=unselected.c.reason, run_id=self.run_id, processed_at=func.now(),
                          facts=self._facts_flag).returning(ledger.c.note_id))  # fmt: skip
        return list(conn.execute(update).scalars())

    @property
    def _facts_flag(self) -> str | None:
        """The ledger's ``facts``: 'Y' where this run wrote the notes' facts (``run`` redoes others for them)."""
        return "Y" if self.options.cdm_facts else None

    def close(self) -> None:
        super().close()
        engine = getattr(self, "engine", None)
        if engine is not None:
            engine.dispose()


def _sequence(conn, tables: CdmTables, table: Table) -> str:
    from omop_nlp.omop.ids import sequence_name

    quote = conn.dialect.identifier_preparer
    name = quote.quote(sequence_name(table))
    return f"{quote.quote_schema(tables.results_schema)}.{name}" if tables.results_schema else name


def stage_table(tables: CdmTables) -> Table:
    """``omop_nlp_spark_stage`` in the results schema: step 1's rows, per run_id, until the swap."""
    note_nlp = [Column(c.name, c.type) for c in tables.note_nlp.columns if c.name not in ("note_nlp_id", "note_id")]
    return Table(
        "omop_nlp_spark_stage", MetaData(schema=tables.results_schema),
        Column("run_id", String(36), nullable=False, index=True),
        Column("kind", String(40), nullable=False),
        Column("note_id", tables.note.c.note_id.type, nullable=False),
        Column("row_in_note", Integer, nullable=False),
        Column("status", String(16)),
        Column("reason", String(2000)),
        Column("text_hash", String(64)),
        *note_nlp,
        Column("fact", Text),  # a fact row as JSON (kind: its table)
        Column("condition_row", Integer),  # an episode's condition (its row_in_note)
    )  # fmt: skip


def _create_stage(engine: Engine, stage: Table) -> None:
    """Create the stage table; one an older version left without today's columns is made again
    while empty (it only holds rows while a spark-run is writing)."""
    from sqlalchemy import inspect

    with write_transaction(engine) as conn:
        inspector = inspect(conn)
        if inspector.has_table(stage.name, schema=stage.schema):
            present = {c["name"] for c in inspector.get_columns(stage.name, schema=stage.schema)}
            if present >= {c.name for c in stage.columns}:
                return
            if conn.execute(select(func.count()).select_from(stage)).scalar():
                raise DatabaseError(f"{stage.name} is from an older omop-nlp and holds rows of a running spark-run")
            stage.drop(conn)
        stage.create(conn)


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
