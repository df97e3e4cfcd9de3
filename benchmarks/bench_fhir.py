"""Throughput of FHIR output: resources/s written to Bulk Data NDJSON for 10,000 notes.

Results come from the real ``Pipeline`` run once over the dev/test reports in ``tests/devset``
(chest CT and brain MRI); the timed part is only the FHIR stage, ``FhirSink.write`` for each of
``-n`` notes (default 10,000, cycling through those results with a new note id and person id
each) and ``close()``: building the resources, validating every one with its fhir.resources R4B
model and checking its references, and streaming them to one NDJSON file per resource type.

    .venv/bin/python benchmarks/bench_fhir.py [-n 10000] [--full] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from omop_nlp.build import build_pipeline
from omop_nlp.errors import NoteSkipped
from omop_nlp.model import Report, Result
from omop_nlp.pipeline import Pipeline
from omop_nlp.sinks.fhir import FhirOptions, FhirSink

DEVSET = Path(__file__).resolve().parent.parent / "tests" / "devset"


def devset_results(pipeline: Pipeline) -> list[Result]:
    results = []
    for path in sorted(DEVSET.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            data = json.loads(line)
            report = Report(data["id"], data["text"], data.get("modality"), 1, date(2024, 1, 1))
            try:
                results.append(pipeline.extract(report))
            except NoteSkipped:
                continue
    return results


def notes(results: list[Result], count: int) -> list[Result]:
    out = []
    for i in range(count):
        base = results[i % len(results)]
        report = replace(base.report, id=str(100_000 + i), person_id=1 + i % 2_000,
                         note_date=date(2020, 1, 1) + timedelta(days=i % 1_500))
        out.append(replace(base, report=report))
    return out


def run(results: list[Result], options: FhirOptions, out_dir: Path) -> tuple[float, dict]:
    start = time.perf_counter()
    sink = FhirSink(options, out_dir=out_dir)
    for result in results:
        sink.write(result)
    summary = sink.close()
    return time.perf_counter() - start, summary.as_dict()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--notes", type=int, default=10_000)
    parser.add_argument("--full", action="store_true", help="also DocumentReferences and absent findings")
    parser.add_argument("--out", type=Path, help="NDJSON folder (default: a temporary one)")
    args = parser.parse_args()

    pipeline = build_pipeline()
    options = FhirOptions(nlp_system=pipeline.nlp_system, create_documents=args.full, absent=args.full)
    batch = notes(devset_results(pipeline), args.notes)
    with tempfile.TemporaryDirectory() as tmp:
        run(batch[:200], options, Path(tmp) / "warm-up")  # model classes, schema caches
        seconds, summary = run(batch, options, args.out or Path(tmp) / "run")
    resources = summary["written"]
    print(f"notes: {summary['notes']}  resources: {resources}  by type: {summary['resources']}")
    rate, note_rate = resources / seconds, summary["notes"] / seconds
    print(f"time: {seconds:.2f} s  ->  {rate:,.0f} resources/s, {note_rate:,.0f} notes/s")


if __name__ == "__main__":
    main()
