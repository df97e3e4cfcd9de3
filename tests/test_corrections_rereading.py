"""A clinician's re-reading of the images corrects the report the letter quotes (corpus README, `ltr` choice: the
clinician's verdict wins): a sentence opening "Having reviewed the images ..." (``review_openings``) with a
correction cue withdraws the finding it rejects, and the finding it names instead takes the rejected one's places
where it gives none of its own. Reports written for this file."""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline

CASES = [
    ("relabelled-takes-the-place",
     "CT chest: the report raised a possible 6 mm nodule in the right middle lobe. Having reviewed the images with "
     "our radiologist, we think this is a band of scarring rather than a true nodule.", {"fibrosis": ["rml"]}),
    ("rejected-for-no-finding",
     "CT chest: a possible 5 mm nodule in the left upper lobe was reported. On review of the images, this is a "
     "vessel seen end-on rather than a nodule.", {}),
    ("own-place-kept",
     "CT chest: a possible mass in the left upper lobe was described. Having reviewed the scan, I think this is "
     "left lower lobe consolidation rather than a mass.", {"consolidation": ["lll"]}),
    ("no-cue-no-correction",
     "CT chest: 6 mm nodule in the left lower lobe. Having reviewed the images, I agree with the report.",
     {"nodule": ["lll"]}),
    ("other-findings-kept",
     "CT chest: small right pleural effusion and a possible nodule in the lingula. Having reviewed the images, the "
     "opacity is linear atelectasis rather than a nodule.", {"pleural_effusion": [], "atelectasis": ["lingula"]}),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_rereading_corrects(pipeline: Pipeline, name: str, text: str, expected: dict[str, list[str]]) -> None:
    assert findings(pipeline, text) == expected
