"""Places of the resolved part of a set of lesions (issue 13, follow-up reads): "two of the nodules (RML, LUL)
have resolved" keeps the nodules present (others remain) but the places in the aside are those of the ones that
went; a place the whole set is named in stays. Sentences written for this file."""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline


@pytest.mark.parametrize(("text", "expected"), [
    ("Three of the known metastases (RUL, LLL, lingula) have resolved. A new 4 mm nodule in the RML.",
     {"nodule": ["rml"]}),
    ("Of the six nodules seen before, two (left upper lobe 3 mm, right lower lobe 5 mm) are no longer seen.",
     {"nodule": []}),
    ("One of the two nodules in the left lower lobe has resolved.", {"nodule": ["lll"]}),
])  # fmt: skip
def test_places_of_the_resolved_subset(pipeline: Pipeline, text: str, expected: dict[str, list[str]]) -> None:
    assert findings(pipeline, text) == expected
