"""Guideline section 2 rule 10, the other way round: an organ word that only names a part of the lung, an
axial level or the pleura leaves a lung finding the lung's; an organ that heads its own line part drops it, and a
place word linked to an organ ("both lobes of the thyroid") is that organ's.

Reports written for this file (issue 13, writers of the `onc` and `esl` styles).
"""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline

LUNG = [
    ("mediastinal-surface", "A 5 mm nodule in the mediastinal aspect of the left upper lobe.", {"nodule": ["lul"]}),
    ("cardiac-border", "Patchy consolidation within the cardiac border of the middle lobe.",
     {"consolidation": ["rml"]}),
    ("vertebral-level-in-lobe", "Tiny nodule in the posterior segment at the level of the T6 vertebra.",
     {"nodule": []}),
    ("level-after", "Tiny calcified granuloma in the basal segment, T9 level.", {"nodule": []}),
    ("costal-pleura", "Calcified pleural plaques of the costal and diaphragmatic pleura.",
     {"pleural_thickening": []}),
    ("lung-word-before-organ", "Subpleural nodule in the lung apex next to the mediastinum.",
     {"nodule": ["pleura"]}),
    ("lung-finding-before-organ", "A 6 mm LLL nodule; small thyroid with a cyst.", {"nodule": ["lll"]}),
    ("organ-part-places-no-lung-lesion", "Nodule in the left lower lobe. Both lobes of the thyroid are small.",
     {"nodule": ["lll"]}),
]


@pytest.mark.parametrize(("name", "text", "expected"), LUNG, ids=[c[0] for c in LUNG])
def test_an_organ_word_naming_a_lung_part_keeps_the_lung_finding(pipeline: Pipeline, name: str, text: str,
                                                                 expected: dict[str, list[str]]) -> None:
    assert findings(pipeline, text) == expected


OTHER_ORGAN = [
    ("inline-organ-heading", "OTHER FINDINGS: Thyroid: 9 mm hypoechoic-appearing nodule in the isthmus."),
    ("inline-organ-heading-the", "Incidental: The adrenal: 12 mm nodule, lipid rich."),
    ("primary-elsewhere", "Primary: Testicular germ cell tumour, post chemotherapy."),
    ("primary-elsewhere-prostate", "Known prostatic carcinoma with bone metastases."),
    ("organ-then-level", "Sclerotic lesion of the T7 vertebral body."),
    ("described-organ-opens", "Enlarged heterogeneous thyroid with two small nodules."),
    ("goitre", "Retrosternal goitre with a calcified nodule."),
    # a place word linked to the organ after it is that organ's part, not both lungs
    ("both-lobes-of-an-organ", "Two colloid nodules in both lobes of the thyroid gland."),
    ("organ-part-opens", "Both lobes of liver contain small hypodense nodules."),
    # one side's part opens the sentence: "Right lobe of thyroid ..." (translated templates)
    ("one-lobe-of-an-organ-opens", "Right lobe of thyroid enlarged with a cystic nodule."),
    ("one-lobe-of-the-organ-opens", "Left lobe of the liver shows a small hypodense nodule."),
]


@pytest.mark.parametrize(("name", "text"), OTHER_ORGAN, ids=[c[0] for c in OTHER_ORGAN])
def test_an_organ_heading_its_line_part_gives_no_lung_key(pipeline: Pipeline, name: str, text: str) -> None:
    assert findings(pipeline, text) == {}
