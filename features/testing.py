"""Synthetic CF-conventions meteorological fields for tests (this project's and others').

:func:`synthetic_forecast_fields` builds an ECMWF/cfgrib-style forecast
dataset (dims ``time`` = issue time, ``step``, descending ``latitude``,
``longitude``; variables ``t2m``, ``d2m`` [K], ``u10``, ``v10`` [m s⁻¹],
``sp``, ``msl`` [Pa], ``tp`` [m, accumulated since the cycle start], ``blh``
[m] and ``t`` at 850 hPa [K]) and :func:`synthetic_analysis` an ERA5-style
analysis (dim ``valid_time``; ``tp`` is the amount of the preceding hour).
Values are smooth deterministic functions of valid hour, cycle, step and
position whose phases come from ``seed``, so every value can be recomputed:
the precipitation rate is ``0.5 * (1 + s)`` [mm h⁻¹] with ``s`` the spatial
pattern in [−1, 1], whatever the step. With ``chunks`` the data are dask
arrays generated lazily, so a national kilometre-scale grid costs nothing
until it is indexed. :func:`write_synthetic_grib` writes such fields as GRIB2
messages with the ``eccodes`` API.

References
----------
.. [1] CF Conventions 1.11, https://cfconventions.org/.
.. [2] ECMWF parameter database, https://codes.ecmwf.int/grib/param-db/.
"""

from __future__ import annotations

# CPython's sqlite3 must be loaded before cfgrib/eccodes: xarray imports cfgrib whenever it
# lists its engines, and eckit (under eccodes) bundles libsqlite3 3.26, which would otherwise
# become the process's SQLite and break the store's INSERT ... RETURNING.
import sqlite3  # noqa: F401
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

__all__ = [
    "DEFAULT_ISSUE_TIMES",
    "synthetic_analysis",
    "synthetic_forecast_fields",
    "write_synthetic_grib",
]

#: Default cycles: 00 and 12 UTC on 2024-01-01 and 2024-01-02.
DEFAULT_ISSUE_TIMES: tuple[str, ...] = (
    "2024-01-01T00:00",
    "2024-01-01T12:00",
    "2024-01-02T00:00",
    "2024-01-02T12:00",
)
_KELVIN = 273.15
_FORECAST_ATTRS: dict[str, dict[str, str]] = {
    "t2m": {"units": "K", "standard_name": "air_temperature", "long_name": "2 metre temperature"},
    "d2m": {
        "units": "K",
        "standard_name": "dew_point_temperature",
        "long_name": "2 metre dewpoint",
    },
    "u10": {"units": "m s**-1", "standard_name": "eastward_wind", "long_name": "10 metre U wind"},
    "v10": {"units": "m s**-1", "standard_name": "northward_wind", "long_name": "10 metre V wind"},
    "sp": {"units": "Pa", "standard_name": "surface_air_pressure", "long_name": "Surface pressure"},
    "msl": {
        "units": "Pa",
        "standard_name": "air_pressure_at_mean_sea_level",
        "long_name": "Mean sea level pressure",
    },
    "tp": {"units": "m", "long_name": "Total precipitation"},
    "blh": {"units": "m", "long_name": "Boundary layer height"},
    "t": {"units": "K", "standard_name": "air_temperature", "long_name": "Temperature"},
}
#: GRIB2 (shortName, typeOfLevel, level) of the variables :func:`write_synthetic_grib` writes.
_GRIB_KEYS: dict[str, tuple[str, str, int]] = {
    "t2m": ("2t", "heightAboveGround", 2),
    "d2m": ("2d", "heightAboveGround", 2),
    "u10": ("10u", "heightAboveGround", 10),
    "v10": ("10v", "heightAboveGround", 10),
    "sp": ("sp", "surface", 0),
    "msl": ("msl", "meanSea", 0),
}


def synthetic_forecast_fields(
    *,
    issue_times: Sequence[str | pd.Timestamp] | pd.DatetimeIndex = DEFAULT_ISSUE_TIMES,
    steps_h: Sequence[int] = tuple(range(0, 73)),
    latitudes: Sequence[float] | None = None,
    longitudes: Sequence[float] | None = None,
    seed: int = 0,
    chunks: Mapping[str, int] | None = None,
) -> xr.Dataset:
    """Return a synthetic CF forecast dataset in ECMWF/cfgrib naming.

    Parameters
    ----------
    issue_times : sequence of str or Timestamp, optional
        Cycles (UTC; naive values are read as UTC). Default
        :data:`DEFAULT_ISSUE_TIMES`.
    steps_h : sequence of int, optional
        Forecast steps [h]; default 0-72 hourly.
    latitudes : sequence of float, optional
        Grid latitudes [degrees north] in file order; default 42.0 down to
        38.0 by 0.25 (descending, as ECMWF writes them).
    longitudes : sequence of float, optional
        Grid longitudes [degrees east] (0-360 allowed); default 114.0 to
        119.0 by 0.25.
    seed : int, optional
        Chooses the phases of the patterns (deterministic).
    chunks : mapping of str to int, optional
        Dask chunks per dim (``time``, ``step``, ``latitude``, ``longitude``);
        ``None`` gives numpy arrays.

    Returns
    -------
    xarray.Dataset
        Dims ``(time, step, latitude, longitude)`` (``t`` also has
        ``isobaricInhPa`` = [850]), a 2-D ``valid_time`` coordinate, float32
        variables with CF ``units`` and, where CF has one, ``standard_name``.

    Examples
    --------
    >>> ds = synthetic_forecast_fields(steps_h=[0, 6], latitudes=[40.0, 39.0], longitudes=[116.0])
    >>> ds["t2m"].dims, ds["t2m"].shape
    (('time', 'step', 'latitude', 'longitude'), (4, 2, 2, 1))
    """
    cycles = _utc_naive(issue_times)
    steps = pd.to_timedelta(np.asarray(steps_h, dtype=np.int64), unit="h").to_numpy(
        "timedelta64[ns]"
    )
    lat = np.asarray(np.arange(42.0, 37.99, -0.25) if latitudes is None else latitudes, float)
    lon = np.asarray(np.arange(114.0, 119.01, 0.25) if longitudes is None else longitudes, float)
    coords = _grid_coords(lat, lon)
    coords["time"] = ("time", cycles, {"standard_name": "forecast_reference_time"})
    coords["step"] = ("step", steps, {"standard_name": "forecast_period"})
    axes = {
        "cycle_h": _axis("time", _hours(cycles), chunks),
        "step_h": _axis("step", np.asarray(steps_h, dtype=np.float64), chunks),
        "lat": _axis("latitude", lat, chunks),
        "lon": _axis("longitude", lon, chunks),
    }
    values = _values(axes, np.random.default_rng(seed).uniform(0.0, 2.0 * np.pi, 6), forecast=True)
    ds = _dataset(values, coords, ("time", "step", "latitude", "longitude"))
    ds["t"] = ds["t"].expand_dims(isobaricInhPa=[850.0])
    ds["isobaricInhPa"].attrs.update(units="hPa", standard_name="air_pressure")
    valid = ds["time"] + ds["step"]
    valid.attrs = {"standard_name": "time"}
    ds.attrs.update(Conventions="CF-1.7", institution="ecocast synthetic test fields")
    return ds.assign_coords(valid_time=valid)


def synthetic_analysis(
    *,
    valid_times: Sequence[str | pd.Timestamp] | pd.DatetimeIndex | None = None,
    latitudes: Sequence[float] | None = None,
    longitudes: Sequence[float] | None = None,
    seed: int = 0,
    chunks: Mapping[str, int] | None = None,
) -> xr.Dataset:
    """Return a synthetic CF analysis (ERA5 netCDF style) on the grid of the forecasts.

    Parameters
    ----------
    valid_times : sequence of str or Timestamp, optional
        Analysis times (UTC); default hourly 2024-01-01T00 to 2024-01-04T23.
    latitudes, longitudes : sequence of float, optional
        As in :func:`synthetic_forecast_fields`.
    seed : int, optional
        Chooses the phases of the patterns.
    chunks : mapping of str to int, optional
        Dask chunks per dim (``valid_time``, ``latitude``, ``longitude``).

    Returns
    -------
    xarray.Dataset
        Dims ``(valid_time, latitude, longitude)``; ``t2m``, ``d2m`` [K],
        ``u10``, ``v10`` [m s⁻¹], ``sp`` [Pa], ``tp`` [m, amount of the
        preceding hour], ``blh`` [m].
    """
    default = pd.date_range("2024-01-01", periods=96, freq="h")
    times = _utc_naive(default if valid_times is None else valid_times)
    lat = np.asarray(np.arange(42.0, 37.99, -0.25) if latitudes is None else latitudes, float)
    lon = np.asarray(np.arange(114.0, 119.01, 0.25) if longitudes is None else longitudes, float)
    coords = _grid_coords(lat, lon)
    coords["valid_time"] = ("valid_time", times, {"standard_name": "time"})
    axes = {
        "cycle_h": _axis("valid_time", _hours(times), chunks),
        "step_h": xr.DataArray(0.0),
        "lat": _axis("latitude", lat, chunks),
        "lon": _axis("longitude", lon, chunks),
    }
    values = _values(axes, np.random.default_rng(seed).uniform(0.0, 2.0 * np.pi, 6), forecast=False)
    values = {
        k: v for k, v in values.items() if k in ("t2m", "d2m", "u10", "v10", "sp", "tp", "blh")
    }
    ds = _dataset(values, coords, ("valid_time", "latitude", "longitude"))
    ds.attrs.update(Conventions="CF-1.7", institution="ecocast synthetic test fields")
    return ds


def write_synthetic_grib(ds: xr.Dataset, path: str | Path) -> Path:
    """Write the instantaneous surface variables of a synthetic forecast as GRIB2.

    Parameters
    ----------
    ds : xarray.Dataset
        From :func:`synthetic_forecast_fields`, on a regular grid (latitude
        descending); ``t2m``, ``d2m``, ``u10``, ``v10``, ``sp`` and ``msl``
        are written, one message per cycle, step and variable.
    path : str or path-like
        The GRIB file to write.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    import eccodes  # noqa: PLC0415 - only needed to write GRIB

    lat, lon = ds["latitude"].values, ds["longitude"].values
    target = Path(path)
    with target.open("wb") as handle:
        for ci, cycle in enumerate(pd.DatetimeIndex(ds["time"].values)):
            for si, step in enumerate(pd.TimedeltaIndex(ds["step"].values)):
                for name, (short, level_type, level) in _GRIB_KEYS.items():
                    if name not in ds:
                        continue
                    gid = eccodes.codes_grib_new_from_samples("regular_ll_sfc_grib2")
                    keys: dict[str, Any] = {
                        "Ni": lon.size,
                        "Nj": lat.size,
                        "latitudeOfFirstGridPointInDegrees": float(lat[0]),
                        "latitudeOfLastGridPointInDegrees": float(lat[-1]),
                        "longitudeOfFirstGridPointInDegrees": float(lon[0]),
                        "longitudeOfLastGridPointInDegrees": float(lon[-1]),
                        "iDirectionIncrementInDegrees": float(abs(lon[1] - lon[0])),
                        "jDirectionIncrementInDegrees": float(abs(lat[1] - lat[0])),
                        "dataDate": int(cycle.strftime("%Y%m%d")),
                        "dataTime": int(cycle.strftime("%H%M")),
                        "stepUnits": 1,
                        "forecastTime": int(step / pd.Timedelta(hours=1)),
                        "typeOfLevel": level_type,
                        "level": level,
                        "shortName": short,
                    }
                    for key, value in keys.items():
                        eccodes.codes_set(gid, key, value)
                    field = np.asarray(ds[name].isel(time=ci, step=si).values, dtype=np.float64)
                    eccodes.codes_set_values(gid, field.ravel())
                    eccodes.codes_write(gid, handle)
                    eccodes.codes_release(gid)
    return target


# --- helpers ------------------------------------------------------------------------------


def _utc_naive(times: Sequence[str | pd.Timestamp] | pd.DatetimeIndex) -> np.ndarray[Any, Any]:
    index = pd.DatetimeIndex([pd.Timestamp(t) for t in times])
    if index.tz is not None:
        index = index.tz_convert("UTC").tz_localize(None)
    return index.to_numpy("datetime64[ns]")


def _hours(times: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    return (times - np.datetime64("2024-01-01T00:00", "ns")) / np.timedelta64(1, "h")


def _grid_coords(lat: np.ndarray[Any, Any], lon: np.ndarray[Any, Any]) -> dict[str, Any]:
    return {
        "latitude": ("latitude", lat, {"units": "degrees_north", "standard_name": "latitude"}),
        "longitude": ("longitude", lon, {"units": "degrees_east", "standard_name": "longitude"}),
    }


def _axis(dim: str, values: np.ndarray[Any, Any], chunks: Mapping[str, int] | None) -> xr.DataArray:
    axis = xr.DataArray(np.asarray(values, dtype=np.float64), dims=dim)
    if chunks is not None:
        axis = axis.chunk({dim: chunks.get(dim, -1)})
    return axis


def _values(
    axes: dict[str, xr.DataArray], phase: np.ndarray[Any, Any], *, forecast: bool
) -> dict[str, xr.DataArray]:
    hour = (axes["cycle_h"] + axes["step_h"]) % 24.0
    day = 2.0 * np.pi * hour / 24.0
    step_h = axes["step_h"]
    spatial = np.sin(np.deg2rad(axes["lat"]) * 40.0 + phase[0]) * np.cos(
        np.deg2rad(axes["lon"]) * 30.0 + phase[1]
    )
    cycle = 0.3 * np.sin(axes["cycle_h"] / 7.0 + phase[2]) if forecast else 0.0
    temp = 5.0 + 8.0 * np.sin(day + phase[3]) + 3.0 * spatial + cycle + 0.02 * step_h
    surface = 1010.0 + 5.0 * spatial + 0.05 * step_h
    rate = 0.5 * (1.0 + spatial)
    return {
        "t2m": temp + _KELVIN,
        "d2m": temp - (4.0 + 2.0 * (1.0 + spatial)) + _KELVIN,
        "u10": 3.0 * np.cos(day + phase[4]) + spatial,
        "v10": 2.0 * np.sin(day + phase[4]) - spatial,
        "sp": surface * 100.0,
        "msl": (surface + 3.0) * 100.0,
        "tp": rate * (step_h if forecast else 1.0) / 1000.0,
        "blh": 600.0 + 400.0 * np.sin(day + phase[5]) + 100.0 * spatial,
        "t": temp - 10.0 + 2.0 * spatial + _KELVIN,
    }


def _dataset(
    values: dict[str, xr.DataArray], coords: dict[str, Any], dims: tuple[str, ...]
) -> xr.Dataset:
    template = sum((a * 0.0 for a in values.values()), xr.DataArray(0.0))
    data = {
        name: (array + template)
        .transpose(*dims)
        .astype(np.float32)
        .assign_attrs(_FORECAST_ATTRS[name])
        for name, array in values.items()
    }
    return xr.Dataset(data, coords=coords)
