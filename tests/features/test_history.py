"""History features against hand computation, missing data, errors, and no leakage."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.history import POLLUTANTS, history_features, min_valid_count
from features.window import KnownHistory, read_known_history
from forecasting.config import sqlite_url_for_path
from forecasting.errors import InputDataError
from forecasting.storage import Store

T = pd.Timestamp("2024-01-10T00:00Z")
H = pd.Timedelta(hours=1)
BULK = datetime(2026, 11, 23, tzinfo=UTC)


def make_known(series: dict[str, np.ndarray], *, window_h: int = 168, n_station: int = 1):
    """One issue (T); ``series[v]`` is the window of station 0 (lag 0 first)."""
    variables = tuple(series)
    values = np.full((1, n_station, len(variables), window_h), np.nan, np.float32)
    for j, v in enumerate(variables):
        values[0, 0, j] = np.asarray(series[v], np.float32)
    stations = pd.Index([f"S{i}" for i in range(n_station)], dtype="str")
    return KnownHistory(pd.DatetimeIndex([T]), stations, variables, window_h, values)


def ramp(window_h: int = 168) -> np.ndarray:
    """Value = lag index: the stamp T - (k + 1) h holds k."""
    return np.arange(window_h, dtype=np.float32)


def row(frame: pd.DataFrame, station: str = "S0") -> pd.Series:
    return frame[frame["station"] == station].iloc[0]


# --- issue level --------------------------------------------------------------------


@pytest.mark.parametrize("k", [1, 2, 3, 6, 12, 24, 48, 72, 168])
def test_lag_k_is_the_stamp_k_hours_before_t(k):
    issue, _ = history_features(make_known({"pm25": ramp()}), [1])
    assert row(issue)[f"hist_pm25_lag{k}"] == k - 1


@pytest.mark.parametrize("w", [3, 6, 12, 24, 72, 168])
def test_rolling_mean_max_std_over_the_last_w_hours(w):
    x = (np.arange(168) * 7 % 23).astype(np.float32)  # not monotone
    issue, _ = history_features(make_known({"o3": x}), [1])
    got = row(issue)
    part = x[:w].astype(np.float64)
    assert got[f"hist_o3_mean{w}h"] == pytest.approx(part.mean(), rel=1e-6)
    assert got[f"hist_o3_max{w}h"] == part.max()
    assert got[f"hist_o3_std{w}h"] == pytest.approx(part.std(ddof=1), rel=1e-5)


def test_statistics_skip_missing_stamps_and_need_half_of_them():
    x = np.arange(168, dtype=np.float32)
    x[[0, 2]] = np.nan  # of the last 3 h only T - 2 h (value 1) is valid
    x[3:6] = np.nan  # of the last 6 h: 1 valid -> below 3 of 6
    x[6:11] = np.nan  # of the last 12 h: 11 and 1 valid -> 2 < 6
    issue, _ = history_features(make_known({"pm25": x}), [1])
    got = row(issue)
    assert np.isnan(got["hist_pm25_mean3h"])  # 1 of 3 < ceil(1.5) = 2
    assert np.isnan(got["hist_pm25_mean6h"])
    assert np.isnan(got["hist_pm25_std12h"])
    valid24 = x[:24][~np.isnan(x[:24])].astype(np.float64)  # 14 of 24 >= 12
    assert got["hist_pm25_mean24h"] == pytest.approx(valid24.mean(), rel=1e-6)
    assert got["hist_pm25_std24h"] == pytest.approx(valid24.std(ddof=1), rel=1e-5)
    assert got["hist_pm25_avail24"] == pytest.approx(14 / 24)
    assert got["hist_pm25_last"] == 1.0  # the newest valid value
    assert got["hist_pm25_age_h"] == 2.0  # stamp T - 2 h
    assert np.isnan(got["hist_pm25_lag1"])


@pytest.mark.parametrize(
    ("n", "fraction", "least", "expected"),
    [
        (24, 0.5, 1, 12),
        (3, 0.5, 1, 2),
        (3, 0.5, 2, 2),
        (1, 0.5, 2, 2),
        (7, 0.75, 1, 6),
        (4, 1.0, 1, 4),
    ],
)
def test_min_valid_count(n, fraction, least, expected):
    assert min_valid_count(n, fraction, least=least) == expected


def test_an_outage_gives_nan_and_no_availability():
    x = np.full(168, np.nan, np.float32)
    x[100] = 5.0  # one value, 101 h old
    issue, _ = history_features(make_known({"pm25": x, "co": np.full(168, np.nan)}), [1])
    got = row(issue)
    assert got["hist_pm25_last"] == 5.0
    assert got["hist_pm25_age_h"] == 101.0
    assert got["hist_pm25_avail24"] == 0.0
    assert np.isnan(got["hist_pm25_mean24h"])
    assert np.isnan(got["hist_co_last"])
    assert np.isnan(got["hist_co_age_h"])
    assert not got["hist_available"]


def test_wind_becomes_components_with_calm_as_zero():
    speed = np.full(168, 2.0, np.float32)
    direction = np.full(168, 90.0, np.float32)  # from the east: blows towards the west
    speed[1], direction[1] = 0.0, np.nan  # calm, as in the Beijing file
    direction[2] = np.nan  # direction missing with wind: unknown
    issue, _ = history_features(make_known({"wind_speed": speed, "wind_dir": direction}), [1])
    got = row(issue)
    assert got["hist_wind_u_lag1"] == pytest.approx(-2.0)
    assert got["hist_wind_v_lag1"] == pytest.approx(0.0, abs=1e-6)
    assert got["hist_wind_u_lag2"] == 0.0
    assert got["hist_wind_v_lag2"] == 0.0
    assert np.isnan(got["hist_wind_u_lag3"])
    assert not any(c.startswith("hist_wind_dir") for c in issue.columns)
    assert "hist_wind_speed_mean24h" in issue.columns


def test_wind_direction_without_speed_is_left_out():
    issue, _ = history_features(make_known({"wind_dir": np.full(168, 90.0)}), [1])
    assert [c for c in issue.columns if c.startswith("hist_wind")] == []


# --- lead level: the diurnal profile ------------------------------------------------


@pytest.mark.parametrize(
    ("lead", "d1_lag_index"),
    [(1, 23), (2, 22), (24, 0), (25, 23), (48, 0), (49, 23), (72, 0)],
)
def test_same_hour_is_the_newest_known_stamp_at_the_valid_hour(lead, d1_lag_index):
    # valid_at = T + (lead - 1) h; the stamp valid_at - 24 k h with the smallest k >= 1
    # that is <= T - 1 h. Lead 1: valid T, stamp T - 24 h = lag index 23.
    _, lead_frame = history_features(make_known({"pm25": ramp()}), [lead])
    got = lead_frame.iloc[0]
    assert got["hist_pm25_samehour_d1"] == d1_lag_index
    days = d1_lag_index + 24 * np.arange(7)
    assert got["hist_pm25_samehour_mean7d"] == pytest.approx(days.mean())
    assert got["hist_pm25_samehour_anom"] == pytest.approx(days.mean() - ramp().mean(), rel=1e-6)


def test_same_hour_mean_needs_four_of_seven_days():
    x = ramp()
    x[[23, 47, 71, 95]] = np.nan  # lead 1 sees lag indices 23, 47, ..., 167: 3 left
    _, lead_frame = history_features(make_known({"pm25": x}), [1, 2])
    assert np.isnan(lead_frame["hist_pm25_samehour_d1"].iloc[0])
    assert np.isnan(lead_frame["hist_pm25_samehour_mean7d"].iloc[0])
    assert np.isnan(lead_frame["hist_pm25_samehour_anom"].iloc[0])
    assert lead_frame["hist_pm25_samehour_mean7d"].iloc[1] == pytest.approx(22 + 72)


def test_frames_are_keyed_station_major_with_float32_features():
    values = np.arange(2 * 2 * 168, dtype=np.float32).reshape(2, 2, 1, 168)
    issues = pd.DatetimeIndex([T, T + 24 * H])
    known = KnownHistory(issues, pd.Index(["A", "B"], dtype="str"), ("no2",), 168, values)
    issue, lead_frame = history_features(known, [3, 1, 2])
    assert issue["station"].tolist() == ["A", "A", "B", "B"]
    assert issue["issued_at"].tolist() == [T, T + 24 * H] * 2
    assert issue["hist_no2_lag1"].tolist() == [0.0, 336.0, 168.0, 504.0]
    assert issue["hist_no2_mean3h"].dtype == np.float32
    assert issue["hist_available"].dtype == bool
    assert list(lead_frame.columns[:3]) == ["station", "issued_at", "lead_h"]
    assert lead_frame["lead_h"].tolist() == [1, 2, 3] * 4
    assert lead_frame["station"].tolist() == ["A"] * 6 + ["B"] * 6
    assert lead_frame["hist_no2_samehour_d1"].tolist()[:3] == [23.0, 22.0, 21.0]


def test_weather_variables_get_issue_features_but_no_profile():
    known = make_known({"pm25": ramp(), "temp_air": ramp()})
    issue, lead_frame = history_features(known, [1])
    assert "hist_temp_air_mean24h" in issue.columns
    assert not any("temp_air" in c for c in lead_frame.columns)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"variables": ["nh3n"]}, "not in the history"),
        ({"lags_h": (169,)}, "outside 1"),
        ({"windows_h": (0,)}, "outside 1"),
        ({"leads": [0]}, "not >= 1"),
        ({"min_valid_fraction": 0.0}, "min_valid_fraction"),
        ({"diurnal_days": 8}, "diurnal profile"),
        ({"diurnal_days": 0}, "diurnal_days"),
    ],
)
def test_bad_parameters_are_input_errors(kwargs, message):
    kwargs = {"leads": [1], **kwargs}
    with pytest.raises(InputDataError, match=message):
        history_features(make_known({"pm25": ramp()}), **kwargs)


def test_short_window_limits_the_profile_days():
    # lead 1 with d days needs the stamp T - 24 d h: lag index 24 d - 1 < window_h
    known = make_known({"pm25": ramp(120)}, window_h=120)
    with pytest.raises(InputDataError, match="diurnal profile"):
        history_features(known, range(1, 73), lags_h=(1,), windows_h=(24,), diurnal_days=6)
    _, lead_frame = history_features(
        known, range(1, 73), lags_h=(1,), windows_h=(24,), diurnal_days=5
    )
    assert lead_frame["hist_pm25_samehour_mean5d"].iloc[0] == pytest.approx(23 + 48)


# --- leakage through a real store --------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(sqlite_url_for_path(tmp_path / "store.sqlite"))
    stations = pd.DataFrame({"station": ["A", "B"], "network": ["air", "air"]})
    opened.upsert_stations(stations)
    yield opened
    opened.close()


def tidy(station: str, variable: str, start: pd.Timestamp, values) -> pd.DataFrame:
    values = np.asarray(values, dtype=float)
    return pd.DataFrame(
        {
            "station": station,
            "variable": variable,
            "valid_at": pd.date_range(start, periods=values.size, freq="h"),
            "value": values,
            "qc_flags": 0,
            "source": "test",
        }
    )


VARIABLES = [*POLLUTANTS, "temp_air", "wind_speed", "wind_dir"]


def test_history_features_do_not_leak_through_the_store(store: Store):
    rng = np.random.default_rng(1)
    start = T - pd.Timedelta(days=9)
    n = 24 * 12
    base = pd.concat([tidy(s, v, start, rng.uniform(1, 300, n)) for s in "AB" for v in VARIABLES])
    gap = (base["station"] == "A") & (base["variable"] == "pm25")
    gap &= (base["valid_at"] >= T - 30 * H) & (base["valid_at"] < T - 20 * H)
    store.write_observations(base[~gap], ingested_at=BULK)
    issues = [T - pd.Timedelta(days=1), T]

    def build() -> tuple[pd.DataFrame, pd.DataFrame]:
        known = read_known_history(store, ["A", "B"], VARIABLES, issues)
        return history_features(known, range(1, 73))

    before = build()
    # later observations (stamps from T on), one set even ingested before T
    later = [tidy(s, v, T, rng.uniform(1, 300, 96)) for s in "AB" for v in VARIABLES]
    store.write_observations(pd.concat(later), ingested_at=T - pd.Timedelta(minutes=10))
    later = [tidy(s, v, T, rng.uniform(1, 300, 120)) for s in "AB" for v in VARIABLES]
    store.write_observations(pd.concat(later), ingested_at=BULK + timedelta(days=1))
    # first revisions of the gap, arriving after T
    late_first = tidy("A", "pm25", T - 30 * H, [1.0] * 10)
    store.write_observations(late_first, ingested_at=T + H, available_lag=timedelta(days=400))
    # revisions of every old stamp (the gap now too), ingested after T
    revised = [tidy(s, v, T - 200 * H, rng.uniform(1, 300, 200)) for s in "AB" for v in VARIABLES]
    store.write_observations(pd.concat(revised), ingested_at=T + pd.Timedelta(seconds=1))
    after = build()
    for a, b in zip(before, after, strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
        numeric = a.select_dtypes("number").columns
        assert a[numeric].to_numpy().tobytes() == b[numeric].to_numpy().tobytes()
    # control: a correction ingested before T changes the features of T
    store.write_observations(tidy("B", "o3", T - 24 * H, [-5.0]), ingested_at=T - 3 * H)
    issue, lead_frame = build()
    at_t = issue[(issue["station"] == "B") & (issue["issued_at"] == T)].iloc[0]
    assert at_t["hist_o3_lag24"] == -5.0
    changed = (
        lead_frame["hist_o3_samehour_d1"].to_numpy() != before[1]["hist_o3_samehour_d1"].to_numpy()
    )
    assert changed.sum() == 3  # B at T, leads 1, 25 and 49: valid hour 00:00, day 1
