"""The ``.aq`` accessor delegates to the pure functions of features.meteo."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import features.accessor  # noqa: F401  (registers .aq)
from features.meteo import met_features
from features.meteo_interp import interpolate_to_stations
from features.meteo_read import canonicalize_met_dataset
from features.meteo_select import fields_at_leads, select_cycle
from features.testing import synthetic_analysis, synthetic_forecast_fields

GRID = {"latitudes": [40.5, 40.0], "longitudes": [116.0, 116.5]}
STATIONS = pd.DataFrame({"station": ["A"], "latitude": [40.2], "longitude": [116.1]})
ISSUE = pd.Timestamp("2024-01-01T16:00", tz="UTC")


@pytest.fixture(scope="module")
def forecast() -> xr.Dataset:
    return canonicalize_met_dataset(synthetic_forecast_fields(steps_h=list(range(0, 25)), **GRID))


def test_at_stations_is_interpolate_to_stations(forecast: xr.Dataset) -> None:
    xr.testing.assert_identical(
        forecast.aq.at_stations(STATIONS, "nearest"),
        interpolate_to_stations(forecast, STATIONS, "nearest"),
    )


def test_cycle_and_at_leads_delegate(forecast: xr.Dataset) -> None:
    xr.testing.assert_identical(forecast.aq.cycle(ISSUE), select_cycle(forecast, ISSUE))
    valid = pd.date_range(ISSUE, periods=3, freq="h")
    xr.testing.assert_identical(
        forecast.aq.at_leads(ISSUE, valid), fields_at_leads(forecast, ISSUE, valid)
    )


def test_features_delegate_and_label(forecast: xr.Dataset) -> None:
    got = forecast.aq.features(STATIONS, [ISSUE], [1, 2], availability_delay=pd.Timedelta(hours=3))
    pd.testing.assert_frame_equal(
        got,
        met_features(forecast, STATIONS, [ISSUE], [1, 2], availability_delay=pd.Timedelta(hours=3)),
    )
    assert not forecast.aq.is_perfect_prognosis
    analysis = canonicalize_met_dataset(synthetic_analysis(**GRID), "analysis")
    assert analysis.aq.is_perfect_prognosis
    frame = analysis.aq.features(STATIONS, [ISSUE], [1], source="analysis")
    assert frame["met_source"].tolist() == ["perfect prognosis"]
    assert np.isfinite(frame["met_temp_air"]).all()
