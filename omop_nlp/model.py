"""Plain data types passed between pipeline stages.

Each stage knows only these types: source → text → entities → assertion → relations → sinks.
The optional stages plugged into the pipeline meet it through the two Protocols at the end
(``KeyClassifier``, ``RelationRefiner``); the rule stages meet through ``entities.document``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Protocol

# Mention.decided_by: who decided a mention's related keys (serialized as ``mapper``: interchange
# JSONL, NOTE_NLP term_modifiers and the ledger keep that key).
DECIDED_BY_RULES = "rules"  # the rule relation mapper, as chosen (rules, or a key hybrid left to the rules)
DECIDED_BY_LLM = "llm"  # a validated LLM answer
DECIDED_BY_FALLBACK = "rules-fallback"  # the LLM was asked but gave no valid answer: the rules' keys stand
DECIDED_BY_BERT = "bert"  # a key added by the stage-1 classifier, with no span and no related keys


class Certainty(StrEnum):
    """Assertion of a mention, in the spirit of ConText.

    Only ``PRESENT`` and ``HEDGED`` count as present under the annotation guideline;
    brain-MRI ``RESOLVED`` malignant diagnoses are turned into present + improvement by the
    episode mapper.
    """

    PRESENT = "present"
    HEDGED = "hedged"  # probable, suspicious for, r/o, DDx
    NEGATED = "negated"
    UNLIKELY = "unlikely"  # less likely, unlikely, not favored
    RESOLVED = "resolved"  # resolved, no longer seen
    HYPOTHETICAL = "hypothetical"  # indication, recommendation, question
    HISTORICAL = "historical"

    @property
    def counts_as_present(self) -> bool:
        return self in (Certainty.PRESENT, Certainty.HEDGED)


class EntityType(StrEnum):
    LESION = "lesion"
    LOCATION = "location"
    DIAGNOSIS = "diagnosis"
    EPISODE = "episode"


@dataclass(frozen=True)
class Report:
    """One radiology report as read from a source (a JSONL line or an OMOP NOTE row)."""

    id: str
    text: str
    modality: str | None = None
    person_id: int | None = None
    note_date: date | None = None
    title: str | None = None


@dataclass
class Mention:
    """A lexicon match in the original note text; offsets index ``Report.text``."""

    key: str
    type: EntityType
    start: int
    end: int
    text: str
    section: str | None = None
    sentence: int = 0
    certainty: Certainty = Certainty.PRESENT
    related: list[str] = field(default_factory=list)
    decided_by: str = DECIDED_BY_RULES  # what decided ``related`` (or, for "bert", the key itself)

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "type": self.type.value,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "section": self.section,
            "certainty": self.certainty.value,
            "related": list(self.related),
            "mapper": self.decided_by,  # the interchange key keeps its first name
        }


@dataclass
class Finding:
    """An entity key present in the report with its related keys (guideline section 1)."""

    key: str
    type: EntityType
    related: list[str]
    certainty: Certainty
    mentions: list[Mention] = field(default_factory=list)
    corrected: bool = False  # the report's own correction settled its related keys or took mentions back


@dataclass
class Result:
    """Everything extracted from one report; sinks read only this."""

    report: Report
    modality: str
    mentions: list[Mention]
    findings: dict[str, Finding]

    def findings_json(self) -> dict[str, list[str]]:
        return {key: sorted(f.related) for key, f in sorted(self.findings.items())}

    def as_interchange(self) -> dict:
        """The guideline's JSONL line, plus mentions with offsets."""
        return {
            "id": self.report.id,
            "modality": self.modality,
            "findings": self.findings_json(),
            "mentions": [m.as_dict() for m in self.mentions],
        }


Route = Callable[[Report], str | None]  # a report's modality, or None when it is neither


class KeyClassifier(Protocol):
    """Stage 1, learned (``omop_nlp.entities.bert``): report-level key probabilities joined to the
    lexicon's findings. It scores notes ahead in batches (``prefetch``); ``combine`` then reads them."""

    @property
    def name(self) -> str: ...  # its part of nlp_system

    def prefetch(self, reports: list[Report], route: Route) -> None: ...

    def prefetching(self, reports: Iterable[Report], route: Route) -> Iterator[Report]: ...

    def combine(self, text: str, modality: str, mentions: list[Mention],
                findings: dict[str, Finding]) -> dict[str, Finding]: ...  # fmt: skip


class RelationRefiner(Protocol):
    """A stage-2 relation mapper backend run after the rules on a batch of results
    (``omop_nlp.relations.llm``); the rules' related keys stay where it gives no answer."""

    @property
    def system_tag(self) -> str: ...  # its part of nlp_system, e.g. "llm:Meta-Llama-3-8B-Instruct"

    def refine(self, results: list[Result]) -> None: ...

    def summary_line(self) -> str: ...  # what it did, for the end of a run (no note text)
