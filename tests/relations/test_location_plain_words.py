"""Guideline section 2 rules 2 and 9 in the words of other writers (issue 13): a patient summary's "the top / bottom
(part) of your left lung" is its upper / lower lobe, "the middle part of your right lung" its middle lobe; a lesion
"around" a placed one lies in its place ("ground glass around the mass in the LUL"); a suspected "neoplasia" takes
the place of the lesion it names; a count-and-compare follow-up's "The remaining three ...: RML ..., lingula ..."
places the lesions counted before it. Sentences written for this file."""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline


@pytest.mark.parametrize(("text", "expected"), [
    ("There is a little scarring at the top of your right lung.", {"fibrosis": ["rul"]}),
    ("Part of the bottom of your left lung has collapsed; this is atelectasis.", {"atelectasis": ["lll"]}),
    ("A small spot (nodule) in the lower part of the right lung.", {"nodule": ["rll"]}),
    ("Some scarring (fibrosis) at the very top of both lungs.", {"fibrosis": ["bul"]}),
    ("An area of consolidation in the middle part of your right lung.", {"consolidation": ["rml"]}),
    ("Faint ground-glass opacity around the mass in the left upper lobe.", {"ggo": ["lul"], "mass": ["lul"]}),
    ("Patchy consolidation in the lower portion of the left lung.", {"consolidation": ["lll"]}),
    ("Irregular nodular image in the left inferior lobe, with lobulated contours, suspicious of a primary neoplasia.",
     {"nodule": ["lll"], "mass": ["lll"]}),
    ("Four nodules were seen before; one has resolved. The remaining three are smaller: right middle lobe 5 mm, "
     "lingula 3 mm and left lower lobe 4 mm.", {"nodule": ["lingula", "lll", "rml"]}),
    ("Nodule in the RUL. The remaining right lung is clear.", {"nodule": ["rul"]}),
])  # fmt: skip
def test_location_plain_words(pipeline: Pipeline, text: str, expected: dict[str, list[str]]) -> None:
    assert findings(pipeline, text) == expected
