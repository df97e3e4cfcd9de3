"""Chest CT phrases of machine-translated reports (corpus README, `mtr` choices): Chinese-template calques name
their key ("grinding glass" / "frosted glass" is ground glass, "bronchus expanded" is bronchiectasis), a finding
said with a verb after its noun ("the bronchial walls are thickened", "interlobular septum thickened") names the
key of its noun phrase, and "double lung" is both lungs. Every report here is written for this file.
"""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline

CASES = [
    ("grinding-glass", "Left lower lobe see patchy grinding glass density shadow.", {"ggo": ["lll"]}),
    ("frosted-glass-nodule-is-ggo-only", "A frosted glass nodule of 6 mm in the RML.", {"ggo": ["rml"]}),
    ("mixed-grinding-glass-is-part-solid", "Mixed grinding glass density nodule in the LLL, 12 mm.",
     {"ggo": ["lll"], "nodule": ["lll"]}),
    ("bronchus-expanded", "Right lower lobe local bronchus expanded.", {"bronchiectasis": ["rll"]}),
    ("bronchus-traction-expanded", "In the left lower lobe the bronchus traction expanded.",
     {"bronchiectasis": ["lll"]}),
    ("bronchial-walls-are-thickened", "The bronchial walls are thickened in the lingula.",
     {"bronchial_wall_thickening": ["lingula"]}),
    ("wall-thickening-of-the-bronchi", "Wall thickening of the bronchi in the right lower lobe.",
     {"bronchial_wall_thickening": ["rll"]}),
    ("septum-thickened", "Left lower lobe interlobular septum thickened.", {"interstitial_thickening": ["lll"]}),
    ("grid-like-coordinated", "Grid-like and honeycomb-like shadows in the RLL.",
     {"interstitial_thickening": ["rll"], "fibrosis": ["rll"]}),
    ("pleura-thickened", "Right side pleura thickened adhesion.", {"pleural_thickening": []}),
    ("double-lung", "Double lung see scattered nodules.", {"nodule": ["left_lung", "right_lung"]}),
    ("double-lung-lower-lobe", "Double lung lower lobe see consolidation.", {"consolidation": ["bll"]}),
    ("double-names-no-side-without-a-zone", "A double aortic arch; no nodules.", {}),
    ("high-density-shadow", "Left lung lower lobe see patchy high density shadow.", {"consolidation": ["lll"]}),
    ("high-density-shadow-of-the-liver", "Liver S6 see a high density shadow.", {}),
    ("liquid-density-shadow", "Left side pleural cavity see liquid density shadow.", {"pleural_effusion": []}),
    ("pleural-cavity-liquid", "Right pleural cavity see a small amount of liquid.", {"pleural_effusion": []}),
    ("no-liquid", "Both sides pleural cavity not see liquid.", {}),
    ("round-focus", "A pulmonary round focus of 7 mm in the lingula.", {"nodule": ["lingula"]}),
    ("lung-not-open", "Right lung middle lobe lung not open.", {"atelectasis": ["rml"]}),
    ("insufficient-expansion", "Left lower lobe insufficient expansion.", {"atelectasis": ["lll"]}),
    ("already-absorbed", "Original left lung upper lobe patchy high density shadow this time already absorbed.", {}),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_a_translated_phrase_names_its_key(pipeline: Pipeline, name: str, text: str,
                                           expected: dict[str, list[str]]) -> None:
    assert findings(pipeline, text) == expected
