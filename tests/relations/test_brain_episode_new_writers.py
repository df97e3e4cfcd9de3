"""Brain MRI episodes as the session-6 writers put them (issue 13 item 7; guideline section 3 rules 2-4):
shorthand arrows and clipped words, calques of Spanish size comparisons, verbs a tendency names, plain words
for the patient ("a growth" is the tumour, "looks the same" is stable), a change standing alone after a comma
said of that clause's head, a finding of another organ, an outside reading restated in a second opinion, and
treatment named as the cause in their words ("RN", "post-RT", "in relation with"). Reports written for this
file."""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.pipeline import Pipeline


def _findings(pipeline: Pipeline, text: str) -> dict[str, list[str]]:
    return findings(pipeline, text, "brain_mri")


CASES = [
    # --- shorthand: arrows, clipped words, "prev" as the earlier size
    pytest.param("Hx: lung ca w/ brain mets s/p SRS. Comp: MRI 2 mo ago.\n- Both mets ↓ in size.",
                 {"metastasis": ["improvement"]}, id="arrow-down"),
    pytest.param("Hx: GBM s/p GTR + chemoRT. Comp: MRI 6 wk ago.\n- Nodular enh at cavity margin ↑.",
                 {"glioma": ["progression"]}, id="arrow-up"),
    pytest.param("Hx: GBM on TMZ. Comp: MRI 2 mo ago.\n- Enh ↓, FLAIR ↓.", {"glioma": ["improvement"]},
                 id="arrows-down-list"),
    pytest.param("Hx: melanoma mets. Comp: MRI 3 mo ago.\n- R occipital met: unch.", {"metastasis": ["stable"]},
                 id="unch"),
    pytest.param("Hx: melanoma mets. Comp: MRI 3 mo ago.\n- R occipital met: decr in size.",
                 {"metastasis": ["improvement"]}, id="decr"),
    pytest.param("Hx: melanoma mets. Comp: MRI 3 mo ago.\n- R occipital met: incr in size.",
                 {"metastasis": ["progression"]}, id="incr"),
    pytest.param("Hx: breast ca mets. Comp: MRI 3 mo ago.\n- Vermian met 14mm (prev 6mm).",
                 {"metastasis": ["progression"]}, id="prev-size"),
    # a change sign denied is no change: stable, like "not increased"; "↔" is unchanged
    pytest.param("Hx: GBM s/p GTR. Comp: MRI 8 wk ago.\n- Cavity wall: no ↑ enh. Stable.", {"glioma": ["stable"]},
                 id="no-arrow-up"),
    pytest.param("Hx: lung ca mets s/p SRS. Comp: MRI 3 mo ago.\n- R parietal met: no Δ.", {"metastasis": ["stable"]},
                 id="no-delta"),
    pytest.param("Hx: lung ca mets s/p SRS. Comp: MRI 3 mo ago.\n- R parietal met 7mm ↔.", {"metastasis": ["stable"]},
                 id="both-ways-arrow"),
    # "RN" names radiation necrosis: the growth it explains is no progression
    pytest.param("Hx: mets s/p SRS to the R frontal met. Comp: MRI 3 mo ago.\n- R frontal SRS site: ↑ enh, rCBV "
                 "low.\nIMP: RN at the R frontal SRS site.", {"metastasis": []}, id="rn-shorthand"),
    # --- calques of Spanish comparisons of size, and a denied variation
    pytest.param("Known metastases. Regarding the previous study.\nLesser size of the right temporal metastasis.",
                 {"metastasis": ["improvement"]}, id="lesser-size"),
    pytest.param("Known metastases. Regarding the previous study.\nGreater size of the right temporal metastasis.",
                 {"metastasis": ["progression"]}, id="greater-size"),
    pytest.param("Known lymphoma. Regarding the previous study.\nThe callosal lymphoma persists without significant "
                 "variations.", {"lymphoma": ["stable"]}, id="without-significant-variation"),
    pytest.param("Known metastases. Regarding the previous study.\nDiminution of size of the pontine metastasis.",
                 {"metastasis": ["improvement"]}, id="diminution"),
    pytest.param("Known metastases. Regarding the previous study.\nThe pontine metastasis has augmented in size.",
                 {"metastasis": ["progression"]}, id="augmented"),
    pytest.param("Compared with the previous MRI.\nAnaplastic astrocytoma after radiotherapy.\nExacerbation of the "
                 "T2 high signal lesion in the left temporal lobe.", {"glioma": ["progression"]}, id="exacerbation"),
    pytest.param("Known glioma on chemotherapy. Comparison: 8 weeks ago.\nPatient summary: The bright area in your "
                 "tumor has faded.", {"glioma": ["improvement"]}, id="faded"),
    # --- a tendency named by its verb
    pytest.param("Compared with the previous MRI.\nMetastases of lung cancer after gamma knife.\nLeft parietal "
                 "lesion: tendency to shrink.", {"metastasis": ["improvement"]}, id="tendency-to-shrink"),
    pytest.param("Compared with the previous MRI.\nMetastases of lung cancer.\nThe pontine lesion continues to "
                 "grow.", {"metastasis": ["progression"]}, id="continues-to-grow"),
    # --- plain words for the patient
    pytest.param("No prior imaging.\nPatient summary: There is a growth on the right side of your brain. It is "
                 "most likely a glioma.", {"glioma": []}, id="a-growth-is-the-tumour"),
    pytest.param("Known glioma on chemotherapy. Comparison: 3 months ago.\nPatient summary: The growth in your brain "
                 "has become smaller.", {"glioma": ["improvement"]}, id="growth-in-your-brain"),
    pytest.param("Known glioma. Comparison: 4 months ago.\nPatient summary: Your tumor looks the same as last time.",
                 {"glioma": ["stable"]}, id="looks-the-same"),
    pytest.param("Lymphoma of the brain in remission. Comparison: 3 months ago.\nPatient summary: The lymphoma has "
                 "come back on the left side.", {"lymphoma": ["progression"]}, id="come-back"),
    # --- a change alone after a comma speaks of its clause's head, not of a tumour word inside that clause
    pytest.param("Known metastases. Comparison: 2 months ago.\nThe metastases have decreased. Blood products in the "
                 "left frontal lesion, unchanged.", {"metastasis": ["improvement"]},
                 id="head-of-clause"),
    pytest.param("Known metastases. Comparison: 2 months ago.\nThe frontal metastasis with its oedema, smaller.",
                 {"metastasis": ["improvement"]}, id="head-of-clause-is-the-tumour"),
    # a finding of another organ stated unchanged is no change of the tumour
    pytest.param("Known glioma. Comparison: 6 months ago.\nThe glioma has decreased. Small occipital scalp lipoma, "
                 "unchanged.", {"glioma": ["improvement"]}, id="other-organ-unchanged"),
    pytest.param("Known glioma. Comparison: 5 months ago.\nPatient summary: Your tumor hasn't changed.",
                 {"glioma": ["stable"]}, id="hasnt-changed"),
    # --- another reading restated in a second opinion: the review's own statement decides
    pytest.param("Neuroradiology second opinion. History: treated glioblastoma.\nOutside report: larger enhancing "
                 "area at the cavity, suspicious for progression.\nOur review: on matched sequences the enhancement "
                 "is unchanged.", {"glioma": ["stable"]}, id="outside-report-restated"),
    # every opening of an outside reading (sections.yaml outside_readers) tells the story, not only the ones above
    pytest.param("Neuroradiology second opinion. History: treated glioblastoma.\nThe outside radiologist: larger "
                 "enhancing area at the cavity.\nOur review: on matched sequences the enhancement is unchanged.",
                 {"glioma": ["stable"]}, id="outside-radiologist-restated"),
    pytest.param("Neuroradiology second opinion. History: treated glioblastoma.\nThe outside MRI report: larger "
                 "enhancing area at the cavity.\nOur review: on matched sequences the enhancement is unchanged.",
                 {"glioma": ["stable"]}, id="outside-mri-report-restated"),
    # --- treatment named as the cause, as these writers put it
    pytest.param("Glioblastoma operated and irradiated. Regarding the previous study.\nIncrease of the enhancement "
                 "around the cavity, in relation with radiation necrosis.", {"glioma": []}, id="in-relation-with"),
    pytest.param("Hx: GBM s/p GTR + chemoRT. Comp: MRI 5 wk ago.\n- ↑ enh along the cavity, c/w post-RT change.",
                 {"glioma": []}, id="post-rt-change"),
    pytest.param("Hx: GBM s/p chemoRT. Comp: MRI 5 wk ago.\n- ↑ FLAIR signal around the cavity, likely XRT effect.",
                 {"glioma": []}, id="xrt-effect"),
    # a tumour removed since the pre-operative examination, in shorthand
    pytest.param("Comparison: pre-operative MRI.\nLeft temporal glioblastoma, post-operative study: GTR, no "
                 "residual enhancement.", {"glioma": ["improvement"]}, id="gtr-since-pre-operative"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_episode(pipeline: Pipeline, text: str, expected: dict[str, list[str]]) -> None:
    assert _findings(pipeline, text) == expected
