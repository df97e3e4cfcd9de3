"""Sentence segmentation that copes with prose, numbered lists, dashes and line-per-finding reports.

A sentence is the unit for relation mapping; its clauses (split at ';') bound assertion scope. The text split is
the layout view (text/layout.py): the line breaks that are wraps are blanks there, so every line break left may end
a sentence.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from omop_nlp.rules.sections import load_section_words

# A line break ends a sentence unless the next line continues it in lower case (wrapped prose) after
# a line with no full stop; dotted abbreviations ("Lt. frontal", "bil. basal", sections.yaml) end none. A run of
# blanks before an item or a bullet is tried from its first blank only, and whole (possessive): tried from every
# blank of it, a padded line of thousands of blanks cost time of the square of its length.
_BOUNDARY = re.compile(
    r"(?=[ \t\n])(?:"  # every boundary starts at a blank: fail fast elsewhere
    r"(?<=[.!?])[ \t]+(?=[\"'(\[]?[A-Z0-9\uac00-\ud7a3-])"  # '. ' before a capital, digit, Hangul
    r"|(?<=[다음함됨임.])[ \t]+(?=[\uac00-\ud7a3])"  # Korean sentence endings
    r"|(?<=[\uac00-\ud7a3]\.)[ \t]+(?=[A-Za-z])"  # a Korean sentence, then English: "의심. hemorrhage 없음"
    r"|(?<=[.!?])[ \t]*\n[ \t]*(?=[a-z0-9])"  # a line ending in a full stop: the next line starts a sentence
    r"|\n[ \t]*(?![a-z]|\d+(?:\.\d)?[ \t]*(?:mm|cm|x)\b"  # a line break, unless wrapped prose continues
    r"|(?<=[a-z,]\n)\((?![a-z0-9]\)))"  # ... or an aside after a line that stopped on a word: "(series 3, image 9)"
    r"|\n[ \t]*\n"  # a blank line always
    r"|(?<![ \t])(?P<item>[ \t]++)(?=\(?\d{1,2}[.)][ \t]+[A-Za-z\uac00-\ud7a3])"  # inline items "1. ... 2. ..."
    r"|(?<![ \t])[ \t]++(?=[•▪‣◦][ \t])"  # inline bullets "no effusion • 5 mm nodule"
    r"|(?P<lower>(?<=[A-Za-z]{3}\.)[ \t]+(?=[a-z]))"  # telegraphic '. ' before lower case, unless an abbreviation
    r")"
)
_WORD_BEFORE = re.compile(r"([A-Za-z]+)\.$")
_WORD_AFTER = re.compile(r"([A-Za-z]+)\b")
_LIST_MARKER = re.compile(r"^(?:\(?\d{1,2}[.)]|[-*•#])$")
_MARKER_CHARS = 8  # a list marker alone ("12)", " - ") is short: longer text needs no check


class Span(NamedTuple):  # built per sentence and clause: cheaper than a frozen dataclass
    start: int
    end: int


def split_sentences(text: str, start: int, end: int) -> list[Span]:
    """Sentences of ``text[start:end]`` as absolute spans, stripped of surrounding blanks."""
    spans: list[Span] = []
    cursor = start
    depth, counted = 0, start  # parentheses left open since the sentence start, counted up to ``counted``
    for match in _BOUNDARY.finditer(text, start, end):
        if match.start() - cursor <= _MARKER_CHARS and _LIST_MARKER.match(text[cursor : match.start()].strip()):
            continue  # "1." alone: the item's text follows
        if match.group("item"):
            depth += text.count("(", counted, match.start()) - text.count(")", counted, match.start())
            counted = match.start()
            if depth > 0:
                continue  # "(series 3, image 45) nodule": the number closes an aside, it starts no item
        if match.group("lower") and _abbreviation_before(text, match.start()):
            continue  # "postop. volume loss", "sup. seg."
        if text[match.start() - 1] == "?" and (_answer_after(text, match.end())
                                               or _opens_question(text, match.start() - 1)):
            continue  # "Effusion? None.": the answer belongs to its question; "? Abscess": it asks the next words
        _append(spans, text, cursor, match.start())
        cursor = counted = match.end()
        depth = 0
    _append(spans, text, cursor, end)
    return spans


def _abbreviation_before(text: str, offset: int) -> bool:
    word = _WORD_BEFORE.search(text, max(0, offset - 24), offset)
    return word is None or word.group(1).lower() in load_section_words("abbreviations")


def _opens_question(text: str, mark: int) -> bool:
    """A question mark at the start of a line or after a blank, a colon or a comma asks about the words after it
    ("Indication: ? Metastasis", "? Tuberculoma"): it ends no sentence."""
    return mark == 0 or text[mark - 1] in _BEFORE_OPENING_QUESTION


_BEFORE_OPENING_QUESTION = frozenset(" \t\n:,;(")


def _answer_after(text: str, offset: int) -> bool:
    word = _WORD_AFTER.match(text, offset)
    return word is not None and word.group(1).lower() in load_section_words("question_answers")


def _append(spans: list[Span], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append(Span(start, end))


def clause_at(text: str, span: Span, offset: int) -> tuple[int, int]:
    """The offsets of the clause of the sentence ``span`` that holds ``offset``, as split_clauses cuts it: at
    semicolons; for one offset without splitting the whole sentence."""
    end = text.find(";", offset, span.end)
    return text.rfind(";", span.start, offset) + 1 or span.start, span.end if end < 0 else end


def split_clauses(text: str, span: Span) -> list[Span]:
    """Clauses of a sentence, split at semicolons: 'nodule in RUL; no nodule in the left lung'."""
    clauses: list[Span] = []
    cursor = span.start
    semicolon = text.find(";", cursor, span.end)  # no regex, no slice: called once per sentence
    while semicolon != -1:
        _append(clauses, text, cursor, semicolon)
        cursor = semicolon + 1
        semicolon = text.find(";", cursor, span.end)
    _append(clauses, text, cursor, span.end)
    return clauses
