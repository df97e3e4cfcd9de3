"""What a site does after its first run: add --cdm-facts, upgrade the rules (issue 12, items 5 and 6)."""

from __future__ import annotations

from omop_cdm import Cdm

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


def _pipeline(nlp_system: str):
    from omop_nlp.pipeline import Pipeline

    pipeline = Pipeline("auto")
    pipeline.nlp_system = nlp_system
    return lambda _modality: pipeline


def test_a_new_rules_version_supersedes_the_old_ones_rows_for_the_notes_it_processes(official_cdm: Cdm) -> None:
    from omop_nlp.omop.runner import NoteFilter

    official_cdm.add_notes([BRAIN, CHEST, CHEST])
    old, llm = "omop-nlp 0.0.9 rules 0ld0ld00", "omop-nlp 0.0.9 llm:some-model 0ld0ld00"
    official_cdm.run(_pipeline(old), cdm_facts=True)
    official_cdm.run(_pipeline(llm))  # another stage-2 mapper: a system of its own, kept
    new = official_cdm.run(cdm_facts=True, filters=NoteFilter(note_ids=(1, 2)))
    assert new.superseded == {old: 2}
    assert any(line.startswith(f"superseded: 2 note(s) of {old!r}") for line in new.lines())
    by_system = {}
    for row in official_cdm.note_nlp():
        by_system.setdefault(row["nlp_system"], set()).add(row["note_id"])
    assert by_system == {old: {3}, llm: {1, 2, 3}, new.nlp_system: {1, 2}}
    assert len(official_cdm.rows("condition_occurrence")) == 1  # the old version's glioma row went
    ledger = {(r["note_id"], r["nlp_system"]) for r in official_cdm.rows("ledger")}
    assert (3, old) in ledger and not {(1, old), (2, old)} & ledger
