"""Spark in local mode (one session for the whole test run) and a TCP door to the test PostgreSQL.

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
