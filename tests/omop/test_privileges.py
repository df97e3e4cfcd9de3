"""A production role: read on the CDM schema, write on the results schema, no CREATE on the database."""

from __future__ import annotations

import pytest
from omop_cdm import Cdm, admin_connection
from sqlalchemy.engine import make_url

from omop_nlp.omop.ddl import ensure_tool_tables

READ_CDM = ("GRANT USAGE ON SCHEMA cdm TO {role}", "GRANT SELECT ON ALL TABLES IN SCHEMA cdm TO {role}")
WRITE_RESULTS = (
    "GRANT USAGE, CREATE ON SCHEMA results TO {role}",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA results TO {role}",
    "GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA results TO {role}",
)


def _runner(pg_server, pg_url, grants: tuple[str, ...]) -> tuple[Cdm, Cdm]:
    """(owner, runner): a CDM with one note made by the owner, and a login role with only ``grants``
    ({role} in them is its name)."""
    owner = Cdm(pg_url, cdm_schema="cdm", results_schema="results")
    owner.add_notes(["There is a 7 mm nodule in the right upper lobe. No pleural effusion."])
    ensure_tool_tables(owner.engine, owner.tables)  # as init-db does
    database = make_url(pg_url).database
    with admin_connection(pg_server) as admin:
        admin.execute(f"CREATE ROLE r_{database} LOGIN")
        with admin.cursor() as cur:
            cur.execute(f'REVOKE CREATE ON DATABASE "{database}" FROM PUBLIC')
    role = f"r_{database}"  # roles are server-wide: one per test database
    with owner.engine.begin() as conn:
        for statement in grants:
            conn.exec_driver_sql(statement.format(role=role))
    runner = Cdm.__new__(Cdm)
    runner.url = make_url(pg_url).set(username=f"r_{database}").render_as_string(hide_password=False)
    runner.cdm_schema, runner.results_schema, runner.tables = "cdm", "results", owner.tables
    return owner, runner


@pytest.mark.postgres
def test_run_needs_no_create_privilege_on_the_database(pg_server, pg_url) -> None:
    owner, runner = _runner(pg_server, pg_url, READ_CDM + WRITE_RESULTS)
    summary = runner.run()
    assert (summary.processed, summary.note_nlp_rows) == (1, 3)
    owner.close()


@pytest.mark.postgres
def test_a_missing_grant_stops_the_run_at_once_and_fails_no_note(pg_server, pg_url, run_cli) -> None:
    no_insert = "REVOKE INSERT ON results.note_nlp FROM {role}"
    owner, runner = _runner(pg_server, pg_url, (*READ_CDM, *WRITE_RESULTS, no_insert))
    owner.add_notes([f"Note {i}: a 5 mm nodule in the left lower lobe." for i in range(2, 6)], start_id=2)
    code, _, err = run_cli("run", "--cdm", runner.url, "--cdm-schema", "cdm", "--results-schema", "results")
    assert code == 2 and err.count("\n") == 1
    assert "permission denied for table note_nlp" in err and "Traceback" not in err
    assert not any(r["status"] == "failed" for r in owner.ledger().values())  # no note blamed for the GRANT
    owner.close()


@pytest.mark.postgres
def test_init_db_needs_no_create_on_a_cdm_schema_that_has_its_tables(pg_server, pg_url, run_cli) -> None:
    owner, runner = _runner(pg_server, pg_url, READ_CDM)
    with owner.engine.begin() as conn:  # an empty results schema of the runner's: init-db makes its tables there
        conn.exec_driver_sql("DROP SCHEMA results CASCADE")
        conn.exec_driver_sql(f"CREATE SCHEMA results AUTHORIZATION r_{make_url(pg_url).database}")
    code, out, err = run_cli("init-db", runner.url, "--schema", "cdm", "--results-schema", "results")
    assert code == 0, err
    code, out, err = run_cli("run", "--cdm", runner.url, "--cdm-schema", "cdm", "--results-schema", "results")
    assert code == 0 and "processed: 1 notes" in out, err
    owner.close()
