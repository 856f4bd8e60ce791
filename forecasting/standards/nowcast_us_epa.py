"""US EPA PM NowCast: the 12-hour weighted mean behind the real-time PM AQI.

EPA reports current PM conditions with the NowCast instead of a 24-h mean. The steps,
quoted from EPA's fact sheet "PM NowCast" [2]_ (the TAD describes the same algorithm in
section IV, "How the NowCast is calculated", p. 16 [1]_):

    "Use the past 12 hours of PM measurements in micrograms per cubic meter:
    1. Select the minimum and maximum PM measurements. 2. Subtract the minimum measurement
    from the maximum measurement to get the range. 3. Divide the range by the maximum
    measurement to get the scaled rate of change. 4. Subtract the scaled rate of change
    from 1 to get the weight factor. 5. If the weight factor is less than 0.5, then set it
    equal to 0.5. 6. Multiply each hourly measurement by the weight factor raised to the
    power of the number of hours ago the value was measured. 7. Compute the NowCast by
    summing the products from Step 6 and dividing by the sum of the weight factor raised
    to the power of the number of hours ago each value was measured. 8. Convert this value
    to AQI."

So ``NowCast = Σ w^k c_k / Σ w^k`` over the valid hours ``k = 0 … 11`` hours ago, with
``w = max(c_min / c_max, 0.5)``. ecocast's documented choices:

* Missing hours are left out of both sums and of ``c_min``/``c_max``. A NowCast needs at
  least 2 valid values among the latest 3 hours (AirNow-Tech's completeness rule, a
  secondary source [3]_); otherwise it is NaN. The first hours of a series use the hours
  that exist.
* If every valid value in the window is 0, ``c_min / c_max`` is undefined; ``w = 1``
  and the NowCast is 0.
* The result is the unrounded concentration; index it with
  :func:`forecasting.standards.aqi_us_epa.aqi_us_epa` and the 24-h indicator
  (``pm25_24h`` or ``pm10_24h``), which truncates first as the TAD prescribes.

The window length, minimum weight and completeness rule come from the data file's
``[nowcast]`` block.

References
----------
.. [1] U.S. EPA, EPA-454/B-24-002 (May 2024), section IV, p. 16.
.. [2] U.S. EPA, "PM NowCast" fact sheet,
   https://nepis.epa.gov/Exe/ZyPURL.cgi?Dockey=P100X0J6.txt
.. [3] AirNow-Tech forum, "The NowCast for PM2.5 and PM10",
   https://forum.airnowtech.org/t/the-nowcast-for-pm2-5-and-pm10/172
"""

from __future__ import annotations

from typing import TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from forecasting.errors import InputDataError
from forecasting.standards.aqi_us_epa_table import (
    UsEpaAqiStandard,
    UsEpaNowCastRule,
    load_us_epa_aqi,
)

__all__ = ["nowcast_us_epa"]

_Hourly = TypeVar("_Hourly", pd.Series, pd.DataFrame)


def _check_hourly_index(index: pd.Index) -> None:
    if not isinstance(index, pd.DatetimeIndex):
        raise InputDataError(
            f"NowCast input: the index must be a DatetimeIndex of hours, got {type(index).__name__}"
        )
    if len(index) < 2:
        return
    steps = index[1:] - index[:-1]
    bad = np.flatnonzero(np.asarray(steps != pd.Timedelta(hours=1)))
    if bad.size:
        k = int(bad[0])
        raise InputDataError(
            f"NowCast input: timestamps must be consecutive hours; row {k + 1} "
            f"({index[k + 1]}) follows {index[k]}. Reindex to a complete hourly index "
            "with NaN for missing hours"
        )


def _values(frame: pd.DataFrame) -> npt.NDArray[np.float64]:
    try:
        x = frame.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise InputDataError(f"NowCast input: values are not numeric ({exc})") from exc
    bad = ~np.isnan(x) & ~(np.isfinite(x) & (x >= 0))
    if bad.any():
        row, col = (int(v[0]) for v in np.nonzero(bad))
        raise InputDataError(
            f"NowCast input, column {frame.columns[col]!r}, row {frame.index[row]}: value "
            f"{x[row, col]!r} is not a finite concentration >= 0 [µg m⁻³]"
        )
    return x


def _nowcast(x: npt.NDArray[np.float64], rule: UsEpaNowCastRule) -> npt.NDArray[np.float64]:
    """NowCast of every hour (rows) and series (columns) of ``x``, vectorised."""
    n = rule.window_hours
    padded = np.vstack([np.full((n - 1, x.shape[1]), np.nan), x])
    win = sliding_window_view(padded, n, axis=0)  # (hours, series, n); last = current hour
    hours_ago = np.arange(n - 1, -1, -1, dtype=np.float64)
    valid = ~np.isnan(win)
    c_max = np.max(np.where(valid, win, -np.inf), axis=2)
    c_min = np.min(np.where(valid, win, np.inf), axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.maximum(np.where(c_max > 0, c_min / c_max, 1.0), rule.min_weight)
        weights = np.where(valid, w[..., None] ** hours_ago, 0.0)
        num = np.sum(weights * np.where(valid, win, 0.0), axis=2)
        den = np.sum(weights, axis=2)
        recent = valid[..., n - rule.recent_hours :].sum(axis=2) >= rule.min_valid_recent
        return np.where(recent & (den > 0), num / den, np.nan)


def nowcast_us_epa(hourly: _Hourly, table: UsEpaAqiStandard | None = None) -> _Hourly:
    """Compute the PM NowCast for every hour of one or more hourly series.

    Parameters
    ----------
    hourly : pandas.Series or pandas.DataFrame
        Hourly mean PM2.5 or PM10 [µg m⁻³] on a complete, increasing hourly
        ``DatetimeIndex`` (missing hours as NaN); a DataFrame holds one series per column
        (e.g. one column per station).
    table : UsEpaAqiStandard, optional
        The loaded standard (its ``nowcast`` rule); default ``load_us_epa_aqi()``.

    Returns
    -------
    pandas.Series or pandas.DataFrame
        Same shape, index and columns: the NowCast concentration [µg m⁻³] ending at each
        hour, unrounded; NaN where fewer than 2 of the latest 3 hours are valid.

    Raises
    ------
    InputDataError
        If the index is not consecutive hours, or a value is negative, infinite or not
        numeric (the message names the row and column).

    Notes
    -----
    ``NowCast = Σ_k w^k c_k / Σ_k w^k``, ``k`` = hours ago (0 = latest hour),
    ``w = max(1 − (c_max − c_min)/c_max, 0.5)`` over the valid hours of the 12-h window.

    References
    ----------
    .. [1] U.S. EPA, EPA-454/B-24-002 (May 2024), section IV, p. 16; EPA "PM NowCast"
       fact sheet (module references).

    Examples
    --------
    >>> idx = pd.date_range("2024-07-01", periods=3, freq="h", tz="UTC")
    >>> nowcast_us_epa(pd.Series([10.0, 20.0, 40.0], index=idx)).round(2).tolist()
    [nan, 16.67, 30.0]
    """
    std = table if table is not None else load_us_epa_aqi()
    frame = hourly.to_frame() if isinstance(hourly, pd.Series) else hourly
    _check_hourly_index(frame.index)
    result = _nowcast(_values(frame), std.nowcast)
    if isinstance(hourly, pd.Series):
        return pd.Series(result[:, 0], index=hourly.index, name=hourly.name)
    return pd.DataFrame(result, index=frame.index, columns=frame.columns)
