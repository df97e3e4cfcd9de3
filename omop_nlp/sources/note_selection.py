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

from omop_nlp.schema import MODALITIES, Code, MappingError, load_yaml

FILE = "note_selection.yaml"
ANY_RADIOLOGY = "any_radiology"
OTHER_DOCUMENTS = "other_documents"
REASON_PREFIX = "not_selected:"
_KEYS = {"modalities", ANY_RADIOLOGY, OTHER_DOCUMENTS, "radiology_titles", "other_titles", "text_fallback"}
_DOCUMENT_KEYS = {"loinc", "concept_ids"}
_FALLBACK_KEYS = {"enabled", "other_document_phrases"}


@dataclass(frozen=True)
class DocumentKind:
    """Concepts that identify a kind of document: LOINC codes (resolved per site) and concept ids."""

    loinc: tuple[str, ...]
    concept_ids: frozenset[int]

    def codes(self) -> set[Code]:
        return {Code("LOINC", c) for c in self.loinc}


@dataclass(frozen=True)
class SelectionRules:
    modalities: dict[str, DocumentKind]
    any_radiology: DocumentKind
    other_documents: DocumentKind
    radiology_titles: tuple[re.Pattern, ...]
    other_titles: tuple[re.Pattern, ...]
    text_fallback: bool
    other_document_phrases: tuple[str, ...]

    def codes(self) -> set[Code]:
        """The LOINC document codes to resolve in the site's CONCEPT table."""
        kinds = (*self.modalities.values(), self.any_radiology, self.other_documents)
        return {code for kind in kinds for code in kind.codes()}


@dataclass(frozen=True)
class Selection:
    """``modality`` None with no ``skip_reason``: a radiology report whose modality the text decides."""

    modality: str | None = None
    skip_reason: str | None = None


def _checked(data: object, keys: set[str], where: str) -> dict:
    if not isinstance(data, dict):
        raise MappingError(f"{FILE}: {where}: expected a mapping")
    unknown = set(data) - keys
    if unknown:
        raise MappingError(f"{FILE}: {where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}; "
                           f"expected {', '.join(sorted(keys))}")  # fmt: skip
    return data


def _document_kind(data: object, where: str) -> DocumentKind:
    data = _checked(data, _DOCUMENT_KEYS, where)
    loinc, ids = data.get("loinc") or [], data.get("concept_ids") or []
    if not all(isinstance(c, str) for c in loinc) or not all(isinstance(i, int) for i in ids):
        raise MappingError(f"{FILE}: {where}: loinc must list strings and concept_ids integers")
    return DocumentKind(tuple(loinc), frozenset(ids))


def _patterns(values: object, where: str) -> tuple[re.Pattern, ...]:
    if not isinstance(values, list):
        raise MappingError(f"{FILE}: {where}: expected a list of regular expressions")
    try:
        return tuple(re.compile(v, re.I) for v in values)
    except (re.error, TypeError) as exc:
        raise MappingError(f"{FILE}: {where}: not a regular expression ({exc})") from None


def parse_rules(data: dict) -> SelectionRules:
    data = _checked(data, _KEYS, "top level")
    modalities = _checked(data.get("modalities") or {}, set(MODALITIES), "modalities")
    fallback = _checked(data.get("text_fallback") or {}, _FALLBACK_KEYS, "text_fallback")
    if not isinstance(fallback.get("enabled", True), bool):
        raise MappingError(f"{FILE}: text_fallback.enabled: expected true or false")
    return SelectionRules(
        modalities={m: _document_kind(v, f"modalities.{m}") for m, v in modalities.items()},
        any_radiology=_document_kind(data.get(ANY_RADIOLOGY) or {}, ANY_RADIOLOGY),
        other_documents=_document_kind(data.get(OTHER_DOCUMENTS) or {}, OTHER_DOCUMENTS),
        radiology_titles=_patterns(data.get("radiology_titles") or [], "radiology_titles"),
        other_titles=_patterns(data.get("other_titles") or [], "other_titles"),
        text_fallback=fallback.get("enabled", True),
        other_document_phrases=tuple(str(p) for p in fallback.get("other_document_phrases") or []),
    )


@cache
def load_selection_rules() -> SelectionRules:
    return parse_rules(load_yaml(FILE))


class NoteSelector:
    """Decides per note from its columns; ``concept_ids`` are the site's ids of the LOINC codes."""

    def __init__(self, rules: SelectionRules, concept_ids: Mapping[Code, int],
                 modality_of_title: Callable[[str | None], str | None]) -> None:  # fmt: skip
        def ids(kind: DocumentKind) -> frozenset[int]:
            return kind.concept_ids | {concept_ids[c] for c in kind.codes() if concept_ids.get(c)}

        self.rules = rules
        self._modality_ids = {cid: m for m, kind in rules.modalities.items() for cid in ids(kind)}
        self._radiology_ids = ids(rules.any_radiology)
        self._other_ids = ids(rules.other_documents)
        self._modality_of_title = modality_of_title  # routing.yaml's title_patterns
        # One regular expression, linear in the note: it runs on every selected note of every run.
        phrases = [r"\s+".join(map(re.escape, p.split())) for p in rules.other_document_phrases if p.strip()]
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
        if title and _matches(self.rules.other_titles, title):
            return Selection(skip_reason=f"{REASON_PREFIX}title")
        if any(c in self._radiology_ids for c in known) or (title and _matches(self.rules.radiology_titles, title)):
            return Selection()
        if not self.rules.text_fallback:
            return Selection(skip_reason=f"{REASON_PREFIX}unidentified")
        if self._other_text is not None and self._other_text.search(text):
            return Selection(skip_reason=f"{REASON_PREFIX}text")
        return Selection()


def is_not_selected(reason: str) -> bool:
    """A skip reason of the selection: the run working as intended, not a problem with the note."""
    return reason.startswith(REASON_PREFIX)


def _matches(patterns: tuple[re.Pattern, ...], value: str) -> bool:
    return any(p.search(value) for p in patterns)
