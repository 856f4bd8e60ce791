"""Database URLs and engine settings (SQLite pragmas)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from forecasting.config import load_settings
from forecasting.errors import InputDataError
from forecasting.storage import create_store_engine, normalize_database_url, resolve_database_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:////srv/ecocast.sqlite", "sqlite:////srv/ecocast.sqlite"),
        ("sqlite://", "sqlite://"),
        ("postgresql://u:p@db/eco", "postgresql+psycopg://u:p@db/eco"),
        ("postgres://u:p@db:5433/eco", "postgresql+psycopg://u:p@db:5433/eco"),
        ("postgresql+psycopg://u@db/eco", "postgresql+psycopg://u@db/eco"),
    ],
)
def test_urls_get_an_explicit_driver(url: str, expected: str):
    assert normalize_database_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://u:secret@db/eco", r"'mysql://u:\*\*\*@db/eco' uses unsupported driver 'mysql'"),
        ("not a url", r"'not a url' is not a valid URL"),
    ],
)
def test_unsupported_urls_are_refused_without_showing_the_password(url: str, message: str):
    with pytest.raises(InputDataError, match=message):
        normalize_database_url(url)


def test_db_option_resolution(tmp_path):
    settings = load_settings(data_dir=tmp_path, _env_file=None)
    default = f"sqlite:///{tmp_path}/ecocast.sqlite"
    assert resolve_database_url(None, settings) == default
    assert resolve_database_url("", settings) == default
    assert resolve_database_url(str(tmp_path / "x.db"), settings) == f"sqlite:///{tmp_path}/x.db"
    assert resolve_database_url("postgresql://a@b/c", settings) == "postgresql+psycopg://a@b/c"
    configured = load_settings(database_url="postgres://a@b/c", _env_file=None)
    assert resolve_database_url(None, configured) == "postgresql+psycopg://a@b/c"


def test_db_option_falls_back_to_the_environment(tmp_path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ECOCAST_DATABASE_URL", "postgresql://env@host/db")
    assert resolve_database_url(None) == "postgresql+psycopg://env@host/db"


def test_sqlite_connections_use_wal_and_the_documented_pragmas(tmp_path):
    engine = create_store_engine(f"sqlite:///{tmp_path}/sub/dir/x.sqlite", busy_timeout_ms=1234)
    try:
        with engine.connect() as connection:
            pragma = {
                name: connection.execute(text(f"PRAGMA {name}")).scalar()
                for name in (
                    "journal_mode", "busy_timeout", "foreign_keys", "synchronous", "temp_store"
                )
            }  # fmt: skip
        assert pragma == {
            "journal_mode": "wal",
            "busy_timeout": 1234,
            "foreign_keys": 1,
            "synchronous": 1,  # NORMAL
            "temp_store": 2,  # MEMORY
        }
        assert (tmp_path / "sub" / "dir" / "x.sqlite").is_file()
    finally:
        engine.dispose()


def test_sqlite_transactions_begin_at_the_first_statement(tmp_path):
    # the sqlite3 driver alone would not BEGIN before a SELECT (no snapshot)
    engine = create_store_engine(f"sqlite:///{tmp_path}/x.sqlite")
    try:
        with engine.connect() as connection, connection.begin():
            connection.execute(text("SELECT 1"))
            dbapi = connection.connection.driver_connection
            assert dbapi is not None
            assert dbapi.in_transaction
    finally:
        engine.dispose()
