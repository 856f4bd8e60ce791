"""Gridded emission inventories: open with CF unit checks, sample around stations.

An inventory (MEIC, EDGAR, HTAP, CAMS, REAS, ...) is a NetCDF file of emissions by
sector, species and month or year on a latitude/longitude grid. :func:`open_emission_inventory`
reads it lazily (dask), checks the CF ``units`` of every variable with pint and converts
it to one canonical unit, the emission rate of a grid cell [Mg yr⁻¹], and records the
inventory's name, version and base year in ``ds.attrs`` [1]_. :func:`sample_emissions`
sums the cells around each station with a radius weighting, using great-circle
distances and touching only the cells within :data:`CUTOFF_RADII` radii of a station.

References
----------
.. [1] ecocast style guide (``shared/docs/style.md``) §3.7: an inventory reader records
   the inventory's name, version and base year in ``ds.attrs``.
.. [2] Eaton, B. et al. NetCDF Climate and Forecast (CF) Metadata Conventions, §3.1
   (``units``), §7.2 (``cell_measures``). https://cfconventions.org
.. [3] Moritz, H. (2000) Geodetic Reference System 1980. J. Geodesy 74, 128-133: mean
   Earth radius R1 = 6371.0088 km.
"""

from __future__ import annotations

import os
import re
import tokenize
from collections.abc import Hashable, Sequence
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt
import pandas as pd
import pint
import xarray as xr

from features.emissions_table import species_key
from forecasting.errors import InputDataError

__all__ = [
    "CUTOFF_RADII",
    "EARTH_RADIUS_KM",
    "EMISSION_UNITS",
    "WEIGHTINGS",
    "Weighting",
    "haversine_km",
    "open_emission_inventory",
    "radius_weights",
    "sample_emissions",
]

Weighting = Literal["gaussian", "inverse_distance", "uniform"]
#: Radius weightings of :func:`sample_emissions`.
WEIGHTINGS: tuple[Weighting, ...] = get_args(Weighting)
#: Canonical unit of ``ds["emission"]``: emission rate of one grid cell [Mg yr⁻¹].
EMISSION_UNITS = "Mg yr-1"
#: Mean Earth radius R1 of GRS 80 [km] [3]_.
EARTH_RADIUS_KM = 6371.0088
#: Cells farther than this many radii from a station get no weight and are not read.
CUTOFF_RADII = 3.0
_TIME_DIMS = ("month", "year")
_AXES = {"latitude": ("latitude", "lat"), "longitude": ("longitude", "lon")}
_KNOWN_DIMS = frozenset({"sector", "time", *_TIME_DIMS, "latitude", "longitude"})
_NO_SECTOR = "total"
_LOAD_LIMIT_BYTES = 256 * 2**20  # cells near the stations are read at once up to this size
_FloatArray = npt.NDArray[np.float64]


def open_emission_inventory(
    path: str | os.PathLike[str],
    *,
    name: str,
    version: str,
    base_year: int,
    published: datetime | str | None = None,
    check_values: bool = True,
) -> xr.Dataset:
    """Open a gridded emission inventory (NetCDF), in canonical units, lazily.

    Parameters
    ----------
    path : path-like
        NetCDF file. Either one variable per species (the variable name, or its
        ``species`` attribute, names the species) or one variable with a ``species``
        dimension. Dimensions: optional ``sector``, optional ``month`` (1-12), ``year`` or
        CF ``time`` (12 dates of one year become ``month``, one date per year ``year``),
        and ``latitude``/``lat`` and ``longitude``/``lon`` [degrees]. Every variable needs
        a CF ``units`` attribute: a mass per time per cell (``"Mg yr-1"``, ``"t month-1"``)
        or a mass per area per time (``"kg m-2 s-1"``).
    name, version : str
        Inventory name and version, e.g. ``"MEIC"``, ``"v1.3"``.
    base_year : int
        Year the emissions describe.
    published : datetime or str, optional
        When the inventory became public (timezone-aware). Features for an issue time
        before it are NaN. Omitted: known at every issue time.
    check_values : bool, optional
        Reject negative or infinite emissions (reads the whole file once). Default True.

    Returns
    -------
    xarray.Dataset
        ``emission`` with dims ``(sector, species[, month | year], latitude, longitude)``
        [Mg yr⁻¹ per cell], dask-backed; species as :func:`species_key` (``"pm25"``);
        without a sector dimension the only sector is ``"total"``. ``attrs``: ``name``,
        ``version``, ``base_year``, ``published`` (ISO, UTC; when given), ``source_file``,
        ``emission_units`` and ``original_units``.

    Raises
    ------
    forecasting.errors.InputDataError
        For a missing or unreadable file, missing or unconvertible units, unknown
        dimensions, bad coordinates or (with ``check_values``) negative emissions.

    Notes
    -----
    Units are converted with pint, whose year is 365.25 d and month 1/12 year: a monthly
    total in [Mg month⁻¹] becomes an annualised rate (×12), not divided by the calendar
    month's length. A flux density is multiplied by the spherical cell area
    ``R² Δλ (sin φ₊ - sin φ₋)`` with cell edges midway between centres. Molar units
    ([mol s⁻¹]) are refused: the molar mass of a lumped species (NOx, NMVOC) is a
    convention of the inventory, so convert to mass first. ``"ton"`` is refused as
    ambiguous (pint reads a short ton); use ``"t"`` or ``"Mg"``.

    References
    ----------
    .. [1] CF Conventions §3.1 (units), §4.4 (time), §7.2 (cell measures).
    """
    attrs = _provenance(name, version, base_year, published)
    file = Path(path)
    if not file.is_file():
        raise InputDataError(f"{file}: no such emission inventory file")
    try:
        raw = xr.open_dataset(file, engine="netcdf4", chunks={})
    except (OSError, ValueError, RuntimeError) as exc:
        raise InputDataError(f"{file.name}: not a readable NetCDF file ({exc})") from None
    ds = _standard_axes(raw, file.name)
    pieces, units = [], []
    for species, array in _species_arrays(ds, file.name):
        piece, unit = _canonical(array, species, f"{file.name}: variable {array.name!r}")
        pieces.append(piece)
        units.append(f"{species}: {unit}")
    if len({p.dims for p in pieces}) > 1:
        raise InputDataError(
            f"{file.name}: species variables differ in dimensions "
            f"{sorted({p.dims for p in pieces})}; give every species the same dimensions"
        )
    emission = _time_axis(xr.concat(pieces, dim="species"), file.name)
    order = ("sector", "species", *_TIME_DIMS, "latitude", "longitude")
    emission = emission.transpose(*[d for d in order if d in emission.dims])
    if check_values:
        _check_values(emission, file.name)
    emission.attrs = {"units": EMISSION_UNITS, "long_name": "emission rate per grid cell"}
    attrs.update(source_file=file.name, original_units="; ".join(units))
    return xr.Dataset({"emission": emission}, attrs=attrs)


def haversine_km(
    lat1: npt.ArrayLike, lon1: npt.ArrayLike, lat2: npt.ArrayLike, lon2: npt.ArrayLike
) -> _FloatArray:
    """Great-circle distance on the sphere of radius :data:`EARTH_RADIUS_KM`.

    Parameters
    ----------
    lat1, lon1, lat2, lon2 : array_like
        Latitudes and longitudes [degrees], broadcast against each other.

    Returns
    -------
    numpy.ndarray
        Distance [km].

    Notes
    -----
    ``d = 2 R asin(sqrt(sin²(Δφ/2) + cos φ₁ cos φ₂ sin²(Δλ/2)))``.

    Examples
    --------
    >>> round(float(haversine_km(0.0, 0.0, 0.0, 1.0)), 3)
    111.195
    """
    phi1, phi2 = np.radians(lat1), np.radians(lat2)
    dphi = phi2 - phi1
    dlam = np.radians(np.asarray(lon2, dtype=np.float64) - np.asarray(lon1, dtype=np.float64))
    h = np.sin(dphi / 2) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlam / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0, 1))), np.float64)


def radius_weights(
    distance_km: npt.ArrayLike, radii_km: npt.ArrayLike, weighting: Weighting
) -> _FloatArray:
    """Weights of cells at ``distance_km`` for each radius, in [0, 1].

    Parameters
    ----------
    distance_km : array_like
        Distance from the station to cell centres [km].
    radii_km : array_like
        Radii R [km].
    weighting : {"gaussian", "inverse_distance", "uniform"}
        ``uniform``: 1 within R; ``gaussian``: ``exp(-d²/(2R²))``; ``inverse_distance``:
        ``min(1, R/d)`` (1 within R, then falling as 1/d). All are 0 beyond
        ``CUTOFF_RADII * R``.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(radii_km),) + distance.shape``; 1 at d = 0 for every weighting.
    """
    d = np.asarray(distance_km, dtype=np.float64)[np.newaxis]
    r = np.asarray(radii_km, dtype=np.float64).reshape((-1,) + (1,) * (d.ndim - 1))
    if weighting == "uniform":
        w = (d <= r).astype(np.float64)
    elif weighting == "gaussian":
        w = np.exp(-0.5 * (d / r) ** 2)
    else:
        with np.errstate(divide="ignore"):
            w = np.minimum(1.0, r / d)
    return np.where(d <= CUTOFF_RADII * r, w, 0.0)


def sample_emissions(
    ds: xr.Dataset,
    stations: pd.DataFrame,
    radii_km: Sequence[float] = (10.0, 25.0, 50.0),
    weighting: Weighting = "gaussian",
) -> pd.DataFrame:
    """Radius-weighted sums of an inventory around stations.

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`open_emission_inventory`.
    stations : pandas.DataFrame
        Columns ``station``, ``latitude``, ``longitude`` [degrees] (WGS-84).
    radii_km : sequence of float, optional
        Radii R [km]; default 10, 25 and 50 km.
    weighting : {"gaussian", "inverse_distance", "uniform"}, optional
        See :func:`radius_weights`; default ``"gaussian"``.

    Returns
    -------
    pandas.DataFrame
        Long format: ``station``, ``species``, ``sector`` (the inventory's sectors plus
        ``"total"``, their sum), ``radius_km``, ``month`` or ``year`` when the inventory
        has them, and ``emission``: ``sum(w(d) E)`` over cells [Mg yr⁻¹], where ``d`` is
        the great-circle distance from the station to a cell centre. NaN for a station
        outside the grid or without coordinates. ``attrs``: the inventory's provenance,
        ``units``, ``weighting``.

    Raises
    ------
    forecasting.errors.InputDataError
        For a dataset not from :func:`open_emission_inventory`, missing station columns,
        repeated station codes, non-positive radii or an unknown weighting.

    Notes
    -----
    For each station only the latitude/longitude box holding the cap of radius
    ``CUTOFF_RADII * max(R)`` is selected (lazily), so a national inventory is read only
    near the stations; when these cells take at most 256 MiB they are read at once.
    Missing (NaN) cells count as zero. A uniform radius smaller than the distance to the
    nearest cell centre sums nothing (0).
    """
    emission = _emission_of(ds)
    radii = _radii(radii_km)
    if weighting not in WEIGHTINGS:
        raise InputDataError(f"unknown weighting {weighting!r}; choose one of: {WEIGHTINGS}")
    codes, lat0, lon0 = _sites(stations)
    if not codes:
        raise InputDataError("stations is empty; give at least one station")
    lat = emission["latitude"].to_numpy().astype(np.float64)
    lon = emission["longitude"].to_numpy().astype(np.float64)
    cutoff = CUTOFF_RADII * radii.max()
    boxes = [_box(phi, lam, lat, lon, cutoff) for phi, lam in zip(lat0, lon0, strict=True)]
    rows = np.unique(np.concatenate([b[0] for b in boxes]))
    cols = np.unique(np.concatenate([b[1] for b in boxes]))
    near = emission.isel(latitude=rows, longitude=cols).fillna(0.0).drop_vars(_AXES)
    if near.nbytes <= _LOAD_LIMIT_BYTES:
        near = near.compute()  # one read of the cells near any station
    parts = []
    for phi, lam, (ilat, ilon) in zip(lat0, lon0, boxes, strict=True):
        distance = haversine_km(phi, lam, lat[ilat][:, np.newaxis], lon[ilon][np.newaxis, :])
        weights = xr.DataArray(
            radius_weights(distance, radii, weighting),
            dims=("radius_km", "latitude", "longitude"),
            coords={"radius_km": radii},
        )
        box = near.isel(latitude=np.searchsorted(rows, ilat), longitude=np.searchsorted(cols, ilon))
        parts.append(xr.dot(box, weights, dim=["latitude", "longitude"]))
    sums = xr.concat(parts, dim=pd.Index(codes, name="station"))
    inside = xr.DataArray(_inside(lat0, lon0, lat, lon), dims="station")
    sums = sums.where(inside.assign_coords(station=sums["station"]))
    if list(sums["sector"].values) != [_NO_SECTOR]:
        total = sums.sum("sector", min_count=1).expand_dims(sector=[_NO_SECTOR])
        sums = xr.concat([sums, total], dim="sector")
    frame = sums.compute().to_dataframe(name="emission").reset_index()
    keys = ["station", "species", "sector", "radius_km", *[d for d in _TIME_DIMS if d in sums.dims]]
    frame = pd.DataFrame(frame[[*keys, "emission"]]).sort_values(keys, ignore_index=True)
    frame.attrs = {**ds.attrs, "units": EMISSION_UNITS, "weighting": weighting}
    return frame


def _provenance(
    name: str, version: str, base_year: int, published: datetime | str | None
) -> dict[str, object]:
    if (
        not isinstance(name, str)
        or not name.strip()
        or not isinstance(version, str)
        or not (version.strip())
    ):
        raise InputDataError(f"an inventory needs a name and a version; got {name!r}, {version!r}")
    if isinstance(base_year, bool) or not isinstance(base_year, int | np.integer):
        raise InputDataError(f"base_year must be an integer year, got {base_year!r}")
    if not 1900 <= int(base_year) <= 2200:
        raise InputDataError(f"base_year={base_year} is outside 1900-2200")
    attrs: dict[str, object] = {"name": name, "version": version, "base_year": int(base_year)}
    if published is not None:
        try:
            stamp = pd.Timestamp(published)
        except (TypeError, ValueError):
            raise InputDataError(f"published {published!r} is not a date and time") from None
        if stamp.tzinfo is None:
            raise InputDataError(
                f"published {published!r} has no time zone; e.g. 2018-10-04T00:00+02:00"
            )
        attrs["published"] = stamp.tz_convert("UTC").isoformat()
    return attrs


def _standard_axes(ds: xr.Dataset, where: str) -> xr.Dataset:
    renames: dict[Hashable, str] = {}
    for axis, names in _AXES.items():
        found = [n for n in names if n in ds.dims]
        if not found:
            raise InputDataError(
                f"{where}: no {axis} dimension (looked for {', '.join(names)}); "
                f"dimensions: {', '.join(map(str, ds.dims))}"
            )
        if found[0] != axis:
            renames[found[0]] = axis
    ds = ds.rename(renames)
    for axis, limit in (("latitude", 90.0), ("longitude", 360.0)):
        values = ds[axis].to_numpy().astype(np.float64)
        steps = np.diff(values)
        if (
            not np.isfinite(values).all()
            or (np.abs(values) > limit).any()
            or not ((steps > 0).all() or (steps < 0).all())
        ):
            raise InputDataError(
                f"{where}: {axis} must be finite, within ±{limit:g} degrees and strictly "
                f"monotonic; got {values[:5]}..."
            )
    return ds


def _species_arrays(ds: xr.Dataset, where: str) -> list[tuple[str, xr.DataArray]]:
    measures = {
        m
        for v in ds.data_vars.values()
        for m in re.findall(r":\s*(\S+)", v.attrs.get("cell_measures", ""))
    }
    gridded = [
        str(n)
        for n, v in ds.data_vars.items()
        if {"latitude", "longitude"} <= set(v.dims)
        and str(n) not in measures
        and v.attrs.get("standard_name") != "cell_area"
    ]
    if not gridded:
        raise InputDataError(
            f"{where}: no emission variable on the latitude/longitude grid; "
            f"variables: {', '.join(map(str, ds.data_vars)) or 'none'}"
        )
    if not any("species" in ds[n].dims for n in gridded):
        return [(str(ds[n].attrs.get("species", n)), ds[n]) for n in gridded]
    if len(gridded) != 1:
        raise InputDataError(
            f"{where}: with a species dimension give one emission variable; found "
            f"{', '.join(gridded)}"
        )
    array = ds[gridded[0]]
    return [
        (str(s), array.isel(species=i, drop=True)) for i, s in enumerate(array["species"].values)
    ]


def _canonical(array: xr.DataArray, species: str, where: str) -> tuple[xr.DataArray, str]:
    unit = str(array.attrs.get("units", "")).strip()
    if not unit:
        raise InputDataError(
            f"{where} has no 'units' attribute; give CF units such as 'kg m-2 s-1' or 'Mg yr-1'"
        )
    extra = sorted(map(str, set(array.dims) - _KNOWN_DIMS))
    if extra:
        raise InputDataError(
            f"{where}: unknown dimension(s) {extra}; allowed: {', '.join(sorted(_KNOWN_DIMS))}"
        )
    factor, per_area = _conversion(unit, where)
    values = array.astype(np.float64) * factor
    if per_area:
        values = values * _cell_area_m2(
            array["latitude"].to_numpy(), array["longitude"].to_numpy(), where
        )
    if "sector" not in values.dims:
        values = values.expand_dims(sector=[_NO_SECTOR])
    values = values.assign_coords(sector=values["sector"].astype(str))
    return values.expand_dims(species=[species_key(species)]), unit


@cache
def _registry() -> pint.UnitRegistry[float]:
    return pint.UnitRegistry()


def _conversion(unit: str, where: str) -> tuple[float, bool]:
    """Factor to [Mg yr⁻¹]; True when the unit is per area (multiply by cell area [m²])."""
    if re.search(r"\btons?\b", unit, flags=re.IGNORECASE):
        raise InputDataError(f"{where}: unit {unit!r} is ambiguous (short or metric ton); use 't'")
    text = re.sub(r"\bkt\b", "kilotonne", unit)  # pint's "kt" is a knot
    text = re.sub(r"(?<=[A-Za-z])(-?\d+)\b", r"**\1", text)  # CF "m-2" is pint "m**-2"
    registry = _registry()
    try:
        quantity = registry.Quantity(1.0, text)
    except (pint.PintError, tokenize.TokenError, AttributeError, TypeError, ValueError):
        raise InputDataError(f"{where}: unit {unit!r} is not a CF/UDUNITS unit") from None
    if quantity.check("[mass] / [time]"):
        return float(quantity.to("Mg / year").magnitude), False
    if quantity.check("[mass] / [length] ** 2 / [time]"):
        return float((quantity * registry.meter**2).to("Mg / year").magnitude), True
    hint = (
        " (molar: convert to mass first)" if "[substance]" in str(quantity.dimensionality) else ""
    )
    raise InputDataError(
        f"{where}: unit {unit!r} is {quantity.dimensionality}{hint}; an emission must be a "
        "mass per time per cell ('Mg yr-1', 't month-1') or per area ('kg m-2 s-1')"
    )


def _cell_area_m2(lat: npt.ArrayLike, lon: npt.ArrayLike, where: str) -> xr.DataArray:
    lat_c = np.asarray(lat, dtype=np.float64)
    lon_c = np.asarray(lon, dtype=np.float64)
    if lat_c.size < 2 or lon_c.size < 2:
        raise InputDataError(f"{where}: a flux per area needs at least 2 cells on each axis")
    lat_e = np.clip(_cell_edges(lat_c), -90.0, 90.0)
    band = np.abs(np.diff(np.sin(np.radians(lat_e))))
    width = np.abs(np.diff(np.radians(_cell_edges(lon_c))))
    radius_m = EARTH_RADIUS_KM * 1000.0
    return xr.DataArray(radius_m**2 * np.outer(band, width), dims=("latitude", "longitude"))


def _cell_edges(centres: _FloatArray) -> _FloatArray:
    mid = (centres[1:] + centres[:-1]) / 2
    return np.concatenate([[2 * centres[0] - mid[0]], mid, [2 * centres[-1] - mid[-1]]])


def _time_axis(emission: xr.DataArray, where: str) -> xr.DataArray:
    present = [d for d in ("time", *_TIME_DIMS) if d in emission.dims]
    if len(present) > 1:
        raise InputDataError(f"{where}: give one of time, month, year; found {present}")
    if not present:
        return emission
    dim = present[0]
    if dim == "time":
        try:
            times = pd.DatetimeIndex(emission["time"].to_numpy())
        except (TypeError, ValueError):
            raise InputDataError(f"{where}: time is not a standard-calendar date") from None
        monthly = times.year.nunique() == 1 and sorted(times.month) == list(range(1, 13))
        if not monthly and not times.year.is_unique:
            raise InputDataError(
                f"{where}: time must be the 12 months of one year or one date per year"
            )
        dim = "month" if monthly else "year"
        values = (times.month if monthly else times.year).to_numpy()
        emission = emission.assign_coords(time=values).rename(time=dim)
    values = emission[dim].to_numpy()
    integral = np.issubdtype(values.dtype, np.number) and bool(np.all(values == np.round(values)))
    expected = (
        sorted(values) == list(range(1, 13)) if dim == "month" else len(set(values)) == len(values)
    )
    if not integral or not expected:
        raise InputDataError(
            f"{where}: {dim} must be {'the months 1-12' if dim == 'month' else 'unique years'}; "
            f"got {list(values)}"
        )
    return emission.assign_coords({dim: values.astype(np.int64)})


def _check_values(emission: xr.DataArray, where: str) -> None:
    negative = int((emission < 0).sum())
    infinite = int(np.isinf(emission).sum())
    if negative or infinite:
        raise InputDataError(
            f"{where}: {negative} negative and {infinite} infinite emission value(s); "
            "emissions must be >= 0 (NaN for missing cells)"
        )


def _emission_of(ds: xr.Dataset) -> xr.DataArray:
    if "emission" not in ds or not {"sector", "species", "latitude", "longitude"} <= set(
        ds["emission"].dims
    ):
        raise InputDataError(
            "dataset has no 'emission' variable with dims sector, species, latitude, "
            "longitude; open the inventory with open_emission_inventory"
        )
    return ds["emission"]


def _radii(radii_km: Sequence[float]) -> _FloatArray:
    radii = np.asarray(list(radii_km), dtype=np.float64)
    if radii.size == 0 or not np.isfinite(radii).all() or (radii <= 0).any():
        raise InputDataError(f"radii_km must be positive numbers [km]; got {list(radii_km)}")
    if len(np.unique(radii)) != radii.size:
        raise InputDataError(f"radii_km repeat a radius: {list(radii_km)}")
    return radii


def _sites(stations: pd.DataFrame) -> tuple[list[str], _FloatArray, _FloatArray]:
    missing = [c for c in ("station", "latitude", "longitude") if c not in stations.columns]
    if missing:
        raise InputDataError(
            f"stations lack column(s) {', '.join(missing)}; need station, latitude, longitude"
        )
    codes = stations["station"].astype(str)
    if codes.duplicated().any():
        raise InputDataError(f"station codes repeat: {sorted(set(codes[codes.duplicated()]))}")
    lat = pd.to_numeric(stations["latitude"], errors="coerce").to_numpy(np.float64)
    lon = pd.to_numeric(stations["longitude"], errors="coerce").to_numpy(np.float64)
    return codes.tolist(), lat, lon


def _wrap(degrees: _FloatArray) -> _FloatArray:
    return np.asarray((degrees + 180.0) % 360.0 - 180.0, dtype=np.float64)


def _box(
    phi: float, lam: float, lat: _FloatArray, lon: _FloatArray, cutoff_km: float
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]:
    """Return the cells whose centres may lie within ``cutoff_km`` of a point."""
    if not (np.isfinite(phi) and np.isfinite(lam)):
        return np.array([], dtype=np.intp), np.array([], dtype=np.intp)
    angle = cutoff_km / EARTH_RADIUS_KM
    dlat = np.degrees(angle)
    ilat = np.flatnonzero(np.abs(lat - phi) <= dlat + 1e-9)
    reach = np.sin(angle) / np.cos(np.radians(phi))
    if abs(phi) + dlat >= 90.0 or reach >= 1.0:
        return ilat, np.arange(lon.size)
    dlon = np.degrees(np.arcsin(reach))
    return ilat, np.flatnonzero(np.abs(_wrap(lon - lam)) <= dlon + 1e-9)


def _inside(
    lat0: _FloatArray, lon0: _FloatArray, lat: _FloatArray, lon: _FloatArray
) -> npt.NDArray[np.bool_]:
    """Whether each point lies in a grid cell (within half a spacing of a centre)."""
    half_lat = np.abs(np.diff(lat)).max() / 2 if lat.size > 1 else 0.0
    half_lon = np.abs(np.diff(lon)).max() / 2 if lon.size > 1 else 0.0
    near_lat = np.abs(lat[np.newaxis, :] - lat0[:, np.newaxis]).min(axis=1) <= half_lat + 1e-9
    near_lon = (
        np.abs(_wrap(lon[np.newaxis, :] - lon0[:, np.newaxis])).min(axis=1) <= half_lon + 1e-9
    )
    return np.asarray(near_lat & near_lon, dtype=np.bool_)
