"""Shorthand of busy readers (issue 13): lesion words cut short ("nod", "cons", "atx", "eff"), "pulm" as the lung's
word, "PNA" / "PTX" as nouns of no key, and a protocol named after a diagnosis in an
examination title; Lung-RADS and neuro shorthand (PSN, SSN, pGGN, CMBs, IPH). A short form that is also a word of
another language ("con", the Spanish "with") is no term.

Reports written for this file.
"""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline

CT_CASES = [
    ("nod", "8mm LUL nod, solid.", {"nodule": ["lul"]}),
    ("nods-plural", "Scattered micronods BLL.", {"nodule": ["bll"]}),
    ("pulm-nods", "Innumerable pulm nods b/l.", {"nodule": ["left_lung", "right_lung"]}),
    ("cons", "Dense cons LLL.", {"consolidation": ["lll"]}),
    ("consol", "Patchy consol in the RML.", {"consolidation": ["rml"]}),
    ("atx", "Plate atx R base.", {"atelectasis": ["rll"]}),
    ("atel", "Linear atel RUL.", {"atelectasis": ["rul"]}),
    ("eff", "Small L eff.", {"pleural_effusion": []}),
    ("effs", "Mod b/l effs.", {"pleural_effusion": []}),
    ("pericardial-eff", "Trace pericardial eff. Lungs clear.", {}),
    ("spanish-con", "TC DE TORAX CON CONTRASTE\nLungs clear.", {}),
    ("pna-no-key", "RML/RLL PNA. ?LUL atx.", {"atelectasis": ["lul"]}),
    ("psn-two-keys", "9mm PSN in the LUL, solid part 3mm.", {"ggo": ["lul"], "nodule": ["lul"]}),
    ("ssn", "Tiny SSN RML.", {"ggo": ["rml"]}),
    ("pggn", "pGGN LLL, 7mm.", {"ggo": ["lll"]}),
    ("pl-plaques", "Few calcified pl plaques on the left.", {"pleural_thickening": []}),
]


@pytest.mark.parametrize(("name", "text", "expected"), CT_CASES, ids=[c[0] for c in CT_CASES])
def test_chest_shorthand(pipeline: Pipeline, name: str, text: str, expected: dict[str, list[str]]) -> None:
    assert findings(pipeline, text) == expected


MR_CASES = [
    ("ms-protocol", "MRI BRAIN W/WO - MS PROTOCOL\nNo demyelinating lesion.", {}),
    ("mets-protocol", "MR head, mets protocol.\nNo enhancing lesion.", {}),
    ("cmbs", "Scattered CMBs in both thalami.", {"hemorrhage_vascular": []}),
    ("iph", "Small L thalamic IPH.", {"hemorrhage_vascular": []}),
]


@pytest.mark.parametrize(("name", "text", "expected"), MR_CASES, ids=[c[0] for c in MR_CASES])
def test_brain_shorthand(pipeline: Pipeline, name: str, text: str, expected: dict[str, list[str]]) -> None:
    assert findings(pipeline, text, "brain_mri") == expected
