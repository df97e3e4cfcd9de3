"""train-bert's input: the site's notes from a JSONL file, checked before any training starts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from omop_nlp.errors import JsonlError, UsageError
from omop_nlp.sources.site_notes import SiteNotes


def test_jsonl_notes_stream_up_to_the_limit_and_bad_lines_are_reported(tmp_path: Path) -> None:
    lines = [{"id": "a", "text": "Small nodule in the right upper lobe."}, {"text": "no id here"},
             {"id": "b", "text": "No effusion."}, {"id": "c", "text": "Stable mass."}]  # fmt: skip
    notes = tmp_path / "notes.jsonl"
    notes.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    skipped: list[JsonlError] = []
    reports = list(SiteNotes(notes=notes, limit=2).reports(skipped.append))
    assert [r.id for r in reports] == ["a", "b"]
    assert len(skipped) == 1 and "line 2" in str(skipped[0]) and "no id here" not in str(skipped[0])


@pytest.mark.parametrize(
    ("notes", "message"),
    [
        (SiteNotes(), "give --notes FILE, or --cdm URL for the CDM's NOTE table"),
        (SiteNotes(notes=Path("missing.jsonl")), "--notes: file not found: missing.jsonl"),
    ],
)
def test_a_missing_source_is_a_usage_error_before_reading(notes: SiteNotes, message: str) -> None:
    with pytest.raises(UsageError, match="^" + message.replace(".", r"\.") + "$"):
        notes.reports(lambda error: None)
