"""Which NOTE rows are radiology reports of a supported modality (``mappings/note_selection.yaml``).

The structured columns decide first (class/type concept, title), the text only when they say
nothing, and only if the site allows it. A note that is not selected is skipped with a reason
``not_selected:<why>`` before any extraction, so it can never yield NOTE_NLP rows or facts.
The order of the rules is documented in the YAML file itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache

from omop_nlp.rules import Code
from omop_nlp.rules.note_selection import DocumentKind, NoteSelectionRules, load_note_selection_rules

REASON_PREFIX = "not_selected:"


@dataclass(frozen=True)
class Selection:
    """``modality`` None with no ``skip_reason``: a radiology report whose modality the text decides."""

    modality: str | None = None
    skip_reason: str | None = None


@cache
def load_selection_rules() -> NoteSelectionRules:
    return load_note_selection_rules()


class NoteSelector:
    """Decides per note from its columns; ``concept_ids`` are the site's ids of the LOINC codes."""

    def __init__(self, rules: NoteSelectionRules, concept_ids: Mapping[Code, int],
                 modality_of_title: Callable[[str | None], str | None]) -> None:  # fmt: skip
        def ids(kind: DocumentKind) -> frozenset[int]:
            return frozenset(kind.concept_ids) | {concept_ids[c] for c in kind.codes() if concept_ids.get(c)}

        self.rules = rules
        self._modality_ids = {cid: m for m, kind in rules.modalities.items() for cid in ids(kind)}
        self._radiology_ids = ids(rules.any_radiology)
        self._other_ids = ids(rules.other_documents)
        self._modality_of_title = modality_of_title  # routing.yaml's title_patterns
        # One regular expression, linear in the note: it runs on every selected note of every run.
        self._other_titles = tuple(re.compile(p, re.I) for p in rules.other_titles)
        self._radiology_titles = tuple(re.compile(p, re.I) for p in rules.radiology_titles)
        phrases = [r"\s+".join(map(re.escape, p.split())) for p in rules.text_fallback.other_document_phrases
                   if p.strip()]
        self._other_text = re.compile(rf"\b(?:{'|'.join(phrases)})\b", re.I) if phrases else None

    def select(self, title: str | None, concepts: tuple[int | None, ...], text: str) -> Selection:
        known = [c for c in concepts if c]
        for concept_id in known:
            if concept_id in self._modality_ids:
                return Selection(self._modality_ids[concept_id])
        if (modality := self._modality_of_title(title)) is not None:
            return Selection(modality)
        if any(c in self._other_ids for c in known):
            return Selection(skip_reason=f"{REASON_PREFIX}class")
        if title and _matches(self._other_titles, title):
            return Selection(skip_reason=f"{REASON_PREFIX}title")
        if any(c in self._radiology_ids for c in known) or (title and _matches(self._radiology_titles, title)):
            return Selection()
        if not self.rules.text_fallback.enabled:
            return Selection(skip_reason=f"{REASON_PREFIX}unidentified")
        if self._other_text is not None and self._other_text.search(text):
            return Selection(skip_reason=f"{REASON_PREFIX}text")
        return Selection()


def is_not_selected(reason: str) -> bool:
    """A skip reason of the selection: the run working as intended, not a problem with the note."""
    return reason.startswith(REASON_PREFIX)


def _matches(patterns: tuple[re.Pattern, ...], value: str) -> bool:
    return any(p.search(value) for p in patterns)
