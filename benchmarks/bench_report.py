"""Time, memory and size of ``omop-nlp report`` on 100,000 notes (``-n``).

The notes are the bundled demo notes (written for the project, no real text) repeated under new
ids, patients and dates; their predictions are ``extract``'s output for the demo notes repeated
the same way, so the report reads exactly what extract would have written. The report itself
runs as the CLI in a fresh subprocess, whose wall time and peak RSS are printed with the HTML
file's size. Targets (issue 15): under a minute and under 50 MB.

    python benchmarks/bench_report.py [-n 100000] [--sample 200]
"""

from __future__ import annotations

import argparse
import json
import resource
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


def _import_rss() -> float:
    code = ("import resource, spacy, plotly.graph_objects\n"
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")  # fmt: skip
    return int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        workdir = Path(tmp)
        notes, predictions = write_corpus(workdir, args.n)
        mb = (notes.stat().st_size + predictions.stat().st_size) / 1e6
        print(f"input: {args.n} notes, {mb:.0f} MB of notes + predictions JSONL")
        out = workdir / "report.html"
        start = time.perf_counter()
        _cli("report", predictions, "--input", notes, "-o", out, "--sample", args.sample)
        wall = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        size = out.stat().st_size / 1e6
        print(f"report: {wall:.1f} s wall, peak RSS {peak:.0f} MB, HTML {size:.1f} MB ({args.sample} note pages)")
        print(f"  (of the RSS, importing spaCy and plotly alone takes {_import_rss():.0f} MB)")
        print(f"targets: < 60 s {'ok' if wall < 60 else 'MISSED'}, < 50 MB {'ok' if size < 50 else 'MISSED'}")


if __name__ == "__main__":
    main()
