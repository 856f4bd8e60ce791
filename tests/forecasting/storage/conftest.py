"""Fixtures of the store tests: every ``store`` test runs on each available backend.

SQLite always (a file in ``tmp_path``, WAL mode). PostgreSQL too when
``ECOCAST_TEST_DATABASE_URL`` is set (``eval "$(bash scripts/ci_postgres.sh)"``
sets it): each test gets its own schema, dropped afterwards, so tests are
isolated and may run in parallel. The backend list is fixed at collection
time; a backend that is not configured is not collected at all.

Migrating is the slow part of opening a store, so ``store`` starts from a
store migrated once per session: a copy of a template file on SQLite, the
session's schema emptied with ``DELETE`` on PostgreSQL. Tests of the
migrations themselves use ``database_url`` (an empty database).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from forecasting.config import sqlite_url_for_path
from forecasting.storage import Store
from forecasting.storage.schema import metadata

POSTGRES_URL = os.environ.get("ECOCAST_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite", *(["postgresql"] if POSTGRES_URL else [])]

#: The fixed clock of test stores (registration stamps).
CLOCK_TIME = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def _postgres_schema_url(schema: str) -> str:
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@contextmanager
def _postgres_schema() -> Iterator[str]:
    """A fresh PostgreSQL schema (dropped on exit); yields its URL."""
    schema = f"test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(POSTGRES_URL)
    try:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        yield _postgres_schema_url(schema)
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty database (no schema) on each backend."""
    if request.param == "sqlite":
        yield sqlite_url_for_path(tmp_path / "empty.sqlite")
        return
    with _postgres_schema() as url:
        yield url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite store migrated once per session, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "store.sqlite"
    Store.open(sqlite_url_for_path(path)).close()
    return path


@pytest.fixture(scope="session")
def postgres_session_url() -> Iterator[str]:
    """A PostgreSQL schema migrated once per session (per xdist worker)."""
    with _postgres_schema() as url:
        Store.open(url).close()
        yield url


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """URL of a migrated, empty store on each backend."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "store.sqlite"
        shutil.copyfile(template, path)
        return sqlite_url_for_path(path)
    url: str = request.getfixturevalue("postgres_session_url")
    engine = create_engine(url)
    with engine.begin() as connection:  # DELETE: much faster than TRUNCATE on tiny tables
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())
    engine.dispose()
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """An open, migrated, empty store with a fixed clock."""
    opened = Store.open(store_url, clock=lambda: CLOCK_TIME)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def clock_time() -> datetime:
    """What the test stores' clock says."""
    return CLOCK_TIME


@pytest.fixture
def stations() -> pd.DataFrame:
    """Two air stations (Beijing, from shared/data/air/beijing/stations.csv) and a water one."""
    return pd.DataFrame(
        {
            "station": ["Aotizhongxin", "Dongsi", "W001"],
            "name_local": ["奥体中心", "东四", None],
            "latitude": [39.982, 39.929, 24.9],
            "longitude": [116.397, 116.417, 102.7],
            "type": ["urban", "urban", "lake"],
            "network": ["air", "air", "water"],
            "basin": [None, None, "Dianchi"],
            "water_body": [None, None, "Dianchi Lake"],
            "target_class": [None, None, "IV"],
        }
    )


@pytest.fixture
def registered(store: Store, stations: pd.DataFrame) -> Store:
    """A store with the three stations registered."""
    store.upsert_stations(stations)
    return store


ObservationFactory = Callable[..., pd.DataFrame]


@pytest.fixture
def make_observations() -> ObservationFactory:
    """Build a tidy observation frame: hourly values from ``start``."""

    def make(
        station: str = "Dongsi",
        variable: str = "pm25",
        values: list[float] | None = None,
        *,
        start: str = "2024-01-01T00:00+08:00",
        flags: list[int] | None = None,
        source: str = "test.csv:0123abcd",
    ) -> pd.DataFrame:
        values = [10.0, 20.0, float("nan"), 40.0] if values is None else values
        n = len(values)
        return pd.DataFrame(
            {
                "station": station,
                "variable": variable,
                "valid_at": pd.date_range(start, periods=n, freq="h").tz_convert("UTC"),
                "value": np.asarray(values, dtype=float),
                "qc_flags": flags if flags is not None else [0] * n,
                "source": source,
            }
        )

    return make
