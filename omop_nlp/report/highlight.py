"""A note's text with its mentions highlighted, rendered by displaCy (spaCy's renderer, ``manual=True``).

displaCy escapes the note text; the template only adds the mention's index, kind and certainty
as classes so that the page's stylesheet and script can style it and find its details.
"""

from __future__ import annotations

import html

from omop_nlp.report.notes import NoteView, has_words
from omop_nlp.rules import MODALITIES, load_rules

KIND_COLORS = {"lesion": "#f4c27a", "location": "#9fd3f0", "diagnosis": "#f3a0a8", "episode": "#b9e3a5"}

_TEMPLATE = (
    '<mark class="m {kind} {certainty}" data-m="{index}" title="{tip}" tabindex="0" '
    'style="background: {bg}">{text}<span class="m-label">{label}</span>{rel}</mark>'
)


def _colors() -> dict[str, str]:
    colors = {}
    for modality in MODALITIES:
        rules = load_rules(modality)
        colors |= {key.upper(): KIND_COLORS[rules.entity_type] for key in rules.entities}
        colors |= {key.upper(): KIND_COLORS[rules.related_type] for key in rules.related}
    return colors


def tooltip(mention: dict) -> str:
    parts = [f"{mention['key']} ({mention.get('type', '?')})", f"certainty: {mention.get('certainty', '?')}",
             f"section: {mention.get('section') or '-'}", f"concept: {mention.get('concept') or '-'}",
             f"decided by: {mention.get('mapper') or '-'}"]  # fmt: skip
    if mention.get("related"):
        parts.append("related: " + ", ".join(mention["related"]))
    return " · ".join(parts)


def mark_groups(mentions: list[dict]) -> list[list[int]]:
    """Mention indexes per mark, in text order: mentions sharing words share one mark.

    displaCy's ``ent`` style draws no nested marks, and the engine gives one phrase several keys
    ("both lungs" is right_lung and left_lung), so every mention with words is in exactly one mark.
    """
    groups: list[list[int]] = []
    end = -1
    spans = [(index, mention) for index, mention in enumerate(mentions) if has_words(mention)]
    for index, mention in sorted(spans, key=lambda im: (im[1]["start"], -im[1]["end"])):
        if groups and mention["start"] < end:
            groups[-1].append(index)
            end = max(end, mention["end"])
        else:
            groups.append([index])
            end = mention["end"]
    return groups


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def render_note(note: NoteView) -> str:
    from spacy import displacy

    ents = []
    for group in mark_groups(note.mentions):
        mentions = [note.mentions[i] for i in group]
        related = _unique([r for m in mentions for r in m.get("related") or []])
        ents.append({
            "start": min(m["start"] for m in mentions), "end": max(m["end"] for m in mentions),
            "label": mentions[0]["key"],
            "params": {
                "label": html.escape(" + ".join(_unique([m["key"] for m in mentions]))),
                "index": " ".join(map(str, group)),
                "kind": " ".join(f"m-{html.escape(str(t))}" for t in _unique([m.get("type", "") for m in mentions])),
                "certainty": " ".join(f"c-{html.escape(str(c))}"
                                      for c in _unique([m.get("certainty", "") for m in mentions])),
                "tip": html.escape(" | ".join(tooltip(m) for m in mentions), quote=True),
                "rel": f'<span class="m-rel">→ {html.escape(", ".join(related))}</span>' if related else "",
            },
        })  # fmt: skip
    return displacy.render({"text": note.text, "ents": ents}, style="ent", manual=True, page=False,
                           options={"template": _TEMPLATE, "colors": _colors()})  # fmt: skip
