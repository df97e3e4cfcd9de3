"""Sending resources to a FHIR server: transaction Bundles of PUT entries, retries, dead-letter file.

PUT with the deterministic ids makes every send idempotent, so a batch can be retried, or
re-sent later from the dead-letter file, without creating duplicates.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import httpx

from omop_nlp.errors import FhirConfigError
from omop_nlp.redact import mask_text
from omop_nlp.sinks.fhir.ndjson import dumps

log = logging.getLogger(__name__)

FHIR_JSON = "application/fhir+json"
DEFAULT_DEAD_LETTER = Path("fhir-dead-letter.ndjson")
DEFAULT_BATCH_SIZE = 50  # Bundle entries, the shared Device included


@dataclass
class SendStats:
    batches: int = 0
    sent: int = 0  # resources the server accepted (shared resources such as the Device not counted)
    failed: int = 0  # resources written to the dead-letter file
    retries: int = 0

    def add(self, other: SendStats) -> None:
        for name in ("batches", "sent", "failed", "retries"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


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

    Connection errors, 5xx and 429 are retried with exponential backoff (``Retry-After`` is honoured);
    a batch that still fails, or that the server refuses (other 4xx), goes to the dead-letter file and
    the run carries on. After a batch fails for good, later batches get one attempt each until one
    succeeds, so that a server that is down costs seconds, not hours.
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
        timeout: float = 60.0,
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
        self._down = False
        self._client = httpx.Client(timeout=timeout, headers=_headers(token_env))

    def add(self, resources: Sequence[dict]) -> None:
        """Queue one note's resources; they travel in the same Bundle."""
        room = max(1, self.batch_size - len(self.shared))
        if self._pending and len(self._pending) + len(resources) > room:
            self.flush()
        self._pending.extend(resources)
        if len(self._pending) >= room:
            self.flush()

    def add_shared(self, resource: dict) -> None:
        """A resource that every Bundle carries (the Device that Provenance.agent refers to)."""
        self.shared[_key(resource)] = resource

    def flush(self) -> None:
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        self.stats.batches += 1
        if self._deliver(batch):
            self.stats.sent += len(batch)
        else:
            self.dead_letter.write(self.shared.values(), batch)
            self.stats.failed += len(batch)

    def close(self) -> SendStats:
        try:
            self.flush()
        finally:
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
        bundle = self._bundle(batch)
        attempts = 1 if self._down else self.max_retries + 1
        for attempt in range(attempts):
            verdict, retry_after = self._post(bundle, len(bundle["entry"]))
            if verdict == "ok":
                self._down = False
                return True
            if verdict == "refused":
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
        except httpx.TransportError as exc:
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
    try:
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if not line.strip():
                    continue
                resource = json.loads(line)
                if resource["resourceType"] == "Device":
                    sender.add_shared(resource)
                else:
                    sender.add([resource])
    finally:
        stats = sender.close()
    if stats.failed:
        os.replace(retry, path)
    else:
        path.unlink()
        retry.unlink(missing_ok=True)
    return stats


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
