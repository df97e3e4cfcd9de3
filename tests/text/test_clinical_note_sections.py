"""Clinician-note sections (mappings/sections.yaml): imaging results pasted into progress notes, discharge
summaries and clinic letters. Only the pasted imaging text states this examination's findings; the clinician's
own parts around it (history, course, assessment and plan, medications, diagnoses) are clinical context."""

from __future__ import annotations

import pytest

from omop_nlp.text.sections import load_section_rules, states_findings


def _kinds(text: str) -> list[tuple[str | None, str]]:
    return [(s.name, s.kind) for s in load_section_rules().split(text)]


@pytest.mark.parametrize("header", ["S:", "O:", "HPI:", "PMH:", "Hospital course:", "Discharge diagnoses:", "Meds:",
                                    "Medications:", "Re:", "Patient:"])
def test_clinician_parts_are_context(header: str) -> None:
    kinds = _kinds(f"{header}\nknown emphysema, on tiotropium.\nImaging:\nCT chest 5/6: small left effusion.")
    assert [states_findings(kind) for _, kind in kinds] == [False, True]


@pytest.mark.parametrize("header", ["Imaging:", "Pertinent imaging:", "Imaging results:", "Radiology:"])
def test_pasted_imaging_blocks_state_findings(header: str) -> None:
    assert _kinds(f"Hospital course:\nadmitted with dyspnoea.\n{header}\nCT chest: RLL consolidation.") == [
        ("hospital_course", "history"), ("findings", "findings")]


def test_a_context_line_with_its_text_scopes_that_line_only() -> None:
    """A letter's subject line names the known disease; the dated result below it is findings again."""
    text = "Re: Ms T, treated melanoma.\nMRI brain (3/3): two new enhancing lesions."
    assert [kind for _, kind in _kinds(text)] == ["history", "findings"]
