"""Denials in the passive voice of Russian-school English (guideline section 2 rule 1, section 3 rule 1): a finding
"is not revealed", "is not determined" (also "now", of something seen before), and the course words "negative /
positive dynamics", "without (significant) dynamics", which name a change, not an absence. Sentences written for
this file."""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline

CT, MR = "chest_ct", "brain_mri"


@pytest.mark.parametrize(("modality", "text", "expected"), [
    (CT, "Pleural effusion is not revealed.", {}),
    (CT, "Bronchiectases in both lungs are not revealed.", {}),
    (CT, "Thickening of the interlobular septa is not determined.", {}),
    (CT, "The known left-sided hydrothorax is not determined now.", {}),
    (CT, "Pleural fluid is not determined. In the right upper lobe a nodule of 5 mm.", {"nodule": ["rul"]}),
    (MR, "Microbleeds are not revealed on SWI.", {}),
    (MR, "Signs of meningitis (leptomeningeal enhancement) are not determined.", {}),
    (MR, "The previously seen abscess of the right frontal lobe is not visualized now.", {}),
    (MR, "Known PCNSL, compared with the prior study. New foci of enhancement are not determined; the thalamic "
         "lymphoma decreased.", {"lymphoma": ["improvement"]}),
    # a course word is no denial of the finding it follows or precedes
    (CT, "Conclusion: peripheral cancer of the left upper lobe, negative dynamics.", {"mass": ["lul"]}),
    (MR, "Known glioblastoma, after chemoradiation. Without significant dynamics: residual tumour along the cavity.",
     {"glioma": ["stable"]}),
])  # fmt: skip
def test_passive_denials(pipeline: Pipeline, modality: str, text: str, expected: dict[str, list[str]]) -> None:
    assert findings(pipeline, text, modality) == expected
