"""DiagnosisEpisodeMapper: the changes a brain MRI report states for each malignant diagnosis.

Guideline section 3 rules 2-4: every stated change counts (mixed responses give several), a
differential shares its change, "new" lesions of known disease are progression, resolved
disease is improvement, and post-treatment change alone is no episode, also where the report
explains a change by it ("increased enhancement, likely radiation necrosis").
"""

from __future__ import annotations

from omop_nlp.entities.document import Document, Item, Sentence
from omop_nlp.model import Certainty
from omop_nlp.schema import ModalitySchema
from omop_nlp.text.tokens import single_words, term_lemmas

IMPROVEMENT = "improvement"
PROGRESSION = "progression"
IMPRESSION = "impression"
# A change word under these is not stated ("no new lesion", "recurrence is not favored"); under
# "s/p GKS: NSC" (historical) it still is.
_NOT_STATED = (Certainty.NEGATED, Certainty.UNLIKELY, Certainty.HYPOTHETICAL)


class DiagnosisEpisodeMapper:
    name = "rules"

    def __init__(self, schema: ModalitySchema) -> None:
        self.schema = schema
        self._attributions = {term_lemmas(t) for terms in schema.extra.get("episode_attributions", {}).values()
                              for t in terms}
        grammar = schema.extra.get("episode_grammar", {})
        self._clause_breaks = single_words(grammar.get("clause_breaks", []), "episode_grammar.clause_breaks")
        self._denials = single_words(grammar.get("denials", []), "episode_grammar.denials")
        self._alternatives = single_words(grammar.get("alternatives", []), "episode_grammar.alternatives")
        self._treatment_effects = {term_lemmas(t) for terms in schema.extra.get("treatment_effects", {}).values()
                                   for t in terms}

    def map(self, doc: Document) -> None:
        malignant = [i for s in doc.sentences for i in s.mentions("diagnosis") if self._is_malignant(i)]
        if not malignant:
            return
        stated: list[tuple[Sentence, str, list[Item]]] = []  # each change word with the diagnoses it speaks of
        for sentence in (s for s in doc.sentences if s.section_kind == "findings"):
            for item in sentence.mentions("diagnosis"):
                if self._is_malignant(item) and item.mention.certainty is Certainty.RESOLVED:
                    _add(item, IMPROVEMENT)
            for episode in sentence.mentions("episode"):
                if episode.mention.certainty not in _NOT_STATED:
                    stated.append((sentence, episode.mention.key, self._targets(doc, sentence, episode, malignant)))
        growth_is_treatment = self._impression_blames_treatment(doc, stated)
        for _, key, targets in stated:
            if not (key == PROGRESSION and growth_is_treatment):
                for target in targets:
                    _add(target, key)

    def _impression_blames_treatment(self, doc: Document, stated: list[tuple[Sentence, str, list[Item]]]) -> bool:
        """The impression explains the change by treatment ("most consistent with pseudoprogression",
        "favor radiation necrosis") and states no progression of its own: growth described elsewhere in
        the report is then no progression (guideline section 3, rule 3)."""
        if any(s.section == IMPRESSION and key == PROGRESSION and targets for s, key, targets in stated):
            return False
        return any(self._attributed(doc, sentence, cue)
                   for sentence in doc.sentences if sentence.section == IMPRESSION
                   for cue in sentence.cues("non_episode_subject")
                   if tuple(doc.lemmas(cue.first, cue.last)) in self._treatment_effects)

    def _attributed(self, doc: Document, sentence: Sentence, subject: Item) -> bool:
        """An attribution phrase ("likely", "consistent with", "->") stands right before ``subject``,
        not denied ("not related to")."""
        before = doc.lemmas(max(sentence.first_token, subject.first - 5), subject.first)
        for phrase in self._attributions:
            n = len(phrase)
            if n <= len(before) and tuple(before[-n:]) == phrase and (n == len(before) or
                                                                      before[-n - 1] not in self._denials):
                return True
        return False

    def _explained_away(self, doc: Document, sentence: Sentence, episode: Item, others: list[Item]) -> bool:
        """The sentence attributes the change to a non-tumor subject named after it: an attribution
        phrase ("likely", "consistent with", "->") right before that subject or non-malignant diagnosis,
        not denied ("not related to") and not one side of a differential ("... infection or metastases")."""
        return any(cue.first >= episode.last and not set(doc.lemmas(cue.last, cue.last + 1)) & self._alternatives
                   and self._attributed(doc, sentence, cue)
                   for cue in sentence.cues("non_episode_subject") + others)

    def _is_malignant(self, item: Item) -> bool:
        return self.schema.is_malignant(item.mention.key) and item.mention.certainty not in (
            Certainty.NEGATED, Certainty.UNLIKELY, Certainty.HYPOTHETICAL)

    def _targets(self, doc: Document, sentence: Sentence, episode: Item, malignant: list[Item]) -> list[Item]:
        """The malignant diagnoses a change word speaks of, or none when it is about something else."""
        here = [i for i in sentence.mentions("diagnosis") if self._is_malignant(i)]
        others = [i for i in sentence.mentions("diagnosis") if not self._is_malignant(i)]
        cues = sentence.cues("non_episode_subject") + sentence.cues("tumor_reference")
        subject = _subject(doc, episode, sentence, cues + here + others, self._clause_breaks)
        if subject is not None and (subject.cue == "non_episode_subject" or
                                    (subject.mention and not self._is_malignant(subject))):
            return []
        if (subject is None or subject.mention is None) and self._explained_away(doc, sentence, episode, others):
            return []  # "increased enhancement, likely radiation necrosis"; not "the metastasis increased, ..."
        if here:
            return here
        earlier = [i for i in malignant if i.mention.sentence <= sentence.index]
        if not earlier or len({i.mention.key for i in earlier}) == 1:
            return earlier or malignant
        latest = earlier[-1].mention.sentence  # the last-named disease, or its differential
        return [i for i in earlier if i.mention.sentence == latest]


def _subject(doc: Document, episode: Item, sentence: Sentence, candidates: list[Item],
             clause_breaks: frozenset[str]) -> Item | None:
    """What a change word is said of: the first candidate of its clause before it ('the enhancing
    lesion along the resection cavity has increased'), else the nearest one after it in its clause
    ('increased enhancement'), else the nearest one before its clause."""
    lemmas = doc.lemmas(sentence.first_token, sentence.last_token)
    breaks = [sentence.first_token + i for i, w in enumerate(lemmas) if w in clause_breaks]
    clause_start = max((b + 1 for b in breaks if b < episode.first), default=sentence.first_token)
    clause_end = min((b for b in breaks if b >= episode.last), default=sentence.last_token)
    before = [c for c in candidates if clause_start <= c.first and c.last <= episode.first]
    if before:
        return min(before, key=lambda c: c.first)
    after = [c for c in candidates if episode.last <= c.first < clause_end]
    if after:
        return min(after, key=lambda c: c.first)
    return max((c for c in candidates if c.last <= episode.first), key=lambda c: c.last, default=None)


def _add(item: Item, key: str) -> None:
    if key not in item.mention.related:
        item.mention.related.append(key)
