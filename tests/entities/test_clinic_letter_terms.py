"""Words of clinic letters and of Southeast-Asian teaching-hospital reports (corpus README, `ltr` and `sea`
choices): a clinic, service or physician named after a finding is no finding of the scan; "fibrohazy densities"
are fibrosis; a reticulonodular pattern is reticulation and nodules at once. Every report here is written for this
file."""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline

CASES = [
    ("nodule-clinic-heading", "chest_ct", "Pulmonary Nodule Clinic - review letter\nCT chest: clear lungs.", {}),
    ("nodule-clinic-keeps-the-nodule", "chest_ct",
     "Seen in the nodule clinic. CT chest: the 5 mm nodule in the left lower lobe is unchanged.",
     {"nodule": ["lll"]}),
    ("ild-mdt", "chest_ct", "Discussed at the ILD MDT. CT: no fibrosis.", {}),
    ("fibrohazy", "chest_ct", "Fibrohazy densities are noted in the left upper lung field.", {"fibrosis": ["lul"]}),
    ("fibro-hazy-hyphen", "chest_ct", "Fibro-hazy densities in both upper lobes.", {"fibrosis": ["bul"]}),
    ("reticulonodular", "chest_ct", "Reticulonodular densities at the right upper lobe.",
     {"interstitial_thickening": ["rul"], "nodule": ["rul"]}),
    ("stroke-clinic", "brain_mri",
     "I saw her in the stroke clinic last week. MRI brain: normal study.\nDr X, Consultant Stroke Physician", {}),
    ("stroke-clinic-keeps-the-infarct", "brain_mri",
     "Stroke clinic review. MRI brain: small acute infarct in the left caudate.", {"stroke_infarction": []}),
]


@pytest.mark.parametrize(("name", "modality", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_letter_and_regional_words(pipeline: Pipeline, name: str, modality: str, text: str,
                                   expected: dict[str, list[str]]) -> None:
    assert findings(pipeline, text, modality) == expected
