"""Series QC checks: stuck values, spikes and stale readings.

These checks look at a value together with its neighbours in the same series
(one station and variable, sorted by time). They are pure and vectorised: many
series are handled at once as one array sorted by (series, time), with a
``segments`` array that says where each series (or each stretch of it between
outages) begins. No Python loop runs over rows or series.

References
----------
.. [1] shared/data/README.md (2026-11-23), "Stuck values" (so2 runs up to
   204 h) and "Stale readings" (CNEMC water).
.. [2] Hampel, F. R. (1974). The influence curve and its role in robust
   estimation. J. Am. Stat. Assoc. 69(346), 383-393,
   doi:10.1080/01621459.1974.10482962 (the median-based outlier test).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "IQR_TO_SIGMA",
    "flag_spike",
    "flag_stale",
    "flag_stuck",
    "series_segments",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

IQR_TO_SIGMA = 1.349
"""Interquartile range of a standard normal distribution (2 × 0.6745)."""

_HOUR = 3600


def series_segments(series: IntArray, times: IntArray, max_gap_hours: float) -> IntArray:
    """Return segment numbers of readings sorted by (series, time).

    A new segment starts at each new series and wherever two consecutive
    readings of a series are more than ``max_gap_hours`` apart.

    Parameters
    ----------
    series : ndarray of int
        Series code per reading (e.g. a station code), sorted.
    times : ndarray of int64
        Valid time per reading, sorted within each series [s since epoch].
    max_gap_hours : float
        Largest gap inside a segment [h].

    Returns
    -------
    ndarray of int64
        Segment number per reading, 0, 1, 2, … in order.

    Examples
    --------
    >>> import numpy as np
    >>> hours = np.array([0, 1, 2, 10, 11, 0]) * 3600
    >>> series_segments(np.array([0, 0, 0, 0, 0, 1]), hours, 3.0).tolist()
    [0, 0, 0, 1, 1, 2]
    """
    if series.size == 0:
        return np.zeros(0, dtype=np.int64)
    new = np.empty(series.size, dtype=bool)
    new[0] = True
    new[1:] = (series[1:] != series[:-1]) | (np.diff(times) > max_gap_hours * _HOUR)
    return np.cumsum(new, dtype=np.int64) - 1


def flag_stuck(
    values: FloatArray,
    times: IntArray,
    segments: IntArray,
    *,
    min_hours: float,
    min_value: float | None = None,
) -> BoolArray:
    """Find runs of identical values that last at least ``min_hours``.

    A run is a maximal sequence of equal consecutive values inside one
    segment; it lasts from its first to its last valid time. Runs at or below
    ``min_value`` are ignored (dry hours of a rain gauge, detection-limit
    floors). NaN ends a run and is never flagged.

    Parameters
    ----------
    values : ndarray of float
        Values sorted by (segment, time) [unit].
    times : ndarray of int64
        Valid times [s since epoch].
    segments : ndarray of int64
        Segment numbers from :func:`series_segments`.
    min_hours : float
        Shortest span of a stuck run, last minus first valid time [h].
    min_value : float, optional
        Runs with values at or below this are not flagged [unit].

    Returns
    -------
    ndarray of bool
        True for every value of a stuck run.

    Examples
    --------
    >>> import numpy as np
    >>> v = np.array([2.0, 2.0, 2.0, 2.0, 5.0])
    >>> t = np.arange(5) * 3600
    >>> flag_stuck(v, t, np.zeros(5, dtype=np.int64), min_hours=3).tolist()
    [True, True, True, True, False]
    """
    n = values.size
    if n == 0:
        return np.zeros(0, dtype=bool)
    new = np.empty(n, dtype=bool)
    new[0] = True
    new[1:] = (segments[1:] != segments[:-1]) | ~(values[1:] == values[:-1])
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], n) - 1
    span = times[ends] - times[starts]
    stuck = (span >= min_hours * _HOUR) & ~np.isnan(values[starts])
    if min_value is not None:
        stuck &= values[starts] > min_value
    run = np.cumsum(new) - 1
    return np.asarray(stuck[run], dtype=bool)


def flag_spike(
    values: FloatArray,
    segments: IntArray,
    *,
    window: int,
    min_periods: int,
    k: float,
    floor: float,
) -> BoolArray:
    """Find values far from the rolling median of their neighbours.

    For each value x the centred window of ``window`` readings of the same
    segment gives the median m and the interquartile range; the robust scale
    is s = IQR / 1.349. x is a spike when ``|x - m| > k * max(s, floor)``.
    NaN values are skipped in the window and never flagged.

    Parameters
    ----------
    values : ndarray of float
        Values sorted by (segment, time); NaN for values to leave out [unit].
    segments : ndarray of int64
        Segment numbers from :func:`series_segments`; windows never cross
        segments.
    window : int
        Readings per centred window (odd).
    min_periods : int
        Fewest non-NaN readings in a window for the test to apply.
    k : float
        Threshold in robust standard deviations.
    floor : float
        Smallest scale [unit], so that a flat stretch (IQR 0, common at the
        resolution floor) does not make every step a spike.

    Returns
    -------
    ndarray of bool
        True for spikes.

    Notes
    -----
    A Hampel-type filter [1]_ with the IQR as scale: both median and IQR
    ignore up to a quarter of the window being outliers, and rolling
    quantiles are fast. Segments are laid end to end with ``window // 2`` NaN
    between them, so one rolling pass serves every series.

    References
    ----------
    .. [1] Hampel (1974), doi:10.1080/01621459.1974.10482962.
    """
    n = values.size
    if n == 0:
        return np.zeros(0, dtype=bool)
    half = window // 2
    positions = np.arange(n, dtype=np.int64) + (segments - segments[0]) * half
    buffer = np.full(int(positions[-1]) + 1 + half, np.nan)
    buffer[positions] = values
    rolling = pd.Series(buffer).rolling(window, center=True, min_periods=min_periods)
    median = rolling.median().to_numpy()[positions]
    iqr = (rolling.quantile(0.75).to_numpy() - rolling.quantile(0.25).to_numpy())[positions]
    scale = np.maximum(iqr / IQR_TO_SIGMA, floor)
    with np.errstate(invalid="ignore"):
        return np.asarray(np.abs(values - median) > k * scale, dtype=bool)


def flag_stale(
    stations: IntArray, times: IntArray, *, gap_hours: float, end: int | None = None
) -> BoolArray:
    """Find isolated readings: far from the station's previous and next reading.

    An offline CNEMC station keeps showing its last reading, so old readings
    survive in later captures. A reading is stale when the station's previous
    reading is more than ``gap_hours`` earlier (or there is none) and its next
    reading, or ``end`` for the station's last one, is more than ``gap_hours``
    later.

    Parameters
    ----------
    stations : ndarray of int
        Station code per reading, sorted; one reading per station and time.
    times : ndarray of int64
        Valid times sorted within each station [s since epoch].
    gap_hours : float
        Isolation that makes a reading stale [h].
    end : int, optional
        Latest time of the file, standing in for the next reading of each
        station's last one [s since epoch]. Default: the latest of ``times``.

    Returns
    -------
    ndarray of bool
        True for stale readings.

    Examples
    --------
    >>> import numpy as np
    >>> days = np.array([0, 40, 41, 42, 10, 42]) * 86400
    >>> flag_stale(np.array([0, 0, 0, 0, 1, 1]), days, gap_hours=168).tolist()
    [True, False, False, False, True, False]
    """
    n = times.size
    if n == 0:
        return np.zeros(0, dtype=bool)
    last_time = int(times.max()) if end is None else int(end)
    same_prev = np.zeros(n, dtype=bool)
    same_prev[1:] = stations[1:] == stations[:-1]
    gap = gap_hours * _HOUR
    before = np.full(n, np.inf)
    before[1:] = np.diff(times)
    before[~same_prev] = np.inf
    after = np.empty(n, dtype=np.float64)
    after[:-1] = np.diff(times)
    same_next = np.append(same_prev[1:], False)
    after[~same_next] = last_time - times[~same_next]
    return np.asarray((before > gap) & (after > gap), dtype=bool)
