"""Guideline section 2 rules 2-5 on oncology follow-up wording (issue 13): a lobe that heads a procedure,
an airway or a finding that is no key is not the lesion's ("after right lower lobectomy", "the right lower
lobe bronchus", "with lingular post-obstructive pneumonia", "with mucous plugs in the left upper lobe"), but a
lesion in that airway is in that lobe; "the left upper lobe and lingula" lists two places; "in these areas"
refers back; "bilateral" in the impression adds no side to the findings' lobes.

Reports written for this file.
"""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline

CASES = [
    ("procedure-before-place", "Status after left upper lobectomy, with a band of scarring near the left hilum.",
     {"fibrosis": ["left_lung"]}),
    ("airway-head", "The left hilar mass now narrows the left lower lobe bronchus, with new collapse of the "
     "left lower lobe.", {"mass": ["left_lung"], "atelectasis": ["lll"]}),
    ("non-key-head-with-modifier", "Enlarging RUL mass with new right middle lobe postobstructive pneumonia and "
     "a small left effusion.", {"mass": ["rul"], "pleural_effusion": []}),
    ("lesion-in-an-airway", "Small polypoid tumour within the right upper lobe bronchus.", {"mass": ["rul"]}),
    # a main bronchus belongs to no lobe: it gives the lung of its side, as a hilum does
    ("lesion-in-a-main-bronchus", "Endobronchial tumour blocking the right main bronchus.", {"mass": ["right_lung"]}),
    ("main-bronchus-before-lesion", "Left mainstem bronchus mass, 3 cm.", {"mass": ["left_lung"]}),
    ("mucus-plugging-after-a-placed-lesion", "Bronchial wall thickening in both lungs, with mucous plugs in the "
     "left upper lobe.", {"bronchial_wall_thickening": ["left_lung", "right_lung"]}),
    ("lobe-and-lingula", "Radiation fibrosis in the left upper lobe and lingula.", {"fibrosis": ["lingula", "lul"]}),
    ("lingular-segment", "Nodule in the LUL lingular segment.", {"nodule": ["lingula"]}),
    ("these-areas", "Consolidation in the right middle lobe and lingula.\nBronchiectasis in these areas as well.",
     {"consolidation": ["lingula", "rml"], "bronchiectasis": ["lingula", "rml"]}),
    ("calcified-in-coordination", "Scarring and calcified granulomas in the left upper lobe.",
     {"fibrosis": ["lul"], "nodule": ["lul"]}),
    ("distribution-of-all", "Bilateral peripheral ground-glass opacity with fine reticulation, seen mainly in "
     "the upper lobes.", {"ggo": ["bul"], "interstitial_thickening": ["bul"]}),
    ("distribution-keeps-own-lobe", "Nodule in the RUL and consolidation mainly in the LLL.",
     {"nodule": ["rul"], "consolidation": ["lll"]}),
    ("impression-summary-adds-no-sides", "Findings: Bronchiectasis in the right middle lobe and left lower lobe.\n"
     "Impression: Bilateral bronchiectasis, unchanged.", {"bronchiectasis": ["lll", "rml"]}),
    ("findings-both-lungs-stay", "Findings: Innumerable nodules in both lungs. A new nodule in the left lower "
     "lobe and another in the right upper lobe.\nImpression: Bilateral pulmonary metastases, progressing.",
     {"nodule": ["left_lung", "lll", "right_lung", "rul"]}),
    # a place sentence that opens like a continuation ("One ...") but names an airway is not the last lesion's
    ("one-airway-is-no-continuation", "Impression: Mild emphysema with airway wall thickening.\nOne airway in the "
     "lower part of your left lung is a little wider than normal.", {"bronchial_wall_thickening": []}),
    # the last place of a run after a lesion heads the finding after it: the places before are the first lesion's
    ("last-place-heads-next-lesion", "Collapse of the left lower lobe and lingular consolidation.",
     {"atelectasis": ["lll"], "consolidation": ["lingula"]}),
    ("last-place-heads-no-key-finding", "Collapse of the right lower lobe and right middle lobe pneumonia.",
     {"atelectasis": ["rll"]}),
    ("run-without-a-head-stays-whole", "Scattered nodules in the right upper lobe and left lower lobe.",
     {"nodule": ["lll", "rul"]}),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_location_heads(pipeline: Pipeline, name: str, text: str, expected: dict[str, list[str]]) -> None:
    assert findings(pipeline, text) == expected
