"""A structured report's finding groups: a finding item and the sibling items that speak of its finding.

A DICOM SR or a tool's export rendered as a content tree writes one finding per group, an item whose value is the
finding ("Finding = Nodule") and, on the item lines after it at the same indentation, what a sentence would say
on its own line: "Presence = Absent" denies it, "Finding site = Thyroid gland" makes it another organ's (guideline
section 2 rule 10). The item names are data (``structured_items`` of ``mappings/sections.yaml``); a sibling's value
is read by the negation triggers, as a verdict on the item's name ("Presence") would be. A group ends at a line
of another indentation, a line that is no item, or the next finding item.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence

from omop_nlp.assertion.context import ContextAsserter, Span, TriggerMatch
from omop_nlp.entities.document import Item, Sentence
from omop_nlp.model import Certainty, EntityType
from omop_nlp.rules.sections import StructuredItems
from omop_nlp.text.sections import at_line_starts

_TREE = r"(?P<p>[ \t>*\u2022-]*)"  # the marks before an item's name: its level in the tree
_DENIED = (Certainty.NEGATED,)
_STATED = (Certainty.PRESENT, Certainty.HEDGED)  # what a sibling's denial takes back: the finding as the item names it


def _names(terms: list[str]) -> frozenset[str]:
    return frozenset(" ".join(t.lower().split()) for t in terms)


class FindingGroups:
    """Applies a finding group's sibling items to the finding item's mentions (module docstring)."""

    def __init__(self, rules: StructuredItems, asserter: ContextAsserter, entity_type: EntityType) -> None:
        self._findings = _names(rules.findings)
        self._presence = _names(rules.presence)
        self._sites = _names(rules.sites)
        self._asserter = asserter
        self._entity_type = entity_type
        # an item line: tree marks, bullets and indentation (the group's level), a relationship word ("CONTAINS:",
        # "HAS PROPERTIES:"), the item's name, "=" and its value
        self._item = re.compile(_TREE + r"(?:[A-Z][A-Z ]{2,30}:[ \t]*)?(?P<n>[A-Za-z][A-Za-z ]{0,40}?)[ \t]*=")
        alternation = "|".join(re.escape(n).replace(r"\ ", r"[ \t]+") for n in sorted(self._findings, key=len,
                                                                                          reverse=True))
        self._opening = re.compile(r"(?im)^" + _TREE + r"(?:[A-Z][A-Z ]{2,30}:[ \t]*)?(?:" + alternation + r")[ \t]*="
                                   if alternation else r"(?!)")

    def apply(self, sentences: list[Sentence], text: str, starts: list[int],
              triggers: Sequence[TriggerMatch]) -> None:
        """Denies or drops each group's finding as its siblings say. A report without a finding item line pays
        for one look at its line starts."""
        openings = [m.start() for m in at_line_starts(self._opening, text)]
        if not openings:
            return
        sentence_starts = [s.start for s in sentences]
        for opening in openings:
            finding = _line_end(text, opening)
            items = [i for s in _sentences_of(sentences, sentence_starts, opening, finding)
                     for i in s.mentions(self._entity_type) if opening <= i.mention.start < finding]
            if not items:
                continue
            for name, start, end in self._siblings(text, opening):
                if name in self._presence:
                    self._deny(items, text, starts, triggers, start, end)
                elif name in self._sites and self._other_organ(sentences, sentence_starts, start, end):
                    _drop(sentences, sentence_starts, items, opening, finding)
                    break

    def _siblings(self, text: str, opening: int) -> Iterator[tuple[str, int, int]]:
        """The name, and the line's start and end, of each item line after the finding item at ``opening`` at its
        indentation, up to the next finding item."""
        level = self._item.match(text, opening)
        prefix = level.group("p") if level else ""
        line = _line_end(text, opening) + 1
        while line < len(text):
            match = self._item.match(text, line)
            if match is None or match.group("p") != prefix:
                return
            name = " ".join(match.group("n").lower().split())
            if name in self._findings:
                return
            end = _line_end(text, line)
            yield name, line, end
            line = end + 1

    def _deny(self, items: list[Item], text: str, starts: list[int], triggers: Sequence[TriggerMatch],
              start: int, end: int) -> None:
        """A presence item whose value the triggers deny ("Presence = Absent") denies the group's finding."""
        match = self._item.match(text, start)
        name = Span(bisect_left(starts, match.start("n")), bisect_left(starts, match.end("n")))
        line = (bisect_left(starts, start), bisect_left(starts, end))
        certainty = self._asserter.assert_concepts([name], triggers, line)[0].certainty
        if certainty in _DENIED:
            for item in items:
                if item.mention.certainty in _STATED:
                    item.mention.certainty = certainty

    @staticmethod
    def _other_organ(sentences: list[Sentence], sentence_starts: list[int], start: int, end: int) -> bool:
        """The site's value names another organ before any place ("Thyroid gland, right lobe")."""
        for sentence in _sentences_of(sentences, sentence_starts, start, end):
            for item in sentence.items:
                if item.cue == "organ":
                    return True
                if item.mention is not None and item.mention.type is EntityType.LOCATION:
                    return False
        return False


def _line_end(text: str, at: int) -> int:
    end = text.find("\n", at)
    return len(text) if end < 0 else end


def _sentences_of(sentences: list[Sentence], sentence_starts: list[int], start: int, end: int) -> list[Sentence]:
    """The sentences that overlap the line from ``start`` to ``end``."""
    first = max(0, bisect_right(sentence_starts, start) - 1)
    return [s for s in sentences[first : bisect_left(sentence_starts, end)] if s.end > start]


def _drop(sentences: list[Sentence], sentence_starts: list[int], items: list[Item], start: int, end: int) -> None:
    """Removes the finding item's findings: they are another organ's."""
    dropped = set(map(id, items))
    for sentence in _sentences_of(sentences, sentence_starts, start, end):
        sentence.items = [i for i in sentence.items if id(i) not in dropped]
