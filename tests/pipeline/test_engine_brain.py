"""Brain MRI behaviour of the rule engine, written from annotation guideline section 3.

Every case is a short report written for this file and the findings the guideline gives for
it: present diagnosis keys, each malignant tumor (glioma, lymphoma, metastasis) with the
episodes the report states against the prior examination; every other diagnosis with [].
"""

from __future__ import annotations

import pytest
from mention_asserts import assert_single_mention

from omop_nlp.model import Certainty, Report
from omop_nlp.pipeline import Pipeline


def _extract(pipeline: Pipeline, text: str):
    return pipeline.extract(Report(id="t", text=text, modality="brain_mri"))


def _check(pipeline: Pipeline, text: str, expected: dict[str, list[str]]) -> None:
    result = _extract(pipeline, text)
    assert result.modality == "brain_mri"
    assert result.findings_json() == {key: sorted(value) for key, value in expected.items()}


def case(case_id: str, text: str, expected: dict[str, list[str]], *marks):
    return pytest.param(text, expected, id=case_id, marks=marks)


# --- rule 1: what is present ---------------------------------------------------------------

PRESENCE = [
    case(
        "first-exam-no-comparison",
        "FINDINGS: A 3 cm heterogeneously enhancing mass with central necrosis in the left frontal lobe.\n"
        "IMPRESSION: Glioblastoma is favored.",
        {"glioma": []},
    ),
    case(
        "first-exam-hedged-r/o",
        "IMPRESSION: A 5 mm enhancing nodule in the left cerebellar hemisphere, r/o metastasis.",
        {"metastasis": []},
    ),
    case(
        "ddx-both-first-exam",
        "FINDINGS: Homogeneously enhancing periventricular mass in the right frontal lobe.\n"
        "IMPRESSION: DDx: GBM vs lymphoma.",
        {"glioma": [], "lymphoma": []},
    ),
    case(
        "no-evidence-of-metastasis",
        "FINDINGS: No abnormal enhancing lesion. No acute infarction.\nIMPRESSION: No evidence of metastasis.",
        {},
    ),
    case(
        "history-primary-without-brain",
        "HISTORY: Lung cancer, initial staging.\n"
        "FINDINGS: No abnormal enhancing lesion in the brain parenchyma or meninges.\n"
        "IMPRESSION: No evidence of intracranial metastasis.",
        {},
    ),
    case(
        "indication-r/o-negative",
        "INDICATION: r/o brain metastasis.\n"
        "FINDINGS: No abnormal enhancement. Ventricles are normal in size.\n"
        "IMPRESSION: Negative study.",
        {},
    ),
    case(
        "less-likely",
        "IMPRESSION: Ring-enhancing lesion in the right parietal lobe, favoring abscess. "
        "Metastasis is less likely.",
        {"infection_inflammation": []},
    ),
    case(
        "not-favored",
        "IMPRESSION: Enhancing extra-axial mass along the falx, consistent with meningioma. "
        "Lymphoma is not favored.",
        {"non_malignant_tumor": []},
    ),
    case(
        "known-disease-under-follow-up",
        "HISTORY: Known lung cancer brain metastases, s/p GKS.\n"
        "COMPARISON: MRI 2024-01-10.\n"
        "FINDINGS: No significant interval change of the treated metastasis in the right cerebellum.",
        {"metastasis": ["stable"]},
    ),
]


@pytest.mark.parametrize(("text", "expected"), PRESENCE)
def test_presence(pipeline: Pipeline, text: str, expected: dict) -> None:
    _check(pipeline, text, expected)


# --- rules 2-4: episodes -------------------------------------------------------------------


EPISODES = [
    case(
        "known-disease-decreased",
        "HISTORY: Breast cancer with brain metastases, s/p GKS.\n"
        "COMPARISON: 2024-02-01.\n"
        "FINDINGS: The enhancing metastasis in the right cerebellum has decreased in size, 8 mm from 12 mm.",
        {"metastasis": ["improvement"]},
    ),
    case(
        "known-gbm-increased",
        "HISTORY: GBM s/p resection and chemoradiation.\n"
        "FINDINGS: Compared with the prior MRI, the enhancing lesion along the resection cavity has increased in size.",
        {"glioma": ["progression"]},
    ),
    case(
        "known-gbm-increased-no-cavity",
        "HISTORY: GBM s/p resection and chemoradiation.\n"
        "FINDINGS: Compared with the prior MRI, the enhancing lesion in the left temporal lobe has increased in size.",
        {"glioma": ["progression"]},
    ),
    case(
        "new-lesions-progression",
        "HISTORY: Known brain metastases from breast cancer.\n"
        "FINDINGS: Compared with the prior, there are two new enhancing nodules in the left parietal lobe.",
        {"metastasis": ["progression"]},
    ),
    case(
        "newly-appeared",
        "Known lung cancer with brain metastasis. Newly appeared enhancing lesion in the right occipital lobe "
        "compared with the previous study, suggesting additional metastasis.",
        {"metastasis": ["progression"]},
    ),
    case(
        "mixed-response",
        "Multiple brain metastases: compared with the prior MRI, some metastases increased in size "
        "and others decreased.",
        {"metastasis": ["progression", "improvement"]},
    ),
    case(
        "per-lesion-changes",
        "HISTORY: Known metastases.\n"
        "FINDINGS: Compared with prior, the right frontal metastasis decreased in size. "
        "A new enhancing nodule in the left cerebellum, suggesting a new metastasis.",
        {"metastasis": ["improvement", "progression"]},
    ),
    case(
        "stable",
        "Known metastasis in the left occipital lobe, unchanged in size compared with the prior examination.",
        {"metastasis": ["stable"]},
    ),
    case(
        "differential-shares-change",
        "FINDINGS: Compared with the prior MRI, the periventricular enhancing mass has increased in size.\n"
        "IMPRESSION: Increased enhancing mass. DDx: PCNSL vs GBM.",
        {"lymphoma": ["progression"], "glioma": ["progression"]},
    ),
    case(
        "differential-same-sentence",
        "IMPRESSION: Increased enhancing mass, DDx: lymphoma vs glioblastoma.",
        {"lymphoma": ["progression"], "glioma": ["progression"]},
    ),
    case(
        "post-treatment-change-alone",
        "HISTORY: Glioblastoma, s/p surgery and radiotherapy.\n"
        "COMPARISON: 2024-03-01.\n"
        "FINDINGS: Postoperative change in the right frontal lobe. Radiation necrosis in the adjacent white matter.",
        {"glioma": []},
    ),
    case(
        "resolved-metastases",
        "HISTORY: Known brain metastases, s/p whole brain radiotherapy.\n"
        "FINDINGS: Previously noted metastases in both cerebellar hemispheres have resolved.",
        {"metastasis": ["improvement"]},
    ),
    case(
        "lymphoma-treatment-response",
        "Known PCNSL. Decreased size of the enhancing lesion in the corpus callosum after chemotherapy "
        "compared with prior, consistent with treatment response.",
        {"lymphoma": ["improvement"]},
    ),
    case(
        "recurrence",
        "HISTORY: Oligodendroglioma s/p resection.\n"
        "FINDINGS: New enhancing nodule at the resection margin compared with prior, suggestive of recurrence.",
        {"glioma": ["progression"]},
    ),
    case(
        "leptomeningeal",
        "Known breast cancer with leptomeningeal metastasis. Increased leptomeningeal enhancement along the "
        "cerebellar folia compared with prior.",
        {"metastasis": ["progression"]},
    ),
    case(
        "known-mets-no-new",
        "Known brain metastases s/p GKS. No new metastasis. Treated lesions are stable.",
        {"metastasis": ["stable"]},
    ),
    case(
        "all-smaller-one-new",
        "Known brain metastases. Compared with prior, all lesions are smaller; one new 3 mm lesion in the pons.",
        {"metastasis": ["improvement", "progression"]},
    ),
    case(
        "complete-resolution",
        "Known PCNSL. Complete resolution of the enhancing lesion.",
        {"lymphoma": ["improvement"]},
    ),
    case(
        "new-not-seen-on-prior",
        "Known lung cancer brain metastases. A new enhancing lesion in the left frontal lobe, not seen on the "
        "prior study.",
        {"metastasis": ["progression"]},
    ),
    case(
        "increase-attributed-to-treatment",
        "Known GBM s/p CCRT. Increased enhancement, likely radiation necrosis rather than tumor progression.",
        {"glioma": []},
    ),
    case(
        "increase-explained-by-pseudoprogression",
        "Known metastases s/p SRS. The treated lesion shows increased enhancement, consistent with pseudoprogression.",
        {"metastasis": []},
    ),
    case(
        "increase-with-treatment-effect-not-favored",
        "Known GBM s/p CCRT. Increased enhancement, likely tumor progression rather than radiation necrosis.",
        {"glioma": ["progression"]},
    ),
    case(
        "treatment-effect-denied",
        "Known GBM s/p CCRT. Increased enhancement, not consistent with radiation necrosis.",
        {"glioma": ["progression"]},
    ),
    case(
        "treatment-effect-less-likely",
        "Known GBM s/p CCRT. Increased enhancement, concerning for progression, less likely radiation necrosis.",
        {"glioma": ["progression"]},
    ),
    case(
        "explanation-in-a-differential",
        "Known metastases. New enhancing lesions, suggestive of infection or metastases.",
        {"metastasis": ["progression"], "infection_inflammation": []},
    ),
    case(
        "tumor-change-with-a-cause",
        "The right cerebellar metastasis has increased in size, likely due to hemorrhage.",
        {"metastasis": ["progression"], "hemorrhage_vascular": []},
    ),
    case(
        "new-lesion-called-an-infarct",
        "Known GBM s/p op. Lt. occipital lobe에 새로 생긴 DWI high lesion -> acute infarct.",
        {"glioma": [], "stroke_infarction": []},
    ),
    case(
        "stable-white-matter-signal-after-radiation",
        "Known metastases s/p WBRT. The enhancing lesions have decreased. Diffuse periventricular white matter "
        "T2 hyperintensity, compatible with prior radiation, is not significantly changed.",
        {"metastasis": ["improvement"]},
    ),
    # rule 4: non-malignant and non-tumor diagnoses take no episode, even when they change
    case(
        "meningioma-increased",
        "Meningioma along the left convexity, increased in size compared with prior.",
        {"non_malignant_tumor": []},
    ),
    case(
        "old-lacune-unchanged",
        "Chronic lacunar infarct in the right basal ganglia, unchanged since prior.",
        {"stroke_infarction": []},
    ),
    case(
        "acute-infarct",
        "Acute infarction in the left MCA territory with diffusion restriction.",
        {"stroke_infarction": []},
    ),
    case("sdh-decreased", "Right subdural hematoma, decreased since prior.", {"hemorrhage_vascular": []}),
    case(
        "history-primary-and-meningioma",
        "History of breast cancer. No intracranial metastasis. Small meningioma.",
        {"non_malignant_tumor": []},
    ),
    case("cavernoma", "Cavernous malformation in the pons.", {"hemorrhage_vascular": []}),
    case("pituitary-adenoma", "A 6 mm pituitary adenoma, stable.", {"non_malignant_tumor": []}),
    case(
        "ms-new-lesion",
        "Multiple periventricular T2 hyperintense lesions, consistent with multiple sclerosis. "
        "One new lesion compared with prior.",
        {"demyelinating": []},
    ),
    case(
        "change-belongs-to-other-diagnosis",
        "Known brain metastases, stable compared with prior. Increased size of a left frontal meningioma.",
        {"metastasis": ["stable"], "non_malignant_tumor": []},
    ),
    case(
        "malignant-and-non-tumor",
        "Known metastasis in the right frontal lobe, decreased in size compared with prior. "
        "Old infarct in the left cerebellum.",
        {"metastasis": ["improvement"], "stroke_infarction": []},
    ),
    # Korean
    case(
        "ko-new-metastasis",
        "알려진 폐암 뇌전이. 이전 검사와 비교하여 좌측 전두엽에 새로 생긴 전이 병변.",
        {"metastasis": ["progression"]},
    ),
    case(
        "ko-decrease",
        "뇌전이 s/p GKS. 이전 MRI와 비교하여 우측 소뇌 전이 병변 크기 감소.",
        {"metastasis": ["improvement"]},
    ),
    case(
        "ko-stable",
        "교모세포종 수술 후 상태. 이전 검사와 비교하여 변화 없음.",
        {"glioma": ["stable"]},
    ),
    case(
        "ko-new-telegraphic", "알려진 폐암 뇌전이. 좌측 전두엽에 새로 생긴 전이 병변.", {"metastasis": ["progression"]}
    ),
    case("ko-decrease-telegraphic", "뇌전이. 우측 소뇌 전이 병변 크기 감소.", {"metastasis": ["improvement"]}),
    case("ko-stable-telegraphic", "교모세포종 수술 후 상태. 변화 없음.", {"glioma": ["stable"]}),
]


@pytest.mark.parametrize(("text", "expected"), EPISODES)
def test_episodes(pipeline: Pipeline, text: str, expected: dict) -> None:
    _check(pipeline, text, expected)


# --- mention level -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key", "surface", "certainty"),
    [
        pytest.param("IMPRESSION: No evidence of metastasis.", "metastasis", "metastasis", Certainty.NEGATED,
                     id="negated"),
        pytest.param("IMPRESSION: Enhancing nodule, r/o metastasis.", "metastasis", "metastasis", Certainty.HEDGED,
                     id="hedged"),
        pytest.param("IMPRESSION: Abscess favored. Metastasis is less likely.", "metastasis", "Metastasis",
                     Certainty.UNLIKELY, id="unlikely"),
        pytest.param("FINDINGS: Acute infarction in the left MCA territory.", "stroke_infarction", "infarction",
                     Certainty.PRESENT, id="present"),
    ],
)
def test_mention_certainty_and_offsets(
    pipeline: Pipeline, text: str, key: str, surface: str, certainty: Certainty
) -> None:
    assert_single_mention(_extract(pipeline, text), key, surface, certainty)


def test_episode_mentions_point_into_text(pipeline: Pipeline) -> None:
    text = "Known brain metastases. Compared with prior, the right frontal metastasis decreased in size."
    result = _extract(pipeline, text)
    assert result.findings_json() == {"metastasis": ["improvement"]}
    for mention in result.mentions:
        assert text[mention.start : mention.end] == mention.text
    assert any(m.key == "improvement" for m in result.mentions)
