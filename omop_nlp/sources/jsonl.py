"""Reports from interchange JSONL (`id`, `text`, optional `modality`, `title`, `person_id`, `date`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

from omop_nlp.jsonl import JsonlError, iter_jsonl
from omop_nlp.model import Report


def read_reports(path: Path | str, on_error: Callable[[JsonlError], None]) -> Iterator[Report]:
    """Streams reports; a line without a usable id or text goes to ``on_error`` and is skipped."""
    for lineno, data in iter_jsonl(path, on_error=on_error):
        report_id = data.get("id")
        if report_id is None or isinstance(report_id, bool | dict | list) or str(report_id) == "":
            on_error(JsonlError(str(path), lineno, "missing or invalid 'id'"))
            continue
        text = data.get("text")
        if not isinstance(text, str):
            on_error(JsonlError(str(path), lineno, f"report {report_id}: missing or non-string 'text'"))
            continue
        yield Report(
            id=str(report_id),
            text=text,
            modality=data.get("modality") if isinstance(data.get("modality"), str) else None,
            person_id=_int_or_none(data.get("person_id", data.get("person"))),
            note_date=_date_or_none(data.get("date", data.get("note_date"))),
            title=data.get("title") if isinstance(data.get("title"), str) else None,
        )


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _date_or_none(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
