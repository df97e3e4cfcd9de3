"""FHIR output under faults (issue 12 items 9, 10, 13): a server that never answers, a dead-letter
file cut short, and a run stopped by SIGTERM or kill -9 then resumed, against the real test server."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from e2e.test_fhir_server import OPTIONS, RECORDED, TOKEN, TOKEN_ENV, FhirServer, fhir_server  # noqa: F401
from fhir_samples import many
from sqlalchemy import func, select

from omop_nlp.sinks.fhir import FhirBuilder, FhirSink, read_ndjson, resend_dead_letter

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)


class SilentServer:
    """Accepts TCP connections on the loopback and never answers (a hung FHIR server)."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/fhir/R4"

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.accepted:
            conn.close()


@pytest.fixture
def silent_server():
    server = SilentServer()
    yield server
    server.close()


def test_a_server_that_never_answers_opens_the_circuit_and_dead_letters_the_rest(silent_server, tmp_path) -> None:
    dead = tmp_path / "dead.ndjson"
    sink = FhirSink(OPTIONS, url=silent_server.url, token_env=TOKEN_ENV, dead_letter=dead, batch_size=5,
                    max_retries=1, backoff=0.01, timeout=1.0, breaker_failures=3, recorded=RECORDED)
    for result in many(30):
        sink.write(result)
    # Delivery is off the extraction path: all notes were handed over while the first request still waits.
    assert sink.sender.stats.failed == 0 and len(silent_server.accepted) <= 1
    summary = sink.close()
    assert summary.circuit_open and summary.sent == 0
    assert summary.failed == sum(summary.resources.values()) > 0
    assert len(read_ndjson(dead)) == summary.failed + 1  # and the Device once
    # Three timed-out requests, then none: before, every one of the 20+ batches waited for its timeout.
    assert len(silent_server.accepted) == 3


def test_resend_keeps_the_good_lines_of_a_dead_letter_file_cut_short(fhir_server, tmp_path) -> None:  # noqa: F811
    builder = FhirBuilder(OPTIONS, RECORDED)
    resources = [r for result in many(6) for r in builder.build(result)]
    dead = tmp_path / "dead.ndjson"
    lines = [json.dumps(builder.device), *(json.dumps(r) for r in resources)]
    cut = lines[-1][: len(lines[-1]) // 2]  # the writer was killed in the middle of the last line
    dead.write_text("\n".join(lines[:-1]) + "\n" + cut)
    stats = resend_dead_letter(dead, fhir_server.url, token_env=TOKEN_ENV)
    assert stats.sent == len(resources) - 1 and stats.failed == 0
    assert stats.unreadable == (len(lines),)
    assert dead.read_text() == cut + "\n"  # the bad line is kept for a person to look at, nothing else
    assert sum(fhir_server.counts().values()) == len(resources) - 1 + 1  # the Device


def test_cli_resend_reports_the_unreadable_line_and_exits_1(fhir_server, tmp_path) -> None:  # noqa: F811
    builder = FhirBuilder(OPTIONS, RECORDED)
    good = builder.build(many(1)[0])
    dead = tmp_path / "dead.ndjson"
    dead.write_text("".join(json.dumps(r) + "\n" for r in good) + '{"resourceType": "Obser')
    done = subprocess.run([sys.executable, "-m", "omop_nlp", "fhir-resend", str(dead), "--fhir-url",
                           fhir_server.url, "--fhir-token-env", TOKEN_ENV], capture_output=True, text=True,
                          timeout=120, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})  # fmt: skip
    assert done.returncode == 1
    assert f"resent {len(good)} resource(s)" in done.stdout
    assert f"line(s) {len(good) + 1} are not FHIR resources" in done.stderr
    assert "Traceback" not in done.stderr


# -- a run stopped by SIGTERM, then killed, then resumed ------------------------------------------------

NOTES = [
    "CT chest. There is a {n} mm solid nodule in the right upper lobe. No pleural effusion.",
    "MRI brain. Interval increase of the enhancing mass, consistent with progression of glioblastoma.",
    "CT chest. Consolidation in the left lower lobe. No nodule.",
    "CT chest. No acute findings {n}.",
]


def run_cli(cdm, out: Path, url: str, *extra: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "omop_nlp", "run", "--cdm", cdm.url, "--cdm-schema", cdm.cdm_schema,
               "--results-schema", cdm.results_schema, "--no-progress", "--batch-size", "10",
               "--fhir-out", str(out), "--fhir-url", url, "--fhir-token-env", TOKEN_ENV, *extra]  # fmt: skip
    return subprocess.Popen(command, cwd=out.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})  # fmt: skip


def written(cdm) -> int:
    ledger = cdm.tables.ledger
    with cdm.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(ledger)).scalar()


def stop_when(cdm, proc: subprocess.Popen, at_least: int, signum: int) -> None:
    deadline = time.monotonic() + 120
    while written(cdm) < at_least and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    assert proc.poll() is None, "the run ended before it could be stopped"
    os.kill(proc.pid, signum)


def ndjson_ids(folder: Path) -> Counter:
    return Counter(f"{r['resourceType']}/{r['id']}" for path in folder.glob("*.ndjson") for r in read_ndjson(path))


def test_sigterm_and_kill_9_mid_run_then_resume_deliver_every_resource_exactly_once(
    pg_cdm, fhir_server: FhirServer, tmp_path: Path  # noqa: F811
) -> None:
    pg_cdm.add_notes([NOTES[i % len(NOTES)].format(n=i) for i in range(600)])
    out = tmp_path / "fhir"

    first = run_cli(pg_cdm, out, fhir_server.url, "--workers", "2")  # the stop reaches the parent only
    stop_when(pg_cdm, first, 100, signal.SIGTERM)
    stdout, stderr = first.communicate(timeout=120)
    assert first.returncode == 143, stderr[-2000:]
    assert "stopped by SIGTERM" in stdout and "FHIR server:" in stdout
    assert {r["status"] for r in pg_cdm.ledger().values()} == {"done"}  # stopped cleanly: all delivered

    second = run_cli(pg_cdm, out, fhir_server.url, "--workers", "1")
    stop_when(pg_cdm, second, written(pg_cdm) + 100, signal.SIGKILL)
    second.wait(60)
    with (out / "Observation.ndjson").open("a") as fh:
        fh.write('{"resourceType":"Observation","id":"cut-sho')  # as if killed in the middle of a line

    third = run_cli(pg_cdm, out, fhir_server.url, "--workers", "2")
    stdout, stderr = third.communicate(timeout=300)
    assert third.returncode == 0, stderr[-2000:]
    assert {r["status"] for r in pg_cdm.ledger().values()} == {"done"} and len(pg_cdm.ledger()) == 600

    resumed = ndjson_ids(out)
    assert max(resumed.values()) == 1  # no resource twice in the files, no line cut short
    reference = tmp_path / "reference"
    clean = run_cli(pg_cdm, reference, fhir_server.url, "--reprocess", "--workers", "1")
    assert clean.wait(300) == 0
    assert resumed == ndjson_ids(reference)
    by_type = Counter(key.split("/")[0] for key in resumed)
    assert fhir_server.counts() == dict(by_type)  # the server holds each one once too (PUT by id)
