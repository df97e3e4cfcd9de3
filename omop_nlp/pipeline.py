"""Report -> Result: the straight line source text -> stage 1 -> assertion -> stage 2 -> findings.

A ``Pipeline`` is assembled by ``omop_nlp.build.build_pipeline(PipelineConfig)`` only.

Per-note failures have one policy: ``extract`` raises ``NoteSkipped`` (nothing else), while
``extract_batch`` and ``extract_many`` give one outcome per note, a ``Result`` or a
``NoteSkipped``. An unexpected exception of one note becomes ``NoteFailed`` (reason
``internal_error``, the exception's class name only, no note text) and the other notes go on.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from operator import attrgetter

from omop_nlp.budget import note_budget
from omop_nlp.config import PipelineConfig
from omop_nlp.corrections import Corrections, read_corrections
from omop_nlp.entities.annotator import Annotator
from omop_nlp.entities.document import Document, RelationMapper
from omop_nlp.errors import NoteFailed, NoteSkipped
from omop_nlp.model import Certainty, EntityType, Finding, KeyClassifier, Mention, RelationRefiner, Report, Result
from omop_nlp.relations.episodes import DiagnosisEpisodeMapper
from omop_nlp.relations.locations import LesionLocationMapper
from omop_nlp.routing import ModalityRouter
from omop_nlp.rules import ModalityRules, load_rules
from omop_nlp.text.columns import reading_order
from omop_nlp.text.note import checked_text
from omop_nlp.text.sections import IMPRESSION, SectionRules, load_section_rules
from omop_nlp.text.tokens import term_lemmas

NoteOutcome = Result | NoteSkipped  # what the batch entry points give for each note
LLM_BATCH = 256  # notes handed to a relation mapper at once by extract_many (an LLM server batches them)
# a finding as a dismissal names it: key, words or none, sentence or -1
_DismissalName = tuple[str, tuple[str, ...], int]
_START = attrgetter("start")  # a sort key by offset: a C-level getter
_STRONGER = [Certainty.PRESENT, Certainty.HEDGED, Certainty.HISTORICAL, Certainty.RESOLVED]


@dataclass
class ModalityEngine:
    rules: ModalityRules
    annotator: Annotator
    relations: RelationMapper
    sections: SectionRules
    same_names: dict[str, tuple[str, ...]] = field(init=False, repr=False)  # presence.same_names as lemmas

    def __post_init__(self) -> None:
        self.same_names = {short: term_lemmas(full) for name, full in self.rules.presence.same_names.items()
                           for short in term_lemmas(name)}

    @classmethod
    def for_modality(cls, modality: str) -> ModalityEngine:
        rules = load_rules(modality)
        mapper_cls = LesionLocationMapper if rules.related_type == "location" else DiagnosisEpisodeMapper
        return cls(rules, Annotator(rules), mapper_cls(rules), load_section_rules())

    def document(self, text: str) -> Document:
        doc = self.annotator.annotate(text)
        self.relations.map(doc)
        return doc

    def stored_findings(self, text: str, mentions: list[Mention]) -> dict[str, Finding]:
        """``findings`` of mentions read back from storage (NOTE_NLP rows keep offsets, not sentences): each
        takes the sentence of the note's outline that holds its offset, so a dismissal that stays in its sentence
        and the impression's denials read them as extract did. What the CDM review report counts and shows."""
        order = reading_order(text)
        doc = self.annotator.outline(order.text if order else text)
        if order:
            _place(mentions, order.text_span)  # read where extract read them, and given back as stored
        starts = [s.start for s in doc.sentences]
        for mention in mentions:
            mention.sentence = max(bisect_right(starts, mention.start) - 1, 0)
        findings = self.findings(doc, mentions)
        if order:
            _place(mentions, order.note_span)
        return findings

    def read(self, text: str) -> tuple[Document, list[Mention], dict[str, Finding]]:
        """The note's document, its mentions and findings. A two-column page is read in reading order
        (text/columns.py); its mentions then give the note's offsets."""
        order = reading_order(text)
        doc = self.document(order.text if order else text)
        mentions = [item.mention for s in doc.sentences for item in s.items if item.mention]
        findings = self.findings(doc, mentions)
        if order:
            _place(mentions, order.note_span)
        return doc, mentions, findings

    def findings(self, doc: Document, mentions: list[Mention]) -> dict[str, Finding]:
        """Present entity keys with the union of the related keys of their present mentions; where the
        report corrects itself (an addendum in ``doc``), the correction's word on a key wins. The one place
        report-level findings are built: ``extract`` and the CDM review report (stored mentions) agree."""
        corrections = read_corrections(doc, mentions, self.sections, self.rules.entity_type)
        findings: dict[str, Finding] = {}
        withdrawn_keys: set[str] = set()  # keys of the mentions the correction took back
        summary: dict[str, set[str]] = {}  # per key, what the impression alone adds
        denied = _denied_in_impression(mentions, self.rules.entity_type)
        presence = self.rules.presence
        named = _naming(presence.dismissal_names == "words", presence.dismissal_within == "sentence", self.same_names)
        dismissed = _dismissed(mentions, named) if presence.later_dismissal_wins else {}
        repeated = _named_dismissals(mentions) if presence.repeated_dismissal_wins else {}
        for mention in mentions:
            if mention.type != self.rules.entity_type or not self._present(mention, denied):  # StrEnum: no .value
                continue
            if corrections.withdraws(mention):
                withdrawn_keys.add(mention.key)
                continue  # "Correction: there is no effusion; ... stated in error"
            if mention.certainty is Certainty.HEDGED and (_dismissed_later(mention, named, dismissed)
                                                          or _dismissed_later(mention, _BY_WORDS, repeated)):
                continue  # "DDx: abscess or lymphoma ... lymphoma is considered less likely"
            finding = findings.get(mention.key)
            if finding is None:  # not setdefault: that would build a Finding per mention and drop all but the first
                finding = findings[mention.key] = Finding(mention.key, mention.type, [], mention.certainty)
            finding.mentions.append(mention)
            if _STRONGER.index(mention.certainty) < _STRONGER.index(finding.certainty):
                finding.certainty = mention.certainty
            if not self.rules.entities[mention.key].relates:
                continue
            if mention.section == IMPRESSION:
                summary.setdefault(mention.key, set()).update(mention.related)
            else:
                finding.related = self._most_specific(set(finding.related) | set(mention.related))
        for key, related in summary.items():
            findings[key].related = self._most_specific(set(findings[key].related), related)
        for key in withdrawn_keys & findings.keys():
            findings[key].corrected = True
        if corrections:
            self._correct_places(findings, corrections)
        return findings

    def _correct_places(self, findings: dict[str, Finding], corrections: Corrections) -> None:
        """Guideline §2 rule 7 for a correction: the places it gives a lesion replace the body's ("in the
        left lower lobe, not the lingula"); the places it denies are taken away."""
        if self.rules.related_type != "location":
            return
        for key, finding in findings.items():
            if not self.rules.entities[key].relates:
                continue
            if key in corrections.places:
                finding.related = self._most_specific(corrections.places[key])
                finding.corrected = True
            elif key in corrections.removed:
                finding.related = self._most_specific(self._without(finding.related, corrections.removed[key]))
                finding.corrected = True
            if key in corrections.added:  # "the 'consolidation' in the LLL is atelectasis": atelectasis there
                finding.related = self._most_specific(set(finding.related) | corrections.added[key])
                finding.corrected = True

    def _without(self, related: list[str], denied: set[str]) -> set[str]:
        """The places left once ``denied`` is taken away: both lower lobes less the right lower lobe is the left."""
        out: set[str] = set()
        for place in related:
            parts = self.rules.expand([place])
            out |= parts - denied if parts & denied else {place}
        return out

    def _most_specific(self, related: set[str], summary: set[str] = frozenset()) -> list[str]:
        """Guideline §2 rule 3 over all mentions of a key: 'bilateral bronchiectasis' in the impression
        (``summary``) adds no lung side to the lobes the findings gave it."""
        if isinstance(self.relations, LesionLocationMapper):
            return self.relations.with_summary(sorted(related), sorted(summary))
        return sorted(related | summary)

    def _present(self, mention: Mention, denied: set[str]) -> bool:
        """Guideline: present or hedged; for brain malignant tumours known or treated disease too, unless
        the impression denies it ("Hx: DLBCL" then "No evidence of CNS lymphoma": no brain involvement)."""
        if mention.certainty.counts_as_present:
            return True
        malignant = self.rules.entities[mention.key].group == "malignant"
        if mention.certainty is Certainty.HISTORICAL and mention.key in denied:
            return False
        return malignant and mention.certainty in (Certainty.HISTORICAL, Certainty.RESOLVED)


def _place(mentions: list[Mention], span: Callable[[int, int], tuple[int, int]]) -> None:
    """Moves each mention's offsets between a note and its reading order (``ReadingOrder`` gives ``span``)."""
    for mention in mentions:
        mention.start, mention.end = span(mention.start, mention.end)


def _dismissed(mentions: list[Mention], named: Callable[[Mention], _DismissalName]) -> dict[_DismissalName, int]:
    """Per finding ``named``, the offset of its last mention named as unlikely: a differential dismissed
    there. By its words in the brain: "likely meningioma; schwannoma less likely" keeps the meningioma."""
    unlikely = [m for m in mentions if m.certainty is Certainty.UNLIKELY]  # few: sorted, not every mention
    return {named(m): m.start for m in sorted(unlikely, key=_START)}


def _dismissed_later(mention: Mention, named: Callable[[Mention], _DismissalName],
                     dismissed: dict[_DismissalName, int]) -> bool:
    """A later dismissal names this finding: by its words or their tail, the head word enough ("a high-grade
    glioma ... glioma is considered unlikely"; "herpes encephalitis ... autoimmune encephalitis less likely" keeps
    the herpes encephalitis)."""
    if not dismissed:
        return False
    key, words, sentence = named(mention)
    return any(mention.start < dismissed.get((key, words[i:], sentence), -1) for i in range(max(len(words), 1)))


def _naming(by_words: bool, in_sentence: bool,
            same_names: dict[str, tuple[str, ...]] | None = None) -> Callable[[Mention], _DismissalName]:
    """How a dismissal names the finding it dismisses: by its words or its key, in its sentence or anywhere
    (``presence.dismissal_names`` and ``dismissal_within``); a short name by its full one (``presence.same_names``:
    a letter quotes the radiologist's "glioblastoma" and dismisses it as "GBM")."""
    def named(mention: Mention) -> _DismissalName:
        words = term_lemmas(mention.text) if by_words else ()
        if same_names:
            words = tuple(w for lemma in words for w in same_names.get(lemma, (lemma,)))
        return (mention.key, words, mention.sentence if in_sentence else -1)
    return named


_BY_WORDS = _naming(by_words=True, in_sentence=False)  # a dismissal that repeats the finding's words, anywhere after it
_NAME_WORDS = 2  # a dismissal that reaches over sentences names a finding in this many words at least


def _named_dismissals(mentions: list[Mention]) -> dict[_DismissalName, int]:
    """Dismissals that repeat a finding's full name ("squamous cell carcinoma is less likely"): they reach back over
    the whole report; a bare head word ("Metastatic nodules are unlikely") stays in its own sentence."""
    return {name: at for name, at in _dismissed(mentions, _BY_WORDS).items() if len(name[1]) >= _NAME_WORDS}


def _denied_in_impression(mentions: list[Mention], entity_type: str) -> set[str]:
    """Entity keys that the impression negates outright: in a sentence that states no change, since
    "no new metastases" denies only new ones."""
    changed = {m.sentence for m in mentions if m.type is EntityType.EPISODE}
    return {m.key for m in mentions if m.type == entity_type and m.certainty is Certainty.NEGATED
            and m.section == IMPRESSION and m.sentence not in changed}


class Pipeline:
    """The embedded rule engine with its optional stages. One instance serves many notes; it holds
    no per-note state. Built by ``build_pipeline``; see the module docstring for failures.

    ``key_classifier`` (optional, ``--bert``) adds stage-1 keys by the recall-union policy of
    docs/bert.md; ``relation_refiner`` (optional, ``--mapper llm|hybrid``) re-maps stage 2 after
    the rules, a batch at a time; the rules stay the default and its fallback.
    """

    def __init__(self, config: PipelineConfig, engines: dict[str, ModalityEngine], router: ModalityRouter, *,
                 nlp_system: str, key_classifier: KeyClassifier | None = None,
                 relation_refiner: RelationRefiner | None = None) -> None:  # fmt: skip
        self.config = config  # what it was built from: worker processes build theirs from it
        self.engines = engines
        self.router = router
        self.nlp_system = nlp_system
        self.key_classifier = key_classifier
        self.relation_refiner = relation_refiner

    def extract(self, report: Report, note_class_concept_id: int | None = None) -> Result:
        """One note's result; raises ``NoteSkipped`` (``NoteFailed`` for an unexpected error), nothing else."""
        (outcome,) = self.extract_batch([report], [note_class_concept_id])
        if isinstance(outcome, NoteSkipped):
            raise outcome
        return outcome

    def extract_batch(self, reports: list[Report], note_class_concept_ids: list[int | None] | None = None,
                      ) -> list[NoteOutcome]:  # fmt: skip
        """Many notes at once: the rules note by note, then the relation refiner on the whole batch.
        One outcome per note, in order."""
        if self.key_classifier is not None:  # stage 1 scores the whole batch, length-bucketed
            self.key_classifier.prefetch(reports, self.route)
        return self._batch(reports, note_class_concept_ids or [None] * len(reports))

    def extract_many(self, reports: Iterable[Report]) -> Iterator[NoteOutcome]:
        """A stream of notes, one outcome per note; the relation refiner sees ``LLM_BATCH`` at a time."""
        if self.key_classifier is not None:  # stage 1 scores notes ahead in length-bucketed batches
            reports = self.key_classifier.prefetching(reports, self.route)
        reports = iter(reports)
        size = LLM_BATCH if self.relation_refiner is not None else 1
        while batch := list(islice(reports, size)):
            yield from self._batch(batch, [None] * len(batch))

    def _batch(self, reports: list[Report], note_class_concept_ids: list[int | None]) -> list[NoteOutcome]:
        out = [self._outcome(r, class_id) for r, class_id in zip(reports, note_class_concept_ids, strict=True)]
        if self.relation_refiner is not None:
            self.relation_refiner.refine([r for r in out if isinstance(r, Result)])
        return out

    def _outcome(self, report: Report, note_class_concept_id: int | None) -> NoteOutcome:
        try:
            return self.extract_rules(report, note_class_concept_id)
        except NoteSkipped as skipped:
            skipped.report_id = report.id
            return skipped
        except Exception as exc:  # one bad note never loses the others; no note text leaves here
            return NoteFailed(exc, report.id)

    def extract_rules(self, report: Report, note_class_concept_id: int | None = None) -> Result:
        """Stage 1, assertion and the rule relations for one note (no batched stage 2), within the
        note's time budget; raises."""
        text = checked_text(report.text, self.config.max_note_chars)
        with note_budget(self.config.note_timeout):
            modality = self.route(report, note_class_concept_id)
            if modality is None:
                raise NoteSkipped("unknown_modality", "no chest CT or brain MRI vocabulary found")
            engine = self.engines[modality]
            _, mentions, findings = engine.read(text)
        if self.key_classifier is not None:
            findings = self.key_classifier.combine(text, modality, mentions, findings)
        return Result(report, modality, mentions, findings)

    def route(self, report: Report, note_class_concept_id: int | None = None) -> str | None:
        modality = self.config.modality
        return modality if modality != "auto" else self.router.route(report, note_class_concept_id)
