"""Brain MRI episodes across sentences (issue 13 item 7; guideline section 3 rules 2-3): growth in the
findings that the impression puts down to treatment, "unchanged" then "no new lesions", several lesions
with different courses. Reports written for this file, in varied wordings."""

from __future__ import annotations

import pytest

from omop_nlp.model import Report
from omop_nlp.pipeline import Pipeline

CASES = [
    # --- growth explained by treatment in the impression
    pytest.param("Known GBM after chemoradiation, compared with 2 months ago.\nFindings: The enhancing rim around "
                 "the right temporal cavity has increased.\nImpression: Increased enhancement is favoured to "
                 "represent pseudoprogression.", {"glioma": []}, id="favoured-to-represent"),
    pytest.param("Known GBM after chemoradiation, compared with 2 months ago.\nFindings: The enhancement at the left "
                 "frontal resection margin has increased in size.\nImpression: Findings likely reflect treatment-"
                 "related changes; recommend short-interval follow-up.", {"glioma": []}, id="likely-reflect"),
    pytest.param("Known metastases after SRS, compared with 3 months ago.\nFindings: The right cerebellar lesion has "
                 "enlarged with surrounding oedema.\nImpression: Radiation necrosis is favoured over tumour "
                 "progression at the right cerebellar site.", {"metastasis": []}, id="favoured-over-progression"),
    pytest.param("Glioblastoma, post chemoradiation. Comparison: 6 weeks.\nThe enhancing component at the resection "
                 "cavity has grown.\nImpression: Pseudoprogression is the leading consideration.", {"glioma": []},
                 id="leading-consideration"),
    pytest.param("Known GBM, after chemoradiation; compared with prior. Increased enhancement in the right temporal "
                 "lobe.\nImpression: Early pseudoprogression is the most likely explanation.", {"glioma": []},
                 id="most-likely-explanation"),
    pytest.param("Known GBM after chemoradiation. Comparison: 1 month.\nFindings: Interval increase in enhancement "
                 "along the right temporal resection cavity.\nImpression: Increased enhancement along the resection "
                 "cavity, most in keeping with treatment-related change.", {"glioma": []}, id="in-keeping-with"),
    pytest.param("Treated glioblastoma. Compared with prior:\nThe right frontal enhancement has enlarged.\n"
                 "IMPRESSION: Enlarging enhancement, radiation necrosis favoured over recurrence.", {"glioma": []},
                 id="favoured-after"),
    pytest.param("Metastatic melanoma after immunotherapy. Compared with prior, the right parietal lesion is larger."
                 "\nIMPRESSION: Enlarging right parietal lesion, likely pseudoprogression related to immunotherapy. "
                 "No new metastases.", {"metastasis": []}, id="immunotherapy-pseudoprogression"),
    # the impression concludes treatment effect for one site: that site's growth only
    pytest.param("Metastases after SRS. Comparison 3 months.\nThe left cerebellar lesion is larger, with low rCBV.\n"
                 "Conclusion: Radiation necrosis at the left cerebellar site. The remaining metastases are stable.",
                 {"metastasis": ["stable"]}, id="concluded-at-one-site"),
    pytest.param("Metastases after SRS. Comparison 3 months.\nThe left cerebellar lesion is larger, with low rCBV.\n"
                 "Conclusion: Radiation necrosis at the left cerebellar site. A new right occipital metastasis.",
                 {"metastasis": ["progression"]}, id="concluded-other-lesion-new"),
    pytest.param("Metastases after WBRT, compared with March. All lesions are smaller except the right frontal one, "
                 "which has increased.\nImpression: Mixed response; the right frontal lesion most likely represents "
                 "radiation necrosis.", {"metastasis": ["improvement"]}, id="mixed-then-one-lesion-explained"),
    pytest.param("Oligodendroglioma, compared with the last MRI.\nThe non-enhancing tumour is stable. A new area of "
                 "enhancement along the cavity is consistent with radiation necrosis.", {"glioma": ["stable"]},
                 id="new-enhancement-explained"),
    pytest.param("Known GBM. Comparison: 2 months.\nSlightly increased FLAIR signal around the cavity, in keeping "
                 "with post-radiation change. The residual enhancing tumour is stable.", {"glioma": ["stable"]},
                 id="flair-explained-tumour-stable"),
    pytest.param("Glioma follow-up. Comparison: 3 months.\nThe FLAIR signal around the cavity has increased, "
                 "attributed to radiation.\nImpression: post-radiation change; no evidence of tumour progression.",
                 {"glioma": []}, id="attributed-to"),
    pytest.param("Known metastasis after SRS, compared with prior. The treated lesion has enlarged.\nImpression: "
                 "Recurrent metastasis is considered less likely than radiation necrosis.", {"metastasis": []},
                 id="recurrence-less-likely-than-necrosis"),
    pytest.param("Known GBM. Compared with prior: increased enhancement. Impression: recurrence is considered less "
                 "likely than radiation change.", {"glioma": []}, id="less-likely-than-radiation-change"),
    pytest.param("GBM s/p OP, CCRT 후 추적.\n수술 부위 조영증강 증가.\n결론: 가성진행 가능성 높음.", {"glioma": []},
                 id="ko-pseudoprogression-likely"),
    pytest.param("Known GBM after chemoradiation, compared with prior. Increased enhancement at the cavity.\n"
                 "Impression: The appearance is that of radiation necrosis.", {"glioma": []}, id="is-that-of"),
    # --- treatment named only as a differential or dismissed: the growth stands
    pytest.param("GBM s/p OP, CCRT 후 추적.\n수술 부위 조영증강 증가.\n결론: 종양 재발 의심, 방사선 괴사 가능성 낮음.",
                 {"glioma": ["progression"]}, id="ko-necrosis-unlikely"),
    pytest.param("Glioblastoma, post chemoradiation. Comparison: 6 weeks.\nThe enhancing component at the resection "
                 "cavity has grown.\nImpression: Progression of glioblastoma; pseudoprogression is less likely.",
                 {"glioma": ["progression"]}, id="pseudoprogression-less-likely"),
    pytest.param("Known GBM. Compared to the prior study there is an increase in the enhancing tumor at the left "
                 "temporal cavity, with elevated rCBV, consistent with tumour progression rather than treatment "
                 "effect.", {"glioma": ["progression"]}, id="rather-than-treatment-effect"),
    pytest.param("Known GBM. Increased enhancement at the cavity.\nImpression: treatment effect versus progression; "
                 "follow-up advised.", {"glioma": ["progression"]}, id="differential"),
    pytest.param("Known GBM on temozolomide, compared with June. Enlarging enhancing component at the left parietal "
                 "site. Impression: pseudoprogression versus true progression.", {"glioma": ["progression"]},
                 id="versus-true-progression"),
    pytest.param("Glioma, compared with 3 months ago. The mass has grown.\nImpression: Tumour progression. Radiation "
                 "necrosis is considered less likely.", {"glioma": ["progression"]}, id="necrosis-less-likely"),
    # --- "unchanged" and "no new lesions" in the next sentence is stable
    pytest.param("Known metastases, compared with prior.\nFindings: The left occipital metastasis is unchanged. No new "
                 "lesions.\nImpression: Stable.", {"metastasis": ["stable"]}, id="unchanged-no-new"),
    pytest.param("Known metastases, compared with prior.\nThe treated left parietal lesion is unchanged in size. "
                 "There are no new enhancing lesions.", {"metastasis": ["stable"]}, id="there-are-no-new"),
    pytest.param("Known PCNSL. Compared with prior.\nThe periventricular lesion is unchanged. No new lesion is seen.\n"
                 "Impression: No evidence of progression.", {"lymphoma": ["stable"]}, id="no-evidence-of-progression"),
    pytest.param("Known lymphoma. Comparison: 2 months.\nThe left thalamic lesion is unchanged.\nNo new lesions are "
                 "seen.", {"lymphoma": ["stable"]}, id="next-line"),
    pytest.param("Known metastases. Comparison 8 weeks.\nStable right parietal metastasis. No additional lesions.",
                 {"metastasis": ["stable"]}, id="no-additional"),
    pytest.param("Known metastases. Comparison 8 weeks.\nThe right parietal metastasis has not changed. There are no "
                 "new metastases.", {"metastasis": ["stable"]}, id="no-new-metastases"),
    # --- the same kinds as hospital English of second-language writers puts them
    pytest.param("Known GBM. Compare with previous, no interval change of lesion. No new lesion appeared.",
                 {"glioma": ["stable"]}, id="esl-no-new-appeared"),
    pytest.param("Known metastasis. Size of lesion is same as before.", {"metastasis": ["stable"]},
                 id="esl-same-as-before"),
    pytest.param("PCNSL on treatment. Lesion shows similar size compared with previous.", {"lymphoma": ["stable"]},
                 id="esl-similar-size"),
    pytest.param("Lung ca with brain metastasis s/p GKS. New appeared enhancing nodule at Lt. frontal -> metastasis.",
                 {"metastasis": ["progression"]}, id="esl-new-appeared"),
    pytest.param("Operated glioblastoma. Slightly increased size of the enhancing lesion at the surgical bed, "
                 "radionecrosis more probable than recurrence.", {"glioma": []}, id="esl-more-probable-than"),
    pytest.param("Operated glioblastoma, post radiotherapy. Increased enhancement at the operative bed, probably by "
                 "radiotherapy effect.", {"glioma": []}, id="esl-probably-by"),
    pytest.param("Known GBM after CCRT. Compared with previous, enhancing lesion increased.\nConclusion: Post "
                 "radiotherapy changes, pseudoprogression.", {"glioma": []}, id="esl-conclusion-post-radiotherapy"),
    pytest.param("Known GBM after CCRT. Compared with previous, enhancing lesion increased.\nConclusion: Progression; "
                 "pseudoprogression cannot be ruled out.", {"glioma": ["progression"]}, id="esl-cannot-be-ruled-out"),
    pytest.param("Known metastases, compared with the previous.\nRt. frontal lesion decreased. Lt. cerebellar lesion: "
                 "similar.\nNo new appeared lesion.", {"metastasis": ["improvement", "stable"]}, id="esl-list"),
    pytest.param("Brain metastases from breast cancer, radiosurgery 4 months ago. Compared to previous: right parietal "
                 "lesion bigger with more oedema, compatible with radionecrosis. No new lesions.\nConclusion: "
                 "Radionecrosis of the right parietal metastasis.", {"metastasis": []}, id="esl-radionecrosis"),
    pytest.param("Patient with glioblastoma operated and treated with radiotherapy. Compared to previous study, there "
                 "is increase of the enhancement in the surgical cavity, with low perfusion, compatible with "
                 "post-treatment changes. No new lesions.", {"glioma": []}, id="esl-post-treatment-changes"),
    pytest.param("Glioma grade 2, follow-up. The lesion is without significant changes. There are no new lesions.",
                 {"glioma": ["stable"]}, id="esl-without-significant-changes"),
    pytest.param("Known lymphoma, compared with previous: disappearance of the left frontal lesion. No new lesions.\n"
                 "Conclusion: Complete response.", {"lymphoma": ["improvement"]}, id="esl-disappearance"),
    pytest.param("Metastasis of lung cancer treated, compared with prior: no more seen the left occipital lesion.",
                 {"metastasis": ["improvement"]}, id="esl-no-more-seen"),
    # --- oncology follow-up reads
    pytest.param("Background: Melanoma brain metastases, SRS to three lesions 4 months ago.\nComparison: MRI 2 months "
                 "ago.\nFindings: The right frontal lesion has increased from 8 to 12 mm with a low-perfusion rim. The "
                 "other two lesions are smaller. No new lesion.\nConclusions:\n1. Enlarging treated right frontal "
                 "lesion, favour radiation necrosis; perfusion does not support recurrence.\n2. Response of the other "
                 "treated metastases.", {"metastasis": ["improvement"]}, id="onc-one-site-necrosis"),
    pytest.param("Background: Glioblastoma after chemoradiation.\nComparison: 3 months.\nFindings: New enhancing "
                 "nodule in the contralateral right frontal lobe, 9 mm, remote from the treatment field.\nConclusions: "
                 "Distant new lesion outside the radiation field, consistent with progression.",
                 {"glioma": ["progression"]}, id="onc-outside-the-field"),
    pytest.param("Background: PCNSL, complete response 1 year ago.\nComparison: 6 months.\nFindings: New 1.5 cm "
                 "enhancing lesion in the left thalamus with restricted diffusion.\nConclusions: Relapse of lymphoma.",
                 {"lymphoma": ["progression"]}, id="onc-relapse"),
    pytest.param("Background: Breast cancer with brain metastases after WBRT.\nComparison: 3 months.\nFindings: "
                 "Innumerable punctate foci of susceptibility, new since prior, consistent with radiation-induced "
                 "microbleeds. The treated metastases are smaller.\nConclusions: Continued response; new "
                 "radiation-induced microhaemorrhages.", {"metastasis": ["improvement"], "hemorrhage_vascular": []},
                 id="onc-new-microbleeds"),
    pytest.param("Background: Low-grade glioma, surveillance.\nComparison: 1 year.\nFindings: The non-enhancing left "
                 "insular tumour measures 41 x 30 mm, previously 38 x 28 mm. No enhancement.\nConclusions: Slow growth "
                 "of the low-grade glioma.", {"glioma": ["progression"]}, id="onc-slow-growth"),
    pytest.param("Known metastases on immunotherapy. Comparison 2 months.\nThe left occipital metastasis is smaller. "
                 "The right frontal metastasis is unchanged.\nImpression: Partial response.",
                 {"metastasis": ["improvement", "stable"]}, id="onc-partial-response"),
    pytest.param("History of treated lymphoma in remission. No enhancing lesion to suggest recurrence. No significant "
                 "change.", {"lymphoma": ["stable"]}, id="ed-remission-no-change"),
    pytest.param("Known metastatic lung cancer. Compared with 2 months ago, multiple metastases are unchanged. No new "
                 "metastasis. No hemorrhage.", {"metastasis": ["stable"]}, id="ed-unchanged-no-new"),
    # --- a differential with a stated change: each malignant side takes it
    pytest.param("HIV patient, compared with 2 weeks ago. Multiple ring-enhancing lesions, lymphoma versus "
                 "toxoplasmosis, increased in size.", {"lymphoma": ["progression"], "infection_inflammation": []},
                 id="differential-with-a-change"),
    pytest.param("HIV patient, compared with 3 weeks ago on empiric anti-toxoplasma therapy. The lesions have "
                 "decreased, favouring toxoplasmosis over lymphoma.", {"infection_inflammation": []},
                 id="change-favours-the-infection"),
    pytest.param("HIV patient, compared with 3 weeks ago. The lesions have decreased after treatment; lymphoma is now "
                 "less likely.", {}, id="now-less-likely"),
    pytest.param("Known GBM. Compared with prior. Increased enhancement, which may represent tumor progression or "
                 "treatment-related change.", {"glioma": ["progression"]}, id="progression-or-treatment"),
    pytest.param("Known GBM. Compared with prior. Increased enhancement not related to radiation, consistent with "
                 "progression.", {"glioma": ["progression"]}, id="not-related-to-radiation"),
    pytest.param("MRI BRAIN - PRELIM: Known metastases, unchanged.\nFINAL/ADDENDUM: On review, a new 4 mm right "
                 "cerebellar metastasis compared with the prior.", {"metastasis": ["progression", "stable"]},
                 id="addendum-adds-a-change"),
    # --- several lesions, different courses
    pytest.param("Known metastatic melanoma, compared with 6 weeks ago. Right frontal metastasis larger (12 vs 8 mm). "
                 "Left parietal metastasis smaller (5 vs 9 mm). Left occipital metastasis unchanged. Two new "
                 "cerebellar metastases.", {"metastasis": ["improvement", "progression", "stable"]}, id="four-courses"),
    pytest.param("Known metastatic lung cancer. Compared with the MRI of June.\nThe left frontal metastasis has "
                 "decreased. A new right cerebellar metastasis has appeared.",
                 {"metastasis": ["improvement", "progression"]}, id="decreased-and-new"),
    pytest.param("Metastatic breast cancer, compared with 2 months ago. The right frontal metastasis has increased "
                 "in size, consistent with progression. Surrounding oedema has increased.",
                 {"metastasis": ["progression"]}, id="oedema-no-second-change"),
]


_UNCHANGED = "Known metastases, compared with 3 months ago. The treated right frontal metastasis is unchanged. "
# "unchanged" then a sentence denying anything new, in many wordings: stable, not progression
NOTHING_NEW = ["No new or enlarging lesions.", "No new areas of enhancement.", "Without new lesions.",
               "New lesions: none.", "No evidence of new disease.", "No new sites of disease.",
               "There is no new metastasis and no progression.", "No interval development of new metastases.",
               "No newly appeared lesion.", "Negative for new metastatic disease.",
               "No additional metastases are identified.", "Nothing new.", "Impression: No progression.",
               "Impression: Stable, no new disease.", "Impression: No evidence of recurrence or new metastasis."]
CASES += [pytest.param(_UNCHANGED + denial, {"metastasis": ["stable"]}, id=f"nothing-new-{i}")
          for i, denial in enumerate(NOTHING_NEW)]
CASES += [
    pytest.param(_UNCHANGED + "The previously seen left occipital metastasis is no longer visible.",
                 {"metastasis": ["improvement", "stable"]}, id="unchanged-and-resolved"),
    pytest.param(_UNCHANGED + "A new 3 mm focus in the pons is suspicious for a new metastasis.",
                 {"metastasis": ["progression", "stable"]}, id="unchanged-and-suspected-new"),
    pytest.param(_UNCHANGED + "A new tiny focus in the pons is indeterminate; a new metastasis cannot be excluded.",
                 {"metastasis": ["progression", "stable"]}, id="unchanged-and-new-not-excluded"),
    pytest.param(_UNCHANGED + "A new punctate focus in the pons, likely vascular.", {"metastasis": ["stable"]},
                 id="new-focus-likely-vascular"),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_episodes_across_sentences(pipeline: Pipeline, text: str, expected: dict) -> None:
    assert pipeline.extract(Report(id="t", text=text, modality="brain_mri")).findings_json() == expected
