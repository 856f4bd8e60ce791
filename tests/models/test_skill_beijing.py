"""Real-data skill: DirectGBM against persistence and climatology on the Beijing test bed.

Two stations of the UCI Beijing multi-site file (Aotizhongxin, Dongsi) go through the
product's own path: ``ingest_station_files`` and ``ingest_files`` into a temporary SQLite
store, ``features.build.build_feature_matrix`` (daily 00:00 local issues, 72 leads) and
``read_targets``. Training issues 2014-03-01 … 2014-12-31, test issues 2015-01-01 …
2015-02-28. The weather inputs are the stations' own observations at the valid time,
which the matrix labels "perfect prognosis": skill here is an upper bound for what
forecast fields give.

Measured when this test was written (hourly PM2.5 MAE [µg m⁻³] overall / leads 25-72,
8,392 test pairs with an observation; DirectGBM defaults except num_threads=1,
LightGBM 4.7): DirectGBM 48.2 / 51.9, persistence 93.9 / 110.5, climatology
75.6 / 75.8; q10-q90 coverage 0.85 (0.82, 0.86, 0.87 for days 1-3). Without the
weather columns (``exclude=("met_*",)``) DirectGBM gives 68.0 / 75.4: barely better
than climatology at the longer leads, which is why this test uses the weather.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.build import build_feature_matrix, issue_times, read_targets
from features.config import FeatureConfig
from forecasting.config import sqlite_url_for_path
from forecasting.ingest.run import ingest_files, ingest_station_files
from forecasting.storage import Store
from models.baselines import Climatology, Persistence
from models.gbm import DirectGBM

STATIONS = ("Aotizhongxin", "Dongsi")
TEST_FROM = pd.Timestamp("2015-01-01", tz="Asia/Shanghai")


@pytest.fixture(scope="module")
def beijing(tmp_path_factory, beijing_observations_path: Path, beijing_stations_path: Path):
    work = tmp_path_factory.mktemp("beijing")
    raw = pd.read_csv(beijing_observations_path)
    keep = raw["station"].isin(STATIONS) & raw["time"].between("2014-02-20", "2015-03-04")
    observations = work / "observations.csv"
    raw[keep].to_csv(observations, index=False)  # the file's own layout, fewer rows
    with Store.open(sqlite_url_for_path(work / "store.sqlite")) as store:
        ingest_station_files(store, [beijing_stations_path])
        ingest_files(
            store,
            [observations],
            "air",
            data_dir=work,
            clock=lambda: datetime(2020, 1, 1, tzinfo=UTC),
        )
        meta = store.read_stations("air")
        meta = meta[meta["station"].isin(STATIONS)]
        config = FeatureConfig(weather="perfect_prognosis", emissions=False)
        matrix = build_feature_matrix(store, config, meta, issue_times("2014-03-01", "2015-02-28"))
        truth = read_targets(store, matrix.frame, ["pm25"])["pm25"]
    X = matrix.frame
    test = (X["issued_at"] >= TEST_FROM).to_numpy()
    return matrix, X[~test], truth[~test], X[test], truth[test]


@pytest.fixture(scope="module")
def forecasts(beijing):
    _, X, y, X_test, _ = beijing
    return {
        "gbm": DirectGBM("pm25", num_threads=1).fit(X, y).predict(X_test),
        "persistence": Persistence("pm25").fit(X, y).predict(X_test),
        "climatology": Climatology("pm25").fit(X, y).predict(X_test),
    }


def _mae(out: pd.DataFrame, y: pd.Series, rows: np.ndarray) -> float:
    ok = rows & y.notna().to_numpy() & out["value"].notna().to_numpy()
    return float((out["value"] - y)[ok].abs().mean())


def test_matrix_is_labelled_and_covers_the_split(beijing):
    matrix, X, _, X_test, _ = beijing
    assert matrix.weather_label == "perfect prognosis"
    assert set(X["station"]) == set(STATIONS)
    assert X["lead_h"].max() == 72
    assert len(X_test) == 2 * 59 * 72  # 2015-01-01 … 2015-02-28, daily, 72 leads


def test_direct_gbm_beats_persistence_and_climatology(beijing, forecasts):
    _, _, _, X_test, y_test = beijing
    lead = X_test["lead_h"].to_numpy()
    for name, rows in (("overall", lead >= 1), ("leads 25-72", lead >= 25)):
        gbm = _mae(forecasts["gbm"], y_test, rows)
        for reference in ("persistence", "climatology"):
            other = _mae(forecasts[reference], y_test, rows)
            assert gbm < other, f"{name}: DirectGBM {gbm:.1f} vs {reference} {other:.1f}"


def test_interval_coverage_by_day_and_presence(beijing, forecasts):
    _, _, _, X_test, y_test = beijing
    out = forecasts["gbm"]
    observed = y_test.notna().to_numpy()
    assert out["value"].notna().to_numpy()[observed].mean() >= 0.995
    inside = ((y_test >= out["q10"]) & (y_test <= out["q90"]))[observed]
    day = (X_test["lead_h"].to_numpy()[observed] - 1) // 24 + 1
    coverage = inside.groupby(day).mean()
    assert coverage.between(0.70, 0.95).all(), coverage.to_dict()
