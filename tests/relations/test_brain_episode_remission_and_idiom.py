"""Brain MRI episodes as teaching-hospital, teleradiology, South-Asian, Australian, EHR-note and Chinese-template
writers put them (issue 13 item 7; guideline section 3 rules 2-3): a remission that a relapse ends is the state
before this examination, not stable or improvement; the patient's course in a clinician's note ("clinical
improvement", "improved on dexamethasone", a "Progress note" title) is no change of the tumour; a findings
sentence that refers back to a change and puts it down to treatment makes it no progression; a treatment effect
the report dismisses ("pseudoprogression is less likely") explains nothing, and "considered" attributes, also
a change of a feature the diagnosis has ("glioblastoma with increased enhancement, likely ..."); a
progression denied ("no evidence of disease progression", "no progression or recurrence") is stable; "status
quo", "not much change", "not appreciably changed", "comparable to the previous", "bulkier", "minor response",
"s/o" (suggestive of) and sizes "as against" / "compared to" the earlier one as those writers use them. Reports
written for this file."""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline


def _findings(pipeline: Pipeline, text: str) -> dict[str, list[str]]:
    return findings(pipeline, text, "brain_mri")


CASES = [
    # --- a remission ended by a relapse is the state before it
    pytest.param("Known case of PCNSL in complete remission.\nComparison: MRI of June.\nFindings: A new enhancing "
                 "focus in the right caudate with restricted diffusion.\nImpression: Recurrence of lymphoma.",
                 {"lymphoma": ["progression"]}, id="remission-then-relapse"),
    pytest.param("Comparison: MRI 5 months earlier.\nFindings: Treated CNS lymphoma of the splenium, in remission "
                 "after methotrexate. A new 9 mm enhancing nodule in the left thalamus.\nImpression: Relapsed "
                 "lymphoma.", {"lymphoma": ["progression"]}, id="remission-in-findings-then-relapse"),
    pytest.param("Melanoma with brain metastases, sustained complete response after immunotherapy.\nComparison: "
                 "the prior MRI.\nA new 4 mm enhancing metastasis in the right cerebellum.",
                 {"metastasis": ["progression"]}, id="sustained-response-then-new-lesion"),
    pytest.param("Clinic letter\nRe: Mrs P, CNS lymphoma diagnosed 2023, complete remission after high-dose "
                 "methotrexate.\nMRI brain (3/9): A new 9 mm enhancing nodule in the left thalamus, in keeping with "
                 "relapsed lymphoma.", {"lymphoma": ["progression"]}, id="complete-remission-then-relapse"),
    # a partial remission beside a new lesion is a mixed course
    pytest.param("Comparison: MRI of June.\nKnown lymphoma on chemotherapy. Partial remission of the periventricular "
                 "lesions. A new small lesion in the right cerebellum.", {"lymphoma": ["improvement", "progression"]},
                 id="partial-remission-beside-new-lesion"),
    # a remission with no relapse is still stable, and an unchanged treated site beside a relapse keeps its stable
    pytest.param("Known metastases, sustained complete response after radiosurgery. Comparison: prior MRI.\n"
                 "Impression: No new lesion. Sustained complete response.", {"metastasis": ["stable"]},
                 id="sustained-response-alone"),
    pytest.param("Known PCNSL in remission after chemotherapy. Comparison: the prior MRI.\nThe treated right frontal "
                 "site is unchanged. A new left periventricular lesion with restricted diffusion.\nImpression: "
                 "Relapse of lymphoma.", {"lymphoma": ["progression", "stable"]}, id="unchanged-site-beside-relapse"),
    # --- the patient's course in a clinician's note is no change of the tumour
    pytest.param("Discharge summary\nHospital course: 50M with HIV admitted with fever. Started antitoxoplasma "
                 "treatment with clinical improvement.\nMRI brain 3/1: Several ring-enhancing lesions; toxoplasmosis "
                 "favoured, lymphoma not excluded.", {"infection_inflammation": [], "lymphoma": []},
                 id="clinical-improvement"),
    pytest.param("Discharge summary\nHospital course: 58F with lung cancer brain metastases after radiosurgery, "
                 "admitted with worsening leg weakness. Improved on dexamethasone.\nMRI brain 5/5: The treated right "
                 "parietal metastasis is unchanged. No new metastases.", {"metastasis": ["stable"]},
                 id="improved-on-dexamethasone"),
    pytest.param("Progress note\nImaging: MRI brain 6/6: CNS lymphoma, the periventricular lesions have decreased. "
                 "No new lesion.", {"lymphoma": ["improvement"]}, id="progress-note-title"),
    pytest.param("Progress note\nImaging: MRI brain 4/5: known right temporal glioblastoma.\nNew weakness due to the "
                 "enlarging tumour.", {"glioma": ["progression"]}, id="symptom-beside-growing-tumour"),
    # --- a sentence that refers back to the change before it and puts it down to treatment
    pytest.param("Melanoma metastases after SRS. Comparison: MRI of May.\nThe treated right frontal metastasis has "
                 "enlarged. It is thought to be radiation necrosis given low perfusion. No new metastases.",
                 {"metastasis": []}, id="it-is-radiation-necrosis"),
    pytest.param("Known glioblastoma after chemoradiation. Comparison: previous MRI.\nThe enhancement around the "
                 "cavity has increased. These findings are most in keeping with pseudoprogression.",
                 {"glioma": []}, id="these-findings-pseudoprogression"),
    # it speaks of the sentence right before it only, and only where it names treatment
    pytest.param("Melanoma metastases after SRS. Comparison: MRI of May.\nThere is a new left occipital metastasis. "
                 "The treated right frontal lesion has enlarged. It is thought to be radiation necrosis.",
                 {"metastasis": ["progression"]}, id="back-reference-leaves-the-new-lesion"),
    pytest.param("Melanoma metastases after SRS. Comparison: MRI of May.\nThe treated right frontal lesion has "
                 "enlarged. It shows raised perfusion, concerning for recurrence.", {"metastasis": ["progression"]},
                 id="back-reference-without-treatment"),
    # a treatment effect the report dismisses explains nothing, and the change is not said of it
    pytest.param("COMPARISON: MRI 7 weeks prior.\nFINDINGS: Thicker nodular enhancement along the right parietal "
                 "glioblastoma cavity has increased. Perfusion is raised.\nIMPRESSION: Pseudoprogression is less "
                 "likely given the raised rCBV; the appearances favour true progression.", {"glioma": ["progression"]},
                 id="dismissed-pseudoprogression"),
    pytest.param("COMPARISON: MRI 7 weeks prior.\nFINDINGS: Enhancement along the right parietal glioblastoma cavity "
                 "has increased.\nIMPRESSION: Radiation necrosis - not favoured. The appearances represent tumour "
                 "progression.", {"glioma": ["progression"]}, id="dismissed-radiation-necrosis"),
    # a change of a feature the diagnosis has ("with", "shows") may be put down to treatment after it
    pytest.param("COMPARISON: 01/12.\nFINDINGS: KNOWN RIGHT PARIETAL GLIOBLASTOMA WITH INCREASED ENHANCEMENT ALONG "
                 "THE CAVITY, LIKELY RADIATION NECROSIS.", {"glioma": []}, id="diagnosis-with-change-attributed"),
    pytest.param("Comparison: prior study.\nThe treated left occipital metastasis shows increased enhancement, most "
                 "in keeping with post-radiation change.", {"metastasis": []}, id="diagnosis-shows-change-attributed"),
    pytest.param("Comparison: prior study.\nKnown right parietal glioblastoma with increased enhancement along the "
                 "cavity.", {"glioma": ["progression"]}, id="diagnosis-with-change"),
    # "considered" puts a change down to what follows or precedes it (Chinese-template English)
    pytest.param("Imaging findings: Compared with the previous film, the enhancement around the right temporal "
                 "glioblastoma cavity is increased, pseudoprogression considered.\nImaging diagnosis: Considered "
                 "pseudoprogression, please combine with clinic.", {"glioma": []}, id="considered-pseudoprogression"),
    pytest.param("Comparison: prior film.\nKnown glioblastoma. The cavity enhancement has increased. Pseudoprogression "
                 "is considered less likely; tumour progression is favoured.", {"glioma": ["progression"]},
                 id="considered-less-likely"),
    # --- a progression denied is stable, and a change joined to the denial by "or" is denied with it
    pytest.param("Breast cancer metastases after radiosurgery. Comparison: the MRI of August.\nImpression: No "
                 "evidence of disease progression.", {"metastasis": ["stable"]}, id="no-evidence-of-progression"),
    pytest.param("Known glioblastoma. Comparison: prior study.\nConclusion: No progression.", {"glioma": ["stable"]},
                 id="no-progression"),
    pytest.param("Known glioblastoma. Comparison: prior study.\nConclusion: No interval progression or recurrence.",
                 {"glioma": ["stable"]}, id="no-progression-or-recurrence"),
    pytest.param("Comparison: prior study.\nNo signs of progression of the treated cerebellar metastasis.",
                 {"metastasis": ["stable"]}, id="denied-progression-keeps-the-diagnosis"),
    pytest.param("Known metastases. Comparison: prior study.\nThe treated right occipital metastasis is not stable.",
                 {"metastasis": []}, id="not-stable-stays-denied"),
    # --- South-Asian idiom
    pytest.param("Comparison: previous MRI dated 01/02/2026.\nFindings: Left frontal glioma - status quo.",
                 {"glioma": ["stable"]}, id="status-quo"),
    pytest.param("Comparison: previous MRI.\nImpression: Known GBM. Status quo.", {"glioma": ["stable"]},
                 id="status-quo-alone"),
    pytest.param("Comparison: previous MRI.\nFindings: Interval increase in size of the right parietal lesion with "
                 "low rCBV, features s/o radiation necrosis.\nImpression: Known metastasis, post SRS.",
                 {"metastasis": []}, id="s/o-radiation-necrosis"),
    pytest.param("Known astrocytoma. Comparison: previous MRI.\nNot much change in the right insular astrocytoma.",
                 {"glioma": ["stable"]}, id="not-much-change"),
    pytest.param("Known metastasis. Comparison: previous MRI.\nThe left cerebellar metastasis is comparable to the "
                 "previous study.", {"metastasis": ["stable"]}, id="comparable-to-the-previous"),
    pytest.param("Known glioma. Comparison: previous MRI.\nThe right temporal glioma has become bulkier.",
                 {"glioma": ["progression"]}, id="bulkier"),
    pytest.param("Known glioma. Comparison: previous MRI.\nRight temporal glioma now measuring 5.1 cm as against "
                 "3.9 cm previously.", {"glioma": ["progression"]}, id="size-as-against"),
    pytest.param("Known metastases. Comparison: previous MRI.\nThe left frontal metastasis measures 4 mm compared "
                 "with 11 mm on the prior.", {"metastasis": ["improvement"]}, id="size-compared-with"),
    # Australian understatement
    pytest.param("Comparison: MRI of 4/9.\nFindings: The left occipital metastasis is not appreciably changed cf "
                 "prior.", {"metastasis": ["stable"]}, id="not-appreciably-changed"),
    pytest.param("Comparison: MRI of 4/9.\nNo material change in the right insular oligodendroglioma.",
                 {"glioma": ["stable"]}, id="no-material-change"),
    # --- response wording
    pytest.param("Comparison: prior MRI.\nFindings: Right frontal metastasis - minor response.",
                 {"metastasis": ["improvement"]}, id="minor-response"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_episodes_of_new_writers(pipeline: Pipeline, text: str, expected: dict) -> None:
    assert _findings(pipeline, text) == expected
