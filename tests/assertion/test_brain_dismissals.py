"""Brain MRI diagnoses a report names but dismisses (issue 13 item 8, guideline section 3 rule 1).

A diagnosis only denied, dismissed from a differential, or known from the history and denied by
this examination is absent. Each case is a short report written for this file.
"""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline


def _findings(pipeline: Pipeline, text: str) -> dict[str, list[str]]:
    return findings(pipeline, text, "brain_mri")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Subdural collection. A chronic haematoma is favoured over empyema.",
                     {"hemorrhage_vascular": []}, id="favoured-over"),
        pytest.param("Cystic lesion; colloid cyst preferred over abscess.", {"non_malignant_tumor": []},
                     id="preferred-over"),
        pytest.param("Punctate DWI focus in the pons. Acute infarct is doubted; likely artefact.", {},
                     id="is-doubted"),
        pytest.param("Ring lesion, favouring abscess. Glioma and lymphoma are considered less likely.",
                     {"infection_inflammation": []}, id="plural-considered-less-likely"),
        pytest.param("Dural-based mass, most compatible with meningioma. A schwannoma is felt less likely.",
                     {"non_malignant_tumor": []}, id="dismissing-another-diagnosis-of-the-same-key"),
        pytest.param("Ring lesion: DDx abscess or metastasis. Metastasis is considered less likely.",
                     {"infection_inflammation": []}, id="dismissing-a-named-differential"),
        pytest.param("좌측 두정엽 종괴. GBM 가능성 높음. metastasis 감별 요함.", {"glioma": [], "metastasis": []},
                     id="ko-differential-needed-is-hedged"),
        pytest.param("Ring-enhancing lesion of the left thalamus, lymphoma likely. Toxoplasmosis not considered.",
                     {"lymphoma": []}, id="not-considered-without-a-verb"),
        pytest.param("Tiny dural-based meningioma, not considered significant.", {"non_malignant_tumor": []},
                     id="not-considered-significant-judges-no-denial"),
    ],
)
def test_dismissed_differentials(pipeline: Pipeline, text: str, expected: dict) -> None:
    assert _findings(pipeline, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("There is no enhancing abnormality suspicious for lymphoma.", {}, id="hedge-inside-negation"),
        pytest.param("Cortical lesion, no oedema. Suspicious for metastasis.", {"metastasis": []},
                     id="hedge-in-the-next-sentence-stays-hedged"),
    ],
)
def test_a_hedge_inside_a_negation_is_negated(pipeline: Pipeline, text: str, expected: dict) -> None:
    assert _findings(pipeline, text) == expected


def test_a_primary_cancer_abbreviation_is_no_benign_tumour(pipeline: Pipeline) -> None:
    # "adenoca" is one edit from "adenoma"; a stomach adenocarcinoma is no pituitary adenoma.
    assert _findings(pipeline, "Staging for stomach adenoca. 뇌 실질 정상.") == {}


def test_encephalomalacia_alone_is_no_infarct(pipeline: Pipeline) -> None:
    text = "Hx of meningioma surgery. Right frontal encephalomalacia along the craniotomy. No recurrence."
    assert _findings(pipeline, text) == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("History: follicular lymphoma, after chemotherapy.\nFindings: normal brain.\n"
                     "Impression: no evidence of lymphoma in the brain.", {}, id="history-denied"),
        pytest.param("History: colon cancer with brain metastases, after radiosurgery.\n"
                     "Findings: treated right occipital focus unchanged.\nImpression: No new metastases.",
                     {"metastasis": ["stable"]}, id="no-new-is-no-denial"),
        pytest.param("History: treated glioblastoma.\nFindings: cavity unchanged.\nImpression: No new lesion to "
                     "suggest recurrent glioma.", {"glioma": ["stable"]}, id="negated-change-sentence-is-no-denial"),
    ],
)
def test_known_disease_denied_by_this_examination(pipeline: Pipeline, text: str, expected: dict) -> None:
    assert _findings(pipeline, text) == expected


@pytest.mark.parametrize("text", ["Haemorrhage - nil. Metastases - none seen.", "Abscess: none identified."])
def test_a_denial_after_the_diagnosis(pipeline: Pipeline, text: str) -> None:
    assert _findings(pipeline, text) == {}


@pytest.mark.parametrize(
    "text",
    [
        "Smooth rim and no diffusion restriction; this argues against a pyogenic abscess.",
        "The signal pattern is not in keeping with herpes encephalitis.",
        "Cavernoma is not a consideration given the absent blooming.",
        "Acute infarction is not suspected.",
    ],
    ids=["argues-against", "not-in-keeping-with", "not-a-consideration", "not-suspected"],
)
def test_dictated_dismissals(pipeline: Pipeline, text: str) -> None:
    assert _findings(pipeline, text) == {}


def test_voice_recognition_slip_for_infarct(pipeline: Pipeline) -> None:
    assert _findings(pipeline, "There is a subacute in fact in the right pons. In fact, no other lesion.") == {
        "stroke_infarction": []}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Probable low-grade glioma; a lymphoma cannot entirely be excluded.", {"glioma": [], "lymphoma": []}),
        ("We cannot completely exclude a small cerebellar abscess.", {"infection_inflammation": []}),
        ("I am not able to exclude a small pontine infarct.", {"stroke_infarction": []}),
    ],
    ids=["cannot-entirely-be-excluded", "cannot-completely-exclude", "not-able-to-exclude"],
)
def test_a_qualified_cannot_exclude_is_a_hedge(pipeline: Pipeline, text: str, expected: dict) -> None:
    assert _findings(pipeline, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("전이 의심 병변 없음.", {}),
        ("r/o metastasis -> 아님.", {}),
        ("infarct 는 아닐 것으로 생각됨.", {}),
        ("abscess 보다는 GBM 가능성이 높음.", {"glioma": []}),
        ("Lt. MCA infarct 의심. hemorrhage 없음.", {"stroke_infarction": []}),
    ],
    ids=["ko-negation-spans-hedge", "ko-arrow-not", "ko-not-thought", "ko-rather-than", "ko-sentence-then-english"],
)
def test_korean_dismissals(pipeline: Pipeline, text: str, expected: dict) -> None:
    assert _findings(pipeline, text) == expected


def test_not_supported_dismisses(pipeline: Pipeline) -> None:
    assert _findings(pipeline, "Impression: Small vessel change. Demyelination is not supported.") == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Summary:\n- Left occipital metastasis (stable)\n- Right frontal metastasis (not seen on current study)",
         {"metastasis": ["improvement", "stable"]}),
        ("The treated cerebellar metastasis is not identified in the current study; the parietal one is unchanged.",
         {"metastasis": ["improvement", "stable"]}),
        ("The previously drained abscess is not seen on the current study.", {}),
    ],
    ids=["tag-not-seen-on-current-study", "not-identified-in-the-current-study", "non-malignant-gone"],
)
def test_gone_on_this_study_is_resolved(pipeline: Pipeline, text: str, expected: dict) -> None:
    """A lesion seen before and not on this examination has resolved: a treated brain tumour's improvement
    (corpus choice, sub), a non-malignant finding absent."""
    assert _findings(pipeline, text) == expected
