"""Bare zone words listed before the lung they belong to ("S4, S5 of the right lung", "S9 and S10 of both lungs")
are that lung's lobe (guideline section 2 rules 4 and 5; chest YAML `location_grammar.zone_list_links`); a list word
after a place of its own does not hand that place to the lung named later. A lobe of the side named inside a side's
run of zones, as an aside or a list item, stays itself and the run goes on ("left lung S4, S5 (lingula) and S9,
S10"). Sentences written for this file."""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline


@pytest.mark.parametrize(("text", "expected"), [
    ("In S4, S5 of the right lung an area of consolidation.", {"consolidation": ["rml"]}),
    ("Subpleural reticulation in S9 and S10 of both lungs.", {"interstitial_thickening": ["bll", "pleura"]}),
    ("In S1-2 of the left lung a solid nodule of 6 mm.", {"nodule": ["lul"]}),
    ("In S6, S10 of the left lung ground glass; the rest is clear.", {"ggo": ["lll"]}),
    # a place of its own before the list word keeps its own side
    ("Linear atelectasis in the lower lobes, and in the upper lobe of the left lung.", {"atelectasis": ["bll", "lul"]}),
    # a lobe of the side inside the run
    ("In the left lung S4, S5 (lingula) and S9 - varicose bronchiectasis.", {"bronchiectasis": ["lingula", "lll"]}),
    ("Scarring of the left lung (lingula, lower lobe).", {"fibrosis": ["lingula", "lll"]}),
    ("Right lung (upper lobe) - a solid nodule.", {"nodule": ["rul"]}),
])  # fmt: skip
def test_zone_lists(pipeline: Pipeline, text: str, expected: dict[str, list[str]]) -> None:
    assert findings(pipeline, text) == expected
