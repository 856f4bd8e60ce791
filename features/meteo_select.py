"""Which forecast cycle and step an issue time may use: never a cycle not yet published.

A forecast centre publishes a cycle hours after its nominal (initialisation)
time. For an ecocast issue at time ``T`` the usable cycles are those with
``cycle + availability_delay <= T``; the latest of them is used, at step
``valid_time - cycle``. When that cycle lacks the step (or, for station
features, has no data there) an earlier usable cycle at a longer step stands
in, up to ``max_fallback_cycles`` cycles back; a later cycle never does.

The delay is configuration, not a standard: :data:`DEFAULT_AVAILABILITY_DELAY`
(6 h) is a conservative figure for global models (the ECMWF HRES 00 UTC
dissemination starts about 6-7 h after the nominal time, NCEP GFS about
3.5-5 h); set it per product.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import xarray as xr

from forecasting.errors import InputDataError

__all__ = [
    "DEFAULT_AVAILABILITY_DELAY",
    "DEFAULT_MAX_FALLBACK_CYCLES",
    "candidate_cycle",
    "fields_at_leads",
    "lookup_exact",
    "select_cycle",
    "utc_nanoseconds",
]

#: Time from a cycle's nominal time until it can be used (configuration; see module notes).
DEFAULT_AVAILABILITY_DELAY = pd.Timedelta(hours=6)
#: How many earlier cycles may stand in for one that lacks a step.
DEFAULT_MAX_FALLBACK_CYCLES = 2

TimeArray = npt.NDArray[np.datetime64]
IntArray = npt.NDArray[np.int64]
TimesLike = Sequence[datetime | str | pd.Timestamp] | pd.DatetimeIndex | pd.Series


def utc_nanoseconds(times: TimesLike | datetime | str, what: str) -> TimeArray:
    """Return timezone-aware times as naive UTC ``datetime64[ns]`` (the CF convention).

    Raises
    ------
    forecasting.errors.InputDataError
        For times without a time zone or that do not parse.
    """
    given: list[Any] = [times] if isinstance(times, datetime | str) else list(times)
    try:
        index = pd.DatetimeIndex([pd.Timestamp(t) for t in given])
    except (ValueError, TypeError) as exc:
        raise InputDataError(f"{what}: cannot read the times ({exc})") from None
    if index.size and index.tz is None:
        raise InputDataError(
            f"{what}: times must be timezone-aware (UTC inside ecocast); got naive "
            f"{index[0].isoformat()}; attach a zone, e.g. pd.Timestamp(..., tz='UTC')"
        )
    if index.size:
        index = index.tz_convert("UTC").tz_localize(None)
    return index.to_numpy("datetime64[ns]")


def lookup_exact(
    sorted_values: npt.NDArray[np.generic], targets: npt.NDArray[np.generic]
) -> IntArray:
    """Index of each target in an ascending array, −1 where it is absent (NaT never matches)."""
    if sorted_values.size == 0:
        return np.full(targets.shape, -1, dtype=np.int64)
    position = np.clip(np.searchsorted(sorted_values, targets), 0, sorted_values.size - 1)
    found = sorted_values[position] == targets
    return np.where(found, position, -1).astype(np.int64)


def candidate_cycle(
    cycles: TimeArray,
    issue_at: TimeArray,
    availability_delay: pd.Timedelta,
    rank: int = 0,
) -> IntArray:
    """Index of the ``rank``-th latest usable cycle for each issue time (−1 where none).

    Parameters
    ----------
    cycles : ndarray of datetime64[ns]
        The dataset's cycle (issue) times, ascending, naive UTC.
    issue_at : ndarray of datetime64[ns]
        ecocast issue times ``T``, naive UTC.
    availability_delay : pandas.Timedelta
        Time from a cycle's nominal time until it is published (>= 0).
    rank : int, optional
        0 for the latest usable cycle, 1 for the one before, ...

    Returns
    -------
    ndarray of int
        Index into ``cycles``; every cycle returned satisfies
        ``cycle + availability_delay <= T``.
    """
    delay = np.timedelta64(int(pd.Timedelta(availability_delay).value), "ns")
    usable = np.searchsorted(cycles + delay, issue_at, side="right")
    index = usable - 1 - rank
    return np.where(index >= 0, index, -1).astype(np.int64)


def select_cycle(
    ds: xr.Dataset,
    issue_time: datetime | str,
    *,
    availability_delay: pd.Timedelta = DEFAULT_AVAILABILITY_DELAY,
) -> xr.Dataset:
    """Return the latest cycle of ``ds`` that was published by ``issue_time``.

    Parameters
    ----------
    ds : xarray.Dataset
        Canonical forecast dataset (``issue_time`` and ``step`` dims).
    issue_time : datetime or str
        The ecocast issue time ``T`` (timezone-aware).
    availability_delay : pandas.Timedelta, optional
        A cycle is usable when ``cycle + availability_delay <= T``; default
        :data:`DEFAULT_AVAILABILITY_DELAY`.

    Returns
    -------
    xarray.Dataset
        ``ds`` at that cycle (``issue_time`` becomes a scalar coordinate).

    Raises
    ------
    forecasting.errors.InputDataError
        When no cycle is usable, naming ``T``, the delay and the first cycle.
    """
    cycles = _cycles(ds)
    delay = _delay(availability_delay)
    index = int(candidate_cycle(cycles, utc_nanoseconds(issue_time, "issue_time"), delay)[0])
    if index < 0:
        first = str(cycles[0]) if cycles.size else "none"
        raise InputDataError(
            f"no cycle published by issue time {issue_time} (availability delay {delay}); "
            f"the first cycle in the dataset is {first}"
        )
    return ds.isel(issue_time=index)


def fields_at_leads(
    ds: xr.Dataset,
    issue_time: datetime | str,
    valid_times: TimesLike,
    *,
    availability_delay: pd.Timedelta = DEFAULT_AVAILABILITY_DELAY,
    max_fallback_cycles: int = DEFAULT_MAX_FALLBACK_CYCLES,
) -> xr.Dataset:
    """Fields valid at ``valid_times`` from the cycle usable at ``issue_time``.

    Parameters
    ----------
    ds : xarray.Dataset
        Canonical forecast dataset (``issue_time``, ``step`` and any other
        dims: a grid or stations).
    issue_time : datetime or str
        The ecocast issue time ``T`` (timezone-aware).
    valid_times : sequence of datetime
        Timezone-aware valid times, e.g. ``T + (lead_h - 1) h``.
    availability_delay : pandas.Timedelta, optional
        See :func:`select_cycle`.
    max_fallback_cycles : int, optional
        Earlier usable cycles tried, in turn, when the latest lacks a step.

    Returns
    -------
    xarray.Dataset
        Dim ``valid_time`` (timezone-naive UTC) in place of ``issue_time``
        and ``step``; coordinates ``cycle`` and ``step`` per valid time (NaT
        where none); data variable ``met_available`` (bool) per valid time;
        the fields are NaN where it is False. Lazy when ``ds`` is.
    """
    cycles, steps = _cycles(ds), ds["step"].values.astype("timedelta64[ns]")
    valid = utc_nanoseconds(valid_times, "valid_times")
    issue = np.repeat(utc_nanoseconds(issue_time, "issue_time"), valid.size)
    delay = _delay(availability_delay)
    chosen_cycle = np.full(valid.size, -1, dtype=np.int64)
    chosen_step = np.full(valid.size, -1, dtype=np.int64)
    for rank in range(max(0, int(max_fallback_cycles)) + 1):
        cycle = candidate_cycle(cycles, issue, delay, rank)
        step = np.where(cycle >= 0, lookup_exact(steps, valid - cycles[cycle.clip(0)]), -1)
        take = (chosen_step < 0) & (step >= 0)
        chosen_cycle[take], chosen_step[take] = cycle[take], step[take]
    available = chosen_step >= 0
    picked = ds.drop_vars("valid_time", errors="ignore").isel(
        issue_time=xr.DataArray(chosen_cycle.clip(0), dims="valid_time"),
        step=xr.DataArray(chosen_step.clip(0), dims="valid_time"),
    )
    mask = xr.DataArray(available, dims="valid_time")
    picked = picked.where(mask).drop_vars(["issue_time", "step"])
    nat = np.datetime64("NaT", "ns")
    return picked.assign_coords(
        valid_time=("valid_time", valid),
        cycle=("valid_time", np.where(available, cycles[chosen_cycle.clip(0)], nat)),
        step=(
            "valid_time",
            np.where(available, valid - cycles[chosen_cycle.clip(0)], np.timedelta64("NaT", "ns")),
        ),
    ).assign(met_available=mask)


def _cycles(ds: xr.Dataset) -> TimeArray:
    if "issue_time" not in ds.dims or "step" not in ds.dims:
        raise InputDataError(
            f"dataset has dims {dict(ds.sizes)}, not a canonical forecast (issue_time, step); "
            "open it with open_met_dataset(..., kind='forecast')"
        )
    return ds["issue_time"].values.astype("datetime64[ns]")


def _delay(availability_delay: pd.Timedelta) -> pd.Timedelta:
    delay = pd.Timedelta(availability_delay)
    if delay < pd.Timedelta(0):
        raise InputDataError(
            f"availability_delay {delay} is negative; a cycle cannot be used before its "
            "nominal time (that would leak the future)"
        )
    return delay
