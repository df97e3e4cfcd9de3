"""Lobe phrases of translated Chinese templates (guideline section 2 rules 2 and 5): the zone comes first and the
lung of its side after it ("the lower lobe of left lung"), so the phrase is that side's lobe, never both lower
lobes; a segment before it ("dorsal segment of ...") maps to the same lobe. A fibrous focus "at the stump" takes
the lobe of the resection named before it. Every report here is written for this file.
"""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline

CASES = [
    ("lower-lobe-of-left-lung", "Patchy consolidation in the lower lobe of left lung.", {"consolidation": ["lll"]}),
    ("upper-lobe-of-the-right-lung", "A 5 mm nodular shadow in the upper lobe of the right lung.",
     {"nodule": ["rul"]}),
    ("middle-lobe-of-right-lung", "Middle lobe of right lung shows cord-like shadows.", {"fibrosis": ["rml"]}),
    ("dorsal-segment-of-lower-lobe-of-lung", "Ground-glass shadow in the dorsal segment of the lower lobe of right "
     "lung.", {"ggo": ["rll"]}),
    ("dorsal-segment-of-side-lobe", "Small nodule in the dorsal segment of left lower lobe.", {"nodule": ["lll"]}),
    ("shared-by-a-coordination", "Consolidation shadow and ground-glass shadow in the upper lobe of left lung.",
     {"consolidation": ["lul"], "ggo": ["lul"]}),
    ("two-lobes-two-sides", "Nodular shadows in the upper lobe of right lung and the lower lobe of left lung.",
     {"nodule": ["lll", "rul"]}),
    ("stump-after-a-lobectomy", "Status after right upper lobectomy; fibrous stripe shadow at the stump.",
     {"fibrosis": ["rul"]}),
    # a patient summary's plain zone words: the top of a lung is its upper lobe, the bottom its lower lobe
    ("very-top-of-both-lungs", "Some scarring at the very top of both lungs.", {"fibrosis": ["bul"]}),
    ("bottom-of-the-left-lung", "A small spot at the bottom of the left lung.", {"nodule": ["lll"]}),
    # the apicoposterior segment exists in the left upper lobe only: the segment names its lobe without a side
    ("apicoposterior-segment-without-a-side", "The apicoposterior segment is collapsed beyond the occluded bronchus.",
     {"atelectasis": ["lul"]}),
    ("upper-part-of-your-right-lung", "A patch of pneumonia-like haze in the upper part of your right lung, "
     "a ground-glass opacity.", {"ggo": ["rul"]}),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_a_zone_before_the_lung_of_a_side_is_that_sides_lobe(pipeline: Pipeline, name: str, text: str,
                                                              expected: dict[str, list[str]]) -> None:
    assert {k: sorted(v) for k, v in findings(pipeline, text).items()} == expected
