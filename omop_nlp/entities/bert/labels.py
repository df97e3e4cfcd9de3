"""Training labels: weak ones from the rule pipeline on the site's notes, full ones from gold.

Weak labels (the paper's keyword labels, improved by the engine's assertion). The rule
``Pipeline`` runs over each note routed to the modality; for every entity key:

- **present** (the key is a finding: its mention counts as present under the guideline) ->
  label 1, weight 1;
- **asserted absent** (the lexicon found the key, but every mention is negated, unlikely,
  resolved, hypothetical or historical) -> label 0, weight 1. This is the case the paper's
  keyword labels got wrong ("no pleural effusion" labelled positive) and its BERT could not
  learn: 1 of 186 reports with a negated lesion right;
- **not mentioned** -> label 0, weight ``absent_weight`` (default 0.5). A negative, since the
  lexicon is the label source, but a softer one: a synonym the lexicon lacks ("glial tumor"
  in the paper) would otherwise be taught as absent at full strength.

Gold reports (``--gold``, interchange JSONL with ``findings``) give every key a full label:
1 for a key in ``findings``, else 0, each with weight ``gold_weight``. A note that is also a
gold report (same text) is trained from its gold line only; held-out gold texts are removed
from the training notes so the model card's figures are on reports the model never saw.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from omop_nlp.errors import NoteSkipped
from omop_nlp.jsonl import iter_jsonl
from omop_nlp.model import Report
from omop_nlp.rules import ModalityRules

PRESENT, ASSERTED_ABSENT, NOT_MENTIONED = "present", "asserted_absent", "not_mentioned"


@dataclass
class Example:
    """One training or evaluation report. ``ref`` is its id; the text is never logged."""

    ref: str
    text: str
    labels: np.ndarray  # (keys,) float32, 1 = present
    weights: np.ndarray  # (keys,) float32, loss weight of each label
    source: str  # weak | gold

    @property
    def digest(self) -> str:
        return text_digest(self.text)


@dataclass
class WeakLabelStats:
    notes_read: int = 0
    other_modality: int = 0
    skipped: Counter = field(default_factory=Counter)
    duplicates: int = 0
    used: int = 0
    per_key: dict[str, Counter] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "notes_read": self.notes_read,
            "routed_to_other_modality": self.other_modality,
            "skipped": dict(sorted(self.skipped.items())),
            "duplicate_texts": self.duplicates,
            "used": self.used,
            "per_key": {k: {s: c[s] for s in (PRESENT, ASSERTED_ABSENT, NOT_MENTIONED)}
                        for k, c in self.per_key.items()},
        }


def text_digest(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def weak_label_states(result, rules: ModalityRules) -> dict[str, str]:
    """present / asserted_absent / not_mentioned for every entity key of one pipeline result."""
    mentioned = {m.key for m in result.mentions if m.type == rules.entity_type}
    return {
        key: PRESENT if key in result.findings else ASSERTED_ABSENT if key in mentioned else NOT_MENTIONED
        for key in rules.entities
    }


def weak_examples(reports: Iterable[Report], rules: ModalityRules, pipeline, *, absent_weight: float = 0.5,
                  exclude: set[str] | None = None) -> tuple[list[Example], WeakLabelStats]:  # fmt: skip
    """Weak examples from the notes the rule pipeline (``build_pipeline()``) routes to the rules's
    modality; notes whose text digest is in ``exclude`` (gold reports) are left out."""
    keys = list(rules.entities)
    stats = WeakLabelStats(per_key={k: Counter() for k in keys})
    seen = set(exclude or ())
    out: list[Example] = []
    for report in reports:
        stats.notes_read += 1
        try:
            result = pipeline.extract(report)
        except NoteSkipped as skipped:
            stats.skipped[skipped.reason] += 1
            continue
        if result.modality != rules.modality:
            stats.other_modality += 1
            continue
        digest = text_digest(report.text)
        if digest in seen:
            stats.duplicates += 1
            continue
        seen.add(digest)
        states = weak_label_states(result, rules)
        labels = np.array([states[k] == PRESENT for k in keys], dtype=np.float32)
        weights = np.array([absent_weight if states[k] == NOT_MENTIONED else 1.0 for k in keys], dtype=np.float32)
        for key in keys:
            stats.per_key[key][states[key]] += 1
        out.append(Example(report.id, report.text, labels, weights, "weak"))
    stats.used = len(out)
    return out, stats


@dataclass
class GoldSet:
    examples: list[Example]
    other_modality: int = 0
    unknown_keys: list[str] = field(default_factory=list)


def gold_examples(path: Path | str, rules: ModalityRules, *, gold_weight: float = 1.0) -> GoldSet:
    """Gold interchange lines of the rules's modality (a line without ``modality`` counts as it)."""
    keys = list(rules.entities)
    gold = GoldSet([])
    unknown: set[str] = set()
    seen: set[str] = set()
    for lineno, line in iter_jsonl(path):
        if line.get("modality") not in (None, rules.modality):
            gold.other_modality += 1
            continue
        text, findings = line.get("text"), line.get("findings")
        if not isinstance(text, str) or not isinstance(findings, dict):
            raise ValueError(f"{path}: line {lineno}: a gold line needs 'text' and 'findings'")
        unknown |= set(findings) - set(keys)
        digest = text_digest(text)
        if digest in seen:
            continue
        seen.add(digest)
        labels = np.array([k in findings for k in keys], dtype=np.float32)
        weights = np.full(len(keys), gold_weight, dtype=np.float32)
        gold.examples.append(Example(str(line.get("id", lineno)), text, labels, weights, "gold"))
    gold.unknown_keys = sorted(unknown)
    return gold


def split(examples: list[Example], fraction: float, seed: int, minimum: int = 1) -> tuple[list[Example], list[Example]]:
    """(kept, taken): a seeded random ``fraction`` taken (at least ``minimum`` when fraction > 0,
    and never all of them)."""
    if fraction <= 0 or len(examples) < 2:
        return list(examples), []
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    n = min(len(examples) - 1, max(minimum, round(fraction * len(examples))))
    taken = set(order[:n])
    return [e for i, e in enumerate(examples) if i not in taken], [examples[i] for i in sorted(taken)]
