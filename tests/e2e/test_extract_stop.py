"""`extract` stopped by SIGTERM or Ctrl-C (issue 14): the reports done are written as whole lines, in
input order, the exit status says which signal (143, 130), and no worker process is left."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from processes import all_gone, children

from omop_nlp.sources.jsonl import read_reports

REPO = Path(__file__).resolve().parents[2]
DEVSET = REPO / "tests" / "devset"
COPIES = 200  # 20,000 reports: far more than are done before the signal


@pytest.mark.parametrize(("signum", "workers"), [(signal.SIGTERM, 2), (signal.SIGINT, 1)])
def test_extract_stopped_by_a_signal_writes_whole_lines_for_the_reports_before_it(
    pipeline, tmp_path, signum, workers
) -> None:
    base = [r for name in ("chest_ct", "brain_mri") for r in read_reports(DEVSET / f"{name}.test.jsonl", print)]
    source, output = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    ids = [f"{r.id}~{k}" for k in range(COPIES) for r in base]
    with source.open("w") as f:
        for report_id, report in zip(ids, base * COPIES, strict=True):
            f.write(json.dumps({"id": report_id, "text": report.text}) + "\n")
    expected = {r.id: o.as_interchange() for r, o in zip(base, pipeline.extract_many(base), strict=True)}

    command = [sys.executable, "-m", "omop_nlp", "extract", str(source), "-o", str(output), "--workers", str(workers)]
    extract = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONPATH": str(REPO)}, start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 120
    while extract.poll() is None and time.monotonic() < deadline:
        if output.exists() and output.read_text().count("\n") >= 300:
            break
        time.sleep(0.05)
    workers_then = children(extract.pid)
    extract.send_signal(signum)
    _, err = extract.communicate(timeout=120)

    assert extract.returncode == 128 + signum, err[-2000:]
    assert workers == 1 or len(workers_then) >= workers  # the workers (and multiprocessing's resource tracker)
    assert all_gone(workers_then)
    text = output.read_text()
    assert text.endswith("\n")
    lines = [json.loads(line) for line in text.splitlines()]
    assert 300 <= len(lines) < len(ids)
    assert [line["id"] for line in lines] == ids[: len(lines)]  # a prefix of the input, in order
    for line in lines:
        assert line == {**expected[line["id"].split("~")[0]], "id": line["id"]}
    summary = err.strip().splitlines()[-1]
    assert summary.startswith(f"extracted {len(lines)} report(s); skipped: none; stopped by {signum.name}")
