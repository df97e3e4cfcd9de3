"""``run`` on real databases (PostgreSQL and the embedded SQLite): rows, idempotence, bad input."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import select, text

from omop_nlp.build import build_pipeline
from omop_nlp.omop.ledger import text_hash

SIMPLE = "There is a 7 mm solid nodule in the right upper lobe. No pleural effusion."
CHEST = (
    "CT chest.\nFINDINGS:\nPart-solid nodule in the left lower lobe. Possible consolidation in the right middle lobe."
)
BRAIN = "MRI brain.\nIMPRESSION:\nInterval increase of the enhancing mass, consistent with progression of glioblastoma."


def concept_id(cdm, vocabulary: str, code: str) -> int:
    concept = cdm.tables.concept
    query = select(concept.c.concept_id).where(concept.c.vocabulary_id == vocabulary, concept.c.concept_code == code)
    with cdm.engine.connect() as conn:
        return conn.execute(query).scalar_one()


def by_key(rows: list[dict]) -> dict[str, dict]:
    return {r["term_modifiers"].split(",")[0].removeprefix("key="): r for r in rows}


def test_simple_note_gives_present_and_negated_rows_with_offsets(any_cdm) -> None:
    (note_id,) = any_cdm.add_notes([SIMPLE])
    summary = any_cdm.run()
    assert (summary.processed, summary.note_nlp_rows, summary.seen) == (1, 3, 1)
    rows = by_key(any_cdm.note_nlp(note_id))
    nodule, effusion, rul = rows["nodule"], rows["pleural_effusion"], rows["rul"]
    assert (nodule["lexical_variant"], nodule["offset"], nodule["term_exists"]) == ("solid nodule", "16", "Y")
    assert (effusion["lexical_variant"], effusion["offset"], effusion["term_exists"]) == ("pleural effusion", "57", "N")
    for row in rows.values():
        start = int(row["offset"])
        assert SIMPLE[start : start + len(row["lexical_variant"])] == row["lexical_variant"]
        assert row["nlp_system"] == summary.nlp_system and row["nlp_system"].startswith("omop-nlp 0.1.0 rules ")
        assert row["nlp_date"] == datetime.now(UTC).date() and row["term_temporal"] == "present"
        assert row["note_nlp_source_concept_id"] == 0 and row["section_concept_id"] is None
    assert nodule["note_nlp_concept_id"] == 37206719  # standards-facts demo id for SNOMED 786838002
    assert effusion["note_nlp_concept_id"] == 254061
    assert rul["note_nlp_concept_id"] == concept_id(any_cdm, "SNOMED", "42400003")
    assert nodule["term_modifiers"] == "key=nodule,certainty=present,location=rul,type=lesion,mapper=rules"
    assert effusion["term_modifiers"].startswith("key=pleural_effusion,certainty=negated,")
    assert nodule["snippet"] == "There is a 7 mm solid nodule in the right upper lobe."
    assert any_cdm.ledger()[note_id]["status"] == "done"


def test_sections_map_to_loinc_section_concepts(any_cdm) -> None:
    (note_id,) = any_cdm.add_notes([CHEST])
    any_cdm.run()
    rows = by_key(any_cdm.note_nlp(note_id))
    assert rows["nodule"]["section_concept_id"] == concept_id(any_cdm, "LOINC", "18782-3")
    assert "section=findings" in rows["nodule"]["term_modifiers"]
    assert rows["consolidation"]["term_exists"] == "Y" and "certainty=hedged" in rows["consolidation"]["term_modifiers"]


def test_rerun_skips_reprocess_replaces_and_edits_are_picked_up(any_cdm) -> None:
    ids = any_cdm.add_notes([SIMPLE, CHEST, BRAIN] * 4)
    first = any_cdm.run(batch_size=5)
    content = any_cdm.content()
    assert first.processed == 12 and len(content) == first.note_nlp_rows > 12

    second = any_cdm.run(batch_size=5)
    assert (second.processed, second.skipped["already_done"]) == (0, 12)
    assert any_cdm.content() == content

    third = any_cdm.run(batch_size=4, reprocess=True)
    assert third.processed == 12 and any_cdm.content() == content  # replaced, not duplicated
    assert len({r["note_nlp_id"] for r in any_cdm.note_nlp()}) == len(content)

    with any_cdm.engine.begin() as conn:
        conn.execute(any_cdm.tables.note.update().where(any_cdm.tables.note.c.note_id == ids[0])
                     .values(note_text="No pulmonary nodule."))  # fmt: skip
    fourth = any_cdm.run()
    assert (fourth.processed, fourth.skipped["already_done"]) == (1, 11)
    (row,) = any_cdm.note_nlp(ids[0])
    assert (row["lexical_variant"], row["term_exists"]) == ("pulmonary nodule", "N")
    assert any_cdm.ledger()[ids[0]]["text_hash"] == text_hash("No pulmonary nodule.")


def test_filters_select_notes_by_id_title_date_and_limit(any_cdm) -> None:
    any_cdm.add_notes([SIMPLE] * 5, title="CT CHEST")
    any_cdm.add_notes([BRAIN] * 5, start_id=10, title="MRI BRAIN")
    assert any_cdm.run(filters=_filters(note_ids=(2, 11))).processed == 2
    assert any_cdm.run(filters=_filters(title_pattern="mri")).processed == 4  # 11 already done
    assert set(any_cdm.ledger()) == {2, 10, 11, 12, 13, 14}
    limited = any_cdm.run(filters=_filters(limit=2))  # the first 2 selected notes, 1 and 2; 2 is done
    assert (limited.selected, limited.processed, limited.skipped["already_done"]) == (2, 1, 1)
    assert any_cdm.run(filters=_filters(date_from=_day(3), date_to=_day(3))).processed == 1  # note 4
    assert set(any_cdm.ledger()) == {1, 2, 4, 10, 11, 12, 13, 14}


def _filters(**kw):
    from omop_nlp.sources.omop_notes import NoteFilter

    return NoteFilter(**kw)


def _day(n: int):
    """The note_date ``Cdm.add_notes`` gives the n-th note (0-based)."""
    from datetime import date

    return date(2025, 1, 2 + n % 20)


def test_bad_notes_are_skipped_with_a_reason_and_the_run_goes_on(any_cdm) -> None:
    texts = ["", "   \n\t  ", "\x01\x02\x03\x04\x05\x06\x07\x08" * 50, "nodule " * 750_000, "hello world", SIMPLE]
    ids = any_cdm.add_notes(texts)
    summary = any_cdm.run(batch_size=2)
    ledger = any_cdm.ledger()
    reasons = [ledger[i]["error"] for i in ids]
    assert reasons == ["empty_text", "empty_text", "binary", "too_long", "unknown_modality", None]
    assert [ledger[i]["status"] for i in ids] == ["skipped"] * 5 + ["done"]
    assert summary.processed == 1 and sum(summary.skipped.values()) == 5
    assert summary.skipped["empty_text"] == 2 and not summary.failed
    assert {r["note_id"] for r in any_cdm.note_nlp()} == {ids[-1]}
    assert any_cdm.run().skipped["already_done"] == 6  # skips are final until the text changes


def test_null_text_in_a_non_conformant_note_table_is_skipped(pg_cdm) -> None:
    with pg_cdm.engine.begin() as conn:
        conn.execute(text("ALTER TABLE cdm.note ALTER COLUMN note_text DROP NOT NULL"))
    ids = pg_cdm.add_notes([None, SIMPLE])
    summary = pg_cdm.run()
    assert pg_cdm.ledger()[ids[0]]["error"] == "null_text" and summary.processed == 1


def test_text_that_is_not_utf8_is_skipped_on_postgresql(pg_sql_ascii_url) -> None:
    from omop_cdm import Cdm

    cdm = Cdm(pg_sql_ascii_url)
    ids = cdm.add_notes([SIMPLE, "placeholder"])
    with cdm.engine.begin() as conn:  # Latin-1 bytes, as legacy SQL_ASCII databases hold them
        latin1 = r"UPDATE note SET note_text = E'Nodule \xe9\xff\xfe in RUL' WHERE note_id = :i"
        conn.execute(text(latin1), {"i": ids[1]})
    summary = cdm.run()
    ledger = cdm.ledger()
    assert (ledger[ids[0]]["status"], ledger[ids[1]]["error"]) == ("done", "invalid_encoding")
    assert summary.processed == 1 and summary.skipped["invalid_encoding"] == 1
    cdm.close()


def test_text_that_is_not_utf8_or_has_a_nul_is_handled_on_sqlite(sqlite_cdm) -> None:
    ids = sqlite_cdm.add_notes([SIMPLE, "placeholder", "There is a nodule in the RUL.\x00 No effusion."])
    with sqlite_cdm.engine.begin() as conn:
        conn.execute(text("UPDATE note SET note_text = CAST(X'4E6F64756C65E9FFFE' AS TEXT) WHERE note_id = :i"),
                     {"i": ids[1]})  # fmt: skip
    summary = sqlite_cdm.run()
    ledger = sqlite_cdm.ledger()
    assert [ledger[i]["status"] for i in ids] == ["done", "skipped", "done"]
    assert ledger[ids[1]]["error"] == "invalid_encoding" and summary.processed == 2
    assert by_key(sqlite_cdm.note_nlp(ids[2]))["nodule"]["offset"] == "11"


def test_a_note_deleted_mid_run_is_recorded_and_gets_no_rows(any_cdm) -> None:
    ids = any_cdm.add_notes([SIMPLE, CHEST, BRAIN])
    victim = ids[1]

    deleting = build_pipeline()
    rules = deleting.extract_rules

    def extract_rules(report, note_class_concept_id=None):
        if report.id == str(ids[0]):  # another session deletes a note this batch has read
            with any_cdm.engine.begin() as conn:
                conn.execute(any_cdm.tables.note.delete().where(any_cdm.tables.note.c.note_id == victim))
        return rules(report, note_class_concept_id)

    deleting.extract_rules = extract_rules
    fed = []  # further sinks (FHIR) see only what was committed
    summary = any_cdm.run(pipeline=deleting, on_result=lambda r: fed.append(int(r.report.id)))
    assert fed == [ids[0], ids[2]]
    ledger = any_cdm.ledger()
    assert (ledger[victim]["status"], ledger[victim]["error"]) == ("skipped", "note_deleted")
    assert summary.skipped["note_deleted"] == 1 and summary.processed == 2
    assert {r["note_id"] for r in any_cdm.note_nlp()} == {ids[0], ids[2]}


def test_a_pipeline_error_fails_one_note_and_the_next_run_retries_it(any_cdm, caplog) -> None:
    ids = any_cdm.add_notes([SIMPLE, CHEST])

    flaky = build_pipeline()
    rules = flaky.extract_rules

    def extract_rules(report, note_class_concept_id=None):
        if report.id == str(ids[0]):
            raise RuntimeError(f"boom on {report.text}")
        return rules(report, note_class_concept_id)

    flaky.extract_rules = extract_rules
    with caplog.at_level(logging.WARNING):
        summary = any_cdm.run(pipeline=flaky)
    assert summary.failed["RuntimeError"] == 1 and summary.processed == 1
    assert any_cdm.ledger()[ids[0]]["status"] == "failed"
    assert SIMPLE not in caplog.text and "RuntimeError" in caplog.text  # no note text in logs
    retry = any_cdm.run()
    assert (retry.processed, retry.skipped["already_done"]) == (1, 1)
    assert any_cdm.ledger()[ids[0]]["status"] == "done"


def test_missing_concepts_resolve_to_0_with_one_warning(any_cdm, caplog) -> None:
    concept = any_cdm.tables.concept
    with any_cdm.engine.begin() as conn:
        conn.execute(concept.delete().where(concept.c.concept_id == 254061))  # SNOMED 60046008 pleural effusion
        # The site's own id for "nodule of lung" is what gets written, whatever the demo id was.
        conn.execute(concept.update().where(concept.c.concept_id == 37206719).values(concept_id=123456789))
        # Same code in another vocabulary: not a match.
        conn.execute(concept.insert().values(
            concept_id=55, concept_name="x", domain_id="Observation", vocabulary_id="Local", concept_class_id="x",
            concept_code="60046008", valid_start_date=_day(0), valid_end_date=_day(0)))  # fmt: skip
    (note_id,) = any_cdm.add_notes([SIMPLE])
    with caplog.at_level(logging.WARNING, logger="omop_nlp"):
        any_cdm.run()
    rows = by_key(any_cdm.note_nlp(note_id))
    assert rows["pleural_effusion"]["note_nlp_concept_id"] == 0
    assert rows["nodule"]["note_nlp_concept_id"] == 123456789
    warnings = [r.getMessage() for r in caplog.records if "not in the CONCEPT table" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].endswith("SNOMED:60046008")


def test_rows_do_not_collide_with_other_systems_rows(any_cdm) -> None:
    note_nlp = any_cdm.tables.note_nlp
    other = [{"note_nlp_id": i, "note_id": 1, "lexical_variant": "x", "nlp_date": _day(0), "nlp_system": "cTAKES 4"}
             for i in (1, 2, 500)]  # fmt: skip
    with any_cdm.engine.begin() as conn:
        conn.execute(note_nlp.insert(), other)
    any_cdm.add_notes([SIMPLE, CHEST])
    any_cdm.run()
    ours = [r for r in any_cdm.note_nlp() if r["nlp_system"] != "cTAKES 4"]
    assert min(r["note_nlp_id"] for r in ours) == 501
    any_cdm.run(reprocess=True)
    assert len([r for r in any_cdm.note_nlp() if r["nlp_system"] == "cTAKES 4"]) == 3


def test_cli_run_prints_a_summary_and_one_warning_line_per_problem(pg_cdm, run_cli) -> None:
    concept = pg_cdm.tables.concept
    with pg_cdm.engine.begin() as conn:
        conn.execute(concept.delete().where(concept.c.concept_id == 254061))
    pg_cdm.add_notes([SIMPLE, "", CHEST])
    args = ("run", "--cdm", pg_cdm.url, "--cdm-schema", "cdm", "--results-schema", "results", "--no-progress")
    code, out, err = run_cli(*args, "--batch-size", "2")
    assert code == 1  # a run that skipped a note for its data says so in its exit status
    assert "processed: 2 notes" in out and "skipped: 1 (empty_text 1)" in out and "notes: 3 of 3 selected" in out
    assert err.splitlines() == [
        "warning: 1 code(s) not in the CONCEPT table, written with concept_id 0: SNOMED:60046008",
        "error: 1 note(s) skipped or failed (see above): exit 1; --allow-skips accepts them",
    ]
    assert run_cli(*args, "--reprocess", "--allow-skips")[0] == 0
    assert run_cli(*args)[0] == 0  # notes already done are no problem


def test_a_note_the_database_refuses_fails_alone_and_its_batch_is_written(pg_cdm) -> None:
    with pg_cdm.engine.begin() as conn:  # a site rule this tool cannot know about
        conn.execute(text("ALTER TABLE results.note_nlp ADD CONSTRAINT no_effusion "
                          "CHECK (lexical_variant <> 'pleural effusion')"))  # fmt: skip
    ids = pg_cdm.add_notes([CHEST, SIMPLE, BRAIN])
    summary = pg_cdm.run()
    ledger = pg_cdm.ledger()
    assert (ledger[ids[1]]["status"], ledger[ids[1]]["error"]) == ("failed", "database_error:CheckViolation")
    assert summary.processed == 2 and summary.failed == {"database_error:CheckViolation": 1}
    assert {r["note_id"] for r in pg_cdm.note_nlp()} == {ids[0], ids[2]}


def test_extraction_workers_write_the_same_rows(sqlite_cdm) -> None:
    sqlite_cdm.add_notes([SIMPLE, CHEST, BRAIN] * 5)
    assert sqlite_cdm.run(batch_size=6, workers=2).processed == 15
    parallel = sqlite_cdm.content()
    assert sqlite_cdm.run(reprocess=True).processed == 15 and sqlite_cdm.content() == parallel
