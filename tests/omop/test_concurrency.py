"""Crash and concurrency on a real PostgreSQL server: kill -9 then resume, two runs at once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, select

from omop_nlp.build import build_pipeline
from omop_nlp.model import Report

TEMPLATES = [
    "There is a {n} mm solid nodule in the right upper lobe. No pleural effusion.",
    "CT chest. Part-solid nodule in both lower lobes. Possible consolidation in the right middle lobe.",
    "MRI brain. Interval increase of the enhancing mass, consistent with progression of glioblastoma.",
    "MRI brain. Stable meningioma. No acute infarct. Lesion {n}.",
    "CT chest. Fibrosis and traction bronchiectasis in both lower lobes, {n} cm.",
]
# A run in a child process whose pipeline sleeps per note, so it can be caught mid-run.
CHILD = """
import json, sys, time
from omop_nlp.build import build_pipeline
from omop_nlp.engines.cdm import RunOptions, run_cdm

pipeline = build_pipeline()
rules = pipeline.extract_rules
EXTRACTED = []

def slow(report, note_class_concept_id=None):
    time.sleep({delay})
    EXTRACTED.append(report.id)
    return rules(report, note_class_concept_id)

pipeline.extract_rules = slow
summary = run_cdm({url!r}, RunOptions(cdm_schema={cdm!r}, results_schema={results!r}, batch_size={batch},
                  cdm_facts={facts}), pipeline=pipeline)
print(json.dumps({{"processed": summary.processed, "skipped": summary.skipped, "failed": summary.failed,
                  "extracted": len(EXTRACTED)}}))
"""
REPO = Path(__file__).resolve().parents[2]


def texts(n: int) -> list[str]:
    return [TEMPLATES[i % len(TEMPLATES)].format(n=i) for i in range(n)]


def expected_rows(notes: list[str]) -> Counter:
    pipeline = build_pipeline()
    return Counter({i + 1: len(pipeline.extract(Report(str(i + 1), t)).mentions) for i, t in enumerate(notes)})


def child(cdm, *, delay: float, batch: int, facts: bool = False) -> subprocess.Popen:
    code = CHILD.format(delay=delay, url=cdm.url, cdm=cdm.cdm_schema, results=cdm.results_schema, batch=batch,
                        facts=facts)  # fmt: skip
    return subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": str(REPO)})  # fmt: skip


def rows_per_note(cdm) -> Counter:
    nlp = cdm.tables.note_nlp
    with cdm.engine.connect() as conn:
        return Counter(dict(conn.execute(select(nlp.c.note_id, func.count()).group_by(nlp.c.note_id)).all()))


def done_count(cdm) -> int:
    ledger = cdm.tables.ledger
    with cdm.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(ledger).where(ledger.c.status == "done")).scalar()


def assert_each_note_exactly_once(cdm, notes: list[str]) -> None:
    ledger = cdm.ledger()
    assert len(ledger) == len(notes) and {r["status"] for r in ledger.values()} == {"done"}
    assert rows_per_note(cdm) == +expected_rows(notes)


def test_kill_9_mid_run_then_resume_processes_every_note_exactly_once(pg_cdm) -> None:
    notes = texts(150)
    pg_cdm.add_notes(notes)
    proc = child(pg_cdm, delay=0.01, batch=10)
    deadline = time.monotonic() + 60
    while done_count(pg_cdm) < 30 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    done = done_count(pg_cdm)
    assert 30 <= done < len(notes) and done % 10 == 0  # whole batches only: each committed atomically

    resumed = pg_cdm.run(batch_size=10)
    assert resumed.skipped["already_done"] == done and resumed.processed == len(notes) - done
    assert_each_note_exactly_once(pg_cdm, notes)


def test_two_concurrent_runs_on_the_same_notes_neither_collide_nor_duplicate(pg_cdm) -> None:
    notes = texts(120)
    pg_cdm.add_notes(notes, person_id=1)
    first = child(pg_cdm, delay=0.004, batch=8, facts=True)
    second = child(pg_cdm, delay=0.003, batch=5, facts=True)
    outputs = [p.communicate(timeout=120) for p in (first, second)]
    for (_, err), proc in zip(outputs, (first, second), strict=True):
        assert proc.returncode == 0, err[-2000:]
    summaries = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    assert all(not s["failed"] for s in summaries)
    # Without --reprocess a note is written by whichever run claims it first; the other skips it
    # without extracting it: the two runs share the work instead of both doing all of it.
    assert sum(s["processed"] for s in summaries) == len(notes)
    assert sum(s["extracted"] for s in summaries) == len(notes)
    assert all(s["extracted"] > 0 for s in summaries)
    for s in summaries:
        assert set(s["skipped"]) <= {"already_done", "done_by_other_run", "claimed_by_other_run"}
    assert_each_note_exactly_once(pg_cdm, notes)
    # One set of facts per note whatever the interleaving, each traced to its note exactly once.
    facts = pg_cdm.rows("fact", order_by="row_id")
    assert len(facts) == len(pg_cdm.rows("condition_occurrence")) + len(pg_cdm.rows("observation")) + len(
        pg_cdm.rows("episode"))  # fmt: skip
    reference = pg_cdm.content()
    assert pg_cdm.run(reprocess=True).processed == len(notes) and pg_cdm.content() == reference


def test_two_concurrent_runs_on_sqlite(sqlite_cdm) -> None:
    notes = texts(60)
    sqlite_cdm.add_notes(notes)
    results, errors = [], []

    def go(batch: int) -> None:
        try:
            results.append(sqlite_cdm.run(batch_size=batch, cdm_facts=True))
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(b,)) for b in (7, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors and all(not r.failed for r in results)
    assert_each_note_exactly_once(sqlite_cdm, notes)
