"""The word lists of sections.yaml become one regex alternation factored as a trie: a position tries a shared
prefix once, and the longest term that fits still wins, as the longest-first alternation it replaces did."""

from __future__ import annotations

import re

import pytest

from omop_nlp.text.sections import _alternation

TERMS = ["ct", "cta", "ctpa", "clinical notes", "clinical", "the night read", "the night reader"]


@pytest.mark.parametrize(("text", "matched"), [
    ("CTPA 3/4:", "CTPA"), ("cta:", "cta"), ("CT chest", "CT"), ("clinical  notes:", "clinical  notes"),
    ("Clinical history", "Clinical"), ("The night reader said", "The night reader"),
    ("the night read:", "the night read"), ("ctx", None), ("night read", None),
])  # fmt: skip
def test_the_longest_term_that_ends_at_a_word_end_matches(text: str, matched: str | None) -> None:
    match = re.compile(rf"(?i)(?:{_alternation(TERMS)})(?!\w)").match(text)
    assert (match and match.group(0)) == matched


def test_a_shared_prefix_is_written_once() -> None:
    assert _alternation(["the outside report", "the outside reading"]).count("outside") == 1
