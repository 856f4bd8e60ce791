"""Reading CF fields: engines, canonical layout, names, units, laziness, round trips."""

from __future__ import annotations

from pathlib import Path

import dask.array as da
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from features.meteo_read import (
    PERFECT_PROGNOSIS,
    canonicalize_met_dataset,
    describe_met_dataset,
    engine_for,
    open_met_dataset,
)
from features.testing import synthetic_analysis, synthetic_forecast_fields, write_synthetic_grib
from forecasting.errors import InputDataError

SMALL = {
    "steps_h": [0, 1, 2, 3, 6],
    "latitudes": [41.0, 40.5, 40.0, 39.5],
    "longitudes": [115.5, 116.0, 116.5],
}


@pytest.fixture(scope="module")
def raw() -> xr.Dataset:
    return synthetic_forecast_fields(**SMALL)


@pytest.fixture(scope="module")
def canonical(raw: xr.Dataset) -> xr.Dataset:
    return canonicalize_met_dataset(raw)


# --- units ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("canonical_name", "raw_name", "unit", "convert"),
    [
        ("temp_air", "t2m", "degC", lambda x: x - 273.15),  # K -> °C
        ("dew_point", "d2m", "degC", lambda x: x - 273.15),
        ("pressure", "sp", "hPa", lambda x: x / 100.0),  # Pa -> hPa
        ("pressure_msl", "msl", "hPa", lambda x: x / 100.0),
        ("precip", "tp", "mm", lambda x: x * 1000.0),  # m -> mm
        ("u10", "u10", "m s**-1", lambda x: x),
        ("blh", "blh", "m", lambda x: x),
    ],
)
def test_units_are_converted_to_canonical(
    raw: xr.Dataset, canonical: xr.Dataset, canonical_name: str, raw_name: str, unit: str, convert
) -> None:
    got = canonical[canonical_name].sel(latitude=40.0, longitude=116.0).values
    expected = convert(raw[raw_name].sel(latitude=40.0, longitude=116.0).values.astype(np.float64))
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-4)
    assert canonical[canonical_name].attrs["units"] == unit
    assert canonical[canonical_name].attrs["original_name"] == raw_name


def test_upper_air_temperature_is_taken_at_850_hpa(raw: xr.Dataset, canonical: xr.Dataset) -> None:
    upper = raw["t"].sel(isobaricInhPa=850.0).transpose("time", "step", "latitude", "longitude")
    expected = upper.values.astype(np.float64) - 273.15
    np.testing.assert_allclose(canonical["temp_850"].values[:, :, ::-1, :], expected, atol=1e-4)
    assert "isobaricInhPa" not in canonical.coords


@pytest.mark.parametrize(
    ("unit", "factor"),
    [("kg m-2", 1.0), ("kg m**-2", 1.0), ("mm", 1.0), ("m", 1000.0), ("cm", 10.0)],
)
def test_precip_mass_per_area_and_depths_become_mm(
    raw: xr.Dataset, unit: str, factor: float
) -> None:
    ds = raw[["tp"]].assign(tp=raw["tp"].assign_attrs(units=unit))
    got = canonicalize_met_dataset(ds)["precip"]
    np.testing.assert_allclose(got.values[:, :, ::-1, :], raw["tp"].values * factor, rtol=1e-6)
    assert got.attrs["accumulation"] == "since_cycle_start"


def test_precip_flux_is_a_rate_in_mm_per_hour(raw: xr.Dataset) -> None:
    flux = (raw["tp"] * 0 + 1.0 / 3600.0).assign_attrs(units="kg m-2 s-1")  # 1 mm per hour
    got = canonicalize_met_dataset(raw[[]].assign(tp=flux))["precip"]
    np.testing.assert_allclose(got.values, 1.0, rtol=1e-6)
    assert got.attrs["accumulation"] == "rate"
    assert got.attrs["units"] == "mm h**-1"


def test_precip_accumulation_can_be_declared(raw: xr.Dataset) -> None:
    got = canonicalize_met_dataset(raw[["tp"]], precip_accumulation="per_step")
    assert got["precip"].attrs["accumulation"] == "per_step"
    declared = raw[["tp"]].assign(tp=raw["tp"].assign_attrs(accumulation="per_step"))
    assert canonicalize_met_dataset(declared)["precip"].attrs["accumulation"] == "per_step"


def test_analysis_precip_accumulated_since_a_cycle_start_is_refused() -> None:
    analysis = synthetic_analysis(latitudes=[40.0, 39.0], longitudes=[116.0])
    with pytest.raises(
        InputDataError, match="accumulation 'since_cycle_start' is not usable for analysis fields"
    ):
        canonicalize_met_dataset(analysis, "analysis", precip_accumulation="since_cycle_start")


def test_relative_humidity_fraction_becomes_percent(raw: xr.Dataset) -> None:
    ds = raw[[]].assign(
        r2=(raw["t2m"] * 0 + 0.5).assign_attrs(units="(0 - 1)", standard_name="relative_humidity")
    )
    np.testing.assert_allclose(canonicalize_met_dataset(ds)["rh"].values, 50.0)


@pytest.mark.parametrize("units", [None, "", "~"])
def test_missing_unit_names_the_variable(raw: xr.Dataset, units: str | None) -> None:
    array = raw["t2m"].copy()
    array.attrs = {k: v for k, v in array.attrs.items() if k != "units"}
    if units is not None:
        array.attrs["units"] = units
    with pytest.raises(
        InputDataError, match=r"x.nc: variable 't2m' \(temp_air\) has no CF 'units'"
    ):
        canonicalize_met_dataset(raw.assign(t2m=array), source="x.nc")


@pytest.mark.parametrize(("name", "units"), [("t2m", "m s-1"), ("sp", "furlongs"), ("tp", "K")])
def test_unconvertible_unit_names_variable_and_unit(raw: xr.Dataset, name: str, units: str) -> None:
    ds = raw.assign({name: raw[name].copy().assign_attrs(units=units)})
    with pytest.raises(InputDataError, match=rf"x.nc: variable '{name}' .* {units!r}"):
        canonicalize_met_dataset(ds, source="x.nc")


# --- layout --------------------------------------------------------------------------------


def test_latitudes_ascend_and_descending_input_is_reordered(
    raw: xr.Dataset, canonical: xr.Dataset
) -> None:
    assert raw["latitude"].values[0] > raw["latitude"].values[-1]
    assert np.all(np.diff(canonical["latitude"].values) > 0)
    for lat in raw["latitude"].values:
        np.testing.assert_allclose(
            canonical["temp_air"].sel(latitude=lat).values,
            raw["t2m"].sel(latitude=lat).values - 273.15,
            atol=1e-4,
        )


def test_longitudes_0_360_are_wrapped_to_minus_180_180() -> None:
    raw = synthetic_forecast_fields(
        steps_h=[0], latitudes=[40.0, 41.0], longitudes=[0.0, 90.0, 180.0, 270.0]
    )
    canonical = canonicalize_met_dataset(raw)
    assert canonical["longitude"].values.tolist() == [-180.0, -90.0, 0.0, 90.0]
    np.testing.assert_allclose(
        canonical["temp_air"].sel(longitude=-90.0).values,
        raw["t2m"].sel(longitude=270.0).values - 273.15,
        atol=1e-4,
    )


def test_global_grid_with_both_180_and_minus_180_keeps_one_column() -> None:
    raw = synthetic_forecast_fields(
        steps_h=[0], latitudes=[0.0, 1.0], longitudes=[-180.0, 0.0, 180.0]
    )
    assert canonicalize_met_dataset(raw)["longitude"].values.tolist() == [-180.0, 0.0]


def test_forecast_layout_and_valid_time(canonical: xr.Dataset) -> None:
    assert canonical["temp_air"].dims == ("issue_time", "step", "latitude", "longitude")
    valid = canonical["valid_time"].values
    assert valid[1, 4] == np.datetime64("2024-01-01T18:00")  # 12 UTC cycle + 6 h
    assert canonical.attrs["met_label"] == "forecast"


def test_dims_renamed_from_cf_and_cmip_names(raw: xr.Dataset) -> None:
    ds = raw.rename(
        {
            "time": "forecast_reference_time",
            "step": "lead_time",
            "latitude": "lat",
            "longitude": "lon",
            "t2m": "tas",
        }
    )
    ds = ds.drop_vars("valid_time")
    for name in ("forecast_reference_time", "lead_time", "lat", "lon"):
        ds[name].attrs.pop("standard_name", None)
    ds["lead_time"] = ("lead_time", np.asarray(SMALL["steps_h"], float), {"units": "hours"})
    got = canonicalize_met_dataset(ds)
    assert got["temp_air"].dims == ("issue_time", "step", "latitude", "longitude")
    assert got["step"].values[-1] == np.timedelta64(6, "h")
    assert got["temp_air"].attrs["original_name"] == "tas"


def test_time_beside_step_is_the_issue_time_without_standard_names(raw: xr.Dataset) -> None:
    ds = raw[["t2m"]].copy(deep=True)
    for name in ("time", "step", "valid_time"):
        ds[name].attrs = {}
    got = canonicalize_met_dataset(ds)
    np.testing.assert_array_equal(got["issue_time"].values, raw["time"].values)


def test_issue_and_valid_time_dims_are_remapped_to_steps(canonical: xr.Dataset) -> None:
    # (init_time, time) with the valid time as a dim: each cycle's values at its own valid times
    src = canonical[["temp_air"]].isel(step=[0, 1, 2, 3])  # 0..3 h
    times = pd.date_range("2024-01-01", "2024-01-03T03:00", freq="h").to_numpy()
    cube = np.full((4, times.size, 4, 3), np.nan, dtype=np.float32)
    for i, cycle in enumerate(src["issue_time"].values):
        for s, step in enumerate(src["step"].values):
            cube[i, int(np.flatnonzero(times == cycle + step)[0])] = src["temp_air"].values[i, s]
    ds = xr.Dataset(
        {
            "t2m": (
                ("init_time", "time", "latitude", "longitude"),
                cube,
                {"units": "degC", "standard_name": "air_temperature"},
            )
        },
        coords={
            "init_time": src["issue_time"].values,
            "time": times,
            "latitude": src["latitude"].values,
            "longitude": src["longitude"].values,
        },
    )
    got = canonicalize_met_dataset(ds)
    np.testing.assert_array_equal(
        got["temp_air"].sel(step=src["step"].values).values, src["temp_air"].values
    )
    assert np.isnan(
        got["temp_air"].sel(issue_time="2024-01-01T00:00", step=np.timedelta64(40, "h")).values
    ).all()


def test_single_cycle_with_valid_time_dim_and_scalar_reference(canonical: xr.Dataset) -> None:
    one = canonical[["temp_air"]].isel(issue_time=1)
    ds = xr.Dataset(
        {"t2m": (("time", "lat", "lon"), one["temp_air"].values, {"units": "degC"})},
        coords={
            "time": ("time", one["valid_time"].values, {"standard_name": "time"}),
            "reftime": ((), one["issue_time"].values, {"standard_name": "forecast_reference_time"}),
            "lat": one["latitude"].values,
            "lon": one["longitude"].values,
        },
    )
    got = canonicalize_met_dataset(ds)
    assert got.sizes["issue_time"] == 1
    assert got["issue_time"].values[0] == np.datetime64("2024-01-01T12:00")
    np.testing.assert_array_equal(got["temp_air"].isel(issue_time=0).values, one["temp_air"].values)


def test_analysis_layout_and_perfect_prognosis_label() -> None:
    got = canonicalize_met_dataset(
        synthetic_analysis(latitudes=[40.0, 39.0], longitudes=[116.0, 117.0]), "analysis"
    )
    assert got["temp_air"].dims == ("valid_time", "latitude", "longitude")
    assert got.attrs["met_label"] == PERFECT_PROGNOSIS
    assert got["precip"].attrs["accumulation"] == "per_step"


def test_forecast_opened_as_analysis_is_refused(raw: xr.Dataset) -> None:
    with pytest.raises(InputDataError, match="so this is a forecast; open it with kind='forecast'"):
        canonicalize_met_dataset(raw.drop_vars("valid_time").rename(time="issue"), "analysis")


def test_analysis_opened_as_forecast_is_refused() -> None:
    with pytest.raises(InputDataError, match="no issue \\(reference\\) time found for a forecast"):
        canonicalize_met_dataset(
            synthetic_analysis(latitudes=[40.0, 39.0], longitudes=[116.0]), "forecast"
        )


def test_curvilinear_grid_is_refused(raw: xr.Dataset) -> None:
    ds = raw[["t2m"]].isel(step=0).drop_vars(["latitude", "longitude", "valid_time"])
    lat2d = np.broadcast_to(np.array([41.0, 40.5, 40.0, 39.5])[:, None], (4, 3))
    ds = ds.rename(latitude="y", longitude="x").assign_coords(
        lat=(("y", "x"), lat2d, {"standard_name": "latitude"}),
        lon=(("y", "x"), lat2d + 75, {"standard_name": "longitude"}),
    )
    with pytest.raises(InputDataError, match="regrid curvilinear or projected fields first"):
        canonicalize_met_dataset(ds.expand_dims(step=[np.timedelta64(0, "h")]))


def test_extra_ensemble_dimension_is_refused(raw: xr.Dataset) -> None:
    ds = raw[["t2m"]].expand_dims(number=[0, 1, 2])
    with pytest.raises(
        InputDataError, match="'t2m' \\(temp_air\\) has the extra dimension 'number' of size 3"
    ):
        canonicalize_met_dataset(ds)


def test_unknown_variables_are_dropped_and_listed(raw: xr.Dataset) -> None:
    ds = raw.assign(
        cape=raw["t2m"].assign_attrs(
            units="J kg-1", standard_name="atmosphere_convective_available_potential_energy"
        )
    )
    got = canonicalize_met_dataset(ds)
    assert "cape" not in got
    assert got.attrs["met_ignored_variables"] == "cape"


def test_repeated_issue_times_are_refused(raw: xr.Dataset) -> None:
    ds = xr.concat([raw.isel(time=[0]), raw.isel(time=[0, 1])], dim="time")
    with pytest.raises(InputDataError, match="coordinate 'issue_time' repeats the values"):
        canonicalize_met_dataset(ds)


def test_input_dataset_is_not_modified(raw: xr.Dataset) -> None:
    before = raw.copy(deep=True)
    canonicalize_met_dataset(raw)
    xr.testing.assert_identical(raw, before)


def test_unknown_kind_lists_the_valid_ones(raw: xr.Dataset) -> None:
    with pytest.raises(
        InputDataError, match="unknown dataset kind 'hindcast'; choose one of: forecast, analysis"
    ):
        canonicalize_met_dataset(raw, "hindcast")  # type: ignore[arg-type]


# --- engines, files, laziness ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "engine"),
    [
        ("a.nc", "netcdf4"),
        ("a.NC4", "netcdf4"),
        ("a.grib2", "cfgrib"),
        ("a.grb", "cfgrib"),
        ("a.zarr", "zarr"),
        ("a.zarr/", "zarr"),
    ],
)
def test_engine_is_pinned_by_suffix(name: str, engine: str) -> None:
    assert engine_for(name) == engine


def test_unknown_suffix_lists_the_known_ones() -> None:
    with pytest.raises(
        InputDataError, match=r"cannot tell the format from the suffix '.csv'; use one of .nc"
    ):
        engine_for("fields.csv")


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="no such file or directory"):
        open_met_dataset(tmp_path / "absent.nc")


@pytest.mark.parametrize("engine", ["netcdf4"])  # h5netcdf needs h5py, not installed here
def test_netcdf_round_trip_is_lazy_and_exact(
    tmp_path: Path, raw: xr.Dataset, canonical: xr.Dataset, engine: str
) -> None:
    path = tmp_path / "fields.nc"
    raw.drop_vars("valid_time").to_netcdf(path, engine=engine)
    with open_met_dataset(path, engine=engine) as ds:  # type: ignore[arg-type]
        assert isinstance(ds["temp_air"].data, da.Array)
        assert ds["temp_air"].chunks is not None
        xr.testing.assert_allclose(ds["temp_air"], canonical["temp_air"])
        assert ds.attrs["met_format"] == "netcdf"
        assert ds.attrs["met_engine"] == engine


def test_zarr_opens_lazily_and_stays_lazy_through_conversion(tmp_path: Path) -> None:
    raw = synthetic_forecast_fields(
        steps_h=list(range(0, 10)),
        latitudes=np.arange(42.0, 38.0, -0.1),
        longitudes=np.arange(114.0, 118.0, 0.1),
    )[["t2m", "sp", "tp", "t"]]
    path = tmp_path / "fields.zarr"
    raw.drop_vars("valid_time").chunk(
        {"time": 1, "step": 5, "latitude": 20, "longitude": 20}
    ).to_zarr(path, consolidated=False)
    ds = open_met_dataset(path, chunks={})  # the store's own chunks
    for name in ("temp_air", "pressure", "precip", "temp_850"):
        assert isinstance(ds[name].data, da.Array), name
    assert ds["temp_air"].data.npartitions == 4 * 2 * 2 * 2
    np.testing.assert_allclose(
        ds["temp_air"]
        .isel(issue_time=2, step=3)
        .sel(latitude=40.0, longitude=116.0, method="nearest")
        .values,
        raw["t2m"].isel(time=2, step=3).sel(latitude=40.0, longitude=116.0, method="nearest").values
        - 273.15,
        atol=1e-4,
    )


def test_grib_message_built_with_eccodes_reads_back(tmp_path: Path) -> None:
    raw = synthetic_forecast_fields(
        issue_times=["2024-01-01T00:00", "2024-01-01T12:00"],
        steps_h=[0, 3, 6],
        latitudes=[41.0, 40.0, 39.0],
        longitudes=[115.0, 116.0, 117.0, 118.0],
    )
    path = write_synthetic_grib(raw, tmp_path / "fields.grib2")
    ds = open_met_dataset(path)
    assert ds.attrs["met_format"] == "grib"
    assert set(ds.data_vars) == {"temp_air", "dew_point", "u10", "v10", "pressure", "pressure_msl"}
    assert ds["issue_time"].values.tolist() == raw["time"].values.tolist()
    assert ds["step"].values.tolist() == raw["step"].values.tolist()
    # GRIB packing keeps ~1e-3 K / 1 Pa; the node at 40N 116E, 12 UTC cycle, step 3 h
    node = {"latitude": 40.0, "longitude": 116.0}
    np.testing.assert_allclose(
        ds["temp_air"].isel(issue_time=1, step=1).sel(node).values,
        raw["t2m"].isel(time=1, step=1).sel(node).values - 273.15,
        atol=0.01,
    )
    np.testing.assert_allclose(
        ds["pressure"].isel(issue_time=1, step=1).sel(node).values,
        raw["sp"].isel(time=1, step=1).sel(node).values / 100,
        atol=0.05,
    )


def test_describe_lists_cycles_variables_and_units(canonical: xr.Dataset) -> None:
    entry = describe_met_dataset(canonical)
    assert entry["kind"] == "forecast"
    assert [t.isoformat() for t in entry["issue_times"]][:2] == [
        "2024-01-01T00:00:00+00:00",
        "2024-01-01T12:00:00+00:00",
    ]
    assert entry["variables"] == sorted(
        [
            "temp_air",
            "dew_point",
            "u10",
            "v10",
            "pressure",
            "pressure_msl",
            "precip",
            "blh",
            "temp_850",
        ]
    )
    assert entry["attrs"]["units"]["temp_air"] == "degC"
    assert entry["attrs"]["steps_h"] == [0.0, 1.0, 2.0, 3.0, 6.0]
    assert entry["attrs"]["precip_accumulation"] == "since_cycle_start"
