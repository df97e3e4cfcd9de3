"""Guideline section 2 rules 2-3 in shorthand reads (issue 13): "w/" and "c/w" join lesions as "with" and
"consistent with" do; "UL" / "LL" after a side are its upper / lower lobe ("b/l LL"); "but" ends the phrase of
the place before it ("bronchiectasis BUL but also ..."); a place that heads a finding of no key written short
("RLL PNA", "pleural dz") is that finding's; a dash between blanks ends the place's phrase ("nodule in the LLL -
concerning for malignancy"). Sentences written for this file."""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline


@pytest.mark.parametrize(("text", "expected"), [
    ("Coarse reticulation w/ honeycombing BLL.", {"interstitial_thickening": ["bll"], "fibrosis": ["bll"]}),
    ("Dense RML opacity c/w atelectasis.", {"atelectasis": ["rml"]}),
    ("Passive atelectasis b/l LL.", {"atelectasis": ["bll"]}),
    ("Scattered nodules R UL.", {"nodule": ["rul"]}),
    ("Not only cylindrical bronchiectasis RML but also bronchial wall thickening LLL.",
     {"bronchiectasis": ["rml"], "bronchial_wall_thickening": ["lll"]}),
    ("IMP: RLL PNA. ?LUL atelectasis.", {"atelectasis": ["lul"]}),
    ("Left hilar mass w/ LUL collapse + pleural dz.", {"mass": ["left_lung"], "atelectasis": ["lul"]}),
    # a dash between blanks opens a clause: the place before it stays with the lesion before it
    ("Irregular nodule in the LLL - concerning for malignancy.", {"nodule": ["lll"], "mass": ["lll"]}),
    ("Lobulated nodule RML \u2013 probable adenocarcinoma.", {"nodule": ["rml"], "mass": ["rml"]}),
])  # fmt: skip
def test_location_shorthand(pipeline: Pipeline, text: str, expected: dict[str, list[str]]) -> None:
    assert findings(pipeline, text) == expected
