"""Plain data types passed between pipeline stages.

Each stage knows only these types: source → text → entities → assertion → relations → sinks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


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
    mapper: str = "rules"

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
            "mapper": self.mapper,
        }


@dataclass
class Finding:
    """An entity key present in the report with its related keys (guideline section 1)."""

    key: str
    type: EntityType
    related: list[str]
    certainty: Certainty
    mentions: list[Mention] = field(default_factory=list)


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
