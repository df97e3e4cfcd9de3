"""Correction sections (mappings/sections.yaml): the parts of a report that may correct its body, and the
cues that say they do."""

from __future__ import annotations

import pytest

from omop_nlp.text.sections import CORRECTION, load_section_rules, states_findings


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
