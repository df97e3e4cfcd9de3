"""A detection tool's numbered items and the radiologist's later verdict on one of them by its number.

A tool's findings come as numbered lines ("2) 4 mm nodule LUL im 58", "CAD mark 3: ...") that the radiologist
judges, on the line itself ("— rejected, vessel": the negation triggers do that) or in a later sentence that
names the item by its number alone ("Item 2: disagree", "Finding #3 — not confirmed by the radiologist", "CAD
mark 1 is a vessel"; the words are ``item_references`` of ``mappings/sections.yaml``). Such a verdict opens its
sentence or clause, after a few words at most ("As for CAD item 2"); further in, the number names what the clause
is about ("the malignancy score for item 1: high — not agreed" judges the score). A verdict that the assertion
stage denies withdraws the item's findings as a rejection on its line would: they take the denial's certainty.
One it leaves present ("Item 1: agree") keeps them.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence

from omop_nlp.assertion.context import ContextAsserter, Span, TriggerMatch
from omop_nlp.entities.document import Sentence
from omop_nlp.model import Certainty
from omop_nlp.text.sections import SectionRules, at_line_starts
from omop_nlp.text.sentences import clause_at

_OPENING_WORDS = 3  # words a verdict may follow in its clause ("As for CAD item 2")
_WORD = re.compile(r"\w+")
_REJECTED = (Certainty.NEGATED, Certainty.UNLIKELY)
_WITHDRAWN = (Certainty.PRESENT, Certainty.HEDGED)  # what a rejection takes back: the tool's finding as stated


class ItemVerdicts:
    """Reads the later verdicts on a tool's numbered items (module docstring) with the report's triggers."""

    def __init__(self, rules: SectionRules, asserter: ContextAsserter) -> None:
        self._rules = rules
        self._asserter = asserter

    def apply(self, sentences: list[Sentence], text: str, starts: list[int],
              triggers: Sequence[TriggerMatch]) -> None:
        """Withdraws the findings of each item that a later sentence rejects by its number. Only a report with a
        numbered line pays for more than one look at its line starts."""
        lines = [(m.start(), m.group("n") or m.group("h") or m.group("w"))
                 for m in at_line_starts(self._rules.item_line, text)]
        if not lines:
            return
        by_sentence: dict[int, list[re.Match]] = {}  # the references that open a clause, per sentence: one scan
        sentence_starts = [s.start for s in sentences]
        for reference in self._rules.item_reference.finditer(text, lines[0][0]):
            at = bisect_right(sentence_starts, reference.start()) - 1
            sentence = sentences[at] if at >= 0 else None
            if sentence is not None and lines[0][0] < sentence.start and reference.end() <= sentence.end \
                    and _opens_clause(text, sentence, reference.start()):
                by_sentence.setdefault(sentence.index, []).append(reference)
        for index, references in by_sentence.items():
            sentence = sentences[index]
            before = text.rfind("\n", 0, sentence.start) + 1  # an item's line stands before the verdict's line
            for i, reference in enumerate(references):
                certainty = self._verdict(text, sentence, references, i, starts, triggers)
                if certainty in _REJECTED:
                    for number in re.findall(r"\d+", reference.group(0)):
                        _withdraw(sentences, text, _item_line(lines, number, before), certainty)

    def _verdict(self, text: str, sentence: Sentence, references: list[re.Match], i: int, starts: list[int],
                 triggers: Sequence[TriggerMatch]) -> Certainty:
        """The certainty the assertion stage gives the i-th reference, read in its clause from the reference before
        it to the one after it: "Item 1 accepted, item 2 a false positive" rejects item 2 alone."""
        reference = references[i]
        clause = clause_at(text, sentence, reference.start())
        start = max(clause[0], references[i - 1].end() if i else clause[0])
        end = min(clause[1], references[i + 1].start() if i + 1 < len(references) else clause[1])
        span = Span(bisect_left(starts, reference.start()), bisect_left(starts, reference.end()))
        tokens = (bisect_left(starts, start), bisect_left(starts, end))
        return self._asserter.assert_concepts([span], triggers, tokens)[0].certainty


def _opens_clause(text: str, sentence: Sentence, offset: int) -> bool:
    """The item is named in the first few words of its sentence or of a part after a comma or semicolon."""
    start = max(sentence.start, *(text.rfind(mark, sentence.start, offset) + 1 for mark in ",;"))
    return len(_WORD.findall(text, start, offset)) <= _OPENING_WORDS


def _item_line(lines: list[tuple[int, str]], number: str, before: int) -> int | None:
    """The start of the last line before offset ``before`` that opens the item of that number, if any."""
    return next((start for start, n in reversed(lines) if start < before and n == number), None)


def _withdraw(sentences: list[Sentence], text: str, line: int | None, certainty: Certainty) -> None:
    """The mentions stated on the item's line take the rejection's certainty."""
    if line is None:
        return
    end = text.find("\n", line)
    end = len(text) if end < 0 else end
    for sentence in sentences:
        if sentence.start >= end:
            return
        for item in sentence.mentions() if sentence.end > line else ():
            if line <= item.mention.start < end and item.mention.certainty in _WITHDRAWN:
                item.mention.certainty = certainty
