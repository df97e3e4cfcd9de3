"""Composed quoted triggers (another reader x what it did) join the rules' own forward quoted triggers."""

from __future__ import annotations

from omop_nlp.rules.context import ContextRules, load_context_rules
from omop_nlp.rules.sections import load_sections_rules


def test_composed_triggers_join_the_forward_quoted_ones():
    rules = ContextRules(rules={"quoted": {"forward": ["first read as"], "terminate": [";"]}})
    assert rules.triggers(["night team noted", "night team queried"])["quoted"] == {
        "forward": ["first read as", "night team noted", "night team queried"], "terminate": [";"]}
    assert rules.rules["quoted"]["forward"] == ["first read as"]


def test_no_composition_leaves_the_rules_as_written():
    rules = ContextRules(rules={"negated": {"forward": ["without"]}})
    assert rules.triggers() == {"negated": {"forward": ["without"]}}


def test_english_quotes_outside_readers_and_tools():
    forward = load_context_rules("en").triggers(load_sections_rules().quoted_readers("en"))["quoted"]["forward"]
    assert {"outside report describes", "referring radiologist raised", "ai flagged",
            "algorithm classified"} <= set(forward)
    assert len(forward) == len(set(forward))
