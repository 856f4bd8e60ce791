"""Gridded emission inventories: CF units, provenance, radius-weighted sampling.

The inventories are synthetic, generated here with CF attributes on a 0.1° grid centred
on the equator, where neighbouring cell centres are R·0.1·π/180 = 11.1195 km apart
(R = 6371.0088 km, GRS 80 mean radius R1) and diagonal ones 15.7253 km. Expected sums
are computed by hand with the spherical law of cosines, an independent formula from the
haversine used by the code.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from features.emissions_grid import (
    EARTH_RADIUS_KM,
    haversine_km,
    open_emission_inventory,
    radius_weights,
    sample_emissions,
)
from forecasting.errors import InputDataError

STEP = 0.1
LAT = np.round(np.arange(-0.5, 0.51, STEP), 6)  # 11 cells
LON = np.round(np.arange(-0.5, 0.51, STEP), 6)
SECTORS = ["power", "industry"]
SECONDS_PER_JULIAN_YEAR = 365.25 * 86400


def _cf_dataset(
    values: dict[str, np.ndarray], units: str, *, sectors: bool = True, months: bool = True
) -> xr.Dataset:
    dims = (("sector",) if sectors else ()) + (("time",) if months else ()) + ("lat", "lon")
    coords: dict[str, object] = {
        "lat": ("lat", LAT, {"units": "degrees_north", "standard_name": "latitude"}),
        "lon": ("lon", LON, {"units": "degrees_east", "standard_name": "longitude"}),
    }
    if sectors:
        coords["sector"] = SECTORS
    if months:
        coords["time"] = pd.date_range("2013-01-01", periods=12, freq="MS")
    data_vars = {
        name: (dims, array, {"units": units, "long_name": f"{name} emissions"})
        for name, array in values.items()
    }
    return xr.Dataset(data_vars, coords=coords, attrs={"Conventions": "CF-1.8"})


def _grid(seed: int, sectors: bool = True, months: bool = True) -> np.ndarray:
    shape = ((2,) if sectors else ()) + ((12,) if months else ()) + (LAT.size, LON.size)
    return np.random.default_rng(seed).uniform(1.0, 10.0, shape)


def _write(tmp_path: Path, ds: xr.Dataset, name: str = "inventory.nc") -> Path:
    path = tmp_path / name
    ds.to_netcdf(path, engine="netcdf4")
    return path


def _open(path: Path, **kwargs: object) -> xr.Dataset:
    return open_emission_inventory(path, name="SYN", version="v0.1", base_year=2013, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def monthly(tmp_path: Path) -> tuple[xr.Dataset, np.ndarray]:
    """A CF inventory: SO2 and NOx [Mg yr-1 per cell], 2 sectors, 12 months."""
    so2 = _grid(0)
    ds = _cf_dataset({"SO2": so2, "NOx": 2 * so2}, "Mg yr-1")
    return _open(_write(tmp_path, ds)), so2


def _cosine_law_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    c = math.sin(p1) * math.sin(p2) + math.cos(p1) * math.cos(p2) * math.cos(dl)
    return EARTH_RADIUS_KM * math.acos(min(1.0, c))


def _hand_sum(
    grid: np.ndarray, lat0: float, lon0: float, weight: Callable[[float], float]
) -> float:
    total = 0.0
    for i, la in enumerate(LAT):
        for j, lo in enumerate(LON):
            total += weight(_cosine_law_km(lat0, lon0, la, lo)) * grid[i, j]
    return total


def _pick(frame: pd.DataFrame, **where: object) -> float:
    mask = np.ones(len(frame), dtype=bool)
    for column, value in where.items():
        mask &= (frame[column] == value).to_numpy()
    assert mask.sum() == 1
    return float(frame.loc[mask, "emission"].iloc[0])


def test_haversine_one_degree_of_equator() -> None:
    # R·π/180 with R = 6371.0088 km (GRS 80 R1): 111.19508 km.
    assert float(haversine_km(0.0, 0.0, 0.0, 1.0)) == pytest.approx(111.19508, abs=1e-5)
    # Beijing Dongsi (39.929, 116.417) to Dingling (40.292, 116.220), KDD coordinates.
    expected = _cosine_law_km(39.929, 116.417, 40.292, 116.220)
    assert float(haversine_km(39.929, 116.417, 40.292, 116.220)) == pytest.approx(expected)


def test_open_records_provenance_and_canonical_layout(
    monthly: tuple[xr.Dataset, np.ndarray],
) -> None:
    ds, so2 = monthly
    assert ds.attrs["name"] == "SYN"
    assert ds.attrs["version"] == "v0.1"
    assert ds.attrs["base_year"] == 2013
    assert ds.attrs["source_file"] == "inventory.nc"
    assert ds.attrs["original_units"] == "SO2: Mg yr-1; NOx: Mg yr-1"
    emission = ds["emission"]
    assert emission.dims == ("sector", "species", "month", "latitude", "longitude")
    assert emission.attrs["units"] == "Mg yr-1"
    assert list(emission["species"].values) == ["so2", "nox"]
    assert list(emission["month"].values) == list(range(1, 13))
    assert emission.chunks is not None  # lazy (dask) until sampled
    np.testing.assert_allclose(emission.sel(species="so2").values, so2)


def test_published_time_is_kept_in_utc(tmp_path: Path) -> None:
    path = _write(tmp_path, _cf_dataset({"SO2": _grid(1)}, "Mg yr-1"))
    ds = _open(path, published="2018-10-04T00:00+02:00")
    assert ds.attrs["published"] == "2018-10-03T22:00:00+00:00"
    with pytest.raises(InputDataError, match="has no time zone"):
        _open(path, published="2018-10-04")


@pytest.mark.parametrize("weighting", ["gaussian", "inverse_distance", "uniform"])
def test_station_at_cell_centre_with_tiny_radius_returns_that_cell(
    monthly: tuple[xr.Dataset, np.ndarray], weighting: str
) -> None:
    ds, so2 = monthly
    stations = pd.DataFrame({"station": ["S"], "latitude": [0.2], "longitude": [-0.3]})
    out = sample_emissions(ds, stations, radii_km=(0.5,), weighting=weighting)  # type: ignore[arg-type]
    i, j = int(np.argmin(np.abs(LAT - 0.2))), int(np.argmin(np.abs(LON + 0.3)))
    for k, sector in enumerate(SECTORS):
        for month in (1, 7, 12):
            got = _pick(out, species="so2", sector=sector, month=month)
            assert got == pytest.approx(so2[k, month - 1, i, j])
    total = _pick(out, species="nox", sector="total", month=3)
    assert total == pytest.approx(2 * (so2[0, 2, i, j] + so2[1, 2, i, j]))


@pytest.mark.parametrize(
    ("weighting", "radius", "weight"),
    [
        # uniform, R = 12 km: the centre and its 4 neighbours (11.12 km), not the
        # diagonals (15.73 km).
        ("uniform", 12.0, lambda d: 1.0 if d <= 12.0 else 0.0),
        # gaussian, R = 10 km: exp(-d²/2R²), nothing beyond 3R = 30 km.
        ("gaussian", 10.0, lambda d: math.exp(-0.5 * (d / 10.0) ** 2) if d <= 30.0 else 0.0),
        # inverse distance, R = 10 km: min(1, R/d), nothing beyond 30 km.
        ("inverse_distance", 10.0, lambda d: min(1.0, 10.0 / d) if 0 < d <= 30.0 else (d == 0)),
    ],
)
def test_radius_sum_matches_hand_computation(
    monthly: tuple[xr.Dataset, np.ndarray],
    weighting: str,
    radius: float,
    weight: Callable[[float], float],
) -> None:
    ds, so2 = monthly
    stations = pd.DataFrame({"station": ["S"], "latitude": [0.0], "longitude": [0.0]})
    out = sample_emissions(ds, stations, radii_km=(radius,), weighting=weighting)  # type: ignore[arg-type]
    expected = _hand_sum(so2[0, 4], 0.0, 0.0, weight)
    assert _pick(out, species="so2", sector="power", month=5) == pytest.approx(expected)


def test_uniform_12km_is_the_five_nearest_cells(monthly: tuple[xr.Dataset, np.ndarray]) -> None:
    ds, so2 = monthly
    stations = pd.DataFrame({"station": ["S"], "latitude": [0.0], "longitude": [0.0]})
    out = sample_emissions(ds, stations, radii_km=(11.0, 12.0), weighting="uniform")
    c = 5  # index of 0.0
    grid = so2[1, 0]
    five = grid[c, c] + grid[c - 1, c] + grid[c + 1, c] + grid[c, c - 1] + grid[c, c + 1]
    # 11.0 km < 11.1195 km: only the centre; 12 km: the centre and its 4 neighbours.
    assert _pick(out, species="so2", sector="industry", month=1, radius_km=11.0) == pytest.approx(
        grid[c, c]
    )
    assert _pick(out, species="so2", sector="industry", month=1, radius_km=12.0) == pytest.approx(
        five
    )


def test_radius_weights_edges() -> None:
    d = np.array([0.0, 10.0, 29.999, 30.0, 30.001])
    w = radius_weights(d, [10.0], "uniform")[0]
    np.testing.assert_array_equal(w, [1, 1, 0, 0, 0])
    w = radius_weights(d, [10.0], "gaussian")[0]
    np.testing.assert_allclose(w[:4], np.exp(-0.5 * (d[:4] / 10) ** 2))
    assert w[4] == 0.0  # beyond 3R
    w = radius_weights(d, [10.0], "inverse_distance")[0]
    np.testing.assert_allclose(w, [1.0, 1.0, 10 / 29.999, 1 / 3, 0.0])


def test_cells_beyond_three_radii_are_not_touched(tmp_path: Path) -> None:
    grid = _grid(3, sectors=False, months=False)
    stations = pd.DataFrame({"station": ["S"], "latitude": [0.0], "longitude": [0.0]})
    sums = []
    for far_value in (1.0, np.inf):
        changed = grid.copy()
        # longitude -0.5 and latitude -0.5: 55.6 km away, beyond 3 x 10 km. An infinite
        # value there would make any sum that read it inf or NaN (inf x 0).
        changed[:, 0] = far_value
        changed[0, :] = far_value
        path = _write(
            tmp_path,
            _cf_dataset({"SO2": changed}, "t yr-1", sectors=False, months=False),
            f"g{far_value:g}.nc",
        )
        out = sample_emissions(_open(path, check_values=False), stations, radii_km=(10.0,))
        sums.append(_pick(out, species="so2", sector="total"))
    assert np.isfinite(sums[1])
    assert sums[0] == sums[1]


@pytest.mark.parametrize(
    ("units", "factor"),
    [
        ("Mg yr-1", 1.0),
        ("t month-1", 12.0),  # pint: month = 1/12 year
        ("kt/yr", 1000.0),  # kilotonne, not knot
        ("Gg a-1", 1000.0),
        ("kg s-1", SECONDS_PER_JULIAN_YEAR / 1000.0),
    ],
)
def test_mass_rate_units_are_converted(tmp_path: Path, units: str, factor: float) -> None:
    grid = _grid(4, sectors=False, months=False)
    ds = _open(_write(tmp_path, _cf_dataset({"CO": grid}, units, sectors=False, months=False)))
    np.testing.assert_allclose(ds["emission"].sel(sector="total", species="co"), grid * factor)


def test_flux_density_is_multiplied_by_cell_area(tmp_path: Path) -> None:
    grid = np.full((LAT.size, LON.size), 1e-10)
    ds = _open(
        _write(tmp_path, _cf_dataset({"PM2.5": grid}, "kg m-2 s-1", sectors=False, months=False))
    )
    # Cell at the equator: R² Δλ (sin 0.05° - sin -0.05°) = 1.23643e8 m².
    r_m = EARTH_RADIUS_KM * 1000
    area = r_m**2 * math.radians(0.1) * 2 * math.sin(math.radians(0.05))
    assert area == pytest.approx(1.23643e8, rel=1e-5)
    expected = 1e-10 * area * SECONDS_PER_JULIAN_YEAR / 1000.0  # [Mg yr-1]
    got = ds["emission"].sel(sector="total", species="pm25", latitude=0.0, longitude=0.0)
    assert float(got) == pytest.approx(expected)
    assert ds.attrs["original_units"] == "PM2.5: kg m-2 s-1"


@pytest.mark.parametrize(
    ("units", "message"),
    [
        ("", "has no 'units' attribute"),
        ("tons/yr", "ambiguous"),
        ("mol s-1", "molar: convert to mass first"),
        ("ug m-3", "an emission must be a mass per time"),
        ("bogus_unit yr-1", "is not a CF/UDUNITS unit"),
    ],
)
def test_bad_units_are_refused(tmp_path: Path, units: str, message: str) -> None:
    ds = _cf_dataset(
        {"SO2": _grid(5, sectors=False, months=False)}, units, sectors=False, months=False
    )
    if not units:
        del ds["SO2"].attrs["units"]
    with pytest.raises(InputDataError, match=message):
        _open(_write(tmp_path, ds))


def test_species_dimension_layout_and_yearly_time(tmp_path: Path) -> None:
    data = np.random.default_rng(6).uniform(0, 5, (3, 2, LAT.size, LON.size))
    ds = xr.Dataset(
        {"emissions": (("species", "time", "latitude", "longitude"), data, {"units": "Mg/yr"})},
        coords={
            "species": ["SO2", "NOx", "PM2.5"],
            "time": pd.to_datetime(["2013-07-01", "2015-07-01"]),
            "latitude": LAT,
            "longitude": LON,
        },
    )
    out = _open(_write(tmp_path, ds))["emission"]
    assert out.dims == ("sector", "species", "year", "latitude", "longitude")
    assert list(out["species"].values) == ["so2", "nox", "pm25"]
    assert list(out["year"].values) == [2013, 2015]
    np.testing.assert_allclose(out.sel(sector="total", species="pm25", year=2015), data[2, 1])


def test_inventory_without_sectors_has_one_total_sector(tmp_path: Path) -> None:
    grid = _grid(7, sectors=False)
    ds = _open(_write(tmp_path, _cf_dataset({"SO2": grid}, "Mg yr-1", sectors=False)))
    stations = pd.DataFrame({"station": ["S"], "latitude": [0.1], "longitude": [0.1]})
    out = sample_emissions(ds, stations, radii_km=(1.0,))
    assert set(out["sector"]) == {"total"}
    assert _pick(out, month=6) == pytest.approx(grid[5, 6, 6])


def test_stations_outside_the_grid_or_without_coordinates_get_nan(
    monthly: tuple[xr.Dataset, np.ndarray],
) -> None:
    ds, _ = monthly
    stations = pd.DataFrame(
        {
            "station": ["in", "edge", "out", "nowhere"],
            "latitude": [0.0, 0.54, 0.56, np.nan],
            "longitude": [0.0, 0.0, 0.0, 0.0],
        }
    )
    out = sample_emissions(ds, stations, radii_km=(10.0,))
    by_station = out.groupby("station")["emission"].apply(lambda s: s.notna().all())
    assert by_station.to_dict() == {"edge": True, "in": True, "nowhere": False, "out": False}


def test_longitudes_wrap_at_the_date_line(tmp_path: Path) -> None:
    lon = np.round(np.arange(179.5, 180.51, STEP), 6)  # 0-360 convention across 180°
    grid = np.random.default_rng(8).uniform(1, 2, (LAT.size, lon.size))
    ds = xr.Dataset(
        {"SO2": (("lat", "lon"), grid, {"units": "Mg yr-1"})}, coords={"lat": LAT, "lon": lon}
    )
    inventory = _open(_write(tmp_path, ds))
    stations = pd.DataFrame(
        {"station": ["E", "W"], "latitude": [0.0, 0.0], "longitude": [179.9, -179.9]}
    )
    out = sample_emissions(inventory, stations, radii_km=(0.5,))
    j_east, j_west = int(np.argmin(np.abs(lon - 179.9))), int(np.argmin(np.abs(lon - 180.1)))
    assert _pick(out, station="E") == pytest.approx(grid[5, j_east])
    assert _pick(out, station="W") == pytest.approx(grid[5, j_west])


def test_negative_emissions_and_bad_grids_are_refused(tmp_path: Path) -> None:
    grid = _grid(9, sectors=False, months=False)
    grid[3, 4] = -1.0
    ds = _cf_dataset({"SO2": grid}, "Mg yr-1", sectors=False, months=False)
    with pytest.raises(InputDataError, match="1 negative and 0 infinite"):
        _open(_write(tmp_path, ds, "neg.nc"))
    flat = ds.rename({"lat": "y"})
    with pytest.raises(InputDataError, match="no latitude dimension"):
        _open(_write(tmp_path, flat, "flat.nc"))
    with pytest.raises(InputDataError, match="no such emission inventory file"):
        _open(tmp_path / "missing.nc")
    (tmp_path / "text.nc").write_text("not netcdf", encoding="utf-8")
    with pytest.raises(InputDataError, match="not a readable NetCDF file"):
        _open(tmp_path / "text.nc")


def test_provenance_is_required() -> None:
    with pytest.raises(InputDataError, match="needs a name and a version"):
        open_emission_inventory("x.nc", name="", version="v1", base_year=2013)
    with pytest.raises(InputDataError, match="outside 1900-2200"):
        open_emission_inventory("x.nc", name="MEIC", version="v1", base_year=13)


def test_sampling_options_are_checked(monthly: tuple[xr.Dataset, np.ndarray]) -> None:
    ds, _ = monthly
    stations = pd.DataFrame({"station": ["S"], "latitude": [0.0], "longitude": [0.0]})
    with pytest.raises(InputDataError, match="unknown weighting 'nearest'"):
        sample_emissions(ds, stations, weighting="nearest")  # type: ignore[arg-type]
    with pytest.raises(InputDataError, match="radii_km must be positive"):
        sample_emissions(ds, stations, radii_km=(0.0,))
    with pytest.raises(InputDataError, match="stations lack column"):
        sample_emissions(ds, stations.drop(columns="latitude"))
    with pytest.raises(InputDataError, match="open the inventory with open_emission_inventory"):
        sample_emissions(xr.Dataset(), stations)
    with pytest.raises(InputDataError, match="station codes repeat"):
        sample_emissions(ds, pd.concat([stations, stations]))
