"""Guideline section 2 rule 10: the chest lesion keys are findings of the lungs and pleura.

A lesion word is another organ's finding when its phrase names that organ ("left adrenal nodule",
"nodule in the left thyroid lobe") or when it stands under that organ's heading (`UPPER ABDOMEN:`,
section kind ``other_organ``). The words are data (``other_organs`` in the modality's YAML); a
modality without that section keeps every mention.
"""

from __future__ import annotations

from omop_nlp.entities.document import Item, Sentence
from omop_nlp.rules.modality import OtherOrgans as OtherOrgansRules
from omop_nlp.text.sections import OTHER_ORGAN
from omop_nlp.text.tokens import Token, single_words, term_lemmas


class OtherOrgans:
    def __init__(self, rules: OtherOrgansRules) -> None:
        self.enabled = bool(rules.words)
        self._links = [term_lemmas(t) for t in rules.links]
        self._breaks = single_words(rules.breaks, "other_organs.breaks")
        self._subject_breaks = single_words(rules.subject_breaks, "other_organs.subject_breaks")
        self._reach_before, self._reach_after = rules.reach.before, rules.reach.after

    def drop_findings(self, sentence: Sentence, tokens: list[Token]) -> None:
        """Removes the entity mentions of ``sentence`` that are findings of another organ."""
        if not self.enabled:
            return
        if sentence.section_kind == OTHER_ORGAN:
            sentence.items = [i for i in sentence.items if not _is_entity(i)]
            return
        organs = [i for i in sentence.items if i.cue == "organ"]
        if organs:
            sentence.items = [i for i in sentence.items
                              if not (_is_entity(i) and self._names_organ(i, organs, sentence, tokens))]

    def _names_organ(self, lesion: Item, organs: list[Item], sentence: Sentence, tokens: list[Token]) -> bool:
        if self._organ_is_subject(lesion, organs[0], sentence, tokens):
            return True  # "The thyroid is enlarged with several nodules"
        for organ in organs:
            if organ.last <= lesion.first and self._free(sentence, tokens, organ.last, lesion.first,
                                                         self._reach_before):
                return True  # "left adrenal nodule"
            if organ.first >= lesion.last:
                link = self._link_after(tokens, lesion.last, organ.first)
                if link and self._free(sentence, tokens, lesion.last + link, organ.first, self._reach_after):
                    return True  # "nodule in the left thyroid lobe"
        return False

    def _organ_is_subject(self, lesion: Item, organ: Item, sentence: Sentence, tokens: list[Token]) -> bool:
        """The organ opens the sentence (after a list number or an article) and no break or other
        finding stands between it and the lesion."""
        opening = [t.lemma for t in tokens[sentence.first_token : organ.first] if t.lemma[0].isalpha()]
        if organ.last > lesion.first or opening not in ([], ["the"]):
            return False
        between = tokens[organ.last : lesion.first]
        return (not any(t.lemma in self._subject_breaks for t in between)
                and not any(_is_entity(i) and organ.last <= i.first < lesion.first for i in sentence.items))

    def _free(self, sentence: Sentence, tokens: list[Token], start: int, end: int, reach: int) -> bool:
        """At most ``reach`` words between, none of them a break or another mention."""
        if end - start > reach:
            return False
        if any(t.lemma in self._breaks for t in tokens[start:end]):
            return False
        return not any(i.mention and start <= i.first < end for i in sentence.items)

    def _link_after(self, tokens: list[Token], start: int, end: int) -> int:
        words = tuple(t.lemma for t in tokens[start:end])
        return next((len(link) for link in self._links if words[: len(link)] == link), 0)


def _is_entity(item: Item) -> bool:
    return item.mention is not None and item.mention.type.value in ("lesion", "diagnosis")
