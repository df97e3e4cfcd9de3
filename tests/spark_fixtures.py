"""Spark in local mode (one session for the whole test run), a TCP door to the test PostgreSQL, and a
CDM's NOTE and CONCEPT as Parquet tables. The fixtures are registered by tests/conftest.py.

The embedded PostgreSQL listens on a Unix socket only and JDBC cannot use one, so ``pg_tcp_port``
forwards 127.0.0.1:<port> to that socket: the JDBC driver then talks to the same real server
(trust authentication, as for the Unix socket) and the server itself is left as it is.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import socketserver
import sys
import threading
from collections.abc import Iterator

import pytest

POSTGRES_JAR = "/usr/share/java/postgresql.jar"
NOTE_SCHEMA = ("note_id bigint, person_id bigint, note_date date, note_datetime timestamp, note_type_concept_id int, "
               "note_class_concept_id int, note_title string, note_text string, encoding_concept_id int, "
               "language_concept_id int, provider_id bigint, visit_occurrence_id bigint, visit_detail_id bigint, "
               "note_source_value string, note_event_id bigint, note_event_field_concept_id int")  # fmt: skip
CONCEPT_SCHEMA = ("concept_id int, concept_name string, domain_id string, vocabulary_id string, "
                  "concept_class_id string, standard_concept string, concept_code string, valid_start_date date, "
                  "valid_end_date date, invalid_reason string")  # fmt: skip


def note_nlp_content(rows: list[dict]) -> list[tuple]:
    """NOTE_NLP rows without ids and timestamps, as ``Cdm.content`` compares two runs."""
    skip = {"note_nlp_id", "nlp_date", "nlp_datetime"}
    return sorted((tuple(v for k, v in sorted(r.items()) if k not in skip) for r in rows), key=repr)


FACT_KEYS = {"condition_occurrence": "condition_occurrence_id", "observation": "observation_id",
             "episode": "episode_id"}  # fmt: skip
FACT_TABLES = (*FACT_KEYS, "episode_event", "fact")


def facts_content(tables: dict[str, list[dict]]) -> dict[str, list]:
    """``--cdm-facts`` rows by table without their ids: an EPISODE_EVENT as the content of its episode and
    condition, a provenance row (``fact``) as its note, system and the content of the row it names."""
    rows = {name: {r[pk]: tuple(sorted((k, v) for k, v in r.items() if k != pk)) for r in tables[name]}
            for name, pk in FACT_KEYS.items()}  # fmt: skip
    out = {name: sorted(by_id.values(), key=repr) for name, by_id in rows.items()}
    events = [(rows["episode"][e["episode_id"]], rows["condition_occurrence"][e["event_id"]],
               e["episode_event_field_concept_id"]) for e in tables["episode_event"]]  # fmt: skip
    out["episode_event"] = sorted(events, key=repr)
    out["fact"] = sorted(((f["table_name"], f["note_id"], f["nlp_system"], rows[f["table_name"]][f["row_id"]])
                          for f in tables["fact"]), key=repr)  # fmt: skip
    return out


def lake_tables(spark, cdm, folder) -> tuple[str, str]:
    """The CDM's NOTE and CONCEPT rows as Parquet tables under ``folder``: (note path, concept path)."""
    paths = []
    for table, schema in (("note", NOTE_SCHEMA), ("concept", CONCEPT_SCHEMA)):
        path = str(folder / table)
        spark.createDataFrame([tuple(r.values()) for r in cdm.rows(table)], schema).write.parquet(path)
        paths.append(path)
    return paths[0], paths[1]


class _Forward(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        upstream.connect(self.server.unix_path)  # type: ignore[attr-defined]
        pump = threading.Thread(target=_pump, args=(upstream, self.request), daemon=True)
        pump.start()
        _pump(self.request, upstream)
        pump.join()


def _pump(source: socket.socket, target: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            target.sendall(data)
    for s in (source, target):
        with contextlib.suppress(OSError):
            s.shutdown(socket.SHUT_RDWR)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@pytest.fixture(scope="session")
def pg_tcp_port(pg_server) -> Iterator[int]:
    """A loopback TCP port that reaches the session's PostgreSQL (for JDBC)."""
    info = pg_server.get_postmaster_info()
    server = _Server(("127.0.0.1", 0), _Forward)
    server.unix_path = str(info.socket_dir / f".s.PGSQL.{info.port}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def spark(tmp_path_factory) -> Iterator[object]:
    """local[2,2]: two cores, and a failed task is retried once (as a cluster does)."""
    pyspark_sql = pytest.importorskip("pyspark.sql")
    if shutil.which("java") is None or not os.path.exists(POSTGRES_JAR):
        pytest.fail(f"spark tests need java and {POSTGRES_JAR} (make test installs libpostgresql-jdbc-java)")
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    session = (
        pyspark_sql.SparkSession.builder.master("local[2,2]").appName("omop-nlp tests")
        .config("spark.jars", POSTGRES_JAR)
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", str(warehouse))
        .config("spark.driver.memory", "1g")
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={warehouse}")
        .getOrCreate()
    )  # fmt: skip
    session.sparkContext.setLogLevel("ERROR")
    try:
        yield session
    finally:
        session.stop()
