"""The modality lexicon as a phrase matcher, plus composition of side + zone location phrases.

Every term comes from ``mappings/<modality>.yaml``; this module only indexes and composes.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from operator import attrgetter

from omop_nlp.rules import ModalityRules
from omop_nlp.rules.modality import LocationGrammar, StatedFinding
from omop_nlp.rules.variants import load_variant_rules
from omop_nlp.text.phrases import PhraseMatch, PhraseMatcher
from omop_nlp.text.tokens import Token, single_words, term_lemmas
from omop_nlp.text.variants import variants

TYPO_MIN_LENGTH = 7
ZONE_TO_BOTH_SIDES = 8  # "of basal and subpleural predominance, in both lungs": words from a zone to "both lungs"
COUNT_REACH = 2  # "both confirmed solid nodules": words from a count word to the findings it counts


@dataclass(frozen=True)
class Concept:
    """What a matched phrase is. ``role``: entity, related, ignore, side, zone, bilateral, anaphora,
    organ (of another organ than the lungs), tumor_reference, non_episode_subject, treatment_effect,
    latter_reference, former_reference, both_reference."""

    role: str
    key: str | None = None
    also: tuple[str, ...] = ()  # further entity keys of a term that names several ("part-solid": ggo, nodule)


ConceptMatch = PhraseMatch[Concept]  # a lexicon match; payload is the Concept


class EntityLexicon:
    def __init__(self, rules: ModalityRules) -> None:
        self.rules = rules
        phrases: list[tuple[str, Concept]] = []
        for key, definition in rules.entities.items():
            phrases += [(t, Concept("entity", key)) for t in definition.all_terms()]
        for key, definition in rules.related.items():
            phrases += [(t, Concept("related", key)) for t in definition.all_terms()]
        for role, by_language in (("ignore", rules.ignore), ("tumor_reference", rules.tumor_references),
                                  ("non_episode_subject", rules.non_episode_subjects),
                                  ("treatment_effect", rules.treatment_effects)):
            phrases += [(t, Concept(role)) for terms in by_language.values() for t in terms]
        for which, terms in rules.presence.back_references.items():  # "the latter", "the former", "both of these"
            phrases += [(t, Concept(f"{which}_reference")) for t in terms]
        grammar = rules.location_grammar
        self._compose = grammar.compose
        self._lung_sides = grammar.lung_sides()  # asked per related match
        self._glue = single_words(grammar.glue, "location_grammar.glue")
        self._zone_links = single_words(grammar.zone_links, "location_grammar.zone_links")
        self._zone_list_links = single_words(grammar.zone_list_links, "location_grammar.zone_list_links")
        self._count_words = single_words(grammar.count_words, "location_grammar.count_words")
        self._side_words = frozenset(t.lower() for terms in grammar.sides.values() for t in terms)
        self._organ_words = tuple(t.lower() for terms in rules.other_organs.words.values() for t in terms)
        self._zone_phrases = zone_lemmas(grammar)
        for zone, terms in grammar.zones.items():
            phrases += [(t, Concept("zone", zone)) for t in terms]
        for side, terms in grammar.sides.items():
            phrases += [(t, Concept("side", side)) for t in terms]
        phrases += [(t, Concept("bilateral")) for t in grammar.bilateral_words]
        phrases += [(t, Concept("anaphora")) for t in grammar.anaphora]
        phrases += [(t, Concept("organ")) for terms in rules.other_organs.words.values() for t in terms]
        phrases += [(f"{adjective} {noun}", Concept("entity", key)) for key, adjectives in
                    rules.adjective_heads.adjectives.items() for adjective in adjectives
                    for noun in rules.adjective_heads.nouns]  # "consolidative density"
        phrases += [(f"{noun} {adjective}", Concept("entity", key)) for key, adjectives in
                    rules.adjective_heads.adjectives.items() for adjective in adjectives
                    for noun in rules.adjective_heads.nouns_before]  # "pattern reticular"
        phrases += [(f"{noun} of {term}", Concept("entity", key)) for key, definition in rules.entities.items()
                    for term in definition.terms.get("en", []) if not term.startswith("=")
                    for noun in rules.adjective_heads.nouns_of]  # "focus of consolidation": not a nodule
        stated = rules.stated_findings
        self._state_reach = stated.reach
        self._state_breaks = frozenset(stated.breaks)
        for role, words in (("part", _keys_by_word(stated.findings, "parts")),
                            ("state", _keys_by_word(stated.findings, "states"))):
            phrases += [(w, Concept(role, None, keys)) for w, keys in words.items()]
        for entry in rules.two_key_terms:  # "part-solid": ggo and nodule
            phrases += [(t, Concept("entity", entry.keys[0], tuple(entry.keys[1:]))) for t in entry.terms]
        spelling = load_variant_rules()
        self._matcher = PhraseMatcher([(v, c) for t, c in phrases for v in variants(spelling, t)],
                                      typo_min_length=TYPO_MIN_LENGTH, typo_exclude=rules.typo_exclude)

    def find(self, tokens: list[Token], text: str) -> list[ConceptMatch]:
        raw = self._matcher.match(tokens, text)
        return self._stated_findings(self._compose_locations(raw, tokens, text), tokens)

    def _stated_findings(self, matches: list[ConceptMatch], tokens: list[Token]) -> list[ConceptMatch]:
        """A part and a state word of one key in one clause, either order ("Bronchial walls in both lower lobes
        thickened", "fluid in the right pleural cavity") name that key at the state word, where the words around
        it deny or place it as they would any finding ("Pleural layers are not thickened"). Each is paired with
        the nearest other one before it; a part or state alone names nothing."""
        if not any(m.payload.role in _STATED_ROLES for m in matches):
            return matches
        out: list[ConceptMatch] = []
        waiting: ConceptMatch | None = None  # the last part or state not yet paired
        for m in matches:
            if m.payload.role not in _STATED_ROLES:
                out.append(m)
                continue
            keys = self._pair(waiting, m, tokens)
            if not keys:
                waiting = m
                continue
            state = m if m.payload.role == "state" else waiting
            finding = PhraseMatch(Concept("entity", keys[0]), state.first, state.last, state.start, state.end)
            out.insert(bisect_right(out, state.first, key=_first_token), finding)
            waiting = None
        return out

    def _pair(self, waiting: ConceptMatch | None, m: ConceptMatch, tokens: list[Token]) -> list[str]:
        """The keys a waiting part or state and ``m`` (the other one) name together: none where they stand too far
        apart or a clause ends between."""
        if (waiting is None or waiting.payload.role == m.payload.role
                or m.first - waiting.last > self._state_reach
                or any(t.lemma in self._state_breaks for t in tokens[waiting.last : m.first])):
            return []
        return [k for k in waiting.payload.also if k in m.payload.also]

    def _compose_locations(self, raw: list[PhraseMatch[Concept]], tokens: list[Token],
                           text: str) -> list[ConceptMatch]:
        """side + zones -> location keys; lone side and zone words are dropped, and so is the side of another
        organ."""
        out: list[ConceptMatch] = []
        i = 0
        while i < len(raw):
            m = raw[i]
            role = m.payload.role
            if self._sides_organ(raw, i, text):
                i += 1
                continue
            side = self._side_of(m.payload)
            if side is None and self._as_zone(m, tokens):
                consumed, composed = self._zones_of_lung(raw, i, tokens)
                if composed:
                    out += composed
                    i += consumed
                    continue
            if side:
                consumed, composed = self._compose_from(raw, i, tokens, side)
                if composed:
                    out += composed
                    i += consumed
                    continue
            lone_side = "both" if role == "bilateral" else side if role == "side" and not self._counts(
                raw, i, tokens) else None
            if lone_side == "both" or (lone_side and self._modifies_finding(raw, i, tokens)):
                # "bilateral nodules": both lungs; "small right pleural effusion", "right pleural-based
                # nodule", "small right and moderate left effusions": the right lung
                out += [PhraseMatch(Concept("related", k), m.first, m.last, m.start, m.end)
                        for k in _as_list(self._compose.get(lone_side, {}).get("lung", []))]
            elif role == "zone" and self._both_sides_after(raw, i, tokens):
                # "of basal and subpleural predominance, in both lungs": both lower lobes
                out += [PhraseMatch(Concept("related", k), m.first, m.last, m.start, m.end)
                        for k in _as_list(self._compose.get("both", {}).get(m.payload.key))]
            elif role not in ("zone", "side"):
                out.append(m)
            i += 1
        return out

    def _sides_organ(self, raw: list[PhraseMatch[Concept]], i: int, text: str) -> bool:
        """A side word right before another organ's word, the next word or in one Hangul run ("bilateral adrenal
        nodules", "양측부신", "좌측 신장"), or before an ignored phrase that opens with one ("양측갑상선 결절"), is that
        organ's side: it places nothing in the lungs (guideline section 2 rule 10). Korean writes a whole lung with
        the bare side word too ("우측", a lung's term), so a lung's term that is a side word counts as one."""
        nxt = raw[i + 1] if i + 1 < len(raw) else None
        if nxt is None or nxt.first > raw[i].last or nxt.payload.role not in _ORGAN_ROLES:
            return False  # most matches: no organ word right after
        m = raw[i]
        if m.payload.role not in ("side", "bilateral") and not (
                m.payload.role == "related" and text[m.start : m.end].lower() in self._side_words):
            return False
        return nxt.payload.role == "organ" or text[nxt.start : nxt.end].lower().startswith(self._organ_words)

    def _counts(self, raw: list[PhraseMatch[Concept]], i: int, tokens: list[Token]) -> bool:
        """A lone count word right before findings ("both nodules", "both confirmed nodules") says how many they
        are, not that they lie in both lungs."""
        m, gap = raw[i], _gap_to_next(raw, i, "entity")
        return (m.last - m.first == 1 and tokens[m.first].lemma in self._count_words and gap is not None
                and gap <= COUNT_REACH)

    def _modifies_finding(self, raw: list[PhraseMatch[Concept]], i: int, tokens: list[Token]) -> bool:
        """A lone side word stands right before an entity, before a place of no side ("right pleural
        opacity"), or before the next side of a list that does ("right and left pleural effusions")."""
        nxt = raw[i + 1] if i + 1 < len(raw) else None
        entity_gap = _gap_to_next(raw, i, "entity")
        if (entity_gap is not None and entity_gap <= 1) or (
                _gap_to_next(raw, i, "related") == 0 and self.rules.related[nxt.payload.key].side == "none"):
            return True
        if nxt is None or nxt.payload.role != "side" or nxt.first - raw[i].last > _ELIDED_SIDE_GAP:
            return False
        between = {t.lemma for t in tokens[raw[i].last : nxt.first]}
        return bool(between & _SIDE_LIST) and self._modifies_finding(raw, i + 1, tokens)

    @staticmethod
    def _both_sides_after(raw: list[PhraseMatch[Concept]], i: int, tokens: list[Token]) -> bool:
        """A zone word with no side of its own that "both lungs" or "on both sides" follows in the same phrase, no
        finding between ("reticulation dorsobasal on both sides")."""
        for later in raw[i + 1:]:
            if later.first - raw[i].last > ZONE_TO_BOTH_SIDES or later.payload.role == "entity" or any(
                    t.lemma in (".", ";") for t in tokens[raw[i].last : later.first]):
                return False
            if later.payload.role == "bilateral" or later.payload == Concept("side", "both"):
                return True
        return False

    def _side_of(self, concept: Concept) -> str | None:
        """The side of a side word, or of a whole-lung location that zone words may refine."""
        if concept.role == "side":
            return concept.key
        if concept.role == "bilateral":
            return "both"  # "both lung bases"
        if concept.role == "related":
            return self._lung_sides.get(concept.key)
        return None

    def _compose_from(self, raw: list[PhraseMatch[Concept]], i: int, tokens: list[Token], side: str):
        """A side and the zone words after it ("right upper and lower lobes"); a lobe of that side among them is
        kept as it is ("left lung S4, S5 (lingula) and S9, S10": the lingula and the left lower lobe)."""
        zones: list[PhraseMatch[Concept]] = []
        own: list[str] = []  # lobes of the side named in the run
        j, cursor = i + 1, raw[i].last
        while (j < len(raw) and raw[j].first - cursor <= 3
               and self._glue_only(tokens, cursor, raw[j].first,
                                   after_side=cursor == raw[i].last and raw[i].payload.role == "side")):
            zone = self._as_zone(raw[j], tokens)
            if zone is None and not self._lobe_of(raw[j], side):
                break
            if zone is None:
                own.append(raw[j].payload.key)
            else:
                zones.append(raw[j])
            cursor = raw[j].last
            j += 1
        if not zones:
            return 1, []
        names = [self._as_zone(z, tokens) for z in zones]
        if len(set(names)) > 1 and "lung" in names:  # "left suprahilar lung" stays the left lung
            names = [n for n in names if n != "lung"]  # "right lung base" is the lower lobe
        keys: list[str] = []
        for name in names:
            keys += [k for k in _as_list(self._compose.get(side, {}).get(name)) if k not in keys]
        keys += [k for k in own if k not in keys]
        first, last = raw[i], raw[j - 1]
        return j - i, [PhraseMatch(Concept("related", k), first.first, last.last, first.start, last.end) for k in keys]

    def _lobe_of(self, match: ConceptMatch, side: str) -> bool:
        """A place of one lobe (not a whole lung) on ``side``."""
        key = match.payload.key
        return (match.payload.role == "related" and key not in self._lung_sides
                and self.rules.related[key].side == side)

    def _zones_of_lung(self, raw: list[PhraseMatch[Concept]], i: int, tokens: list[Token]):
        """Zone words before the lung of a side they belong to, linked only by link words: "the lower lobe of
        left lung", "dorsal segment of the lower lobe of right lung" (the lobe of that side, not both)."""
        j = i
        while j + 1 < len(raw) and raw[j + 1].first - raw[j].last <= _ZONE_LINK_GAP and self._linked(
                raw[j], raw[j + 1], tokens):
            nxt = raw[j + 1]
            side = self._side_of(nxt.payload) if nxt.payload.role != "side" else None
            if side:
                names = [n for z in raw[i : j + 1] if (n := self._as_zone(z, tokens))]
                if len(set(names)) > 1:
                    names = [n for n in names if n != "lung"]
                keys = list(dict.fromkeys(k for n in names for k in _as_list(self._compose.get(side, {}).get(n))))
                return j + 2 - i, [PhraseMatch(Concept("related", k), raw[i].first, nxt.last, raw[i].start, nxt.end)
                                   for k in keys]
            if self._as_zone(nxt, tokens) is None:
                break
            j += 1
        return 1, []

    def _linked(self, zone: ConceptMatch, nxt: ConceptMatch, tokens: list[Token]) -> bool:
        """Only link words between a zone and the next zone or lung; a list word only between two bare zone words
        ("S4, S5 of the right lung"), not after a place of its own ("the lower lobes, and the upper lobe of the left
        lung" keeps both lower lobes)."""
        between = tokens[zone.last : nxt.first]
        if all(t.lemma in self._zone_links for t in between):
            return True
        return (zone.payload.role == nxt.payload.role == "zone"
                and all(t.lemma in self._zone_links or t.lemma in self._zone_list_links for t in between))

    def _glue_only(self, tokens: list[Token], start: int, end: int, after_side: bool) -> bool:
        """Only glue words between; a '.' only as the abbreviation dot of a side word ('Lt. base'), so a
        zone word in the next sentence never joins, not even after a whole lung ("in both lungs. Perihilar ...")."""
        return all(t.lemma in self._glue and (t.lemma != "." or (after_side and n == 0))
                   for n, t in enumerate(tokens[start:end]))

    def _as_zone(self, match: PhraseMatch[Concept], tokens: list[Token]) -> str | None:
        if match.payload.role == "zone":
            return match.payload.key
        if match.payload.role == "related":
            return self._zone_phrases.get(tuple(t.lemma for t in tokens[match.first : match.last]))
        return None


_ZONE_LINK_GAP = 2  # "lobe of the left lung": the link words between a zone and the next zone or its lung
_ELIDED_SIDE_GAP = 3  # "right and moderate left": the words between two sides of one list
_SIDE_LIST = frozenset({"and", "or", "&", "/"})
_ORGAN_ROLES = frozenset({"organ", "ignore"})  # another organ's word, or an ignored phrase that may open with one


_STATED_ROLES = frozenset({"part", "state"})
_first_token = attrgetter("first")


def _keys_by_word(findings: list[StatedFinding], field: str) -> dict[str, tuple[str, ...]]:
    """Each part (or state) word -> the keys it names a part (or state) of: "thickened" is a state of several."""
    keys: dict[str, tuple[str, ...]] = {}
    for finding in findings:
        for word in getattr(finding, field):
            keys[word] = (*keys.get(word, ()), finding.key)
    return keys


def zone_lemmas(grammar: LocationGrammar) -> dict[tuple[str, ...], str]:
    """A zone word's lemmas -> its zone ("lower lobe" -> lower): the lexicon composes places from them and the
    location mapper gives a zone named alone the side of the lung that heads its line."""
    return {term_lemmas(t): zone for zone, terms in grammar.zones.items() for t in terms}


def _gap_to_next(raw: list[PhraseMatch[Concept]], i: int, role: str) -> int | None:
    """The words between ``raw[i]`` and the match right after it where that one is of ``role``, else None (negative
    where both lie in one Hangul run). A side word at most one word before an entity modifies it ("right effusion",
    "left-sided mass")."""
    nxt = raw[i + 1] if i + 1 < len(raw) else None
    return nxt.first - raw[i].last if nxt is not None and nxt.payload.role == role else None


def _as_list(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)
