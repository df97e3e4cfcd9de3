"""The errors behind the scores, grouped by kind, with the sentence they come from.

``omop-nlp evaluate --errors`` lists, per modality, every (report, key) that the scores count
against the system: a *missed key* (gold, not predicted), an *extra key* (predicted, not gold),
a *wrong location* / *wrong episode* (a gold key whose related keys differ after bilateral
expansion). The sentence is cut from the gold line's ``text`` around the prediction's mentions of
that key (a missed key is often there as negated or hedged: its certainty is shown). This is a
development aid for annotated files: it prints report text, so never point it at clinical notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from omop_nlp.jsonl import iter_jsonl
from omop_nlp.rules import MODALITIES, load_rules
from omop_nlp.text.columns import reading_order
from omop_nlp.text.layout import layout_view
from omop_nlp.text.sentences import split_sentences

KINDS = ("missed key", "extra key", "wrong location", "wrong episode")
_RELATION_KIND = {"location": "wrong location", "episode": "wrong episode"}


@dataclass(frozen=True)
class Evidence:
    """One predicted mention of the key: its sentence, certainty and related keys."""

    sentence: str
    certainty: str
    related: tuple[str, ...]


@dataclass(frozen=True)
class ScoringError:
    kind: str
    modality: str
    report_id: str
    key: str
    gold: tuple[str, ...] | None  # related keys in gold; None when the key is not gold
    predicted: tuple[str, ...] | None
    evidence: tuple[Evidence, ...]

    def to_dict(self) -> dict:
        return {
            "kind": self.kind, "modality": self.modality, "id": self.report_id, "key": self.key,
            "gold": self.gold, "predicted": self.predicted,
            "evidence": [{"sentence": e.sentence, "certainty": e.certainty, "related": e.related}
                         for e in self.evidence],
        }  # fmt: skip


def _evidence(text: str, mentions: list, key: str) -> tuple[Evidence, ...]:
    order = reading_order(text)  # a two-column page as the annotator reads it; mentions give the note's offsets
    if order:
        text = order.text
    spans = split_sentences(layout_view(text), 0, len(text))  # the sentences as the annotator reads them
    out: list[Evidence] = []
    for m in mentions:
        if not isinstance(m, dict) or m.get("key") != key or not isinstance(m.get("start"), int):
            continue
        start = order.text_span(m["start"], m["start"] + 1)[0] if order and 0 <= m["start"] < len(text) else m["start"]
        span = next((s for s in spans if s.start <= start < s.end), None)
        sentence = " ".join(text[span.start : span.end].split()) if span else ""
        out.append(Evidence(sentence, str(m.get("certainty", "")), tuple(m.get("related") or ())))
    return tuple(out)


def _report_errors(modality: str, gold: dict, pred: dict) -> list[ScoringError]:
    rules = load_rules(modality)
    gold_findings: dict = gold.get("findings") or {}
    pred_findings: dict = pred.get("findings") or {}
    text, mentions = gold.get("text") or "", pred.get("mentions") or []
    errors: list[ScoringError] = []

    def add(kind: str, key: str) -> None:
        g, p = gold_findings.get(key), pred_findings.get(key)
        errors.append(ScoringError(kind, modality, str(gold["id"]), key, g and tuple(g), p and tuple(p),
                                   _evidence(text, mentions, key)))

    for key in sorted(set(gold_findings) | set(pred_findings)):
        if key not in pred_findings:
            add("missed key", key)
        elif key not in gold_findings:
            add("extra key", key)
        elif (rules.entities.get(key) and rules.entities[key].relates
              and rules.expand(gold_findings[key]) != rules.expand(pred_findings[key])):
            add(_RELATION_KIND[rules.related_type], key)
    return errors


def scoring_errors(gold_path: Path | str, pred_path: Path | str) -> list[ScoringError]:
    """Every error of ``pred_path`` against ``gold_path``, in gold order."""
    predictions = {str(d.get("id")): d for _, d in iter_jsonl(pred_path)}
    errors: list[ScoringError] = []
    for _, gold in iter_jsonl(gold_path):
        if gold.get("modality") in MODALITIES:
            errors += _report_errors(gold["modality"], gold, predictions.get(str(gold.get("id")), {}))
    return errors


def _related(keys: tuple[str, ...] | None) -> str:
    return "-" if keys is None else "[" + ", ".join(keys) + "]"


def format_errors(errors: list[ScoringError]) -> str:
    """Plain text: one block per modality and kind, one line per error and one per sentence."""
    lines: list[str] = []
    for modality in MODALITIES:
        for kind in KINDS:
            group = [e for e in errors if e.modality == modality and e.kind == kind]
            if not group:
                continue
            lines += ["", f"{modality}: {kind} ({len(group)})"]
            for e in group:
                lines.append(f"  {e.report_id}  {e.key}  gold {_related(e.gold)}  predicted {_related(e.predicted)}")
                for ev in e.evidence:
                    lines.append(f"      [{ev.certainty} {_related(ev.related)}] {ev.sentence}")
                if not e.evidence:
                    lines.append("      (no mention of this key in the prediction)")
    return "\n".join(lines) if lines else "no errors"
