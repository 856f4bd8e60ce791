"""Neighbour features: geometry, network mean, upwind selection, met groups, no leakage."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.neighbours import (
    EARTH_RADIUS_KM,
    haversine_km,
    initial_bearing_deg,
    neighbour_features,
    station_geometry,
)
from features.window import KnownHistory, read_known_history
from forecasting.config import sqlite_url_for_path
from forecasting.errors import InputDataError
from forecasting.storage import Store

T = pd.Timestamp("2024-01-10T00:00Z")
H = pd.Timedelta(hours=1)
BULK = datetime(2026, 11, 23, tzinfo=UTC)

# A target at (40, 116) and stations about 11 km north, east, south and west of it,
# one 167 km north (beyond max_km) and one at the target's position.
META = pd.DataFrame(
    {
        "station": ["T0", "N", "E", "S", "W", "FAR", "SAME"],
        "latitude": [40.0, 40.1, 40.0, 39.9, 40.0, 41.5, 40.0],
        "longitude": [116.0, 116.0, 116.13, 116.0, 115.87, 116.0, 116.0],
    }
)
PM25 = {"T0": 100.0, "N": 10.0, "E": 20.0, "S": 30.0, "W": 40.0, "FAR": 50.0, "SAME": 60.0}


def make_known(
    wind_dir: float | None,
    wind_speed: float = 3.0,
    *,
    stations=tuple(META["station"]),
    pm25: dict[str, float] | None = None,
    extra: dict[str, dict[str, float]] | None = None,
) -> KnownHistory:
    """One issue; constant 24 h of pm25 per station; the target's wind at T - 1 h."""
    pm25 = PM25 if pm25 is None else pm25
    series = {"pm25": pm25, **(extra or {})}
    variables = (*series, "wind_dir", "wind_speed")
    values = np.full((1, len(stations), len(variables), 24), np.nan, np.float32)
    for j, name in enumerate(series):
        for s, station in enumerate(stations):
            values[0, s, j] = series[name].get(station, np.nan)
    if wind_dir is not None:
        values[0, 0, -2, 0] = wind_dir
    values[0, 0, -1, 0] = wind_speed
    return KnownHistory(
        pd.DatetimeIndex([T]), pd.Index(list(stations), dtype="str"), variables, 24, values
    )


def target(frame: pd.DataFrame) -> pd.Series:
    return frame[frame["station"] == "T0"].iloc[0]


# --- geometry -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("point", "km"),
    [
        ((1.0, 0.0), math.pi * EARTH_RADIUS_KM / 180),  # one degree of a meridian
        ((0.0, 1.0), math.pi * EARTH_RADIUS_KM / 180),  # one degree of the equator
        ((0.0, 90.0), math.pi * EARTH_RADIUS_KM / 2),
        ((0.0, 180.0), math.pi * EARTH_RADIUS_KM),  # antipode
        ((0.0, 0.0), 0.0),
    ],
)
def test_haversine_distance_from_the_origin(point, km):
    assert haversine_km(0.0, 0.0, *point) == pytest.approx(km, rel=1e-12, abs=1e-9)


def test_haversine_at_beijing_latitude_shrinks_longitude_by_the_cosine():
    # 0.1 degree east at 40 N: R * cos(40 deg) * 0.1 * pi / 180 to first order
    expected = EARTH_RADIUS_KM * math.cos(math.radians(40)) * math.radians(0.1)
    assert haversine_km(40.0, 116.0, 40.0, 116.1) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(
    ("point", "bearing"),
    [((1.0, 0.0), 0.0), ((0.0, 1.0), 90.0), ((-1.0, 0.0), 180.0), ((0.0, -1.0), 270.0)],
)
def test_initial_bearing_north_east_south_west(point, bearing):
    assert initial_bearing_deg(0.0, 0.0, *point) == pytest.approx(bearing, abs=1e-9)


def test_bearing_off_the_equator_and_in_range():
    # due east at 40 N starts slightly north of east on a great circle
    assert 89.0 < initial_bearing_deg(40.0, 116.0, 40.0, 117.0) < 90.0
    # north-west; flat-earth estimate by hand: 360 + atan2(-0.1 cos 40, 0.1) = 322.55
    assert initial_bearing_deg(40.0, 116.0, 40.1, 115.9) == pytest.approx(322.55, abs=0.1)
    values = initial_bearing_deg(0.0, 0.0, np.array([-1.0, 0.0]), np.array([-1e-9, -1.0]))
    assert ((values >= 0) & (values < 360)).all()


def test_station_geometry_follows_the_order_and_tolerates_missing_stations():
    geometry = station_geometry(META, ["N", "T0", "NOWHERE"])
    assert list(geometry.stations) == ["N", "T0", "NOWHERE"]
    assert geometry.bearing_deg[1, 0] == pytest.approx(0.0)
    assert geometry.distance_km[0, 1] == pytest.approx(haversine_km(40.1, 116.0, 40.0, 116.0))
    assert np.isnan(geometry.distance_km[2]).all()
    assert len(set(geometry.met_group)) == 3


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (META.drop(columns="latitude"), "lacks"),
        (pd.concat([META, META.iloc[:1]]), "more than once"),
    ],
)
def test_bad_station_frames_are_input_errors(frame, message):
    with pytest.raises(InputDataError, match=message):
        station_geometry(frame, ["T0"])


# --- network mean ----------------------------------------------------------------------


def test_network_mean_leaves_out_the_target_and_counts_stations():
    got = target(neighbour_features(make_known(0.0), META, variables=["pm25"]))
    others = [v for k, v in PM25.items() if k != "T0"]
    assert got["nbr_pm25_net_last"] == pytest.approx(np.mean(others))
    assert got["nbr_pm25_net_mean24h"] == pytest.approx(np.mean(others))
    assert got["nbr_pm25_net_n"] == 6
    assert got["nbr_available"]


def test_stale_and_missing_stations_leave_the_network_mean():
    known = make_known(0.0)
    values = known.variable("pm25")
    values[0, 1, :3] = np.nan  # N: newest value 4 h old > max_age_h = 3; 24-h mean fine
    values[0, 2, :] = np.nan  # E: out the whole day
    values[0, 3, 1:14] = np.nan  # S: last value fresh, but 11 of 24 h < 12 for the mean
    got = target(neighbour_features(known, META, variables=["pm25"]))
    assert got["nbr_pm25_net_n"] == 4  # S, W, FAR, SAME
    assert got["nbr_pm25_net_last"] == pytest.approx(np.mean([30.0, 40.0, 50.0, 60.0]))
    assert got["nbr_pm25_net_mean24h"] == pytest.approx(np.mean([10.0, 40.0, 50.0, 60.0]))


# --- upwind ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wind_dir", "expected"),
    [(0.0, "N"), (350.0, "N"), (90.0, "E"), (180.0, "S"), (270.0, "W"), (225.0, None)],
)
def test_the_upwind_station_lies_where_the_wind_comes_from(wind_dir, expected):
    got = target(neighbour_features(make_known(wind_dir), META, variables=["pm25"], sector_deg=30))
    if expected is None:  # south-west: S and W are 45 degrees off, outside +-30
        assert got["nbr_upwind_n"] == 0
        assert not got["nbr_upwind_available"]
        assert np.isnan(got["nbr_pm25_upwind_last"])
    else:
        assert got["nbr_upwind_n"] == 1  # FAR (beyond 100 km) and SAME (0 km) never count
        assert got["nbr_upwind_available"]
        assert got["nbr_pm25_upwind_last"] == PM25[expected]
        assert got["nbr_pm25_upwind_mean6h"] == PM25[expected]


def test_upwind_sector_edges_and_inverse_distance_weights():
    # from 45 degrees, N (bearing 0) and E (bearing ~89.9) are at -45 and +44.9: both in
    geometry = station_geometry(META, META["station"])
    offsets = geometry.bearing_deg[0, 1:3] - 45.0
    assert np.abs(offsets).max() <= 45.0
    got = target(neighbour_features(make_known(45.0), META, variables=["pm25"], sector_deg=45))
    d_n, d_e = geometry.distance_km[0, 1], geometry.distance_km[0, 2]
    expected = (10.0 / d_n**2 + 20.0 / d_e**2) / (1 / d_n**2 + 1 / d_e**2)
    assert got["nbr_upwind_n"] == 2
    assert got["nbr_pm25_upwind_last"] == pytest.approx(expected, rel=1e-6)
    narrower = neighbour_features(make_known(45.0), META, variables=["pm25"], sector_deg=44.0)
    assert target(narrower)["nbr_upwind_n"] == 0


def test_max_km_admits_the_far_station_when_raised():
    got = target(neighbour_features(make_known(0.0), META, variables=["pm25"], max_km=200.0))
    assert got["nbr_upwind_n"] == 2
    d_n = haversine_km(40.0, 116.0, 40.1, 116.0)
    d_far = haversine_km(40.0, 116.0, 41.5, 116.0)
    expected = (10.0 / d_n**2 + 50.0 / d_far**2) / (1 / d_n**2 + 1 / d_far**2)
    assert got["nbr_pm25_upwind_last"] == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize(("wind_dir", "wind_speed"), [(0.0, 0.0), (0.0, 0.49), (None, 3.0)])
def test_calm_or_unknown_wind_gives_no_upwind_features(wind_dir, wind_speed):
    got = target(neighbour_features(make_known(wind_dir, wind_speed), META, variables=["pm25"]))
    assert not got["nbr_upwind_available"]
    assert got["nbr_upwind_n"] == 0
    assert np.isnan(got["nbr_pm25_upwind_last"])
    assert got["nbr_pm25_net_n"] == 6  # the network mean does not need wind


def test_upwind_station_without_data_gives_nan_but_counts_geometrically():
    known = make_known(0.0)
    known.variable("pm25")[0, 1] = np.nan
    got = target(neighbour_features(known, META, variables=["pm25"]))
    assert got["nbr_upwind_n"] == 1
    assert np.isnan(got["nbr_pm25_upwind_last"])


def test_history_without_wind_has_no_upwind_features():
    known = make_known(0.0)
    pm25_only = KnownHistory(
        known.issue_times, known.stations, ("pm25",), 24, known.values[:, :, :1].copy()
    )
    got = target(neighbour_features(pm25_only, META, variables=["pm25"]))
    assert not got["nbr_upwind_available"]
    assert got["nbr_pm25_net_n"] == 6


# --- met groups ------------------------------------------------------------------------


def test_shared_weather_counts_once_per_met_group_and_never_the_targets_group():
    # T0 and SAME share one met station (identical temp_air); N and E share another.
    # as from Store.read_stations: a str column, NaN where a station has no group (FAR)
    groups = pd.Series(["M1", "M2", "M2", "M3", "M4", None, "M1"], dtype="str")
    meta = META.assign(met_group=groups)
    temp = {"T0": 5.0, "SAME": 5.0, "N": 1.0, "E": 1.0, "S": 2.0, "W": 3.0, "FAR": 4.0}
    known = make_known(45.0, extra={"temp_air": temp})
    got = target(neighbour_features(known, meta, variables=["pm25", "temp_air"]))
    assert got["nbr_temp_air_net_n"] == 4  # M2 once, M3, M4, FAR; not M1 (the target's)
    assert got["nbr_temp_air_net_last"] == pytest.approx(np.mean([1.0, 2.0, 3.0, 4.0]))
    assert got["nbr_pm25_net_n"] == 6  # pollutants are measured at each station
    # upwind from 45 degrees: N and E, one met group: N stands for it
    assert got["nbr_temp_air_upwind_last"] == 1.0
    assert got["nbr_upwind_n"] == 2


# --- frame and errors ----------------------------------------------------------------


def test_frame_is_station_major_with_the_documented_columns():
    frame = neighbour_features(make_known(0.0), META, variables=["pm25"])
    assert frame["station"].tolist() == list(META["station"])
    assert list(frame.columns) == [
        "station",
        "issued_at",
        "nbr_pm25_net_last",
        "nbr_pm25_net_mean24h",
        "nbr_pm25_net_n",
        "nbr_pm25_upwind_last",
        "nbr_pm25_upwind_mean6h",
        "nbr_upwind_n",
        "nbr_upwind_available",
        "nbr_available",
    ]
    assert frame["nbr_pm25_net_last"].dtype == np.float32
    assert frame["nbr_upwind_available"].dtype == bool


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"variables": ["o3"]}, "not in the history"),
        ({"sector_deg": 0.0}, "sector_deg"),
        ({"max_age_h": 0}, "max_age_h"),
        ({"min_valid_fraction": 1.5}, "min_valid_fraction"),
    ],
)
def test_bad_parameters_are_input_errors(kwargs, message):
    kwargs = {"variables": ["pm25"], **kwargs}
    with pytest.raises(InputDataError, match=message):
        neighbour_features(make_known(0.0), META, **kwargs)


# --- leakage through a real store ------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(sqlite_url_for_path(tmp_path / "store.sqlite"))
    opened.upsert_stations(META.iloc[:5].assign(network="air"))
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


def test_neighbour_features_do_not_leak_through_the_store(store: Store):
    stations = list(META["station"].iloc[:5])
    variables = ["pm25", "o3", "wind_dir", "wind_speed"]
    rng = np.random.default_rng(2)
    start = T - pd.Timedelta(days=3)

    def series(n: int, variable: str) -> np.ndarray:
        if variable == "wind_dir":
            return rng.uniform(0, 360, n).round()
        if variable == "wind_speed":
            return rng.uniform(1, 5, n)
        return rng.uniform(1, 300, n)

    base = [tidy(s, v, start, series(24 * 5, v)) for s in stations for v in variables]
    store.write_observations(pd.concat(base), ingested_at=BULK)
    issues = [T - pd.Timedelta(days=1), T]

    def build() -> pd.DataFrame:
        known = read_known_history(store, stations, variables, issues, window_h=24)
        return neighbour_features(known, META, variables=["pm25", "o3"])

    before = build()
    later = [tidy(s, v, T, series(48, v)) for s in stations for v in variables]
    store.write_observations(pd.concat(later), ingested_at=T - pd.Timedelta(minutes=5))
    revised = [tidy(s, v, T - 30 * H, series(30, v)) for s in stations for v in variables]
    store.write_observations(pd.concat(revised), ingested_at=T + pd.Timedelta(seconds=1))
    after = build()
    pd.testing.assert_frame_equal(before, after, check_exact=True)
    numeric = before.select_dtypes("number").columns
    assert before[numeric].to_numpy().tobytes() == after[numeric].to_numpy().tobytes()
    # control: the target's wind at T - 1 h corrected before T moves the upwind sector
    store.write_observations(tidy("T0", "wind_dir", T - H, [0.0]), ingested_at=T - H / 2)
    store.write_observations(tidy("T0", "wind_speed", T - H, [4.0]), ingested_at=T - H / 2)
    control = build()
    at_t = control[(control["station"] == "T0") & (control["issued_at"] == T)].iloc[0]
    known = read_known_history(store, ["N"], ["pm25"], [T], window_h=1)
    assert at_t["nbr_upwind_n"] == 1
    assert at_t["nbr_pm25_upwind_last"] == known.values[0, 0, 0, 0]
    assert not before.equals(control)
