"""An outside reader is named once: an outside section's headers also open a sentence that restates it."""

from __future__ import annotations

from omop_nlp.rules.sections import SectionRule, SectionsRules


def test_outside_headers_open_a_restating_sentence_bare_and_after_the():
    rules = SectionsRules(sections={"second_read": SectionRule(kind="outside", headers={"en": ["night read"]}),
                                    "findings": SectionRule(kind="findings", headers={"en": ["findings"]})},
                          outside_readings={"en": ["the night registrar"]})
    assert rules.outside_openings() == {"en": ["the night registrar", "night read", "the night read"]}
    assert rules.outside_readings == {"en": ["the night registrar"]}
