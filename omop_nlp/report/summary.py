"""What the report's summary and over-time pages show, counted over every note of a run.

The same counters are fed note by note from ``extract`` output and group by group from a CDM's
``GROUP BY`` queries, so both sources give the same figures for the same run.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise

from omop_nlp.model import Certainty
from omop_nlp.rules import MODALITIES, load_rules

LUNG_LOBES = ("rul", "rml", "rll", "lul", "lingula", "lll")
NO_MENTION = "no mention"
MIXED = "mixed"


def modality_of_key(key: str) -> str | None:
    """Entity and related keys are unique across modalities, so a key names its modality."""
    for modality in MODALITIES:
        rules = load_rules(modality)
        if key in rules.entities or key in rules.related:
            return modality
    return None


@dataclass
class Exam:
    """One brain MRI of a patient: its date and the episodes of each present malignant diagnosis."""

    note_id: str
    day: date
    episodes: dict[str, tuple[str, ...]]


@dataclass
class Summary:
    """Counts over all notes of a run (not only the notes shown one by one)."""

    processed: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    notes_per_modality: Counter[str] = field(default_factory=Counter)
    # (modality, key, certainty) -> mentions of that entity key
    certainty: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    # (modality, key) -> notes where the key is a finding (present under the guideline)
    notes_with_key: Counter[tuple[str, str]] = field(default_factory=Counter)
    # (modality, key, lower-cased words) -> mentions
    variants: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    # location key -> present lesion mentions that carry it (bilateral keys counted on both lobes)
    lung: Counter[str] = field(default_factory=Counter)
    # person -> brain MRI exams in date order
    exams: dict[int, list[Exam]] = field(default_factory=lambda: defaultdict(list))

    def add_mentions(self, modality: str, key: str, entity: bool, certainty: str, related: list[str],
                     variant: str, count: int = 1) -> None:  # fmt: skip
        """``count`` mentions of ``key`` with the same certainty, related keys and wording (none: a stage-1 key)."""
        if wording := " ".join(variant.lower().split()):
            self.variants[(modality, key, wording)] += count
        if not entity:
            return
        self.certainty[(modality, key, certainty)] += count
        if modality == "chest_ct" and Certainty(certainty).counts_as_present:
            rules = load_rules(modality)
            for location in rules.expand(related):
                self.lung[location] += count

    def add_note(self, modality: str, findings: dict[str, list[str]]) -> None:
        """One note's report-level figures: its modality and the keys it has as findings (extract's ``findings``,
        corrections applied), so both sources count what the note pages show."""
        self.notes_per_modality[modality] += 1
        for key in findings:
            self.notes_with_key[(modality, key)] += 1

    def add_exam(self, person_id: int, day: date, note_id: str, episodes: dict[str, tuple[str, ...]]) -> None:
        self.exams[person_id].append(Exam(note_id, day, episodes))

    def top_variants(self, modality: str, key: str, n: int = 5) -> list[tuple[str, int]]:
        found = [(variant, count) for (m, k, variant), count in self.variants.items() if (m, k) == (modality, key)]
        return sorted(found, key=lambda item: (-item[1], item[0]))[:n]

    def key_rows(self, modality: str) -> list[dict]:
        """One row per entity key seen: notes with it as a finding and mentions per certainty."""
        rules = load_rules(modality)
        rows = []
        for key in rules.entities:
            by_certainty = {c.value: self.certainty[(modality, key, c.value)] for c in Certainty}
            if not any(by_certainty.values()) and not self.notes_with_key[(modality, key)]:
                continue
            rows.append({"key": key, "notes": self.notes_with_key[(modality, key)], **by_certainty,
                         "variants": self.top_variants(modality, key)})  # fmt: skip
        return rows

    def sequences(self) -> dict[tuple[int, str], list[tuple[Exam, str]]]:
        """Per (person, malignant diagnosis), each brain MRI of the person in date order with its state.

        The state is the stated episode, ``mixed`` for several, ``no mention`` when that exam
        states none (or does not name the diagnosis). Only diagnoses found at least once count.
        """
        out: dict[tuple[int, str], list[tuple[Exam, str]]] = {}
        for person_id, exams in self.exams.items():
            ordered = sorted(exams, key=lambda e: (e.day, e.note_id))
            for diagnosis in sorted({d for e in ordered for d in e.episodes}):
                out[(person_id, diagnosis)] = [(e, episode_state(e.episodes.get(diagnosis, ()))) for e in ordered]
        return out

    def transitions(self) -> Counter[tuple[int, str, str]]:
        """(exam step, state before, state after) -> patients, between consecutive exams."""
        counts: Counter[tuple[int, str, str]] = Counter()
        for sequence in self.sequences().values():
            for step, ((_, before), (_, after)) in enumerate(pairwise(sequence)):
                counts[(step, before, after)] += 1
        return counts


def malignant_episodes(modality: str, findings: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    """A note's present malignant diagnoses with their episodes: what its exam adds to the over-time pages."""
    rules = load_rules(modality)
    return {k: tuple(v) for k, v in findings.items() if k in rules.entities and rules.is_malignant(k)}


def episode_state(episodes: tuple[str, ...]) -> str:
    if not episodes:
        return NO_MENTION
    return episodes[0] if len(set(episodes)) == 1 else MIXED
