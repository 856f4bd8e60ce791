"""Gridded fields interpolated to stations (bilinear or nearest), lazily.

The four grid nodes around each station are picked with one vectorised
(pointwise) index per axis, so a dask-backed national field is only read in
the chunks that hold those nodes. A station exactly on a grid node gets that
node's value (its weight is 1 and the other corners, even NaN ones, weigh 0).

References
----------
.. [1] Press, W. H. et al. (2007) Numerical Recipes, 3rd ed., section 3.6
   "Interpolation on a grid in multidimensions" (bilinear interpolation).
"""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr

from features.meteo_layout import wrap_longitude
from forecasting.errors import InputDataError

__all__ = ["InterpMethod", "grid_weights", "interpolate_to_stations", "station_table"]

InterpMethod = Literal["bilinear", "nearest"]
_METHODS: tuple[str, ...] = get_args(InterpMethod)
#: A bracketing cell wider than this many median spacings is a hole in the grid (outside it),
#: e.g. the seam of a regional 0-360 grid that crosses 180° after wrapping to -180..180.
_GAP_FACTOR = 20.0
_STATION_COLUMNS = ("station", "latitude", "longitude")

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def station_table(stations: pd.DataFrame) -> pd.DataFrame:
    """Check a station frame and return its ``station, latitude, longitude`` columns.

    Parameters
    ----------
    stations : pandas.DataFrame
        Station metadata (``read_stations()`` layout): ``station`` codes,
        ``latitude`` [degrees north], ``longitude`` [degrees east].

    Returns
    -------
    pandas.DataFrame
        The three columns, coordinates as float64 (NaN where unknown), index
        reset.

    Raises
    ------
    forecasting.errors.InputDataError
        For missing columns or repeated station codes.
    """
    missing = [c for c in _STATION_COLUMNS if c not in stations.columns]
    if missing:
        raise InputDataError(
            f"station frame lacks column(s) {missing}; needs {', '.join(_STATION_COLUMNS)}"
        )
    table = stations.loc[:, list(_STATION_COLUMNS)].reset_index(drop=True)
    repeated = table["station"].duplicated()
    if repeated.any():
        raise InputDataError(
            f"station frame repeats station(s) {sorted(table['station'][repeated].unique())[:5]}"
        )
    table["station"] = table["station"].astype(str)
    for column in ("latitude", "longitude"):
        table[column] = pd.to_numeric(table[column], errors="coerce").astype(np.float64)
    return table


def grid_weights(
    grid: FloatArray, points: FloatArray, *, periodic: bool = False, check_gaps: bool = False
) -> tuple[IntArray, FloatArray]:
    """Return the two bracketing node indices and linear weights of each point on one axis.

    Parameters
    ----------
    grid : ndarray of float
        Ascending node coordinates [degrees].
    points : ndarray of float
        Station coordinates [degrees]; NaN is outside.
    periodic : bool, optional
        The axis wraps every 360 degrees (a global longitude grid): points
        past the last node are bracketed by the last and the first node.
    check_gaps : bool, optional
        Treat a bracketing cell wider than 20 median spacings as outside
        (the hole left when a regional 0-360 grid crossing 180° is wrapped).

    Returns
    -------
    index : ndarray of int, shape (n, 2)
        Lower and upper node index per point (0 for points outside).
    weight : ndarray of float, shape (n, 2)
        Weights ``(1 - t, t)`` with ``t`` the fractional position; NaN for
        points outside the grid.
    """
    size = grid.size
    x = np.asarray(points, dtype=np.float64)
    if size == 1:
        inside = x == grid[0]
        index = np.zeros((x.size, 2), dtype=np.int64)
        return index, np.where(inside[:, None], np.array([[1.0, 0.0]]), np.nan)
    nodes = np.append(grid, grid[0] + 360.0) if periodic else grid
    if periodic:
        x = np.where(x < grid[0], x + 360.0, x)
    lower = np.clip(np.searchsorted(nodes, x, side="right") - 1, 0, nodes.size - 2)
    upper = lower + 1
    width = nodes[upper] - nodes[lower]
    t = (x - nodes[lower]) / width
    inside = (x >= nodes[0]) & (x <= nodes[-1])
    if check_gaps and not periodic:
        inside &= width <= _GAP_FACTOR * float(np.median(np.diff(grid))) * (1 + 1e-9)
    index = np.column_stack((lower, upper % size)).astype(np.int64)
    weight = np.column_stack((1.0 - t, t))
    return np.where(inside[:, None], index, 0), np.where(inside[:, None], weight, np.nan)


def interpolate_to_stations(
    ds: xr.Dataset, stations: pd.DataFrame, method: InterpMethod = "bilinear"
) -> xr.Dataset:
    """Interpolate canonical fields to stations.

    Parameters
    ----------
    ds : xarray.Dataset
        Canonical dataset with ascending ``latitude`` and ``longitude``
        (−180..180) dims (see :func:`features.meteo_read.open_met_dataset`).
    stations : pandas.DataFrame
        ``station``, ``latitude`` [degrees north], ``longitude`` [degrees east].
    method : {"bilinear", "nearest"}, optional
        Bilinear in latitude/longitude (default) or the nearest node (a tie at
        a cell's midpoint goes to the southern/western node).

    Returns
    -------
    xarray.Dataset
        The same variables with ``latitude, longitude`` replaced by a
        ``station`` dim (coordinates ``station``, ``latitude``,
        ``longitude`` of the stations); lazy when ``ds`` is. NaN for stations
        outside the grid or with unknown coordinates, and where a corner with
        a positive weight is NaN.

    Raises
    ------
    forecasting.errors.InputDataError
        For an unknown method, a station frame without the needed columns, or
        a dataset without latitude/longitude dims.

    Notes
    -----
    With fractional positions ``t`` (latitude) and ``s`` (longitude) in the
    cell, the value is ``(1-t)(1-s) f00 + (1-t) s f01 + t (1-s) f10 + t s f11``
    [1]_; each corner with zero weight is left out of the sum.

    References
    ----------
    .. [1] Press, W. H. et al. (2007) Numerical Recipes, 3rd ed., eq. 3.6.5.

    Examples
    --------
    >>> from features.testing import synthetic_forecast_fields
    >>> from features.meteo_read import canonicalize_met_dataset
    >>> ds = canonicalize_met_dataset(synthetic_forecast_fields(steps_h=[0]))
    >>> at = interpolate_to_stations(ds, pd.DataFrame(
    ...     {"station": ["A"], "latitude": [40.0], "longitude": [116.0]}))
    >>> bool(at.temp_air.isel(station=0, issue_time=0, step=0)
    ...      == ds.temp_air.sel(latitude=40.0, longitude=116.0).isel(issue_time=0, step=0))
    True
    """
    if method not in _METHODS:
        raise InputDataError(
            f"unknown interpolation method {method!r}; choose one of: bilinear, nearest"
        )
    for dim in ("latitude", "longitude"):
        if dim not in ds.dims:
            raise InputDataError(f"dataset has no {dim!r} dimension; open it with open_met_dataset")
    table = station_table(stations)
    lat_grid = ds["latitude"].values.astype(np.float64)
    lon_grid = ds["longitude"].values.astype(np.float64)
    lat_points = table["latitude"].to_numpy(np.float64)
    lon_points = wrap_longitude(table["longitude"].to_numpy(np.float64))
    lat_index, lat_weight = grid_weights(lat_grid, lat_points)
    lon_index, lon_weight = grid_weights(
        lon_grid, lon_points, periodic=_is_global(lon_grid), check_gaps=True
    )
    if method == "nearest":
        lat_weight, lon_weight = _nearest(lat_weight), _nearest(lon_weight)
    corner_lat = np.repeat(lat_index, 2, axis=1)
    corner_lon = np.tile(lon_index, (1, 2))
    weight = np.repeat(lat_weight, 2, axis=1) * np.tile(lon_weight, (1, 2))
    dims = ("station", "corner")
    corners = ds.isel(
        latitude=xr.DataArray(corner_lat, dims=dims), longitude=xr.DataArray(corner_lon, dims=dims)
    ).drop_vars(["latitude", "longitude"])
    weights = xr.DataArray(weight, dims=dims)
    inside = xr.DataArray(np.isfinite(weight).all(axis=1), dims="station")
    weighted = corners.map(
        lambda v: xr.where(weights > 0, v * weights, 0.0).sum("corner", skipna=False)
    )
    result = weighted.where(inside).transpose(..., "station")
    for name, variable in ds.data_vars.items():
        if name in result:
            result[name].attrs = dict(variable.attrs)
    result.attrs = dict(ds.attrs, met_interpolation=method)
    return result.assign_coords(
        station=("station", table["station"].to_numpy(dtype=object)),
        latitude=("station", lat_points),
        longitude=("station", lon_points),
    )


def _nearest(weight: FloatArray) -> FloatArray:
    upper = weight[:, 1] > 0.5
    nearest = np.column_stack((~upper, upper)).astype(np.float64)
    return np.where(np.isfinite(weight), nearest, np.nan)


def _is_global(lon: FloatArray) -> bool:
    if lon.size < 3:
        return False
    spacing = np.diff(lon)
    step = float(np.median(spacing))
    regular = bool(np.allclose(spacing, step, rtol=1e-3))
    return regular and abs(lon[-1] - lon[0] + step - 360.0) < 1e-3 * 360.0
