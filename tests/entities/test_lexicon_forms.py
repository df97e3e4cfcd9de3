"""Lexicon forms of writers the first rules were not written from (issue 13 item 5): generic nouns of
English-as-a-second-language writers ("nodular image", "fibrotic tracts"), the adjective after its noun
("pattern reticular"), a zone word whose side is "both lungs" or "both sides" later in the phrase ("dorsobasal
on both sides"), and finding words inside
names that are no finding ("PE protocol", "tumour board", "spread of tumour"); "PE" is the pulmonary embolism.

Reports written for this file.
"""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline

CASES = [
    ("nodular-image", "Nodular image of 9 mm in the left lower lobe.", {"nodule": ["lll"]}),
    ("fibrotic-tracts", "Fibrotic tracts in the right upper lobe, sequelae.", {"fibrosis": ["rul"]}),
    ("noun-then-adjective", "Interstitial pattern reticular in the right lower lobe.",
     {"interstitial_thickening": ["rll"]}),
    ("image-then-adjective", "Image nodular of 6 mm in the lingula.", {"nodule": ["lingula"]}),
    ("zone-then-both-lungs", "Reticulation of apical predominance in both lungs.",
     {"interstitial_thickening": ["bul"]}),
    ("zone-both-lungs-other-sentence", "Honeycombing, basal. Emphysema in both lungs.", {"fibrosis": []}),
    ("dystelectasis", "Dystelectatic bands in the lingula and left basal dystelectasis.",
     {"atelectasis": ["lingula", "lll"]}),
    ("sub-pleural-sparing", "Fine reticulation with sub pleural sparing in the left lower lobe.",
     {"interstitial_thickening": ["lll"]}),
    ("dorsobasal-both-sides", "Honeycombing, dorsobasal on both sides.", {"fibrosis": ["bll"]}),
    ("zone-both-sides-other-sentence", "Honeycombing, basal. Scarring on both sides.",
     {"fibrosis": ["left_lung", "right_lung"]}),
    ("exam-name", "CT PULMONARY ANGIOGRAM, PE PROTOCOL\nNo consolidation.", {}),
    # "PE" in a chest CT is the pulmonary embolism, never a pleural effusion
    ("pe-in-a-title", "CT ANGIOGRAM - PE - NIGHT READ\nLungs clear.", {}),
    ("pe-with-infarct", "Segmental PE in the left lower lobe with a small wedge of consolidation.",
     {"consolidation": ["lll"]}),
    # "nodularity" names nodules only where its sentence places it in the lung; else it is the quality of what it
    # is said of (a pleural rind)
    ("nodularity-without-a-lung-place", "Nodular pleural thickening. A benign cause is less likely given the "
     "nodularity.", {"pleural_thickening": []}),
    ("nodularity-in-a-lobe", "Clustered nodularity in the left lower lobe.", {"nodule": ["lll"]}),
    ("meeting-name", "Summary for the thoracic tumour board.\nLungs clear.", {}),
    ("tumour-spread", "Septal thickening in the left lung from lymphangitic spread of tumour.",
     {"interstitial_thickening": ["left_lung"]}),
    # the parietal pleura thickened around an empyema: pleural thickening, named by the sign or by the layer
    ("split-pleura-sign", "Loculated right pleural fluid with the split pleura sign.",
     {"pleural_effusion": [], "pleural_thickening": []}),
    ("thickened-parietal-layer", "Thickening of the parietal pleura on the left.", {"pleural_thickening": []}),
    # the Romance noun for a tumour, and a thickening named before the septa it thickens
    ("neoplasia", "Spiculated lesion in the left lower lobe, suggestive of a primary neoplasia.",
     {"mass": ["lll"]}),
    ("thickening-of-the-septa", "Diffuse thickening of the interlobular septa in the right lung.",
     {"interstitial_thickening": ["right_lung"]}),
    # a Spanish indication heading asks, it reports no finding
    ("diagnostic-orientation-heading", "Diagnostic orientation: pulmonary neoplasia in control.\nFindings:\n"
     "Lungs without alterations.", {}),
    ("round-pneumonia", "Round pneumonia in the right lower lobe.", {"consolidation": ["rll"]}),
    ("meeting-named-after-the-cancer", "THORACIC LUNG CANCER MDT REVIEW\nNo pulmonary nodules.", {}),
    ("reason-of-study-heading", "Reason of study: bronchiectasis in follow-up.\nReport:\nNo nodules.", {}),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_lexicon_forms(pipeline: Pipeline, name: str, text: str, expected: dict[str, list[str]]) -> None:
    assert findings(pipeline, text) == expected
