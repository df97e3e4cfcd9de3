"""Guideline section 2 rule 10: lung keys only from lung findings (issue 13 item 1).

Reports written for this file.
"""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline

OTHER_ORGAN = [
    ("organ-before", "Incidental 14 mm right adrenal nodule, lipid rich."),
    ("organ-before-plural", "Two tiny hypodense hepatic nodules near the dome."),
    ("skin", "Small subcutaneous nodule over the left posterior back."),
    ("breast", "Irregular 2 cm left breast mass."),
    ("sided-chest-wall", "Soft tissue mass of the right chest wall, 4 cm."),
    ("organ-after-link", "There is a 7 mm nodule in the right lobe of the thyroid."),
    ("organ-after-link-modifiers", "Lobulated mass within the anterior superior mediastinum."),
    ("vertebral-level", "Sclerotic nodule in T9, likely a bone island."),
    ("spleen", "Several calcified granulomas in the spleen."),
    ("organ-after-at", "A 9 mm hypodense nodule at the left thyroid lobe."),
    ("abdomen-heading", "CHEST:\nLungs clear.\nUPPER ABDOMEN:\nA 1 cm nodule in the left adrenal, unchanged."),
    ("bones-heading", "BONES: Expansile mass of the right fifth rib."),
    ("thyroid-heading", "THYROID: Enlarged with several nodules, the largest 12 mm."),
]


@pytest.mark.parametrize(("name", "text"), OTHER_ORGAN, ids=[c[0] for c in OTHER_ORGAN])
def test_other_organs_give_no_lung_key(pipeline: Pipeline, name: str, text: str) -> None:
    assert findings(pipeline, text) == {}


LUNG = [
    ("organ-then-lung-finding", "Hepatic cyst and a 5 mm nodule in the RML.", {"nodule": ["rml"]}),
    ("organ-sentence-before", "The thyroid is unremarkable. 6 mm nodule in the LUL.", {"nodule": ["lul"]}),
    ("organ-after-comma", "Nodule in the RLL, separate from the liver.", {"nodule": ["rll"]}),
    ("cancer-history-then-lung", "Breast cancer. Numerous nodules in the right lung.", {"nodule": ["right_lung"]}),
    ("lung-heading-after-organ-heading",
     "UPPER ABDOMEN: Small renal cyst.\nLUNGS: 4 mm nodule in the RUL.", {"nodule": ["rul"]}),
    # a lesion named as the lung's after an organ word stays the lung's
    ("lung-word-after-organ", "Several calcified hilar and paratracheal pulmonary nodules, old granulomas.",
     {"nodule": []}),
    ("lung-word-between", "Small paramediastinal lung nodule abutting the aorta.", {"nodule": []}),
]


@pytest.mark.parametrize(("name", "text", "expected"), LUNG, ids=[c[0] for c in LUNG])
def test_lung_findings_next_to_other_organs_stay(pipeline: Pipeline, name: str, text: str, expected: dict) -> None:
    assert findings(pipeline, text) == expected


SUBJECT_AND_LABEL = [
    ("organ-subject", "The thyroid gland is enlarged with several nodules.", {}),
    ("subject-ends-at-and", "The heart is normal in size and a nodule is seen in the RML.", {"nodule": ["rml"]}),
    ("organ-subject-after-number", "2. Thyroid right lobe 9 mm calcified nodule.", {}),
    ("label-value-organ", "Known primary: left breast carcinoma.", {}),
    ("organ-far-after-link", "Spiculated mass in the lower inner quadrant of the right breast.", {}),
    ("subject-ends-at-comma", "Liver unremarkable, small nodule in the RLL.", {"nodule": ["rll"]}),
    # the organ named with its anatomical noun labels the line: "Right adrenal gland: ..."
    ("organ-gland-label", "Right adrenal gland: 2 cm nodule, probably benign.", {}),
    ("organ-gland-label-after-lung", "5 mm nodule in the LLL. Left adrenal gland: 1 cm nodule.", {"nodule": ["lll"]}),
]


@pytest.mark.parametrize(("name", "text", "expected"), SUBJECT_AND_LABEL, ids=[c[0] for c in SUBJECT_AND_LABEL])
def test_organ_as_subject_or_label(pipeline: Pipeline, name: str, text: str, expected: dict) -> None:
    assert findings(pipeline, text) == expected


def test_unknown_heading_ends_an_organ_section(pipeline: Pipeline) -> None:
    text = "BONES: Old healed rib fracture.\nLUNG WINDOWS: 5 mm nodule in the LUL.\nUPPER ABDOMEN: 8 mm renal nodule."
    assert findings(pipeline, text) == {"nodule": ["lul"]}
