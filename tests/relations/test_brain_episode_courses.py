"""Brain MRI episodes of lesions with different courses in one report (issue 13 item 7; guideline
section 3 rules 2-3 and the corpus README's choices). Reports written for this file."""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline


def _findings(pipeline: Pipeline, text: str) -> dict[str, list[str]]:
    return findings(pipeline, text, "brain_mri")


CASES = [
    # --- a change blamed on treatment is none for that lesion only
    # the impression blames treatment for one lesion: only that lesion's growth is no progression
    pytest.param("Comparison: 2 months.\nFindings: The treated right frontal metastasis has enlarged. A new "
                 "3 mm enhancing focus in the left cerebellum.\nImpression: Enlarging right frontal lesion, "
                 "likely radiation necrosis.", {"metastasis": ["progression"]}, id="other-lesion-still-counts"),
    # the treated site by other words: "resection cavity" in the findings, "surgical bed" in the impression
    pytest.param("Known glioblastoma.\nFindings: Increased nodular enhancement around the left temporal "
                 "resection cavity.\nImpression: Enhancement of the surgical bed with low perfusion, most "
                 "consistent with pseudoprogression. Right thalamic lesion unchanged.",
                 {"glioma": ["stable"]}, id="treated-site-words-are-one-place"),
    # a findings sentence blames treatment; the impression repeats the same lesion's growth
    pytest.param("Comparison: 3 months.\nFindings: Larger enhancement at the treated left parietal site, in "
                 "keeping with radiation necrosis.\nImpression: Larger left parietal enhancement. Other "
                 "metastases unchanged.", {"metastasis": ["stable"]}, id="findings-blame-reaches-impression"),
    # no place named: the repeated description links the two sentences
    pytest.param("Known oligodendroglioma.\nFindings:\n1. Residual tumour unchanged.\n2. A new tiny nodule of "
                 "enhancement at the rim.\nConclusion:\n1. Stable tumour.\n2. The new tiny nodule of "
                 "enhancement probably represents treatment-related change.", {"glioma": ["stable"]},
                 id="repeated-description"),
    # treatment named in other words than "pseudoprogression"
    pytest.param("Glioblastoma after chemoradiation. Increased enhancement at the cavity rim.\nImpression: "
                 "findings favour treatment effect.", {"glioma": []}, id="treatment-effect-words"),
    # the attribution after its subject, as Korean and terse reports write it
    pytest.param("전이성 뇌종양 SRS 후 추적.\n좌측 두정엽 병변 크기 증가, 방사선 괴사 가능성.\n새로운 병변 없음.",
                 {"metastasis": []}, id="ko-attribution-after-subject"),
    pytest.param("Known GBM, after radiotherapy. Enhancement increased at the cavity; radiation necrosis "
                 "favoured.", {"glioma": []}, id="attribution-after-subject"),
    # --- a first examination states no change
    pytest.param("Brain MRI. Referred for a new mass seen on CT.\nLarge necrotic right parietal mass.\n"
                 "Impression: glioblastoma favoured; metastasis a differential.", {"glioma": [], "metastasis": []},
                 id="new-on-a-first-examination"),
    pytest.param("Two ring lesions, the second smaller and similar in pattern. Likely metastases.",
                 {"metastasis": []}, id="smaller-similar-describe-not-compare"),
    pytest.param("Comparison: none.\nNew ataxia. Enhancing cerebellar mass, probably metastasis.",
                 {"metastasis": []}, id="comparison-none"),
    pytest.param("Compared with the MRI of May: new left occipital metastasis.", {"metastasis": ["progression"]},
                 id="new-with-a-prior"),
    pytest.param("Metastases: the right frontal one has decreased; a new one in the pons.",
                 {"metastasis": ["improvement", "progression"]}, id="a-stated-change-shows-a-prior"),
    pytest.param("Lymphoma on chemotherapy. The lesion is smaller; a new small focus has appeared in the right "
                 "thalamus.", {"lymphoma": ["improvement", "progression"]}, id="treatment-shows-a-prior"),
    # --- a change explained as measurement noise is none
    pytest.param("Known metastases.\nFindings: Slight increase of the left occipital lesion, within measurement "
                 "variability.\nImpression: Stable disease.", {"metastasis": ["stable"]}, id="measurement"),
    pytest.param("Known GBM. Residual enhancement minimally larger, likely due to differences in technique.",
                 {"glioma": []}, id="technique"),
    pytest.param("Known GBM. Residual enhancement larger. Differences in technique are noted.",
                 {"glioma": ["progression"]}, id="technique-in-another-sentence"),
    # an attribution explains the nearest change before it only
pytest.param("History: melanoma brain metastases.\nFindings: all lesions decreased except the left occipital "
             "lesion which increased, likely related to radiation.", {"metastasis": ["improvement"]},
             id="attribution-explains-the-nearest-change"),
# --- a change word that names the known disease in the history names it later too
pytest.param("History: recurrent right frontal glioblastoma on bevacizumab.\nImpression: recurrent right frontal "
             "glioblastoma with decreased enhancement.", {"glioma": ["improvement"]}, id="history-names-recurrent"),
pytest.param("History: glioblastoma after resection.\nImpression: recurrent right frontal glioblastoma.",
             {"glioma": ["progression"]}, id="recurrent-not-named-in-history"),
# --- a clinical-history lead states no change of this examination
    pytest.param("Follow-up of metastatic melanoma, improved after immunotherapy. A new 5 mm right frontal "
                 "metastasis.", {"metastasis": ["progression"]}, id="follow-up-lead"),
    pytest.param("Known glioma, which has decreased in size. The residual tumour is otherwise unchanged.",
                 {"glioma": ["improvement", "stable"]}, id="known-is-no-lead"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_episodes_of_lesions_with_different_courses(pipeline: Pipeline, text: str, expected: dict) -> None:
    assert _findings(pipeline, text) == expected


def test_there_is_no_change_is_stable(pipeline: Pipeline) -> None:
    text = "Known oligodendroglioma. There is no change in the appearance of the left insular tumour."
    assert _findings(pipeline, text) == {"glioma": ["stable"]}
