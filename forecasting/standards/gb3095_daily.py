"""GB 3095 daily statistics and moving means, vectorised over many stations.

Every function takes an hourly frame (columns ``station``, ``time`` and one column per
variable in canonical units, µg m⁻³ and CO mg m⁻³; or long format with ``variable``
and ``value``), places it on a complete hourly grid of local days
(:func:`~forecasting.standards.hourly_grid.build_hourly_grid`: absent hours are missing)
and reduces it with numpy sliding windows and segment reductions; no per-station or
per-row Python loop.

Day and hour labels: with ``hour_label="start"`` (default, the ecocast product protocol)
the day D is the stamps D 00:00 … D 23:00; with ``hour_label="end"`` (CNEMC hour-ending
labels) it is D 01:00 … D+1 00:00. Days are local calendar days in the timestamps' own
zone, or in ``tz``.

Validity (from the :class:`~forecasting.standards.gb3095_rules.Gb3095Standard`):

* daily mean: at least 20 valid hourly values (GB 3095 表4), else NaN;
* 8-h mean: at least 6 valid hourly values in the window (表4), else NaN;
* O3 daily maximum 8-h mean: the 8-h means whose hours lie within the day (hour-ending
  labels 08:00 … 24:00); at least 14 of them valid, or, with fewer, a maximum that
  exceeds the GB 3095 limit (二级 160 µg m⁻³ by default) (HJ 663 §6.1.2);
* daily maximum 1-h value: the standard is silent; ecocast requires 18 valid hours
  (``[configuration]`` of the data file, not a fact of the standard).

Results are frames with one row per station and local date (``date`` is a
``date32[pyarrow]`` column), from each station's first to its last observed date;
``frame.attrs["standard"]`` and ``frame.attrs["sources"]`` name the data files used.

References
----------
.. [1] GB 3095—2026 环境空气质量标准, §3 (definitions), 表4 (§6.4). ``cn_mee_gb3095_2026``.
.. [2] HJ 663—2013 / HJ 663—2026 环境空气质量评价技术规范, §6.1.2, p. 3 (secondary).
   ``cn_mee_hj663_2013``, ``cn_mee_hj663_2026``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasting.errors import InputDataError, UnknownStandardError
from forecasting.standards.gb3095_loader import load_gb3095
from forecasting.standards.gb3095_rules import Gb3095Standard
from forecasting.standards.hourly_grid import HourlyGrid, build_hourly_grid

__all__ = [
    "DAILY_MAX_1H_VARIABLES",
    "DAILY_MEAN_VARIABLES",
    "WINDOW_DAYS",
    "WindowDay",
    "daily_max_1h",
    "daily_max_8h",
    "daily_max_moving",
    "daily_means",
    "daily_statistics",
    "moving_mean",
]

DAILY_MEAN_VARIABLES: tuple[str, ...] = ("pm25", "pm10", "so2", "no2", "co")
"""Pollutants with a GB 3095 24-h mean."""

DAILY_MAX_1H_VARIABLES: tuple[str, ...] = ("o3", "so2", "no2")
"""Pollutants whose daily maximum 1-h value ecocast reports (O3: HJ 633—2012; US AQI)."""

WindowDay = Literal["within", "ending", "starting"]
WINDOW_DAYS: tuple[WindowDay, ...] = ("within", "ending", "starting")

_Float = npt.NDArray[np.float64]
_Int = npt.NDArray[np.int64]
_TZ = dt.tzinfo | str | None


def _standard(standard: Gb3095Standard | str | None) -> Gb3095Standard:
    if isinstance(standard, Gb3095Standard):
        return standard
    return load_gb3095() if standard is None else load_gb3095(standard)


def _names(variables: Sequence[str] | str) -> list[str]:
    names = [variables] if isinstance(variables, str) else list(variables)
    if not names or len(set(names)) != len(names):
        raise InputDataError(f"variables must be distinct names, got {names}")
    return names


def _check_window(window_h: int, min_valid: int, what: str = "hours") -> None:
    if not (isinstance(window_h, int) and isinstance(min_valid, int)):
        raise InputDataError(f"window and minimum must be integers: {window_h!r}, {min_valid!r}")
    if not 1 <= min_valid <= window_h:
        raise InputDataError(
            f"a minimum of {min_valid} valid {what} is impossible (at most {window_h}); "
            f"use 1 … {window_h}"
        )


def _attrs(grid: HourlyGrid, standard: Gb3095Standard | None) -> dict[str, Any]:
    attrs: dict[str, Any] = {"hour_label": grid.hour_label, "tz": str(grid.tz)}
    if standard is not None:
        attrs["standard"] = standard.id
        attrs["sources"] = [standard.source.id, standard.assessment.id]
    return attrs


def _day_frame(grid: HourlyGrid, columns: Mapping[str, Any], attrs: dict[str, Any]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "station": grid.stations.take(grid.day_station),
            "date": pd.Series(grid.day_date).astype("date32[pyarrow]").array,
            **columns,
        }
    )
    frame.attrs.update(attrs)
    return frame


def _mean(total: _Float, count: _Int, min_valid: int) -> _Float:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count >= min_valid, total / np.maximum(count, 1), np.nan)


def _daily_mean(grid: HourlyGrid, variable: str, min_valid: int) -> tuple[_Float, _Int]:
    x = grid.values[variable]
    valid = ~np.isnan(x)
    count = grid.day_reduce(valid.astype(np.int64), "sum").astype(np.int64)
    total = grid.day_reduce(np.where(valid, x, 0.0), "sum").astype(np.float64)
    return _mean(total, count, min_valid), count


def _daily_max_1h(grid: HourlyGrid, variable: str, min_valid: int) -> tuple[_Float, _Int]:
    x = grid.values[variable]
    count = grid.day_reduce((~np.isnan(x)).astype(np.int64), "sum").astype(np.int64)
    peak = grid.day_reduce(x, "max").astype(np.float64)
    return np.where(count >= min_valid, peak, np.nan), count


def _window_means(grid: HourlyGrid, variable: str, window_h: int, min_valid: int) -> _Float:
    sums, counts = grid.window_sums(variable, window_h)
    return _mean(sums, counts, min_valid)


def _daily_window_max(
    grid: HourlyGrid, variable: str, window_h: int, min_valid: int, windows: WindowDay
) -> tuple[_Float, _Int]:
    """Daily maximum of the trailing ``window_h`` means and the number of valid windows."""
    means = _window_means(grid, variable, window_h, min_valid)  # labelled at the last hour
    lag = window_h - 1
    if windows == "starting":  # relabel each window at its first hour
        means = np.r_[means[lag:], np.full(lag, np.nan)]
    elif windows == "within" and lag:
        first_day = np.r_[np.full(lag, -2), grid.day[:-lag]]
        means = np.where(first_day == grid.day, means, np.nan)
    n_valid = grid.day_reduce((~np.isnan(means)).astype(np.int64), "sum").astype(np.int64)
    return grid.day_reduce(means, "max").astype(np.float64), n_valid


def _daily_mda8(
    grid: HourlyGrid, variable: str, standard: Gb3095Standard, zone_class: int
) -> tuple[_Float, _Int, npt.NDArray[np.bool_]]:
    rule = standard.mda8
    peak, n_valid = _daily_window_max(
        grid, variable, rule.window_hours, standard.validity.min_hours_8h, "within"
    )
    valid = n_valid >= rule.min_valid_windows
    if rule.exceedance_exception:
        limit = standard.limits_on(
            rule.limit_pollutant, rule.limit_averaging, grid.day_date, zone_class=zone_class
        )
        with np.errstate(invalid="ignore"):
            valid |= peak > limit
    return np.where(valid, peak, np.nan), n_valid, valid


def moving_mean(
    hourly: pd.DataFrame,
    variables: Sequence[str] | str,
    window_h: int,
    min_valid: int,
    *,
    tz: _TZ = None,
    hour_label: str = "start",
) -> pd.DataFrame:
    """Trailing moving mean of each station's hourly values (e.g. O3 8-h, PM 24-h).

    Parameters
    ----------
    hourly : pandas.DataFrame
        Hourly frame (module docstring) [µg m⁻³; CO mg m⁻³].
    variables : sequence of str or str
        Columns to average.
    window_h : int
        Window length [h]; the window is the hours ``t − window_h + 1 … t``.
    min_valid : int
        Valid hourly values needed in the window, else NaN (GB 3095 表4: O3 8-h 6 of 8;
        use 20 of 24 for a PM 24-h moving mean).
    tz : tzinfo or str, optional
        Zone of the output stamps; default the timestamps' own zone.
    hour_label : {"start", "end"}, default "start"
        Label convention of the input stamps; output stamps use the same.

    Returns
    -------
    pandas.DataFrame
        ``station``, ``time`` (the window's last hour, every hour from the station's
        first to its last input stamp, gaps included), ``<var>_<window_h>h`` [input
        units] and ``n_<var>_<window_h>h`` (valid hours in the window).

    References
    ----------
    .. [1] GB 3095—2026 §3 (8 小时平均: 连续 8 个小时平均浓度的算术平均值) and 表4.
    """
    names = _names(variables)
    _check_window(window_h, min_valid)
    grid = build_hourly_grid(hourly, names, tz=tz, hour_label=hour_label, pad=window_h - 1)
    pos = np.flatnonzero(grid.observed)
    stamps = pd.DatetimeIndex((grid.hour[pos] * 3600).astype("datetime64[s]"), tz="UTC")
    shift = pd.Timedelta(hours=1 if grid.hour_label == "end" else 0)
    columns: dict[str, Any] = {
        "station": grid.stations.take(grid.station[pos]),
        "time": stamps.tz_convert(grid.tz) + shift,
    }
    for name in names:
        sums, counts = grid.window_sums(name, window_h)
        columns[f"{name}_{window_h}h"] = _mean(sums, counts, min_valid)[pos]
        columns[f"n_{name}_{window_h}h"] = counts[pos]
    frame = pd.DataFrame(columns)
    frame.attrs.update(_attrs(grid, None))
    return frame


def daily_means(
    hourly: pd.DataFrame,
    variables: Sequence[str] | str = DAILY_MEAN_VARIABLES,
    *,
    min_valid: int | None = None,
    standard: Gb3095Standard | str | None = None,
    tz: _TZ = None,
    hour_label: str = "start",
) -> pd.DataFrame:
    """Daily (24-h) mean per station and local date, with the count of valid hours.

    Parameters
    ----------
    hourly : pandas.DataFrame
        Hourly frame (module docstring) [µg m⁻³; CO mg m⁻³].
    variables : sequence of str or str, default pm25, pm10, so2, no2, co
        Columns to average.
    min_valid : int, optional
        Valid hours needed; default the standard's (20, GB 3095 表4).
    standard : Gb3095Standard or str, optional
        GB 3095 edition; default :func:`load_gb3095` (GB 3095—2026).
    tz : tzinfo or str, optional
        Zone of the local days; default the timestamps' own zone.
    hour_label : {"start", "end"}, default "start"
        Whether stamps label the start or the end of their hour.

    Returns
    -------
    pandas.DataFrame
        ``station``, ``date``, ``<var>`` (NaN with fewer than ``min_valid`` valid hours)
        [input units] and ``n_<var>`` (valid hours, 0–24).

    References
    ----------
    .. [1] GB 3095—2026 表4: "每日至少有 20 个小时平均浓度值或采样时间".
    """
    std = _standard(standard)
    names = _names(variables)
    need = std.validity.min_hours_24h if min_valid is None else min_valid
    _check_window(24, need)
    grid = build_hourly_grid(hourly, names, tz=tz, hour_label=hour_label)
    columns: dict[str, Any] = {}
    for name in names:
        columns[name], columns[f"n_{name}"] = _daily_mean(grid, name, need)
    return _day_frame(grid, _ordered(columns, names), _attrs(grid, std))


def _ordered(columns: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
    keys = [k for k in columns if not k.startswith("n_")] + [f"n_{n}" for n in names]
    return {k: columns[k] for k in keys if k in columns}


def daily_max_1h(
    hourly: pd.DataFrame,
    variables: Sequence[str] | str = DAILY_MAX_1H_VARIABLES,
    *,
    min_valid: int | None = None,
    standard: Gb3095Standard | str | None = None,
    tz: _TZ = None,
    hour_label: str = "start",
) -> pd.DataFrame:
    """Daily maximum hourly value per station and local date.

    Parameters
    ----------
    hourly : pandas.DataFrame
        Hourly frame (module docstring) [µg m⁻³; CO mg m⁻³].
    variables : sequence of str or str, default o3, so2, no2
        Columns.
    min_valid : int, optional
        Valid hours needed; default the ``[configuration]`` of the standard's data file
        (18 hours). GB 3095 and HJ 633 print no minimum for this statistic: 18 is an
        ecocast choice (75 % of the day), not the standard.
    standard : Gb3095Standard or str, optional
        GB 3095 edition; default GB 3095—2026.
    tz : tzinfo or str, optional
        Zone of the local days.
    hour_label : {"start", "end"}, default "start"
        Whether stamps label the start or the end of their hour.

    Returns
    -------
    pandas.DataFrame
        ``station``, ``date``, ``<var>_1h_max`` [input units] (NaN with fewer than
        ``min_valid`` valid hours) and ``n_<var>`` (valid hours).

    References
    ----------
    .. [1] HJ 633—2012 §5.1.3 (O3 日最大 1 小时平均 in the daily report); the validity
       threshold is configuration (``cn_mee_gb3095_2026`` ``[configuration]``).
    """
    std = _standard(standard)
    names = _names(variables)
    need = std.configuration.daily_max_1h_min_hours if min_valid is None else min_valid
    _check_window(24, need)
    grid = build_hourly_grid(hourly, names, tz=tz, hour_label=hour_label)
    columns: dict[str, Any] = {}
    for name in names:
        columns[f"{name}_1h_max"], columns[f"n_{name}"] = _daily_max_1h(grid, name, need)
    return _day_frame(grid, _ordered(columns, names), _attrs(grid, std))


def daily_max_moving(
    hourly: pd.DataFrame,
    variable: str,
    window_h: int,
    min_valid: int,
    *,
    min_windows: int = 1,
    windows: WindowDay = "within",
    tz: _TZ = None,
    hour_label: str = "start",
) -> pd.DataFrame:
    """Daily maximum of an N-hour trailing moving mean (e.g. the US AQI's 8-h CO).

    Parameters
    ----------
    hourly : pandas.DataFrame
        Hourly frame (module docstring).
    variable : str
        Column.
    window_h : int
        Window length [h].
    min_valid : int
        Valid hours needed in a window.
    min_windows : int, default 1
        Valid windows needed in the day, else NaN.
    windows : {"within", "ending", "starting"}, default "within"
        Which windows belong to a day: those whose hours all lie within it (HJ 663),
        those whose last hour lies in it, or those whose first hour lies in it.
    tz : tzinfo or str, optional
        Zone of the local days.
    hour_label : {"start", "end"}, default "start"
        Whether stamps label the start or the end of their hour.

    Returns
    -------
    pandas.DataFrame
        ``station``, ``date``, ``<var>_<window_h>h_max`` [input units] and
        ``n_<var>_<window_h>h`` (valid windows of the day).

    References
    ----------
    .. [1] GB 3095—2026 §3 (日最大 8 小时平均: 一个自然日内 8 小时滑动平均的最大值).
    """
    if windows not in WINDOW_DAYS:
        raise UnknownStandardError("daily window set", windows, WINDOW_DAYS)
    _check_window(window_h, min_valid)
    _check_window(25, min_windows, "windows per day")
    grid = build_hourly_grid(hourly, [variable], tz=tz, hour_label=hour_label, pad=window_h - 1)
    peak, n_valid = _daily_window_max(grid, variable, window_h, min_valid, windows)
    columns = {
        f"{variable}_{window_h}h_max": np.where(n_valid >= min_windows, peak, np.nan),
        f"n_{variable}_{window_h}h": n_valid,
    }
    return _day_frame(grid, columns, _attrs(grid, None))


def daily_max_8h(
    hourly: pd.DataFrame,
    variable: str = "o3",
    *,
    standard: Gb3095Standard | str | None = None,
    zone_class: int = 2,
    tz: _TZ = None,
    hour_label: str = "start",
) -> pd.DataFrame:
    """O3 daily maximum 8-h mean (MDA8) with the HJ 663 §6.1.2 validity rule.

    Parameters
    ----------
    hourly : pandas.DataFrame
        Hourly frame (module docstring) [µg m⁻³].
    variable : str, default "o3"
        Column.
    standard : Gb3095Standard or str, optional
        GB 3095 edition (with its HJ 663 rule); default GB 3095—2026.
    zone_class : int, default 2
        Zone class whose limit the exceedance exception uses (2: 二级, 160 µg m⁻³).
    tz : tzinfo or str, optional
        Zone of the local days.
    hour_label : {"start", "end"}, default "start"
        Whether stamps label the start or the end of their hour.

    Returns
    -------
    pandas.DataFrame
        ``station``, ``date``, ``<var>_8h_max`` [µg m⁻³] (NaN unless valid),
        ``n_<var>_8h`` (valid 8-h means within the day, 0–17) and ``<var>_8h_max_valid``.

    Notes
    -----
    An 8-h mean needs 6 valid hours (GB 3095 表4). The windows are the 17 whose hours lie
    within the day (hour-ending labels 08:00 … 24:00). The maximum is valid with at least
    14 valid windows, or with fewer when it exceeds the limit in force on that date
    (strictly greater).

    References
    ----------
    .. [1] HJ 663—2013 / HJ 663—2026 §6.1.2, p. 3 (secondary): "当日8时至24时至少有14个有效
       8小时平均浓度值。当不满足14个有效数据时，若日最大8小时平均浓度超过浓度限值标准时，
       统计结果仍有效。"
    .. [2] GB 3095—2026 表1 (O3 日最大 8 小时平均, 二级 160 µg m⁻³), 表4.
    """
    std = _standard(standard)
    grid = build_hourly_grid(
        hourly, [variable], tz=tz, hour_label=hour_label, pad=std.mda8.window_hours - 1
    )
    value, n_valid, valid = _daily_mda8(grid, variable, std, zone_class)
    columns = {
        f"{variable}_8h_max": value,
        f"n_{variable}_8h": n_valid,
        f"{variable}_8h_max_valid": valid,
    }
    return _day_frame(grid, columns, _attrs(grid, std))


def daily_statistics(
    hourly: pd.DataFrame,
    *,
    standard: Gb3095Standard | str | None = None,
    zone_class: int = 2,
    tz: _TZ = None,
    hour_label: str = "start",
) -> pd.DataFrame:
    """All daily statistics of the ecocast product, one row per station and local date.

    Parameters
    ----------
    hourly : pandas.DataFrame
        Hourly frame with columns ``pm25``, ``pm10``, ``so2``, ``no2``, ``o3`` [µg m⁻³]
        and ``co`` [mg m⁻³] (module docstring).
    standard : Gb3095Standard or str, optional
        GB 3095 edition; default GB 3095—2026.
    zone_class : int, default 2
        Zone class for the O3 exceedance exception (HJ 663 §6.1.2).
    tz : tzinfo or str, optional
        Zone of the local days.
    hour_label : {"start", "end"}, default "start"
        Whether stamps label the start or the end of their hour.

    Returns
    -------
    pandas.DataFrame
        ``station``, ``date``; 24-h means ``pm25``, ``pm10``, ``so2``, ``no2``, ``co``
        (20 valid hours); ``o3_8h_max`` (HJ 663 rule, :func:`daily_max_8h`);
        ``o3_1h_max``, ``so2_1h_max``, ``no2_1h_max`` (configured 18 valid hours);
        ``co_8h_max`` (configured: 8-h windows within the day, 6 valid hours each, 14
        valid windows); counts ``n_pm25`` … ``n_o3`` (valid hours), ``n_o3_8h`` and
        ``n_co_8h`` (valid 8-h windows within the day).

    References
    ----------
    .. [1] GB 3095—2026 表4; HJ 663 §6.1.2 (secondary); HJ 633—2012 §5.1 (daily indicators).
    """
    std = _standard(standard)
    conf = std.configuration
    pad = max(std.mda8.window_hours, conf.co_8h_window_hours) - 1
    names = [*DAILY_MEAN_VARIABLES, "o3"]
    grid = build_hourly_grid(hourly, names, tz=tz, hour_label=hour_label, pad=pad)
    out: dict[str, Any] = {}
    counts: dict[str, Any] = {}
    for name in DAILY_MEAN_VARIABLES:
        out[name], counts[f"n_{name}"] = _daily_mean(grid, name, std.validity.min_hours_24h)
    out["o3_8h_max"], n_o3_8h, _ = _daily_mda8(grid, "o3", std, zone_class)
    for name in DAILY_MAX_1H_VARIABLES:
        out[f"{name}_1h_max"], counts[f"n_{name}"] = _daily_max_1h(
            grid, name, conf.daily_max_1h_min_hours
        )
    co_peak, n_co_8h = _daily_window_max(
        grid, "co", conf.co_8h_window_hours, conf.co_8h_min_hours, "within"
    )
    out["co_8h_max"] = np.where(n_co_8h >= conf.co_8h_min_windows, co_peak, np.nan)
    ordered = {**out, **{f"n_{n}": counts[f"n_{n}"] for n in names}}
    ordered.update(n_o3_8h=n_o3_8h, n_co_8h=n_co_8h)
    return _day_frame(grid, ordered, _attrs(grid, std))
