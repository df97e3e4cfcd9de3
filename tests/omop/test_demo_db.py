"""The embedded demo CDM: concepts for every mapping code, the sample notes, and a run over them."""

from __future__ import annotations

import json
import logging

from sqlalchemy import create_engine, text

from omop_nlp.engines.cdm import RunOptions, run_cdm
from omop_nlp.omop.concepts import mapping_codes
from omop_nlp.omop.demo_db import LOCAL_ID_START, create_demo_cdm, read_notes, sample_notes_path

TINY = [
    {"id": "t-1", "modality": "chest_ct", "title": "CT CHEST", "person": 7, "date": "2025-01-10",
     "text": "There is a 7 mm solid nodule in the right upper lobe. No pleural effusion."},
    {"id": "t-2", "modality": "brain_mri", "title": "MRI BRAIN", "person": 7, "date": "2025-02-10",
     "text": "Interval increase of the enhancing mass, consistent with progression of glioblastoma."},
    {"id": "t-3", "modality": "chest_ct", "title": "CT CHEST", "person": "P-9", "date": "2025-03-10",
     "text": "흉부 CT: 우상엽에 결절이 있다. 흉수는 없다."},
]  # fmt: skip


def _query(url: str, sql: str) -> list[tuple]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text(sql))]
    engine.dispose()
    return rows


def test_demo_cdm_holds_concepts_notes_and_persons(tmp_path, caplog) -> None:
    notes_file = tmp_path / "notes.jsonl"
    notes_file.write_text("\n".join(json.dumps(n, ensure_ascii=False) for n in TINY), encoding="utf-8")
    url = create_demo_cdm(tmp_path / "demo.db", notes_file)
    assert url == f"sqlite:///{tmp_path / 'demo.db'}"
    notes = _query(url, "SELECT note_id, person_id, note_source_value, note_title, language_concept_id FROM note")
    assert notes[:2] == [(1, 7, "t-1", "CT CHEST", 4180186), (2, 7, "t-2", "MRI BRAIN", 4180186)]
    assert notes[2] == (3, 8, "t-3", "CT CHEST", 0)  # non-numeric persons are numbered after the others
    assert _query(url, "SELECT person_id, person_source_value FROM person ORDER BY 1") == [(7, "7"), (8, "P-9")]
    assert _query(url, "SELECT concept_id FROM concept WHERE vocabulary_id='SNOMED' AND concept_code='786838002'") == [
        (37206719,)
    ]
    (ggo,) = _query(url, "SELECT concept_id, concept_name FROM concept WHERE concept_code = '112120'")
    assert ggo[0] >= LOCAL_ID_START and "local" in ggo[1]
    chest_class = _query(url, "SELECT concept_id FROM concept WHERE vocabulary_id='LOINC' AND concept_code='24627-2'")
    assert _query(url, "SELECT DISTINCT note_class_concept_id FROM note WHERE note_title='CT CHEST'") == chest_class

    with caplog.at_level(logging.WARNING):
        summary = run_cdm(url, RunOptions(cdm_facts=True))
    assert "not in the CONCEPT table" not in caplog.text  # every code of the mappings is in the demo CONCEPT
    assert summary.processed == 3 and summary.facts["episode"] == 1
    korean = _query(url, "SELECT lexical_variant, term_exists FROM note_nlp WHERE note_id = 3 ORDER BY note_nlp_id")
    assert ("결절", "Y") in korean and ("흉수", "N") in korean

    again = create_demo_cdm(tmp_path / "demo.db", notes_file)  # recreated, not appended to
    assert _query(again, "SELECT count(*) FROM note") == [(3,)] and _query(again, "SELECT count(*) FROM note_nlp") == [
        (0,)
    ]


def test_demo_cdm_with_the_sample_notes_runs_every_note(tmp_path) -> None:
    url = create_demo_cdm(tmp_path / "demo.db")
    sample = read_notes(sample_notes_path())
    summary = run_cdm(url, RunOptions(cdm_facts=True))
    assert summary.selected == len(sample) >= 40
    assert summary.processed == len(sample) and not summary.failed
    codes = _query(url, "SELECT count(*) FROM concept")[0][0]
    assert codes >= len(mapping_codes())
