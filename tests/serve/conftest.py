"""Fixtures of the HTTP API tests: a store seeded with real Beijing data and a draft run.

The store holds the 12 Beijing stations (``samples/beijing/stations.csv``, ingested
with :func:`forecasting.ingest.ingest_station_files`) and their hourly observations
from 2015-12-12 to 2015-12-24 (local), a slice of the bundled sample
``samples/beijing/observations.csv.gz`` (UCI Beijing Multi-Site Air-Quality Data,
CC BY 4.0) ingested with :func:`forecasting.ingest.ingest_files`; no value is changed.

The run is issued at 2015-12-21 16:00 (+08:00), inside the December 2015
heavy-pollution episode, through :meth:`forecasting.storage.Store.create_run`. Its
forecast is persistence of the observations read back from the store: each of the
80 hourly leads (stamp T to the end of day 3; lead 1 is stamp T) repeats the value
observed 24 h earlier; q10/q90 are a fixed band (×0.7, ×1.4) around it. The city
entity "Beijing" is the mean of its stations. Daily values, AQI, level and primary
pollutant are :func:`models.verify_truth.daily_values` of the value and quantile paths
(HJ 633—2012 for 2015 dates); warnings are
:func:`forecasting.standards.early_warning.assess_warnings` of the daily AQI under
``cn_mee_warning_2024``, set on the days of the triggering episode.

The seeded store is built once per session and copied for each test, which may then
edit and publish freely. ``backend_store`` also seeds a PostgreSQL schema per test when
``ECOCAST_TEST_DATABASE_URL`` is set (as the store tests do).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from forecasting.config import Settings, load_settings, sqlite_url_for_path
from forecasting.ingest import ingest_files, ingest_station_files
from forecasting.qc.flags import EXCLUDE_DEFAULT
from forecasting.standards.early_warning import assess_warnings
from forecasting.storage import Store
from models.verify_truth import DAILY_VARIABLES, HOURLY_VARIABLES, daily_values
from serve.app import create_app

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_DIR = REPO_ROOT / "samples" / "beijing"
TZ = "Asia/Shanghai"
ISSUED_AT = pd.Timestamp("2015-12-21 16:00", tz=TZ)
LEADS = 80
CITY = "Beijing"
SCHEME = "cn_mee_warning_2024"
OBS_FROM, OBS_TO = "2015-12-12", "2015-12-25"  # local dates, end exclusive
INGESTED_AT = dt.datetime(2016, 3, 1, tzinfo=dt.UTC)
BAND = (0.7, 1.4)
POSTGRES_URL = os.environ.get("ECOCAST_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite", *(["postgresql"] if POSTGRES_URL else [])]


@dataclass(frozen=True)
class Seed:
    """What the seeded template store holds."""

    path: Path
    run_id: int
    issued_at: dt.datetime
    stations: tuple[str, ...]
    hourly: pd.DataFrame
    aqi: pd.DataFrame


def _slice_sample(destination: Path) -> Path:
    raw = pd.read_csv(SAMPLE_DIR / "observations.csv.gz", dtype=str, keep_default_na=False)
    local_date = raw["time"].str.slice(0, 10)
    part = raw.loc[(local_date >= OBS_FROM) & (local_date < OBS_TO)]
    path = destination / "beijing_2015-12.csv"
    part.to_csv(path, index=False)
    return path


def _persistence(store: Store) -> pd.DataFrame:
    """Hourly value/q10/q90 of every station and of the city, long format."""
    issued = ISSUED_AT.tz_convert("UTC")
    wide = store.read_observations_wide(
        list(HOURLY_VARIABLES),
        None,
        issued - pd.Timedelta(hours=24),
        issued,
        exclude_flags=int(EXCLUDE_DEFAULT),
    )
    stamps = issued + pd.to_timedelta(np.arange(LEADS), unit="h")
    parts = []
    for station, group in wide.groupby("station", sort=True):
        last_day = group.set_index("valid_at").reindex(stamps[:24] - pd.Timedelta(hours=24))
        last_day = last_day[list(HOURLY_VARIABLES)].ffill().bfill()
        values = last_day.to_numpy()[np.arange(LEADS) % 24]
        block = pd.DataFrame(values, columns=list(HOURLY_VARIABLES))
        block.insert(0, "valid_at", stamps)
        block.insert(0, "entity", str(station))
        parts.append(block)
    stations = pd.concat(parts, ignore_index=True)
    city = stations.groupby("valid_at", as_index=False)[list(HOURLY_VARIABLES)].mean()
    city.insert(0, "entity", CITY)
    both = pd.concat(
        [stations.assign(entity_kind="station"), city.assign(entity_kind="city")],
        ignore_index=True,
    )
    long = both.melt(
        id_vars=["entity", "entity_kind", "valid_at"], var_name="variable", value_name="value"
    )
    long["lead_h"] = ((long["valid_at"] - issued) / pd.Timedelta(hours=1)).astype("int64") + 1
    long["q10"] = long["value"] * BAND[0]
    long["q90"] = long["value"] * BAND[1]
    return long


def _daily_paths(hourly: pd.DataFrame) -> dict[str, pd.DataFrame]:
    paths = {}
    for column in ("value", "q10", "q90"):
        wide = hourly.pivot_table(
            index=["entity", "entity_kind", "valid_at"], columns="variable", values=column
        ).reset_index()
        wide.columns.name = None
        out = daily_values(wide, TZ, keys=("entity", "entity_kind"), time="valid_at")
        first = (ISSUED_AT + pd.Timedelta(days=1)).date()
        out["day"] = [(d - first).days + 1 for d in out["date"]]
        paths[column] = out.loc[out["day"].between(1, 3)].reset_index(drop=True)
    return paths


def _run_frames(hourly: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    paths = _daily_paths(hourly)
    point = paths["value"]
    keys = ["entity", "entity_kind", "date", "day"]
    daily = point[keys].merge(pd.DataFrame({"variable": list(DAILY_VARIABLES)}), how="cross")
    for column, path in paths.items():
        values = path.melt(id_vars=keys, value_vars=list(DAILY_VARIABLES), var_name="variable")
        daily = daily.merge(values.rename(columns={"value": column}), on=[*keys, "variable"])
    aqi = point[keys].copy()
    aqi["aqi"] = point["aqi"].astype("int64")
    bounds = np.column_stack([p["aqi"].astype("int64") for p in paths.values()])
    aqi["aqi_low"] = bounds.min(axis=1)
    aqi["aqi_high"] = bounds.max(axis=1)
    aqi["level"] = point["level"].astype("int64")
    aqi["primary_pollutant"] = point["primary"].fillna("").astype(str)
    aqi["warning_scheme"] = SCHEME
    aqi["warning_level"] = _warning_levels(aqi)
    return daily, aqi


def _warning_levels(aqi: pd.DataFrame) -> np.ndarray:
    found = assess_warnings(
        aqi.rename(columns={"primary_pollutant": "primary"})[["entity", "date", "aqi", "primary"]]
    ).set_index("entity")
    levels = np.zeros(len(aqi), dtype=np.int64)
    for i, (entity, date) in enumerate(zip(aqi["entity"], aqi["date"], strict=True)):
        row = found.loc[entity]
        if row["level"] > 0 and row["start_date"].date() <= date <= row["end_date"].date():
            levels[i] = int(row["level"])
    return levels


def _create_run(store: Store) -> tuple[int, pd.DataFrame, pd.DataFrame]:
    hourly = _persistence(store)
    daily, aqi = _run_frames(hourly)
    issued = ISSUED_AT.to_pydatetime()
    run = store.create_run(
        "air",
        issued,
        hourly=hourly,
        daily=daily,
        aqi=aqi,
        model_versions={"all": "persistence-24h"},
        standard_edition="hj633-2012",
        data_cutoff=issued - dt.timedelta(hours=1),
        degraded=False,
        degraded_reasons=[],
        inputs={"observations": "12 stations, 24 h before issue"},
        timezone=TZ,
        actor="system",
    )
    return run.id, hourly, aqi


def _seed(store: Store, folder: Path) -> tuple[int, pd.DataFrame, pd.DataFrame]:
    ingest_station_files(store, [SAMPLE_DIR / "stations.csv"])
    ingest_files(store, [_slice_sample(folder)], "air", data_dir=folder, clock=lambda: INGESTED_AT)
    return _create_run(store)


@pytest.fixture(scope="session")
def api_seed(tmp_path_factory: pytest.TempPathFactory) -> Seed:
    """The seeded template store (SQLite, built once per session)."""
    folder = tmp_path_factory.mktemp("api_seed")
    path = folder / "store.sqlite"
    store = Store.open(sqlite_url_for_path(path), clock=lambda: INGESTED_AT)
    try:
        run_id, hourly, aqi = _seed(store, folder)
        stations = tuple(store.read_stations("air")["station"])
    finally:
        store.close()
    return Seed(path, run_id, ISSUED_AT.to_pydatetime(), stations, hourly, aqi)


@contextmanager
def _postgres_store(folder: Path) -> Iterator[tuple[Store, int]]:
    """A seeded store in a fresh PostgreSQL schema (dropped on exit)."""
    schema = f"test_api_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    try:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        store = Store.open(url.render_as_string(hide_password=False))
        try:
            run_id, _, _ = _seed(store, folder)
            yield store, run_id
        finally:
            store.close()
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def backend_store(
    request: pytest.FixtureRequest, api_seed: Seed, tmp_path: Path
) -> Iterator[tuple[Store, int]]:
    """A seeded store and its draft run id on each backend (PostgreSQL when configured)."""
    if request.param == "sqlite":
        shutil.copyfile(api_seed.path, tmp_path / "store.sqlite")
        store = Store.open(sqlite_url_for_path(tmp_path / "store.sqlite"))
        try:
            yield store, api_seed.run_id
        finally:
            store.close()
        return
    with _postgres_store(tmp_path) as seeded:
        yield seeded


@pytest.fixture
def api_store(api_seed: Seed, tmp_path: Path) -> Iterator[Store]:
    """A copy of the seeded store, open; the test may change it."""
    path = tmp_path / "store.sqlite"
    shutil.copyfile(api_seed.path, path)
    store = Store.open(sqlite_url_for_path(path))
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def api_settings(tmp_path: Path) -> Settings:
    """Settings of the test app: CORS for one origin, benchmark endpoint on."""
    return load_settings(
        _env_file=None,
        data_dir=tmp_path,
        cors_origins=["https://air.example.org"],
        bench_endpoints=True,
    )


@pytest.fixture
def api_client(api_store: Store, api_settings: Settings) -> Iterator[TestClient]:
    """A client of an app serving the seeded store (draft run only, nothing published)."""
    with TestClient(create_app(api_settings, store=api_store)) as client:
        yield client


@pytest.fixture
def published_run(api_store: Store, api_seed: Seed) -> int:
    """Publish the seeded draft (directly in the store, not through the API)."""
    return int(api_store.publish_run(api_seed.run_id, author="duty forecaster").id)
