"""No vocabulary list of the mappings holds the same term twice once the loader has normalised it: a duplicate
is dead weight a reviewer has to read, and a sign that someone added a word without looking for it first. The
phrase matcher reads modality and context terms as lemmas (lower case, plurals folded, hyphens dropped; a term
written ``=MS`` keeps its case), sections.yaml reads its words lower-cased with blanks collapsed; a pattern (a
regular expression) is no term."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

from omop_nlp.rules import load_rules
from omop_nlp.rules.context import load_context_rules
from omop_nlp.rules.sections import load_sections_rules
from omop_nlp.text.phrases import CASE_SENSITIVE_PREFIX
from omop_nlp.text.tokens import term_lemmas

MAPPINGS = Path(__file__).resolve().parents[2] / "mappings"

Normalise = Callable[[str], object]


def _lemmas(term: str) -> object:
    """As the phrase matcher reads a term (text/phrases.py)."""
    return term if term.startswith(CASE_SENSITIVE_PREFIX) else term_lemmas(term)


def _lower(term: str) -> str:
    """As text/sections.py reads headers and word lists."""
    return re.sub(r"\s+", " ", term.strip().lower())


FILES: dict[str, tuple[Callable[[Path], BaseModel], Normalise]] = {
    "chest_ct.yaml": (lambda base: load_rules("chest_ct", base), _lemmas),
    "brain_mri.yaml": (lambda base: load_rules("brain_mri", base), _lemmas),
    "context_rules/en.yaml": (lambda base: load_context_rules("en", base), _lemmas),
    "context_rules/ko.yaml": (lambda base: load_context_rules("ko", base), _lemmas),
    "sections.yaml": (load_sections_rules, _lower),
}

PATTERNS = {"page_furniture"}  # lists of regular expressions, not terms


def _term_lists(value: object, path: str) -> Iterator[tuple[str, list[str]]]:
    """Every list of strings in a loaded rules model, with its key path; patterns are skipped."""
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            if name not in PATTERNS:
                yield from _term_lists(getattr(value, name), f"{path}.{name}" if path else name)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _term_lists(item, f"{path}.{key}")
    elif isinstance(value, list):
        if value and all(isinstance(v, str) for v in value):
            yield path, value
        else:
            for index, item in enumerate(value):
                yield from _term_lists(item, f"{path}.{index}")


def _duplicates(terms: list[str], normalise: Normalise) -> list[str]:
    seen: set[object] = set()
    twice = []
    for term in terms:
        form = normalise(term)
        if form in seen:
            twice.append(term)
        seen.add(form)
    return twice


def _found(base: Path, name: str) -> list[str]:
    load, normalise = FILES[name]
    return [f"{name}: {path}: {term!r} is listed twice"
            for path, terms in _term_lists(load(base), "") for term in _duplicates(terms, normalise)]


@pytest.mark.parametrize("name", FILES)
def test_no_term_twice_in_a_list(name: str) -> None:
    found = _found(MAPPINGS, name)
    assert not found, "\n".join(found)


def test_a_plural_written_again_is_named_with_its_file_list_and_term(tmp_path: Path) -> None:
    base = tmp_path / "mappings"
    shutil.copytree(MAPPINGS, base)
    path = base / "context_rules" / "en.yaml"
    text = path.read_text(encoding="utf-8")
    planted = "  negated:\n    list: [Differentials, differential]\n"
    path.write_text(text.replace("  negated:\n", planted, 1), encoding="utf-8")
    assert _found(base, "context_rules/en.yaml") == [
        "context_rules/en.yaml: rules.negated.list: 'differential' is listed twice"]
