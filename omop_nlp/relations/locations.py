"""LesionLocationMapper: which locations the report assigns to each lesion mention.

Guideline section 2 rules 2-9: locations in the same phrase ("RUL nodule", "nodules in RUL and
LLL", "consolidation and atelectasis in the RLL"), in a following sentence that continues the
lesion ("It is located in the RUL."), in the sentence before when the lesion's sentence explains
it ("Hazy LUL opacity. This likely represents atelectasis."), under a lobe heading ("RLL: small
nodule"), "in the same lobe", and the most specific location only. A location that modifies a
finding that is no key ("left lower lobe airspace disease") is no lesion's. The words read between
locations and lesions are data (``relation_grammar`` and the lists beside it in the modality's YAML).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from omop_nlp.entities.document import Document, Item, Sentence
from omop_nlp.model import Certainty
from omop_nlp.rules import ModalityRules
from omop_nlp.rules.modality import RelationGrammar
from omop_nlp.text.tokens import single_words, term_lemmas

_NOT_THERE = (Certainty.NEGATED, Certainty.UNLIKELY, Certainty.RESOLVED)


@dataclass
class Group:
    """Coordinated lesions sharing their locations: 'consolidation and atelectasis in the RLL'."""

    lesions: list[Item]
    locations: list[Item] = field(default_factory=list)
    located_after: bool = False


def _specific_run(locations: list[Item]) -> list[Item]:
    """'LUL lingular segment' is the lingula, not the lingula and the LUL (guideline rule 5)."""
    keys = {i.mention.key for i in locations}
    if "lingula" in keys and "lul" in keys:
        return [i for i in locations if i.mention.key != "lul"]
    return locations


def _words(grammar: RelationGrammar, name: str) -> frozenset[str]:
    return single_words(getattr(grammar, name), f"relation_grammar.{name}")


def _opens_with(lemmas: Sequence[str], phrases: list[tuple[str, ...]]) -> bool:
    """``lemmas`` begin with one of the (lemmatized) ``phrases``."""
    return any(tuple(lemmas[: len(p)]) == p for p in phrases)


class LesionLocationMapper:
    name = "rules"

    def __init__(self, rules: ModalityRules) -> None:
        self.rules = rules
        self._continuations = [term_lemmas(t) for t in rules.continuation_starts]
        self._explanations = [term_lemmas(t) for t in rules.explanation_starts]
        grammar = rules.relation_grammar
        self._prepositions = _words(grammar, "prepositions")
        self._coordination = _words(grammar, "coordination")
        self._location_list = _words(grammar, "location_list")
        self._heading_marks = _words(grammar, "heading_marks")
        self._modifiers = _words(grammar, "lesion_modifiers")
        self._other_heads = [term_lemmas(t) for t in rules.non_key_heads]
        lobes = {k for k, d in rules.related.items() if d.side in ("right", "left", "both") and k not in
                 ("right_lung", "left_lung")}
        self._right_lobes = {k for k in lobes if rules.related[k].side in ("right", "both")}
        self._left_lobes = {k for k in lobes if rules.related[k].side in ("left", "both")}

    def map(self, doc: Document) -> None:
        previous_group: list[Item] = []
        heading: list[Item] = []
        unclaimed: list[Item] = []  # the previous sentence's locations, of a finding that is no key
        section = object()
        for sentence in doc.sentences:
            if sentence.section != section:
                previous_group, heading, unclaimed, section = [], [], [], sentence.section
            previous_unclaimed, unclaimed = unclaimed, []
            lesions = [i for i in sentence.mentions("lesion")]
            locations = [i for i in sentence.mentions("location") if i.mention.certainty not in _NOT_THERE]
            if self._is_heading(sentence, doc, locations, lesions):
                heading = locations
                continue
            if not lesions:
                if locations and previous_group and self._starts_with(sentence, doc, self._continuations):
                    self._attach(previous_group, locations)
                else:
                    unclaimed = locations
                continue
            groups = self._assign(sentence, doc, lesions, locations)
            for group in groups:
                if group.lesions[0].mention.related:
                    continue
                if any(i.cue == "anaphora" for i in sentence.items) and previous_group:
                    for lesion in group.lesions:  # "in the same lobe"
                        lesion.mention.related += previous_group[-1].mention.related
                elif heading:
                    self._attach(group.lesions, heading)
                elif previous_unclaimed and self._starts_with(sentence, doc, self._explanations):
                    # "Hazy LUL opacity. This likely represents atelectasis."
                    self._attach(group.lesions, previous_unclaimed)
            previous_group = groups[-1].lesions
        for sentence in doc.sentences:
            for item in sentence.mentions("lesion"):
                item.mention.related = self._most_specific(item.mention.related)

    def _is_heading(self, sentence: Sentence, doc: Document, locations: list[Item], lesions: list[Item]) -> bool:
        """'Right lower lobe:' alone on its line: a heading for the lesions listed below it."""
        if not locations or lesions or sentence.items[0].mention is None:
            return False
        last = max(i.last for i in locations)
        rest = doc.lemmas(last, sentence.last_token)
        return bool(rest) and rest[0] in self._heading_marks and len(rest) == 1

    @staticmethod
    def _starts_with(sentence: Sentence, doc: Document, starts: list[tuple[str, ...]]) -> bool:
        words = [w for w in doc.lemmas(sentence.first_token, sentence.last_token) if w[0].isalpha() or w[0] >= "\uac00"]
        return _opens_with(words, starts)

    def _assign(self, sentence: Sentence, doc: Document, lesions: list[Item], locations: list[Item]) -> list[Group]:
        """Chunk the sentence into lesion groups and attach each location run to one group."""
        items = sorted(lesions + locations, key=lambda i: i.first)
        groups: list[Group] = []
        pending: list[Item] = []
        heading: list[Item] = []
        index = 0
        while index < len(items):
            item = items[index]
            if item.mention.type.value == "location":
                run = [item]
                while (index + 1 < len(items) and items[index + 1].mention.type.value == "location"
                       and self._listed(doc, run[-1], items[index + 1])):
                    index += 1
                    run.append(items[index])
                nxt = items[index + 1] if index + 1 < len(items) else None
                if nxt is not None and nxt.mention.type.value == "location":
                    if groups:  # "nodule in the RUL, unchanged from the prior, and LLL atelectasis"
                        groups[-1].locations += run
                        groups[-1].located_after = True
                    elif not self._names_other_finding(doc, run[-1], nxt):  # "RUL and possibly LLL nodules"
                        pending += run
                    # else the run is that finding's ("right basilar airspace opacity and left basilar atelectasis")
                elif nxt is not None and self._inline_heading(doc, run[-1], nxt):
                    heading = run  # "RUL posterior segment: consolidation + nodules"
                elif nxt is not None and self._modifies(doc, run[-1], nxt):
                    pending += run
                elif groups and not self._heads_other_noun(doc, run[-1], sentence.last_token):
                    groups[-1].locations += run
                    groups[-1].located_after = True
                else:
                    pending += run
            elif groups and not groups[-1].located_after and self._coordinated(doc, groups[-1].lesions[-1], item):
                groups[-1].lesions.append(item)
            else:
                groups.append(Group([item], pending))
                pending = []
            index += 1
        for group in groups:
            locations = group.locations or heading
            self._attach(group.lesions, _specific_run(locations))
        return groups

    @staticmethod
    def _inline_heading(doc: Document, location: Item, lesion: Item) -> bool:
        between = doc.lemmas(location.last, lesion.first)
        return ":" in between and len(between) <= 6

    def _modifies(self, doc: Document, location: Item, lesion: Item) -> bool:
        """'RUL 7 mm nodule': the location stands before its lesion with no preposition between."""
        between = doc.lemmas(location.last, lesion.first)
        return len(between) <= 4 and not any(w in self._prepositions for w in between)

    def _coordinated(self, doc: Document, left: Item, right: Item) -> bool:
        """'consolidation and atelectasis', 'consolidation and some atelectasis'; but a bare comma
        before a modifier starts a new item of a list ('RML atelectasis, scattered nodules')."""
        between = doc.lemmas(left.last, right.first)
        if not between or len(between) > 3:
            return not between  # adjacent lesion words ("consolidation/atelectasis" as one phrase)
        if all(w in self._coordination for w in between):
            return True
        joined = any(w in self._coordination and w not in (",", "with") for w in between)
        return joined and all(w in self._coordination or w in self._modifiers for w in between)

    def _heads_other_noun(self, doc: Document, location: Item, end: int) -> bool:
        """'nodule and some left lower lobe infiltrate': the lobe modifies a noun that is no key."""
        after = [w for w in doc.lemmas(location.last, min(end, location.last + 6)) if w not in self._modifiers]
        return _opens_with(after, self._other_heads)

    def _listed(self, doc: Document, left: Item, right: Item) -> bool:
        return all(w in self._location_list for w in doc.lemmas(left.last, right.first))

    def _names_other_finding(self, doc: Document, left: Item, right: Item) -> bool:
        """A finding that is no key stands between two locations ('right basilar airspace opacity and left basilar')."""
        between = doc.lemmas(left.last, right.first)
        return any(_opens_with(between[i:], self._other_heads) for i in range(len(between)))

    @staticmethod
    def _attach(group: list[Item], locations: list[Item]) -> None:
        for lesion in group:
            for location in locations:
                if location.mention.key not in lesion.mention.related:
                    lesion.mention.related.append(location.mention.key)

    def _most_specific(self, related: list[str]) -> list[str]:
        """Guideline rule 3: a lung side is dropped where a lobe of that side is given."""
        keys = set(related)
        if {"right_lung", "left_lung"} <= keys:
            return sorted(keys)  # "nodules in both lungs, the largest in the RLL" keeps both lungs
        if keys & self._right_lobes:
            keys.discard("right_lung")
        if keys & self._left_lobes:
            keys.discard("left_lung")
        return sorted(keys)
