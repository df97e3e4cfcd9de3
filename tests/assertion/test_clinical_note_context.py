"""Imaging results inside clinicians' notes (the corpus `emr` style): a disease the clinician names in the
course, history or diagnosis lines is clinical context, neither a finding nor a change of this examination; the
pasted imaging text decides (guideline: history and indication are no findings; the corpus `emr` choices).
Sentences written for this file."""

from __future__ import annotations

import pytest

from omop_nlp.model import Report
from omop_nlp.pipeline import Pipeline

CT, MR = "chest_ct", "brain_mri"

NOTES = [
    ("ct-course-is-history", CT,
     "Hospital course: admitted with a right pneumothorax and effusion, drained.\nPertinent imaging:\n"
     "CT chest 3/3: no pleural effusion. Mild emphysema.", {}),
    ("ct-diagnoses-are-context", CT,
     "Pertinent imaging:\nCT chest 1/2: scattered bronchiectasis in both lower lobes.\nDischarge diagnoses:\n"
     "1. Cystic fibrosis exacerbation.\n2. Lung abscess, treated.", {"bronchiectasis": ["bll"]}),
    ("mr-remission-in-subject-line", MR,
     "Re: Mrs P, PCNSL in complete remission after chemotherapy.\nMRI brain (2/2): a new enhancing lesion in the "
     "left thalamus, in keeping with relapse of lymphoma.", {"lymphoma": ["progression"]}),
    ("mr-improvement-in-course", MR,
     "Hospital course: fever and right weakness, better on antimicrobials with clinical improvement.\n"
     "Pertinent imaging:\nMRI brain 5/5: ring-enhancing lesions in the thalami; abscesses favoured, lymphoma not "
     "excluded.", {"infection_inflammation": [], "lymphoma": []}),
    ("mr-treated-metastases-in-course", MR,
     "Hospital course: 55M with lung cancer brain metastases, SRS to the right parietal lesion last year, improved "
     "on steroids.\nPertinent imaging:\nMRI brain 6/6:\n1. Growing enhancement at the right parietal SRS site, most "
     "likely radiation necrosis rather than recurrent metastasis.\n2. No new metastases.", {"metastasis": []}),
]


@pytest.mark.parametrize(("name", "modality", "text", "expected"), NOTES, ids=[n[0] for n in NOTES])
def test_clinical_note_context(pipeline: Pipeline, name: str, modality: str, text: str,
                               expected: dict[str, list[str]]) -> None:
    assert pipeline.extract(Report("t", text, modality)).findings_json() == expected


def test_a_finding_of_the_earlier_date_only_is_gone(pipeline: Pipeline) -> None:
    """A note with two dated results: the earlier is the comparison, so its effusion, gone on the later, is no
    finding; the mass of both dates is (corpus `emr` choice: the latest-dated study is the examination)."""
    text = ("Tumour board\nCT chest 2/3: LUL mass 4 cm and a small left pleural effusion.\nCT chest 6/9: the LUL "
            "mass now measures 3 cm. The left effusion is no longer seen.\nPlan: continue treatment.")
    assert pipeline.extract(Report("t", text, CT)).findings_json() == {"mass": ["lul"]}
