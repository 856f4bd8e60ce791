"""Database URLs and engines: the embedded SQLite file (WAL) and PostgreSQL.

One code path serves both backends; this module holds what differs:

* **SQLite** connections get ``journal_mode=WAL`` (readers never block the
  writer and the writer never blocks readers), ``busy_timeout`` (a second
  writer waits instead of failing), ``foreign_keys=ON``,
  ``synchronous=NORMAL`` (durable at each checkpoint, safe against corruption
  in WAL mode) and ``temp_store=MEMORY`` (a write's staging table lives in
  memory, about the size of the frame written; this halves the time to ingest
  a large file). SQLAlchemy emits ``BEGIN`` itself, because Python's ``sqlite3``
  driver does not begin a transaction before ``SELECT`` or DDL (see the
  SQLAlchemy documentation, "Transactions with SQLite and the sqlite3
  driver"); write transactions use ``BEGIN IMMEDIATE`` so that they take the
  write lock up front and never fail half-way on a lock upgrade.
* **PostgreSQL** connections go through psycopg 3; write transactions take a
  transaction-scoped advisory lock so that two ingestions of overlapping data
  are serialised instead of racing for the same revision numbers.

References
----------
.. [1] SQLite, "Write-Ahead Logging", https://www.sqlite.org/wal.html
.. [2] SQLite, "PRAGMA statements", https://www.sqlite.org/pragma.html
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import StaticPool

from forecasting.config import Settings, load_settings, sqlite_url_for_path
from forecasting.errors import InputDataError

__all__ = [
    "DEFAULT_BUSY_TIMEOUT_MS",
    "SUPPORTED_DRIVERS",
    "create_store_engine",
    "is_sqlite",
    "normalize_database_url",
    "read_transaction",
    "resolve_database_url",
    "write_transaction",
]

DEFAULT_BUSY_TIMEOUT_MS = 60_000
SUPPORTED_DRIVERS = ("sqlite", "sqlite+pysqlite", "postgresql+psycopg")
_POSTGRES_ALIASES = ("postgres", "postgresql", "postgresql+psycopg", "postgresql+psycopg3")
_WRITE_OPTION = "ecocast_write"
# Arbitrary, fixed key of the PostgreSQL advisory lock that serialises writers.
_PG_WRITE_LOCK_KEY = 0x0EC0CA57


def normalize_database_url(url: str) -> str:
    """Check a database URL and name its driver explicitly.

    Parameters
    ----------
    url : str
        A SQLAlchemy URL. ``postgres://`` and ``postgresql://`` are rewritten
        to ``postgresql+psycopg://`` (the driver ecocast ships with).

    Returns
    -------
    str
        The URL with an explicit driver; passwords are kept.

    Raises
    ------
    forecasting.errors.InputDataError
        When the URL cannot be parsed or names an unsupported backend.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InputDataError(
            f"database URL {_redact(url)!r} is not a valid URL; use e.g. "
            "'sqlite:////abs/path/ecocast.sqlite' or 'postgresql+psycopg://user:pw@host/db'"
        ) from None
    if parsed.drivername in _POSTGRES_ALIASES:
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername not in SUPPORTED_DRIVERS:
        raise InputDataError(
            f"database URL {_redact(url)!r} uses unsupported driver {parsed.drivername!r}; "
            f"choose one of: {', '.join(SUPPORTED_DRIVERS)}"
        )
    return parsed.render_as_string(hide_password=False)


def resolve_database_url(db: str | None, settings: Settings | None = None) -> str:
    """Resolve the store URL from a ``--db`` option and the settings.

    Parameters
    ----------
    db : str or None
        The ``--db`` value: a database URL, or a plain file path meaning a
        SQLite file. ``None`` or empty falls back to ``settings.database_url``
        (``ECOCAST_DATABASE_URL``, else ``<data_dir>/ecocast.sqlite``).
    settings : forecasting.config.Settings, optional
        The runtime settings; loaded with
        :func:`forecasting.config.load_settings` when needed and omitted.

    Returns
    -------
    str
        A normalised SQLAlchemy URL (see :func:`normalize_database_url`).

    Raises
    ------
    forecasting.errors.InputDataError
        When the URL is invalid or names an unsupported backend.
    """
    chosen = db.strip() if db else ""
    if not chosen:
        chosen = (settings or load_settings()).database_url
    elif "://" not in chosen:
        chosen = sqlite_url_for_path(chosen)
    return normalize_database_url(chosen)


def is_sqlite(bind: Engine | Connection) -> bool:
    """Return whether an engine or connection talks to SQLite."""
    return bind.dialect.name == "sqlite"


def create_store_engine(
    url: str, *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS, echo: bool = False
) -> Engine:
    """Create the SQLAlchemy engine of a store.

    Parameters
    ----------
    url : str
        Database URL (normalised with :func:`normalize_database_url`). The
        parent directory of a SQLite file is created when missing.
        ``sqlite://`` (in memory) shares one connection between threads and
        has no WAL; use it for tests only.
    busy_timeout_ms : int, optional
        How long a SQLite connection waits for a lock before failing. [ms]
    echo : bool, optional
        Log every SQL statement (SQLAlchemy's ``echo``).

    Returns
    -------
    sqlalchemy.Engine
        An engine whose connections carry the pragmas described in the module
        docstring.
    """
    parsed = make_url(normalize_database_url(url))
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True, echo=echo)
    in_memory = parsed.database in (None, "", ":memory:")
    kwargs: dict[str, Any] = {"echo": echo}
    if in_memory:
        kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        Path(str(parsed.database)).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": busy_timeout_ms / 1000.0}
    engine = create_engine(parsed, **kwargs)
    _install_sqlite_hooks(engine, busy_timeout_ms=busy_timeout_ms, wal=not in_memory)
    return engine


def _install_sqlite_hooks(engine: Engine, *, busy_timeout_ms: int, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide where transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if wal:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA temp_store=MEMORY")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(_WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """Open a connection in a write transaction that commits on success.

    On SQLite the transaction begins with ``BEGIN IMMEDIATE`` (the write lock
    is taken at once, waiting up to the busy timeout for another writer); on
    PostgreSQL it takes the store's advisory write lock. Readers are never
    blocked on either backend. Any exception rolls everything back.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        An engine from :func:`create_store_engine`.

    Yields
    ------
    sqlalchemy.Connection
        The connection, inside its transaction.
    """
    with engine.connect() as connection:
        connection.execution_options(**{_WRITE_OPTION: True})
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_WRITE_LOCK_KEY}
                )
            yield connection


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """Open a connection in a read transaction that sees one snapshot.

    Every statement of the transaction sees the database as of its first
    statement: SQLite's WAL snapshot (SQLAlchemy emits ``BEGIN``), and
    ``REPEATABLE READ, READ ONLY`` on PostgreSQL. Writers are not blocked.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        An engine from :func:`create_store_engine`.

    Yields
    ------
    sqlalchemy.Connection
        The connection, inside its transaction.
    """
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        with connection.begin():
            yield connection


def _redact(url: str) -> str:
    try:
        parsed: URL = make_url(url)
    except ArgumentError:
        return url
    return parsed.render_as_string(hide_password=True)
