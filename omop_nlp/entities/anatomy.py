"""Guideline section 2 rule 10: the chest lesion keys are findings of the lungs and pleura.

A lesion word is another organ's finding when its phrase names that organ ("left adrenal nodule",
"nodule in the left thyroid lobe") or when it stands under that organ's heading (`UPPER ABDOMEN:`,
section kind ``other_organ``). The words are data (``other_organs`` in the modality's YAML); a
modality without that section keeps every mention.
"""

from __future__ import annotations

from bisect import bisect_left
from itertools import pairwise

from omop_nlp.entities.document import Item, Sentence
from omop_nlp.rules.modality import OtherOrgans as OtherOrgansRules
from omop_nlp.text.sections import OTHER_ORGAN
from omop_nlp.text.tokens import Token, single_words, term_lemmas

_LEVEL_REACH = 4  # "at the level of T5 vertebra": words from "level" to the organ word
_LUNG_PART_WORDS = 2  # "mediastinal surface of", "cardiac border of": words between the organ word and its link
_SUBJECT_ADJECTIVES = 2  # "Enlarged heterogeneous thyroid with nodules": words that may describe an opening organ
_ARTICLES = frozenset({"the", "a", "an"})
_PART_NOUN_WORDS = 1  # "both lobes of the thyroid": words between a place word and the link to its organ


class OtherOrgans:
    def __init__(self, rules: OtherOrgansRules) -> None:
        self.enabled = bool(rules.words)
        self._links = [term_lemmas(t) for t in rules.links]
        self._links_by_first: dict[str, list[tuple[str, ...]]] = {}  # a word opens only its own links: one lookup
        for link in self._links:
            self._links_by_first.setdefault(link[0], []).append(link)
        self._breaks = single_words(rules.breaks, "other_organs.breaks")
        self._subject_breaks = single_words(rules.subject_breaks, "other_organs.subject_breaks")
        self._lung_words = single_words(rules.lung_words, "other_organs.lung_words")
        self._levels = single_words(rules.levels, "other_organs.levels")
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
        self._take_organ_parts(sentence, tokens, organs)
        mention_starts = sorted(i.first_token for i in sentence.items if i.mention)
        place_starts = frozenset(i.first_token for i in sentence.items if i.mention and not _is_entity(i))
        organs = [o for o in organs
                  if not (self._names_level(o, tokens) or self._names_lung_part(o, tokens, place_starts))]
        if not organs:
            return
        organ_starts = [o.first_token for o in organs]
        subject_lesion = self._subject_lesion(organs[0], sentence, tokens)
        sentence.items = [i for i in sentence.items if not (_is_entity(i) and (
            i.first_token == subject_lesion or self._names_organ(i, organs, organ_starts, mention_starts, tokens)))]

    def _take_organ_parts(self, sentence: Sentence, tokens: list[Token], organs: list[Item]) -> None:
        """A place word linked to an organ after it names a part of that organ, not of the lungs ("nodules in both
        lobes of the thyroid", "Both lobes of liver show lesions"): it places no lesion, and the organ's phrase
        starts at it."""
        organ_at = {o.first_token: o for o in organs}
        taken = frozenset(i.first_token for i in sentence.items if i.mention or i.cue)
        kept: list[Item] = []
        for item in sentence.items:
            organ = None
            if item.mention and not _is_entity(item):
                organ = next((organ_at[at] for at in self._after_link(tokens, item.last_token, taken)
                              if at in organ_at), None)
            if organ is None:
                kept.append(item)
            else:
                organ.first_token = min(organ.first_token, item.first_token)
        sentence.items = kept

    def _after_link(self, tokens: list[Token], at: int, taken: frozenset[int]) -> list[int]:
        """Where the word after a link word ("of", "of the") starts, the link at ``at`` or after a part noun there
        ("both lobes of"); none where a mention or cue stands between."""
        starts = []
        for skip in range(_PART_NOUN_WORDS + 1):
            first = at + skip
            if skip and (first - 1 in taken or not tokens[first - 1].lemma.isalpha()):
                break
            link = self._link_after(tokens, first, min(len(tokens), first + 3))
            if link and tokens[first].lemma.isalpha():
                after = first + link
                starts.append(after + (after < len(tokens) and tokens[after].lemma in _ARTICLES))
        return starts

    def _names_level(self, organ: Item, tokens: list[Token]) -> bool:
        """'at the level of T5', 'at D10 level': an axial level."""
        before = [t.lemma for t in tokens[max(0, organ.first_token - _LEVEL_REACH) : organ.first_token]]
        after = tokens[organ.last_token].lemma if organ.last_token < len(tokens) else ""
        return after in self._levels or any(w in self._levels and nxt == "of" for w, nxt in pairwise(before))

    def _names_lung_part(self, organ: Item, tokens: list[Token], place_starts: frozenset[int]) -> bool:
        """An organ word that names a part of the lung: "the mediastinal surface of the LUL", "at the T5 level
        in the RLL", "the cardiac border of the RML" (at most two words, a link, then a lung place)."""
        for skip in range(_LUNG_PART_WORDS + 1):
            at = organ.last_token + skip
            if at >= len(tokens) or (skip and not tokens[at - 1].lemma.isalnum()):
                return False
            link = self._link_after(tokens, at, min(len(tokens), at + 3))
            if link and tokens[at].lemma != ":":
                after = at + link + (at + link < len(tokens) and tokens[at + link].lemma == "the")
                return after in place_starts
        return False

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
                # "nodule in the left thyroid lobe", but not "nodule at the lung apex near the mediastinum",
                # "pleural thickening at the costal pleura"
                return not any(t.lemma in self._lung_words for t in tokens[lesion.first_token : after.last_token + 1])
        return False

    def _subject_lesion(self, organ: Item, sentence: Sentence, tokens: list[Token]) -> int | None:
        """Where the lesion of a sentence that an organ opens stands ("The thyroid is enlarged with several
        nodules", "OTHER: Thyroid: 1.1 cm nodule"): the first finding after the organ, when no break stands
        between them. The organ may follow a heading of the line and head the rest itself ("Thyroid:")."""
        opens = sentence.first_token
        opening = [t.lemma for t in tokens[opens : organ.first_token]]
        if ":" in opening:
            opens = organ.first_token - opening[::-1].index(":")
            opening = opening[opens - sentence.first_token:]
        words = [w for w in opening if w[0].isalpha() and w not in _ARTICLES]
        if len(words) >= 2 and (words[-1],) in self._links:
            words = words[:-2]  # "Left lobe of thyroid enlarged with a nodule": the organ's part opens the sentence
        if len(words) > _SUBJECT_ADJECTIVES or any(
                i.mention and opens <= i.first_token < organ.first_token for i in sentence.items):
            return None  # "Enlarged heterogeneous thyroid with nodules", not "RUL nodule; thyroid ..."
        after = (i.first_token for i in sentence.items if _is_entity(i) and i.first_token >= organ.last_token)
        first = min(after, default=None)
        start = organ.last_token + (organ.last_token < first and tokens[organ.last_token].lemma == ":") if first else 0
        if first is None or any(t.lemma in self._subject_breaks for t in tokens[start:first]):
            return None
        return first

    def _free(self, mention_starts: list[int], tokens: list[Token], start: int, end: int, reach: int) -> bool:
        """At most ``reach`` words between, none of them a break or another mention."""
        if end - start > reach:
            return False
        if any(t.lemma in self._breaks and not _abbreviation_dot(tokens, k)
               for k, t in enumerate(tokens[start:end], start)):
            return False
        return bisect_left(mention_starts, start) == bisect_left(mention_starts, end)

    def _link_after(self, tokens: list[Token], start: int, end: int) -> int:
        """The length of the link ("of", "of the") that opens the words from ``start`` to ``end``, 0 if none does."""
        links = self._links_by_first.get(tokens[start].lemma) if start < min(end, len(tokens)) else None
        if not links:
            return 0  # most words open no link: no tuple of the words is built
        words = tuple(t.lemma for t in tokens[start:end])
        return next((len(link) for link in links if words[: len(link)] == link), 0)


def _abbreviation_dot(tokens: list[Token], at: int) -> bool:
    """The dot of a short abbreviation inside a sentence ("nodule at Lt. thyroid lobe") ends no phrase."""
    before = tokens[at - 1] if at else None
    return (tokens[at].lemma == "." and before is not None and before.end == tokens[at].start
            and before.lemma.isalpha() and len(before.lemma) <= 3)


def _is_entity(item: Item) -> bool:
    return item.mention is not None and item.mention.type in ("lesion", "diagnosis")  # StrEnum: no .value
