"""A side word right before another organ's word is that organ's side, no lung place (guideline section 2 rule 10,
issue 13: lung keys never from another organ): "both adrenal glands" or "bilateral axillary nodes" after a placed
nodule add no lung to it, while "bilateral nodules" and "in both lungs" stay both lungs. Sentences written for this
file."""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline


@pytest.mark.parametrize(("text", "expected"), [
    ("A 5 mm nodule in the LLL. Both adrenal glands are normal.", {"nodule": ["lll"]}),
    ("Spiculated RUL nodule. Bilateral axillary lymph nodes are not enlarged.", {"nodule": ["rul"]}),
    ("Bilateral breast implants. Tiny nodules in both lungs.", {"nodule": ["left_lung", "right_lung"]}),
    ("Bilateral nodules, the largest in the RML.", {"nodule": ["left_lung", "right_lung", "rml"]}),
    ("Septal thickening in both lungs. Heart size normal.", {"interstitial_thickening": ["left_lung", "right_lung"]}),
])  # fmt: skip
def test_side_of_other_organ(pipeline: Pipeline, text: str, expected: dict[str, list[str]]) -> None:
    assert findings(pipeline, text) == expected
