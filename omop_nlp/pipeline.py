"""Report -> Result: the straight line source text -> stage 1 -> assertion -> stage 2 -> findings."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Protocol

from omop_nlp import NAME, __version__
from omop_nlp.budget import DEFAULT_NOTE_TIMEOUT_S, note_budget
from omop_nlp.entities.annotator import Annotator
from omop_nlp.entities.document import Document
from omop_nlp.errors import NoteSkipped
from omop_nlp.model import Certainty, EntityType, Finding, Mention, Report, Result
from omop_nlp.relations.episodes import DiagnosisEpisodeMapper
from omop_nlp.relations.locations import LesionLocationMapper
from omop_nlp.routing import load_router
from omop_nlp.rules import MODALITIES, ModalityRules, load_rules, rules_fingerprint
from omop_nlp.text.tokens import term_lemmas

MAX_NOTE_CHARS = 2_000_000
LLM_BATCH = 256  # notes handed to a relation mapper at once by extract_many (an LLM server batches them)
_STRONGER = [Certainty.PRESENT, Certainty.HEDGED, Certainty.HISTORICAL, Certainty.RESOLVED]


@dataclass
class ModalityEngine:
    rules: ModalityRules
    annotator: Annotator
    mapper: LesionLocationMapper | DiagnosisEpisodeMapper

    @classmethod
    def for_modality(cls, modality: str) -> ModalityEngine:
        rules = load_rules(modality)
        mapper_cls = LesionLocationMapper if rules.related_type == "location" else DiagnosisEpisodeMapper
        return cls(rules, Annotator(rules), mapper_cls(rules))

    def document(self, text: str) -> Document:
        doc = self.annotator.annotate(text)
        self.mapper.map(doc)
        return doc

    def findings(self, mentions: list[Mention]) -> dict[str, Finding]:
        """Present entity keys with the union of the related keys of their present mentions."""
        findings: dict[str, Finding] = {}
        denied = _denied_in_impression(mentions, self.rules.entity_type)
        dismissed = _dismissed(mentions) if self.rules.presence.later_dismissal_wins else {}
        for mention in mentions:
            if mention.type.value != self.rules.entity_type or not self._present(mention, denied):
                continue
            if mention.certainty is Certainty.HEDGED and mention.start < dismissed.get(_named(mention), -1):
                continue  # "DDx: abscess or lymphoma ... lymphoma is considered less likely"
            finding = findings.setdefault(mention.key, Finding(mention.key, mention.type, [], mention.certainty))
            finding.mentions.append(mention)
            if _STRONGER.index(mention.certainty) < _STRONGER.index(finding.certainty):
                finding.certainty = mention.certainty
            if self.rules.entities[mention.key].relates:
                finding.related = self._most_specific(set(finding.related) | set(mention.related))
        return findings

    def _most_specific(self, related: set[str]) -> list[str]:
        """Guideline §2 rule 3 over all mentions of a key: 'bilateral bronchiectasis' in the impression
        adds no lung side to the lobes the findings gave it."""
        if isinstance(self.mapper, LesionLocationMapper):
            return self.mapper.most_specific(list(related))
        return sorted(related)

    def _present(self, mention: Mention, denied: set[str]) -> bool:
        """Guideline: present or hedged; for brain malignant tumours known or treated disease too, unless
        the impression denies it ("Hx: DLBCL" then "No evidence of CNS lymphoma": no brain involvement)."""
        if mention.certainty.counts_as_present:
            return True
        malignant = self.rules.entities[mention.key].group == "malignant"
        if mention.certainty is Certainty.HISTORICAL and mention.key in denied:
            return False
        return malignant and mention.certainty in (Certainty.HISTORICAL, Certainty.RESOLVED)


def _dismissed(mentions: list[Mention]) -> dict[tuple[str, tuple[str, ...]], int]:
    """Per diagnosis named, the offset of its last mention named as unlikely: a differential dismissed
    there. By its words, not its key: "likely meningioma; schwannoma less likely" keeps the meningioma."""
    return {_named(m): m.start for m in sorted(mentions, key=lambda m: m.start) if m.certainty is Certainty.UNLIKELY}


def _named(mention: Mention) -> tuple[str, tuple[str, ...]]:
    return mention.key, term_lemmas(mention.text)


def _denied_in_impression(mentions: list[Mention], entity_type: str) -> set[str]:
    """Entity keys that the impression negates outright: in a sentence that states no change, since
    "no new metastases" denies only new ones."""
    changed = {m.sentence for m in mentions if m.type is EntityType.EPISODE}
    return {m.key for m in mentions if m.type.value == entity_type and m.certainty is Certainty.NEGATED
            and m.section == "impression" and m.sentence not in changed}


class RelationMapper(Protocol):
    """A stage-2 backend run after the rules on a batch of results (omop_nlp.relations.llm)."""

    system_tag: str  # the mapper part of nlp_system, e.g. "llm:Meta-Llama-3-8B-Instruct"

    def refine(self, results: list[Result]) -> None: ...


class Pipeline:
    """The embedded rule engine. One instance serves many notes; it holds no per-note state.

    ``relation_mapper`` (optional) re-maps stage 2 after the rules, a batch at a time
    (``extract_batch``); the rules stay the default and its fallback.
    """

    def __init__(self, modality: str = "auto", relation_mapper: RelationMapper | None = None) -> None:
        if modality != "auto" and modality not in MODALITIES:
            raise ValueError(f"unknown modality {modality!r}; expected auto, {', '.join(MODALITIES)}")
        self.modality = modality
        self._engines = {m: ModalityEngine.for_modality(m) for m in MODALITIES}
        self._router = load_router()
        # Optional stage-1 classifier (omop_nlp.entities.bert.combine.StageOne, `--bert DIR`): its
        # probabilities join the lexicon's findings by the recall-union policy of docs/bert.md.
        self.key_classifier = None
        self.relation_mapper = relation_mapper
        self.note_timeout: float | None = DEFAULT_NOTE_TIMEOUT_S  # seconds per note of the rules; None: no limit
        stage2 = relation_mapper.system_tag if relation_mapper is not None else "rules"
        self.nlp_system = f"{NAME} {__version__} {stage2} {rules_fingerprint()}"

    def extract(self, report: Report, note_class_concept_id: int | None = None) -> Result:
        result = self._extract_rules(report, note_class_concept_id)
        if self.relation_mapper is not None:
            self.relation_mapper.refine([result])
        return result

    def extract_batch(self, reports: list[Report], note_class_concept_ids: list[int | None] | None = None,
                      ) -> list[Result | Exception]:  # fmt: skip
        """Many notes at once: the rules note by note, then the relation mapper on the whole batch.

        A note's error is returned in its place, never raised: ``NoteSkipped`` for a note that
        cannot be processed, any other exception for a failure of that note alone."""
        classes = note_class_concept_ids or [None] * len(reports)
        if self.key_classifier is not None:  # stage 1 scores the whole batch, length-bucketed
            self.key_classifier.prefetch(reports, self._route)
        out: list[Result | Exception] = []
        for report, class_concept_id in zip(reports, classes, strict=True):
            try:
                out.append(self._extract_rules(report, class_concept_id))
            except NoteSkipped as skipped:
                skipped.report_id = report.id
                out.append(skipped)
            except Exception as exc:  # one bad note never loses the batch
                out.append(exc)
        if self.relation_mapper is not None:
            self.relation_mapper.refine([r for r in out if isinstance(r, Result)])
        return out

    def _extract_rules(self, report: Report, note_class_concept_id: int | None = None) -> Result:
        text = checked_text(report.text)
        with note_budget(self.note_timeout):
            modality = self._route(report, note_class_concept_id)
            if modality is None:
                raise NoteSkipped("unknown_modality", "no chest CT or brain MRI vocabulary found")
            engine = self._engines[modality]
            doc = engine.document(text)
            mentions = [item.mention for s in doc.sentences for item in s.items if item.mention]
            findings = engine.findings(mentions)
        if self.key_classifier is not None:
            findings = self.key_classifier.combine(text, modality, mentions, findings)
        return Result(report, modality, mentions, findings)

    def _route(self, report: Report, note_class_concept_id: int | None = None) -> str | None:
        return self.modality if self.modality != "auto" else self._router.route(report, note_class_concept_id)

    def extract_many(self, reports: Iterable[Report]) -> Iterator[Result | NoteSkipped]:
        if self.key_classifier is not None:  # stage 1 scores notes ahead in length-bucketed batches
            reports = self.key_classifier.prefetching(reports, self._route)
        if self.relation_mapper is not None:
            yield from self._extract_batches(iter(reports))
            return
        for report in reports:
            try:
                yield self.extract(report)
            except NoteSkipped as skipped:
                skipped.report_id = report.id
                yield skipped

    def _extract_batches(self, reports: Iterator[Report]) -> Iterator[Result | NoteSkipped]:
        while batch := list(islice(reports, LLM_BATCH)):
            for outcome in self.extract_batch(batch):
                if isinstance(outcome, Exception) and not isinstance(outcome, NoteSkipped):
                    raise outcome
                yield outcome


def checked_text(text: object) -> str:
    """The note text the engine reads (bytes decoded, NULs blanked), or ``NoteSkipped`` for a note it cannot."""
    if text is None:
        raise NoteSkipped("empty_text", "note_text is NULL")
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise NoteSkipped("invalid_encoding", f"not UTF-8 at byte {exc.start}") from None
    if not isinstance(text, str):
        raise NoteSkipped("invalid_text", f"note text is {type(text).__name__}, not a string")
    if "\x00" in text:
        text = text.replace("\x00", " ")
    if not text.strip():
        raise NoteSkipped("empty_text", "note_text is empty or whitespace")
    if len(text) > MAX_NOTE_CHARS:
        raise NoteSkipped("too_long", f"{len(text)} characters, limit {MAX_NOTE_CHARS}")
    return text
