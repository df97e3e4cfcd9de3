"""A composed trigger list (subjects x verbs) says the same as its cross product written out by hand."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from omop_nlp.rules.context import ContextRules, SubjectVerbs, load_context_rules


def test_every_subject_takes_every_verb():
    readers = SubjectVerbs(subjects=["second reader", "night team"], verbs=["noted", "queried"])
    assert readers.phrases() == ["second reader noted", "second reader queried", "night team noted",
                                 "night team queried"]


def test_composed_triggers_join_the_forward_quoted_ones():
    rules = ContextRules(rules={"quoted": {"forward": ["first read as"], "terminate": [";"]}},
                         quoted_readers=[SubjectVerbs(subjects=["night team"], verbs=["noted", "queried"])])
    assert rules.triggers()["quoted"] == {"forward": ["first read as", "night team noted", "night team queried"],
                                          "terminate": [";"]}
    assert rules.rules["quoted"]["forward"] == ["first read as"]


def test_no_composition_leaves_the_rules_as_written():
    rules = ContextRules(rules={"negated": {"forward": ["without"]}})
    assert rules.triggers() == {"negated": {"forward": ["without"]}}


def test_a_composition_without_verbs_is_refused():
    with pytest.raises(ValidationError):
        SubjectVerbs(subjects=["night team"], verbs=[])


def test_english_quotes_outside_readers_and_tools():
    forward = load_context_rules("en").triggers()["quoted"]["forward"]
    assert {"outside report describes", "referring radiologist raised", "ai flagged",
            "algorithm classified"} <= set(forward)
    assert len(forward) == len(set(forward))
