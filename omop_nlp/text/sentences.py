"""Sentence segmentation that copes with prose, numbered lists, dashes and line-per-finding reports.

A sentence is the unit for relation mapping; its clauses (split at ';') bound assertion scope.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A line break ends a sentence unless the next line continues it in lower case (wrapped prose) after
# a line with no full stop; short dotted words are abbreviations ("Lt. frontal", "bil. basal").
_BOUNDARY = re.compile(
    r"(?=[ \t\n])(?:"  # every boundary starts at a blank: one cheap test at every other character
    r"(?<=[.!?])[ \t]+(?=[\"'(\[]?[A-Z0-9\uac00-\ud7a3-])"  # '. ' before a capital, digit, Hangul
    r"|(?<=[다음함됨임.])[ \t]+(?=[\uac00-\ud7a3])"  # Korean sentence endings
    r"|(?<=[A-Za-z]{6}\.)(?<!subseg\.)(?<!postop\.)(?<!approx\.)[ \t]+(?=[a-z])"  # '. ' + lower case after a
    # word of 6+ letters that is no common abbreviation: "no new lesion. old infarct", not "subseg. atelectasis"
    r"|(?<=[.!?])[ \t]*\n[ \t]*(?=[a-z])"  # a line ending in a full stop: the next line starts a sentence
    r"|\n[ \t]*(?![a-z]|\d+(?:\.\d)?[ \t]*(?:mm|cm|x)\b)"  # a line break, unless wrapped prose continues
    r"|\n[ \t]*\n"  # a blank line always
    r"|[ \t]+(?=\(?\d{1,2}[.)][ \t]+[A-Za-z\uac00-\ud7a3])"  # inline numbered items "1. ... 2. ..."
    r")"
)
_LIST_MARKER = re.compile(r"^(?:\(?\d{1,2}[.)]|[-*•#])$")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def split_sentences(text: str, start: int, end: int) -> list[Span]:
    """Sentences of ``text[start:end]`` as absolute spans, stripped of surrounding blanks."""
    spans: list[Span] = []
    cursor = start
    for match in _BOUNDARY.finditer(text, start, end):
        if _LIST_MARKER.match(text[cursor : match.start()].strip()):
            continue  # "1." alone: the item's text follows
        _append(spans, text, cursor, match.start())
        cursor = match.end()
    _append(spans, text, cursor, end)
    return spans


def _append(spans: list[Span], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append(Span(start, end))


def split_clauses(text: str, span: Span) -> list[Span]:
    """Clauses of a sentence, split at semicolons: 'nodule in RUL; no nodule in the left lung'."""
    clauses: list[Span] = []
    cursor = span.start
    for match in re.finditer(r";", text[span.start : span.end]):
        _append(clauses, text, cursor, span.start + match.start())
        cursor = span.start + match.end()
    _append(clauses, text, cursor, span.end)
    return clauses
