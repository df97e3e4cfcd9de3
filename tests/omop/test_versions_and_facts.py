"""What a site does after its first run: add --cdm-facts, upgrade the rules (issue 12, items 5 and 6)."""

from __future__ import annotations

from conftest import Cdm

BRAIN = "MRI brain: enlarging glioblastoma in the left frontal lobe, consistent with progression."
CHEST = "CT chest: 8 mm nodule in the right upper lobe. No pleural effusion."


def test_cdm_facts_after_a_plain_run_writes_the_facts_of_notes_already_done(official_cdm: Cdm) -> None:
    official_cdm.add_notes([BRAIN, CHEST])
    first = official_cdm.run()
    assert first.processed == 2 and official_cdm.rows("condition_occurrence") == []
    rows = official_cdm.content()
    second = official_cdm.run(cdm_facts=True)
    assert second.facts_added == 2 and second.facts["condition_occurrence"] == 1 and second.facts["episode"] == 1
    assert any("extracted again for their facts" in line for line in second.lines())
    assert official_cdm.content() == rows  # the NOTE_NLP rows are the same, not doubled
    third = official_cdm.run(cdm_facts=True)
    assert third.skipped["already_done"] == 2 and third.facts_added == 0 and not third.facts
    assert len(official_cdm.rows("condition_occurrence")) == 1


def test_a_ledger_made_by_an_earlier_version_gets_its_new_column(sqlite_cdm: Cdm) -> None:
    with sqlite_cdm.engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE omop_nlp_ledger DROP COLUMN facts")
    sqlite_cdm.add_notes([CHEST])
    assert sqlite_cdm.run(cdm_facts=True).processed == 1
    assert sqlite_cdm.ledger()[1]["facts"] == "Y"
