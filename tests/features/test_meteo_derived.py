"""Derived quantities: humidity, wind, precipitation, ventilation, stability."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from features.meteo_derived import (
    deaccumulate_precip,
    potential_temperature,
    precip_rate,
    relative_humidity,
    saturation_vapor_pressure,
    stability_index,
    step_intervals_h,
    ventilation_index,
    wind_components,
    wind_speed_direction,
)


@pytest.mark.parametrize(
    ("temp_c", "expected_hpa"),
    [
        # Bolton (1980) eq. (10): e_s = 6.112 exp(17.67 T / (T + 243.5)) hPa
        (0.0, 6.112),
        (20.0, 23.3695),  # 6.112 * exp(353.4 / 263.5); Wexler/WMO tables give 23.37
        (-20.0, 1.2574),  # 6.112 * exp(-353.4 / 223.5); over water
    ],
)
def test_saturation_vapor_pressure_bolton_1980_eq10(temp_c: float, expected_hpa: float) -> None:
    assert saturation_vapor_pressure(temp_c) == pytest.approx(expected_hpa, rel=1e-4)


@pytest.mark.parametrize(
    ("temp_c", "dew_c", "rh"),
    [
        (20.0, 20.0, 100.0),
        (20.0, 10.0, 52.5),  # e_s(10) / e_s(20) = 12.272 / 23.370
        (0.0, -10.0, 46.9),  # 2.8677 / 6.112
        (30.0, 5.0, 20.5),
    ],
)
def test_relative_humidity_from_dew_point(temp_c: float, dew_c: float, rh: float) -> None:
    assert relative_humidity(temp_c, dew_c) == pytest.approx(rh, abs=0.05)


def test_relative_humidity_keeps_containers_and_laziness() -> None:
    series = relative_humidity(pd.Series([20.0, 10.0]), pd.Series([10.0, 10.0]))
    assert isinstance(series, pd.Series)
    assert series.iloc[1] == pytest.approx(100.0)
    lazy = xr.DataArray(da.from_array(np.array([20.0, 10.0]), chunks=1), dims="x")
    result = relative_humidity(lazy, lazy - 1.0)
    assert isinstance(result.data, da.Array)


@pytest.mark.parametrize(
    ("speed", "direction", "u", "v"),
    [
        (10.0, 0.0, 0.0, -10.0),  # north wind blows towards the south
        (10.0, 90.0, -10.0, 0.0),  # east wind blows towards the west
        (10.0, 180.0, 0.0, 10.0),
        (10.0, 270.0, 10.0, 0.0),
        (np.sqrt(2.0), 225.0, 1.0, 1.0),  # south-west wind
    ],
)
def test_wind_components_meteorological_convention(
    speed: float, direction: float, u: float, v: float
) -> None:
    got_u, got_v = wind_components(speed, direction)
    assert (float(got_u), float(got_v)) == pytest.approx((u, v), abs=1e-12)
    back_speed, back_direction = wind_speed_direction(got_u, got_v)
    assert float(back_speed) == pytest.approx(speed)
    assert float(back_direction) == pytest.approx(direction % 360.0, abs=1e-9)


def test_calm_has_no_direction() -> None:
    speed, direction = wind_speed_direction(np.array([0.0, 1.0]), np.array([0.0, 0.0]))
    assert speed.tolist() == [0.0, 1.0]
    assert np.isnan(direction[0])
    assert direction[1] == pytest.approx(270.0)


def test_wind_on_lazy_data_array_stays_lazy() -> None:
    u = xr.DataArray(da.from_array(np.array([3.0, 0.0]), chunks=1), dims="x")
    speed, direction = wind_speed_direction(u, u * 0 - 4.0)
    assert isinstance(direction.data, da.Array)
    np.testing.assert_allclose(speed.values, [5.0, 4.0])
    np.testing.assert_allclose(direction.values, [np.rad2deg(np.arctan2(-3.0, 4.0)) % 360, 0.0])


def _steps(*hours: int) -> np.ndarray:
    return (np.array(hours) * np.timedelta64(1, "h")).astype("timedelta64[ns]")


def test_deaccumulation_of_precipitation_since_cycle_start() -> None:
    acc = xr.DataArray(
        [[0.0, 1.0, 1.0, 4.0, 3.9999]],
        dims=("issue_time", "step"),
        coords={"step": _steps(0, 1, 2, 5, 6)},
    )
    amount = deaccumulate_precip(acc)
    assert np.isnan(amount.values[0, 0])  # nothing accumulated over an empty interval
    np.testing.assert_allclose(amount.values[0, 1:], [1.0, 0.0, 3.0, 0.0])  # packing noise -> 0
    rate = precip_rate(amount, step_intervals_h(acc["step"]))
    np.testing.assert_allclose(rate.values[0, 1:], [1.0, 0.0, 1.0, 0.0])
    assert amount.attrs["accumulation"] == "per_step"


def test_first_step_after_cycle_start_keeps_its_amount() -> None:
    acc = xr.DataArray([3.0, 9.0], dims="step", coords={"step": _steps(3, 6)})
    amount = deaccumulate_precip(acc)
    assert amount.values.tolist() == [3.0, 6.0]
    assert step_intervals_h(acc["step"]).values.tolist() == [3.0, 3.0]


def test_deaccumulation_is_lazy() -> None:
    acc = xr.DataArray(
        da.zeros((2, 4), chunks=(1, 2)),
        dims=("issue_time", "step"),
        coords={"step": _steps(0, 1, 2, 3)},
    )
    assert isinstance(deaccumulate_precip(acc).data, da.Array)


def test_analysis_intervals_copy_the_second_one_for_the_first() -> None:
    times = xr.DataArray(
        pd.date_range("2024-01-01", periods=3, freq="h").to_numpy(), dims="valid_time"
    )
    assert step_intervals_h(times, first_from_zero=False).values.tolist() == [1.0, 1.0, 1.0]


def test_precip_rate_of_an_empty_interval_is_nan() -> None:
    assert np.isnan(precip_rate(np.array([1.0]), np.array([0.0]))[0])


def test_ventilation_index_is_blh_times_wind() -> None:
    assert ventilation_index(np.array([500.0, 1200.0]), np.array([2.0, 0.5])).tolist() == [
        1000.0,
        600.0,
    ]


@pytest.mark.parametrize(
    ("temp_c", "pressure", "theta"),
    [
        (26.85, 1000.0, 300.0),  # theta = T at 1000 hPa
        (0.0, 850.0, 273.15 * (1000.0 / 850.0) ** 0.2857),
        (-50.0, 500.0, 223.15 * 2.0**0.2857),
    ],
)
def test_potential_temperature_poisson_equation(
    temp_c: float, pressure: float, theta: float
) -> None:
    assert float(potential_temperature(temp_c, pressure)) == pytest.approx(theta, rel=1e-9)


def test_stability_index_positive_for_an_inversion() -> None:
    inversion = stability_index(
        np.array([5.0]), np.array([850.0]), np.array([0.0]), np.array([1010.0])
    )
    well_mixed = stability_index(
        np.array([-14.0]), np.array([850.0]), np.array([0.0]), np.array([1010.0])
    )
    assert inversion[0] > 15.0
    assert abs(well_mixed[0]) < 1.0
