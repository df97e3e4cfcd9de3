"""ConText-style assertion (Harkema et al. 2009): triggers with direction, scope and terminators.

Triggers are data (``mappings/context_rules/<lang>.yaml``). Within a clause, the nearest trigger
whose scope reaches a concept decides its certainty; pseudo-triggers ("no interval change",
"cannot be excluded" is hedged, not negated) block the shorter triggers inside them because the
matcher takes the longest phrase.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from functools import cache
from operator import attrgetter
from typing import NamedTuple

from omop_nlp.model import Certainty
from omop_nlp.rules.context import context_languages, load_context_rules
from omop_nlp.rules.sections import load_sections_rules
from omop_nlp.rules.variants import load_variant_rules
from omop_nlp.text.phrases import PhraseMatcher
from omop_nlp.text.tokens import Token, term_lemmas
from omop_nlp.text.variants import spelling_variants

_CATEGORY = {
    "negated": Certainty.NEGATED,
    "unlikely": Certainty.UNLIKELY,
    "resolved": Certainty.RESOLVED,
    "hypothetical": Certainty.HYPOTHETICAL,
    "historical": Certainty.HISTORICAL,
    "quoted": Certainty.HISTORICAL,  # another reader's words: "Outside report: left frontal meningioma"
    "hedged": Certainty.HEDGED,
    "question": Certainty.HEDGED,  # "r/o X" qualifying a finding; the annotator reads an opening one as the question
    "outranked": Certainty.UNLIKELY,  # "X favoured over Y": the annotator keeps Y where the report suspected it before
}
# At equal distance the first category wins: "r/o nodule -> not seen" is negated.
_PRIORITY = {category: rank for rank, category in enumerate(
    ["negated", "resolved", "unlikely", "outranked", "pseudo", "hypothetical", "hedged", "question", "quoted",
     "historical", "partial"])}
QUESTION = "question"
QUOTED = "quoted"
PARTIAL = "partial"
OUTRANKED = "outranked"
_BOTH_ADJACENT = 2
_VERB_FIRST_REACH = 3  # "It is discarded the presence of effusion": words from a verb-first denial to its finding
_PLACE_PHRASE_WORDS = 7  # "of the right greater sphenoid wing": a finding's place phrase before a dated suffix
_DISMISSAL_AFTER = 1  # "DD atelectasis, less likely": tokens from a hedged concept to the dismissal that ends it
TERMINATE = "terminate"
_NEGATION_END = f"{TERMINATE}:negated"
_FORWARD_END = f"{TERMINATE}:forward"  # ends forward scopes only: a new list item ("No effusion, chronic nodule")
# A terminator that joins list items ("and a", "nor"): it ends every scope but a list trigger's, since a
# differential heading hedges each item of its list ("Differential includes abscess, lymphoma and a glioma").
_JOIN_END = f"{TERMINATE}:join"
LIST = "list"
# A negation after an answer mark answers the field or question before it ("Effusion? None."): backward,
# ahead of any nearer trigger.
ANSWER = "answer"
# A negation's own terminator ("from the") ends it only before a concept this many plain words after it.
_NEGATION_END_REACH = 5
_LIST_WORDS = frozenset({"or", "and", "nor"})
SECTION_CERTAINTY = {
    "history": Certainty.HISTORICAL,
    "comparison": Certainty.HISTORICAL,
    "indication": Certainty.HYPOTHETICAL,
    "recommendation": Certainty.HYPOTHETICAL,
    "technique": Certainty.HYPOTHETICAL,
}


class TriggerRule(NamedTuple):  # rule sets are cache keys asked per trigger and concept: a tuple hashes in C
    category: str
    direction: str  # forward | backward | both
    max_tokens: int


class TriggerMatch(NamedTuple):  # per trigger and per concept: tuples are cheaper to build
    rules: tuple[TriggerRule, ...]
    first: int
    last: int

    def has(self, category: str) -> bool:
        return any(r.category == category for r in self.rules)


_first = attrgetter("first")  # the sort and bisect key of triggers: a C-level getter, asked per concept


class Assertion(NamedTuple):
    """A concept's certainty and the category of the trigger that decided it (None where none reached it)."""

    certainty: Certainty
    category: str | None = None


_PRESENT = Assertion(Certainty.PRESENT)  # no trigger reaches the concept


class Span(NamedTuple):
    """A concept's token span, as the assertion stage sees it."""

    first: int
    last: int


class _Clause(NamedTuple):
    """The concepts of one clause, for the scope of a trigger over them."""

    starts: frozenset[int]
    firsts: list[int]
    lasts: list[int]
    covered: list[int]  # covered[i]: tokens of the first i concepts

    @classmethod
    def of(cls, concepts: Sequence[Span]) -> _Clause:
        """``concepts`` in text order, as the annotator gives them."""
        firsts: list[int] = []
        lasts: list[int] = []
        covered = [0]
        for span in concepts:
            if firsts and span.first == firsts[-1]:
                continue  # "part-solid nodule": two keys on one span
            firsts.append(span.first)
            lasts.append(span.last)
            covered.append(covered[-1] + span.last - span.first)
        return cls(frozenset(firsts), firsts, lasts, covered)

    def gap(self, start: int, end: int) -> int:
        """Tokens from ``start`` to ``end`` other than concept words: a list of denied findings ("No
        consolidation, ground-glass opacity, ... or pleural effusion") is one scope however long its items."""
        i, j = bisect_left(self.firsts, start), bisect_right(self.lasts, end)
        return end - start - (self.covered[j] - self.covered[i] if j > i else 0)


class ContextAsserter:
    def __init__(self, matcher: PhraseMatcher[tuple[TriggerRule, ...]], reach: int,
                 answer_marks: frozenset[str] = frozenset(), answer_reach: int = 0,
                 after_place: tuple[frozenset[tuple[str, ...]], frozenset[str]] = (frozenset(), frozenset())) -> None:
        self._matcher = matcher
        self._reach_tokens = reach  # a trigger farther than this from a concept never reaches it
        self._answer_marks = answer_marks
        self._answer = TriggerRule("negated", ANSWER, answer_reach)
        self._suffixes_after_place, self._place_openers = after_place  # lemmas of the suffixes; opening words
        self._suffix_heads = frozenset(s[0] for s in self._suffixes_after_place if s)  # a cheap first test

    def triggers(self, tokens: list[Token], text: str, masked: Sequence[Span]) -> list[TriggerMatch]:
        """Trigger matches outside the ``masked`` concept words ('no acute infarct' is 'no' + a concept)."""
        mask = frozenset(i for c in masked for i in range(c.first, c.last))
        matches = [TriggerMatch(m.payload, m.first, m.last) for m in self._matcher.match(tokens, text, mask)]
        matches = [self._after_place(self._as_answer(m, tokens), tokens, mask) for m in matches
                   if not m.has(_NEGATION_END) or _heads_a_concept(m, matches, tokens, masked)]
        return sorted([*matches, *_measured_items(tokens, text)], key=_first)

    def _after_place(self, match: TriggerMatch, tokens: list[Token], mask: frozenset[int]) -> TriggerMatch:
        """A dated treatment suffix after the finding's place phrase ("meningioma of the right sphenoid wing
        resected in 2021") starts at that phrase, so that it follows the finding as a suffix must."""
        if tokens[match.first].lemma not in self._suffix_heads or not _suffix_only(match.rules) or \
                tuple(t.lemma for t in tokens[match.first : match.last]) not in self._suffixes_after_place:
            return match
        for index in range(match.first - 1, max(0, match.first - _PLACE_PHRASE_WORDS) - 1, -1):
            if index in mask or not tokens[index].lemma[:1].isalpha():
                return match  # a finding or a mark: no place phrase of a finding before the suffix
            if index - 1 in mask and tokens[index].lemma in self._place_openers:
                return match._replace(first=index)
        return match

    def _as_answer(self, match: TriggerMatch, tokens: list[Token]) -> TriggerMatch:
        """A negation that starts with or follows an answer mark also answers the field before it."""
        marks = self._answer_marks
        if (tokens[match.first].lemma in marks or (match.first and tokens[match.first - 1].lemma in marks)) \
                and match.has("negated"):
            return match._replace(rules=(*match.rules, self._answer))
        return match

    def assert_concepts(self, concepts: Sequence[Span], triggers: Sequence[TriggerMatch],
                        clause: tuple[int, int]) -> list[Assertion]:
        """Certainty of each concept of one clause (token range ``clause``). ``triggers`` are in text
        order; each concept looks only at the triggers near it, so a long clause stays linear."""
        lo, hi = bisect_left(triggers, clause[0], key=_first), bisect_left(triggers, clause[1], key=_first)
        local = [t for t in triggers[lo:hi] if t.last <= clause[1]]
        if not any(_asserts(t.rules) for t in local):  # none, or terminators only ("and", "with", ","): present
            return [_PRESENT] * len(concepts)
        in_clause = _Clause.of(concepts)
        return [self._certainty(c, local, in_clause) for c in concepts]

    def _certainty(self, concept: Span, triggers: Sequence[TriggerMatch], clause: _Clause) -> Assertion:
        near = triggers[bisect_left(triggers, concept.first - self._reach_tokens, key=_first):
                        bisect_right(triggers, concept.last + self._reach_tokens, key=_first)]
        reaching: list[tuple[int, int, TriggerMatch, str]] = []
        for trigger in near:
            for rule in trigger.rules:
                priority = _PRIORITY.get(rule.category)
                if priority is None:
                    continue  # a terminator: it ends scopes, it asserts nothing
                distance = self._reach(trigger, rule, concept, near, clause)
                if distance is not None:
                    rank = -1 if rule.direction == ANSWER else distance  # the answer outranks the question
                    reaching.append((rank, priority, trigger, rule.category))
        if not reaching:
            return _PRESENT
        _, _, trigger, category = min(reaching, key=lambda r: r[:2])
        if category in ("hedged", QUESTION):
            if any(c == "negated" and (_inside(trigger, t, concept) or _denied_after(trigger, t, concept, clause))
                   for _, _, t, c in reaching):
                return Assertion(Certainty.NEGATED, "negated")  # "no lesions concerning for metastases"
            if any(c == QUOTED and t.last <= trigger.first for _, _, t, c in reaching):
                return Assertion(Certainty.HISTORICAL, QUOTED)  # "the outside report suggests possible MS"
        if category == "hedged" and any(c == "unlikely" and t.first >= concept.last and (
                rank <= _DISMISSAL_AFTER or _dismisses_after_hedge(concept, trigger, t, clause))
                for rank, _, t, c in reaching):
            return Assertion(Certainty.UNLIKELY, "unlikely")  # "DD atelectasis, less likely"
        if category == "resolved" and any(c == PARTIAL for _, _, _, c in reaching):
            return Assertion(Certainty.PRESENT, PARTIAL)  # "two of the five nodules have resolved": three remain
        return Assertion(_CATEGORY.get(category) or Certainty.PRESENT, category)

    def _reach(self, trigger: TriggerMatch, rule: TriggerRule, concept: Span,
               triggers: Sequence[TriggerMatch], clause: _Clause) -> int | None:
        """Token distance from trigger to concept when the concept is in the trigger's scope."""
        if rule.direction == "prefix":  # a word prefix: "non-haemorrhagic" is no scope over "infarct"
            return 0 if concept.first == trigger.last else None
        if rule.direction == "suffix":  # a head noun of the concept's compound: "meningioma resection"
            return 0 if concept.last == trigger.first else None
        forward = concept.first >= trigger.first and concept.last > trigger.first
        backward = concept.last <= trigger.first
        if rule.direction == "both":
            # "less likely lymphoma" vs "lymphoma is less likely given ...": forward only when a
            # concept follows the trigger at once.
            follows = any(trigger.last + gap in clause.starts for gap in range(_BOTH_ADJACENT + 1))
            forward, backward = (forward, False) if follows else (False, backward)
        elif rule.direction in ("forward", LIST):
            backward = False
        else:  # backward; an answer only where no concept follows it in the clause ("Effusion: no"), or to the
            # field right before its mark ("Pneumothorax: no pneumothorax")
            forward = forward and _opens_denial(rule, trigger, clause)
            backward = backward and (rule.direction != ANSWER or clause.firsts[-1] < trigger.last
                                     or concept.last == trigger.first - 1)
        if forward:
            gap = clause.gap(trigger.last, concept.first) if concept.first > trigger.last else 0
            # a terminator right after the trigger is part of the denied phrase: "no evidence of new nodules"
            if gap <= rule.max_tokens and not _terminated(triggers, trigger.last + 1, concept.first,
                                                          _ends(rule, "forward")):
                return gap
        if backward:
            gap = clause.gap(concept.last, trigger.first)
            if gap <= rule.max_tokens and not _terminated(triggers, concept.last, trigger.first,
                                                          _ends(rule, "backward")) \
                    and not _phrase_between(triggers, concept.last, trigger.first, rule.category, clause):
                return gap
        return None


@cache
def _ends(rule: TriggerRule, side: str) -> tuple[str, ...]:
    """The terminators that end a rule's scope on one side: the general ones (a list trigger goes on over those
    that join items, "and a"), after a trigger those of forward scopes too, and the category's own, except a
    negation's before it: "Nodule of the right upper lobe - not seen" denies the nodule."""
    ends = [TERMINATE] if rule.direction == LIST else [TERMINATE, _JOIN_END]
    if side == "forward":
        ends.append(_FORWARD_END)
    if side == "forward" or rule.category != "negated":
        ends.append(f"{TERMINATE}:{rule.category}")
    return tuple(ends)


def _opens_denial(rule: TriggerRule, trigger: TriggerMatch, clause: _Clause) -> bool:
    """A denial written verb first, before any finding of its clause, denies the finding right after it: writers
    translating their own word order put "Not evidenced pleural effusion", "It is discarded the presence of a
    nodule" (a backward negation with nothing before it in the clause would deny nothing). A finding farther on
    is no object of it: "Not confirmed on our review: scarring at the staple line"."""
    return rule.category == "negated" and rule.direction == "backward" and clause.firsts[0] >= trigger.last \
        and any(trigger.last + gap in clause.starts for gap in range(_VERB_FIRST_REACH + 1))


def _inside(hedge: TriggerMatch, negation: TriggerMatch, concept: Span) -> bool:
    """The hedge stands between the concept and a negation that reaches it: "no lesions concerning
    for metastases", "전이 의심 병변 없음" (a Korean negation follows its phrase)."""
    return (negation.last <= hedge.first < concept.first) or (concept.last <= hedge.first and
                                                              hedge.last <= negation.first)


def _denied_after(hedge: TriggerMatch, negation: TriggerMatch, concept: Span, clause: _Clause) -> bool:
    """The hedge opens the phrase of the concept and the negation closes it, with no other concept between:
    "images suggestive of an abscess are not seen", "lesions concerning for metastasis: none"."""
    return (hedge.last <= concept.first and concept.last <= negation.first
            and bisect_left(clause.firsts, negation.first) == bisect_right(clause.firsts, concept.first))


def _heads_a_concept(end: TriggerMatch, matches: Sequence[TriggerMatch], tokens: list[Token],
                     concepts: Sequence[Span]) -> bool:
    """A negation's terminator ("from the", "around the") counts only where a concept follows it after
    plain words ("no mass effect from the left convexity meningioma"), not a list ("no consolidation
    within the lungs or effusion") or a hedge ("no lesions of the cortex suspicious for metastasis")."""
    following = [c.first for c in concepts if c.first >= end.last]
    if not following or min(following) - end.last > _NEGATION_END_REACH:
        return False
    between = range(end.last, min(following))
    return not any(m.first in between for m in matches) and all(
        tokens[i].lemma[0].isalnum() and tokens[i].lemma not in _LIST_WORDS for i in between)


def _phrase_between(triggers: Sequence[TriggerMatch], start: int, end: int, category: str, clause: _Clause) -> bool:
    """A trigger that opens a phrase of its own stands between a concept and a later trigger of ``category``,
    which is that phrase's, not the concept's: a denial in dictation run together ("nodule in the RUL no new
    nodules the consolidation has resolved"), a differential before a dismissal ("consolidation in the RLL, DD
    atelectasis, less likely"). A hedge before a dismissal opens a phrase only where a concept follows it: in
    "metastasis was considered given the history, but is less likely" the dismissal is the metastasis's."""
    return any(start <= t.first and t.last <= end and _opens_phrase(t.rules, category)
               and (category != "unlikely" or _concept_within(clause, t.last, end)) for t in triggers)


def _dismisses_after_hedge(concept: Span, hedge: TriggerMatch, dismissal: TriggerMatch, clause: _Clause) -> bool:
    """The concept is hedged, then dismissed with no other concept between: "X was considered given the history,
    but is less likely" (the later word wins; "X is favoured, Y is less likely" dismisses Y only)."""
    return concept.last <= hedge.first < dismissal.first and not _concept_within(clause, hedge.last, dismissal.first)


def _concept_within(clause: _Clause, start: int, end: int) -> bool:
    """A concept of the clause starts in the token range [start, end)."""
    index = bisect_left(clause.firsts, start)
    return index < len(clause.firsts) and clause.firsts[index] < end


@cache
def _opens_phrase(rules: tuple[TriggerRule, ...], category: str) -> bool:
    opening = ("negated", "hedged") if category == "unlikely" else ("negated",)
    return any(r.category in opening and r.direction in ("forward", LIST) for r in rules)


def _terminated(triggers: Sequence[TriggerMatch], start: int, end: int, ends: tuple[str, ...]) -> bool:
    return any(start <= t.first and t.last <= end and _ends_with(t.rules, ends) for t in triggers)


@cache
def _asserts(rules: tuple[TriggerRule, ...]) -> bool:
    """A trigger with these rules can decide a certainty; a terminator only ends scopes (a few rule sets, asked
    per clause: a clause whose triggers are all terminators needs no scope walk)."""
    return any(r.category in _PRIORITY for r in rules)


@cache
def _ends_with(rules: tuple[TriggerRule, ...], ends: tuple[str, ...]) -> bool:
    """A trigger with these rules is one of the terminators ``ends`` (a few rule sets, asked per concept)."""
    return any(r.category in ends for r in rules)


_MEASURED_ITEM = (TriggerRule(_FORWARD_END, "both", 0),)


_COMMA_MEASURE = re.compile(r",[ \t]*\d")


@cache
def _suffix_only(rules: tuple[TriggerRule, ...]) -> bool:
    return all(r.direction == "suffix" for r in rules)


def _measured_items(tokens: list[Token], text: str) -> list[TriggerMatch]:
    """A list item that opens with a measure is a finding seen, not one more denied: "No effusion, 4 mm
    nodule in the RUL" (describing words that open such items, "chronic", "residual", are forward terminators in
    the rules; size words are not: "No pneumothorax, large effusion" grades a denied item)."""
    commas = (bisect_left(tokens, m.start(), key=_start) for m in _COMMA_MEASURE.finditer(text))
    return [TriggerMatch(_MEASURED_ITEM, i, i + 2) for i in commas]


def _start(token: Token) -> int:
    return token.start


@cache
def load_context_asserter() -> ContextAsserter:
    """All languages' rules in one matcher: reports mix Korean and English in one sentence."""
    phrases: dict[str, list[TriggerRule]] = {}
    reach = answer_reach = 0
    marks: set[str] = set()
    suffixes: set[tuple[str, ...]] = set()
    openers: set[str] = set()
    spelling = load_variant_rules()
    readers = load_sections_rules()  # the other readers of the study, quoted wherever they stand
    for language in context_languages():
        rules = load_context_rules(language)
        marks.update(term_lemmas(m)[0] for m in rules.answer_marks)
        suffixes.update(term_lemmas(t) for t in rules.suffixes_after_place)
        openers.update(term_lemmas(t)[0] for t in rules.place_openers)
        answer_reach = max(answer_reach, rules.max_tokens_for("negated", "backward"))
        for category, by_direction in rules.triggers(readers.quoted_readers(language)).items():
            for direction, terms in by_direction.items():
                rule = _rule(category, direction, rules.max_tokens_for(category, direction))
                if direction != TERMINATE:
                    reach = max(reach, rule.max_tokens + max((len(term_lemmas(t)) for t in terms), default=0))
                for term in terms:
                    term_rule = _joining(rule, term)
                    for form in spelling_variants(spelling, term):
                        phrases.setdefault(form, []).append(term_rule)
    return ContextAsserter(PhraseMatcher((t, tuple(r)) for t, r in phrases.items()), reach, frozenset(marks),
                           answer_reach, (frozenset(suffixes), frozenset(openers)))


def _joining(rule: TriggerRule, term: str) -> TriggerRule:
    """A general terminator that opens with a list word joins list items: it does not end a list trigger."""
    if rule.category == TERMINATE and term_lemmas(term)[0] in _LIST_WORDS:
        return TriggerRule(_JOIN_END, rule.direction, 0)
    return rule


def _rule(category: str, direction: str, limit: int) -> TriggerRule:
    """The rule of a trigger list. A terminator list ends the scope of its category's triggers ("s/p lobectomy,
    new nodule"); in the category terminate, of every trigger (both) or of forward ones (forward)."""
    if direction == TERMINATE:
        return TriggerRule(f"{TERMINATE}:{category}", "both", 0)
    if category == TERMINATE and direction == "forward":
        return TriggerRule(_FORWARD_END, "both", 0)
    return TriggerRule(category, direction, limit)
