"""`extract --workers N`: the same interchange lines as one process, in input order."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from worker_faults import POISON, cannot_build_in_a_worker, dies_on_poison

from omop_nlp.errors import NoteSkipped, WorkerStartError
from omop_nlp.parallel import extract_in_workers
from omop_nlp.sources.jsonl import read_reports

DEVSET = Path(__file__).parents[1] / "devset"


def test_extract_with_workers_writes_what_one_process_writes_in_the_same_order(run_cli, tmp_path) -> None:
    lines = (DEVSET / "chest_ct.test.jsonl").read_text().splitlines()
    lines += (DEVSET / "brain_mri.test.jsonl").read_text().splitlines()
    lines.insert(7, json.dumps({"id": "empty-1", "text": "   "}))  # skipped in its place, the rest goes on
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n")
    code_one, _, err_one = run_cli("extract", str(source), "-o", str(tmp_path / "one.jsonl"))
    code_two, _, err_two = run_cli("extract", str(source), "-o", str(tmp_path / "two.jsonl"), "--workers", "2")
    assert code_one == code_two == 0
    one, two = (tmp_path / "one.jsonl").read_text(), (tmp_path / "two.jsonl").read_text()
    assert one == two and len(one.splitlines()) == len(lines) - 1
    assert err_one.splitlines()[-1] == err_two.splitlines()[-1]  # the summary: same skips, same reasons


def test_a_report_that_kills_its_worker_is_the_only_one_lost(pipeline) -> None:
    reports = [r for name in ("chest_ct", "brain_mri") for r in read_reports(DEVSET / f"{name}.test.jsonl", print)]
    reports[40] = replace(reports[40], text=f"{reports[40].text} {POISON}")  # chunk 1 of 2 (64 reports each)
    outcomes = list(extract_in_workers(reports, 2, pipeline.config, build=dies_on_poison))
    lost = [o for o in outcomes if isinstance(o, NoteSkipped)]
    assert [(o.reason, o.report_id) for o in lost] == [("worker_died", reports[40].id)]
    others = [r for i, r in enumerate(reports) if i != 40]
    expected = [r.as_interchange() for r in pipeline.extract_many(others)]
    assert [o.as_interchange() for o in outcomes if not isinstance(o, NoteSkipped)] == expected  # in order, each once


def test_workers_that_cannot_start_stop_the_extraction_with_one_error(pipeline) -> None:
    reports = list(read_reports(DEVSET / "chest_ct.test.jsonl", print))
    with pytest.raises(WorkerStartError, match="ended before they were ready"):
        list(extract_in_workers(reports, 2, pipeline.config, build=cannot_build_in_a_worker))
