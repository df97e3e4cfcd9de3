"""Guideline section 2 rules 2-3 for lesions said together (issue 13): a lesion said "with" a placed one shares its
place both ways ("X with Y in the LLL"); a place bound to the last lesion ("collapse of the LLL") is not the one of a
lesion that names its own ("left hilar mass"); a suspected cancer takes the place of the lesion it names ("LUL
nodule; adenocarcinoma cannot be excluded"), the last placed one where those right before it have none; an adjective
lesion word takes the place of the lesion it describes ("part-solid LUL nodule"); the impression's companions ("with
tree-in-bud") add no place to a key that the findings placed; a run of dictation is not one phrase ("nodule in the
LUL no effusion"); a place that the finding spares is not its place ("the upper lobes are spared", "sparing the
lingula").

Reports written for this file.
"""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline

CASES = [
    ("companion-placed-after", "Septal thickening with early traction bronchiectasis in the right lower lobe.",
     {"interstitial_thickening": ["rll"], "bronchiectasis": ["rll"]}),
    ("companion-after-other-finding", "Dense consolidation with volume loss and bronchiectasis in the lingula.",
     {"consolidation": ["lingula"], "bronchiectasis": ["lingula"]}),
    # the places of a finding of no key ("subpleural bands in ...") are all the lesion's that explains it, and none
    # of a lesion that names its own
    ("places-of-the-finding-explained", "Thin subpleural bands in the right lower lobe, consistent with scarring.",
     {"fibrosis": ["pleura", "rll"]}),
    ("places-of-another-finding", "Subpleural opacities in both upper lobes and a nodule in the left lower lobe.",
     {"nodule": ["lll"]}),
    # Korean "원위부" (the distal part): the finding beyond a lesion lies in that lesion's lobe
    ("distal-part-korean", "LLL 결절 원위부 atelectasis.", {"nodule": ["lll"], "atelectasis": ["lll"]}),
    ("superimposed-companion", "Hazy ground-glass with superimposed reticulation in both upper lobes.",
     {"ggo": ["bul"], "interstitial_thickening": ["bul"]}),
    ("fine-in-coordination", "Ground-glass attenuation and fine reticulation in the lower lobes, subpleural sparing.",
     {"ggo": ["bll"], "interstitial_thickening": ["bll"]}),
    ("companion-after-comma-keeps-its-own", "Ground-glass in the RUL, and a nodule in the LLL.",
     {"ggo": ["rul"], "nodule": ["lll"]}),
    ("hilar-mass-with-lobe-collapse", "A right hilar mass with collapse of the right middle lobe.",
     {"mass": ["right_lung"], "atelectasis": ["rml"]}),
    ("unplaced-lesions-share-of-place", "Consolidation and collapse of the left lower lobe.",
     {"consolidation": ["lll"], "atelectasis": ["lll"]}),
    ("cancer-restates-the-mass", "Impression: Right hilar mass with right upper lobe collapse, probably a "
     "bronchogenic carcinoma.", {"mass": ["right_lung"], "atelectasis": ["rul"]}),
    ("cancer-names-the-nodule", "Lobulated nodule in the RML; this could be infective, but a carcinoma is not "
     "excluded.", {"nodule": ["rml"], "mass": ["rml"]}),
    ("cancer-without-lesion-placed", "Adenocarcinoma is suspected.", {"mass": []}),
    ("cancer-past-an-unplaced-background", "Spiculated right upper lobe nodule within a fibrotic lung, worrisome for "
     "a bronchogenic carcinoma.", {"nodule": ["rul"], "fibrosis": [], "mass": ["rul"]}),
    # the lesions right before the cancer have no place: it names the last placed one ("lesion" is no key)
    ("cancer-past-unplaced-companions", "Right upper lobe cavity with adjacent consolidation and small satellite "
     "nodules; the differential comprises an abscess, a mycobacterial infection and a cavitating carcinoma.",
     {"consolidation": ["rul"], "nodule": [], "mass": ["rul"]}),
    ("part-solid-lobe-nodule", "A 9 mm part-solid right lower lobe nodule.", {"ggo": ["rll"], "nodule": ["rll"]}),
    ("impression-companion-keeps-findings-place",
     "Findings: Tree-in-bud nodules in the left lower lobe. Bronchiectasis of the LLL and lingula.\n"
     "Impression: Bronchiectasis of the LLL and lingula with tree-in-bud nodules.",
     {"nodule": ["lll"], "bronchiectasis": ["lingula", "lll"]}),
    ("impression-companion-places-when-findings-do-not",
     "Findings: Scattered tree-in-bud nodules.\nImpression: RML bronchiectasis with tree-in-bud nodules.",
     {"nodule": ["rml"], "bronchiectasis": ["rml"]}),
    ("spared-place-after", "Centrilobular nodules in the right middle lobe, the lower lobes are spared.",
     {"nodule": ["rml"]}),
    ("sparing-place", "Patchy consolidation of the left lung, sparing the lingula.", {"consolidation": ["left_lung"]}),
    ("dictation-denial-starts-a-phrase", "findings: a 5 mm nodule in the left upper lobe no effusion",
     {"nodule": ["lul"]}),
    # a lesion word in parentheses after the place restates the lesions before it and takes none of their place
    ("lesion-aside-after-the-place", "Patchy ground-glass opacity with septal thickening in the lingula (crazy "
     "paving).", {"ggo": ["lingula"], "interstitial_thickening": ["lingula"]}),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_location_companions(pipeline: Pipeline, name: str, text: str, expected: dict[str, list[str]]) -> None:
    assert findings(pipeline, text) == expected
