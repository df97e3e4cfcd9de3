"""Brain MRI episodes in a clinician's letter that restates the scan (corpus README, `ltr` choices; guideline section
3 rules 2-3): a sentence that names no diagnosis and states no change of its own but puts a change down to treatment
("the reader favours pseudoprogression rather than true progression") speaks of the change said just before it; a
change word that heads a place phrase ("at the right parietal recurrence") names the known lesion, no change. Reports
written for this file."""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline

CASES = [
    ("comment-blames-the-change-before",
     "Diagnosis: glioblastoma, left frontal, after chemoradiation.\nImaging: MRI compared with the post-operative "
     "scan: more enhancement along the cavity wall. Our neuroradiologist favours pseudoprogression rather than true "
     "progression.", {"glioma": []}),
    ("own-change-not-a-comment",
     "Diagnosis: glioblastoma, left frontal, after chemoradiation.\nImaging: MRI compared with the last scan: more "
     "enhancement along the cavity wall. There is also a new nodule in the corpus callosum, favouring progression.",
     {"glioma": ["progression"]}),
    ("denied-change-is-stable-not-a-comment",
     "Diagnosis: metastatic melanoma to the brain.\nImaging: MRI compared with March: the left occipital metastasis "
     "is smaller. No progression elsewhere.", {"metastasis": ["improvement", "stable"]}),
    ("recurrence-as-the-site",
     "History: glioblastoma with a recurrence in 2025, on bevacizumab.\nImaging: MRI vs the last scan: less "
     "enhancement at the right parietal recurrence.", {"glioma": ["improvement"]}),
    ("recurrence-of-the-tumour-still-a-change",
     "History: glioblastoma treated in 2024.\nImaging: MRI vs the last scan: nodular enhancement at the recurrence "
     "of the tumour in the right parietal lobe.", {"glioma": ["progression"]}),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_letter_episode(pipeline: Pipeline, name: str, text: str, expected: dict[str, list[str]]) -> None:
    assert findings(pipeline, text, "brain_mri") == expected
