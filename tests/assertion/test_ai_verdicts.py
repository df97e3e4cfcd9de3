"""A detection or triage tool's items in a report, each with the radiologist's verdict (issue 13, corpus style `ai`).

The radiologist's reading wins over the tool's: an item the radiologist rejects on its line is absent, one
confirmed is a finding, a finding the tool missed is present, and a label the tool gave that the radiologist
re-reads is not the radiologist's. Each case is a sentence written for this file.
"""

from __future__ import annotations

import pytest

from omop_nlp.model import Report
from omop_nlp.pipeline import Pipeline

CT, MR = "chest_ct", "brain_mri"


@pytest.mark.parametrize(
    ("modality", "text", "expected"),
    [
        pytest.param(CT, "Detection list:\n1) 5 mm nodule LLL slice 44 — rejected, small vessel.\n"
                     "2) 7 mm nodule RUL slice 21 — confirmed.", {"nodule": ["rul"]}, id="rejected-beside-confirmed"),
        pytest.param(CT, "Consolidation lingula — rejected; dependent change.", {}, id="rejected-with-reason"),
        pytest.param(CT, "Tool item: 4 mm nodule RML — false positive, fissural thickening.", {},
                     id="false-positive"),
        pytest.param(CT, "Item 3: 9 mm nodule LUL — not agreed, this is a vessel.", {}, id="not-agreed"),
        pytest.param(CT, "Mark 4: 3 mm nodule RUL — overruled, it is a fissural lymph node.", {},
                     id="overruled"),
        pytest.param(CT, "Item 2: ground-glass opacity RLL 3 cm — I disagree, it is partial volume.", {},
                     id="i-disagree"),
        pytest.param(CT, "Software: ground glass 6 % — I do not see ground glass or consolidation.", {},
                     id="own-denial-reaches-the-item-and-what-follows"),
        pytest.param(MR, "Triage tool: acute haemorrhage — rejected, dense calcification.", {}, id="brain-rejected"),
        pytest.param(MR, "The flagged bleed in the left thalamus is calcification.", {}, id="explained-as-calcium"),
        pytest.param(MR, "Triage item: cortical infarct, right occipital — this is motion artefact.", {},
                     id="explained-as-artefact"),
        pytest.param(MR, "Triage tool: acute infarct — confirmed, right MCA territory.", {"stroke_infarction": []},
                     id="brain-confirmed"),
        pytest.param(CT, "Small right pleural effusion, not flagged by the AI.", {"pleural_effusion": []},
                     id="missed-by-the-tool-is-present"),
        pytest.param(CT, "Moderate left effusion, not picked up by the software.", {"pleural_effusion": []},
                     id="not-picked-up-by-the-tool"),
        pytest.param(CT, "The segment is collapsed; the software labelled it consolidation, but it is atelectasis.",
                     {"atelectasis": []}, id="tool-label-re-read"),
        pytest.param(CT, "Centrilobular nodules in the RLL; the CAD flagged them as ground glass, which they are not.",
                     {"nodule": ["rll"]}, id="tool-flag-re-read"),
    ],
)
def test_an_item_verdict_decides(pipeline: Pipeline, modality: str, text: str, expected: dict) -> None:
    assert pipeline.extract(Report("t", text, modality)).findings_json() == expected


@pytest.mark.parametrize(
    ("modality", "text", "expected"),
    [
        pytest.param(CT, "AI output (nodule CAD): no candidates.\nFindings: mild emphysema.", {}, id="nodule-cad"),
        pytest.param(CT, "Nodule detection software version 3 was used.\nBibasal atelectasis.",
                     {"atelectasis": ["bll"]}, id="nodule-detection"),
        pytest.param(MR, "ICH triage: negative.\nNo acute abnormality.", {}, id="ich-triage"),
    ],
)
def test_a_tool_named_after_a_finding_asserts_nothing(pipeline: Pipeline, modality: str, text: str,
                                                      expected: dict) -> None:
    assert pipeline.extract(Report("t", text, modality)).findings_json() == expected
