"""Guideline section 2 rule 10: the chest lesion keys are findings of the lungs and pleura.

A lesion word is another organ's finding when its phrase names that organ ("left adrenal nodule",
"nodule in the left thyroid lobe") or when it stands under that organ's heading (`UPPER ABDOMEN:`,
section kind ``other_organ``). The words are data (``other_organs`` in the modality's YAML); a
modality without that section keeps every mention.
"""

from __future__ import annotations

from bisect import bisect_left

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
        self._lung_words = single_words(rules.lung_words, "other_organs.lung_words")
        self._reach_before, self._reach_after = rules.reach.before, rules.reach.after

    def drop_findings(self, sentence: Sentence, tokens: list[Token]) -> None:
        """Removes the entity mentions of ``sentence`` that are findings of another organ (linear in the
        sentence: each lesion is checked against the nearest organ word before and after it)."""
        if not self.enabled:
            return
        if sentence.section_kind == OTHER_ORGAN:
            sentence.items = [i for i in sentence.items if not _is_entity(i)]
            return
        organs = [i for i in sentence.items if i.cue == "organ"]
        if not organs:
            return
        mention_starts = sorted(i.first_token for i in sentence.items if i.mention)
        organ_starts = [o.first_token for o in organs]
        subject_lesion = self._subject_lesion(organs[0], sentence, tokens)
        sentence.items = [i for i in sentence.items if not (_is_entity(i) and (
            i.first_token == subject_lesion or self._names_organ(i, organs, organ_starts, mention_starts, tokens)))]

    def _names_organ(self, lesion: Item, organs: list[Item], organ_starts: list[int], mention_starts: list[int],
                     tokens: list[Token]) -> bool:
        at = bisect_left(organ_starts, lesion.first_token)  # organs[at:] start at or after the lesion
        before = organs[at - 1] if at else None
        if before is not None and before.last_token <= lesion.first_token and self._free(
                mention_starts, tokens, before.last_token, lesion.first_token, self._reach_before):
            # "left adrenal nodule", but not "mediastinal perihilar pulmonary nodules"
            return not any(t.lemma in self._lung_words for t in tokens[before.last_token : lesion.last_token])
        after = next((o for o in organs[at : at + 2] if o.first_token >= lesion.last_token), None)
        if after is not None:
            link = self._link_after(tokens, lesion.last_token, after.first_token)
            start = lesion.last_token + link
            if link and self._free(mention_starts, tokens, start, after.first_token, self._reach_after):
                return True  # "nodule in the left thyroid lobe"
        return False

    def _subject_lesion(self, organ: Item, sentence: Sentence, tokens: list[Token]) -> int | None:
        """Where the lesion of a sentence that an organ opens stands ("The thyroid is enlarged with several
        nodules"): the first finding after the organ, when no break stands between them."""
        opening = [t.lemma for t in tokens[sentence.first_token : organ.first_token] if t.lemma[0].isalpha()]
        if opening not in ([], ["the"]):
            return None
        after = (i.first_token for i in sentence.items if _is_entity(i) and i.first_token >= organ.last_token)
        first = min(after, default=None)
        if first is None or any(t.lemma in self._subject_breaks for t in tokens[organ.last_token : first]):
            return None
        return first

    def _free(self, mention_starts: list[int], tokens: list[Token], start: int, end: int, reach: int) -> bool:
        """At most ``reach`` words between, none of them a break or another mention."""
        if end - start > reach:
            return False
        if any(t.lemma in self._breaks for t in tokens[start:end]):
            return False
        return bisect_left(mention_starts, start) == bisect_left(mention_starts, end)

    def _link_after(self, tokens: list[Token], start: int, end: int) -> int:
        words = tuple(t.lemma for t in tokens[start:end])
        return next((len(link) for link in self._links if words[: len(link)] == link), 0)


def _is_entity(item: Item) -> bool:
    return item.mention is not None and item.mention.type.value in ("lesion", "diagnosis")
