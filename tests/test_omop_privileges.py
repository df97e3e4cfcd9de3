"""A production role: read on the CDM schema, write on the results schema, no CREATE on the database."""

from __future__ import annotations

import pytest
from conftest import Cdm, _admin
from sqlalchemy.engine import make_url


@pytest.mark.postgres
def test_run_needs_no_create_privilege_on_the_database(pg_server, pg_url) -> None:
    owner = Cdm(pg_url, cdm_schema="cdm", results_schema="results")
    owner.add_notes(["There is a 7 mm nodule in the right upper lobe. No pleural effusion."])
    database = make_url(pg_url).database
    with _admin(pg_server) as admin:
        admin.execute("CREATE ROLE nlp_runner LOGIN")
        with admin.cursor() as cur:
            cur.execute(f'REVOKE CREATE ON DATABASE "{database}" FROM PUBLIC')
        owner.engine.dispose()
    with owner.engine.begin() as conn:
        for statement in (
            "GRANT USAGE ON SCHEMA cdm TO nlp_runner",
            "GRANT SELECT ON ALL TABLES IN SCHEMA cdm TO nlp_runner",
            "GRANT USAGE, CREATE ON SCHEMA results TO nlp_runner",
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA results TO nlp_runner",
            "GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA results TO nlp_runner",
        ):
            conn.exec_driver_sql(statement)
    runner_url = make_url(pg_url).set(username="nlp_runner").render_as_string(hide_password=False)
    runner = Cdm.__new__(Cdm)
    runner.url, runner.cdm_schema, runner.results_schema = runner_url, "cdm", "results"
    summary = runner.run()
    assert (summary.processed, summary.note_nlp_rows) == (1, 3)
