"""`run --workers N` on the embedded PostgreSQL: the same rows as one worker, and kill -9 of the
parent leaves no worker, no connection and no lock behind (issue 12 item 8)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from processes import all_gone, children
from sqlalchemy import func, select, text
from worker_faults import POISON, cannot_build_in_a_worker, dies_on_poison

from omop_nlp.errors import WorkerStartError

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = [
    "There is a {n} mm solid nodule in the right upper lobe. No pleural effusion.",
    "CT chest. Part-solid nodule in both lower lobes. Possible consolidation in the right middle lobe.",
    "MRI brain. Interval increase of the enhancing mass, consistent with progression of glioblastoma.",
    "MRI brain. Stable meningioma. No acute infarct. Lesion {n}.",
]


def texts(n: int) -> list[str]:
    return [TEMPLATES[i % len(TEMPLATES)].format(n=i) for i in range(n)]


def cli(cdm, *args: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "omop_nlp", "run", "--cdm", cdm.url, "--cdm-schema", cdm.cdm_schema,
               "--results-schema", cdm.results_schema, "--no-progress", *args]  # fmt: skip
    return subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)}, start_new_session=True)  # fmt: skip


def done_count(cdm) -> int:
    ledger = cdm.tables.ledger
    with cdm.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(ledger).where(ledger.c.status == "done")).scalar()


def fhir_lines(folder: Path) -> dict[str, list[dict]]:
    """Each NDJSON file's resources in file order, without the time the run was recorded at."""
    out = {}
    for path in sorted(folder.glob("*.ndjson")):
        out[path.name] = [json.loads(line) for line in path.read_text().splitlines()]
        for resource in out[path.name]:
            resource.pop("recorded", None)
    return out


def facts(cdm) -> list[tuple]:
    rows = cdm.rows("fact", order_by="row_id")
    return sorted((r["table_name"], r["note_id"]) for r in rows)


def test_workers_write_the_same_rows_and_resources_as_one_worker(pg_cdm, tmp_path) -> None:
    pg_cdm.add_notes(texts(60))
    one = cli(pg_cdm, "--workers", "1", "--batch-size", "7", "--cdm-facts", "--fhir-out", str(tmp_path / "one"))
    assert one.wait(120) == 0, one.stderr.read()[-2000:]
    reference = pg_cdm.content(), facts(pg_cdm)
    two = cli(pg_cdm, "--workers", "2", "--batch-size", "7", "--cdm-facts", "--reprocess",
              "--fhir-out", str(tmp_path / "two"))  # fmt: skip
    out, err = two.communicate(timeout=120)
    assert two.returncode == 0, err[-2000:]
    assert "processed: 60 notes" in out
    assert (pg_cdm.content(), facts(pg_cdm)) == reference
    assert fhir_lines(tmp_path / "two") == fhir_lines(tmp_path / "one")  # same resources, same order


def test_kill_9_of_run_with_workers_leaves_nothing_that_blocks_the_next_run(pg_cdm) -> None:
    notes = texts(3000)
    pg_cdm.add_notes(notes)
    run = cli(pg_cdm, "--workers", "2", "--batch-size", "10")
    deadline = time.monotonic() + 90
    while done_count(pg_cdm) < 40 and time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.02)
    workers = children(run.pid)
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    assert run.returncode == -signal.SIGKILL and workers
    # The workers notice their parent is gone and leave: their connections close, their locks go.
    assert all_gone(workers)
    done = done_count(pg_cdm)
    assert 40 <= done < len(notes)

    second = cli(pg_cdm, "--workers", "2", "--batch-size", "200")
    out, err = second.communicate(timeout=180)  # before the fix: waits on the dead run's locks forever
    assert second.returncode == 0, err[-2000:]
    assert f"processed: {len(notes) - done} notes" in out
    ledger = pg_cdm.ledger()
    assert len(ledger) == len(notes) and {r["status"] for r in ledger.values()} == {"done"}
    nlp = pg_cdm.tables.note_nlp
    with pg_cdm.engine.connect() as conn:
        per_note = conn.execute(select(nlp.c.note_id, func.count()).group_by(nlp.c.note_id)).all()
    counts = {n: c for n, c in per_note}
    # every note exactly once: notes of the same template have the same number of rows
    for note_id, count in counts.items():
        assert count == counts[(note_id - 1) % len(TEMPLATES) + 1]
    assert len(counts) == len(notes)


def test_a_note_that_kills_its_worker_costs_that_note_only(pg_cdm) -> None:
    notes = texts(60)
    notes[32] = f"CT chest. {POISON} nodule in the right upper lobe."
    pg_cdm.add_notes(notes)
    summary = pg_cdm.run(build=dies_on_poison, workers=2, batch_size=5)
    # Note 33's batch (31..35) kills its worker, beside other batches and then alone: it is redone note
    # by note, and only note 33 kills its worker again.
    assert summary.failed == {"worker_died": 1} and not summary.problems - summary.failed
    # A batch in flight beside the dying one may have committed before its result was lost: redone, it
    # is found done (already_done), never written twice.
    assert summary.processed + summary.skipped["already_done"] == 59
    ledger = pg_cdm.ledger()
    assert set(ledger) == set(range(1, 61))
    assert {n for n, r in ledger.items() if r["status"] != "done"} == {33}
    assert (ledger[33]["status"], ledger[33]["error"]) == ("failed", "worker_died")
    with_fault = pg_cdm.content()
    assert not pg_cdm.note_nlp(33)

    # The same notes, one process, no fault: the same rows for every note but 33, none twice.
    assert pg_cdm.run(reprocess=True, workers=1).processed == 60
    assert pg_cdm.note_nlp(33) and pg_cdm.content(except_note=33) == with_fault


def test_each_worker_holds_one_database_connection(pg_cdm) -> None:
    pg_cdm.add_notes(texts(400))
    count = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                 "AND application_name = 'omop-nlp' AND pid <> pg_backend_pid()")  # fmt: skip
    with pg_cdm.engine.connect() as conn:
        before = conn.execute(count).scalar()  # this test's own
    seen: list[int] = []
    done = threading.Event()

    def sample() -> None:
        with pg_cdm.engine.connect() as conn:
            while not done.is_set():
                seen.append(conn.execute(count).scalar() - before)
                conn.rollback()  # a fresh snapshot of pg_stat_activity each time
                time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        assert pg_cdm.run(workers=2, batch_size=5).processed == 400
    finally:
        done.set()
        sampler.join()
    # the parent's one (note-id ranges) and one per worker (its batches and claims); two each before
    assert 2 <= max(seen) <= 3


def test_workers_that_cannot_start_stop_the_run_with_one_error_and_write_nothing(pg_cdm) -> None:
    pg_cdm.add_notes(texts(20))
    with pytest.raises(WorkerStartError):
        pg_cdm.run(build=cannot_build_in_a_worker, workers=2, batch_size=5)
    assert not pg_cdm.ledger() and not pg_cdm.note_nlp()  # not 20 notes "failed: worker_died" one by one
