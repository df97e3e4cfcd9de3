"""Notes that used to stall a run or exhaust memory (issue 12 item 11), on the embedded PostgreSQL:
every one finishes within its time budget, or is skipped as `timeout`, and the batch goes on."""

from __future__ import annotations

NORMAL = "CT chest. Solid nodule in the right upper lobe. No pleural effusion."
ALPHABET = "abcdefghijklmnopqrstuvwxyz"


def adversarial() -> dict[str, str]:
    return {
        "one letter, 1.5 MB": "a" * 1_500_000,
        "nodule. repeated": "nodule. " * 25_000,
        "a 40,000-letter word": "CT chest. " + (ALPHABET * 1600)[:40_000] + " nodule.",
        "one long sentence": "CT chest. " + "nodule in the right upper lobe and " * 6_000,
        "a long list of locations": "CT chest. Nodules in " + "the right upper lobe, " * 9_000 + "and the lingula.",
        "negation triggers": "CT chest. " + "no " * 60_000 + "nodule.",
    }


def test_adversarial_notes_finish_within_their_budget_and_the_batch_goes_on(pg_cdm) -> None:
    notes = [NORMAL, *adversarial().values(), NORMAL]
    ids = pg_cdm.add_notes(notes)
    # A budget far above what each note needs now (about a second on a busy machine), far below what
    # they needed before: "nodule. " repeated took minutes (the location mapper rescanned the sentence
    # per lesion group), the long word gigabytes (typo index).
    summary = pg_cdm.run(batch_size=len(notes), note_timeout=20)
    ledger = pg_cdm.ledger()
    assert summary.seen == len(notes) and not summary.failed
    assert "timeout" not in summary.skipped, summary.skipped
    assert {ledger[i]["status"] for i in (ids[0], ids[-1])} == {"done"}
    assert ledger[ids[1]]["error"] == "unknown_modality"  # 1.5 MB of one letter is no report
    assert all(ledger[i]["status"] == "done" for i in ids[2:-1])


def test_a_note_over_its_time_budget_is_skipped_as_timeout_and_the_batch_goes_on(pg_cdm) -> None:
    slow = "CT chest. " + "no " * 300_000 + "nodule."  # seconds of work, far over a 0.1 s budget
    ids = pg_cdm.add_notes([NORMAL, slow, NORMAL])
    summary = pg_cdm.run(batch_size=10, note_timeout=0.1)
    assert summary.processed == 2 and summary.skipped == {"timeout": 1}
    ledger = pg_cdm.ledger()
    assert ledger[ids[1]]["status"] == "skipped" and ledger[ids[1]]["error"] == "timeout"
    assert len(pg_cdm.note_nlp(ids[0])) == len(pg_cdm.note_nlp(ids[2])) > 0


def test_a_lock_held_by_a_stuck_session_is_an_error_with_a_message_not_a_silent_wait(
    pg_cdm, run_cli, monkeypatch
) -> None:
    import psycopg

    from omop_nlp.omop import connection

    pg_cdm.add_notes([NORMAL, NORMAL])
    pg_cdm.run()
    monkeypatch.setitem(connection.SESSION_SETTINGS, "lock_timeout", "1s")  # the default is a minute
    stuck = psycopg.connect(pg_cdm.url.replace("postgresql+psycopg", "postgresql"))  # a session left in a transaction
    try:
        stuck.execute("SELECT * FROM results.omop_nlp_ledger WHERE note_id = 2 FOR UPDATE")
        code, _, err = run_cli("run", "--cdm", pg_cdm.url, "--cdm-schema", "cdm", "--results-schema", "results",
                               "--reprocess", "--workers", "1")  # fmt: skip
    finally:
        stuck.close()
    assert code != 0 and "lock_timeout" in err and "pg_stat_activity" in err
    assert "Traceback" not in err
