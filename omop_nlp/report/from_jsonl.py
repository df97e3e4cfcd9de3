"""Report data from ``omop-nlp extract`` output and the input JSONL it was made from.

Two streaming passes, whatever the number of notes: the predictions (counted, and a sample of
ids chosen), then the input (patients and dates for the over-time pages, texts of the sample,
the reasons of notes that have no prediction). Only the sample's lines are kept whole.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from omop_nlp.errors import NoteSkipped
from omop_nlp.jsonl import JsonlError
from omop_nlp.model import Report
from omop_nlp.report.notes import NoteView, ReportInputError, Sampler, Selection
from omop_nlp.report.summary import Summary, malignant_episodes
from omop_nlp.routing import load_router
from omop_nlp.rules import MODALITIES, load_rules
from omop_nlp.sources.jsonl import read_reports
from omop_nlp.text.note import checked_text


@dataclass
class ReportData:
    summary: Summary
    notes: list[NoteView]
    source: str  # where the results come from, for the page header
    nlp_system: str | None = None


@dataclass
class _Predicted:
    modality: str
    offset: int  # byte offset of the line, to read the sample's mentions again
    malignant: dict[str, tuple[str, ...]]  # brain MRI: present malignant diagnosis -> episodes


def load_jsonl(predictions: Path, input_path: Path, selection: Selection) -> ReportData:
    summary = Summary()
    sampler = Sampler(selection)
    predicted = _read_predictions(predictions, summary, sampler)
    chosen = set(sampler.chosen)
    notes: dict[str, NoteView] = {}
    seen: set[str] = set()

    def on_error(_error: JsonlError) -> None:
        summary.skipped["invalid_line"] += 1

    for report in read_reports(input_path, on_error):
        seen.add(report.id)
        note = predicted.get(report.id)
        if note is None:
            summary.skipped[_skip_reason(report)] += 1
            continue
        if note.modality == "brain_mri" and report.person_id is not None and report.note_date is not None:
            summary.add_exam(report.person_id, report.note_date, report.id, note.malignant)
        if report.id in chosen:
            notes[report.id] = _note_view(predictions, note, report)
    missing = predicted.keys() - seen
    if missing:
        raise ReportInputError(f"{len(missing)} report(s) of {predictions} are not in {input_path} "
                               f"(e.g. id {min(missing)}); give the input that extract read")  # fmt: skip
    return ReportData(summary, [notes[i] for i in sampler.chosen if i in notes], source=str(predictions))


def _read_predictions(path: Path, summary: Summary, sampler: Sampler) -> dict[str, _Predicted]:
    predicted: dict[str, _Predicted] = {}
    offset = 0
    with _open(path) as fh:
        for lineno, raw in enumerate(fh, start=1):
            here, offset = offset, offset + len(raw)
            if not raw.strip():
                continue
            data = _line(path, lineno, raw)
            note_id, modality = str(data.get("id", "")), data.get("modality")
            if not note_id or modality not in MODALITIES or not isinstance(data.get("findings"), dict):
                raise ReportInputError(f"{path}: line {lineno}: not extract output (id, modality, findings)")
            if note_id in predicted:
                raise ReportInputError(f"{path}: line {lineno}: duplicate id")
            findings = data["findings"]
            mentions = data.get("mentions") or []
            try:
                _count(summary, modality, findings, mentions)
            except (KeyError, TypeError, ValueError):
                raise ReportInputError(f"{path}: line {lineno}: mentions are not extract's "
                                       "(key, type, certainty, start, end)") from None  # fmt: skip
            predicted[note_id] = _Predicted(modality, here, malignant_episodes(modality, findings))
            sampler.offer(note_id, set(findings) | {m.get("key") for m in mentions if isinstance(m, dict)})
    if not predicted:
        raise ReportInputError(f"{path}: no predictions; run omop-nlp extract first")
    return predicted


def _count(summary: Summary, modality: str, findings: dict, mentions: list) -> None:
    summary.processed += 1
    summary.add_note(modality, findings)
    entity_type = load_rules(modality).entity_type
    for m in mentions:
        summary.add_mentions(modality, m["key"], m["type"] == entity_type, m["certainty"], m.get("related", []),
                             m.get("text", ""))  # fmt: skip


def _note_view(path: Path, note: _Predicted, report: Report) -> NoteView:
    with path.open("rb") as fh:
        fh.seek(note.offset)
        data = json.loads(fh.readline())
    rules = load_rules(note.modality)
    mentions = data.get("mentions") or []
    for mention in mentions:  # extract output names no concept: show the key's standard code
        definition = rules.entities.get(mention.get("key")) or rules.related.get(mention.get("key"))
        if definition is not None and definition.code is not None:
            mention.setdefault("concept", f"{definition.code.vocabulary} {definition.code.code}")
    view = NoteView(report.id, note.modality, report.text, mentions, data["findings"], report.person_id,
                    report.note_date, report.title)  # fmt: skip
    view.check_offsets()
    return view


def _skip_reason(report: Report) -> str:
    """Why extract wrote nothing for a note of its input: the engine's own checks, asked again."""
    try:
        checked_text(report.text)
    except NoteSkipped as skipped:
        return skipped.reason
    if report.modality not in MODALITIES and load_router().route(report) is None:
        return "unknown_modality"
    return "not_in_predictions"


def _open(path: Path):
    try:
        return path.open("rb")
    except OSError as exc:
        raise ReportInputError(f"{path}: cannot be read ({exc.strerror})") from None


def _line(path: Path, lineno: int, raw: bytes) -> dict:
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ReportInputError(f"{path}: line {lineno}: not valid JSON") from None
    if not isinstance(data, dict):
        raise ReportInputError(f"{path}: line {lineno}: expected a JSON object")
    return data
