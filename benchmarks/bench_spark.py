"""Benchmark ``spark-run`` in local mode: notes/s and the fixed start-up cost (docs/spark.md's model).

    .venv/bin/python benchmarks/bench_spark.py                      # 20,000 notes, local[2]
    .venv/bin/python benchmarks/bench_spark.py --notes 5000 --cores 1 2

The notes are those of the workers benchmark (benchmarks/bench_cdm_run.py: the sample reports with
a per-note accession line), written once as a Parquet NOTE table beside the demo CONCEPT subset;
NOTE_NLP goes to a Parquet path. For each core count: the SparkSession start, a first run of
``--warm`` notes (job set-up, Python workers, one pipeline build per worker, the swap), then a run
of all the notes. notes/s is the big run's; the marginal rate (big - small) is what the engine
sustains once started; the fixed cost is what a run pays whatever its size. Other processes on the
machine compete for the cores: the load average is printed beside the figures, and what one core
does is also measured in CPU time, without Spark: the batch function on 200-note pandas frames of
the same notes (with and without the fact rows of --cdm-facts) and the pipeline alone. Those CPU
figures are the per-core rate *r* of docs/spark.md's scaling model.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_cdm_run import synthetic_notes

from omop_nlp.build import build_pipeline
from omop_nlp.config import PipelineConfig
from omop_nlp.engines.spark import BatchSpec, SiteConcepts, SparkRunOptions, note_nlp_batches, spark_run
from omop_nlp.engines.spark.batch import NOTE_COLUMNS
from omop_nlp.model import Report
from omop_nlp.omop.demo_db import demo_concept_rows
from omop_nlp.sources.omop_notes import NoteFilter


def write_tables(workdir: Path, n: int) -> tuple[str, str]:
    """NOTE (n synthetic notes) and the demo CONCEPT subset as Parquet files."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = list(synthetic_notes(n))
    note = pa.table({
        "note_id": pa.array([r[0] for r in rows], pa.int64()),
        "person_id": pa.array([r[1] for r in rows], pa.int64()),
        "note_date": pa.array([r[2] for r in rows], pa.date32()),
        "note_title": pa.array([r[3] for r in rows], pa.string()),
        "note_text": pa.array([r[4] for r in rows], pa.string()),
        "note_type_concept_id": pa.array([32817] * n, pa.int32()),
        "note_class_concept_id": pa.array([0] * n, pa.int32()),
        "visit_occurrence_id": pa.array([None] * n, pa.int64()),
    })  # fmt: skip
    (workdir / "note").mkdir()
    bounds = [part * n // 4 for part in range(5)]  # a few files, as a table written by Spark would have
    for part, (start, end) in enumerate(itertools.pairwise(bounds)):
        pq.write_table(note.slice(start, end - start), workdir / "note" / f"part-{part}.parquet")
    (workdir / "concept").mkdir()
    pq.write_table(pa.Table.from_pylist(demo_concept_rows()), workdir / "concept" / "part-0.parquet")
    return str(workdir / "note"), str(workdir / "concept")


def cpu_per_core(note: str, n: int) -> None:
    """Notes/s of one core in CPU time: the batch function (as an executor runs it) and the pipeline alone.
    The concept ids are 0 here (no CONCEPT lookup): the same work per note as with the site's ids."""
    import pyarrow.parquet as pq

    frame = pq.read_table(note).slice(0, n).to_pandas()
    frame["n_chars"] = frame["note_text"].str.len()
    frames = [frame.loc[:, list(NOTE_COLUMNS)].iloc[i : i + 200] for i in range(0, len(frame), 200)]
    figures = []
    for label, facts in (("batch function (note_nlp_batches, 200-note pandas frames)", False),
                         ("  the same with --cdm-facts (fact rows too)", True)):  # fmt: skip
        spec = BatchSpec("bench", datetime.now(), PipelineConfig(), cdm_facts=facts)
        list(note_nlp_batches(spec, SiteConcepts({}, {}), iter(frames[:1])))  # the pipeline built, warm
        started = time.process_time()
        staged = [f for f in note_nlp_batches(spec, SiteConcepts({}, {}), iter(frames))]
        figures.append((label, len(frame) / (time.process_time() - started)))
        done = sum(int(((f["kind"] == "note") & (f["status"] == "done")).sum()) for f in staged)
    pipeline = build_pipeline(PipelineConfig())
    reports = [Report(id=str(r.note_id), text=r.note_text) for r in frame.itertuples()]
    started = time.process_time()
    for report in reports:
        pipeline.extract(report)
    figures.append(("the pipeline alone (Pipeline.extract)", len(reports) / (time.process_time() - started)))
    print(f"one core, CPU time, {len(frame)} notes ({done} done):")
    for label, rate in figures:
        print(f"  {label + ':':62} {rate:5.0f} notes/s")


def bench(cores: int, n: int, warm: int, note: str, concept: str, workdir: Path) -> None:
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    started = time.monotonic()
    spark = (SparkSession.builder.master(f"local[{cores}]").appName("bench-spark")
             .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.session.timeZone", "UTC")
             .config("spark.sql.shuffle.partitions", str(cores)).config("spark.default.parallelism", str(cores))
             .config("spark.sql.warehouse.dir", str(workdir / "warehouse")).getOrCreate())  # fmt: skip
    spark.sparkContext.setLogLevel("ERROR")
    session_s = time.monotonic() - started
    try:
        timings = {}
        for label, filters in (("warm", NoteFilter(limit=warm)), ("all", NoteFilter())):
            out = workdir / f"note_nlp_{cores}_{label}"
            options = SparkRunOptions(note_table=note, concept_table=concept, note_nlp_table=str(out),
                                      staging_dir=str(workdir / "staging"), filters=filters)  # fmt: skip
            t0 = time.monotonic()
            summary = spark_run(spark, options)
            timings[label] = (time.monotonic() - t0, summary)
    finally:
        spark.stop()
    (t_warm, s_warm), (t_all, s_all) = timings["warm"], timings["all"]
    marginal = (s_all.seen - s_warm.seen) / max(t_all - t_warm, 1e-9)
    fixed = t_all - s_all.seen / marginal
    print(f"local[{cores}]: {s_all.seen} notes ({s_all.note_nlp_rows} NOTE_NLP rows) in {t_all:.1f}s = "
          f"{s_all.seen / t_all:.0f} notes/s end to end; marginal {marginal:.0f} notes/s "
          f"({marginal / cores:.0f} per core)")  # fmt: skip
    print(f"  fixed cost: SparkSession start {session_s:.1f}s + per run ~{fixed:.1f}s "
          f"(a {s_warm.seen}-note run took {t_warm:.1f}s); skipped {dict(s_all.skipped)}")
    print(f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=20_000)
    parser.add_argument("--warm", type=int, default=500, help="notes of the first, small run")
    parser.add_argument("--cores", type=int, nargs="+", default=[2])
    parser.add_argument("--cpu-notes", type=int, default=2000, help="notes of the CPU-time measurement (0: none)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-spark-") as tmp:
        workdir = Path(tmp)
        note, concept = write_tables(workdir, args.notes)
        for cores in args.cores:
            bench(cores, args.notes, args.warm, note, concept, workdir)
        if args.cpu_notes:
            cpu_per_core(note, args.cpu_notes)
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at the end")


if __name__ == "__main__":
    main()
