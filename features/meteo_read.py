"""Reading meteorological fields (NetCDF, GRIB, Zarr) into canonical, lazy xarray datasets.

:func:`open_met_dataset` pins the engine by file suffix, opens the file lazily
(dask chunks), and :func:`canonicalize_met_dataset` brings it to the canonical
layout (:mod:`features.meteo_layout`) and the canonical variables and units of
the name table ``features/data/met_variables.toml``:

============  ===========  ===================================================
variable      unit         notes
============  ===========  ===================================================
temp_air      [°C]         2 m air temperature
dew_point     [°C]         2 m dew point
rh            [%]          2 m relative humidity
u10, v10      [m s⁻¹]      10 m wind components
wind_speed    [m s⁻¹]      10 m wind speed
wind_dir      [degree]     direction the wind blows from, clockwise from north
pressure      [hPa]        surface pressure
pressure_msl  [hPa]        mean-sea-level pressure
precip        [mm]         ``attrs["accumulation"]``: ``since_cycle_start`` or
                           ``per_step``; [mm h⁻¹] when ``rate``
blh           [m]          boundary-layer height
temp_850      [°C]         air temperature at 850 hPa
============  ===========  ===================================================

Other variables are dropped (their names are kept in
``attrs["met_ignored_variables"]``). A recognised variable without a ``units``
attribute, or with one that does not convert, raises
:class:`~forecasting.errors.InputDataError` naming the variable and the unit.

References
----------
.. [1] CF Conventions 1.11, https://cfconventions.org/ (units, standard names).
.. [2] cfgrib, https://github.com/ecmwf/cfgrib (GRIB to CF naming).
"""

from __future__ import annotations

# CPython's sqlite3 must be loaded before cfgrib/eccodes: xarray imports cfgrib whenever it
# lists its engines, and eckit (under eccodes) bundles libsqlite3 3.26, which would otherwise
# become the process's SQLite and break the store's INSERT ... RETURNING.
import sqlite3  # noqa: F401
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Any, Literal, cast, get_args

import numpy as np
import pandas as pd
import pint
import xarray as xr

from features.meteo_layout import (
    MetKind,
    canonical_layout,
    identify_coordinates,
    level_values_hpa,
    pressure_level_coordinates,
)
from features.meteo_names import VariableSpec, load_met_names, pressure_levels_of
from features.meteo_units import convert_units, parse_cf_unit, precip_conversion, unit_error
from forecasting.errors import InputDataError

__all__ = [
    "ENGINE_BY_SUFFIX",
    "FORMAT_BY_ENGINE",
    "PERFECT_PROGNOSIS",
    "Accumulation",
    "MetEngine",
    "MetKind",
    "canonicalize_met_dataset",
    "describe_met_dataset",
    "engine_for",
    "open_met_dataset",
]

MetEngine = Literal["netcdf4", "h5netcdf", "cfgrib", "zarr"]
Accumulation = Literal["since_cycle_start", "per_step", "rate"]
#: The label every perfect-prognosis input and feature carries.
PERFECT_PROGNOSIS = "perfect prognosis"
#: File suffix -> engine (``.nc`` files use netCDF4; pass engine="h5netcdf" to override).
ENGINE_BY_SUFFIX: Mapping[str, MetEngine] = {
    ".nc": "netcdf4",
    ".nc4": "netcdf4",
    ".netcdf": "netcdf4",
    ".cdf": "netcdf4",
    ".h5": "h5netcdf",
    ".grib": "cfgrib",
    ".grb": "cfgrib",
    ".grib1": "cfgrib",
    ".grib2": "cfgrib",
    ".grb2": "cfgrib",
    ".zarr": "zarr",
}
#: Engine -> catalogue format.
FORMAT_BY_ENGINE: Mapping[MetEngine, Literal["netcdf", "grib", "zarr"]] = {
    "netcdf4": "netcdf",
    "h5netcdf": "netcdf",
    "cfgrib": "grib",
    "zarr": "zarr",
}
_KINDS: tuple[str, ...] = get_args(MetKind)
_ACCUMULATIONS: tuple[str, ...] = get_args(Accumulation)


def engine_for(path: str | Path, engine: MetEngine | None = None) -> MetEngine:
    """Return the xarray engine for ``path``: ``engine`` if given, else by suffix.

    Raises
    ------
    forecasting.errors.InputDataError
        For an unknown engine or suffix, listing the valid ones.
    """
    if engine is not None:
        if engine not in FORMAT_BY_ENGINE:
            raise InputDataError(
                f"unknown engine {engine!r}; choose one of: {', '.join(FORMAT_BY_ENGINE)}"
            )
        return engine
    suffix = Path(str(path).rstrip("/")).suffix.lower()
    if suffix not in ENGINE_BY_SUFFIX:
        raise InputDataError(
            f"{path}: cannot tell the format from the suffix {suffix!r}; use one of "
            f"{', '.join(ENGINE_BY_SUFFIX)} or pass engine=..."
        )
    return ENGINE_BY_SUFFIX[suffix]


def open_met_dataset(
    path: str | Path,
    kind: MetKind = "forecast",
    engine: MetEngine | None = None,
    chunks: str | int | dict[str, int] | None = "auto",
    *,
    precip_accumulation: Accumulation | None = None,
) -> xr.Dataset:
    """Open a meteorological field file lazily in the canonical layout, variables and units.

    Parameters
    ----------
    path : str or path-like
        A NetCDF file (``.nc``), a GRIB file (``.grib``, ``.grib2``) or a Zarr
        store (``.zarr``).
    kind : {"forecast", "analysis"}, optional
        Forecast fields (issue times and steps) or analyses (valid times).
    engine : {"netcdf4", "h5netcdf", "cfgrib", "zarr"}, optional
        Overrides the engine chosen by suffix.
    chunks : str, int, dict or None, optional
        Dask chunks (default ``"auto"``); ``None`` opens without dask (still
        lazily indexed).
    precip_accumulation : {"since_cycle_start", "per_step", "rate"}, optional
        How precipitation is accumulated when the file does not say (see
        :func:`canonicalize_met_dataset`).

    Returns
    -------
    xarray.Dataset
        Canonical dataset; ``attrs`` record ``met_kind``, ``met_label``
        (``"forecast"`` or ``"perfect prognosis"``), ``met_engine``,
        ``met_format`` and ``met_path``.

    Raises
    ------
    forecasting.errors.InputDataError
        When the file is missing or unreadable, or its dims or units are not
        usable (the message names the file, variable and unit).
    """
    chosen = engine_for(path, engine)
    target = Path(path)
    if not target.exists():
        raise InputDataError(f"{path}: no such file or directory")
    try:
        ds = _open(target, chosen, chunks)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise InputDataError(f"{path}: cannot be opened with engine {chosen!r} ({exc})") from None
    canonical = canonicalize_met_dataset(
        ds, kind, source=str(path), precip_accumulation=precip_accumulation
    )
    canonical.attrs.update(
        met_engine=chosen, met_format=FORMAT_BY_ENGINE[chosen], met_path=str(target.resolve())
    )
    canonical.set_close(ds.close)
    return canonical


def canonicalize_met_dataset(
    ds: xr.Dataset,
    kind: MetKind = "forecast",
    *,
    source: str = "<dataset>",
    precip_accumulation: Accumulation | None = None,
) -> xr.Dataset:
    """Bring an opened dataset to the canonical layout, variables and units, lazily.

    Parameters
    ----------
    ds : xarray.Dataset
        As opened (any of the layouts of :mod:`features.meteo_layout`).
    kind : {"forecast", "analysis"}, optional
        What the dataset is.
    source : str, optional
        The file or dataset, for error messages.
    precip_accumulation : {"since_cycle_start", "per_step", "rate"}, optional
        Precipitation convention. Default: the variable's ``accumulation``
        attribute, else the name table's default for ``kind``
        (``since_cycle_start`` for forecasts, ``per_step`` for analyses). A
        unit per time (``kg m-2 s-1``, ``mm h-1``) always means ``rate``.

    Returns
    -------
    xarray.Dataset
        Canonical variables (see the module table), dims and coordinates.

    Raises
    ------
    forecasting.errors.InputDataError
        For an unknown kind, unusable dims, or a missing/unconvertible unit.
    """
    if kind not in _KINDS:
        raise InputDataError(f"unknown dataset kind {kind!r}; choose one of: {', '.join(_KINDS)}")
    if precip_accumulation is not None and precip_accumulation not in _ACCUMULATIONS:
        raise InputDataError(
            f"unknown precipitation accumulation {precip_accumulation!r}; choose one of: "
            f"{', '.join(_ACCUMULATIONS)}"
        )
    names = load_met_names()
    roles = identify_coordinates(ds, kind, names)
    layout = canonical_layout(ds, kind, roles, source)
    levels = pressure_level_coordinates(layout, names)
    variables: dict[Hashable, xr.DataArray] = {}
    claimed: set[str] = set()
    for spec in names.variables.values():
        original = _match(layout, spec, levels, claimed)
        if original is None:
            continue
        claimed.add(original)
        array = _surface_or_level(layout, original, spec, levels, source)
        variables[spec.name] = _converted(array, spec, kind, source, precip_accumulation)
    time_dims = ("issue_time", "step") if kind == "forecast" else ("valid_time",)
    coords = {c: layout[c] for c in (*time_dims, "latitude", "longitude")}
    if kind == "forecast":
        coords["valid_time"] = layout["valid_time"]
    ignored = sorted(str(v) for v in layout.data_vars if str(v) not in claimed)
    attrs = {k: v for k, v in ds.attrs.items() if isinstance(v, str | int | float)}
    attrs.update(
        met_kind=kind,
        met_label="forecast" if kind == "forecast" else PERFECT_PROGNOSIS,
        met_names_source=names.source_id,
        met_source=source,
        met_ignored_variables=",".join(ignored),
    )
    return xr.Dataset(variables, coords=coords, attrs=attrs)


# --- opening ------------------------------------------------------------------------------


def _open(path: Path, engine: MetEngine, chunks: Any) -> xr.Dataset:
    if engine == "cfgrib":
        return _open_grib(path, chunks)
    return xr.open_dataset(path, engine=engine, chunks=chunks, decode_timedelta=False)


def _open_grib(path: Path, chunks: Any) -> xr.Dataset:
    # cfgrib.open_dataset skips (with a logged error) variables whose level type
    # clashes, e.g. 2t at 2 m beside 10u at 10 m; open_datasets splits them instead.
    import cfgrib  # noqa: PLC0415 - only needed for GRIB

    parts = cfgrib.open_datasets(str(path), backend_kwargs={"indexpath": ""}, chunks=chunks)
    if not parts:
        raise InputDataError(f"{path}: no GRIB messages that cfgrib can read")
    return xr.merge(
        [_levels_as_dims(p) for p in parts],
        compat="override",
        join="outer",
        combine_attrs="drop_conflicts",
    )


def _levels_as_dims(ds: xr.Dataset) -> xr.Dataset:
    """Turn a GRIB part's scalar level into a dimension (pressure) or drop it (heights)."""
    names = load_met_names()
    levels = pressure_level_coordinates(ds, names)
    scalars = [
        str(c)
        for c in ds.coords
        if ds[c].ndim == 0 and str(c) not in ("time", "step", "valid_time")
    ]
    ds = ds.drop_vars([c for c in scalars if c not in levels])
    for level in levels:
        if ds[level].ndim == 0:
            ds = ds.expand_dims(level)
    return ds


# --- variables ----------------------------------------------------------------------------


def _match(ds: xr.Dataset, spec: VariableSpec, levels: list[str], claimed: set[str]) -> str | None:
    free = [str(v) for v in ds.data_vars if str(v) not in claimed]
    fits = [v for v in free if _level_fits(ds, v, spec, levels)]
    by_standard = [v for v in fits if ds[v].attrs.get("standard_name") in spec.standard_names]
    if by_standard:
        order = {n: i for i, n in enumerate(spec.names)}
        return min(by_standard, key=lambda v: order.get(v, len(order)))
    return next((n for n in spec.names if n in fits), None)


def _level_fits(ds: xr.Dataset, variable: str, spec: VariableSpec, levels: list[str]) -> bool:
    attached = pressure_levels_of(ds, variable, levels)
    if spec.level_hpa is None:
        return not attached
    return any(bool(np.isclose(level_values_hpa(ds[c]), spec.level_hpa).any()) for c in attached)


def _surface_or_level(
    ds: xr.Dataset, name: str, spec: VariableSpec, levels: list[str], source: str
) -> xr.DataArray:
    array = ds[name]
    if spec.level_hpa is not None:
        for coord in pressure_levels_of(ds, name, levels):
            hits = np.flatnonzero(np.isclose(level_values_hpa(array[coord]), spec.level_hpa))
            if hits.size:
                array = array.isel({coord: int(hits[0])}) if coord in array.dims else array
                array = array.drop_vars(coord)
                break
    allowed = {"issue_time", "step", "valid_time", "latitude", "longitude"}
    for dim in [d for d in array.dims if d not in allowed]:
        if array.sizes[dim] != 1:
            raise InputDataError(
                f"{source}: variable {array.name!r} ({spec.name}) has the extra dimension "
                f"{dim!r} of size {array.sizes[dim]}; ecocast reads one member and level per "
                f"variable; select one first, e.g. ds.isel({dim}=0)"
            )
        array = array.isel({dim: 0})
    scalars = [c for c in array.coords if array[c].ndim == 0 and c not in allowed]
    return array.drop_vars(scalars)


def _converted(
    array: xr.DataArray,
    spec: VariableSpec,
    kind: MetKind,
    source: str,
    precip_accumulation: Accumulation | None,
) -> xr.DataArray:
    what = f"{array.name!r} ({spec.name})"
    if spec.rate_units is None:
        converted = convert_units(array, spec.units, what=what, source=source)
    else:
        converted = _converted_precip(array, spec, kind, what, source, precip_accumulation)
    converted.attrs.update(
        long_name=spec.long_name, original_name=str(array.name), canonical_name=spec.name
    )
    return converted.rename(spec.name)


def _converted_precip(
    array: xr.DataArray,
    spec: VariableSpec,
    kind: MetKind,
    what: str,
    source: str,
    explicit: Accumulation | None,
) -> xr.DataArray:
    units = array.attrs.get("units")
    rate_units = cast(str, spec.rate_units)
    try:
        scale, form = precip_conversion(parse_cf_unit(units), spec.units, rate_units)
    except (ValueError, pint.errors.DimensionalityError) as exc:
        raise unit_error(what, units, f"{spec.units} or {rate_units}", source, exc) from None
    given = array.attrs.get("accumulation")
    accumulation = (
        "rate"
        if form == "rate"
        else explicit or (given if given in _ACCUMULATIONS else spec.accumulation.get(kind))
    )
    if accumulation not in _ACCUMULATIONS or (
        kind == "analysis" and accumulation == "since_cycle_start"
    ):
        raise InputDataError(
            f"{source}: precipitation {what} in {units!r} with accumulation {accumulation!r} is "
            f"not usable for {kind} fields; choose per_step (or since_cycle_start for a forecast)"
        )
    if accumulation == "rate" and form != "rate":
        raise InputDataError(
            f"{source}: precipitation {what} has the amount unit {units!r}, not a rate; "
            "choose accumulation since_cycle_start or per_step"
        )
    attrs = dict(array.attrs)
    converted = array.copy(deep=False) if scale == 1.0 else array * scale
    converted.attrs = {
        **attrs,
        "units": rate_units if form == "rate" else spec.units,
        "original_units": str(units),
        "accumulation": accumulation,
    }
    return converted


def describe_met_dataset(ds: xr.Dataset) -> dict[str, Any]:
    """Summarise a canonical dataset for the store catalogue (reads coordinates only).

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`open_met_dataset` or :func:`canonicalize_met_dataset`.

    Returns
    -------
    dict
        ``kind``, ``format``, ``issue_times`` (timezone-aware UTC datetimes:
        the cycles of a forecast, the valid times of an analysis),
        ``variables`` (canonical names) and JSON-serialisable ``attrs``
        (label, engine, grid extent and size, steps [h], units and original
        names per variable, precipitation accumulation).
    """
    kind = str(ds.attrs.get("met_kind", "forecast" if "issue_time" in ds.dims else "analysis"))
    times = ds["issue_time" if kind == "forecast" else "valid_time"].values
    issue_times = [t.to_pydatetime() for t in pd.DatetimeIndex(times).tz_localize("UTC")]
    lat, lon = ds["latitude"].values, ds["longitude"].values
    variables = {str(n): v for n, v in ds.data_vars.items()}
    attrs: dict[str, Any] = {
        "label": str(ds.attrs.get("met_label", "")),
        "engine": str(ds.attrs.get("met_engine", "")),
        "grid": {
            "latitude": [float(lat.min()), float(lat.max()), int(lat.size)],
            "longitude": [float(lon.min()), float(lon.max()), int(lon.size)],
        },
        "units": {n: str(v.attrs.get("units", "")) for n, v in variables.items()},
        "original_names": {n: str(v.attrs.get("original_name", n)) for n, v in variables.items()},
        "ignored_variables": [
            v for v in str(ds.attrs.get("met_ignored_variables", "")).split(",") if v
        ],
    }
    if kind == "forecast":
        attrs["steps_h"] = [float(s) for s in ds["step"].values / np.timedelta64(1, "h")]
    if "precip" in variables:
        attrs["precip_accumulation"] = str(variables["precip"].attrs.get("accumulation", ""))
    for key in ("title", "institution", "source", "Conventions"):
        if key in ds.attrs:
            attrs[key] = str(ds.attrs[key])
    return {
        "kind": kind,
        "format": str(ds.attrs.get("met_format", "")),
        "issue_times": issue_times,
        "variables": sorted(variables),
        "attrs": attrs,
    }
