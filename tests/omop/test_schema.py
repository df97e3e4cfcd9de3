"""init-db's DDL on real servers, its agreement with the SQLAlchemy tables, and the CLI's error lines."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from omop_nlp.omop.connection import DatabaseError, make_engine
from omop_nlp.omop.ddl import CDM_FILES, execute_ddl
from omop_nlp.omop.tables import cdm_tables


def _columns(engine, table) -> dict[str, bool]:
    return {c["name"]: c["nullable"] for c in inspect(engine).get_columns(table.name, schema=table.schema)}


@pytest.mark.parametrize("schemas", [("cdm", "results"), (None, None)])
def test_ddl_creates_every_table_as_sqlalchemy_defines_it_on_postgresql(pg_url, schemas) -> None:
    engine = make_engine(pg_url)
    tables = cdm_tables(*schemas)
    execute_ddl(engine, CDM_FILES, *schemas)
    execute_ddl(engine, CDM_FILES, *schemas)  # idempotent
    for table in (tables.note, tables.note_nlp, tables.concept, tables.vocabulary, tables.person,
                  tables.condition_occurrence, tables.observation, tables.episode, tables.episode_event, tables.ledger,
                  tables.fact):  # fmt: skip
        assert _columns(engine, table) == {c.name: c.nullable for c in table.columns}, table.name
    assert inspect(engine).has_table("note_nlp", schema=schemas[1])
    engine.dispose()


def test_ddl_matches_sqlalchemy_on_sqlite(sqlite_url) -> None:
    engine = make_engine(sqlite_url, create=True)
    tables = cdm_tables()
    execute_ddl(engine, CDM_FILES)
    execute_ddl(engine, CDM_FILES)  # idempotent
    for table in (tables.note, tables.note_nlp, tables.concept, tables.ledger, tables.fact, tables.episode):
        columns = _columns(engine, table)
        expected = {c.name: c.nullable for c in table.columns}
        # SQLite reports INTEGER PRIMARY KEY columns as nullable; compare names, and nullability elsewhere.
        assert columns.keys() == expected.keys(), table.name
        pk = {c.name for c in table.primary_key.columns}
        assert {k: v for k, v in columns.items() if k not in pk} == {k: v for k, v in expected.items() if k not in pk}
    engine.dispose()


def test_init_db_cli_on_postgresql_and_sqlite(pg_url, tmp_path, run_cli) -> None:
    code, out, _ = run_cli("init-db", pg_url, "--schema", "cdm", "--results-schema", "nlp")
    assert code == 0 and "statements run" in out
    engine = make_engine(pg_url)
    assert inspect(engine).has_table("note", schema="cdm") and inspect(engine).has_table("note_nlp", schema="nlp")
    engine.dispose()
    db = tmp_path / "new.db"
    code, out, _ = run_cli("init-db", f"sqlite:///{db}")
    assert code == 0 and db.is_file()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["run", "--cdm", "postgresql://alice:topsecret@127.0.0.1:1/cdm"], "cannot connect to postgresql+psycopg://alice:***@"),
        (["run", "--cdm", "sqlite:////nonexistent/dir/cdm.db"], "database file not found"),
        (["init-db", "sqlite:////nonexistent/dir/cdm.db"], "folder /nonexistent/dir does not exist"),
        (["run", "--cdm", "oracle://u:topsecret@h/d"], "unsupported database 'oracle'"),
        (["run", "--cdm", "x.db", "--modality", "knee_xray"], "unknown modality 'knee_xray'"),
        (["run", "--cdm", "x.db", "--date-from", "2025-02-30"], "--date-from: not a date"),
        (["run", "--cdm", "x.db", "--note-id", "12,abc"], "--note-id: not an integer: 'abc'"),
        (["unload", "--cdm", "sqlite:////nonexistent/cdm.db", "--nlp-system", "x"], "database file not found"),
    ],
)
def test_cli_errors_are_one_line_exit_2_password_masked(run_cli, args, expected) -> None:
    code, out, err = run_cli(*args)
    assert code == 2
    assert err.count("\n") == 1 and expected in err
    assert "topsecret" not in err + out and "Traceback" not in err


def test_run_on_a_database_without_cdm_tables_says_no_cdm_was_found(sqlite_url, run_cli) -> None:
    make_engine(sqlite_url, create=True).dispose()
    code, _, err = run_cli("run", "--cdm", sqlite_url)
    assert code == 2 and "no OMOP CDM found: no NOTE table in the database" in err


def test_run_on_a_cdm_without_note_nlp_says_to_init(sqlite_url, run_cli) -> None:
    engine = make_engine(sqlite_url, create=True)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE note (note_id integer)")
    engine.dispose()
    code, _, err = run_cli("run", "--cdm", sqlite_url)
    assert code == 2 and "table(s) not found: concept, note_nlp; create them with `omop-nlp init-db`" in err


def test_unreachable_database_error_names_no_password() -> None:
    with pytest.raises(DatabaseError) as info:
        make_engine("postgresql://bob:hunter2@127.0.0.1:1/cdm?connect_timeout=2")
    assert "hunter2" not in str(info.value) and "bob:***@127.0.0.1:1/cdm" in str(info.value)
