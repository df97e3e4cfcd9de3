"""Brain MRI episodes as writers from outside the house styles put them (issue 13 item 7; guideline
section 3 rules 2-4): continental-European change words, "fits (with)" as an attribution, a "Comment:"
line as the conclusion, blood products as a subject of their own, sizes now and before, a disease name in
the indication line, a tumour removed since the pre-operative examination, "not found anymore", and "aspect
of" / "in the sense of" as attributions. Reports written for this file."""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline


def _findings(pipeline: Pipeline, text: str) -> dict[str, list[str]]:
    return findings(pipeline, text, "brain_mri")


CASES = [
    # --- change words of continental-European English
    pytest.param("Comparison: MRI of March.\nThe left parietal metastasis is stationary at 7 mm.",
                 {"metastasis": ["stable"]}, id="stationary"),
    pytest.param("Known oligodendroglioma, compared with the prior study. Residual tumour left frontal, "
                 "size-constant.", {"glioma": ["stable"]}, id="size-constant"),
    pytest.param("Known PCNSL.\nComparison: 2 months.\nThe callosal lymphoma is unaltered.",
                 {"lymphoma": ["stable"]}, id="unaltered"),
    pytest.param("Known glioblastoma, comparison with May. The right insular tumour is progredient, now 31 mm.",
                 {"glioma": ["progression"]}, id="progredient"),
    pytest.param("Known metastases, comparison with the previous MRI. We note an augmentation in size of the "
                 "cerebellar metastasis.", {"metastasis": ["progression"]}, id="augmentation"),
    pytest.param("Metastases after radiosurgery, compared with 3 months ago. The two frontal metastases are "
                 "regressive.", {"metastasis": ["improvement"]}, id="regressive"),
    pytest.param("Known lymphoma under chemotherapy, compared with the prior. The periventricular lymphoma is "
                 "regredient.", {"lymphoma": ["improvement"]}, id="regredient"),
    # an unchanged treated metastasis beside a new one: both courses
    pytest.param("Follow-up after radiosurgery, comparison with the MRI of April.\nThe treated left occipital "
                 "metastasis is stationary. We note a new 3 mm metastasis of the right thalamus.",
                 {"metastasis": ["progression", "stable"]}, id="stationary-beside-new"),
    pytest.param("Known metastases, compared with the prior study. The cerebellar metastasis is unmodified.",
                 {"metastasis": ["stable"]}, id="unmodified"),
    pytest.param("Known metastases, compared with the prior study. The cerebellar metastasis is static, 6 mm as "
                 "before.", {"metastasis": ["stable"]}, id="static-as-before"),
    pytest.param("Known metastases, compared with the prior study. The cerebellar metastasis has vanished.",
                 {"metastasis": ["improvement"]}, id="vanished"),
    pytest.param("Known GBM after chemoradiation, compared with the prior study. Less enhancement along the cavity "
                 "wall.", {"glioma": ["improvement"]}, id="less-enhancement"),
    pytest.param("Known GBM, compared with the prior study. The tumour has expanded into the splenium.",
                 {"glioma": ["progression"]}, id="expanded"),
    pytest.param("Known GBM, compared with the prior study. The enhancing tumour is more conspicuous and has spread "
                 "across the genu.", {"glioma": ["progression"]}, id="more-conspicuous-spread"),
    pytest.param("Known GBM, compared with the prior study. The residual tumour is less bulky.",
                 {"glioma": ["improvement"]}, id="less-bulky"),
    pytest.param("Known metastases, compared with the prior study. The treated metastasis has involuted and is now "
                 "barely visible.", {"metastasis": ["improvement"]}, id="involuted"),
    pytest.param("Known low-grade glioma, compared with last year. The glioma is essentially the same.",
                 {"glioma": ["stable"]}, id="essentially-the-same"),
    pytest.param("Hx) 교모세포종 s/p op\n이전 대비 수술 부위 잔여 종양 큰 변화 없이 유지됨.", {"glioma": ["stable"]},
                 id="ko-without-big-change"),
    # gone since the prior examination, as these writers deny it
    pytest.param("Known metastases, compared with the MRI of January.\nWe note the right occipital metastasis, which "
                 "is not found anymore.", {"metastasis": ["improvement"]}, id="not-found-anymore"),
    # "aspect of", "image of", "in the sense of" put a change down to what follows, like "consistent with"
    pytest.param("Known glioblastoma, compared with the MRI of January.\nIncreased contrast uptake at the cavity "
                 "margin, aspect of radionecrosis.", {"glioma": []}, id="aspect-of-radionecrosis"),
    pytest.param("Known glioblastoma, compared with the MRI of January.\nIncreased contrast uptake at the cavity "
                 "margin, most likely in the sense of a radiation injury.", {"glioma": []}, id="in-the-sense-of"),
    # an article may stand between the attribution and the treatment it names
    pytest.param("Known metastases, compared with the MRI of January.\nThe treated left parietal lesion has "
                 "grown, consistent with a treatment effect.", {"metastasis": []}, id="attribution-article"),
    # --- a bare BT-RADS category or response abbreviation states its change (the rads annotation choice)
    pytest.param("Known GBM, compared with 2 months ago.\nImpression: BT-RADS 2.", {"glioma": ["stable"]},
                 id="bt-rads-2"),
    pytest.param("Known GBM on bevacizumab, compared with 2 months ago.\nImpression: BT-RADS: 1b.",
                 {"glioma": ["improvement"]}, id="bt-rads-1b"),
    pytest.param("Known GBM, compared with 2 months ago.\nImpression: BT-RADS 3c.", {"glioma": ["progression"]},
                 id="bt-rads-3c"),
    pytest.param("Known GBM after chemoradiation, compared with 2 months ago.\nEnhancement at the cavity has "
                 "increased.\nImpression: BT-RADS 3a.", {"glioma": []}, id="bt-rads-3a-is-treatment"),
    pytest.param("Known metastases, compared with the prior study.\nOverall response: SD.",
                 {"metastasis": ["stable"]}, id="sd"),
    # --- relapse, and a lesion not seen before, are progression
    pytest.param("PCNSL after chemotherapy, compared with 3 months ago. Relapse in the left thalamus.",
                 {"lymphoma": ["progression"]}, id="relapse"),
    pytest.param("Known metastases, compared with the prior study. The treated left frontal metastasis is "
                 "unchanged; a previously not seen 3 mm metastasis in the pons.",
                 {"metastasis": ["progression", "stable"]}, id="previously-not-seen"),
    # --- a change denied in the verb or phrase is no change: stable
    pytest.param("Known metastases, compared with the prior study. The metastases have not grown.",
                 {"metastasis": ["stable"]}, id="not-grown"),
    pytest.param("Known metastases, compared with the prior study. The metastases have not increased in size.",
                 {"metastasis": ["stable"]}, id="not-increased"),
    pytest.param("Known melanoma metastases, compared with 2 months ago. No interval enlargement of the occipital "
                 "metastasis.", {"metastasis": ["stable"]}, id="no-interval-enlargement"),
    pytest.param("Known metastases, compared with the prior study. The occipital metastasis is without variation.",
                 {"metastasis": ["stable"]}, id="without-variation"),
    pytest.param("Known lymphoma, compared with the prior study. The callosal lymphoma is not significantly "
                 "different.", {"lymphoma": ["stable"]}, id="not-significantly-different"),
    # --- sizes now and before state a change where no word does
    pytest.param("Known glioblastoma. Software volumetry: enhancing glioblastoma 9.6 mL (prior 6.9 mL).",
                 {"glioma": ["progression"]}, id="volumes-grown"),
    pytest.param("Known metastases. Volumetry of the left cerebellar metastasis 0.3 cc (previously 1.1 cc).",
                 {"metastasis": ["improvement"]}, id="volumes-shrunk"),
    pytest.param("Known metastases, compared with the prior study. The left parietal metastasis now measures 4 mm "
                 "(was 9 mm).", {"metastasis": ["improvement"]}, id="size-was"),
    pytest.param("Known metastases, compared with the prior study. The right frontal metastasis measures 12 mm, "
                 "previously 7 mm.", {"metastasis": ["progression"]}, id="size-previously"),
    pytest.param("Known metastases.\nComparison: March.\nCerebellar metastasis 6 mm (prior 6 mm).",
                 {"metastasis": ["stable"]}, id="size-equal"),
    pytest.param("Known glioblastoma.\nComparison: March.\nEnhancing tumour at the cavity 1,8 cm (prior 1,2 cm).",
                 {"glioma": ["progression"]}, id="size-decimal-comma"),
    pytest.param("Known PCNSL.\nComparison: March.\nThe callosal lymphoma is 2.1 x 1.4 cm (previously 1.0 x 0.8 cm).",
                 {"lymphoma": ["progression"]}, id="size-dimensions"),
    pytest.param("Known PCNSL.\nComparison: March.\nThe callosal lymphoma is now 9 mm from 2.2 cm.",
                 {"lymphoma": ["improvement"]}, id="size-from"),
    pytest.param("Hx) 뇌전이 s/p GKS\n좌측 소뇌 전이 병변 14mm -> 7mm.", {"metastasis": ["improvement"]},
                 id="size-arrow"),
    pytest.param("Known metastases.\nComparison: March.\nThe metastasis is stable at 7 mm (previously 6 mm).",
                 {"metastasis": ["stable"]}, id="size-beside-a-word"),
    pytest.param("Known metastases.\nComparison: March.\nThe metastasis measures 7 mm (previously 6.5 mm).",
                 {"metastasis": []}, id="size-difference-too-small"),
    pytest.param("Known metastases.\nComparison: March.\nA 7 mm metastasis lies 12 mm from the 4 mm cyst.",
                 {"metastasis": []}, id="sizes-of-other-things"),
    # --- "fits" / "fits with" explain a change by what follows
    pytest.param("Known melanoma metastases, compared with the prior study. The left temporal metastasis is "
                 "unchanged. Additional dural-based lesion over the convexity, fits meningioma.",
                 {"metastasis": ["stable"], "non_malignant_tumor": []}, id="fits-another-diagnosis"),
    pytest.param("Known glioma after radiotherapy, compared with the prior. Increased periventricular FLAIR "
                 "signal, fits with radiation change.", {"glioma": []}, id="fits-with-treatment"),
    # --- a "Comment:" line is the conclusion: its treatment attribution reaches the findings' growth
    pytest.param("Since the prior study after chemoradiation, the enhancement around the left frontal cavity has "
                 "increased.\nComment: appearances are most in keeping with pseudoprogression rather than true "
                 "progression of the known glioma.", {"glioma": []}, id="comment-blames-treatment"),
    # --- a change of blood products is not the tumour's
    pytest.param("Known glioblastoma after resection, compared with the prior MRI.\nBlood products in the cavity "
                 "have decreased. The residual enhancing tumour is unchanged.", {"glioma": ["stable"]},
                 id="blood-products-decreased"),
    # --- more ways to put growth down to treatment
    pytest.param("History: GBM after chemoradiation.\nComparison: 2 months.\nFINDINGS: Growing rim of enhancement at "
                 "the right parietal cavity.\nIMPRESSION: The growth is attributed to radiotherapy.", {"glioma": []},
                 id="attributed-to-radiotherapy"),
    pytest.param("History: GBM after chemoradiation.\nComparison: 2 months.\nFINDINGS: Growing rim of enhancement at "
                 "the right parietal cavity.\nIMPRESSION: Perfusion suggests radionecrosis rather than tumour "
                 "progression.", {"glioma": []}, id="suggests"),
    pytest.param("History: GBM after chemoradiation.\nComparison: 2 months.\nFINDINGS: Growing rim of enhancement at "
                 "the right parietal cavity.\nIMPRESSION: Probable pseudoprogression.", {"glioma": []},
                 id="probable-treatment-effect"),
    pytest.param("Known GBM after chemoradiation, compared with 2 months ago. Growing rim of enhancement at the "
                 "right parietal cavity, more likely treatment-related than tumour.", {"glioma": []},
                 id="treatment-related-in-the-sentence"),
    # --- "recurrent" in the indication names the disease under treatment, no change since the prior
    pytest.param("INDICATION: Recurrent left temporal glioblastoma on second-line therapy.\nCOMPARISON: 6 weeks.\n"
                 "IMPRESSION: Smaller enhancing component of the recurrent left temporal glioblastoma.",
                 {"glioma": ["improvement"]}, id="recurrent-named-in-indication"),
    pytest.param("INDICATION: Glioblastoma follow-up.\nCOMPARISON: 6 weeks.\nIMPRESSION: Recurrent left temporal "
                 "glioblastoma at the cavity margin.", {"glioma": ["progression"]}, id="recurrent-seen-now"),
    # --- a tumour removed since the pre-operative examination is improvement (the icu annotation choice) ...
    pytest.param("Clinical: day 2 after craniotomy for a left parietal glioblastoma.\nComparison: preoperative MRI "
                 "of last week.\nCavity with expected blood products.\nImpression: Gross total resection of the "
                 "glioblastoma.", {"glioma": ["improvement"]}, id="resected-since-preoperative"),
    pytest.param("Comparison: pre-operative study 3 days ago.\nThe enhancing left cerebellar metastasis has been "
                 "removed; the right frontal metastasis is unchanged.", {"metastasis": ["improvement", "stable"]},
                 id="removed-beside-unchanged"),
    # ... nor where the report compares with nothing: the pre-operative study it names was not read
    pytest.param("Clinical: first day after resection of a right temporal glioblastoma.\nComparison: none available "
                 "(the preoperative MRI was done at another hospital).\nImpression: Gross total resection of the "
                 "glioblastoma.", {"glioma": []}, id="preoperative-study-not-compared"),
    # ... but not where the prior examination was after the operation
    pytest.param("History: glioblastoma, resected in 2024.\nComparison: MRI of June.\nThe resection margin shows "
                 "no nodular enhancement. Appearances unchanged.", {"glioma": ["stable"]},
                 id="old-resection-is-no-change"),
    # an amino-acid PET curve or ratio that rises is a measure of its own, like rCBV, not the tumour's change
    pytest.param("Treated astrocytoma of the left insula, compared with the PET/MRI of last year. T2 signal around "
                 "the cavity unchanged. FET PET: time-activity curve increasing, TBRmax higher at 1.9.",
                 {"glioma": ["stable"]}, id="fet-curve-increasing"),
    # a ventricle's horn widened into the resection cavity is the subject of its own change, not the tumour
    pytest.param("Treated left temporal glioblastoma, compared with 3 months ago.\nNo enhancing tumour. Stable ex "
                 "vacuo widening of the left temporal horn.", {"glioma": []}, id="stable-temporal-horn"),
    pytest.param("Known GBM after chemoradiation, compared with 2 months ago.\nIncreased enhancement at the resection "
                 "site, most in keeping with pseudoprogression.", {"glioma": []},
                 id="resection-site-keeps-the-attribution"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_episodes_of_outside_writers(pipeline: Pipeline, text: str, expected: dict) -> None:
    assert _findings(pipeline, text) == expected
