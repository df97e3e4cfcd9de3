"""Brain MRI episodes and diagnoses across sentences (issue 13 items 6-8). Reports written for this file."""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline

CASES = [
    # growth that the impression puts down to treatment is no progression
    ("impression-blames-treatment",
     "FINDINGS: Known glioblastoma. The enhancement along the left temporal cavity has increased.\n"
     "IMPRESSION: Appearance favors pseudoprogression following chemoradiation.", {"glioma": []}),
    ("inline-impression-blames-treatment",
     "Treated metastasis in the right occipital lobe, now larger. Impression: most consistent with radiation "
     "necrosis rather than recurrence.", {"metastasis": []}),
    ("impression-states-progression-too",
     "FINDINGS: Metastases. The right parietal lesion has grown, likely radiation necrosis.\n"
     "IMPRESSION: Radiation necrosis at the right parietal site. New left cerebellar metastasis.",
     {"metastasis": ["progression"]}),
    # "unchanged" then "no new lesions" is stable
    ("unchanged-then-no-new", "Known metastatic disease. The left frontal metastasis is unchanged. No new lesions.",
     {"metastasis": ["stable"]}),
    # a differential dismissed later in the report is no diagnosis
    ("dismissed-differential",
     "Ring-enhancing mass, DDx abscess or lymphoma. Lymphoma and glioma are considered less likely.",
     {"infection_inflammation": []}),
    ("doubt", "Small diffusion bright focus in the pons, I doubt acute infarct.", {}),
    ("considered-but-unlikely", "Schwannoma was considered but is unlikely given the location.", {}),
    ("negation-spans-hedge", "No enhancing foci worrisome for metastatic disease.", {}),
    # a history line names a cancer that the impression denies in the brain
    ("history-denied-by-impression", "Hx: Melanoma. Surveillance.\nIMPRESSION: No evidence of brain metastases.", {}),
    ("history-kept-with-no-new", "HISTORY: brain metastases after SRS.\nIMPRESSION: No new metastasis.",
     {"metastasis": []}),
    # a history line scopes its own line only: the findings below it are of this examination
    ("history-line-scope", "Hx: Headache.\nAcute infarct in the left caudate.", {"stroke_infarction": []}),
    ("newly-diagnosed-is-no-change", "Newly diagnosed lung carcinoma, staging. Two enhancing metastases.",
     {"metastasis": []}),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_episodes_and_diagnoses_across_sentences(pipeline: Pipeline, name: str, text: str, expected: dict) -> None:
    assert findings(pipeline, text, "brain_mri") == expected
