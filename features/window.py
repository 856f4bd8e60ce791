"""The as-of history window: what a forecaster knew at each issue time, as one array.

:class:`KnownHistory` holds, for every issue time ``T``, station and variable, the
last ``window_h`` hourly values as they were known at ``T``: lag ``k`` is the stamp
``T - (k + 1) h``, so lag 0 is ``T - 1 h``, the newest stamp the forecast protocol
allows [1]_. Every history and neighbour feature is computed from this array and
nothing else, so a feature for ``T`` cannot see what was unknown at ``T``.

The as-of rule is the store's [2]_: revision ``r`` of a (station, variable, stamp) is
the value at ``T`` exactly when ``available_at <= T < superseded_at``, where
``superseded_at`` is the earliest ``available_at`` of any later revision of the same
key. :func:`known_history` applies it to every issue time at once:

1. the first revisions of keys that were never revised go into a dense hourly grid of
   values and publication delays (``available_at - valid_at``); the windows of all
   issue times are gathered from it with index arithmetic and masked where the delay
   exceeds the lag (``valid_at + delay <= T``);
2. keys with more than one revision (corrections, rare) are left out of the grid; each
   of their revisions is written, sparsely, into the windows of exactly the issue times
   inside its validity interval ``[available_at, superseded_at)``.

Memory
------
``values`` takes ``n_issue × n_station × n_variable × window_h × 4`` bytes (float32):
1,096 daily issues × 12 stations × 12 variables × 168 h is 106 MB; the hourly grid
adds ``n_station × n_variable × n_hours × 8`` bytes for the span read. For a national
network (1,700 stations) process issue times in chunks: :func:`chunk_issue_times` splits
them to a byte budget and :func:`iter_known_history` reads and builds one chunk at a
time.

Measured (2026-11-23, 2 shared cores, SQLite; shared Beijing data, 12 stations × 12
variables × 1,096 daily issues): :func:`read_known_history` 9-14 s, of which the store's
row fetch is about 85 % and :func:`known_history` 0.8 s; peak memory 1.5 GB in one read,
0.75 GB in four chunks of 32 MiB.

References
----------
.. [1] shared/docs/product.md, "Forecast protocol (air)": at issue time T the system
   knows observations stamped <= T - 1 h and nothing later.
.. [2] :mod:`forecasting.storage.observations`, "Availability": revision 1 is available
   at ``min(ingested_at, valid_at + available_lag)``, later revisions at
   ``ingested_at``; :func:`forecasting.storage.reads.read_observation_revisions`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasting.errors import InputDataError
from forecasting.qc.flags import EXCLUDE_DEFAULT
from forecasting.storage import Store

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_WINDOW_H",
    "REVISION_COLUMNS",
    "KnownHistory",
    "chunk_issue_times",
    "history_nbytes",
    "iter_known_history",
    "known_history",
    "read_known_history",
]

#: Default window [h]: seven days, enough for the weekly diurnal profile.
DEFAULT_WINDOW_H = 168
#: Default byte budget of one chunk's ``values`` in :func:`iter_known_history` [B].
DEFAULT_MAX_BYTES = 512 * 2**20
#: Columns :func:`known_history` reads (``revision`` is optional, default 1).
REVISION_COLUMNS = ("station", "variable", "valid_at", "value", "available_at", "revision")

_US_PER_H = 3_600_000_000
_US_PER_S = 1_000_000
_INT32 = np.iinfo(np.int32)

IssueTimes = pd.DatetimeIndex | Sequence[datetime | str | pd.Timestamp]
FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True, eq=False)
class KnownHistory:
    """Hourly history windows as known at each issue time.

    Attributes
    ----------
    issue_times : pandas.DatetimeIndex
        Issue times ``T``, UTC, whole hours, strictly increasing.
    stations : pandas.Index
        Station codes (axis 1 of ``values``).
    variables : tuple of str
        Variable names (axis 2 of ``values``), canonical units of the store.
    window_h : int
        Window length [h] (axis 3 of ``values``).
    values : numpy.ndarray of float32
        ``[issue, station, variable, lag]``: the value of stamp ``T - (lag + 1) h``
        known at ``T``; NaN where nothing (valid) was known.
    """

    issue_times: pd.DatetimeIndex
    stations: pd.Index
    variables: tuple[str, ...]
    window_h: int
    values: FloatArray

    def __post_init__(self) -> None:
        expected = (len(self.issue_times), len(self.stations), len(self.variables), self.window_h)
        if self.values.shape != expected or self.values.dtype != np.float32:
            raise InputDataError(
                f"KnownHistory.values has shape {self.values.shape} and dtype "
                f"{self.values.dtype}; expected float32 of shape {expected} "
                "(issue, station, variable, lag)"
            )

    @property
    def nbytes(self) -> int:
        """Size of ``values`` [B]."""
        return int(self.values.nbytes)

    def variable(self, name: str) -> FloatArray:
        """Return the ``[issue, station, lag]`` window of one variable (a view).

        Raises
        ------
        forecasting.errors.InputDataError
            When ``name`` is not one of :attr:`variables`.
        """
        if name not in self.variables:
            raise InputDataError(
                f"variable {name!r} is not in this history; choose one of: "
                f"{', '.join(self.variables) or 'none'}"
            )
        return self.values[:, :, self.variables.index(name), :]

    def keys(self) -> pd.DataFrame:
        """Return the rows of an issue-level feature frame.

        Returns
        -------
        pandas.DataFrame
            ``station`` (str) and ``issued_at`` (UTC), station-major: the row of
            (issue ``i``, station ``s``) is ``s * n_issue + i``, the order of
            ``array[i, s].T.ravel()``.
        """
        n_issue, n_station = len(self.issue_times), len(self.stations)
        return pd.DataFrame(
            {
                "station": pd.Series(np.repeat(self.stations.to_numpy(), n_issue), dtype="str"),
                "issued_at": self.issue_times[np.tile(np.arange(n_issue), n_station)],
            }
        )


def known_history(
    revisions: pd.DataFrame,
    stations: Sequence[str] | pd.Index,
    variables: Sequence[str],
    issue_times: IssueTimes,
    *,
    window_h: int = DEFAULT_WINDOW_H,
) -> KnownHistory:
    """Build the windows known at each issue time from every revision.

    Parameters
    ----------
    revisions : pandas.DataFrame
        Every revision (as from
        :meth:`forecasting.storage.Store.read_observation_revisions`): ``station``,
        ``variable``, ``valid_at`` (tz-aware), ``value`` (canonical units; NaN for a
        blanked or QC-excluded value), ``available_at`` (tz-aware) and, optionally,
        ``revision`` (int, default 1). Other columns (``superseded_at``) are ignored:
        the validity intervals are recomputed from ``available_at`` by the store's
        rule. Stations and variables not asked for, and stamps that are not whole
        hours, are ignored.
    stations : sequence of str
        Station codes, in the order of the output's station axis.
    variables : sequence of str
        Variables, in the order of the output's variable axis.
    issue_times : DatetimeIndex or sequence of datetime
        Timezone-aware issue times on whole hours; sorted and deduplicated.
    window_h : int, optional
        Window length [h], default 168 (seven days).

    Returns
    -------
    KnownHistory
        The windows; NaN where no value (or only a later one) was known.

    Raises
    ------
    forecasting.errors.InputDataError
        For missing columns, naive or off-hour issue times, a window < 1 h, or two
        rows of the same (station, variable, valid_at, revision).

    Examples
    --------
    >>> frame = pd.DataFrame({
    ...     "station": ["A", "A"], "variable": ["pm25", "pm25"],
    ...     "valid_at": pd.to_datetime(["2024-01-01T22:00Z", "2024-01-01T23:00Z"]),
    ...     "value": [10.0, 20.0],
    ...     "available_at": pd.to_datetime(["2024-01-01T23:00Z", "2024-01-02T05:00Z"])})
    >>> known = known_history(frame, ["A"], ["pm25"], ["2024-01-02T00:00Z"], window_h=3)
    >>> known.values[0, 0, 0].tolist()  # T-1 h arrived late: unknown at T
    [nan, 10.0, nan]
    """
    issue_h = _issue_hours(issue_times)
    window_h = _check_window(window_h)
    station_index = pd.Index(list(stations), dtype="str")
    variable_names = tuple(str(v) for v in variables)
    values = np.full(
        (issue_h.size, len(station_index), len(variable_names), window_h), np.nan, np.float32
    )
    known = KnownHistory(
        issue_times=_issue_index(issue_h),
        stations=station_index,
        variables=variable_names,
        window_h=window_h,
        values=values,
    )
    if issue_h.size == 0 or values.size == 0:
        return known
    rows = _Rows.select(revisions, station_index, variable_names, issue_h, window_h)
    multi = rows.multi_revision_keys()
    grid = _dense_grid(rows, ~multi, len(station_index))
    _gather(values, grid, issue_h - rows.first_h)
    _apply_revisions(values, rows, multi, issue_h)
    return known


def read_known_history(
    store: Store,
    stations: Sequence[str] | pd.Index,
    variables: Sequence[str],
    issue_times: IssueTimes,
    *,
    window_h: int = DEFAULT_WINDOW_H,
    exclude_flags: int = int(EXCLUDE_DEFAULT),
) -> KnownHistory:
    """Read what was known at each issue time from the store (one read).

    Parameters
    ----------
    store : forecasting.storage.Store
        An open store.
    stations : sequence of str
        Registered station codes.
    variables : sequence of str
        Variables; names never stored give NaN windows.
    issue_times : DatetimeIndex or sequence of datetime
        Timezone-aware issue times on whole hours.
    window_h : int, optional
        Window length [h], default 168.
    exclude_flags : int, optional
        QC bitmask of values treated as missing (default
        :data:`forecasting.qc.flags.EXCLUDE_DEFAULT`).

    Returns
    -------
    KnownHistory
        As :func:`known_history`. Stamps ``[min T - window_h h, max T)`` are read.

    Raises
    ------
    forecasting.errors.InputDataError
        For unregistered stations and the errors of :func:`known_history`.
    """
    issue_h = _issue_hours(issue_times)
    window_h = _check_window(window_h)
    if issue_h.size == 0:
        return known_history(pd.DataFrame(), stations, variables, [], window_h=window_h)
    start = pd.Timestamp((int(issue_h[0]) - window_h) * _US_PER_H, unit="us", tz="UTC")
    end = pd.Timestamp(int(issue_h[-1]) * _US_PER_H, unit="us", tz="UTC")
    revisions = store.read_observation_revisions(
        list(variables), list(stations), start, end, exclude_flags=exclude_flags
    )
    return known_history(revisions, stations, variables, _issue_index(issue_h), window_h=window_h)


def history_nbytes(n_issues: int, n_stations: int, n_variables: int, window_h: int) -> int:
    """Bytes of ``KnownHistory.values``: ``n_issues × n_stations × n_variables × window_h × 4``.

    Examples
    --------
    >>> history_nbytes(1096, 12, 12, 168)
    106057728
    """
    return int(n_issues) * int(n_stations) * int(n_variables) * int(window_h) * 4


def chunk_issue_times(
    issue_times: IssueTimes,
    n_stations: int,
    n_variables: int,
    *,
    window_h: int = DEFAULT_WINDOW_H,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> list[pd.DatetimeIndex]:
    """Split issue times into consecutive chunks whose windows fit a byte budget.

    Parameters
    ----------
    issue_times : DatetimeIndex or sequence of datetime
        Timezone-aware issue times on whole hours (sorted and deduplicated).
    n_stations, n_variables : int
        Sizes of the station and variable axes.
    window_h : int, optional
        Window length [h].
    max_bytes : int, optional
        Budget for one chunk's ``values`` [B] (at least one issue per chunk).

    Returns
    -------
    list of pandas.DatetimeIndex
        Consecutive chunks covering every issue time once.
    """
    issue_h = _issue_hours(issue_times)
    per_issue = max(history_nbytes(1, n_stations, n_variables, _check_window(window_h)), 1)
    size = max(int(max_bytes) // per_issue, 1)
    return [_issue_index(issue_h[i : i + size]) for i in range(0, issue_h.size, size)]


def iter_known_history(
    store: Store,
    stations: Sequence[str] | pd.Index,
    variables: Sequence[str],
    issue_times: IssueTimes,
    *,
    window_h: int = DEFAULT_WINDOW_H,
    exclude_flags: int = int(EXCLUDE_DEFAULT),
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Iterator[KnownHistory]:
    """Yield :func:`read_known_history` chunk by chunk (one store read per chunk).

    Parameters are those of :func:`read_known_history` and, for the chunk size,
    :func:`chunk_issue_times`.
    """
    for chunk in chunk_issue_times(
        issue_times, len(stations), len(variables), window_h=window_h, max_bytes=max_bytes
    ):
        yield read_known_history(
            store, stations, variables, chunk, window_h=window_h, exclude_flags=exclude_flags
        )


# --- internals ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Rows:
    """The usable revisions as integer arrays, relative to the first grid hour."""

    station: npt.NDArray[np.intp]
    variable: npt.NDArray[np.intp]
    hour: npt.NDArray[np.int64]  # valid_at [h since the epoch]
    value: FloatArray
    valid_us: npt.NDArray[np.int64]
    available_us: npt.NDArray[np.int64]
    revision: npt.NDArray[np.int64]
    first_h: int
    n_hours: int
    n_variables: int

    @classmethod
    def select(
        cls,
        frame: pd.DataFrame,
        stations: pd.Index,
        variables: tuple[str, ...],
        issue_h: npt.NDArray[np.int64],
        window_h: int,
    ) -> _Rows:
        missing = [c for c in REVISION_COLUMNS[:-1] if c not in frame.columns]
        if missing:
            raise InputDataError(
                f"revisions frame lacks column(s) {missing}; it needs "
                f"{', '.join(REVISION_COLUMNS)} (revision optional)"
            )
        station = _positions(frame["station"], stations)
        variable = _positions(frame["variable"], pd.Index(variables, dtype="str"))
        valid_us = _utc_us(frame["valid_at"], "revisions.valid_at")
        available_us = _utc_us(frame["available_at"], "revisions.available_at")
        hour, offset = np.divmod(valid_us, _US_PER_H)
        first_h = int(issue_h[0]) - window_h
        last_h = int(issue_h[-1]) - 1
        keep = (station >= 0) & (variable >= 0) & (offset == 0)
        keep &= (hour >= first_h) & (hour <= last_h)
        if "revision" in frame.columns:
            revision = frame["revision"].to_numpy(np.int64)[keep]
        else:
            revision = np.ones(int(keep.sum()), np.int64)
        return cls(
            station=station[keep],
            variable=variable[keep],
            hour=hour[keep],
            value=frame["value"].to_numpy(np.float32, na_value=np.nan)[keep],
            valid_us=valid_us[keep],
            available_us=available_us[keep],
            revision=revision,
            first_h=first_h,
            n_hours=last_h - first_h + 1,
            n_variables=len(variables),
        )

    def key(self) -> npt.NDArray[np.int64]:
        """One int64 per (station, variable, hour)."""
        series = self.station.astype(np.int64) * self.n_variables + self.variable
        return series * self.n_hours + (self.hour - self.first_h)

    def multi_revision_keys(self) -> npt.NDArray[np.bool_]:
        """Rows whose key has a revision other than 1 (revised, or given as such)."""
        key = self.key()
        late = np.unique(key[self.revision != 1])
        return np.isin(key, late) if late.size else np.zeros(key.size, bool)


def _dense_grid(
    rows: _Rows, use: npt.NDArray[np.bool_], n_station: int
) -> tuple[FloatArray, npt.NDArray[np.int32]]:
    """First revisions: value and publication delay [s] per (station, variable, hour)."""
    shape = (n_station, rows.n_variables, rows.n_hours)
    value = np.full(shape, np.nan, np.float32)
    delay = np.full(shape, _INT32.max, np.int32)
    flat = np.ravel_multi_index(
        (rows.station[use], rows.variable[use], rows.hour[use] - rows.first_h), shape
    )
    if flat.size and np.bincount(flat).max() > 1:
        raise InputDataError(
            "revisions frame has two rows for the same (station, variable, valid_at, "
            "revision); pass each revision once (as Store.read_observation_revisions does)"
        )
    value.ravel()[flat] = rows.value[use]
    seconds = -((rows.valid_us[use] - rows.available_us[use]) // _US_PER_S)  # ceil
    delay.ravel()[flat] = np.clip(seconds, _INT32.min, _INT32.max).astype(np.int32)
    return value, delay


def _gather(
    values: FloatArray,
    grid: tuple[FloatArray, npt.NDArray[np.int32]],
    issue_offset_h: npt.NDArray[np.int64],
) -> None:
    """Copy every issue's window out of the grid, masking what was published later."""
    window_h = values.shape[3]
    lag = np.arange(window_h, dtype=np.int64)
    index = issue_offset_h[:, None] - 1 - lag[None, :]  # [issue, lag] grid hour
    hidden_after = ((lag + 1) * 3600).astype(np.int64)  # T - stamp [s]
    for v in range(values.shape[2]):
        window = grid[0][:, v, :][:, index]  # [station, issue, lag]
        late = grid[1][:, v, :][:, index] > hidden_after
        window[late] = np.nan
        values[:, :, v, :] = window.transpose(1, 0, 2)


def _apply_revisions(
    values: FloatArray, rows: _Rows, multi: npt.NDArray[np.bool_], issue_h: npt.NDArray[np.int64]
) -> None:
    """Write each revision of revised keys into the windows of the issues that knew it."""
    if not multi.any():
        return
    key = rows.key()[multi]
    revision = rows.revision[multi]
    order = np.lexsort((revision, key))
    key, revision = key[order], revision[order]
    if np.any((key[1:] == key[:-1]) & (revision[1:] == revision[:-1])):
        raise InputDataError(
            "revisions frame has two rows for the same (station, variable, valid_at, "
            "revision); pass each revision once (as Store.read_observation_revisions does)"
        )
    picked = np.flatnonzero(multi)[order]
    start = rows.available_us[picked]
    stop = _superseded_us(key, start)
    hour = rows.hour[picked]
    issue_us = issue_h * _US_PER_H
    window_h = values.shape[3]
    lo = np.maximum(np.searchsorted(issue_h, hour + 1), np.searchsorted(issue_us, start))
    hi = np.minimum(
        np.searchsorted(issue_h, hour + window_h, side="right"), np.searchsorted(issue_us, stop)
    )
    count = np.maximum(hi - lo, 0)
    which = np.repeat(np.arange(picked.size), count)
    first = np.repeat(np.cumsum(count) - count, count)
    issue = lo[which] + (np.arange(which.size) - first)
    values[
        issue,
        rows.station[picked][which],
        rows.variable[picked][which],
        issue_h[issue] - hour[which] - 1,
    ] = rows.value[picked][which]


def _superseded_us(
    key: npt.NDArray[np.int64], available_us: npt.NDArray[np.int64]
) -> npt.NDArray[np.int64]:
    """Earliest ``available_at`` of any later revision of the same key (else never).

    ``key`` is sorted, revisions ascending within a key: the store's
    ``superseded_at`` [2]_. Computed as a reverse running minimum that restarts at
    each key: on ranks of ``available_at``, key group ``g`` is lifted by
    ``g × n_ranks``, so a group's values are below those of every later group and
    the minimum never crosses into it.
    """
    never = np.iinfo(np.int64).max
    distinct, rank = np.unique(available_us, return_inverse=True)
    group = np.cumsum(np.r_[True, key[1:] != key[:-1]]) - 1
    lifted = rank.astype(np.int64) + group * distinct.size
    suffix_min = np.minimum.accumulate(lifted[::-1])[::-1] - group * distinct.size
    result = np.full(key.size, never, np.int64)
    same_next = key[1:] == key[:-1]
    result[:-1] = np.where(same_next, distinct[suffix_min[1:]], never)
    return result


def _positions(column: pd.Series, names: pd.Index) -> npt.NDArray[np.intp]:
    """Position of each entry in ``names`` (-1 when absent or missing), via factorize."""
    codes, uniques = pd.factorize(column)
    lookup = np.r_[names.get_indexer(pd.Index(uniques).astype("str")), -1]
    return np.asarray(lookup[codes], dtype=np.intp)  # code -1 (missing) picks the last -1


def _issue_hours(issue_times: IssueTimes) -> npt.NDArray[np.int64]:
    """Sorted unique issue times [h since the epoch]; whole hours, tz-aware."""
    if isinstance(issue_times, pd.DatetimeIndex):
        stamps = list(issue_times)
    else:  # a list of configured times (not data): offsets may differ per entry
        try:
            stamps = [pd.Timestamp(t) for t in issue_times]
        except (TypeError, ValueError):
            raise InputDataError(
                f"issue_times {issue_times!r} are not times; pass tz-aware datetimes"
            ) from None
    naive = [s for s in stamps if s.tzinfo is None]
    if naive:
        raise InputDataError(
            f"issue time {naive[0]} has no time zone; pass tz-aware times, "
            "e.g. '2016-01-01T00:00+08:00'"
        )
    if not stamps:
        return np.empty(0, np.int64)
    us = pd.DatetimeIndex([s.tz_convert("UTC") for s in stamps]).as_unit("us").asi8
    hours, offset = np.divmod(us, _US_PER_H)
    if np.any(offset):
        bad = stamps[int(np.flatnonzero(offset)[0])]
        raise InputDataError(
            f"issue time {bad} is not on a whole hour; the window is hourly "
            "(lag 0 = T - 1 h), so issue on the hour"
        )
    return np.unique(hours)


def _issue_index(issue_h: npt.NDArray[np.int64]) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(issue_h * _US_PER_H * 1000, tz="UTC", name="issued_at")


def _check_window(window_h: int) -> int:
    if int(window_h) != window_h or window_h < 1:
        raise InputDataError(f"window_h={window_h!r} must be a whole number of hours >= 1")
    return int(window_h)


def _utc_us(column: Any, name: str) -> npt.NDArray[np.int64]:
    index = pd.DatetimeIndex(column)
    if len(index) and index.tz is None:
        raise InputDataError(f"{name} is not timezone-aware; store times in UTC")
    utc = index.tz_convert("UTC") if index.tz is not None else index
    return np.asarray(utc.as_unit("us").asi8, dtype=np.int64)
