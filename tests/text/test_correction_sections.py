"""Correction sections (mappings/sections.yaml): the parts of a report that may correct its body, and the
cues that say they do."""

from __future__ import annotations

import pytest

from omop_nlp.text.sections import CORRECTION, OUTSIDE, load_section_rules, states_findings


def _kinds(text: str) -> list[tuple[str | None, str]]:
    return [(s.name, s.kind) for s in load_section_rules().split(text)]


@pytest.mark.parametrize("header", ["ADDENDUM:", "Correction:", "Correction (same day):", "Attending addendum:",
                                    "Attending attestation:", "Discrepancy with preliminary report:"])
def test_correction_headers(header: str) -> None:
    assert _kinds(f"Findings: Small effusion.\n{header} the effusion is larger.") == [
        ("findings", "findings"), ("correction", CORRECTION)]


def test_an_aside_before_the_colon_keeps_any_header() -> None:
    assert _kinds("Comparison (outside CT): none.\nFindings: Clear.") == [
        ("comparison", "comparison"), ("findings", "findings")]


def test_a_correction_states_findings() -> None:
    assert states_findings(CORRECTION) and states_findings("findings") and not states_findings("history")


@pytest.mark.parametrize(("text", "corrects"), [
    ("the nodule given above was stated in error", True),
    ("I disagree; this is scarring rather than fibrosis", True),
    ("the mass is in the right lobe, not the left as first dictated", True),
    ("I have reviewed the images and agree with the report.", False),
    ("A second small nodule is present, not mentioned above.", False),
])  # fmt: skip
def test_correction_cues(text: str, corrects: bool) -> None:
    assert load_section_rules().corrects(text) is corrects


def test_an_outside_reading_scopes_its_line_and_a_review_is_findings() -> None:
    assert _kinds("Outside report: nodule in the RUL.\nThe lungs are otherwise clear.\nOur review: no nodule.") == [
        ("outside_reading", OUTSIDE), (None, "findings"), ("findings", "findings")]


@pytest.mark.parametrize(("text", "restates"), [("The outside report describes a mass.", True),
                                                 ("- Outside reading suggested pneumonia.", True),
                                                 # an outside section's header opens one too
                                                 ("The outside impression describes a mass.", True),
                                                 ("Outside findings suggested pneumonia.", True),
                                                 ("We reviewed the outside report.", False)])
def test_a_sentence_that_restates_an_outside_reading(text: str, restates: bool) -> None:
    assert load_section_rules().restates(text, 0) is restates


@pytest.mark.parametrize(("text", "agrees"), [("We agree with the outside interpretation.", True),
                                              ("I concur with the outside read.", True),
                                              ("We disagree with the outside interpretation.", False),
                                              ("We do not agree with the outside report.", False),
                                              ("Ground-glass nodule, unchanged.", False)])
def test_a_review_that_agrees(text: str, agrees: bool) -> None:
    assert load_section_rules().agrees(text) is agrees


@pytest.mark.parametrize("header", ["PEER REVIEW:", "Peer review note (RADPEER 2a):", "DISCREPANCY NOTE:",
                                    "Reason for amendment:", "Amendment 2:"])
def test_peer_review_and_amendment_headers(header: str) -> None:
    assert _kinds(f"Findings: Small effusion.\n{header} the effusion is larger.") == [
        ("findings", "findings"), ("correction", CORRECTION)]


def test_a_preliminary_read_that_a_final_read_follows_is_another_readers() -> None:
    assert _kinds("PRELIM (overnight, 01:10): CT chest. Right effusion.\n\nFINAL READ (Dr K, 09:00)\n"
                  "Findings: No effusion.") == [
        ("preliminary_reading", OUTSIDE), (None, "findings"), ("final_reading", "findings"), ("findings", "findings")]


def test_a_preliminary_read_alone_is_the_report() -> None:
    assert _kinds("PRELIMINARY REPORT: CT chest. Right effusion.\nImpression: effusion.") == [
        ("preliminary_reading", "findings"), ("impression", "findings")]


@pytest.mark.parametrize(("text", "header"), [("FINAL REPORT (attending)\nNo effusion.", True),
                                              # lower case with an aside is a sentence, not a heading
                                              ("Final report (attending)\nNo effusion.", False)])
def test_an_aside_at_the_line_end_keeps_an_upper_case_header(text: str, header: bool) -> None:
    assert (_kinds(text)[0][0] == "final_reading") is header


def test_the_original_text_below_an_amendment_is_findings() -> None:
    assert _kinds("Correction: the mass is in the RLL, not the RML as dictated.\nOriginal report text:\n"
                  "Mass in the RML.") == [("correction", CORRECTION), ("findings", "findings")]


@pytest.mark.parametrize(("text", "former"), [("the nodule described in the right upper lobe", True),
                                              ("the effusion dictated in the left", True),
                                              ("the nodule in the right upper lobe", False),
                                              # the words must end right before the place
                                              ("described in the report, the right upper lobe", False)])
def test_a_place_the_earlier_reading_gave(text: str, former: bool) -> None:
    assert load_section_rules().former_place(text, text.index("right") if "right" in text else text.index("left")) \
        is former
