"""FHIR Bulk Data NDJSON output: one ``<ResourceType>.ndjson`` file per type, one resource a line."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import TextIO

PART_SUFFIX = ".part"


def dumps(resource: dict) -> str:
    return json.dumps(resource, ensure_ascii=False, separators=(",", ":"))


class NdjsonWriter:
    """Streams resources to ``DIR/<type>.ndjson.part`` and renames them on ``close()``.

    Nothing is held in memory; a reader never sees a half-written file under the final name.
    A file of a type written by this run replaces the one of an earlier run in the same folder.
    """

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._files: dict[str, TextIO] = {}
        self.counts: Counter[str] = Counter()

    def write(self, resource: dict) -> None:
        resource_type = resource["resourceType"]
        handle = self._files.get(resource_type)
        if handle is None:
            handle = self._files[resource_type] = self._part(resource_type).open("w", encoding="utf-8")
        handle.write(dumps(resource))
        handle.write("\n")
        self.counts[resource_type] += 1

    def write_all(self, resources: list[dict]) -> None:
        for resource in resources:
            self.write(resource)

    def close(self) -> dict[str, int]:
        """Finish every file; returns the number of resources written per type."""
        for resource_type, handle in self._files.items():
            handle.close()
            os.replace(self._part(resource_type), self.path(resource_type))
        self._files.clear()
        return dict(sorted(self.counts.items()))

    def path(self, resource_type: str) -> Path:
        return self.directory / f"{resource_type}.ndjson"

    def _part(self, resource_type: str) -> Path:
        return self.directory / f"{resource_type}.ndjson{PART_SUFFIX}"

    def __enter__(self) -> NdjsonWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_ndjson(path: Path | str) -> list[dict]:
    """All resources of an NDJSON file (tests, dead-letter inspection); blank lines are skipped."""
    with Path(path).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
