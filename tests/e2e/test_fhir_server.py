"""FHIR output against a real FHIR server process (tests/fhir_server: Medplum's FHIR router, in memory).

A small fault-injecting HTTP proxy in front of it plays a server that answers 5xx or is stopped.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from fhir_samples import brain_mri, chest_ct, many

from omop_nlp.sinks.fhir import (
    FhirBuilder,
    FhirConfigError,
    FhirOptions,
    FhirSink,
    RestSender,
    read_ndjson,
    resend_dead_letter,
)

pytestmark = pytest.mark.fhir

SERVER_DIR = Path(__file__).parents[1] / "fhir_server"
TOKEN = "test-token-3c9d"
TOKEN_ENV = "OMOP_NLP_TEST_FHIR_TOKEN"
RECORDED = datetime(2025, 1, 1, tzinfo=UTC)
OPTIONS = FhirOptions(nlp_system="omop-nlp 0.1.0 rules server-test", patient_reference="Patient/{person_id}")
TYPES = ("Condition", "Device", "DocumentReference", "Observation", "Provenance")


@dataclass
class FhirServer:
    url: str
    process: subprocess.Popen

    def get(self, path: str, **params: str) -> dict:
        response = httpx.get(f"{self.url}/{path}", params=params,
                             headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
        response.raise_for_status()
        return response.json()

    def count(self, resource_type: str, **params: str) -> int:
        return self.get(resource_type, _summary="count", **params)["total"]

    def counts(self) -> dict[str, int]:
        return {t: n for t in TYPES if (n := self.count(t))}

    def ids(self, resource_type: str, **params: str) -> set[str]:
        bundle = self.get(resource_type, _count="1000", **params)
        return {e["resource"]["id"] for e in bundle.get("entry", [])}


@pytest.fixture
def fhir_server(tmp_path: Path) -> Iterator[FhirServer]:
    """A fresh server per test: its state lives in memory only, so counts start at zero."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed; the FHIR test server (tests/fhir_server) needs node >= 20.19")
    if not (SERVER_DIR / "node_modules" / "@medplum" / "fhir-router").is_dir():
        pytest.fail("FHIR test server dependencies missing: run `npm ci --prefix tests/fhir_server`")
    log = tmp_path / "fhir-server.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [node, "server.js", "0"], cwd=SERVER_DIR, stdout=subprocess.PIPE, stderr=stderr, text=True,
            env={**os.environ, "FHIR_TEST_TOKEN": TOKEN},
        )
    try:
        ready, _, _ = select.select([process.stdout], [], [], 60)
        line = process.stdout.readline() if ready else ""
        if not line.startswith("listening "):
            process.kill()
            pytest.fail(f"FHIR test server did not start: {line!r} {log.read_text()[-2000:]}")
        yield FhirServer(f"http://127.0.0.1:{int(line.split()[1])}/fhir/R4", process)
    finally:
        process.terminate()
        process.wait(timeout=10)


class FaultProxy:
    """Forwards to the server; ``fail_next`` requests get ``fail_status``; ``stop()`` closes the port."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.fail_next = 0
        self.fail_status = 503
        self.retry_after: str | None = None
        self.requests = 0
        self._server: ThreadingHTTPServer | None = None
        self.port = 0
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/fhir/R4"

    def start(self) -> None:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                proxy.requests += 1
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if proxy.fail_next:
                    proxy.fail_next -= 1
                    headers = {"Retry-After": proxy.retry_after} if proxy.retry_after else {}
                    self._reply(proxy.fail_status, b'{"resourceType":"OperationOutcome","issue":[]}', headers)
                    return
                upstream = httpx.post(proxy.upstream + self.path.removeprefix("/fhir/R4"), content=body,
                                      headers={k: v for k, v in self.headers.items() if k.lower() != "host"},
                                      timeout=60)
                self._reply(upstream.status_code, upstream.content)

            def _reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """The server is gone: connections to the port are refused."""
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()
        self._server = None


@pytest.fixture
def proxy(fhir_server: FhirServer) -> Iterator[FaultProxy]:
    fault_proxy = FaultProxy(fhir_server.url)
    yield fault_proxy
    if fault_proxy._server is not None:
        fault_proxy.stop()


@pytest.fixture(autouse=True)
def token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, TOKEN)


def send(url: str, results, tmp_path: Path, options: FhirOptions = OPTIONS, **kwargs: object):
    sink = FhirSink(options, url=url, token_env=TOKEN_ENV, dead_letter=tmp_path / "dead.ndjson",
                    recorded=RECORDED, **kwargs)
    for result in results:
        sink.write(result)
    return sink.close()


def test_send_twice_gives_the_same_resources(fhir_server: FhirServer, tmp_path: Path) -> None:
    """Every kind of resource (documents and absent findings too) is accepted, and PUT never duplicates."""
    notes = many(60)
    full = replace(OPTIONS, create_documents=True, absent=True)
    first = send(fhir_server.url, notes, tmp_path, full, batch_size=50)
    after_first = fhir_server.counts()
    second = send(fhir_server.url, notes, tmp_path, full, batch_size=7)
    assert first.failed == second.failed == 0
    assert first.sent == second.sent == sum(first.resources.values())
    assert after_first == {**first.resources, "Device": 1}
    assert fhir_server.counts() == after_first
    assert not (tmp_path / "dead.ndjson").exists()


def test_search_by_code_and_by_subject(fhir_server: FhirServer, tmp_path: Path) -> None:
    builder = FhirBuilder(OPTIONS, RECORDED)
    ct, mr = builder.build(chest_ct()), builder.build(brain_mri())
    send(fhir_server.url, [chest_ct(), brain_mri()], tmp_path)

    nodule = {r["id"] for r in ct if r["resourceType"] == "Observation" and r["code"]["text"] == "Nodule of lung"}
    assert len(nodule) == 3  # the lesion and its two locations
    assert fhir_server.ids("Observation", code="http://snomed.info/sct|786838002") == nodule
    assert fhir_server.ids("Observation", code="urn:omop-nlp:finding|nodule") == nodule
    parent = next(r for r in ct if r["id"] in nodule and "hasMember" in r)
    member = parent["hasMember"][0]["reference"]
    assert fhir_server.ids("Observation", **{"has-member": member}) == {parent["id"]}

    conditions = {r["id"] for r in mr if r["resourceType"] == "Condition"}
    assert fhir_server.ids("Condition", subject="Patient/2002") == conditions
    assert fhir_server.ids("Condition", subject="Patient/1001") == set()
    assert fhir_server.ids("Observation", subject="Patient/1001") == {
        r["id"] for r in ct if r["resourceType"] == "Observation"}
    glioma = next(r["id"] for r in mr if r["resourceType"] == "Condition" and r["code"]["text"] == "Glioma")
    statuses = fhir_server.ids("Observation", code="http://loinc.org|97509-4", focus=f"Condition/{glioma}")
    assert len(statuses) == 2
    assert fhir_server.ids("Condition", **{"verification-status": "differential"}) == {
        r["id"] for r in mr if r["resourceType"] == "Condition"
        and r["verificationStatus"]["coding"][0]["code"] == "differential"}


def test_transient_5xx_is_retried_with_backoff(fhir_server: FhirServer, proxy: FaultProxy) -> None:
    delays: list[float] = []
    proxy.fail_next = 3
    builder = FhirBuilder(OPTIONS, RECORDED)
    with RestSender(proxy.url, token_env=TOKEN_ENV, backoff=0.05, max_retries=5, sleep=delays.append,
                    shared=[builder.device]) as sender:
        sender.add(builder.build(chest_ct()))
    assert sender.stats.sent == 7 and sender.stats.failed == 0 and sender.stats.retries == 3
    assert delays == [0.05, 0.1, 0.2]
    assert proxy.requests == 4
    assert fhir_server.count("Observation") == 6


def test_retry_after_is_honoured_for_429(fhir_server: FhirServer, proxy: FaultProxy, tmp_path: Path) -> None:
    proxy.fail_next, proxy.fail_status, proxy.retry_after = 2, 429, "3"
    delays: list[float] = []
    with RestSender(proxy.url, token_env=TOKEN_ENV, backoff=0.01, sleep=delays.append,
                    dead_letter=tmp_path / "dead.ndjson") as sender:
        sender.add(FhirBuilder(OPTIONS, RECORDED).build(brain_mri())[:1])
    assert delays == [3.0, 3.0] and sender.stats.sent == 1
    assert fhir_server.count("Condition") == 1


@pytest.mark.parametrize("outage", ["stopped", "http_503"])
def test_outage_mid_run_goes_to_dead_letter_and_resend_loses_nothing(
    fhir_server: FhirServer, proxy: FaultProxy, tmp_path: Path, outage: str
) -> None:
    notes = many(40)
    dead = tmp_path / "dead.ndjson"
    sink = FhirSink(OPTIONS, url=proxy.url, token_env=TOKEN_ENV, dead_letter=dead, batch_size=10,
                    max_retries=2, backoff=0.01, recorded=RECORDED)
    for result in notes[:20]:
        sink.write(result)
    sink.flush()  # delivery is on the sender thread: wait for it
    sent_before = fhir_server.counts()
    if outage == "stopped":
        proxy.stop()
    else:
        proxy.fail_next = 10_000
    for result in notes[20:]:
        sink.write(result)
    summary = sink.close()

    total = sum(summary.resources.values())
    assert summary.failed > 0 and summary.sent + summary.failed == total
    assert summary.retries == 2  # the first failing batch backs off; later ones get one try each
    assert summary.dead_letter == str(dead)
    lines = read_ndjson(dead)
    assert len(lines) == summary.failed + 1  # the Device once
    assert [r["resourceType"] for r in lines].count("Device") == 1
    assert fhir_server.counts() == sent_before  # nothing reached the server during the outage

    if outage == "stopped":
        proxy.start()  # the server is back on the same address
    else:
        proxy.fail_next = 0
    again = resend_dead_letter(dead, proxy.url, token_env=TOKEN_ENV, batch_size=10)
    assert again.sent == summary.failed and again.failed == 0
    assert not dead.exists()
    assert fhir_server.counts() == {**summary.resources, "Device": 1}


def test_a_refused_batch_is_not_retried_and_can_be_resent(
    fhir_server: FhirServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_ENV, "wrong-token")
    summary = send(fhir_server.url, [chest_ct(), brain_mri()], tmp_path, max_retries=3, backoff=0.01)
    assert summary.sent == 0 and summary.retries == 0 and summary.failed == sum(summary.resources.values())
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    partial = tmp_path / "dead.ndjson"
    stats = resend_dead_letter(partial, fhir_server.url, token_env=TOKEN_ENV)
    assert stats.sent == summary.failed
    assert fhir_server.counts() == {**summary.resources, "Device": 1}


def test_server_rejects_what_is_not_r4_and_the_sender_keeps_it(fhir_server: FhirServer, tmp_path: Path) -> None:
    """The test server validates: a broken resource is refused, kept in the dead-letter file, not lost."""
    observation = FhirBuilder(OPTIONS, RECORDED).build(chest_ct())[0]
    broken = {k: v for k, v in observation.items() if k != "code"}
    dead = tmp_path / "dead.ndjson"
    with RestSender(fhir_server.url, token_env=TOKEN_ENV, dead_letter=dead) as sender:
        sender.add([broken])
    assert sender.stats.failed == 1 and read_ndjson(dead) == [broken]
    assert fhir_server.count("Observation") == 0


def test_token_variable_must_be_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_ENV)
    with pytest.raises(FhirConfigError, match=f"environment variable {TOKEN_ENV}"):
        FhirSink(OPTIONS, url="http://127.0.0.1:9/fhir", token_env=TOKEN_ENV)
    with pytest.raises(FhirConfigError, match="http:// or https://"):
        FhirSink(replace(OPTIONS), url="ftp://example.org/fhir")


def test_cli_run_sends_to_the_server_and_a_rerun_updates_in_place(fhir_server: FhirServer, tmp_path: Path) -> None:
    from omop_nlp.omop.demo_db import create_demo_cdm

    url = create_demo_cdm(tmp_path / "cdm.sqlite")
    command = [sys.executable, "-m", "omop_nlp", "run", "--cdm", url, "--no-progress", "--reprocess",
               "--fhir-url", fhir_server.url, "--fhir-token-env", TOKEN_ENV]
    first = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "FHIR: 44 note(s)" in first.stdout
    counts = fhir_server.counts()
    assert counts["Condition"] == 42 and counts["Provenance"] == 40
    again = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert fhir_server.counts() == counts
    assert not (tmp_path / "fhir-dead-letter.ndjson").exists()


def test_cli_resend_of_a_missing_file_is_one_clear_error(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "omop_nlp", "fhir-resend", str(tmp_path / "none.ndjson"),
                           "--fhir-url", "http://127.0.0.1:9/fhir"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().endswith("dead-letter file not found: " + str(tmp_path / "none.ndjson"))


def test_cli_server_down_dead_letters_exits_1_and_resend_delivers(fhir_server: FhirServer, tmp_path: Path) -> None:
    from omop_nlp.omop.demo_db import create_demo_cdm

    url = create_demo_cdm(tmp_path / "cdm.sqlite")
    config = tmp_path / "fhir.yaml"
    dead = tmp_path / "dead.ndjson"
    config.write_text(f"dead_letter: {dead}\nmax_retries: 1\npatient_reference: 'Patient/{{person_id}}'\n")
    down = subprocess.run(
        [sys.executable, "-m", "omop_nlp", "run", "--cdm", url, "--no-progress", "--note-id", "1",
         "--fhir-url", "http://127.0.0.1:9/fhir", "--fhir-token-env", TOKEN_ENV, "--fhir-config", str(config)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )
    assert down.returncode == 1, down.stderr
    assert "not sent" in down.stdout and str(dead) in down.stderr
    lost = [json.loads(line) for line in dead.read_text().splitlines()]
    assert lost and all(r["resourceType"] != "Device" or r["id"] for r in lost)
    resend = subprocess.run(
        [sys.executable, "-m", "omop_nlp", "fhir-resend", str(dead), "--fhir-url", fhir_server.url,
         "--fhir-token-env", TOKEN_ENV], capture_output=True, text=True, timeout=300,
    )
    assert resend.returncode == 0, resend.stderr
    assert not dead.exists()
    observations = fhir_server.get("Observation", _count="1000")["entry"]
    assert {e["resource"]["subject"]["reference"] for e in observations} == {"Patient/1"}
    assert sum(fhir_server.counts().values()) == len([r for r in lost if r["resourceType"] != "Device"]) + 1


def test_cli_unknown_fhir_setting_is_one_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "fhir.yaml"
    config.write_text("patient_sytem: urn:x\n")
    done = subprocess.run([sys.executable, "-m", "omop_nlp", "extract", "-", "--fhir-out", str(tmp_path / "f"),
                           "--fhir-config", str(config)], input="", capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: [E203] {config}: unknown FHIR setting(s): patient_sytem"
