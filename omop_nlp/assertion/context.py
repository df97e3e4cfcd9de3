"""ConText-style assertion (Harkema et al. 2009): triggers with direction, scope and terminators.

Triggers are data (``mappings/context_rules/<lang>.yaml``). Within a clause, the nearest trigger
whose scope reaches a concept decides its certainty; pseudo-triggers ("no interval change",
"cannot be excluded" is hedged, not negated) block the shorter triggers inside them because the
matcher takes the longest phrase.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from omop_nlp.model import Certainty
from omop_nlp.rules.context import context_languages, load_context_rules
from omop_nlp.text.phrases import PhraseMatcher
from omop_nlp.text.tokens import Token

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


@dataclass(frozen=True)
class TriggerMatch:
    rules: tuple[TriggerRule, ...]
    first: int
    last: int

    def has(self, category: str) -> bool:
        return any(r.category == category for r in self.rules)


@dataclass(frozen=True)
class Span:
    """A concept's token span, as the assertion stage sees it."""

    first: int
    last: int


class ContextAsserter:
    def __init__(self, matcher: PhraseMatcher[tuple[TriggerRule, ...]]) -> None:
        self._matcher = matcher

    def triggers(self, tokens: list[Token], text: str, masked: Sequence[Span]) -> list[TriggerMatch]:
        """Trigger matches outside the ``masked`` concept words ('no acute infarct' is 'no' + a concept)."""
        mask = frozenset(i for c in masked for i in range(c.first, c.last))
        return [TriggerMatch(m.payload, m.first, m.last) for m in self._matcher.match(tokens, text, mask)]

    def assert_concepts(self, concepts: Sequence[Span], triggers: Sequence[TriggerMatch],
                        clause: tuple[int, int]) -> list[Certainty]:
        """Certainty of each concept of one clause (token range ``clause``)."""
        local = [t for t in triggers if clause[0] <= t.first and t.last <= clause[1]]
        return [self._certainty(c, local, concepts) for c in concepts]

    def _certainty(self, concept: Span, triggers: Sequence[TriggerMatch], concepts: Sequence[Span]) -> Certainty:
        reaching: list[tuple[int, int, TriggerMatch, str]] = []
        for trigger in triggers:
            for rule in trigger.rules:
                if rule.category == "terminate":
                    continue
                distance = self._reach(trigger, rule, concept, triggers, concepts)
                if distance is not None:
                    reaching.append((distance, _PRIORITY.index(rule.category), trigger, rule.category))
        if not reaching:
            return Certainty.PRESENT
        _, _, trigger, category = min(reaching, key=lambda r: r[:2])
        if category == "hedged" and any(c == "negated" and t.last <= trigger.first < concept.first
                                        for _, _, t, c in reaching):
            return Certainty.NEGATED  # "no lesions concerning for metastases": the negation spans the hedge
        return _CATEGORY.get(category) or Certainty.PRESENT

    def _reach(self, trigger: TriggerMatch, rule: TriggerRule, concept: Span,
               triggers: Sequence[TriggerMatch], concepts: Sequence[Span]) -> int | None:
        """Token distance from trigger to concept when the concept is in the trigger's scope."""
        forward = concept.first >= trigger.first and concept.last > trigger.first
        backward = concept.last <= trigger.first
        if rule.direction == "both":
            # "less likely lymphoma" vs "lymphoma is less likely given ...": forward only when a
            # concept follows the trigger at once.
            follows = any(0 <= c.first - trigger.last <= _BOTH_ADJACENT for c in concepts)
            forward, backward = (forward, False) if follows else (False, backward)
        elif rule.direction == "forward":
            backward = False
        else:
            forward = False
        if forward:
            gap = max(0, concept.first - trigger.last)
            if gap <= rule.max_tokens and not _terminated(triggers, trigger.last, concept.first):
                return gap
        if backward:
            gap = trigger.first - concept.last
            if gap <= rule.max_tokens and not _terminated(triggers, concept.last, trigger.first):
                return gap
        return None


def _terminated(triggers: Sequence[TriggerMatch], start: int, end: int) -> bool:
    return any(t.has("terminate") and start <= t.first and t.last <= end for t in triggers)


@cache
def load_context_asserter() -> ContextAsserter:
    """All languages' rules in one matcher: reports mix Korean and English in one sentence."""
    phrases: dict[str, list[TriggerRule]] = {}
    for language in context_languages():
        rules = load_context_rules(language)
        for category, by_direction in rules.rules.items():
            for direction, terms in by_direction.items():
                limit = rules.max_tokens_for(category, direction)
                for term in terms:
                    phrases.setdefault(term, []).append(TriggerRule(category, direction, limit))
    return ContextAsserter(PhraseMatcher((t, tuple(r)) for t, r in phrases.items()))
