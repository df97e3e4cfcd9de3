"""A numbered item labelled by a lesion word ("Nodule 2:") whose size is followed by a ground-glass word is a
ground-glass nodule, `ggo` only (guideline section 2: a pure GGN is ggo only); a part-solid or solid item keeps its
nodule, and a nodule with ground glass beside it or a nodule that is no label stays. Reports written for this file.
"""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline

CASES = [
    ("ground-glass-item", "Nodule 2: LLL, image 40, 4 mm ground-glass.", {"ggo": ["lll"]}),
    ("hash-numbered-bullet", "- Nodule #3: lingula, 7 mm ground glass.", {"ggo": ["lingula"]}),
    ("solid-item", "Nodule 1: RUL, 9 mm solid.", {"nodule": ["rul"]}),
    ("no-label", "Nodule in the right upper lobe, 5 mm, and ground glass in the left lower lobe.",
     {"nodule": ["rul"], "ggo": ["lll"]}),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_item_labels(pipeline: Pipeline, name: str, text: str, expected: dict[str, list[str]]) -> None:
    assert findings(pipeline, text) == expected


# the label keeps its nodule and its place (where the ground glass of these items lies is another rule's)
KEPT = [
    ("part-solid-item", "Nodule 1: RML, 12 mm part-solid.", ["rml"]),
    ("ground-glass-beside-a-solid-item", "Nodule 4: LLL, 6 mm solid, with a rim of ground-glass.", ["lll"]),
]


@pytest.mark.parametrize(("name", "text", "places"), KEPT, ids=[c[0] for c in KEPT])
def test_label_keeps_its_nodule(pipeline: Pipeline, name: str, text: str, places: list[str]) -> None:
    result = findings(pipeline, text)
    assert set(result) == {"nodule", "ggo"}
    assert result["nodule"] == places
