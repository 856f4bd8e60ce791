"""Hypothesis properties of the meteorological features.

Wind components round-trip (meteorological convention), relative humidity
stays at or below 100 % when the dew point does not exceed the temperature
and rises with it, bilinear interpolation never leaves the range of its four
corners and reproduces grid nodes, and a candidate cycle is always published
by the issue time (the leakage rule).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from features.meteo_derived import relative_humidity, wind_components, wind_speed_direction
from features.meteo_interp import interpolate_to_stations
from features.meteo_select import candidate_cycle

SPEED = st.floats(min_value=0.01, max_value=80.0, allow_nan=False)
DIRECTION = st.floats(min_value=0.0, max_value=359.999, allow_nan=False)
TEMP = st.floats(min_value=-40.0, max_value=45.0, allow_nan=False)


@given(SPEED, DIRECTION)
def test_wind_components_round_trip(speed: float, direction: float) -> None:
    u, v = wind_components(np.array([speed]), np.array([direction]))
    back_speed, back_direction = wind_speed_direction(u, v)
    assert np.isclose(back_speed[0], speed, rtol=1e-9)
    gap = abs((back_direction[0] - direction + 180.0) % 360.0 - 180.0)
    assert gap < 1e-6
    assert 0.0 <= back_direction[0] < 360.0


@given(TEMP, st.floats(min_value=0.0, max_value=40.0), st.floats(min_value=0.0, max_value=5.0))
def test_relative_humidity_bounded_and_increasing_in_dew_point(
    temp: float, depression: float, more: float
) -> None:
    dew = temp - depression - more
    low, high = relative_humidity(np.array([temp, temp]), np.array([dew, temp - depression]))
    assert 0.0 < low <= high <= 100.0 + 1e-9


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=2, max_value=5),
    st.integers(min_value=2, max_value=5),
    st.integers(min_value=0, max_value=2**31 - 1),
    st.floats(min_value=0.0, max_value=1.0),
    st.floats(min_value=0.0, max_value=1.0),
)
def test_bilinear_stays_within_its_corners_and_hits_nodes(
    n_lat: int, n_lon: int, seed: int, fy: float, fx: float
) -> None:
    rng = np.random.default_rng(seed)
    lat = np.cumsum(rng.uniform(0.1, 1.0, n_lat)) + 20.0
    lon = np.cumsum(rng.uniform(0.1, 1.0, n_lon)) + 100.0
    values = rng.normal(0.0, 10.0, (n_lat, n_lon))
    ds = xr.Dataset(
        {"v": (("latitude", "longitude"), values)}, coords={"latitude": lat, "longitude": lon}
    )
    i, j = rng.integers(0, n_lat - 1), rng.integers(0, n_lon - 1)
    y, x = lat[i] + fy * (lat[i + 1] - lat[i]), lon[j] + fx * (lon[j + 1] - lon[j])
    stations = pd.DataFrame(
        {"station": ["in", "node"], "latitude": [y, lat[i]], "longitude": [x, lon[j]]}
    )
    got = interpolate_to_stations(ds, stations)["v"].values
    corners = values[i : i + 2, j : j + 2]
    assert corners.min() - 1e-9 <= got[0] <= corners.max() + 1e-9
    assert got[1] == values[i, j]


@given(
    st.lists(st.integers(min_value=0, max_value=500), min_size=1, max_size=20, unique=True),
    st.lists(st.integers(min_value=-24, max_value=600), min_size=1, max_size=20),
    st.integers(min_value=0, max_value=48),
    st.integers(min_value=0, max_value=3),
)
def test_candidate_cycle_is_published_by_the_issue_time(
    cycles_h: list[int], issues_h: list[int], delay_h: int, rank: int
) -> None:
    base = np.datetime64("2024-01-01T00:00", "ns")
    cycles = base + np.sort(np.array(cycles_h)) * np.timedelta64(1, "h")
    issues = base + np.array(issues_h) * np.timedelta64(1, "h")
    delay = pd.Timedelta(hours=delay_h)
    index = candidate_cycle(cycles, issues, delay, rank)
    chosen = index >= 0
    assert (cycles[index[chosen]] + delay.to_timedelta64() <= issues[chosen]).all()
    published = (cycles[None, :] + delay.to_timedelta64() <= issues[:, None]).sum(axis=1)
    assert (chosen == (published > rank)).all()
