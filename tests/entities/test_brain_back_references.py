"""'The latter' / 'the former' ('this' / 'that' for the latter) dismissed or denied dismisses the diagnosis it
names (issue 13 item 8; guideline section 3 rule 1: named only as unlikely is absent). Sentences written here."""

from __future__ import annotations

import pytest

from omop_nlp.model import Report
from omop_nlp.pipeline import Pipeline


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Differential considerations include metastasis and abscess; the latter is less likely given "
                     "the absence of restricted diffusion.", {"metastasis": []}, id="latter-same-sentence"),
        pytest.param("Differential diagnosis: glioblastoma or lymphoma. The former is considered less likely.",
                     {"lymphoma": []}, id="former-previous-sentence"),
        pytest.param("DDx lymphoma or toxoplasmosis; the latter is favoured.",
                     {"lymphoma": [], "infection_inflammation": []}, id="latter-favoured-keeps-both"),
        pytest.param("Possible meningioma. The former is unlikely.", {"non_malignant_tumor": []},
                     id="former-without-two-names"),
        pytest.param("The differential would include lymphoma, but I think that is unlikely.", {},
                     id="that-is-unlikely"),
        pytest.param("Differential diagnosis had included abscess, but this is now felt unlikely.", {},
                     id="this-is-now-felt-unlikely"),
        pytest.param("Small right frontal meningioma. This is unchanged.", {"non_malignant_tumor": []},
                     id="this-not-dismissed"),
        pytest.param("DDx: abscess or cerebritis. Ring lesion; the latter is not excluded.",
                     {"infection_inflammation": []}, id="latter-not-excluded"),
    ],
)
def test_back_reference_dismissal(pipeline: Pipeline, text: str, expected: dict) -> None:
    assert pipeline.extract(Report("t", text, "brain_mri")).findings_json() == expected
