"""Brain MRI change words in response templates and explanations (issue 13 item 7; guideline section
3 rules 2-4). Reports written for this file."""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline


def _findings(pipeline: Pipeline, text: str) -> dict[str, list[str]]:
    return findings(pipeline, text, "brain_mri")


CASES = [
    # --- a bare "response" names the assessment, not its direction
    pytest.param("RESPONSE ASSESSMENT - GLIOMA\nComparison: 2 months.\nResidual right insular tumour unchanged.\n"
                 "OVERALL RESPONSE: Stable disease.", {"glioma": ["stable"]}, id="response-label"),
    pytest.param("Metastases after SRS, compared with May. Excellent response of the right frontal lesion.",
                 {"metastasis": ["improvement"]}, id="qualified-response"),
    pytest.param("Known PCNSL, compared with the prior study. Lesions responding to methotrexate.",
                 {"lymphoma": ["improvement"]}, id="responding"),
    pytest.param("Known PCNSL on chemotherapy. Poor response: the callosal lesion is unchanged.",
                 {"lymphoma": ["stable"]}, id="poor-response-is-no-improvement"),
    # --- change in number and plain comparatives
    pytest.param("Known metastases, compared with prior. The metastases are more numerous.",
                 {"metastasis": ["progression"]}, id="more-numerous"),
    pytest.param("Known metastases, compared with prior. Fewer enhancing lesions than before.",
                 {"metastasis": ["improvement"]}, id="fewer"),
    pytest.param("Known lymphoma after chemotherapy. The lesion is bigger than before.",
                 {"lymphoma": ["progression"]}, id="bigger"),
    pytest.param("Known lymphoma after chemotherapy. The periventricular lesion is no longer enhancing.",
                 {"lymphoma": ["improvement"]}, id="no-longer-enhancing"),
    pytest.param("Brain MRI. No prior for comparison. Two enhancing masses, the bigger one right frontal, likely "
                 "metastases.", {"metastasis": []}, id="bigger-on-a-first-examination"),
    # --- a change of another finding is not the tumour's
    pytest.param("Known metastases. Compared with prior. New hydrocephalus. Metastases are stable.",
                 {"metastasis": ["stable"]}, id="new-hydrocephalus"),
    pytest.param("Known glioma. Compared with prior. New small infarct in the left thalamus. Tumour stable.",
                 {"glioma": ["stable"], "stroke_infarction": []}, id="new-infarct"),
    pytest.param("Known metastases. Compared with prior. Increased size of the right frontal meningioma. Metastases "
                 "unchanged.", {"metastasis": ["stable"], "non_malignant_tumor": []}, id="growing-meningioma"),
    # --- a response that lasts is no change from the prior examination
    pytest.param("Lymphoma follow-up, compared with 4 months ago. Durable complete remission, no enhancing lesion.",
                 {"lymphoma": ["stable"]}, id="durable-remission"),
    pytest.param("PCNSL after ASCT.\nImpression: Patient remains in complete remission; appearances unchanged.",
                 {"lymphoma": ["stable"]}, id="remains-in-remission"),
    pytest.param("Metastatic melanoma after immunotherapy, compared with the prior. Continued complete response "
                 "(CR).", {"metastasis": ["stable"]}, id="continued-cr"),
    pytest.param("PCNSL in remission. No recurrence of lymphoma. Appearances unchanged.", {"lymphoma": ["stable"]},
                 id="in-remission-is-a-state"),
    pytest.param("Lymphoma after chemotherapy, compared with March. The lesion has resolved; the patient is now in "
                 "complete remission.", {"lymphoma": ["improvement"]}, id="now-in-remission"),
    # --- an abbreviation in parentheses restates the change before it
    pytest.param("Known glioblastoma. Compared with March: progressive disease (PD) with a new satellite lesion.",
                 {"glioma": ["progression"]}, id="abbreviation-restates"),
    pytest.param("Known metastases, compared with the prior study. Partial response (PR) of the left occipital "
                 "lesion.", {"metastasis": ["improvement"]}, id="abbreviation-same-key"),
    # --- a change that the sentence explains by another diagnosis is that diagnosis's change
    pytest.param("Lung cancer with a treated left frontal metastasis, compared with 6 weeks ago. Several new "
                 "punctate foci of restricted diffusion, consistent with acute embolic infarcts. The metastasis "
                 "is unchanged.", {"metastasis": ["stable"], "stroke_infarction": []},
                 id="explained-by-another-diagnosis"),
    pytest.param("Known breast cancer metastases, compared with the prior MRI. New right frontal lesion with "
                 "surrounding oedema, likely subacute haemorrhagic infarct. The cerebellar metastasis has grown.",
                 {"metastasis": ["progression"], "stroke_infarction": [], "hemorrhage_vascular": []},
                 id="explained-lesion-other-lesion-still-counts"),
    # the explanation's subject must be the diagnosis: a word modifying a tumour is no explanation
    pytest.param("Compared with the prior study, there are new enhancing foci in both hemispheres, consistent "
                 "with multiple haemorrhagic metastases.", {"metastasis": ["progression"], "hemorrhage_vascular": []},
                 id="modifier-of-a-tumour"),
    # words between an attribution and a subject that do not name the diagnosis break the attribution
    pytest.param("Known metastatic melanoma, compared with 3 months ago. The right parietal metastasis has "
                 "enlarged, likely with intralesional haemorrhage.",
                 {"metastasis": ["progression"], "hemorrhage_vascular": []}, id="unrelated-words-in-between"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_episode_words(pipeline: Pipeline, text: str, expected: dict) -> None:
    assert _findings(pipeline, text) == expected
