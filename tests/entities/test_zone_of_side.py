"""A lung zone named before its side ("the lower lobe of the right lung") is that side's zone (Chinese-hospital
English and some British writers); sentences written for this file."""

from __future__ import annotations

import pytest

from omop_nlp.model import Report
from omop_nlp.pipeline import Pipeline


@pytest.mark.parametrize(("text", "expected"), [
    ("Patchy consolidation in the lower lobe of the right lung.", {"consolidation": ["rll"]}),
    ("A 5 mm nodule in the upper lobe of left lung.", {"nodule": ["lul"]}),
    ("Linear atelectasis in the middle lobe of the right lung.", {"atelectasis": ["rml"]}),
    ("Ground-glass opacity in the lower lobes of both lungs.", {"ggo": ["bll"]}),
    ("Nodule in the left upper lobe; the right lung is clear.", {"nodule": ["lul"]}),
])  # fmt: skip
def test_zone_before_its_side(pipeline: Pipeline, text: str, expected: dict[str, list[str]]) -> None:
    assert pipeline.extract(Report("t", text, "chest_ct")).findings_json() == expected


@pytest.mark.parametrize(("text", "expected"), [
    # a zone word that opens the next sentence is not the whole lung's before the full stop
    ("Reticulation in both lungs. Perihilar ground-glass opacity.", {"interstitial_thickening": ["left_lung",
                                                                                                "right_lung"],
                                                                     "ggo": []}),
    ("Small nodule in the left lung. Basal atelectasis.", {"nodule": ["left_lung"], "atelectasis": []}),
    # ... while a side word's own abbreviation dot still joins its zone
    ("Lt. base atelectasis.", {"atelectasis": ["lll"]}),
])  # fmt: skip
def test_a_zone_of_the_next_sentence_stays_there(pipeline: Pipeline, text: str, expected: dict[str, list[str]]) -> None:
    assert pipeline.extract(Report("t", text, "chest_ct")).findings_json() == expected
