"""Database URLs and engines: PostgreSQL (psycopg 3) and the embedded SQLite CDM.

Every failure to reach a database becomes one ``DatabaseError`` line with the password
masked, so the CLI can print it without a traceback and without leaking credentials.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, DataError, DBAPIError, IntegrityError, NoSuchModuleError

from omop_nlp.errors import DatabaseError
from omop_nlp.redact import mask_text

SUPPORTED = ("postgresql", "sqlite")
_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]{0,62}$")
_SQLITE_BUSY_TIMEOUT_S = 120
# Every PostgreSQL session of the tool: a lock held elsewhere (a stuck session, a run killed in the
# middle of a write) becomes an error with a message after LOCK_TIMEOUT instead of a silent wait,
# and the server ends a session of ours left idle inside a transaction (a client that died).
# A site sets other values in the URL: ?options=-c%20lock_timeout%3D5min
SESSION_SETTINGS = {"lock_timeout": "60s", "idle_in_transaction_session_timeout": "10min"}
LOCK_NOT_AVAILABLE = "55P03"  # the SQLSTATE of an expired lock_timeout


def parse_url(raw: str) -> URL:
    """``postgresql://…`` (psycopg 3 is used), ``sqlite:///path.db``, or a bare ``*.db`` path."""
    raw = raw.strip()
    if "://" not in raw and raw.endswith((".db", ".sqlite", ".sqlite3")):
        raw = f"sqlite:///{raw}"
    try:
        url = make_url(raw)
    except ArgumentError:
        raise DatabaseError(f"not a database URL: {mask_text(raw)!s}") from None
    backend = url.get_backend_name()
    if backend == "postgres" or (backend == "postgresql" and url.get_driver_name() in ("psycopg2", "psycopg")):
        url = url.set(drivername="postgresql+psycopg")
    elif backend not in SUPPORTED:
        raise DatabaseError(f"unsupported database {backend!r} in {mask_url(url)}; use postgresql:// or sqlite:///")
    return url


def mask_url(url: URL | str) -> str:
    """The URL as it may be printed: the password replaced by ***."""
    if isinstance(url, str):
        try:
            url = make_url(url)
        except ArgumentError:
            return mask_text(url)
    return mask_text(url.render_as_string(hide_password=True))


def sqlite_path(url: URL) -> Path | None:
    """The file of a SQLite URL, or None for an in-memory database."""
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def make_engine(raw_url: str, *, create: bool = False, one_connection: bool = False) -> Engine:
    """An engine that has been connected once, so an unreachable URL fails here, in one line.

    ``create`` allows a new SQLite file (``init-db``); otherwise a missing file is an error
    rather than a silently created empty database. ``one_connection``: a pool of one PostgreSQL
    connection, for a worker process whose reads, writes and claims take turns on it.
    """
    url = parse_url(raw_url)
    path = sqlite_path(url)
    if path is not None:
        _check_sqlite_path(url, path, create)
        engine = create_engine(url, connect_args={"timeout": _SQLITE_BUSY_TIMEOUT_S}, hide_parameters=True)
        _install_sqlite_transactions(engine)
    else:
        # hide_parameters: errors and logs must never carry note text bound as a parameter.
        pool = {"pool_size": 1, "max_overflow": 0} if one_connection else {}
        engine = create_engine(url, connect_args=_pg_connect_args(url), pool_pre_ping=True, hide_parameters=True,
                               **pool)  # fmt: skip
    check_connection(engine)
    return engine


def _check_sqlite_path(url: URL, path: Path, create: bool) -> None:
    if not create and not path.is_file():
        raise DatabaseError(f"database file not found: {mask_url(url)} (create it with `omop-nlp init-db`)")
    if create and not path.parent.is_dir():
        raise DatabaseError(f"cannot create database {mask_url(url)}: folder {path.parent} does not exist")


def _pg_connect_args(url: URL) -> dict:
    # UTF8 also on SQL_ASCII databases, whose bytes psycopg would otherwise hand back undecoded.
    args = {"application_name": "omop-nlp", "client_encoding": "utf8"}
    if "connect_timeout" not in url.query:
        args["connect_timeout"] = 10
    given = str(url.query.get("options", ""))
    ours = [f"-c {name}={value}" for name, value in SESSION_SETTINGS.items() if name not in given]
    args["options"] = " ".join([given, *ours]).strip()
    return args


def check_connection(engine: Engine) -> None:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except (DBAPIError, NoSuchModuleError, OSError) as exc:
        engine.dispose()
        raise DatabaseError(f"cannot connect to {mask_url(engine.url)}: {short_reason(exc)}") from None


def short_reason(exc: BaseException) -> str:
    """The first meaningful line of a driver error, masked: no SQL, no parameters, no traceback."""
    orig = getattr(exc, "orig", None) or exc
    if getattr(orig, "sqlstate", None) == LOCK_NOT_AVAILABLE:
        return ("gave up waiting for a lock (lock_timeout): another session holds rows or tables this command "
                "needs; find it in pg_stat_activity and pg_locks (docs/operations.md)")
    lines = [ln.strip() for ln in str(orig).splitlines() if ln.strip()]
    return mask_text(lines[0] if lines else orig.__class__.__name__)[:300]


def is_note_data_error(exc: DBAPIError) -> bool:
    """Whether the database refused one note's data (a value too long, a constraint), which skips that
    note; privilege, missing-table, connection and every other error concern the whole run."""
    return isinstance(exc, IntegrityError | DataError)


def _install_sqlite_transactions(engine: Engine) -> None:
    """Let SQLAlchemy, not the sqlite3 module, issue BEGIN, so writers can ask for BEGIN IMMEDIATE.

    A writer that takes the write lock at BEGIN can read max(id) and insert max(id)+1 without
    any other process racing it; readers keep plain deferred transactions (WAL lets them run
    beside a writer).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # pragma: no cover - trivial driver setup
        dbapi_conn.isolation_level = None
        dbapi_conn.execute("PRAGMA journal_mode=WAL")
        dbapi_conn.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_S * 1000}")

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("omop_nlp_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that writes: on SQLite it holds the database write lock from its first statement."""
    with engine.connect() as conn:
        conn = conn.execution_options(omop_nlp_write=True)
        with conn.begin():
            yield conn


def check_schema_name(schema: str | None, dialect: str) -> str | None:
    """Schemas are PostgreSQL-only identifiers; reject anything else before it reaches SQL."""
    if schema in (None, ""):
        return None
    if dialect == "sqlite":
        if schema == "main":
            return None
        raise DatabaseError("the embedded SQLite database has no schemas; leave --cdm-schema/--results-schema unset")
    if not _SCHEMA_NAME.match(schema):
        raise DatabaseError(f"not a valid schema name: {schema!r}")
    return schema
