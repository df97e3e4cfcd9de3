"""A Western "infiltrate" is a vague opacity word that names no key (guideline section 2; corpus choices `rur`, `sea`),
while the Russian-school "zone of infiltration" is that school's name for airspace consolidation (`rus`); a
consolidation that has "completely regredient" (German "vollständig regredient") is resolved. Sentences written for
this file."""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline


@pytest.mark.parametrize(("text", "expected"), [
    ("Patchy infiltrates in both lower lobes, worse on the right.", {}),
    ("No infiltrate. Small left pleural effusion.", {"pleural_effusion": []}),
    ("A zone of infiltration of lung tissue in S6 of the right lung.", {"consolidation": ["rll"]}),
    ("The consolidation of the right upper lobe has completely regredient since the last study.", {}),
    ("Consolidation of the middle lobe, regredient, with an air bronchogram.", {"consolidation": ["rml"]}),
])  # fmt: skip
def test_infiltrate_and_infiltration(pipeline: Pipeline, text: str, expected: dict[str, list[str]]) -> None:
    assert findings(pipeline, text) == expected
