"""Report-level corrections (omop_nlp/corrections.py): an addendum, an attending's word or a final read's
discrepancy that corrects the body wins over it; one that only agrees or adds changes nothing.

Each case is a short report written for this file, in both modalities.
"""

from __future__ import annotations

import pytest
from mention_asserts import findings

from omop_nlp.model import Certainty, Report
from omop_nlp.pipeline import Pipeline


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Findings: Moderate left pleural effusion. Mild bibasal atelectasis.\n"
                     "Correction: the left pleural effusion given above was dictated in error; there is no "
                     "pleural effusion.", {"atelectasis": ["bll"]}, id="withdrawn-in-error"),
        pytest.param("Findings: An 8 mm solid nodule in the lingula.\n"
                     "ADDENDUM: The nodule lies in the left lower lobe and not in the lingula as first dictated.",
                     {"nodule": ["lll"]}, id="moved-to-another-lobe"),
        pytest.param("Findings: Solid nodules in the right middle lobe and the left upper lobe.\n"
                     "Correction: on review there is no left upper lobe nodule. The right middle lobe nodule "
                     "is real.", {"nodule": ["rml"]}, id="one-place-withdrawn"),
        pytest.param("Findings: Consolidation in both lower lobes.\n"
                     "Correction: the right lower lobe shows atelectasis and not consolidation as first dictated.",
                     {"atelectasis": ["rll"], "consolidation": ["lll"]}, id="taken-out-of-one-lobe-only"),
        pytest.param("Findings: Consolidation in the right lower lobe and the left lower lobe.\n"
                     "ADDENDUM: On review there is no consolidation in the right lower lobe.",
                     {"consolidation": ["lll"]}, id="denied-in-one-lobe"),
        pytest.param("Findings: Patchy opacity of the right lower lobe, favoured to be consolidation from "
                     "infection.\nAttending addendum: I disagree; the right lower lobe opacity is atelectasis "
                     "rather than pneumonia. There is no consolidation.", {"atelectasis": ["rll"]}, id="relabelled"),
        pytest.param("FINDINGS: Consolidation in the right upper lobe.\n"
                     "Discrepancy with preliminary report: the preliminary read described right upper lobe "
                     "consolidation; on review this is a 4 cm right upper lobe mass rather than "
                     "consolidation.", {"mass": ["rul"]}, id="final-read-re-reads-the-preliminary"),
        pytest.param("Findings: A 6 mm nodule in the right upper lobe.\n"
                     "Attending attestation: I have reviewed the images and agree. No new nodules.",
                     {"nodule": ["rul"]}, id="agreeing-attestation-changes-nothing"),
        pytest.param("Findings: Mild emphysema. No consolidation.\n"
                     "ADDENDUM: On review a 5 mm nodule is present in the right lower lobe, not mentioned "
                     "above. There is no other nodule.", {"nodule": ["rll"]}, id="added-finding-kept"),
        pytest.param("CORRECTED REPORT\nCorrection: the right pleural effusion was dictated in error; there is "
                     "none.\n\nOriginal report text:\nFindings: Small right pleural effusion. Mild atelectasis in "
                     "the left lower lobe.", {"atelectasis": ["lll"]}, id="banner-above-the-original-body"),
        pytest.param("Findings: Patchy consolidation in the lingula.\n"
                     "Peer review: the 'consolidation' in the lingula is atelectasis.",
                     {"atelectasis": ["lingula"]}, id="quoted-word-of-the-earlier-read-counts-for-nothing"),
        pytest.param("AMENDED REPORT\nAmendment: on review there are two nodules, not three; the 'nodule' in "
                     "the left upper lobe is a vessel.\n\nFindings: Solid nodules in the right upper lobe, the "
                     "left upper lobe and the right lower lobe.", {"nodule": ["rll", "rul"]},
                     id="quoted-word-denied-at-its-place"),
        pytest.param("PRELIMINARY READ (night): CT chest. Consolidation in the left lower lobe. Small nodule "
                     "in the right upper lobe.\n\nFINAL READ (day)\nFindings: The left base is clear; there is "
                     "no consolidation. Mild bronchial wall thickening in both lower lobes.",
                     {"bronchial_wall_thickening": ["bll"]}, id="final-read-replaces-the-preliminary"),
        pytest.param("PRELIMINARY READ: CT chest. Consolidation in the left lower lobe.\n"
                     "FINAL READ: Agree with the preliminary read.", {"consolidation": ["lll"]},
                     id="final-read-that-agrees-keeps-the-preliminary"),
        pytest.param("AMENDED REPORT\nCorrection: the mass reported in the left lower lobe on the original report is "
                     "in the right lower lobe.\n\nFindings: 4 cm mass in the left lower lobe.", {"mass": ["rll"]},
                     id="place-of-the-earlier-reading-named-and-moved"),
    ],
)
def test_chest_corrections(pipeline: Pipeline, text: str, expected: dict) -> None:
    assert findings(pipeline, text, "chest_ct") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Findings: Large enhancing left parietal lesion, favoured to be a glioblastoma.\n"
                     "Attending addendum: I disagree; the open ring favours tumefactive demyelination rather "
                     "than glioma.", {"demyelinating": []}, id="relabelled"),
        pytest.param("Findings: Periventricular ovoid lesions; one enhancing focus shows active demyelination.\n"
                     "Impression: Multiple sclerosis.\n"
                     "Correction: The enhancing focus is a small vein on review; there is no active "
                     "demyelination. The impression stands.", {"demyelinating": []},
                     id="one-statement-withdrawn-the-diagnosis-stays"),
        pytest.param("Findings: Acute infarct in the right insula.\n"
                     "Correction (next morning): the acute infarct reported above was stated in error; this is "
                     "T2 shine-through and there is no acute infarct.", {}, id="withdrawn-in-error"),
        pytest.param("Findings: Homogeneous periventricular mass, most likely lymphoma.\n"
                     "Attending addendum: I agree; abscess is less likely.", {"lymphoma": []},
                     id="agreeing-addendum-changes-nothing"),
    ],
)
def test_brain_corrections(pipeline: Pipeline, text: str, expected: dict) -> None:
    assert findings(pipeline, text, "brain_mri") == expected


def test_the_body_mentions_stay_as_they_were(pipeline: Pipeline) -> None:
    """Only the report-level findings change: NOTE_NLP and FHIR keep the body's mention with its own certainty."""
    result = pipeline.extract(Report(id="t", modality="chest_ct", text=(
        "Findings: Small right pleural effusion.\n"
        "Correction: there is no pleural effusion; the effusion above was stated in error.")))
    assert "pleural_effusion" not in result.findings
    body = [m for m in result.mentions if m.key == "pleural_effusion" and m.section == "findings"]
    assert [m.certainty for m in body] == [Certainty.PRESENT]


@pytest.mark.parametrize(
    ("modality", "text", "expected"),
    [
        pytest.param("chest_ct", "Outside report: right lower lobe consolidation and a small left effusion.\n"
                     "Our review: consolidation of the right lower lobe. No pleural effusion.",
                     {"consolidation": ["rll"]}, id="denied-by-the-review"),
        pytest.param("chest_ct", "Outside report: spiculated mass in the left upper lobe.\n"
                     "Our review: the opacity is a 2 cm part-solid nodule of the left upper lobe, not a mass.",
                     {"ggo": ["lul"], "nodule": ["lul"]}, id="relabelled-by-the-review"),
        pytest.param("chest_ct", "Outside report: enlarging solid nodule in the right middle lobe.\n"
                     "Our review: 7 mm ground-glass nodule in the right middle lobe, unchanged in size.",
                     {"ggo": ["rml"]}, id="not-kept-where-the-review-names-another-key"),
        pytest.param("chest_ct", "Outside report: honeycombing in both lower lobes.\n"
                     "We agree with the outside interpretation. Mild emphysema in the upper lobes.",
                     {"fibrosis": ["bll"]}, id="kept-where-the-review-agrees"),
        pytest.param("chest_ct", "The outside report describes a mass in the right upper lobe. We disagree: there "
                     "is rounded atelectasis of the right lower lobe.", {"atelectasis": ["rll"]},
                     id="restated-in-prose-and-rejected"),
        pytest.param("chest_ct", "Outside reading: 5 mm nodule in the lingula.\nOur review: 5 mm nodule in the "
                     "left lower lobe.", {"nodule": ["lll"]}, id="the-review-places-win"),
        pytest.param("brain_mri", "The outside report suggests multiple sclerosis.\n"
                     "Opinion: a few non-specific white matter foci; demyelinating disease is not favoured.",
                     {}, id="dismissed-by-the-opinion"),
        pytest.param("brain_mri", "Outside report: right frontal meningioma.\nOpinion: we concur; no other lesion.",
                     {"non_malignant_tumor": []}, id="brain-kept-where-the-review-agrees"),
        # agreement is decided per restated finding: the cue sentence that names its key, else the report-level cue
        pytest.param("chest_ct", "Outside report: cavitating nodule in the left upper lobe; bilateral pleural "
                     "effusions.\nWe concur with the outside reading. We disagree regarding the effusions.",
                     {"nodule": ["lul"]}, id="a-disagreement-about-one-finding-keeps-the-others"),
        pytest.param("chest_ct", "Outside report: cavitating nodule in the left upper lobe; bilateral pleural "
                     "effusions.\nWe agree regarding the effusions.", {"pleural_effusion": []},
                     id="an-agreement-about-one-finding-keeps-that-one"),
        pytest.param("chest_ct", "Outside report: cavitating nodule in the left upper lobe; bilateral pleural "
                     "effusions.\nWe agree with the outside reading as to the nodule. We do not agree with the "
                     "effusions.", {"nodule": ["lul"]}, id="the-agreement-naming-a-finding-keeps-its-place"),
        # one sentence that agrees about one restated finding and disagrees about another decides each apart: a
        # finding takes the cue nearest before it in its clause, else the one after it there, else the sentence's
        pytest.param("chest_ct", "Outside reading: a nodule in the right middle lobe and a small left pleural "
                     "effusion.\nOur opinion: we concur as to the effusion but do not agree about the nodule.",
                     {"pleural_effusion": []}, id="agreed-then-disagreed-in-one-sentence"),
        pytest.param("chest_ct", "Outside reading: a nodule in the right middle lobe and a small left pleural "
                     "effusion.\nOur opinion: we do not agree about the effusion but we concur as to the nodule.",
                     {"nodule": ["rml"]}, id="disagreed-then-agreed-in-one-sentence"),
        pytest.param("chest_ct", "Outside reading: consolidation of the left lower lobe and a nodule in the right "
                     "middle lobe.\nAs to the nodule, we agree; as to the consolidation, we differ from the outside "
                     "reader.", {"nodule": ["rml"]}, id="each-clause-its-own-cue-after-the-finding"),
        pytest.param("chest_ct", "Outside reading: consolidation of the left lower lobe and a nodule in the right "
                     "middle lobe.\nI concur regarding the consolidation but not regarding the nodule.",
                     {"consolidation": ["lll"]}, id="agreed-but-not-about-the-other"),
        # a detection tool's label restated in prose is another reader's: the radiologist's own reading decides
        pytest.param("brain_mri", "The software labels the right parietal mass a metastasis.\n"
                     "Radiologist: ring enhancement with central restricted diffusion, in keeping with an abscess; "
                     "metastasis is unlikely.", {"infection_inflammation": []}, id="tool-label-re-read"),
        pytest.param("brain_mri", "The algorithm flagged an acute infarct in the right occipital lobe.\n"
                     "On review the signal follows the venous drainage: venous congestion, not an arterial infarct.",
                     {}, id="tool-flag-withdrawn"),
        pytest.param("brain_mri", "The AI flags an acute infarct in the left frontal lobe.\n"
                     "Radiologist: acute left frontal infarct with restricted diffusion.",
                     {"stroke_infarction": []}, id="tool-flag-kept-where-the-radiologist-states-it"),
    ],
)
def test_a_second_opinion_keeps_only_what_its_review_keeps(pipeline: Pipeline, modality: str, text: str,
                                                           expected: dict) -> None:
    """An outside reading that a second opinion restates counts only where the review keeps it."""
    assert findings(pipeline, text, modality) == expected


def test_a_relabel_lends_only_the_places_of_the_finding_it_replaces(pipeline: Pipeline) -> None:
    """One amendment relabels one finding and withdraws another elsewhere: the new finding takes the relabelled
    one's places only."""
    assert findings(pipeline, "Findings: Consolidation in the right lower lobe. Mild reticulation in both upper "
                              "lobes.\nAddendum: on review this is atelectasis rather than consolidation. The "
                              "reticulation in both upper lobes was stated in error.", "chest_ct") == {
        "atelectasis": ["rll"]}
