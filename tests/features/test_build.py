"""The model matrix: row layout, every family joined, and no leakage through any family."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from features.build import build_feature_matrix, issue_times, matrix_keys, read_targets
from features.config import POLLUTANTS, STATION_WEATHER, FeatureConfig
from features.emissions import read_emission_table
from features.meteo import canonicalize_met_dataset
from features.testing import synthetic_forecast_fields
from forecasting.storage import Store

STATIONS = pd.DataFrame(
    {
        "station": ["A", "B", "C"],
        "network": "air",
        "latitude": [39.90, 40.00, 39.80],
        "longitude": [116.40, 116.30, 116.60],
        "timezone": "Asia/Shanghai",
        "city": "Beijing",
    }
)
FIRST = pd.Timestamp("2015-01-01T00:00", tz="Asia/Shanghai")
HOURS = 24 * 20
LOADED = datetime(2015, 3, 1, tzinfo=UTC)  # bulk load long after the period
CONFIG = {
    "leads": 24,
    "history_window_h": 72,
    "lags_h": (1, 2, 24),
    "windows_h": (3, 24),
    "diurnal_days": 2,
}


def _observations(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    stamps = pd.date_range(FIRST, periods=HOURS, freq="h").tz_convert("UTC")
    rows = []
    for station in STATIONS["station"]:
        for variable in (*POLLUTANTS, *STATION_WEATHER):
            values = rng.gamma(4.0, 10.0, HOURS)
            if variable == "wind_dir":
                values = rng.uniform(0, 360, HOURS)
            rows.append(
                pd.DataFrame(
                    {"station": station, "variable": variable, "valid_at": stamps, "value": values}
                )
            )
    frame = pd.concat(rows, ignore_index=True)
    frame["valid_at"] = frame["valid_at"].dt.as_unit("s")
    return frame.assign(qc_flags=0, source="synthetic")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'x.sqlite'}") as s:
        s.upsert_stations(STATIONS)
        s.write_observations(_observations(), ingested_at=LOADED)
        yield s


@pytest.fixture(scope="module")
def met() -> xr.Dataset:
    cycles = pd.date_range("2015-01-05T00:00", "2015-01-12T00:00", freq="12h")
    raw = synthetic_forecast_fields(issue_times=cycles, steps_h=range(0, 49))
    return canonicalize_met_dataset(raw, "forecast", source="synthetic").load()


def _build(
    store: Store, config: FeatureConfig, issued: pd.DatetimeIndex, **kw: object
) -> pd.DataFrame:
    m = build_feature_matrix(store, config, STATIONS, issued, **kw)  # type: ignore[arg-type]
    return m.frame


def test_issue_times_are_local_hours_in_utc() -> None:
    issued = issue_times("2015-03-01", "2015-03-03", hour_local=16)
    assert list(issued.strftime("%Y-%m-%dT%H")) == [
        "2015-03-01T08",
        "2015-03-02T08",
        "2015-03-03T08",
    ]


def test_rows_are_issue_station_lead_and_lead_one_is_the_issue_stamp() -> None:
    issued = issue_times("2015-01-05", "2015-01-06")
    keys = matrix_keys(["A", "B"], issued, 3)
    assert len(keys) == 2 * 2 * 3
    assert list(keys["lead_h"][:3]) == [1, 2, 3]
    assert (keys["valid_at"] == keys["issued_at"] + pd.to_timedelta(keys["lead_h"] - 1, "h")).all()
    assert keys.loc[0, "valid_at"] == issued[0]


def test_every_family_is_joined(store: Store, met: xr.Dataset, shared_data_dir: Path) -> None:
    table = read_emission_table(shared_data_dir / "emissions" / "beijing_annual_by_sector.csv")
    config = FeatureConfig(weather="forecast", **CONFIG)
    m = build_feature_matrix(
        store,
        config,
        STATIONS,
        issue_times("2015-01-08", "2015-01-09"),
        met=met,
        emission_table=table,
    )
    assert set(m.families) == {"history", "neighbours", "calendar", "weather", "emissions"}
    assert len(m.frame) == 2 * 3 * 24
    assert m.weather_label == "forecast"
    assert m.frame["met_available"].all()
    assert m.frame["hist_pm25_last"].notna().all()
    # Features are numeric model inputs; the keys are not features.
    assert not {"station", "issued_at", "lead_h", "valid_at"} & set(m.feature_columns)


def test_nothing_after_the_issue_time_changes_its_features(
    store: Store, met: xr.Dataset, shared_data_dir: Path
) -> None:
    table = read_emission_table(shared_data_dir / "emissions" / "beijing_annual_by_sector.csv")
    config = FeatureConfig(weather="forecast", **CONFIG)
    issued = issue_times("2015-01-10", "2015-01-10")
    t = issued[0]
    before = _build(store, config, issued, met=met, emission_table=table)

    # Later observations and revisions of old stamps, all ingested after T.
    late = _observations(seed=1)
    store.write_observations(late, ingested_at=t.to_pydatetime() + timedelta(days=1))
    # Every forecast cycle that could not be used at T (issued after T - 6 h) is scrambled.
    scrambled = met.copy(deep=True)
    late_cycle = scrambled["issue_time"] > t.tz_convert(None) - pd.Timedelta(hours=6)
    for name in scrambled.data_vars:
        if "issue_time" in scrambled[name].dims:
            scrambled[name] = scrambled[name].where(~late_cycle, -999.0)
    after = _build(store, config, issued, met=scrambled, emission_table=table)
    pd.testing.assert_frame_equal(before, after)

    # The same revisions ingested before T are known at T: the features change.
    store.write_observations(
        _observations(seed=2), ingested_at=t.to_pydatetime() - timedelta(hours=2)
    )
    known = _build(store, config, issued, met=met, emission_table=table)
    assert not np.allclose(known["hist_pm25_lag2"], before["hist_pm25_lag2"], equal_nan=True)


def test_perfect_prognosis_is_labelled_and_uses_the_valid_time(store: Store) -> None:
    config = FeatureConfig(weather="perfect_prognosis", **CONFIG)
    issued = issue_times("2015-01-10", "2015-01-10")
    m = build_feature_matrix(store, config, STATIONS, issued)
    assert m.weather_label == "perfect prognosis"
    assert set(m.frame["met_source"]) == {"perfect prognosis"}
    truth = read_targets(store, m.frame, ["temp_air"])
    np.testing.assert_allclose(m.frame["met_temp_air"], truth["temp_air"], rtol=1e-6)


def test_outage_gives_nan_and_indicators_not_errors(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 'y.sqlite'}") as s:
        s.upsert_stations(STATIONS)
        obs = _observations()
        s.write_observations(obs[obs["station"] != "C"], ingested_at=LOADED)
        config = FeatureConfig(weather="forecast", **CONFIG)  # and no forecast fields at all
        frame = _build(s, config, issue_times("2015-01-10", "2015-01-10"))
    c = frame[frame["station"] == "C"]
    assert c["hist_pm25_last"].isna().all()
    assert (c["hist_pm25_avail24"] == 0).all()
    assert not frame["met_available"].any()
    assert frame.loc[frame["station"] == "A", "hist_pm25_last"].notna().all()


def test_targets_are_the_latest_revision_at_the_valid_time(store: Store) -> None:
    keys = matrix_keys(["A"], issue_times("2015-01-10", "2015-01-10"), 3)
    y = read_targets(store, keys, ["pm25"])
    obs = _observations()
    a = obs[(obs.station == "A") & (obs.variable == "pm25")].set_index("valid_at")["value"]
    np.testing.assert_allclose(y["pm25"], a.reindex(keys["valid_at"]).to_numpy())
