"""The report as one HTML file: summary, over-time and per-note pages, styles and scripts inline."""

from __future__ import annotations

import hashlib
import json
from html import escape
from importlib import resources

from omop_nlp import __version__
from omop_nlp.model import Certainty
from omop_nlp.report.charts import plotly_js, sankey_html, timeline_html
from omop_nlp.report.from_jsonl import ReportData
from omop_nlp.report.highlight import KIND_COLORS, render_note
from omop_nlp.report.lung import lung_svg
from omop_nlp.report.notes import NoteView
from omop_nlp.report.summary import Summary
from omop_nlp.rules import MODALITIES, load_rules

_SHOWN_CERTAINTIES = [c.value for c in Certainty]
# Nothing is fetched: the page can only run its own inline scripts and show inline or data: images.
_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:; font-src data:"


def _asset(name: str) -> str:
    return resources.files("omop_nlp.report").joinpath("assets", name).read_text(encoding="utf-8")


def _script_json(value: object) -> str:
    """JSON safe inside <script>: no '<', '>' or '&' that could close the element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _table(header: list[str], rows: list[list[str]]) -> str:
    """Cells are HTML already escaped; counts are right-aligned."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f'<td class="n">{c}</td>' if c.isdigit() else f"<td>{c}</td>" for c in r) + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _summary_page(summary: Summary) -> str:
    skipped = sum(summary.skipped.values())
    reasons = [[escape(reason), str(n)] for reason, n in sorted(summary.skipped.items())]
    out = [f'<div class="cards"><div class="card"><b id="processed">{summary.processed}</b> notes processed, '
           f'<b id="skipped">{skipped}</b> skipped'
           + (_table(["skip reason", "notes"], reasons) if reasons else "") + "</div>"]  # fmt: skip
    out.append(f'<div class="card"><h3>Lesion locations (chest CT)</h3>{lung_svg(summary.lung)}</div></div>')
    for modality in MODALITIES:
        rows = summary.key_rows(modality)
        if not rows:
            continue
        rules = load_rules(modality)
        table_rows = []
        for row in rows:
            variants = ", ".join(f"{escape(v)} ({n})" for v, n in row["variants"])
            table_rows.append([escape(row["key"]), str(row["notes"])] + [str(row[c]) for c in _SHOWN_CERTAINTIES]
                              + [variants])  # fmt: skip
        out.append(f"<h2>{escape(rules.display)}: {summary.notes_per_modality[modality]} notes</h2>")
        out.append(_table(["key", "notes with finding", *(f"{c} mentions" for c in _SHOWN_CERTAINTIES),
                           "top lexical variants"], table_rows))  # fmt: skip
    return "".join(out)


def _time_page(summary: Summary) -> str:
    sankey, timeline = sankey_html(summary), timeline_html(summary)
    if sankey is None and timeline is None:
        return ('<p class="muted">No brain MRI follow-up: no patient has two dated brain MRIs with a malignant '
                "diagnosis.</p>")  # fmt: skip
    return (sankey or '<p class="muted">No consecutive examinations to link.</p>') + (timeline or "")


def _note_meta(note: NoteView) -> str:
    parts = [f"<b>{escape(note.id)}</b>", escape(note.modality)]
    if note.title:
        parts.append(escape(note.title))
    if note.person_id is not None:
        parts.append(f"person {note.person_id}")
    if note.note_date is not None:
        parts.append(note.note_date.isoformat())
    if note.facts:
        parts.append("CDM facts: " + ", ".join(f"{escape(t)} {n}" for t, n in sorted(note.facts.items())))
    return " · ".join(parts)


def _notes_page(notes: list[NoteView]) -> str:
    if not notes:
        return '<p class="muted">No note matches the selection.</p>'
    listing = "".join(f'<button data-note="{escape(n.id)}">{escape(n.id)}</button>' for n in notes)
    articles = "".join(
        f'<article class="note" id="note-{i}" data-note-id="{escape(n.id)}" data-mentions="{len(n.mentions)}">'
        f'<div class="meta">{_note_meta(n)}</div>{render_note(n)}</article>'
        for i, n in enumerate(notes)
    )
    legend = "".join(f'<span style="background:{c}">{k}</span>' for k, c in KIND_COLORS.items())
    legend += ('<span style="text-decoration:line-through">negated</span><span style="outline:2px dashed #555">'
               'hedged</span><span style="opacity:.45">historical</span>')  # fmt: skip
    return f"""
<div class="legend">{legend}</div>
<div id="notes-layout">
  <div id="note-list">{listing}</div>
  <div><div class="toolbar"><button id="prev-note">◀ previous</button><button id="next-note">next ▶</button></div>
    {articles}</div>
  <div>
    <div id="mention-detail" class="muted">Click a highlighted mention for its key, certainty, section,
      concept and mapper.</div>
    <div id="findings-panel"><div id="findings"></div>
      <div class="toolbar"><label><input type="checkbox" id="mark-reviewed"> reviewed</label>
        <button id="reset-note">reset to engine</button></div>
      <div class="toolbar"><button id="download-gold">Download gold JSONL</button>
        <span class="muted"><span id="reviewed-count">0</span> reviewed</span></div>
    </div>
  </div>
</div>"""


def _schema_json() -> dict:
    out = {}
    for modality in MODALITIES:
        rules = load_rules(modality)
        out[modality] = {
            "entityType": rules.entity_type,
            "relatedType": rules.related_type,
            "entities": list(rules.entities),
            "relates": [k for k, d in rules.entities.items() if d.relates],
            "related": list(rules.related),
        }
    return out


def _mention_json(mention: dict) -> dict:
    keep = ("key", "type", "certainty", "section", "related", "mapper", "concept")
    return {k: mention.get(k) for k in keep}


def render_report(data: ReportData) -> str:
    notes = data.notes
    review_key = hashlib.sha256(
        json.dumps([data.source, data.nlp_system, [n.id for n in notes]]).encode()
    ).hexdigest()[:16]
    payload = {
        "reviewKey": review_key,
        "schema": _schema_json(),
        "notes": [{"id": n.id, "modality": n.modality, "text": n.text, "findings": n.findings,
                   "mentions": [_mention_json(m) for m in n.mentions]} for n in notes],
    }  # fmt: skip
    system = f" · {escape(data.nlp_system)}" if data.nlp_system else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<title>omop-nlp report</title><style>{_asset("report.css")}</style>
<script>{plotly_js()}</script></head>
<body>
<header><h1>omop-nlp report</h1><nav><a href="#summary" data-page="summary">Summary</a>
<a href="#time" data-page="time">Over time</a><a href="#notes" data-page="notes">Notes ({len(notes)})</a></nav>
<span class="source">{escape(data.source)}{system} · omop-nlp {__version__}</span></header>
<main>
<section class="page" id="summary">{_summary_page(data.summary)}</section>
<section class="page" id="time">{_time_page(data.summary)}</section>
<section class="page" id="notes">{_notes_page(notes)}</section>
</main>
<script id="omop-data" type="application/json">{_script_json(payload)}</script>
<script>{_asset("review.js")}</script>
</body></html>
"""
