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



def test_earlier_dated_results_are_the_comparison() -> None:
    text = ("Letter to GP\nCT chest 3/14: 9 mm nodule in the LLL.\nCT chest 9/20 (current): the LLL nodule now "
            "measures 12 mm.\nPlan: PET-CT.")
    assert [(kind, body[:12]) for kind, body in _bodies(text)] == [
        ("findings", "Letter to GP"), ("comparison", "9 mm nodule "), ("findings", "the LLL nodu"),
        ("recommendation", "PET-CT.")]


def test_the_latest_date_wins_not_the_order() -> None:
    text = "MRI brain (6/2/2024): two new lesions.\nMRI brain (11/5/2023): one lesion."
    assert [kind for kind, _ in _bodies(text)] == ["findings", "comparison"]


def test_an_undated_result_is_of_the_year_of_the_dated_one_before_it() -> None:
    text = "CT chest 1/9/2024: 9 mm nodule in the LLL.\nCT chest 4/12: the nodule now measures 12 mm."
    assert [kind for kind, _ in _bodies(text)] == ["comparison", "findings"]


def _bodies(text: str) -> list[tuple[str, str]]:
    return [(s.kind, text[s.start : s.end].strip()) for s in load_section_rules().split(text)]

@pytest.mark.parametrize("text", [
    "CT chest 4/4: small right effusion.\nPlan: tap.",
    "CT CHEST WITHOUT CONTRAST\nFindings: Compared with CT chest 1/2/2020, the effusion is smaller.",
    "MRI brain (10/3) compared with 7/3: stable lesion.",
])  # fmt: skip
def test_one_dated_result_changes_nothing(text: str) -> None:
    assert all(s.kind != "comparison" for s in load_section_rules().split(text))


def test_a_patient_portal_reports_plain_headings() -> None:
    """The plain-language part of a patient-portal report: why the scan was done is the indication, what was found
    findings, what it means the impression, the next steps a recommendation."""
    text = ("What we looked at: a scan of your chest.\nWhat we found: a small spot.\nWhat this means: it is "
            "harmless.\nNext steps: a scan in a year.\nPATIENT SUMMARY (plain language): all is well.")
    assert [(s.name, s.kind) for s in load_section_rules().split(text)] == [
        ("indication", "indication"), ("findings", "findings"), ("impression", "findings"),
        ("recommendation", "recommendation"), ("impression", "findings")]


@pytest.mark.parametrize(("header", "kind"), [("Inspection findings:", "findings"), ("Diagnostic opinion:", "findings"),
                                              ("Judgement:", "findings"), ("Anamnesis:", "history"),
                                              ("Examination item:", "technique")])
def test_headers_of_machine_translated_reports(header: str, kind: str) -> None:
    """The translated headers of Chinese and German reports open their sections like the English ones."""
    assert [k for _, k in _kinds(f"{header}\nsmall nodule in the right lung.")] == [kind]


def test_a_translated_conclusion_is_the_impression() -> None:
    text = "Inspection findings:\nnodule.\nDiagnostic opinion:\nnodule.\nJudgement:\nnodule."
    assert [name for name, _ in _kinds(text)] == ["findings", "impression", "impression"]
