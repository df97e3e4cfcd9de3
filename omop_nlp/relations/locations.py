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

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from operator import attrgetter

from omop_nlp.entities.document import Document, Item, Sentence
from omop_nlp.entities.lexicon import zone_lemmas
from omop_nlp.model import Certainty, EntityType
from omop_nlp.rules import ModalityRules
from omop_nlp.rules.modality import RelationGrammar
from omop_nlp.text.phrases import OpeningPhrases
from omop_nlp.text.sections import IMPRESSION
from omop_nlp.text.tokens import single_words, term_lemmas

PLEURA = "pleura"
_NOT_THERE = (Certainty.NEGATED, Certainty.UNLIKELY, Certainty.RESOLVED)
_STILL_A_PLACE = frozenset(Certainty) - {Certainty.NEGATED, Certainty.UNLIKELY}  # what "at its site" may refer to


@dataclass
class Group:
    """Coordinated lesions sharing their locations: 'consolidation and atelectasis in the RLL'."""

    lesions: list[Item]
    locations: list[Item] = field(default_factory=list)
    located_after: bool = False
    # places that modify a finding of no key before the lesions ("bibasilar hypoventilation and atelectasis"):
    # theirs only while the lesions name no place of their own ("... and atelectasis in the RML")
    borrowed: list[Item] = field(default_factory=list)
    shared: list[Item] = field(default_factory=list)  # lesions placed as another's companions ("with tree-in-bud")


_SPREAD_WORDS = 4  # "subpleural and basal predominance": from "subpleural" to its distribution word
_FRONTING_WORDS = 4  # "in the", "within the", "throughout both": the words that may front a place
_WEIGHT_WORDS = 3  # "slightly more marked": the words of a weighting clause before its place
_WEIGHT_REACH = 32  # tokens looked back for the comma of such a clause (its words, fronting words, asides)
_FINDING_WORDS = 4  # "curvilinear bands in": a finding of no key and the preposition that places it
_ACCOMPANIED_WORDS = 5  # "with volume loss and": the words between a lesion and the placed one it accompanies
_PHRASE_ENDS = frozenset({",", ";", ":", "."})
_ASIDE_OPENS, _ASIDE_CLOSES = frozenset({"(", "["}), frozenset({")", "]"})
# a dash between blanks opens a clause ("nodule in the RUL - suspicious for malignancy"); the tokenizer drops it
_CLAUSE_DASH = re.compile(r"\s[-\u2012-\u2014]\s")
_FIRST = attrgetter("first_token")  # items in text order: a C-level sort key, asked per sentence


class _Place(Enum):
    """Where a run of locations goes in its sentence."""

    BEFORE_LESION = "modifies the lesion after it"  # "RUL nodule", "RUL and LLL nodules"
    AFTER_LESION = "belongs to the lesion group before it"  # "nodules in the RUL"
    HEADING = "heads the sentence"  # "RUL posterior segment: consolidation + nodules"
    # "Double lung see multiple nodules, the bigger one in the RLL": the next lesion's own place, and the heading
    # of the lesions that name none
    SUBJECT = "is the subject of the sentence's verb"
    OTHER_FINDING = "belongs to a finding that is no key"  # "right basilar airspace opacity and ..."
    # "subpleural bands in both lower lobes, consistent with fibrosis": both places are the bands'; a lesion that
    # names no place of its own takes them (it explains that finding), one that does keeps its own (Group.borrowed)
    FINDING_PLACED_AFTER = "belongs to a finding of no key that the next place also places"


@dataclass
class _Scope:
    """What earlier lines lend to the lesions of later ones, reset at each section but ``named``."""

    section: object = None
    heading: list[Item] = field(default_factory=list)  # "Left upper lobe:" scopes the lines below it
    lead_in: list[Item] = field(default_factory=list)  # "Multiple nodules, for example:" scopes its list
    previous_group: list[Item] = field(default_factory=list)
    unclaimed: list[Item] = field(default_factory=list)  # the previous line's locations of no lesion
    named: list[Item] = field(default_factory=list)  # the locations named last: "in the same lobe"
    side: tuple[int, str] | None = None  # the line and lung side of a "Right lung:" heading (line -1: lines below)
    sides: dict[str, set[str]] = field(default_factory=dict)  # lesion key -> the lung sides it was placed on so far
    # the note names a zone without a side somewhere ("upper lobe"): only then are ``sides`` worth keeping
    bare_zones: bool = False

    def enter(self, section: str | None) -> None:
        if section != self.section:
            self.section, self.heading, self.lead_in, self.previous_group, self.unclaimed = section, [], [], [], []
            self.side = None


def _lobes(keys: list[str]) -> list[str]:
    """The places a lesion shares with another: its lobes and lungs, not 'subpleural', which describes
    that lesion only (guideline rule 8)."""
    return [k for k in keys if k != PLEURA]


def _keep_findings_places(doc: Document, shared: list[Item]) -> None:
    """The impression restates the findings: a lesion that takes the place of another there ("RML and lingular
    bronchiectasis with tree-in-bud") adds none where the findings placed that key themselves."""
    if not shared:
        return  # most reports: no lesion took another's place, and the findings' places need not be listed
    placed = {i.mention.key for s in doc.sentences if s.section != IMPRESSION for i in s.mentions("lesion")
              if i.mention.related and i.mention.certainty not in _NOT_THERE}
    for lesion in shared:
        if lesion.mention.section == IMPRESSION and lesion.mention.key in placed:
            lesion.mention.related = []


def _add_keys(lesions: list[Item], keys: list[str]) -> None:
    for lesion in lesions:
        lesion.mention.related += [k for k in keys if k not in lesion.mention.related]


def _is_location(item: Item) -> bool:
    return item.mention.type == EntityType.LOCATION


def _words(grammar: RelationGrammar, name: str) -> frozenset[str]:
    return single_words(getattr(grammar, name), f"relation_grammar.{name}")


class LesionLocationMapper:
    name = "rules"

    def __init__(self, rules: ModalityRules) -> None:
        self.rules = rules
        self._continuations = OpeningPhrases(rules.continuation_starts)
        self._explanations = OpeningPhrases(rules.explanation_starts)
        grammar = rules.relation_grammar
        self._prepositions = _words(grammar, "prepositions")
        self._coordination = _words(grammar, "coordination")
        self._location_list = _words(grammar, "location_list")
        self._heading_marks = _words(grammar, "heading_marks")
        self._modifiers = _words(grammar, "lesion_modifiers")
        self._image_refs = _words(grammar, "image_references")
        self._finding_marks = _words(grammar, "finding_marks")
        self._shared_place = _words(grammar, "shared_place")
        self._placed_by_next = _words(grammar, "placed_by_next")
        self._fronting = _words(grammar, "fronting")
        self._heading_verbs = _words(grammar, "heading_verbs")
        self._distribution = _words(grammar, "distribution")
        self._own_place = _words(grammar, "own_place")
        self._weighting = _words(grammar, "weighting")
        self._largest = _words(grammar, "largest_members")
        self._others = _words(grammar, "other_members")
        self._diagnoses = frozenset(term_lemmas(t) for t in rules.diagnosis_terms)
        bullets = "|".join(re.escape(m) for m in grammar.list_bullets)
        self._list_item = re.compile(rf"(?:{bullets}|\(?\d{{1,2}}[.)])[ \t]" if bullets else r"\(?\d{1,2}[.)][ \t]")
        self._other_heads = OpeningPhrases(rules.non_key_heads)
        # nouns that name a key only with a key's adjective ("atelectatic band"): alone, findings of no key
        self._generic_heads = frozenset(term_lemmas(n)[0] for n in rules.adjective_heads.nouns)
        # one-word findings of no key ("infiltrate"), which may stand in a list of lesions
        self._other_head_words = frozenset(
            lemmas[0] for lemmas in map(term_lemmas, rules.non_key_heads) if len(lemmas) == 1)
        self._procedure_heads = OpeningPhrases(rules.procedure_heads)
        lobes = {k for k, d in rules.related.items() if d.side in ("right", "left", "both") and k not in
                 ("right_lung", "left_lung")}
        self._lobes = frozenset(lobes)
        self._right_lobes = {k for k in lobes if rules.related[k].side in ("right", "both")}
        self._left_lobes = {k for k in lobes if rules.related[k].side in ("left", "both")}
        compose = rules.location_grammar.compose
        # a lung that heads a line gives its side to a zone named there without one ("Right lung: nodules in the
        # upper lobe"): the lung's key -> its side, the zone words, and the key a zone makes on each side
        self._lung_sides = rules.location_grammar.lung_sides()
        # a place of one lung -> that lung's side: what ``_remember_sides`` looks up per lesion place
        self._one_side = {k: d.side for k, d in rules.related.items() if d.side in ("right", "left")}
        self._both_sides = frozenset(k for k, d in rules.related.items() if d.side == "both")
        self._zone_words = zone_lemmas(rules.location_grammar)
        self._zone_keys = {side: {zone: key for zone, key in zones.items() if isinstance(key, str)}
                           for side, zones in compose.items()}
        # words that may stand between "subpleural" and its distribution word ("subpleural and basal predominance")
        self._spread_glue = self._location_list | single_words(rules.location_grammar.glue, "location_grammar.glue") | {
            lemmas[0] for lemmas in self._zone_words if len(lemmas) == 1}

    def map(self, doc: Document) -> None:
        """Sentence by sentence: a heading scopes the lines below it, a lesion sentence takes its own
        locations first and then what earlier lines lend it, a location-only line continues a lesion."""
        scope = _Scope(bare_zones=self._names_bare_zone(doc))
        shared: list[Item] = []
        for sentence in doc.sentences:
            scope.enter(sentence.section)
            lesions = sentence.mentions("lesion")
            locations = [i for i in sentence.mentions("location") if i.mention.certainty not in _NOT_THERE]
            if self._is_heading(sentence, doc, locations, lesions):
                scope.heading, scope.unclaimed = locations, []
                scope.side = self._heading_side(locations, -1)
            elif not lesions:
                self._location_only_line(sentence, doc, locations, scope)
            else:
                groups = self._assign(sentence, doc, lesions, locations)
                # once per sentence, so that a long sentence stays linear: "in the same lobe" refers to the
                # place named before it in the sentence, else to the place named last; a place whose finding
                # has gone is still a place to refer to ("the nodule has resolved, leaving a scar at its site")
                anaphora = next((i for i in sentence.items if i.cue == "anaphora"), None)
                referent = []
                if anaphora:
                    referent = [i for i in sentence.mentions("location") if i.last_token <= anaphora.first_token
                                and i.mention.certainty in _STILL_A_PLACE] or scope.named
                for group in groups:
                    if not group.lesions[0].mention.related or (referent and self._only_sideless(group)):
                        self._lend_earlier_location(group, sentence, doc, scope, referent)
                self._side_zones(sentence, doc, lesions, locations, scope)
                if scope.bare_zones:
                    self._remember_sides(lesions, scope)
                self._remember(sentence, doc, groups, scope)
                shared += [lesion for group in groups for lesion in group.shared]
            if locations:
                scope.named = locations
        _keep_findings_places(doc, shared)
        for sentence in doc.sentences:
            for item in sentence.mentions("lesion"):
                related = item.mention.related
                one_phrase = not ("right_lung" in related and "left_lung" in related
                                  and self._names_largest(doc, sentence))
                item.mention.related = self.most_specific(item.mention.related, one_phrase=one_phrase)

    def _names_largest(self, doc: Document, sentence: Sentence) -> bool:
        """The sentence names the largest members of a set ("largest"), and not where the others are: its lobes of
        both sides are examples of the set in both lungs, not one phrase's extent ("bilateral ground glass in both
        lower lobes") nor every member's place ("the largest in the LLL, the others in the RUL")."""
        words = doc.lemmas(sentence.first_token, sentence.last_token)
        return any(w in self._largest for w in words) and not any(w in self._others for w in words)

    def _only_sideless(self, group: Group) -> bool:
        """The group's places are all of no lung side ("subpleural": the pleura), a distribution rather than a
        place in the lungs: "subpleural reticulation in the same distribution" still takes the lobes referred to."""
        return all(self.rules.related[key].side == "none" for key in group.lesions[0].mention.related)

    def _heading_side(self, run: list[Item], line: int) -> tuple[int, str] | None:
        """The lung side of a heading that names one lung ("Right lung:"), with the line it heads."""
        sides = {self._lung_sides.get(i.mention.key) for i in run}
        side = sides.pop() if len(sides) == 1 else None
        return (line, side) if side in ("right", "left") else None

    def _side_zones(self, sentence: Sentence, doc: Document, lesions: list[Item], locations: list[Item],
                    scope: _Scope) -> None:
        """Under a heading that names one lung, a zone named without a side is that lung's ("• Right lung: few
        nodules in the upper lobe" is the RUL, not both upper lobes): the heading of the line, its inline heading
        ("Left lung: ...") or one earlier on the same line."""
        line = doc.text.rfind("\n", 0, sentence.start)
        # the heading's own certainty does not matter: "Right lung: No effusion." answers the field with "No"
        opening = [i for i in sentence.mentions("location") if i.first_token < lesions[0].first_token]
        marks = doc.lemmas(opening[-1].last_token, opening[-1].last_token + 1) if opening else []
        if marks and marks[0] in self._heading_marks:
            scope.side = self._heading_side(opening, line) or scope.side
        if scope.side is None or scope.side[0] not in (-1, line):
            if scope.bare_zones:
                self._earlier_side_zones(lesions, locations, scope)
            return
        side = scope.side[1]
        sided = {i.mention.key: key for i in locations
                 if (zone := self._zone_words.get(term_lemmas(i.mention.text))) and
                 (key := self._zone_keys[side].get(zone)) and self._lung_sides.get(i.mention.key) is None
                 and self.rules.related[i.mention.key].side == "both"}
        for lesion in lesions:
            lesion.mention.related = list(dict.fromkeys(sided.get(k, k) for k in lesion.mention.related))

    def _earlier_side_zones(self, lesions: list[Item], locations: list[Item], scope: _Scope) -> None:
        """One zone named without a side ("given the nodules and upper lobe location") is the lobe of the side where
        the report placed that lesion before, where it placed it on one side only: it speaks of that lobe, not of
        both. A plural ("the upper lobes") still names both."""
        if not any(len(scope.sides.get(lesion.mention.key, ())) == 1 for lesion in lesions):
            return  # no lesion placed on one side only: no zone to give a side (most sentences)
        bare = {i.mention.key: zone for i in locations if (zone := self._bare_zone(i))}
        for lesion in lesions if bare else ():
            sides = scope.sides.get(lesion.mention.key, ())
            if len(sides) == 1:
                keys = self._zone_keys[next(iter(sides))]
                lesion.mention.related = list(dict.fromkeys(
                    keys.get(bare[k], k) if k in bare else k for k in lesion.mention.related))

    def _names_bare_zone(self, doc: Document) -> bool:
        """Some place of the note is a zone without a side (``_bare_zone``): one look per note, as most name none."""
        both = self._both_sides
        return any(i.mention is not None and i.mention.key in both and _is_location(i) and self._bare_zone(i)
                   for sentence in doc.sentences for i in sentence.items)

    def _bare_zone(self, location: Item) -> str | None:
        """The zone of a place written as one zone word without a side ("upper lobe"; not "upper lobes")."""
        if location.mention.key not in self._both_sides:
            return None
        words = tuple(location.mention.text.lower().split())
        zone = self._zone_words.get(words)
        return zone if zone is not None and term_lemmas(location.mention.text) == words else None

    def _remember_sides(self, lesions: list[Item], scope: _Scope) -> None:
        """The lung sides each lesion key was placed on so far (a lobe or a lung of one side)."""
        for lesion in lesions:
            if sides := {side for key in lesion.mention.related if (side := self._one_side.get(key))}:
                scope.sides.setdefault(lesion.mention.key, set()).update(sides)

    def _location_only_line(self, sentence: Sentence, doc: Document, locations: list[Item], scope: _Scope) -> None:
        """'It is located in the RUL.' continues the previous lesion; '2. LLL, image 45: 6 mm' is an item
        of the list that a lead-in line ('Multiple nodules, for example:') opened."""
        scope.unclaimed = []
        if not locations:
            return
        if scope.lead_in and self._is_list_item(sentence, doc):
            self._attach(scope.lead_in, locations)
        elif (scope.previous_group and self._starts_with(sentence, doc, self._continuations)
              and not self._names_other_finding_in(doc, sentence.first_token, sentence.last_token)):
            # "It is located in the RUL", but not "Some hilar prominence at the left base"
            self._attach(scope.previous_group, locations)
        else:
            scope.unclaimed = locations

    def _lend_earlier_location(self, group: Group, sentence: Sentence, doc: Document, scope: _Scope,
                               referent: list[Item]) -> None:
        """A lesion without a location of its own: the place an 'in the same lobe' refers to
        (``referent``), the heading above it, or the place of the finding its sentence explains."""
        if referent:
            self._attach(group.lesions, self._specific_run(doc, referent))
        elif scope.heading:
            self._attach(group.lesions, scope.heading)
        elif scope.unclaimed and self._starts_with(sentence, doc, self._explanations):
            # "Hazy LUL opacity. This likely represents atelectasis."
            self._attach(group.lesions, scope.unclaimed)
        elif scope.previous_group and self._names_diagnosis(doc, group) and self._starts_with(
                sentence, doc, self._explanations):
            # "Spiculated RUL nodule. This is suspicious for malignancy.": what the lesion before may be
            _add_keys(group.lesions, _lobes([k for i in scope.previous_group for k in i.mention.related]))

    def _remember(self, sentence: Sentence, doc: Document, groups: list[Group], scope: _Scope) -> None:
        scope.previous_group = groups[-1].lesions
        scope.unclaimed = []
        if doc.lemmas(sentence.last_token - 1, sentence.last_token) == [":"]:
            scope.lead_in = [lesion for group in groups for lesion in group.lesions]
        elif not self._is_list_item(sentence, doc):
            scope.lead_in = []

    def _is_heading(self, sentence: Sentence, doc: Document, locations: list[Item], lesions: list[Item]) -> bool:
        """'Right lower lobe:' alone on its line: a heading for the lesions listed below it."""
        if not locations or lesions or sentence.items[0].mention is None:
            return False
        last = max(i.last_token for i in locations)
        rest = doc.lemmas(last, sentence.last_token)
        return bool(rest) and rest[0] in self._heading_marks and len(rest) == 1

    def _is_list_item(self, sentence: Sentence, doc: Document) -> bool:
        """A line that starts with a bullet ('-', '*', '•') or a number ('1.', '2)')."""
        return self._list_item.match(doc.text, sentence.start) is not None

    @staticmethod
    def _starts_with(sentence: Sentence, doc: Document, starts: OpeningPhrases) -> bool:
        words = [w for w in doc.lemmas(sentence.first_token, sentence.last_token) if w[0].isalpha() or w[0] >= "\uac00"]
        return starts.open(words)

    def _assign(self, sentence: Sentence, doc: Document, lesions: list[Item], locations: list[Item]) -> list[Group]:
        """Chunk the sentence into lesion groups and give each location run to one group (rule 2)."""
        groups: list[Group] = []
        pending: list[Item] = []  # locations waiting for the lesion they modify ("RUL nodule")
        borrowed: list[Item] = []  # those of them that head a finding of no key ("LLL pneumonia and scarring")
        heading: list[Item] = []  # "RUL posterior segment: consolidation + nodules"
        for chunk, after in self._chunks(doc, sorted(lesions + locations, key=_FIRST)):
            if isinstance(chunk, Item):
                if groups and not groups[-1].located_after and self._coordinated(doc, groups[-1].lesions[-1], chunk):
                    groups[-1].lesions.append(chunk)
                    before = groups[-1].lesions[-2]
                    if before in groups[-1].shared or self._accompanies(doc, before, chunk):
                        groups[-1].shared.append(chunk)  # "with tree-in-bud nodules and consolidation"
                else:
                    groups.append(Group([chunk], pending, borrowed=borrowed))
                    pending, borrowed = [], []
                continue
            if self._weighs(doc, chunk, groups, heading):
                continue
            for element, nxt in self._split_run(sentence, doc, chunk, after, groups):
                place = self._place_run(sentence, doc, element, nxt, groups, bool(heading))
                pending, borrowed, heading = self._put_run(doc, sentence, element, place, groups, pending, borrowed,
                                                           heading)
        for group in groups:
            self._attach(group.lesions, self._specific_run(doc, group.locations or heading))
        self._share_places(doc, groups, self._pleura_spread(doc, locations))
        return groups

    def _weighs(self, doc: Document, run: list[Item], groups: list[Group], heading: list[Item]) -> bool:
        """A place in a comma clause of a weighting word after lesions placed already ("in both lungs, more on the
        right", "Both lungs: septal thickening, slightly more in the right lung") says where they are worse, not
        where they are: it adds no place."""
        if not (heading or any(group.locations for group in groups)):
            return False
        # only the last few words can be the clause: reading back to the lesion was quadratic in a long list
        start = max(groups[-1].lesions[-1].last_token, run[0].first_token - _WEIGHT_REACH)
        between = self._between(doc, start, run[0].first_token)
        if "," not in between:
            return False
        clause = [w for w in between[len(between) - between[::-1].index(","):] if w not in self._fronting]
        return 0 < len(clause) <= _WEIGHT_WORDS and any(w in self._weighting for w in clause)

    def _split_run(self, sentence: Sentence, doc: Document, run: list[Item], nxt: Item | None,
                   groups: list[Group]) -> list[tuple[list[Item], Item | None]]:
        """A run placed after a lesion whose last place heads the finding after it ("consolidation in the RLL and
        RML atelectasis", "collapse of the left lower lobe and lingular pneumonia") is two: the places before go
        to the lesion before, the last one to the finding it heads."""
        last = run[-1]
        if len(run) < 2 or not groups or not self._placed_in(doc, groups[-1], run):
            return [(run, nxt)]
        if (nxt is not None and not _is_location(nxt) and self._modifies(doc, last, nxt)
                and not self._between(doc, last.last_token, nxt.first_token)) or self._heads(
                    doc, last, sentence.last_token, self._other_heads):
            return [(run[:-1], last), ([last], nxt)]
        return [(run, nxt)]

    def _put_run(self, doc: Document, sentence: Sentence, element: list[Item], place: _Place, groups: list[Group],
                 pending: list[Item], borrowed: list[Item], heading: list[Item]
                 ) -> tuple[list[Item], list[Item], list[Item]]:
        """Gives a run its place: to the group before it, to the lesion after it, or as the sentence's heading;
        returns the runs still pending, borrowed and heading."""
        if place is _Place.AFTER_LESION and self._last_lesion_only(doc, groups[-1], element):
            groups.append(Group([groups[-1].lesions.pop()]))  # "left hilar mass with collapse of the LLL"
        if place is _Place.AFTER_LESION:
            group = groups[-1]
            if not group.located_after:  # its first run after it: the places it borrowed give way, once
                group.locations = [i for i in group.locations if i not in group.borrowed]
            # in place (each list is its group's or the sentence's own): a long list of runs stays linear
            group.locations.extend(element)
            group.located_after = True
            if self._distributes(doc, element[0]):  # "bilateral GGO with ..., predominantly in the lower lobes"
                for earlier in groups[:-1]:
                    if not any(i.mention.key in self._lobes for i in earlier.locations):
                        earlier.locations.extend(element)
        elif place is _Place.FINDING_PLACED_AFTER:
            pending.extend(element)
            borrowed.extend(element)
        elif place is _Place.BEFORE_LESION:
            pending.extend(element)
            if self._heads(doc, element[-1], sentence.last_token, self._other_heads) or (
                    borrowed and self._finding_then_place(doc, borrowed[-1], element[0])) or (
                    not groups and self._names_other_finding_in(doc, sentence.first_token, element[0].first_token)):
                # the place of a finding of no key before or after it ("LLL pneumonia and ...", "Pneumonia RLL with
                # ground glass at RML"): the next lesion borrows it only while it names no place of its own
                borrowed.extend(element)
        elif place is _Place.HEADING:
            heading = element
        elif place is _Place.SUBJECT:
            pending, heading = pending + element, element
        return pending, borrowed, heading

    def _pleura_spread(self, doc: Document, locations: list[Item]) -> bool:
        """'Subpleural' is the distribution of the sentence's findings, not one lesion's ("of subpleural and basal
        predominance", "peripheral and subpleural distribution"): the lesions that share a place share it too."""
        for item in locations:
            if item.mention.key != PLEURA:
                continue
            for word in doc.lemmas(item.last_token, item.last_token + _SPREAD_WORDS):
                if word in self._distribution:
                    return True
                if word not in self._spread_glue:
                    break
        return False

    def _last_lesion_only(self, doc: Document, group: Group, run: list[Item]) -> bool:
        """A place bound to the lesion right before it ('collapse of the LLL') is that lesion's alone where the
        lesions before it in its group have a place of their own ('left hilar mass with collapse of the LLL')."""
        if len(group.lesions) < 2 or not any(i not in group.borrowed for i in group.locations):
            return False
        between = self._between(doc, group.lesions[-1].last_token, run[0].first_token)
        return bool(between) and between[0] in self._own_place and all(
            w in self._own_place or w in self._fronting for w in between)

    def _placed_in(self, doc: Document, group: Group, run: list[Item]) -> bool:
        """The place follows the lesion with only a preposition of place between, so the noun it heads holds the
        lesion: "tumour in the LLL bronchus" (not "mass narrowing the LLL bronchus")."""
        between = self._between(doc, group.lesions[-1].last_token, run[0].first_token)
        return bool(between) and all(w in self._fronting for w in between)

    def _distributes(self, doc: Document, location: Item) -> bool:
        """A distribution word stands right before the place ('mainly in the lower lobes')."""
        words = [w for w in doc.lemmas(max(0, location.first_token - 4), location.first_token)
                 if w not in self._fronting]
        return bool(words) and words[-1] in self._distribution

    def _specific_run(self, doc: Document, locations: list[Item]) -> list[Item]:
        """'LUL lingular segment' is the lingula, not the lingula and the LUL (guideline rule 5); 'the left
        upper lobe and lingula' lists both."""
        if len(locations) < 2:
            return locations  # the LUL and the lingula are two places: most runs have one
        lul = next((i for i in locations if i.mention.key == "lul"), None)
        lingula = next((i for i in locations if i.mention.key == "lingula"), None)
        if lul is None or lingula is None:
            return locations
        first, second = sorted((lul, lingula), key=lambda i: i.first_token)
        if any(w in self._location_list for w in self._between(doc, first.last_token, second.first_token)):
            return locations
        return [i for i in locations if i is not lul]

    def _share_places(self, doc: Document, groups: list[Group], spread: bool) -> None:
        """A lesion group with no place takes the place of the group it is said with ('consolidation in
        both lower lobes with bronchial wall thickening', 'RUL nodule suspicious for malignancy', 'reticulation
        with traction bronchiectasis in the LLL'), of the group it lies within ('bronchiolectasis within the
        groundglass in the lower lobes'), of the lesion it is an adjective of ('part-solid LUL nodule') or, for a
        suspected cancer, of the lesion it names ('LUL nodule; adenocarcinoma cannot be excluded'). The pleura is
        shared only where it is the sentence's distribution (``spread``)."""
        for index, (before, group, after) in enumerate(zip([None, *groups[:-1]], groups, [*groups[1:], None],
                                                           strict=True)):
            if group.lesions[0].mention.related:
                continue
            if after and self._modifier_of(doc, group, after):
                _add_keys(group.lesions, after.lesions[0].mention.related)
                continue
            source = None
            if after and self._joined_by(doc, group, after, self._placed_by_next):
                source = after.lesions[0]  # where it lies is said after it, not by what it is said with
            elif index and self._names_diagnosis(doc, group):
                source = self._diagnosed(groups[:index], group)
            elif before and self._joined_by(doc, before, group, self._shared_place):
                source = self._restated(groups[:index], group)
            elif after and after.located_after and self._accompanied_by(doc, group, after):
                source = after.lesions[0]
            if source is not None and _lobes(source.mention.related):
                _add_keys(group.lesions, source.mention.related if spread else _lobes(source.mention.related))
                group.shared = group.lesions

    def _names_diagnosis(self, doc: Document, group: Group) -> bool:
        """Every lesion word of the group names what a lesion is (a suspected lung cancer), not a lesion."""
        return all(tuple(doc.lemmas(i.first_token, i.last_token)) in self._diagnoses for i in group.lesions)

    def _modifier_of(self, doc: Document, group: Group, after: Group) -> bool:
        """The lesion word is an adjective of the placed lesion after it, its place between them: 'part-solid
        left upper lobe nodule'."""
        places = after.locations
        return (bool(places) and places[-1].last_token <= after.lesions[0].first_token
                and not self._between(doc, group.lesions[-1].last_token, places[0].first_token)
                and not self._between(doc, places[-1].last_token, after.lesions[0].first_token))

    @staticmethod
    def _restated(earlier: list[Group], group: Group) -> Item:
        """The lesion whose place a lesion without one shares: the last earlier one of its key ("left hilar mass
        with LLL collapse, most likely carcinoma"), else the one right before it."""
        key = group.lesions[0].mention.key
        lesions = [lesion for g in earlier for lesion in g.lesions]
        return next((i for i in reversed(lesions) if i.mention.key == key and i.mention.related), lesions[-1])

    @staticmethod
    def _diagnosed(earlier: list[Group], group: Group) -> Item:
        """The lesion a suspected cancer with no place of its own names: as ``_restated``, but past lesions of no
        place ("cavitary RLL lesion with adjacent consolidation and satellite nodules; differential includes
        cavitating carcinoma", "LLL nodule in a fibrotic lung, suspicious for lung cancer") to the last placed one;
        read before the companion steps, which would stop at that unplaced lesion."""
        source = LesionLocationMapper._restated(earlier, group)
        if source.mention.related:
            return source
        return next((i for g in reversed(earlier) for i in reversed(g.lesions) if i.mention.related), source)

    def _accompanies(self, doc: Document, lesion: Item, companion: Item) -> bool:
        """'bronchiectasis with tree-in-bud': the companion is said with the lesion, not listed beside it."""
        return any(w in self._shared_place for w in self._between(doc, lesion.last_token, companion.first_token))

    def _accompanied_by(self, doc: Document, group: Group, after: Group) -> bool:
        """'Reticulation with early traction bronchiectasis in both lower lobes': the lesion that the placed one
        after it accompanies, within one short phrase, shares its place."""
        between = self._between(doc, group.lesions[-1].last_token, after.lesions[0].first_token)
        return (0 < len(between) <= _ACCOMPANIED_WORDS and any(w in self._shared_place for w in between)
                and not any(w in _PHRASE_ENDS for w in between))

    def _joined_by(self, doc: Document, left: Group, right: Group, words: frozenset[str]) -> bool:
        end = max(item.last_token for item in left.lesions + left.locations)
        between = self._between(doc, end, right.lesions[0].first_token)
        return len(between) <= 8 and any(w in words for w in between)

    def _chunks(self, doc: Document, items: list[Item]) -> Iterator[tuple[Item | list[Item], Item | None]]:
        """Lesions one by one and runs of listed locations ('RUL, RML and LLL'), each run with the item after it."""
        index = 0
        while index < len(items):
            if not _is_location(items[index]):
                yield items[index], None
                index += 1
                continue
            run = [items[index]]
            while (index + 1 < len(items) and _is_location(items[index + 1])
                   and self._listed(doc, run[-1], items[index + 1])):
                index += 1
                run.append(items[index])
            index += 1
            yield run, items[index] if index < len(items) else None

    def _place_run(self, sentence: Sentence, doc: Document, run: list[Item], nxt: Item | None,
                   groups: list[Group], headed: bool = False) -> _Place:
        """Which lesion a run of locations belongs to."""
        last = run[-1]
        if nxt is not None and _is_location(nxt):
            if self._heads(doc, last, nxt.first_token, self._procedure_heads) or (
                    groups and self._heads(doc, last, nxt.first_token, self._other_heads)):
                return _Place.OTHER_FINDING  # "after right lower lobectomy, with ...", "mass with lingular pneumonia"
            if groups:  # "nodule in the RUL, unchanged from the prior, and LLL atelectasis"
                return _Place.AFTER_LESION
            if self._finding_then_place(doc, last, nxt):
                return _Place.FINDING_PLACED_AFTER
            if self._names_other_finding(doc, last, nxt) or self._joins_other_phrase(doc, last, nxt):
                # "right basilar airspace opacity and left basilar atelectasis", "aeration of the lung bases
                # with a small left basilar effusion"
                return _Place.OTHER_FINDING
            return _Place.BEFORE_LESION  # "RUL and possibly LLL nodules"
        if nxt is not None and self._sees(sentence, doc, run):
            return _Place.SUBJECT
        if nxt is not None and (self._inline_heading(doc, last, nxt) or self._fronted(sentence, doc, run)):
            return _Place.HEADING
        if nxt is not None and self._modifies(doc, last, nxt):
            return _Place.BEFORE_LESION
        if self._heads(doc, last, sentence.last_token, self._procedure_heads):
            return _Place.OTHER_FINDING  # "status post right upper lobe wedge resection, with new consolidation"
        if groups and (not self._heads(doc, last, sentence.last_token, self._other_heads)
                       or self._placed_in(doc, groups[-1], run)):
            placed = headed or groups[-1].locations
            if placed and self._names_other_finding(doc, groups[-1].lesions[-1], run[0]):
                # "In the RLL, consolidation with blunting of both costophrenic angles": a placed lesion
                # keeps its place; the later one is the finding of no key's
                return _Place.OTHER_FINDING
            return _Place.AFTER_LESION
        return _Place.BEFORE_LESION

    def _fronted(self, sentence: Sentence, doc: Document, run: list[Item]) -> bool:
        """'In the right upper lobe there is scarring and a granuloma': a place that opens the sentence."""
        if not 0 < run[0].first_token - sentence.first_token <= _FRONTING_WORDS:
            return False
        return all(w in self._fronting for w in doc.lemmas(sentence.first_token, run[0].first_token))

    def _sees(self, sentence: Sentence, doc: Document, run: list[Item]) -> bool:
        """'Right lung lower lobe see a nodule and a cord-like shadow': a place that opens the sentence is the
        subject of a heading verb right after it."""
        return (run[0].first_token == sentence.first_token and run[-1].last_token < sentence.last_token
                and doc.tokens[run[-1].last_token].lemma in self._heading_verbs)

    def _between(self, doc: Document, first: int, last: int) -> list[str]:
        """The words between two items without asides: parentheses and image references ('(4:17)',
        'image 45', 'series 3, image 12') interrupt nothing."""
        words: list[str] = []
        depth, in_reference = 0, False
        for word in doc.lemmas(first, last):
            if word in ("(", "["):
                depth += 1
            elif word in (")", "]") and depth:
                depth -= 1
            elif depth or word in self._finding_marks:
                continue
            elif word in self._image_refs:
                in_reference = True
            elif in_reference and (word[0].isdigit() or word in (":", "/", "#", ",", "-")):
                continue
            else:
                in_reference = False
                words.append(word)
        return words

    def _inline_heading(self, doc: Document, location: Item, lesion: Item) -> bool:
        between = self._between(doc, location.last_token, lesion.first_token)
        return ":" in between and len(between) <= 6

    def _modifies(self, doc: Document, location: Item, lesion: Item) -> bool:
        """'RUL 7 mm nodule': the location stands before its lesion with no preposition between, nor a clause dash
        ('in the RUL - suspicious for malignancy'); a lesion in parentheses after the place restates the one before
        it ('in both lungs (crazy-paving)')."""
        between = self._between(doc, location.last_token, lesion.first_token)
        words = doc.lemmas(location.last_token, lesion.first_token)
        in_aside = sum(w in _ASIDE_OPENS for w in words) > sum(w in _ASIDE_CLOSES for w in words)
        if len(between) > 4 or any(w in self._prepositions for w in between) or in_aside:
            return False
        # the note's text is searched only for a pair the words let through (a hot path: every place-lesion pair)
        return _CLAUSE_DASH.search(doc.text, doc.tokens[location.last_token - 1].end,
                                   doc.tokens[lesion.first_token].start) is None

    def _coordinated(self, doc: Document, left: Item, right: Item) -> bool:
        """'consolidation and atelectasis', 'consolidation and some atelectasis'; but a bare comma
        before a modifier starts a new item of a list ('RML atelectasis, scattered nodules')."""
        between = self._between(doc, left.last_token, right.first_token)
        # a finding of no key listed between: "LLL atelectasis, infiltrate and effusion"
        between = [w for w in between if w not in self._other_head_words]
        if not between or len(between) > 3:
            return not between  # adjacent lesion words ("consolidation/atelectasis" as one phrase)
        if all(w in self._coordination for w in between):
            return True
        joined = any(w in self._coordination and w not in (",", "with") for w in between)
        return joined and all(w in self._coordination or w in self._modifiers for w in between)

    def _heads(self, doc: Document, location: Item, end: int, nouns: OpeningPhrases) -> bool:
        """'nodule and some left lower lobe infiltrate': the lobe modifies one of ``nouns`` (no key)."""
        words = doc.lemmas(location.last_token, min(end, location.last_token + 6))
        after = [w for w in words if w not in self._modifiers]
        return nouns.open(after)

    def _listed(self, doc: Document, left: Item, right: Item) -> bool:
        return all(w in self._location_list for w in self._between(doc, left.last_token, right.first_token))

    def _joins_other_phrase(self, doc: Document, left: Item, right: Item) -> bool:
        """A preposition that lists no places stands between two locations ('lung bases with left basilar')."""
        between = self._between(doc, left.last_token, right.first_token)
        return any(w in self._prepositions and w not in self._location_list and w.isalpha() for w in between)

    def _finding_then_place(self, doc: Document, left: Item, right: Item) -> bool:
        """A finding of no key stands between two places, the second its place by a preposition: "subpleural
        bands in both lower lobes"."""
        between = [w for w in self._between(doc, left.last_token, right.first_token) if w not in self._modifiers]
        return (1 < len(between) <= _FINDING_WORDS and between[-1] in self._fronting
                and (between[0] in self._generic_heads or self._other_heads.open(between)))

    def _names_other_finding(self, doc: Document, left: Item, right: Item) -> bool:
        """A finding that is no key stands between two items ('right basilar airspace opacity and left basilar')."""
        return self._names_other_finding_in(doc, left.last_token, right.first_token)

    def _names_other_finding_in(self, doc: Document, first: int, last: int) -> bool:
        between = self._between(doc, first, last)
        return any(self._other_heads.open(between, i) for i in range(len(between)))  # no copy per word: linear

    @staticmethod
    def _attach(group: list[Item], locations: list[Item]) -> None:
        _add_keys(group, [location.mention.key for location in locations])

    def with_summary(self, body: list[str], summary: list[str]) -> list[str]:
        """Rule 3 over a report: both lungs named only in the impression ("Bilateral bronchiectasis.")
        summarise the lobes of both sides that the findings gave, and add no lung side to them; both lungs
        that the findings name stay ("nodules in both lungs, a new one in the lingula")."""
        both = {"right_lung", "left_lung"}
        summarises = bool(body) and both <= set(summary) and not both <= set(body)
        return self.most_specific(body + summary, one_phrase=summarises)

    def most_specific(self, related: list[str], one_phrase: bool = False) -> list[str]:
        """Guideline rule 3: a lung side is dropped where a lobe of that side is given. Both lungs stay
        beside lobes ("nodules in both lungs, the largest in the RLL"), unless one phrase gives lobes
        of both sides (``one_phrase``: "bilateral ground-glass in both lower lobes")."""
        if len(related) < 2:
            return list(related)  # no place or one: nothing to drop (most mentions; no sets built, nothing sorted)
        keys = set(related)
        both_sides_have_lobes = bool(keys & self._right_lobes and keys & self._left_lobes)
        if {"right_lung", "left_lung"} <= keys and not (one_phrase and both_sides_have_lobes):
            return sorted(keys)
        if keys & self._right_lobes:
            keys.discard("right_lung")
        if keys & self._left_lobes:
            keys.discard("left_lung")
        return sorted(keys)
