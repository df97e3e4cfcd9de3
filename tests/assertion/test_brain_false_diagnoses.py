"""Brain MRI diagnoses that a report names without asserting them (issue 13 item 8; guideline section 3
rule 1): dismissed differentials, "no evidence of", excluded, history and treated-away lesions, and the
"non-" prefix that denies one word only. Sentences written for this file, in varied wordings."""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline


def _findings(pipeline: Pipeline, text: str, modality: str = "brain_mri") -> dict[str, list[str]]:
    return findings(pipeline, text, modality)


ABSENT_OR_DISMISSED = [
    # dismissed differentials
    pytest.param("Ring-enhancing right frontal lesion. Abscess was considered but is unlikely given the absence of "
                 "restricted diffusion. Favour metastasis.", {"metastasis": []}, id="considered-but-unlikely"),
    pytest.param("Enhancing lesion favoured to represent metastasis rather than glioma.", {"metastasis": []},
                 id="favoured-to-represent-rather-than"),
    pytest.param("Findings are favoured to represent a tumefactive demyelinating lesion rather than lymphoma.",
                 {"demyelinating": []}, id="favoured-to-represent-a"),
    pytest.param("The lesion is thought to represent a tumefactive demyelinating lesion rather than a high-grade "
                 "glioma.", {"demyelinating": []}, id="thought-to-represent"),
    pytest.param("Solitary enhancing lesion. Metastasis was considered but is unlikely given the single lesion; "
                 "high-grade glioma is favoured.", {"glioma": []}, id="considered-but-unlikely-favoured"),
    pytest.param("Extra-axial mass, meningioma. Metastasis is not favoured.", {"non_malignant_tumor": []},
                 id="not-favoured"),
    pytest.param("Lymphoma is unlikely given the lack of restricted diffusion; the appearance is that of "
                 "demyelination.", {"demyelinating": []}, id="unlikely-given"),
    pytest.param("Abscess is thought less likely than necrotic metastasis.", {"metastasis": []},
                 id="less-likely-than"),
    pytest.param("The appearance is not that of an abscess; a necrotic metastasis is more likely.",
                 {"metastasis": []}, id="not-that-of"),
    pytest.param("Features are against an abscess.", {}, id="features-are-against"),
    pytest.param("Small T2 foci, non-specific, likely small vessel disease. Demyelination is considered unlikely.",
                 {}, id="considered-unlikely"),
    # "no evidence of", excluded
    pytest.param("Left temporal T2 hyperintensity. No imaging features to suggest encephalitis.", {},
                 id="no-features-to-suggest"),
    pytest.param("There are no imaging features to suggest an abscess.", {}, id="no-features-to-suggest-an"),
    pytest.param("No findings to suggest metastatic disease.", {}, id="no-findings-to-suggest"),
    pytest.param("No convincing evidence of leptomeningeal disease.", {}, id="no-convincing-evidence"),
    pytest.param("There is no restricted diffusion to suggest acute infarction.", {}, id="no-dwi-to-suggest"),
    pytest.param("No evidence of acute or subacute infarction, intracranial haemorrhage or mass lesion.", {},
                 id="no-evidence-list"),
    pytest.param("Acute infarct has been excluded.", {}, id="has-been-excluded"),
    pytest.param("Haemorrhage has been excluded on SWI.", {}, id="excluded-on"),
    pytest.param("Encephalitis is not suspected.", {}, id="not-suspected"),
    pytest.param("The lesion does not have the appearance of a meningioma.", {}, id="not-the-appearance-of"),
    pytest.param("There is no longer any evidence of the subdural haematoma.", {}, id="no-longer-any-evidence"),
    pytest.param("Indication: rule out abscess. Findings: no ring-enhancing lesion. Impression: no abscess.", {},
                 id="rule-out-answered"),
    # history lines and lesions treated away
    pytest.param("Status post resection of a right frontal meningioma, without residual or recurrent tumour.", {},
                 id="resected-meningioma"),
    pytest.param("Status post evacuation of a left subdural haematoma. No residual collection.", {},
                 id="evacuated-haematoma"),
    pytest.param("History: remote left PICA infarct. Findings: normal brain parenchyma.", {}, id="history-infarct"),
    pytest.param("History: prior intracerebral haemorrhage.\nFindings: Normal appearances. No blood products.", {},
                 id="history-haemorrhage"),
    pytest.param("Known history of meningioma. No meningioma is identified on this study.", {},
                 id="history-denied-now"),
    pytest.param("The previously seen aneurysm has been clipped; no residual aneurysm.", {}, id="clipped"),
    pytest.param("The right MCA aneurysm was coiled in 2018; stable coil mass without recanalisation.", {},
                 id="coiled"),
]

# the same kinds as hospital English of second-language writers puts them
SECOND_LANGUAGE_WRITERS = [
    pytest.param("Ring lesion in Rt. parietal lobe - s/o abscess.\nImpression:\n- Cerebral abscess.\n- ? Lymphoma - "
                 "less probable.", {"infection_inflammation": []}, id="question-less-probable"),
    pytest.param("Lesion not suggestive of infarct.", {}, id="not-suggestive-of"),
    pytest.param("No images suggestive of haemorrhage.", {}, id="no-images-suggestive"),
    pytest.param("Antecedent of meningioma operated, without residual.", {}, id="antecedent-of"),
    pytest.param("Old operated left frontal meningioma. No recurrence.", {}, id="operated"),
    pytest.param("No signs of tumoral recurrence.", {}, id="no-signs-of"),
    pytest.param("r/o metastasis (-)", {}, id="ro-minus"),
    pytest.param("Metastasis: not seen.", {}, id="field-not-seen"),
    pytest.param("Metastasis is ruled out.", {}, id="ruled-out"),
    pytest.param("No e/o abscess formation.", {}, id="no-eo"),
    pytest.param("Toxoplasmosis is less favoured.", {}, id="less-favoured"),
    pytest.param("Low possibility of metastasis.", {}, id="low-possibility"),
    pytest.param("Unlikely metastasis.", {}, id="unlikely-before"),
    pytest.param("Without signs of bleeding.", {}, id="without-signs"),
    pytest.param("Hemorrhage (-).", {}, id="minus-after"),
    pytest.param("Previous hematoma, now resolved.", {}, id="now-resolved"),
    pytest.param("The haematoma has been reabsorbed.", {}, id="reabsorbed"),
    pytest.param("Complete reabsorption of the previous haematoma.", {}, id="reabsorption-of"),
    pytest.param("Infarct is not considered.", {}, id="not-considered"),
    pytest.param("r/o brain abscess -> 가능성 낮음. metastasis 의심.", {"metastasis": []}, id="ko-arrow-answer"),
    pytest.param("r/o abscess -> less likely. Favour metastasis.", {"metastasis": []}, id="arrow-answer"),
    pytest.param("과거력: 뇌출혈. 현재 급성 병변 없음.", {}, id="ko-history"),
    pytest.param("Hx) meningioma OP 후. 잔여 종양 없음.", {}, id="ko-operated"),
]

# emergency and teleradiology reads: questions answered negatively, pertinent-negative lists
EMERGENCY_READS = [
    pytest.param("MRI BRAIN W/O\nINDICATION: R/O STROKE.\nFINDINGS: NO RESTRICTED DIFFUSION. NO HEMORRHAGE. NO MASS."
                 "\nIMPRESSION: NEGATIVE FOR ACUTE INFARCT.", {}, id="ed-negative-for"),
    pytest.param("CLINICAL QUESTION: Abscess? Meningitis?\nFindings: No rim-enhancing collection. No leptomeningeal "
                 "enhancement.\nImpression: No MRI evidence of abscess or meningitis.", {}, id="ed-question-answered"),
    pytest.param("Evaluate for metastasis in a patient with lung cancer.\nNo enhancing parenchymal or leptomeningeal "
                 "lesions.\nImpression: No intracranial metastatic disease.", {}, id="ed-evaluate-for"),
    pytest.param("Pertinent negatives:\n- No acute infarct.\n- No intracranial hemorrhage.\n- No mass effect.\n"
                 "Pertinent positives:\n- Chronic right occipital infarct.", {"stroke_infarction": []},
                 id="ed-pertinent-lists"),
    pytest.param("Impression: 1. No acute intracranial abnormality. 2. Findings not suggestive of encephalitis.", {},
                 id="ed-not-suggestive"),
    pytest.param("Acute left MCA infarct. Hemorrhagic transformation is not seen.", {"stroke_infarction": []},
                 id="ed-transformation-not-seen"),
    pytest.param("Multiple T2 lesions. Demyelinating disease favored; vasculitis considered less likely.",
                 {"demyelinating": []}, id="ed-considered-less-likely"),
    pytest.param("Prior history of left frontal ICH, now with encephalomalacia. No new hemorrhage.", {},
                 id="ed-prior-history"),
    pytest.param("Cerebellar hematoma, unlikely tumoral hemorrhage; no underlying enhancing mass.",
                 {"hemorrhage_vascular": []}, id="ed-unlikely-tumoral"),
    pytest.param("Ring-enhancing lesion: abscess versus necrotic tumor; no restricted diffusion, so abscess less "
                 "favored. Metastasis or glioblastoma favored.", {"metastasis": [], "glioma": []},
                 id="ed-less-favored"),
]

# more ways to deny, dismiss or date a diagnosis
MORE_WORDINGS = [
    pytest.param("Neither abscess nor metastasis is favoured; the appearance is of a subacute infarct.",
                 {"stroke_infarction": []}, id="neither-nor"),
    pytest.param("No signal abnormality suspicious for demyelination, infarction or tumour.", {},
                 id="no-abnormality-suspicious-for"),
    pytest.param("Infarct: absent. Haemorrhage: absent.", {}, id="field-absent"),
    pytest.param("Free of metastatic disease.", {}, id="free-of"),
    pytest.param("Intracranial haemorrhage is not identified.", {}, id="not-identified"),
    pytest.param("Remote history of subarachnoid haemorrhage, clipped aneurysm. No acute findings.", {},
                 id="clipped-aneurysm"),
    pytest.param("Previously described abscess has resolved with residual gliosis.", {}, id="resolved-with-gliosis"),
    pytest.param("Demyelinating disease is less likely than small vessel ischemic change.", {}, id="less-likely-than"),
    pytest.param("Enhancing lesion. Glioblastoma is excluded by the biopsy; lymphoma was confirmed.",
                 {"lymphoma": []}, id="excluded-by-biopsy"),
    pytest.param("Tumefactive demyelination rather than glioma or lymphoma.", {"demyelinating": []},
                 id="rather-than-two"),
    pytest.param("DWI bright lesion in the left pons, favor acute lacunar infarct over demyelination.",
                 {"stroke_infarction": []}, id="favor-x-over-y"),
    pytest.param("Ring-enhancing lesions: toxoplasmosis favoured over lymphoma.", {"infection_inflammation": []},
                 id="favoured-over"),
    pytest.param("Meningioma - unchanged. Metastasis - not seen.", {"non_malignant_tumor": []}, id="dash-not-seen"),
]

PRESENT = [
    pytest.param("Questionable tiny cavernoma in the pons.", {"hemorrhage_vascular": []}, id="questionable"),
    pytest.param("The previously reported acute infarct has evolved into a chronic infarct.",
                 {"stroke_infarction": []}, id="evolved-infarct"),
    pytest.param("The differential includes lymphoma and glioblastoma; lymphoma is favored given the homogeneous "
                 "enhancement.", {"lymphoma": [], "glioma": []}, id="differential-both-kept"),
    pytest.param("HX: MELANOMA. HEADACHE.\nFINDINGS: SMALL ENHANCING FOCUS RIGHT FRONTAL, 4 MM, NONSPECIFIC; "
                 "METASTASIS NOT EXCLUDED.", {"metastasis": []}, id="ed-not-excluded"),
    pytest.param("PRELIMINARY READ: NEGATIVE.\nFINAL: 5 mm subacute infarct in the right corona radiata, missed on the "
                 "preliminary read.", {"stroke_infarction": []}, id="ed-final-read"),
    pytest.param("Cerebritis cannot be entirely excluded.", {"infection_inflammation": []}, id="not-excluded"),
    pytest.param("Old lacunar infarct in the right thalamus. No acute infarct.", {"stroke_infarction": []},
                 id="chronic-beside-no-acute"),
    pytest.param("Chronic microhaemorrhages in the basal ganglia. No acute haemorrhage.", {"hemorrhage_vascular": []},
                 id="microbleeds-beside-no-acute"),
    pytest.param("Known history of glioblastoma resected in 2019; no residual or recurrent tumour.", {"glioma": []},
                 id="treated-malignancy-followed"),
    # "non-" denies the word it is joined to, not the finding it describes
    pytest.param("Acute non-haemorrhagic infarct in the left MCA territory.", {"stroke_infarction": []},
                 id="non-haemorrhagic-infarct"),
    pytest.param("Non-contrast study: large right MCA infarct.", {"stroke_infarction": []}, id="non-contrast"),
]


@pytest.mark.parametrize(("text", "expected"),
                         ABSENT_OR_DISMISSED + SECOND_LANGUAGE_WRITERS + EMERGENCY_READS + MORE_WORDINGS + PRESENT)
def test_named_but_not_asserted(pipeline: Pipeline, text: str, expected: dict) -> None:
    assert _findings(pipeline, text) == expected


def test_non_prefix_leaves_the_rest_of_the_phrase(pipeline: Pipeline) -> None:
    # the same trigger data serves both modalities
    assert _findings(pipeline, "Non-calcified 6 mm nodule in the RUL.", "chest_ct") == {"nodule": ["rul"]}
    assert _findings(pipeline, "Known glioma. The non-enhancing component is unchanged.") == {"glioma": ["stable"]}
