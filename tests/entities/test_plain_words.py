"""A patient summary's plain words for chest findings (issue 13, patient-portal writers): a "spot" of the lung
is a nodule, a "hazy" or "faint" spot a ground-glass opacity, and a spot "on your liver" or "on one of your ribs"
is another organ's (guideline section 2 rule 10). Sentences written for this file.
"""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline

CASES = [
    ("spot-on-your-lung", "There is a small spot on your right lung.", {"nodule": ["right_lung"]}),
    ("no-new-spots", "No new spots in your lungs.", {}),
    ("hazy-spot", "The faint, hazy spot at the top of your left lung looks the same.", {"ggo": ["lul"]}),
    ("spot-on-your-liver", "We also saw a small spot on your liver, most likely a harmless cyst.", {}),
    ("spot-on-one-of-your-ribs", "A spot on one of your ribs is an old healed break.", {}),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_plain_words_of_a_patient_summary(pipeline: Pipeline, name: str, text: str,
                                          expected: dict[str, list[str]]) -> None:
    assert {k: sorted(v) for k, v in findings(pipeline, text).items()} == expected
