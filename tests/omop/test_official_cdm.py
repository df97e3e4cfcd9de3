"""The normal case: a CDM created by the official OHDSI v5.4 scripts (issue 12, item 3)."""

from __future__ import annotations

import pytest
from omop_cdm import Cdm, official_statements, run_official
from sqlalchemy import text

from omop_nlp.omop.connection import make_engine

CHEST = "CT chest: 8 mm nodule in the right upper lobe. Small left pleural effusion."
BRAIN = "MRI brain: enlarging glioblastoma in the left frontal lobe, consistent with progression."


def _args(cdm: Cdm) -> list[str]:
    return ["--cdm", cdm.url, *(["--cdm-schema", cdm.cdm_schema] if cdm.cdm_schema else [])]


def test_run_cdm_facts_and_unload_on_the_official_cdm(official_cdm, run_cli) -> None:
    official_cdm.add_notes([CHEST, BRAIN])
    code, out, err = run_cli("run", *_args(official_cdm), "--cdm-facts", "--no-progress")
    assert code == 0, err
    assert "processed: 2 notes" in out and "condition_occurrence 1" in out and "episode 1" in out
    system = next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("nlp_system: "))
    assert {r["nlp_system"] for r in official_cdm.note_nlp()} == {system}
    code, out, _ = run_cli("unload", *_args(official_cdm), "--nlp-system", system)
    assert code == 0 and "note_nlp" in out
    assert official_cdm.note_nlp() == [] and official_cdm.rows("condition_occurrence") == []


@pytest.mark.postgres
def test_a_run_outside_the_cdm_schema_names_the_schema_that_holds_note(pg_url, run_cli) -> None:
    cdm = Cdm.official(pg_url, "cdm")
    cdm.add_notes([CHEST])
    code, _, err = run_cli("run", "--cdm", pg_url)
    assert code == 2 and err.count("\n") == 1
    assert "no NOTE table in the search path (public); NOTE is in schema(s) cdm: pass --cdm-schema cdm" in err
    code, _, err = run_cli("run", "--cdm", pg_url, "--cdm-schema", "omop")
    assert code == 2 and "no NOTE table in schema omop; NOTE is in schema(s) cdm" in err
    cdm.run()
    code, _, err = run_cli("unload", "--cdm", pg_url, "--nlp-system", "omop-nlp 0.1.0 rules 1a2b3c4d")
    assert code == 2 and "no omop-nlp tables (omop_nlp_ledger) in the search path (public)" in err
    assert "they are in schema(s) cdm" in err
    engine = make_engine(pg_url)
    with engine.connect() as conn:  # nothing was created in public on the way
        assert not conn.exec_driver_sql("SELECT 1 FROM pg_tables WHERE schemaname = 'public'").first()
    engine.dispose()
    cdm.close()


def test_an_empty_note_table_stops_the_run(official_cdm, run_cli) -> None:
    code, _, err = run_cli("run", *_args(official_cdm))
    assert code == 2 and "the NOTE table" in err and "is empty" in err


def test_no_cdm_anywhere_is_an_error_not_an_empty_success(pg_url, run_cli) -> None:
    code, _, err = run_cli("run", "--cdm", pg_url)
    assert code == 2 and "no OMOP CDM found: no NOTE table in the search path (public) or any other schema" in err


def _cdm_indexes(engine) -> set[tuple[str, str]]:
    query = text("SELECT tablename, indexname FROM pg_indexes WHERE schemaname = 'cdm' "
                 "AND tablename NOT LIKE 'omop_nlp%'")  # fmt: skip
    with engine.connect() as conn:
        return {tuple(r) for r in conn.execute(query)}


@pytest.mark.postgres
def test_init_db_on_an_official_schema_adds_nothing_to_cdm_tables(pg_url, run_cli) -> None:
    engine = make_engine(pg_url)
    run_official(engine, "ddl", "cdm")
    run_official(engine, "primary_keys", "cdm")
    before = _cdm_indexes(engine)
    code, _, err = run_cli("init-db", pg_url, "--schema", "cdm")
    assert code == 0, err
    assert _cdm_indexes(engine) == before  # the CDM tables are the site's: no index added
    run_official(engine, "indices", "cdm")  # and the official indices script still applies afterwards
    official = [s for s in official_statements("postgresql", "indices", "cdm") if s.startswith("CREATE INDEX")]
    assert len(_cdm_indexes(engine)) == len(before) + len(official)
    engine.dispose()
