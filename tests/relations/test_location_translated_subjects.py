"""Chest CT places of machine-translated reports (corpus README, `mtr` choices): a place that opens the sentence
before "see" (the Chinese 见 word by word) is the subject of the sentence: the lesion right after it takes it, and
so does every later lesion of the sentence that names no place of its own; a sentence that names a finding of no
key ("emphysema") places that finding, not the lesion of the sentence before it. Reports written for this file."""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline

CASES = [
    ("see-heads-the-sentence", "Right lung upper lobe see a cord-like shadow and a few calcified nodules.",
     {"fibrosis": ["rul"], "nodule": ["rul"]}),
    ("see-and-a-later-own-place", "Double lung see multiple nodules, the largest at right lung lower lobe, 9 mm.",
     {"nodule": ["left_lung", "right_lung", "rll"]}),
    ("a-later-lesion-keeps-its-place", "Left lung lower lobe see reticulation; right lung middle lobe nodule.",
     {"interstitial_thickening": ["lll"], "nodule": ["rml"]}),
    ("see-not-after-a-place", "We see a nodule in the lingula and scarring.",
     {"nodule": ["lingula"], "fibrosis": []}),
    ("emphysema-is-its-own-finding", "The bronchial walls are thickened in the lingula.\n"
     "It is observed paraseptal emphysema in the upper lobes.", {"bronchial_wall_thickening": ["lingula"]}),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_a_place_before_see_heads_its_sentence(pipeline: Pipeline, name: str, text: str,
                                              expected: dict[str, list[str]]) -> None:
    assert findings(pipeline, text) == expected
