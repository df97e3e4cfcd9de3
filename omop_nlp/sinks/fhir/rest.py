"""Sending resources to a FHIR server: transaction Bundles of PUT entries, retries, dead-letter file.

PUT with the deterministic ids makes every send idempotent, so a batch can be retried, or
re-sent later from the dead-letter file, without creating duplicates.

Delivery runs on a sender thread fed through a bounded queue, off the extraction path: NOTE_NLP
goes on while a batch waits for the server. A server that never answers costs at most
``breaker_failures`` timed-out requests: then the circuit opens and every remaining batch goes
straight to the dead-letter file, and the summary says so.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import httpx

from omop_nlp.redact import mask_text
from omop_nlp.sinks.fhir.ndjson import dumps

log = logging.getLogger(__name__)

FHIR_JSON = "application/fhir+json"
DEFAULT_DEAD_LETTER = Path("fhir-dead-letter.ndjson")
DEFAULT_BATCH_SIZE = 50  # Bundle entries, the shared Device included
DEFAULT_TIMEOUT_S = 30.0  # per request: connect, each read, each write
DEFAULT_BREAKER_FAILURES = 5  # failed requests in a row (unreachable, timeout, 5xx) that open the circuit
_QUEUE_BATCHES = 64  # batches waiting for the sender thread; a full queue makes the run wait (memory bound)


class FhirConfigError(ValueError):
    """A setting the user must fix (missing token variable, bad URL)."""


@dataclass
class SendStats:
    batches: int = 0
    sent: int = 0  # resources the server accepted (shared resources such as the Device not counted)
    failed: int = 0  # resources written to the dead-letter file
    retries: int = 0
    circuit_open: bool = False  # the server failed too often in a row; the rest went to the dead-letter file
    unreadable: tuple[int, ...] = ()  # fhir-resend: line numbers of the file that are not JSON (kept in it)


class DeadLetter:
    """NDJSON of resources that could not be sent; each shared resource is written once."""

    def __init__(self, path: Path | str, mode: str = "a") -> None:
        self.path = Path(path)
        self.mode = mode
        self._handle: TextIO | None = None
        self._shared_written: set[str] = set()
        self.written = 0

    def write(self, shared: Iterable[dict], resources: Iterable[dict]) -> None:
        handle = self._open()
        for resource in shared:
            key = _key(resource)
            if key not in self._shared_written:
                self._shared_written.add(key)
                handle.write(dumps(resource) + "\n")
        for resource in resources:
            handle.write(dumps(resource) + "\n")
            self.written += 1
        handle.flush()

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def _open(self) -> TextIO:
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open(self.mode, encoding="utf-8")
        return self._handle


class RestSender:
    """Posts transaction Bundles of whole notes, ``batch_size`` entries at most (a larger note alone).

    Bundles are kept small by default: servers cap transactions (the Medplum test server at 50 updates).

    Connection errors, timeouts, 5xx and 429 are retried with exponential backoff (``Retry-After`` is
    honoured); a batch that still fails, or that the server refuses (other 4xx), goes to the dead-letter
    file and the run carries on. After a batch fails for good, later batches get one attempt each until
    one succeeds; after ``breaker_failures`` failed requests in a row the circuit opens: no more
    requests, every later batch is dead-lettered at once.

    ``add`` queues; the sender thread posts. ``flush`` waits until everything queued is delivered or
    dead-lettered; ``take_delivered`` hands out the notes whose resources got that far (the ledger
    records them, so a stopped run resends exactly the notes that were not).
    """

    def __init__(
        self,
        url: str,
        *,
        token_env: str | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_retries: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        timeout: float = DEFAULT_TIMEOUT_S,
        breaker_failures: int = DEFAULT_BREAKER_FAILURES,
        dead_letter: Path | str = DEFAULT_DEAD_LETTER,
        dead_letter_mode: str = "a",
        shared: Sequence[dict] = (),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise FhirConfigError(f"FHIR server URL must start with http:// or https://, got {mask_text(url)!r}")
        self.url = url.rstrip("/")
        self._shown_url = mask_text(self.url)  # what logs may print
        self.batch_size = max(1, batch_size)
        self.max_retries = max(0, max_retries)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.shared = {_key(r): r for r in shared}
        self.dead_letter = DeadLetter(dead_letter, dead_letter_mode)
        self.stats = SendStats()
        self._sleep = sleep
        self._pending: list[dict] = []
        self._pending_notes: list[str] = []
        self._down = False
        self._failures_in_row = 0
        self.breaker_failures = max(1, breaker_failures)
        self._client = httpx.Client(timeout=timeout, headers=_headers(token_env))
        self._queue: queue.Queue[tuple[list[dict], list[str]] | None] = queue.Queue(_QUEUE_BATCHES)
        self._delivered: list[str] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._send_loop, name="omop-nlp-fhir-sender", daemon=True)
        self._thread.start()

    def add(self, resources: Sequence[dict], note_id: str | None = None) -> None:
        """Queue one note's resources; they travel in the same Bundle."""
        room = max(1, self.batch_size - len(self.shared))
        if self._pending and len(self._pending) + len(resources) > room:
            self._enqueue()
        self._pending.extend(resources)
        if note_id is not None:
            self._pending_notes.append(note_id)
        if len(self._pending) >= room:
            self._enqueue()

    def take_delivered(self) -> list[str]:
        """The notes whose resources were accepted or dead-lettered since the last call."""
        with self._lock:
            out, self._delivered = self._delivered, []
        return out

    def add_shared(self, resource: dict) -> None:
        """A resource that every Bundle carries (the Device that Provenance.agent refers to)."""
        self.shared[_key(resource)] = resource

    def flush(self) -> None:
        """Send what is queued and wait until every batch is delivered or dead-lettered."""
        self._enqueue()
        self._queue.join()

    def _enqueue(self) -> None:
        if self._pending or self._pending_notes:
            batch, notes = self._pending, self._pending_notes
            self._pending, self._pending_notes = [], []
            self._queue.put((batch, notes))

    def _send_loop(self) -> None:
        while (item := self._queue.get()) is not None:
            try:
                self._send(*item)
            except Exception as exc:  # never lose a batch to a bug: it is dead-lettered, the thread goes on
                log.error("FHIR sender: %s; the batch goes to the dead-letter file", type(exc).__name__)
                self.dead_letter.write(self.shared.values(), item[0])
                self.stats.failed += len(item[0])
            finally:
                self._queue.task_done()
        self._queue.task_done()

    def _send(self, batch: list[dict], notes: list[str]) -> None:
        if batch:
            self.stats.batches += 1
            if self._deliver(batch):
                self.stats.sent += len(batch)
            else:
                self.dead_letter.write(self.shared.values(), batch)
                self.stats.failed += len(batch)
        with self._lock:
            self._delivered.extend(notes)

    def close(self) -> SendStats:
        try:
            self.flush()
        finally:
            self._queue.put(None)
            self._thread.join()
            self.dead_letter.close()
            self._client.close()
        if self.stats.failed:
            log.warning("%d FHIR resources not sent; written to %s", self.stats.failed, self.dead_letter.path)
        return self.stats

    def __enter__(self) -> RestSender:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one batch ---------------------------------------------------------------------------------

    def _deliver(self, batch: list[dict]) -> bool:
        if self.stats.circuit_open:
            return False
        bundle = self._bundle(batch)
        attempts = 1 if self._down else self.max_retries + 1
        for attempt in range(attempts):
            verdict, retry_after = self._post(bundle, len(bundle["entry"]))
            if verdict == "ok":
                self._down = False
                self._failures_in_row = 0
                return True
            if verdict == "refused":
                self._failures_in_row = 0  # the server answers: no reason to stop asking it
                return False
            self._failures_in_row += 1
            if self._failures_in_row >= self.breaker_failures:
                self.stats.circuit_open = True
                log.error("FHIR server %s failed %d requests in a row: circuit open, every remaining batch goes "
                          "to %s (send it later with `omop-nlp fhir-resend`)",
                          self._shown_url, self._failures_in_row, self.dead_letter.path)
                return False
            if attempt + 1 < attempts:
                delay = self._delay(attempt, retry_after)
                log.warning("FHIR batch of %d resources: retry %d/%d in %.1f s",
                            len(batch), attempt + 1, self.max_retries, delay)
                self.stats.retries += 1
                self._sleep(delay)
        self._down = True
        return False

    def _post(self, bundle: dict, entries: int) -> tuple[str, float | None]:
        """'ok', 'retry' (connection error, 5xx, 429) or 'refused' (any other answer), and Retry-After."""
        try:
            response = self._client.post(self.url, content=json.dumps(bundle, ensure_ascii=False).encode())
        except httpx.TransportError as exc:  # refused, reset, or a timeout (connect, read, write, pool)
            log.warning("FHIR server %s not reachable (%s)", self._shown_url, type(exc).__name__)
            return "retry", None
        if response.status_code == 429 or response.status_code >= 500:
            log.warning("FHIR server answered HTTP %d", response.status_code)
            return "retry", _retry_after(response)
        if response.is_success and _all_entries_ok(response, entries):
            return "ok", None
        log.error("FHIR server refused a batch: HTTP %d %s", response.status_code, _issue_codes(response))
        return "refused", None

    def _bundle(self, batch: list[dict]) -> dict:
        resources = [*self.shared.values(), *batch]
        return {
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [
                {
                    "fullUrl": f"{self.url}/{r['resourceType']}/{r['id']}",
                    "resource": r,
                    "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"},
                }
                for r in resources
            ],
        }

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        delay = self.backoff * (2**attempt)
        if retry_after is not None:
            delay = max(delay, retry_after)
        return min(delay, self.max_backoff)


def resend_dead_letter(path: Path | str, url: str, **sender_options: object) -> SendStats:
    """Send a dead-letter file again, in order. What still fails replaces the file; else it is removed.

    Until the resend has finished the original file is left in place, so a crash loses nothing.
    """
    path = Path(path)
    if not path.exists():
        return SendStats()
    retry = path.with_name(path.name + ".retry")
    sender = RestSender(url, dead_letter=retry, dead_letter_mode="w", **sender_options)  # type: ignore[arg-type]
    unreadable: list[tuple[int, str]] = []  # a line cut short by a crash, an edit: kept, reported, not sent
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                resource = _resource_line(line)
                if resource is None:
                    unreadable.append((number, line))
                elif resource["resourceType"] == "Device":
                    sender.add_shared(resource)
                else:
                    sender.add([resource])
    finally:
        stats = sender.close()
    if unreadable:
        log.warning("%s: line(s) %s are not FHIR resources (cut short?): not sent, kept in the file",
                    path, ", ".join(str(n) for n, _ in unreadable))
        with retry.open("a", encoding="utf-8") as fh:
            fh.writelines(line if line.endswith("\n") else line + "\n" for _, line in unreadable)
        stats.unreadable = tuple(n for n, _ in unreadable)
    if stats.failed or unreadable:
        os.replace(retry, path)
    else:
        path.unlink()
        retry.unlink(missing_ok=True)
    return stats


def _resource_line(line: str) -> dict | None:
    try:
        resource = json.loads(line)
    except ValueError:
        return None
    ok = isinstance(resource, dict) and isinstance(resource.get("resourceType"), str) and "id" in resource
    return resource if ok else None


def _headers(token_env: str | None) -> dict[str, str]:
    headers = {"Content-Type": FHIR_JSON, "Accept": FHIR_JSON}
    if token_env:
        token = os.environ.get(token_env, "").strip()
        if not token:
            raise FhirConfigError(f"environment variable {token_env} (the FHIR bearer token) is not set or empty")
        headers["Authorization"] = f"Bearer {token}"
    return headers


def _key(resource: dict) -> str:
    return f"{resource['resourceType']}/{resource['id']}"


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.strip().isdigit() else None


def _all_entries_ok(response: httpx.Response, entries: int) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    results = body.get("entry", []) if isinstance(body, dict) else []
    statuses = [str(e.get("response", {}).get("status", "")) for e in results]
    return len(statuses) == entries and all(s.startswith("2") for s in statuses)


def _issue_codes(response: httpx.Response) -> str:
    """The OperationOutcome issue codes only: diagnostics may quote identifiers or values."""
    try:
        issues = response.json().get("issue", [])
    except (ValueError, AttributeError):
        return ""
    return ",".join(sorted({str(i.get("code")) for i in issues if isinstance(i, dict)}))
