"""Time, memory and size of ``omop-nlp report`` on 100,000 notes (``-n``), from files and from a CDM.

The notes are the bundled demo notes (written for the project, no real text) repeated under new
ids, patients and dates; their predictions are ``extract``'s output for the demo notes repeated
the same way, so the report reads exactly what extract would have written. The report itself
runs as the CLI in a fresh subprocess, whose wall time and peak RSS are printed with the HTML
file's size. Targets (issue 15): under a minute and under 50 MB.

With ``--cdm``, the same is done from a SQLite CDM: ``omop-nlp demo``'s CDM (NOTE, NOTE_NLP, the
ledger and the fact provenance of the demo notes), copied in SQL under new note ids, patients and
dates up to ``-n`` notes, then ``report --cdm``: mention counts by GROUP BY, each note's findings rebuilt
by the engine (``ModalityEngine.stored_findings``).

    python benchmarks/bench_report.py [-n 100000] [--sample 200] [--cdm]
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "omop_nlp" / "demo" / "sample_notes.jsonl"


def _cli(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "omop_nlp", *map(str, args)], capture_output=True, text=True,
                          check=True)  # fmt: skip


def write_corpus(workdir: Path, n: int) -> tuple[Path, Path]:
    """``n`` notes and their predictions: the demo notes and their extract output, repeated."""
    _cli("extract", DEMO, "-o", workdir / "demo-pred.jsonl")
    notes = [json.loads(line) for line in DEMO.read_text(encoding="utf-8").splitlines()]
    predictions = {p["id"]: p for p in map(json.loads, (workdir / "demo-pred.jsonl").read_text().splitlines())}
    people = 1 + max(note["person"] for note in notes)
    notes_path, pred_path = workdir / "notes.jsonl", workdir / "predictions.jsonl"
    with notes_path.open("w", encoding="utf-8") as fn, pred_path.open("w", encoding="utf-8") as fp:
        for i in range(n):
            note = notes[i % len(notes)]
            copy = i // len(notes)
            new_id = f"{note['id']}-{copy}"
            day = date.fromisoformat(note["date"]) + timedelta(days=copy % 300)
            fn.write(json.dumps({**note, "id": new_id, "person": note["person"] + people * copy,
                                 "date": day.isoformat()}, ensure_ascii=False) + "\n")  # fmt: skip
            fp.write(json.dumps({**predictions[note["id"]], "id": new_id}, ensure_ascii=False) + "\n")
    return notes_path, pred_path


def write_cdm(workdir: Path, n: int) -> str:
    """The demo CDM with its notes and their NOTE_NLP, ledger and fact rows repeated up to ``n`` notes."""
    _cli("demo", "--workdir", workdir / "demo")
    path = workdir / "demo" / "cdm.sqlite"
    with sqlite3.connect(path) as db:
        notes, people, rows = db.execute("SELECT max(note_id), max(person_id), max(note_nlp_id) FROM note JOIN "
                                         "note_nlp USING (note_id)").fetchone()  # fmt: skip
        changed = {"note_id": "note_id + :k * :notes", "person_id": "person_id + :k * :people",
                   "note_date": "date(note_date, '+' || (:k % 300) || ' days')",
                   "note_nlp_id": "note_nlp_id + :k * :rows", "row_id": "row_id + :k * 1000000"}  # fmt: skip
        copies = {}
        for table in ("note", "note_nlp", "omop_nlp_ledger", "omop_nlp_fact"):
            columns = ", ".join(changed.get(r[1], f'"{r[1]}"') for r in db.execute(f"PRAGMA table_info({table})"))
            copies[table] = f"INSERT INTO {table} SELECT {columns} FROM {table} WHERE note_id <= :notes"
        for k in range(1, -(-n // notes)):
            for statement in copies.values():
                db.execute(statement, {"k": k, "notes": notes, "people": people, "rows": rows})
    return f"sqlite:///{path}"


def _import_rss() -> float:
    code = ("import resource, spacy, plotly.graph_objects\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")  # fmt: skip
    return int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout) / 1024


def _notes(url: str) -> int:
    with sqlite3.connect(url[len("sqlite:///") :]) as db:
        return db.execute("SELECT count(*) FROM note").fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--cdm", action="store_true", help="from a SQLite CDM instead of JSONL files")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        workdir = Path(tmp)
        out = workdir / "report.html"
        if args.cdm:
            url = write_cdm(workdir, args.n)
            print(f"input: SQLite CDM, {_notes(url)} notes, {Path(url[10:]).stat().st_size / 1e6:.0f} MB")
            source: list[str | Path] = ["--cdm", url]
        else:
            notes, predictions = write_corpus(workdir, args.n)
            mb = (notes.stat().st_size + predictions.stat().st_size) / 1e6
            print(f"input: {args.n} notes, {mb:.0f} MB of notes + predictions JSONL")
            source = [predictions, "--input", notes]
        start = time.perf_counter()
        _cli("report", *source, "-o", out, "--sample", args.sample)
        wall = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        size = out.stat().st_size / 1e6
        print(f"report: {wall:.1f} s wall, peak RSS {peak:.0f} MB, HTML {size:.1f} MB ({args.sample} note pages)")
        print(f"  (of the RSS, importing spaCy and plotly alone takes {_import_rss():.0f} MB)")
        print(f"targets: < 60 s {'ok' if wall < 60 else 'MISSED'}, < 50 MB {'ok' if size < 50 else 'MISSED'}")


if __name__ == "__main__":
    main()
