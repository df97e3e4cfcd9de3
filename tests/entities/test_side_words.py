"""A lone side word ("right", "both", "bilateral") names a lung only where it modifies a finding of the lungs: right
before an entity or a place of no side, not before another organ's word, nor as a count of findings. Every report
here is written for this file."""

from __future__ import annotations

import pytest

from omop_nlp.model import EntityType, Report
from omop_nlp.pipeline import Pipeline


def lungs(pipeline: Pipeline, text: str) -> list[str]:
    result = pipeline.extract(Report("t", f"CT chest. {text}", "chest_ct"))
    return [m.key for m in result.mentions if m.type == EntityType.LOCATION]


@pytest.mark.parametrize("text, expected", [
    ("Bilateral nodules.", ["right_lung", "left_lung"]),  # right before an entity
    ("Right pleural effusion.", ["right_lung"]),
    ("Left pleural thickening.", ["left_lung"]),  # before a place of no side
    ("Both adrenal glands are thickened.", []),  # right before another organ's word: that organ's side
    ("Bilateral axillary nodes are not enlarged.", []),
    ("Both nodules are stable.", []),  # a count of the findings after it, not both lungs
])
def test_a_side_word_names_a_lung_only_beside_a_finding_of_the_lungs(pipeline: Pipeline, text: str,
                                                                     expected: list[str]) -> None:
    assert lungs(pipeline, text) == expected
