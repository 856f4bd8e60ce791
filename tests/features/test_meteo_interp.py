"""Interpolation of canonical fields to stations (bilinear and nearest)."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from features.meteo_interp import grid_weights, interpolate_to_stations
from features.meteo_read import canonicalize_met_dataset
from features.testing import synthetic_forecast_fields
from forecasting.errors import InputDataError

LATS = [41.0, 40.5, 40.0, 39.5]
LONS = [115.5, 116.0, 116.5]


@pytest.fixture(scope="module")
def fields() -> xr.Dataset:
    return canonicalize_met_dataset(
        synthetic_forecast_fields(steps_h=[0, 3], latitudes=LATS, longitudes=LONS)
    )


def _stations(*points: tuple[float, float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "station": [f"S{i}" for i in range(len(points))],
            "latitude": [p[0] for p in points],
            "longitude": [p[1] for p in points],
        }
    )


@pytest.mark.parametrize("method", ["bilinear", "nearest"])
@pytest.mark.parametrize(
    ("lat", "lon"), [(40.0, 116.0), (39.5, 115.5), (41.0, 116.5), (40.5, 116.5), (39.5, 116.5)]
)
def test_station_on_a_grid_node_gets_the_node_value(
    fields: xr.Dataset, method: str, lat: float, lon: float
) -> None:
    at = interpolate_to_stations(fields, _stations((lat, lon)), method=method)  # type: ignore[arg-type]
    for name in fields.data_vars:
        node = fields[name].sel(latitude=lat, longitude=lon)
        np.testing.assert_array_equal(at[name].isel(station=0).values, node.values)


def test_bilinear_midpoint_is_the_mean_of_the_four_corners(fields: xr.Dataset) -> None:
    at = interpolate_to_stations(fields, _stations((40.25, 116.25)))
    corners = fields["temp_air"].sel(latitude=[40.0, 40.5], longitude=[116.0, 116.5])
    np.testing.assert_allclose(
        at["temp_air"].isel(station=0).values,
        corners.mean(["latitude", "longitude"]).values,
        rtol=1e-6,
    )


def test_bilinear_on_a_cell_edge_is_linear_between_two_nodes(fields: xr.Dataset) -> None:
    at = interpolate_to_stations(fields, _stations((40.0, 116.125)))  # a quarter of the way east
    west, east = (fields["pressure"].sel(latitude=40.0, longitude=x) for x in (116.0, 116.5))
    np.testing.assert_allclose(
        at["pressure"].isel(station=0).values, (0.75 * west + 0.25 * east).values, rtol=1e-9
    )


@pytest.mark.parametrize(
    ("lat", "lon", "node"),
    [
        (40.2, 116.2, (40.0, 116.0)),
        (40.3, 116.2, (40.5, 116.0)),
        (40.2, 116.3, (40.0, 116.5)),
        (40.25, 116.25, (40.0, 116.0)),
    ],
)
def test_nearest_picks_the_closest_node(
    fields: xr.Dataset, lat: float, lon: float, node: tuple[float, float]
) -> None:
    at = interpolate_to_stations(fields, _stations((lat, lon)), method="nearest")
    expected = fields["temp_air"].sel(latitude=node[0], longitude=node[1])
    np.testing.assert_array_equal(at["temp_air"].isel(station=0).values, expected.values)


@pytest.mark.parametrize("method", ["bilinear", "nearest"])
@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (41.01, 116.0),
        (39.49, 116.0),
        (40.0, 115.49),
        (40.0, 116.51),
        (np.nan, 116.0),
        (30.0, -60.0),
    ],
)
def test_station_outside_the_grid_gets_nan(
    fields: xr.Dataset, method: str, lat: float, lon: float
) -> None:
    at = interpolate_to_stations(fields, _stations((lat, lon), (40.0, 116.0)), method=method)  # type: ignore[arg-type]
    assert np.isnan(at["temp_air"].isel(station=0).values).all()
    assert np.isfinite(at["temp_air"].isel(station=1).values).all()


def test_nan_neighbour_does_not_spoil_a_node_but_does_spoil_the_cell(fields: xr.Dataset) -> None:
    masked = fields.copy(deep=True)
    masked["temp_air"].loc[{"latitude": 40.5, "longitude": 116.5}] = np.nan
    at = interpolate_to_stations(masked, _stations((40.0, 116.0), (40.25, 116.25)))
    assert np.isfinite(at["temp_air"].isel(station=0).values).all()
    assert np.isnan(at["temp_air"].isel(station=1).values).all()


def test_result_has_station_coordinates_and_keeps_attrs(fields: xr.Dataset) -> None:
    at = interpolate_to_stations(fields, _stations((40.0, 116.0), (40.1, 116.1)))
    assert at["temp_air"].dims == ("issue_time", "step", "station")
    assert at["station"].values.tolist() == ["S0", "S1"]
    assert at["latitude"].values.tolist() == [40.0, 40.1]
    assert at["temp_air"].attrs["units"] == "degC"
    assert at.attrs["met_interpolation"] == "bilinear"


def test_interpolation_is_lazy_for_dask_fields(fields: xr.Dataset) -> None:
    at = interpolate_to_stations(fields.chunk({"issue_time": 1}), _stations((40.0, 116.0)))
    assert isinstance(at["temp_air"].data, da.Array)


def test_global_grid_wraps_across_the_antimeridian() -> None:
    lons = np.arange(-180.0, 180.0, 90.0)  # -180, -90, 0, 90
    ds = xr.Dataset(
        {
            "temp_air": (
                ("latitude", "longitude"),
                np.array([[0.0, 1.0, 2.0, 3.0], [0.0, 1.0, 2.0, 3.0]]),
            )
        },
        coords={"latitude": [0.0, 10.0], "longitude": lons},
    )
    at = interpolate_to_stations(ds, _stations((0.0, 135.0), (0.0, -180.0)))
    assert at["temp_air"].values.tolist() == [1.5, 0.0]  # halfway between 90 (3) and 180 = -180 (0)


def test_gap_in_a_wrapped_regional_grid_is_outside() -> None:
    lons = np.array([-170.0, -160.0, 160.0, 170.0])  # a 160E..190E grid after wrapping
    ds = xr.Dataset(
        {"t": (("latitude", "longitude"), np.ones((2, 4)))},
        coords={"latitude": [0.0, 1.0], "longitude": lons},
    )
    at = interpolate_to_stations(ds, _stations((0.5, 0.0), (0.5, 165.0)))
    assert np.isnan(at["t"].values[0])
    assert at["t"].values[1] == 1.0


def test_grid_weights_at_both_edges() -> None:
    index, weight = grid_weights(np.array([0.0, 1.0, 2.0]), np.array([0.0, 2.0, 1.0, 0.5]))
    assert index.tolist() == [[0, 1], [1, 2], [1, 2], [0, 1]]
    assert weight.tolist() == [[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.5, 0.5]]


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"station": ["A"], "latitude": [40.0]}), "station frame lacks column"),
        (
            pd.DataFrame(
                {"station": ["A", "A"], "latitude": [40.0, 40.0], "longitude": [116.0, 116.0]}
            ),
            "repeats station",
        ),
    ],
)
def test_bad_station_frame_is_an_input_error(
    fields: xr.Dataset, frame: pd.DataFrame, message: str
) -> None:
    with pytest.raises(InputDataError, match=message):
        interpolate_to_stations(fields, frame)


def test_unknown_method_lists_the_valid_ones(fields: xr.Dataset) -> None:
    with pytest.raises(
        InputDataError,
        match="unknown interpolation method 'cubic'; choose one of: bilinear, nearest",
    ):
        interpolate_to_stations(fields, _stations((40.0, 116.0)), method="cubic")  # type: ignore[arg-type]
