"""Routes a note to a modality: note_title patterns, note class concepts, then the text itself."""

from __future__ import annotations

import re
from functools import cache

from omop_nlp.model import Report
from omop_nlp.rules import MODALITIES, load_rules
from omop_nlp.rules.routing import RoutingRules, load_routing_rules
from omop_nlp.text.phrases import PhraseMatcher
from omop_nlp.text.tokens import tokenize


class ModalityRouter:
    def __init__(self, routing: RoutingRules) -> None:
        self._titles = {m: [re.compile(p, re.I) for p in pats] for m, pats in routing.title_patterns.items()}
        self._classes = {c: m for m, ids in routing.note_class_concept_ids.items() for c in ids}
        phrases: list[tuple[str, tuple[str, str]]] = []
        for modality in MODALITIES:
            for key, definition in load_rules(modality).entities.items():
                phrases += [(t, (modality, key)) for t in definition.all_terms()]
            phrases += [(t, (modality, f"hint:{t}")) for t in routing.text_hints.get(modality, [])]
        self._matcher = PhraseMatcher(phrases)

    def route(self, report: Report, note_class_concept_id: int | None = None) -> str | None:
        if report.modality in MODALITIES:
            return report.modality
        if (by_title := self.modality_of_title(report.title)) is not None:
            return by_title
        if note_class_concept_id in self._classes:
            return self._classes[note_class_concept_id]
        return self.detect(report.text)

    def modality_of_title(self, title: str | None) -> str | None:
        """The modality whose note_title patterns match, or None."""
        for modality, patterns in self._titles.items():
            if title and any(p.search(title) for p in patterns):
                return modality
        return None

    def detect(self, text: str) -> str | None:
        """The modality whose vocabulary the text uses more (distinct keys and hints)."""
        seen: dict[str, set[str]] = {m: set() for m in MODALITIES}
        for match in self._matcher.match(tokenize(text), text):
            modality, key = match.payload
            seen[modality].add(key)
        ranked = sorted(MODALITIES, key=lambda m: len(seen[m]), reverse=True)
        if not seen[ranked[0]] or len(seen[ranked[0]]) == len(seen[ranked[1]]):
            return None
        return ranked[0]


@cache
def load_router() -> ModalityRouter:
    return ModalityRouter(load_routing_rules())
