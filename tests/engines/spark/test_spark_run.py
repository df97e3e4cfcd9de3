"""``spark-run`` on Spark local mode: NOTE -> NOTE_NLP through Parquet tables and over JDBC from the
test PostgreSQL, compared row for row with ``run`` on the same notes; re-runs and task retries."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from spark_fixtures import FACT_TABLES, facts_content, lake_tables
from spark_fixtures import note_nlp_content as content
from sqlalchemy import make_url

from omop_nlp.engines.spark import SparkRunOptions, note_nlp_batches, spark_run
from omop_nlp.sinks.fhir.builder import FhirOptions
from omop_nlp.sinks.fhir.sink import FhirSink

NOTES = [
    "CT thorax.\nFINDINGS:\nA 5 mm ground-glass nodule in the left upper lobe. No pleural effusion.",
    "MRI head.\nIMPRESSION:\nThe resected glioblastoma shows no change; stable disease.",
    "Chest CT: small right pleural effusion. Probable atelectasis in the right lower lobe.",
    "",
    "Please call the ward about the appointment.",
    "\x01\x02\x03\x04\x05\x06\x07\x08" * 40,
    "MRI brain: several enhancing metastases, the largest in the left frontal lobe, have grown.",
    "CT chest without contrast. Two solid nodules in the right middle lobe and a mass in the left hilum.",
    "Hospital course: uneventful. The lung nodule will be followed in clinic.",
]
SKIPS = {"empty_text": 1, "binary": 1, "unknown_modality": 1, "not_selected:text": 1}


def parquet_rows(spark, path: Path) -> list[dict]:
    return [r.asDict() for r in spark.read.parquet(str(path)).collect()]


def parquet_facts(spark, folder: Path) -> dict[str, list]:
    """The fact tables spark-run wrote beside NOTE_NLP (``fact`` is the provenance table omop_nlp_fact)."""
    names = {"fact": "omop_nlp_fact"}
    return facts_content({t: parquet_rows(spark, folder / names.get(t, t)) for t in FACT_TABLES})


def cdm_facts(cdm) -> dict[str, list]:
    return facts_content({t: cdm.rows(t, order_by="episode_id" if t == "episode_event" else None)
                          for t in FACT_TABLES})  # fmt: skip


@pytest.fixture
def lake(spark, sqlite_cdm, tmp_path):
    """The notes in a SQLite CDM (for ``run``) and the same NOTE and CONCEPT as Parquet (for Spark)."""
    sqlite_cdm.add_notes(NOTES * 2)
    return sqlite_cdm, *lake_tables(spark, sqlite_cdm, tmp_path)


def table_options(lake, out: Path, **kw) -> SparkRunOptions:
    _, note, concept = lake
    return SparkRunOptions(note_table=note, concept_table=concept, note_nlp_table=str(out),
                           staging_dir=str(out.parent / "staging"), batch_size=3, **kw)  # fmt: skip


def fhir_resources(paths) -> dict[str, dict]:
    """Resources by type/id, without the time they were recorded (each run has its own)."""
    out = {}
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            resource = json.loads(line)
            resource.pop("recorded", None)
            out[f"{resource['resourceType']}/{resource['id']}"] = resource
    return out


def test_parquet_note_nlp_and_fhir_equal_runs_and_a_rerun_replaces(spark, lake, tmp_path) -> None:
    cdm, _, _ = lake
    out, fhir = tmp_path / "note_nlp", tmp_path / "fhir"
    summary = spark_run(spark, table_options(lake, out, fhir_out=str(fhir)))
    assert (summary.processed, dict(summary.skipped), summary.seen) == (10, {k: 2 * v for k, v in SKIPS.items()}, 18)
    first = parquet_rows(spark, out)
    assert len(first) == summary.note_nlp_rows > 0
    assert sorted(r["note_nlp_id"] for r in first) == list(range(1, len(first) + 1))

    sink = FhirSink(FhirOptions(nlp_system=summary.nlp_system), out_dir=tmp_path / "run-fhir")
    reference = cdm.run(on_result=sink.write)
    sink.close()
    assert reference.nlp_system == summary.nlp_system and reference.note_nlp_rows == summary.note_nlp_rows
    assert content(first) == cdm.content()
    resources = fhir_resources(fhir.glob("resource_type=*/part-*"))
    assert resources == fhir_resources((tmp_path / "run-fhir").glob("*.ndjson"))
    assert sum(summary.fhir.values()) + 1 == len(resources)  # and the one Device

    spark_run(spark, table_options(lake, out, filters=_only(1, 2)))  # replaces those notes' rows only
    again = parquet_rows(spark, out)
    assert content(again) == content(first)
    assert len({r["note_nlp_id"] for r in again}) == len(again)
    assert not Path(f"{out}.omop-nlp-{summary.run_id}").exists() and not (tmp_path / "staging" / "omop_nlp_staging"
                                                                           / summary.run_id).exists()


def test_parquet_cdm_facts_equal_runs_and_a_rerun_replaces_them(spark, lake, tmp_path) -> None:
    cdm, _, _ = lake
    out = tmp_path / "note_nlp"
    summary = spark_run(spark, table_options(lake, out, cdm_facts=True))
    reference = cdm.run(cdm_facts=True)
    assert summary.facts == reference.facts and {"condition_occurrence", "observation", "episode"} <= set(summary.facts)
    first = parquet_facts(spark, tmp_path)
    assert first == cdm_facts(cdm)
    assert content(parquet_rows(spark, out)) == cdm.content()

    spark_run(spark, table_options(lake, out, cdm_facts=True, filters=_only(2, 3)))  # those notes' facts replaced
    assert parquet_facts(spark, tmp_path) == first
    ids = [r["episode_id"] for r in parquet_rows(spark, tmp_path / "episode")]
    assert len(ids) == len(set(ids)) == len(first["episode"])

    spark_run(spark, table_options(lake, out, filters=_only(2)))  # without --cdm-facts, as run: note 2's facts go
    assert {f[1] for f in parquet_facts(spark, tmp_path)["fact"]} == {f[1] for f in first["fact"]} - {2}


def _only(*note_ids: int):
    from omop_nlp.sources.omop_notes import NoteFilter

    return NoteFilter(note_ids=note_ids)


def _fail_first_attempt(spec, concept_ids, frames):
    """The batch function, but the first attempt of partition 0 dies after its first batch."""
    from pyspark import TaskContext

    context = TaskContext.get()
    for i, frame in enumerate(note_nlp_batches(spec, concept_ids, frames)):
        yield frame
        if i == 0 and context.partitionId() == 0 and context.attemptNumber() == 0:
            Path(_MARKER[0]).touch()
            raise RuntimeError("executor lost (injected)")


_MARKER: list[str] = []


def test_a_task_retry_writes_no_duplicate_rows(spark, lake, tmp_path) -> None:
    from pyspark import cloudpickle

    cdm, _, _ = lake
    _MARKER[:] = [str(tmp_path / "failed-once")]
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    out = tmp_path / "note_nlp"
    spark_run(spark, table_options(lake, out), batch=_fail_first_attempt)
    assert (tmp_path / "failed-once").exists()
    cdm.run()
    rows = parquet_rows(spark, out)
    assert content(rows) == cdm.content()
    assert len({r["note_nlp_id"] for r in rows}) == len(rows)


def jdbc_options(cdm, port: int, **kw) -> SparkRunOptions:
    database = make_url(cdm.url).database
    return SparkRunOptions(cdm_url=cdm.url, jdbc_url=f"jdbc:postgresql://127.0.0.1:{port}/{database}",
                           cdm_schema="cdm", results_schema="results", batch_size=3, **kw)  # fmt: skip


def fhir_lines(folder: Path) -> list[str]:
    return sorted(line for part in folder.glob("resource_type=Observation/part-*") for line in part.open())


def test_jdbc_note_nlp_equals_run_row_for_row(spark, pg_cdm, pg_tcp_port, tmp_path) -> None:
    pg_cdm.add_notes(NOTES)
    fhir = tmp_path / "fhir"
    options = jdbc_options(pg_cdm, pg_tcp_port, fhir_out=str(fhir))
    summary = spark_run(spark, options)
    assert (summary.processed, dict(summary.skipped)) == (5, SKIPS)
    first, ledger = pg_cdm.content(), pg_cdm.ledger()
    assert len(first) == summary.note_nlp_rows > 0
    assert {i: (e["status"], e["error"]) for i, e in ledger.items()}[4] == ("skipped", "empty_text")

    rows, entries, observations = pg_cdm.note_nlp(), pg_cdm.ledger(), fhir_lines(fhir)
    assert observations
    again = spark_run(spark, options)  # as run: the ledger's done notes are skipped, nothing changes
    assert (again.processed, dict(again.skipped)) == (0, {"already_done": 8, "not_selected:text": 1})
    assert pg_cdm.note_nlp() == rows and pg_cdm.ledger() == entries
    assert fhir_lines(fhir) == observations  # their resources are kept, not rebuilt
    after = pg_cdm.run()  # and run after spark-run finds them all done
    assert (after.processed, after.skipped["already_done"]) == (0, 8)
    assert pg_cdm.note_nlp() == rows and pg_cdm.ledger() == entries

    spark_run(spark, replace(options, reprocess=True))  # --reprocess replaces, never duplicates
    assert pg_cdm.content() == first
    assert len(fhir_lines(fhir)) == len(observations)
    with pg_cdm.engine.connect() as conn:  # the staged rows are gone
        assert not conn.exec_driver_sql("SELECT count(*) FROM results.omop_nlp_spark_stage").scalar()

    reference = pg_cdm.run(reprocess=True)  # run writes the very same rows
    assert reference.nlp_system == summary.nlp_system
    assert pg_cdm.content() == first
    assert {i: (e["status"], e["error"]) for i, e in pg_cdm.ledger().items()} == {
        i: (e["status"], e["error"]) for i, e in ledger.items()}


def test_jdbc_cdm_facts_equal_runs_and_each_replaces_the_others(spark, pg_cdm, pg_tcp_port) -> None:
    pg_cdm.add_notes(NOTES)
    options = jdbc_options(pg_cdm, pg_tcp_port, cdm_facts=True)
    summary = spark_run(spark, options)
    first = cdm_facts(pg_cdm)
    assert {"condition_occurrence", "observation", "episode", "episode_event"} <= set(summary.facts)
    assert {t: len(first[t]) for t in summary.facts} == dict(summary.facts)
    assert all(e["facts"] == "Y" for e in pg_cdm.ledger().values() if e["status"] == "done")

    assert pg_cdm.run(cdm_facts=True).processed == 0  # run finds them done, facts included
    reference = pg_cdm.run(cdm_facts=True, reprocess=True)  # replaces spark-run's facts: the same rows
    assert reference.facts == summary.facts and cdm_facts(pg_cdm) == first
    spark_run(spark, replace(options, reprocess=True))  # and spark-run replaces run's
    assert cdm_facts(pg_cdm) == first


def test_cli_spark_run_prints_runs_summary(spark, lake, tmp_path, run_cli) -> None:
    _, note, concept = lake
    out = tmp_path / "note_nlp"
    code, stdout, _ = run_cli("spark-run", "--note-table", note, "--concept-table", concept, "--note-nlp-table",
                              str(out), "--staging-dir", str(tmp_path), "--note-id", "1,2,3,4", "--cdm-facts",
                              "--batch-size", "2")  # run's options  # fmt: skip
    assert code == 0
    assert "notes: 4 of 4 selected" in stdout and "skipped: 1 (empty_text 1)" in stdout
    assert {r["note_id"] for r in parquet_rows(spark, out)} == {1, 2, 3}
    assert "cdm facts: condition_occurrence 1, episode 1, episode_event 1, observation " in stdout
    assert {r["note_id"] for r in parquet_rows(spark, tmp_path / "omop_nlp_fact")} == {1, 2, 3}
    assert spark.range(1).count() == 1  # the session the command found is still there


def test_cli_spark_run_usage_errors_are_one_line(run_cli) -> None:
    code, _, err = run_cli("spark-run", "--note-table", "cdm.note")
    assert code == 2 and err.strip() == "error: [E100] --note-table needs --concept-table and --note-nlp-table"
    code, _, err = run_cli("spark-run")
    assert code == 2 and "give either --note-table" in err
