"""Only radiology reports of a supported modality are processed (issue 12, item 4)."""

from __future__ import annotations

import shutil
from datetime import date

import pytest
from omop_cdm import Cdm
from sqlalchemy import insert

from omop_nlp.routing import load_router
from omop_nlp.rules import Code
from omop_nlp.sources.note_selection import NoteSelector, load_selection_rules

DISCHARGE = ("Hospital course: admitted with community-acquired pneumonia, treated with antibiotics. "
             "Chest X-ray on day 2 showed a small right pleural effusion and consolidation. "
             "Discharge diagnoses: pneumonia. Discharge medications: amoxicillin.")  # fmt: skip
ONCOLOGY = ("Seen today in clinic for follow-up of her glioma. She reports mild headaches. Recent imaging was "
            "reviewed with the family. Assessment and plan: continue temozolomide, repeat MRI in 3 months.")
CT_REPORT = "FINDINGS: 6 mm nodule in the left lower lobe. No pleural effusion.\nIMPRESSION: Small pulmonary nodule."
DISCHARGE_SUMMARY = 1_900_000_001  # the site's concept for LOINC 18842-5 "Discharge summary"
CHEST_CT = 1_900_000_002  # and for LOINC 24627-2 "CT Chest"


@pytest.fixture
def cdm(sqlite_url):
    cdm = Cdm.official(sqlite_url)
    with cdm.engine.begin() as conn:
        concept = cdm.tables.concept
        conn.execute(concept.delete().where(concept.c.vocabulary_id == "LOINC", concept.c.concept_code == "24627-2"))
        conn.execute(insert(concept), [
            {"concept_id": cid, "concept_name": name, "domain_id": "Note", "vocabulary_id": "LOINC",
             "concept_class_id": "Clinical Finding", "standard_concept": "S", "concept_code": code,
             "valid_start_date": date(1970, 1, 1), "valid_end_date": date(2099, 12, 31), "invalid_reason": None}
            for cid, name, code in ((DISCHARGE_SUMMARY, "Discharge summary", "18842-5"),
                                    (CHEST_CT, "CT Chest", "24627-2"))
        ])  # fmt: skip
    yield cdm
    cdm.close()


def _run(cdm: Cdm, run_cli, *extra: str) -> tuple[int, str]:
    code, out, err = run_cli("run", "--cdm", cdm.url, "--cdm-facts", "--no-progress", *extra)
    assert code == 0, err
    return code, out


def test_a_discharge_summary_and_a_clinic_note_yield_no_facts(cdm, run_cli) -> None:
    cdm.add_notes([DISCHARGE], title="Discharge Summary", class_concept_id=DISCHARGE_SUMMARY)
    cdm.add_notes([ONCOLOGY], start_id=2, title="Neuro-oncology clinic note")
    cdm.add_notes([DISCHARGE, ONCOLOGY], start_id=3)  # no title, class 0: the text decides, as a last resort
    _, out = _run(cdm, run_cli)
    assert "processed: 0 notes" in out
    assert "not_selected:class 1" in out and "not_selected:title 1" in out and "not_selected:text 2" in out
    assert cdm.note_nlp() == [] and cdm.rows("condition_occurrence") == [] and cdm.rows("observation") == []


def test_the_structured_columns_decide_before_the_text(cdm, run_cli) -> None:
    cdm.add_notes([CT_REPORT], class_concept_id=CHEST_CT)
    cdm.add_notes([CT_REPORT], start_id=2, title="CT THORAX W/O CONTRAST")
    cdm.add_notes([CT_REPORT], start_id=3, title="Radiology report")
    cdm.add_notes([CT_REPORT], start_id=4, title="XR CHEST 2 VIEWS")  # a modality omop-nlp does not read
    cdm.add_notes([CT_REPORT], start_id=5)  # nothing structured: the text reads like a report
    _, out = _run(cdm, run_cli)
    assert "processed: 4 notes" in out and "not_selected:title 1" in out
    assert {r["note_id"] for r in cdm.note_nlp()} == {1, 2, 3, 5}


def test_without_text_fallback_only_identified_notes_run(cdm, run_cli, tmp_path, monkeypatch) -> None:
    from omop_nlp.rules import mappings_dir

    site = tmp_path / "mappings"
    shutil.copytree(mappings_dir(), site)
    rules = site / "note_selection.yaml"
    rules.write_text(rules.read_text().replace("  enabled: true", "  enabled: false"))
    monkeypatch.setenv("OMOP_NLP_MAPPINGS", str(site))
    load_selection_rules.cache_clear()
    try:
        cdm.add_notes([CT_REPORT, CT_REPORT])
        cdm.add_notes([CT_REPORT], start_id=3, title="CT chest")
        _, out = _run(cdm, run_cli)
    finally:
        load_selection_rules.cache_clear()
    assert "processed: 1 notes" in out and "not_selected:unidentified 2" in out


def test_selector_order_class_then_title_then_text() -> None:
    selector = NoteSelector(load_selection_rules(), {Code("LOINC", "24590-2"): 7, Code("LOINC", "18842-5"): 9},
                            load_router().modality_of_title)  # fmt: skip
    assert selector.select("Discharge summary", (7, 0), DISCHARGE).modality == "brain_mri"
    assert selector.select("MRI brain", (9, 0), CT_REPORT).modality == "brain_mri"
    assert selector.select(None, (9, 0), CT_REPORT).skip_reason == "not_selected:class"
    assert selector.select(None, (0, 32817), CT_REPORT).skip_reason is None
