"""An outside reader is named once: the same list opens a restating sentence and quotes the reader anywhere."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from omop_nlp.rules.sections import OutsideReaders, SectionRule, SectionsRules


def _rules(*readers: OutsideReaders) -> SectionsRules:
    return SectionsRules(sections={"second_read": SectionRule(kind="outside", headers={"en": ["night read"]}),
                                   "findings": SectionRule(kind="findings", headers={"en": ["findings"]})},
                         outside_readers={"en": list(readers)})


def test_every_subject_takes_every_verb():
    readers = OutsideReaders(subjects=["second reader", "night team"], verbs=["noted", "queried"], opens="alone")
    assert readers.phrases() == ["second reader noted", "second reader queried", "night team noted",
                                 "night team queried"]


def test_a_reader_without_verbs_is_refused():
    with pytest.raises(ValidationError):
        OutsideReaders(subjects=["night team"], verbs=[], opens="alone")


def test_outside_headers_and_readers_open_a_restating_sentence_bare_and_after_the():
    rules = _rules(OutsideReaders(subjects=["night registrar"], verbs=["noted"], opens="alone"))
    assert sorted(rules.outside_openings()["en"]) == ["night read", "night registrar", "the night read",
                                                      "the night registrar"]


def test_a_reader_that_opens_with_a_verb_takes_its_opening_verbs_there_only():
    rules = _rules(OutsideReaders(subjects=["robot"], verbs=["marked"], opening_verbs=["marks"], opens="with_verb"))
    assert sorted(rules.outside_openings()["en"]) == ["night read", "robot marked", "robot marks", "the night read",
                                                      "the robot marked", "the robot marks"]
    assert rules.quoted_readers("en") == ["robot marked"]


def test_the_outside_headers_are_quoted_with_the_verbs_of_a_reader_that_opens_alone():
    rules = _rules(OutsideReaders(subjects=["night registrar"], verbs=["noted"], opens="alone"),
                   OutsideReaders(subjects=["robot"], verbs=["marked"], opens="with_verb"))
    assert rules.quoted_readers("en") == ["night registrar noted", "night read noted", "robot marked"]
    assert rules.quoted_readers("ko") == []
