"""Hourly values of many stations on one complete hourly grid (for windowed statistics).

:func:`build_hourly_grid` turns an hourly frame (columns ``station``, ``time`` and one
column per variable; or long format with ``variable`` and ``value``) into flat numpy
arrays: for each station, every hour of every local calendar day from its first to its
last observed date, in time order, stations one after another. Hours without a row
(absent timestamps) and NaN values are missing. Each station's block is preceded by
``pad`` all-missing hours (and the last block followed by them), so a trailing window
of up to ``pad + 1`` hours never reaches into another station's data. Daily and
moving statistics are then plain numpy reductions over this grid, vectorised over all
stations at once.

Time conventions
----------------
``hour_label="start"`` (ecocast default): a stamp labels the START of its hour; the
local day D is the stamps D 00:00 … D 23:00 (forecast leads 1–24 from a 00:00 issue).
``hour_label="end"`` (CNEMC publishing practice): a stamp labels the END of its hour, so
01:00 covers 00:00–01:00 and the day D is the stamps D 01:00 … D+1 00:00 ("24:00").
Internally every hour is identified by the UTC instant of its start. Local days are
calendar days in the timestamps' own zone, or in ``tz`` when given; on a
daylight-saving change a day has 23 or 25 hours.

References
----------
.. [1] GB 3095—2026 §3: 日平均 is the mean of the 24 hourly means of a natural day.
.. [2] shared/docs/standards.md §8 (HJ 212: DataTime is the interval start) and the
   CNEMC hour-ending label convention (secondary).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasting.errors import InputDataError, UnknownStandardError

__all__ = ["HOUR_LABELS", "HourLabel", "HourlyGrid", "build_hourly_grid"]

HourLabel = Literal["start", "end"]
HOUR_LABELS: tuple[HourLabel, ...] = ("start", "end")

_S_PER_H = 3600
_FloatArray = npt.NDArray[np.float64]
_IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class HourlyGrid:
    """Hourly values of many stations on a complete, padded hourly grid.

    Attributes
    ----------
    stations : pandas.Index
        Station labels, sorted; station code ``k`` is ``stations[k]``.
    tz : datetime.tzinfo
        Zone of the local days.
    hour_label : {"start", "end"}
        Label convention of the input stamps (and of output stamps).
    pad : int
        All-missing hours before each station's block and after the last block.
    station : ndarray of int64
        Per position: station code, −1 in the padding after the last station.
    hour : ndarray of int64
        Per position: start of the hour [h since 1970-01-01T00:00Z].
    day : ndarray of int64
        Per position: station-day id, −1 in the padding.
    observed : ndarray of bool
        Per position: between the station's first and last input stamp (inclusive).
    values : mapping of str to ndarray of float
        Per variable, per position: the hourly value [input units], NaN when missing.
    day_station : ndarray of int64
        Per station-day: station code.
    day_date : ndarray of datetime64[D]
        Per station-day: local date.
    day_offsets : ndarray of int64
        Per station-day: index of its first hour among the non-padding positions.
    """

    stations: pd.Index
    tz: dt.tzinfo
    hour_label: HourLabel
    pad: int
    station: _IntArray
    hour: _IntArray
    day: _IntArray
    observed: npt.NDArray[np.bool_]
    values: Mapping[str, _FloatArray]
    day_station: _IntArray
    day_date: npt.NDArray[np.datetime64]
    day_offsets: _IntArray

    @property
    def n_days(self) -> int:
        """Number of station-days."""
        return len(self.day_station)

    def window_sums(self, variable: str, window_h: int) -> tuple[_FloatArray, _IntArray]:
        """Sum and count of valid values in the trailing window ending at each position.

        Parameters
        ----------
        variable : str
            Column name.
        window_h : int
            Window length [h]; at most ``pad + 1``.

        Returns
        -------
        sums : ndarray of float
            Sum of the valid values of the hours ``p − window_h + 1 … p`` [input units];
            NaN for the first ``window_h − 1`` positions of the grid.
        counts : ndarray of int64
            Number of valid values in the window.
        """
        if not 1 <= window_h <= self.pad + 1:
            raise InputDataError(
                f"window of {window_h} h needs a grid padded by at least {window_h - 1} h, "
                f"this grid has {self.pad}"
            )
        x = self.values[variable]
        valid = ~np.isnan(x)
        view = np.lib.stride_tricks.sliding_window_view
        sums = np.full(len(x), np.nan)
        counts = np.zeros(len(x), dtype=np.int64)
        sums[window_h - 1 :] = view(np.where(valid, x, 0.0), window_h).sum(axis=1)
        counts[window_h - 1 :] = view(valid.view(np.int8), window_h).sum(axis=1)
        return sums, counts

    def day_reduce(
        self, per_position: npt.NDArray[np.generic], how: Literal["sum", "max"]
    ) -> npt.NDArray[np.generic]:
        """Reduce a per-position array to one value per station-day.

        Parameters
        ----------
        per_position : ndarray
            One value per grid position (padding is ignored).
        how : {"sum", "max"}
            ``"sum"`` adds (use booleans or zero-filled values); ``"max"`` ignores NaN
            and gives NaN for a day without any value.

        Returns
        -------
        ndarray
            One value per station-day.
        """
        real = per_position[self.day >= 0]
        if self.n_days == 0:
            return real[:0]
        if how == "sum":
            return np.add.reduceat(real, self.day_offsets)
        return np.fmax.reduceat(real, self.day_offsets)


def _check_hour_label(hour_label: str) -> HourLabel:
    if hour_label not in HOUR_LABELS:
        raise UnknownStandardError("hour-label convention", hour_label, HOUR_LABELS)
    return "start" if hour_label == "start" else "end"


def _as_wide(hourly: pd.DataFrame, variables: Sequence[str]) -> pd.DataFrame:
    frame = hourly
    missing_keys = [k for k in ("station", "time") if k not in frame.columns]
    if missing_keys and all(k in frame.index.names for k in missing_keys):
        frame = frame.reset_index()
    for key in ("station", "time"):
        if key not in frame.columns:
            raise InputDataError(
                f"hourly frame has no {key!r} column; columns are {list(map(str, frame.columns))}"
            )
    absent = [v for v in variables if v not in frame.columns]
    if absent and {"variable", "value"} <= set(frame.columns):
        present = set(frame["variable"].unique())
        absent = [v for v in variables if v not in present]
        if not absent:
            return _pivot_long(frame, variables)
    if absent:
        raise InputDataError(
            f"hourly frame has no column for {absent}; columns are "
            f"{list(map(str, frame.columns))} (or use long format: variable, value)"
        )
    return frame


def _pivot_long(frame: pd.DataFrame, variables: Sequence[str]) -> pd.DataFrame:
    frame = frame[frame["variable"].isin(list(variables))]
    dup = frame.duplicated(["station", "time", "variable"]).to_numpy()
    if dup.any():
        row = frame.iloc[int(np.flatnonzero(dup)[0])]
        raise InputDataError(
            f"long hourly frame has two rows for station {row['station']!r}, time "
            f"{row['time']}, variable {row['variable']!r}; keep one row per hour"
        )
    wide = frame.pivot(index=["station", "time"], columns="variable", values="value")
    return wide.reindex(columns=list(variables)).reset_index()


def _resolve_tz(tz: dt.tzinfo | str) -> dt.tzinfo:
    try:
        zone = pd.Timestamp(0, tz=tz).tzinfo
    except (ValueError, TypeError, KeyError) as exc:  # pytz/zoneinfo raise different errors
        raise InputDataError(f"unknown time zone {tz!r}: {exc}") from exc
    assert zone is not None
    return zone


def _first_bad(frame: pd.DataFrame, bad: npt.NDArray[np.bool_], column: str) -> str:
    i = int(np.flatnonzero(bad)[0])
    value = frame[column].iloc[i]
    return f"row {frame.index[i]!r} (station {frame['station'].iloc[i]!r}): {column}={value!r}"


def _parse_times(frame: pd.DataFrame, tz: dt.tzinfo | str | None) -> pd.Series:
    col = frame["time"]
    if not isinstance(col.dtype, pd.DatetimeTZDtype) and not pd.api.types.is_datetime64_dtype(col):
        try:
            col = pd.to_datetime(col, format="ISO8601", utc=tz is not None)
        except (ValueError, TypeError) as exc:
            parsed = pd.to_datetime(col, format="ISO8601", utc=True, errors="coerce")
            bad = (parsed.isna() & col.notna()).to_numpy()
            where = _first_bad(frame, bad, "time") if bad.any() else "mixed UTC offsets"
            raise InputDataError(
                f"cannot read 'time' as timestamps ({where}): {exc}. Pass tz-aware timestamps, "
                "or ISO 8601 strings with an offset, or tz=... for mixed offsets"
            ) from exc
    if col.isna().any():
        raise InputDataError(
            f"missing timestamp: {_first_bad(frame, col.isna().to_numpy(), 'time')}"
        )
    if not isinstance(col.dtype, pd.DatetimeTZDtype):
        if tz is None and len(col) == 0:
            return pd.Series(col.dt.tz_localize("UTC"))
        if tz is None:
            raise InputDataError(
                "column 'time' holds naive timestamps; localise them (Series.dt.tz_localize) "
                "or pass tz= the zone they are in"
            )
        try:
            col = col.dt.tz_localize(_resolve_tz(tz), ambiguous="raise", nonexistent="raise")
        except (ValueError, TypeError) as exc:
            raise InputDataError(f"cannot localise naive 'time' to {tz!r}: {exc}") from exc
    return col


def _utc_seconds(times: pd.Series) -> _IntArray:
    naive = times.dt.tz_convert("UTC").dt.tz_localize(None)
    seconds: _IntArray = naive.to_numpy().astype("datetime64[s]").astype(np.int64)
    return seconds


def _as_float(frame: pd.DataFrame, column: str) -> _FloatArray:
    col = frame[column]
    if pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
        coerced = pd.to_numeric(col, errors="coerce")
        bad = (coerced.isna() & col.notna()).to_numpy()
        if pd.api.types.is_bool_dtype(col) or bad.any():
            where = _first_bad(frame, bad if bad.any() else np.ones(len(col), bool), column)
            raise InputDataError(f"{column!r} must be numeric; {where}")
        col = coerced
    x = col.to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isinf(x).any():
        raise InputDataError(f"infinite value: {_first_bad(frame, np.isinf(x), column)}")
    return x


def _local_days(hours: _IntArray, zone: dt.tzinfo) -> npt.NDArray[np.datetime64]:
    utc = pd.DatetimeIndex((hours * _S_PER_H).astype("datetime64[s]"), tz="UTC")
    wall = utc.tz_convert(zone).tz_localize(None)
    return wall.to_numpy().astype("datetime64[D]")


def _day_start_hours(days: npt.NDArray[np.datetime64], zone: dt.tzinfo) -> _IntArray:
    # First instant of each local day: midnight, or the first hour after a DST gap.
    midnight = pd.DatetimeIndex(days.astype("datetime64[s]"))
    first = midnight.tz_localize(
        zone, ambiguous=np.ones(len(days), dtype=bool), nonexistent="shift_forward"
    )
    seconds = first.tz_convert("UTC").tz_localize(None).to_numpy().astype("datetime64[s]")
    hours: _IntArray = seconds.astype(np.int64) // _S_PER_H
    return hours


def _sorted_codes(
    frame: pd.DataFrame, hours: _IntArray
) -> tuple[pd.Index, _IntArray, _IntArray, npt.NDArray[np.intp]]:
    codes_raw, stations = pd.factorize(frame["station"], sort=True)
    if (codes_raw < 0).any():
        raise InputDataError(f"missing station: {_first_bad(frame, codes_raw < 0, 'station')}")
    order = np.lexsort((hours, codes_raw))
    codes, sorted_hours = codes_raw[order].astype(np.int64), hours[order]
    dup = (codes[1:] == codes[:-1]) & (sorted_hours[1:] == sorted_hours[:-1])
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        a, b = frame.index[order[i]], frame.index[order[i + 1]]
        raise InputDataError(
            f"rows {a!r} and {b!r} are the same hour of station {stations[codes[i]]!r} "
            f"({frame['time'].iloc[order[i]]}); each station may have one row per hour"
        )
    return pd.Index(stations), codes, sorted_hours, order


def _row_hours(
    frame: pd.DataFrame, tz: dt.tzinfo | str | None, label: HourLabel
) -> tuple[_IntArray, dt.tzinfo]:
    times = _parse_times(frame, tz)
    zone = _resolve_tz(tz) if tz is not None else times.dt.tz
    seconds = _utc_seconds(times)
    off_hour = seconds % _S_PER_H != 0
    if off_hour.any():
        raise InputDataError(f"timestamp not on the hour: {_first_bad(frame, off_hour, 'time')}")
    return seconds // _S_PER_H - (1 if label == "end" else 0), zone


def build_hourly_grid(
    hourly: pd.DataFrame,
    variables: Sequence[str],
    *,
    tz: dt.tzinfo | str | None = None,
    hour_label: str = "start",
    pad: int = 0,
) -> HourlyGrid:
    """Place hourly values of many stations on a complete hourly grid of local days.

    Parameters
    ----------
    hourly : pandas.DataFrame
        Columns ``station``, ``time`` (tz-aware timestamps, or ISO 8601 strings with an
        offset) and one column per variable [canonical units: µg m⁻³, CO mg m⁻³]; or
        long format with ``variable`` and ``value`` columns. Any row order; absent
        hours are missing.
    variables : sequence of str
        Variables to place on the grid.
    tz : tzinfo or str, optional
        Zone of the local days; default the timestamps' own zone. Naive timestamps
        are read as local time in ``tz``.
    hour_label : {"start", "end"}, default "start"
        Whether a stamp labels the start or the end of its hour (module docstring).
    pad : int, default 0
        All-missing hours before each station's block and after the last one; at
        least ``window − 1`` for trailing windows of ``window`` hours.

    Returns
    -------
    HourlyGrid
        The grid, stations sorted by label.

    Raises
    ------
    InputDataError
        Missing columns, unreadable or naive timestamps, stamps not on the hour,
        non-numeric or infinite values, or two rows for one station and hour (the
        message names the row).
    UnknownStandardError
        For an unknown ``hour_label``.
    """
    label = _check_hour_label(hour_label)
    frame = _as_wide(hourly, variables)
    hours, zone = _row_hours(frame, tz, label)
    stations, codes, hours, order = _sorted_codes(frame, hours)
    first = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])[: len(stations)]
    last = np.r_[first[1:], len(codes)].astype(np.int64)[: len(stations)] - 1
    start = _day_start_hours(_local_days(hours[first], zone), zone)
    stop = _day_start_hours(_local_days(hours[last], zone) + np.timedelta64(1, "D"), zone)
    length = pad + stop - start
    block = np.r_[0, np.cumsum(length)].astype(np.int64)
    n_pos = int(block[-1]) + pad
    position = np.arange(n_pos, dtype=np.int64)
    tail = np.full(pad, -1, dtype=np.int64)
    station = np.r_[np.repeat(np.arange(len(stations), dtype=np.int64), length), tail]
    local = position - np.r_[np.repeat(block[:-1], length), tail * 0 + block[-1]]
    real = (local >= pad) & (station >= 0)
    hour = local - pad + np.r_[np.repeat(start, length), np.zeros(pad, np.int64)]
    date = _local_days(hour[real], zone)
    st_real = station[real]
    new_day = np.ones(len(st_real), dtype=bool)
    new_day[1:] = (st_real[1:] != st_real[:-1]) | (date[1:] != date[:-1])
    day = np.full(n_pos, -1, dtype=np.int64)
    day[real] = np.cumsum(new_day) - 1
    pos_of_row = block[codes] + pad + hours - start[codes]
    lo = np.r_[pos_of_row[first], -1].astype(np.int64)
    hi = np.r_[pos_of_row[last], -1].astype(np.int64)
    observed = (position >= lo[station]) & (position <= hi[station])
    values = {}
    for name in variables:  # one pass per variable column, vectorised over rows
        grid_values = np.full(n_pos, np.nan)
        grid_values[pos_of_row] = _as_float(frame, name)[order]
        values[name] = grid_values
    offsets = np.flatnonzero(new_day).astype(np.int64)
    return HourlyGrid(
        stations=stations,
        tz=zone,
        hour_label=label,
        pad=pad,
        station=station,
        hour=hour,
        day=day,
        observed=observed,
        values=values,
        day_station=st_real[offsets],
        day_date=date[offsets],
        day_offsets=offsets,
    )
