"""A clinical question written before the findings without an Indication header ("Fever; r/o abscess.") is
read as one: the findings answer it (guideline section 3 rule 1, "only as an indication to rule out with a
negative answer" is absent). A rule-out that qualifies a described finding stays hedged (present).

Reports written for this file.
"""

from __future__ import annotations

import pytest

from omop_nlp.model import Report
from omop_nlp.pipeline import Pipeline

MR, CT = "brain_mri", "chest_ct"

CASES = [
    ("answered-no", MR, "MR head.\nConfusion, fever; r/o abscess.\nNo abscess or other ring lesion.", {}),
    ("question-mark-answered-no", MR, "MR head.\nFall, ?bleed.\nNegative for intracranial haemorrhage.", {}),
    ("answered-yes", MR, "MR head.\nDysarthria; r/o stroke.\nSmall acute infarct in the left pons.",
     {"stroke_infarction": []}),
    ("chest-answered-no", CT, "CT thorax.\nCough, weight loss; r/o mass.\nNo lung mass. No effusion.", {}),
    # not the opening question: a described lesion, a finding seen before, or no answer in the report
    ("lesion-described", MR, "Enhancing lesion in the left cerebellum, r/o metastasis. No other metastasis.",
     {"metastasis": []}),
    ("after-a-finding", MR, "MR head.\nChronic infarct in the right thalamus.\nr/o abscess in the left frontal "
     "lobe.\nNo other abscess.", {"stroke_infarction": [], "infection_inflammation": []}),
    ("unanswered", MR, "r/o low grade glioma in the left insula.", {"glioma": []}),
    # a question mark with a blank after it asks about the words that follow; findings after it answer it
    ("spaced-question-mark-headed-answer", MR, "MRI brain.\nFits, ? Tuberculoma.\nFindings:\nNormal study.", {}),
    ("query-then-findings-naming-no-key", MR, "MRI brain.\nQuery metastases.\nNo enhancing lesion.", {}),
    ("spaced-question-mark-alone", MR, "? Glioma of the left insula.", {"glioma": []}),
    ("probable-is-no-question", MR, "MR head.\nProbable acute infarct in the right caudate. No haemorrhage.",
     {"stroke_infarction": []}),
]


@pytest.mark.parametrize(("name", "modality", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_opening_question(pipeline: Pipeline, name: str, modality: str, text: str, expected: dict) -> None:
    assert pipeline.extract(Report("t", text, modality)).findings_json() == expected
