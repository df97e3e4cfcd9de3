"""The notes a report shows one by one, and how they are chosen (a sample or a filter)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from omop_nlp.model import DECIDED_BY_BERT


class ReportInputError(ValueError):
    """Input the report cannot be built from (no rows for the nlp_system, a JSONL not matching its input)."""


@dataclass(frozen=True)
class Selection:
    """Which notes get a page: ``note_ids`` if given, else notes mentioning ``keys``, at most ``sample`` of them."""

    sample: int = 200
    keys: frozenset[str] = frozenset()
    note_ids: frozenset[str] = frozenset()
    seed: int = 0

    def wants(self, note_id: str, keys: set[str]) -> bool:
        if self.note_ids:
            return note_id in self.note_ids
        return not self.keys or bool(self.keys & keys)


class Sampler:
    """Reservoir sample of the notes a ``Selection`` wants, in one pass over any number of notes."""

    def __init__(self, selection: Selection) -> None:
        self.selection = selection
        self.chosen: list[str] = []
        self.seen = 0
        self._random = random.Random(selection.seed)

    def offer(self, note_id: str, keys: set[str]) -> None:
        if not self.selection.wants(note_id, keys):
            return
        self.seen += 1
        if self.selection.note_ids or len(self.chosen) < self.selection.sample:
            self.chosen.append(note_id)
        elif (slot := self._random.randrange(self.seen)) < self.selection.sample:
            self.chosen[slot] = note_id


def has_words(mention: dict) -> bool:
    """Whether a mention is a span of the text: a key that stage 1 (BERT) adds speaks of the whole report."""
    return mention.get("mapper") != DECIDED_BY_BERT


@dataclass
class NoteView:
    """One note as its page shows it: text, mentions with offsets and the findings of the guideline."""

    id: str
    modality: str
    text: str
    mentions: list[dict]
    findings: dict[str, list[str]]
    person_id: int | None = None
    note_date: date | None = None
    title: str | None = None
    facts: dict[str, int] = field(default_factory=dict)

    def check_offsets(self) -> None:
        """Every mention's offsets must point at its words in this text, or the files do not match."""
        for mention in filter(has_words, self.mentions):
            start, end = mention.get("start"), mention.get("end")
            if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(self.text)):
                raise ReportInputError(f"report {self.id}: mention offsets outside the input text; "
                                       "is the prediction file from this input?")  # fmt: skip
            words = mention.get("text")
            if isinstance(words, str) and words and self.text[start:end] != words:
                raise ReportInputError(f"report {self.id}: mention text differs from the input text at "
                                       f"{start}-{end}; is the prediction file from this input?")  # fmt: skip
