"""ConText-style assertion (Harkema et al. 2009): triggers with direction, scope and terminators.

Triggers are data (``mappings/context_rules/<lang>.yaml``). Within a clause, the nearest trigger
whose scope reaches a concept decides its certainty; pseudo-triggers ("no interval change",
"cannot be excluded" is hedged, not negated) block the shorter triggers inside them because the
matcher takes the longest phrase.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from omop_nlp.model import Certainty
from omop_nlp.rules.context import context_languages, load_context_rules
from omop_nlp.text.phrases import PhraseMatcher
from omop_nlp.text.tokens import Token, term_lemmas

_CATEGORY = {
    "negated": Certainty.NEGATED,
    "unlikely": Certainty.UNLIKELY,
    "resolved": Certainty.RESOLVED,
    "hypothetical": Certainty.HYPOTHETICAL,
    "historical": Certainty.HISTORICAL,
    "hedged": Certainty.HEDGED,
}
# At equal distance the first category wins: "r/o nodule -> not seen" is negated.
_PRIORITY = ["negated", "resolved", "unlikely", "pseudo", "hypothetical", "hedged", "historical"]
_BOTH_ADJACENT = 2
TERMINATE = "terminate"
_NEGATION_END = f"{TERMINATE}:negated"
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


@dataclass(frozen=True)
class TriggerRule:
    category: str
    direction: str  # forward | backward | both
    max_tokens: int


class TriggerMatch(NamedTuple):  # per trigger and per concept: tuples are cheaper to build
    rules: tuple[TriggerRule, ...]
    first: int
    last: int

    def has(self, category: str) -> bool:
        return any(r.category == category for r in self.rules)


class Span(NamedTuple):
    """A concept's token span, as the assertion stage sees it."""

    first: int
    last: int


class ContextAsserter:
    def __init__(self, matcher: PhraseMatcher[tuple[TriggerRule, ...]], reach: int) -> None:
        self._matcher = matcher
        self._reach_tokens = reach  # a trigger farther than this from a concept never reaches it

    def triggers(self, tokens: list[Token], text: str, masked: Sequence[Span]) -> list[TriggerMatch]:
        """Trigger matches outside the ``masked`` concept words ('no acute infarct' is 'no' + a concept)."""
        mask = frozenset(i for c in masked for i in range(c.first, c.last))
        matches = [TriggerMatch(m.payload, m.first, m.last) for m in self._matcher.match(tokens, text, mask)]
        return [m for m in matches if not m.has(_NEGATION_END) or _heads_a_concept(m, matches, tokens, masked)]

    def assert_concepts(self, concepts: Sequence[Span], triggers: Sequence[TriggerMatch],
                        clause: tuple[int, int]) -> list[Certainty]:
        """Certainty of each concept of one clause (token range ``clause``). ``triggers`` are in text
        order; each concept looks only at the triggers near it, so a long clause stays linear."""
        lo, hi = bisect_left(triggers, clause[0], key=_first), bisect_left(triggers, clause[1], key=_first)
        local = [t for t in triggers[lo:hi] if t.last <= clause[1]]
        starts = frozenset(c.first for c in concepts)
        return [self._certainty(c, local, starts) for c in concepts]

    def _certainty(self, concept: Span, triggers: Sequence[TriggerMatch], concept_starts: frozenset[int]) -> Certainty:
        near = triggers[bisect_left(triggers, concept.first - self._reach_tokens, key=_first):
                        bisect_right(triggers, concept.last + self._reach_tokens, key=_first)]
        reaching: list[tuple[int, int, TriggerMatch, str]] = []
        for trigger in near:
            for rule in trigger.rules:
                if rule.category.startswith(TERMINATE):
                    continue
                distance = self._reach(trigger, rule, concept, near, concept_starts)
                if distance is not None:
                    reaching.append((distance, _PRIORITY.index(rule.category), trigger, rule.category))
        if not reaching:
            return Certainty.PRESENT
        _, _, trigger, category = min(reaching, key=lambda r: r[:2])
        if category == "hedged" and any(c == "negated" and _inside(trigger, t, concept) for _, _, t, c in reaching):
            return Certainty.NEGATED  # "no lesions concerning for metastases": the negation spans the hedge
        return _CATEGORY.get(category) or Certainty.PRESENT

    def _reach(self, trigger: TriggerMatch, rule: TriggerRule, concept: Span,
               triggers: Sequence[TriggerMatch], concept_starts: frozenset[int]) -> int | None:
        """Token distance from trigger to concept when the concept is in the trigger's scope."""
        if rule.direction == "prefix":  # a word prefix: "non-haemorrhagic" is no scope over "infarct"
            return 0 if concept.first == trigger.last else None
        forward = concept.first >= trigger.first and concept.last > trigger.first
        backward = concept.last <= trigger.first
        if rule.direction == "both":
            # "less likely lymphoma" vs "lymphoma is less likely given ...": forward only when a
            # concept follows the trigger at once.
            follows = any(trigger.last + gap in concept_starts for gap in range(_BOTH_ADJACENT + 1))
            forward, backward = (forward, False) if follows else (False, backward)
        elif rule.direction == "forward":
            backward = False
        else:
            forward = False
        ends = (TERMINATE, f"{TERMINATE}:{rule.category}")
        if forward:
            gap = max(0, concept.first - trigger.last)
            if gap <= rule.max_tokens and not _terminated(triggers, trigger.last, concept.first, ends):
                return gap
        if backward:
            gap = trigger.first - concept.last
            if gap <= rule.max_tokens and not _terminated(triggers, concept.last, trigger.first, ends):
                return gap
        return None


def _first(trigger: TriggerMatch) -> int:
    return trigger.first


def _inside(hedge: TriggerMatch, negation: TriggerMatch, concept: Span) -> bool:
    """The hedge stands between the concept and a negation that reaches it: "no lesions concerning
    for metastases", "전이 의심 병변 없음" (a Korean negation follows its phrase)."""
    return (negation.last <= hedge.first < concept.first) or (concept.last <= hedge.first and
                                                              hedge.last <= negation.first)


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


def _terminated(triggers: Sequence[TriggerMatch], start: int, end: int, ends: tuple[str, ...]) -> bool:
    return any(start <= t.first and t.last <= end and any(t.has(e) for e in ends) for t in triggers)


@cache
def load_context_asserter() -> ContextAsserter:
    """All languages' rules in one matcher: reports mix Korean and English in one sentence."""
    phrases: dict[str, list[TriggerRule]] = {}
    reach = 0
    for language in context_languages():
        rules = load_context_rules(language)
        for category, by_direction in rules.rules.items():
            for direction, terms in by_direction.items():
                if direction == TERMINATE:  # ends the scope of this category only: "s/p lobectomy, new nodule"
                    for term in terms:
                        phrases.setdefault(term, []).append(TriggerRule(f"{TERMINATE}:{category}", "both", 0))
                    continue
                limit = rules.max_tokens_for(category, direction)
                reach = max(reach, limit + max((len(term_lemmas(t)) for t in terms), default=0))
                for term in terms:
                    phrases.setdefault(term, []).append(TriggerRule(category, direction, limit))
    return ContextAsserter(PhraseMatcher((t, tuple(r)) for t, r in phrases.items()), reach)
