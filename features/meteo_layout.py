"""Canonical layout of a meteorological dataset: time axes and the latitude/longitude grid.

Forecast fields come out as dims ``(issue_time, step, ..., latitude, longitude)``
with a 2-D ``valid_time = issue_time + step`` coordinate; analyses as
``(valid_time, ..., latitude, longitude)``. Times are ``datetime64`` in UTC
without a zone (the CF convention; xarray decodes any offset in the ``units``),
steps are ``timedelta64``, latitudes ascend and longitudes ascend in
[−180, 180). Every operation is an index selection, so dask-backed data stay lazy.

Accepted forecast layouts (names resolved by :mod:`features.meteo_names`):

* ``(issue, step, lat, lon)``: ECMWF/cfgrib (``time`` is the issue time there);
* ``(step, lat, lon)`` with a scalar issue time: one cycle;
* ``(issue, valid, lat, lon)``: remapped to steps, NaN where a cycle lacks one;
* ``(valid, lat, lon)`` with a scalar or per-time ``forecast_reference_time``.

Latitude/longitude must be 1-D (a regular or Gaussian grid); curvilinear
grids are refused with a message saying to regrid first.

References
----------
.. [1] CF Conventions 1.11, sections 4.1-4.4 (coordinate types) and the
   standard names ``forecast_reference_time`` and ``forecast_period``.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
import pint
import xarray as xr

from features.meteo_names import MetNames, find_coordinate
from features.meteo_units import linear_conversion, parse_cf_unit
from forecasting.errors import InputDataError

__all__ = [
    "FORECAST_DIMS",
    "MetKind",
    "canonical_layout",
    "identify_coordinates",
    "pressure_level_coordinates",
    "wrap_longitude",
]

MetKind = Literal["forecast", "analysis"]
#: Time dimensions of a canonical forecast dataset.
FORECAST_DIMS: tuple[str, str] = ("issue_time", "step")
_HOUR_NS = 3_600_000_000_000


def identify_coordinates(ds: xr.Dataset, kind: MetKind, names: MetNames) -> dict[str, str]:
    """Find which coordinate of ``ds`` plays each canonical role.

    Parameters
    ----------
    ds : xarray.Dataset
        A dataset as opened.
    kind : {"forecast", "analysis"}
        What the dataset is.
    names : MetNames
        The name table.

    Returns
    -------
    dict of str to str
        Canonical role -> coordinate name, for the roles found. In a forecast
        without a recognised issue time, the one datetime dimension beside a
        step dimension is the issue time (the cfgrib convention, ``time`` and
        ``step``).
    """
    roles: dict[str, str] = {}
    for role in ("issue_time", "step", "valid_time", "latitude", "longitude"):
        found = find_coordinate(ds, names.coordinates[role], exclude=roles.values())
        if found is not None:
            roles[role] = found
    step = roles.get("step")
    if kind == "forecast" and "issue_time" not in roles and step in ds.dims:
        times = [
            str(d)
            for d in ds.dims
            if d != step and d in ds.coords and np.issubdtype(ds[d].dtype, np.datetime64)
        ]
        if len(times) == 1:
            roles["issue_time"] = times[0]
            if roles.get("valid_time") == times[0]:
                del roles["valid_time"]
    return roles


def pressure_level_coordinates(ds: xr.Dataset, names: MetNames) -> list[str]:
    """Return the coordinates of ``ds`` that are pressure levels convertible to hPa.

    Parameters
    ----------
    ds : xarray.Dataset
        The dataset.
    names : MetNames
        The name table (``[dims.level]``).

    Returns
    -------
    list of str
        Coordinates with a level standard name or short name whose ``units``
        convert to hPa (``isobaricInhPa`` is hPa when it has no units).
    """
    spec = names.coordinates["level"]
    found = []
    for name in map(str, ds.coords):
        attrs = ds[name].attrs
        if attrs.get("standard_name") not in spec.standard_names and name not in spec.names:
            continue
        if _level_scale(ds[name]) is not None:
            found.append(name)
    return found


def wrap_longitude(lon: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Map longitudes [degrees east] into [−180, 180), leaving values already there untouched.

    Untouched values stay bit-identical (``(x + 180) % 360 - 180`` would round
    some of them), so a station on a node still matches the node exactly.
    """
    outside = (lon < -180.0) | (lon >= 180.0)
    return np.where(outside, (lon + 180.0) % 360.0 - 180.0, lon)


def level_values_hpa(coord: xr.DataArray) -> npt.NDArray[np.float64]:
    """Return a pressure-level coordinate's values [hPa] (NaN when not a pressure)."""
    scale = _level_scale(coord)
    values = np.atleast_1d(np.asarray(coord.values, dtype=np.float64))
    return values * (np.nan if scale is None else scale)


def canonical_layout(
    ds: xr.Dataset, kind: MetKind, roles: dict[str, str], source: str
) -> xr.Dataset:
    """Rename and reorder the time axes and the grid of ``ds`` to the canonical layout.

    Parameters
    ----------
    ds : xarray.Dataset
        A dataset as opened.
    kind : {"forecast", "analysis"}
        What the dataset is.
    roles : dict of str to str
        From :func:`identify_coordinates`.
    source : str
        The file or dataset, for error messages.

    Returns
    -------
    xarray.Dataset
        Canonical dims and coordinates (see the module docstring); every other
        time coordinate is dropped.

    Raises
    ------
    forecasting.errors.InputDataError
        Naming the file and what is missing, duplicated or of the wrong shape.
    """
    for role in ("latitude", "longitude"):
        if role not in roles:
            raise InputDataError(
                f"{source}: no {role} coordinate found; expected a 1-D coordinate named one of "
                f"latitude, lat, longitude, lon or with standard_name {role!r}"
            )
    ds = _grid(ds, roles, source)
    ds = (
        _forecast_times(ds, roles, source)
        if kind == "forecast"
        else _analysis_times(ds, roles, source)
    )
    extra = [c for c in ("time", "valid_time", "step", "issue_time") if c in ds.coords]
    keep = set(FORECAST_DIMS) | {"valid_time"} if kind == "forecast" else {"valid_time"}
    return ds.drop_vars([c for c in extra if c not in keep])


# --- grid ---------------------------------------------------------------------------------


def _grid(ds: xr.Dataset, roles: dict[str, str], source: str) -> xr.Dataset:
    for role in ("latitude", "longitude"):
        name = roles[role]
        coord = ds[name]
        if coord.ndim != 1:
            raise InputDataError(
                f"{source}: coordinate {name!r} ({role}) has dims {coord.dims}; ecocast needs a "
                "regular latitude/longitude grid with 1-D coordinates; regrid curvilinear or "
                "projected fields first"
            )
        dim = coord.dims[0]
        if dim != name:
            ds = ds.swap_dims({dim: name})
        if name != role:
            ds = _drop_names(ds, [role]).rename({name: role})
    lon = ds["longitude"].values.astype(np.float64)
    wrapped = wrap_longitude(lon)
    if not np.array_equal(wrapped, lon):
        ds = ds.assign_coords(longitude=("longitude", wrapped, ds["longitude"].attrs))
    for role in ("latitude", "longitude"):
        ds = _ascending(ds, role, source, drop_duplicates=role == "longitude")
    return ds


def _ascending(
    ds: xr.Dataset, dim: str, source: str, *, drop_duplicates: bool = False
) -> xr.Dataset:
    values = ds[dim].values
    if values.size < 2 or bool(np.all(values[1:] > values[:-1])):
        return ds
    if bool(np.all(values[1:] < values[:-1])):
        return ds.isel({dim: slice(None, None, -1)})
    unique, first = np.unique(values, return_index=True)
    if unique.size < values.size and not drop_duplicates:
        repeated = pd.Series(values)[pd.Series(values).duplicated()].unique()[:5]
        raise InputDataError(
            f"{source}: coordinate {dim!r} repeats the values {list(repeated)}; each must be unique"
        )
    return ds.isel({dim: first})


# --- time axes ----------------------------------------------------------------------------


def _forecast_times(ds: xr.Dataset, roles: dict[str, str], source: str) -> xr.Dataset:
    issue, step, valid = roles.get("issue_time"), roles.get("step"), roles.get("valid_time")
    if issue is None:
        raise InputDataError(
            f"{source}: no issue (reference) time found for a forecast; expected a coordinate "
            "with standard_name 'forecast_reference_time' or named time (with step), "
            "init_time, reference_time or issue_time; open it with kind='analysis' if it is one"
        )
    _require_times(ds, issue, source)
    if step is not None and step in ds.dims:
        ds = _drop_names(ds, [valid] if valid else [])
        ds = _as_dimension(_rename_role(ds, issue, "issue_time"), "issue_time")
        ds = _as_dimension(_rename_role(ds, step, "step"), "step")
        ds = ds.assign_coords(step=_as_timedelta(ds["step"], source))
    elif valid is not None and valid in ds.dims:
        _require_times(ds, valid, source)
        ds = _valid_to_step(ds, issue, valid, source)
    else:
        raise InputDataError(
            f"{source}: a forecast needs a step (forecast_period, lead_time) or a valid-time "
            f"dimension beside the issue time {issue!r}; found dims {dict(ds.sizes)}"
        )
    for dim in FORECAST_DIMS:
        ds = _ascending(ds, dim, source)
    ds = ds.transpose(*FORECAST_DIMS, ...)
    return ds.assign_coords(valid_time=ds["issue_time"] + ds["step"])


def _analysis_times(ds: xr.Dataset, roles: dict[str, str], source: str) -> xr.Dataset:
    valid = roles.get("valid_time")
    step = roles.get("step")
    if step is not None and ds[step].size > 1 and step in ds.dims:
        raise InputDataError(
            f"{source}: dimension {step!r} has {ds[step].size} steps, so this is a forecast; "
            "open it with kind='forecast'"
        )
    if valid is None:
        raise InputDataError(
            f"{source}: no time coordinate found for an analysis; expected one with "
            "standard_name 'time' or named time or valid_time"
        )
    _require_times(ds, valid, source)
    coord = ds[valid]
    if coord.ndim == 0:
        ds = ds.expand_dims(valid)
    elif coord.dims[0] != valid:
        ds = ds.swap_dims({coord.dims[0]: valid})
    if step is not None and step in ds.dims:
        ds = ds.isel({step: 0})
    ds = _rename_role(ds, valid, "valid_time")
    ds = _ascending(ds, "valid_time", source)
    return ds.transpose("valid_time", ...)


def _valid_to_step(ds: xr.Dataset, issue: str, valid: str, source: str) -> xr.Dataset:
    valid_values = ds[valid].values.astype("datetime64[ns]")
    issue_coord = ds[issue]
    if issue_coord.ndim == 1 and issue_coord.dims[0] != valid:
        given = issue_coord.values.astype("datetime64[ns]")
        issues, first = np.unique(given, return_index=True)
        if issues.size < given.size:
            raise InputDataError(f"{source}: issue time coordinate {issue!r} repeats values")
        offsets = valid_values[None, :] - issues[:, None]
        steps = np.unique(offsets[offsets >= np.timedelta64(0, "ns")])
        target = issues[:, None] + steps[None, :]
        index = _lookup(valid_values, target)
        rows = first[:, None].repeat(steps.size, axis=1)
        picks = {str(issue_coord.dims[0]): _indexer(rows), valid: _indexer(index)}
    else:
        references = np.broadcast_to(
            issue_coord.values.astype("datetime64[ns]"), valid_values.shape
        )
        issues = np.unique(references)
        steps = np.unique(valid_values - references)
        index = np.full((issues.size, steps.size), -1, dtype=np.int64)
        i = np.searchsorted(issues, references)
        s = np.searchsorted(steps, valid_values - references)
        if pd.DataFrame({"i": i, "s": s}).duplicated().any():
            raise InputDataError(
                f"{source}: a (issue time, valid time) pair repeats along {valid!r}"
            )
        index[i, s] = np.arange(valid_values.size)
        picks = {valid: _indexer(index)}
    remapped = ds.drop_vars([issue, valid]).isel({k: v.clip(0) for k, v in picks.items()})
    if bool((index < 0).any()):
        remapped = remapped.where(xr.DataArray(index >= 0, dims=FORECAST_DIMS))
    return remapped.assign_coords(issue_time=("issue_time", issues), step=("step", steps))


def _lookup(
    sorted_values: npt.NDArray[np.datetime64], targets: npt.NDArray[np.datetime64]
) -> npt.NDArray[np.int64]:
    order = np.argsort(sorted_values, kind="stable")
    ordered = sorted_values[order]
    position = np.clip(np.searchsorted(ordered, targets), 0, max(ordered.size - 1, 0))
    found = ordered[position] == targets if ordered.size else np.zeros(targets.shape, bool)
    return np.where(found, order[position] if ordered.size else 0, -1).astype(np.int64)


def _indexer(index: npt.NDArray[np.int64]) -> xr.DataArray:
    return xr.DataArray(index, dims=FORECAST_DIMS)


def _require_times(ds: xr.Dataset, name: str, source: str) -> None:
    if not np.issubdtype(ds[name].dtype, np.datetime64):
        raise InputDataError(
            f"{source}: time coordinate {name!r} has dtype {ds[name].dtype}, not decoded times; "
            "give it CF units such as 'hours since 2024-01-01 00:00:00'"
        )


def _as_timedelta(coord: xr.DataArray, source: str) -> xr.DataArray:
    if np.issubdtype(coord.dtype, np.timedelta64):
        return coord.astype("timedelta64[ns]")
    units = coord.attrs.get("units")
    try:
        scale, _ = linear_conversion(parse_cf_unit(units), "hour")
    except (ValueError, pint.errors.DimensionalityError):
        raise InputDataError(
            f"{source}: step coordinate {coord.name!r} has units {units!r}; give a time unit "
            "such as 'hours' or store it as a timedelta"
        ) from None
    hours = np.asarray(coord.values, dtype=np.float64) * scale
    nanoseconds = np.round(hours * _HOUR_NS).astype(np.int64)
    return xr.DataArray(nanoseconds.astype("timedelta64[ns]"), dims=coord.dims, attrs={})


def _as_dimension(ds: xr.Dataset, name: str) -> xr.Dataset:
    coord = ds[name]
    if coord.ndim == 0:
        return ds.expand_dims(name)
    if coord.dims[0] != name:
        return ds.swap_dims({coord.dims[0]: name})
    return ds


def _rename_role(ds: xr.Dataset, name: str, role: str) -> xr.Dataset:
    if name == role:
        return ds
    return _drop_names(ds, [role]).rename({name: role})


def _drop_names(ds: xr.Dataset, names: list[str]) -> xr.Dataset:
    present: list[Hashable] = [n for n in names if n in ds.variables and n not in ds.dims]
    return ds.drop_vars(present)


def _level_scale(coord: xr.DataArray) -> float | None:
    units = coord.attrs.get("units")
    if units is None and coord.name == "isobaricInhPa":
        return 1.0
    try:
        return linear_conversion(parse_cf_unit(units), "hPa")[0]
    except (ValueError, pint.errors.DimensionalityError):
        return None
