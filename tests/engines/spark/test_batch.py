"""The Spark batch function alone (no JVM): a pandas frame of NOTE rows -> staged rows, as run decides."""

from __future__ import annotations

from datetime import date, datetime

import pytest

pd = pytest.importorskip("pandas")

from omop_nlp.config import PipelineConfig  # noqa: E402
from omop_nlp.engines.spark.batch import STAGE_COLUMNS, BatchSpec, SiteConcepts, note_nlp_batches  # noqa: E402
from omop_nlp.model import Report  # noqa: E402
from omop_nlp.omop.concepts import ConceptResolver  # noqa: E402
from omop_nlp.sinks.note_nlp import note_nlp_rows  # noqa: E402

CHEST = "CT chest: a 6 mm solid nodule in the right lower lobe. No pleural effusion."
WHEN = datetime(2026, 3, 4, 5, 6, 7)


def frame(texts: list[str]) -> object:
    """NOTE rows as Arrow hands them to pandas: NULLs of numeric columns are NaN (the last person_id)."""
    n = len(texts)
    return pd.DataFrame({
        "note_id": range(1, n + 1), "person_id": [1.0] * (n - 1) + [float("nan")],
        "note_date": [date(2025, 1, 2)] * n, "note_title": [None] * n, "note_class_concept_id": [0] * n,
        "note_type_concept_id": [32817] * n, "visit_occurrence_id": [float("nan")] * n,
        "n_chars": [len(t) for t in texts], "note_text": texts,
    })  # fmt: skip


def staged(notes, max_chars: int = 1000) -> list[dict]:
    spec = BatchSpec("omop-nlp test", WHEN, PipelineConfig(max_note_chars=max_chars))
    site = SiteConcepts({}, {})
    out = list(note_nlp_batches(spec, site, iter([notes])))
    assert all(list(f.columns) == list(STAGE_COLUMNS) for f in out)
    return [r for f in out for r in f.to_dict("records")]


def test_rows_are_runs_rows_and_each_note_has_its_outcome(pipeline) -> None:
    discharge = "Hospital course: uneventful. Discharge medications as listed."
    rows = staged(frame([CHEST, "", discharge, "x" * 2000, CHEST]))
    notes = {r["note_id"]: (r["status"], r["reason"]) for r in rows if r["kind"] == "note"}
    assert notes == {1: ("done", None), 2: ("skipped", "empty_text"), 3: ("skipped", "not_selected:text"),
                     4: ("skipped", "too_long"), 5: ("done", None)}  # fmt: skip
    nlp = [r for r in rows if r["kind"] == "note_nlp" and r["note_id"] == 1]
    result = pipeline.extract(Report(id="1", text=CHEST))
    expected = note_nlp_rows(1, result, ConceptResolver.from_ids({}), "omop-nlp test", WHEN)
    assert [r["row_in_note"] for r in nlp] == list(range(len(expected)))
    assert [{k: r[k] for k in expected[0]} for r in nlp] == expected
    assert any(r["note_id"] == 5 for r in rows if r["kind"] == "note_nlp")  # a NULL person_id is no error


def test_notes_the_ledger_says_are_done_are_skipped_unless_their_text_or_facts_are_missing(pipeline) -> None:
    """Over JDBC each note comes with its ledger row: run's resumption, decided in the batch function."""
    from omop_nlp.omop.ledger import text_hash

    notes = frame([CHEST, CHEST + " Stable.", CHEST])
    notes["ledger_hash"] = [text_hash(CHEST), text_hash(CHEST), None]  # note 2's text changed since
    notes["ledger_status"] = ["done", "done", None]
    notes["ledger_facts"] = [None, None, None]
    outcomes = {r["note_id"]: r["reason"] for r in staged(notes) if r["kind"] == "note"}
    assert outcomes == {1: "already_done", 2: None, 3: None}
    spec = BatchSpec("omop-nlp test", WHEN, PipelineConfig(), cdm_facts=True)  # done without facts: done again
    rows = [r for f in note_nlp_batches(spec, SiteConcepts({}, {}), iter([notes])) for r in f.to_dict("records")]
    assert {r["note_id"]: r["status"] for r in rows if r["kind"] == "note"} == {1: "done", 2: "done", 3: "done"}
    assert {r["kind"] for r in rows if r["note_id"] == 1} >= {"note_nlp", "observation"}
