"""Benchmark ``spark-run`` in local mode: notes/s and the fixed start-up cost (docs/spark.md's model).

    .venv/bin/python benchmarks/bench_spark.py                      # 20,000 notes, local[2]
    .venv/bin/python benchmarks/bench_spark.py --notes 5000 --cores 1 2

The notes are those of the workers benchmark (benchmarks/bench_cdm_run.py: the sample reports with
a per-note accession line), written once as a Parquet NOTE table beside the demo CONCEPT subset;
NOTE_NLP goes to a Parquet path. For each core count: the SparkSession start, a first run of
``--warm`` notes (job set-up, Python workers, one pipeline build per worker, the swap), then a run
of all the notes. notes/s is the big run's; the marginal rate (big - small) is what the engine
sustains once started; the fixed cost is what a run pays whatever its size. Other processes on the
machine compete for the cores: the load average is printed beside the figures.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_cdm_run import synthetic_notes

from omop_nlp.engines.spark import SparkRunOptions, spark_run
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
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-spark-") as tmp:
        workdir = Path(tmp)
        note, concept = write_tables(workdir, args.notes)
        for cores in args.cores:
            bench(cores, args.notes, args.warm, note, concept, workdir)


if __name__ == "__main__":
    main()
