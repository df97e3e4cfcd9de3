"""A negation of a feature related to another finding does not deny that finding (issue 13 item 8).

"No mass effect from the meningioma" denies the mass effect; the meningioma is there. Sentences
written for this file.
"""

from __future__ import annotations

import pytest

from omop_nlp.model import Report
from omop_nlp.pipeline import Pipeline


@pytest.mark.parametrize(
    ("modality", "text", "expected"),
    [
        ("brain_mri", "No oedema around the small parasagittal meningioma.", {"non_malignant_tumor": []}),
        ("brain_mri", "There is no enhancement of the chronic right pontine infarct.", {"stroke_infarction": []}),
        ("brain_mri", "No midline shift despite the large subdural haematoma.", {"hemorrhage_vascular": []}),
        # the stop does not end the negation over a list or a hedge after it
        ("brain_mri", "No hemorrhage within the cortex or infarct.", {}),
        ("brain_mri", "No lesions of the cortex suspicious for metastases.", {}),
        ("chest_ct", "No focal consolidation within the lungs or pleural effusion.", {}),
        ("chest_ct", "No change in size of the 5 mm RUL nodule.", {"nodule": ["rul"]}),
    ],
    ids=["around-the", "of-the", "despite", "list-after-stop", "hedge-after-stop", "chest-list", "chest-of-the"],
)
def test_negation_stops_before_a_related_finding(pipeline: Pipeline, modality: str, text: str, expected: dict) -> None:
    assert pipeline.extract(Report("t", text, modality)).findings_json() == expected


@pytest.mark.parametrize(
    "text",
    [
        "I do not see any haemorrhage and I do see a small meningioma along the falx.",
        "No acute abnormality other than a small parafalcine meningioma.",
    ],
    ids=["i-do-see", "other-than"],
)
def test_a_finding_set_apart_from_a_negation(pipeline: Pipeline, text: str) -> None:
    assert pipeline.extract(Report("t", text, "brain_mri")).findings_json() == {"non_malignant_tumor": []}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("No focal airspace disease, no effusion seen, tiny calcified granuloma in the left lung.",
         {"nodule": ["left_lung"]}),
        ("No pleural fluid identified, stable 6 mm nodule in the RML.", {"nodule": ["rml"]}),
        ("No consolidation or effusion is seen.", {}),
    ],
    ids=["seen-comma", "identified-comma", "verb-at-end"],
)
def test_negation_ends_at_the_verb_that_closes_it(pipeline: Pipeline, text: str, expected: dict) -> None:
    """'No effusion seen, nodule in the RUL': the denial ends with its verb; the nodule after it is there."""
    assert pipeline.extract(Report("t", text, "chest_ct")).findings_json() == expected
