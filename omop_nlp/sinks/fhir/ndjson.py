"""FHIR Bulk Data NDJSON output: one ``<ResourceType>.ndjson`` file per type, one resource a line."""

from __future__ import annotations

import json
import os
from collections import Counter, deque
from pathlib import Path
from typing import TextIO

PART_SUFFIX = ".part"
# Resources a resumed run may write again are those of the notes whose delivery was not yet recorded
# when the earlier run stopped: the last ones it wrote (bounded by the sender's queue and a batch).
# Only the ids of that many last lines are kept, so memory does not grow with the file.
RESUME_WINDOW = 100_000


def dumps(resource: dict) -> str:
    return json.dumps(resource, ensure_ascii=False, separators=(",", ":"))


class NdjsonWriter:
    """Streams resources to one file per resource type; nothing is held in memory.

    ``append=False`` (``extract``): ``DIR/<type>.ndjson.part``, renamed on ``close()``, so a reader
    never sees a half-written file under the final name; it replaces the file of an earlier run.

    ``append=True`` (``run``, which resumes): the files are continued across runs. On opening, a
    last line cut short by a crash is dropped and the ids of the last ``RESUME_WINDOW`` lines are
    read, so a resumed run that rebuilds a note whose resources reached the file before the crash
    writes none of them twice. Lines are flushed by ``flush()`` (the run does it before the ledger
    records the notes as delivered).
    """

    def __init__(self, directory: Path | str, *, append: bool = False) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.append = append
        self._files: dict[str, TextIO] = {}
        self._earlier: dict[str, set[str]] = {}  # append: ids of the last lines an earlier run wrote
        self.counts: Counter[str] = Counter()

    def write(self, resource: dict) -> None:
        resource_type = resource["resourceType"]
        handle = self._files.get(resource_type)
        if handle is None:
            handle = self._files[resource_type] = self._open(resource_type)
        if self.append and resource["id"] in self._earlier[resource_type]:
            return
        handle.write(dumps(resource))
        handle.write("\n")
        self.counts[resource_type] += 1

    def write_all(self, resources: list[dict]) -> None:
        for resource in resources:
            self.write(resource)

    def flush(self) -> None:
        for handle in self._files.values():
            handle.flush()

    def close(self) -> dict[str, int]:
        """Finish every file; returns the number of resources written per type."""
        for resource_type, handle in self._files.items():
            handle.close()
            if not self.append:
                os.replace(self._part(resource_type), self.path(resource_type))
        self._files.clear()
        return dict(sorted(self.counts.items()))

    def path(self, resource_type: str) -> Path:
        return self.directory / f"{resource_type}.ndjson"

    def _part(self, resource_type: str) -> Path:
        return self.directory / f"{resource_type}.ndjson{PART_SUFFIX}"

    def _open(self, resource_type: str) -> TextIO:
        if not self.append:
            return self._part(resource_type).open("w", encoding="utf-8")
        path = self.path(resource_type)
        self._earlier[resource_type] = _last_ids(path)
        return path.open("a", encoding="utf-8")

    def __enter__(self) -> NdjsonWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _last_ids(path: Path) -> set[str]:
    """The ids of the last ``RESUME_WINDOW`` complete lines of ``path``; a last line without its
    newline (a crash in the middle of a write) is cut off so the file ends on a whole resource."""
    if not path.exists():
        return set()
    last: deque[str] = deque(maxlen=RESUME_WINDOW)
    good = 0
    with path.open("rb") as fh:
        for line in fh:
            if not line.endswith(b"\n"):
                break
            good += len(line)
            if line.strip():
                last.append(json.loads(line)["id"])
    if good < path.stat().st_size:
        with path.open("r+b") as fh:
            fh.truncate(good)
    return set(last)


def read_ndjson(path: Path | str) -> list[dict]:
    """All resources of an NDJSON file (tests, dead-letter inspection); blank lines are skipped."""
    with Path(path).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
