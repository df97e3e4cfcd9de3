"""The phrase matcher groups the phrases that open with the same two words by length (one dict lookup per length):
the longest phrase that fits still wins, a longer one that does not fit falls back to the shorter ones, a case-only
phrase matches its own case alone, and a phrase listed twice keeps its first payload. Phrases written for this file.
"""

from __future__ import annotations

from omop_nlp.text.phrases import PhraseMatcher
from omop_nlp.text.tokens import tokenize


def matched(phrases: list[tuple[str, str]], text: str) -> list[tuple[str, str]]:
    """(payload, matched text) of each match in ``text``."""
    tokens = tokenize(text)
    return [(m.payload, text[m.start : m.end]) for m in PhraseMatcher(phrases).match(tokens, text)]


PHRASES = [("in the", "two"), ("in the prior study", "four"), ("in the prior", "three"),
           ("in the later report", "four'"), ("in", "one")]


def test_the_longest_phrase_that_fits_wins() -> None:
    assert matched(PHRASES, "seen in the prior study today") == [("four", "in the prior study")]


def test_a_longer_phrase_of_the_same_length_is_told_apart_by_its_words() -> None:
    assert matched(PHRASES, "as said in the later report") == [("four'", "in the later report")]


def test_a_longer_phrase_that_does_not_fit_falls_back_to_the_shorter_ones() -> None:
    assert matched(PHRASES, "seen in the prior one") == [("three", "in the prior")]
    assert matched(PHRASES, "seen in the lung") == [("two", "in the")]
    assert matched(PHRASES, "seen in lung") == [("one", "in")]


def test_a_phrase_cut_off_by_the_end_of_the_text_does_not_match_its_longer_form() -> None:
    assert matched(PHRASES, "seen in the prior") == [("three", "in the prior")]


def test_a_case_only_word_matches_its_own_case_and_leaves_the_other_cases_to_the_next_entry() -> None:
    phrases = [("=MS", "case"), ("ms", "word")]
    assert matched(phrases, "MS plaques") == [("case", "MS")]
    assert matched(phrases, "TR 40 ms") == [("word", "ms")]


def test_a_phrase_listed_twice_keeps_its_first_payload() -> None:
    assert matched([("ground glass opacity", "first"), ("ground glass opacity", "second")],
                   "faint ground glass opacity") == [("first", "ground glass opacity")]
