"""An "infiltrate" of the lung is the older word for airspace consolidation (guideline section 2, `consolidation`),
whoever writes it: the Russian-school "zone of infiltration" and the German or American "infiltrate(s)" alike, so
a denied infiltrate denies consolidation, and one that has "completely regredient" (German "vollständig regredient")
is resolved. Fatty or tumour infiltration of another organ stays no key. Sentences written for this file."""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.model import Certainty, Report
from omop_nlp.pipeline import Pipeline


@pytest.mark.parametrize(("text", "expected"), [
    ("Patchy infiltrates in both lower lobes, worse on the right.", {"consolidation": ["bll"]}),
    ("There is a dense infiltrate in the lingula.", {"consolidation": ["lingula"]}),
    ("The infiltrate of the right upper lobe has completely regredient since the last study.", {}),
    ("No infiltrate. Small left pleural effusion.", {"pleural_effusion": []}),
    ("Fatty infiltration of the liver is noted.", {}),
])  # fmt: skip
def test_an_infiltrate_is_consolidation(pipeline: Pipeline, text: str, expected: dict[str, list[str]]) -> None:
    assert findings(pipeline, text) == expected


def test_a_denied_infiltrate_denies_consolidation(pipeline: Pipeline) -> None:
    result = pipeline.extract(Report("t", "Lungs: no active infiltrate, no nodule.\n", "chest_ct"))
    assert {m.certainty for m in result.mentions if m.key == "consolidation"} == {Certainty.NEGATED}
