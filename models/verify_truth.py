"""Daily values and AQI from hourly values: the observed daily truth and the forecasts' days.

:func:`daily_values` turns hourly concentrations into the daily statistics of GB 3095
(:func:`forecasting.standards.gb3095.daily_statistics`, the edition in force on each
local date) and the daily AQI, level and primary pollutant of HJ 633
(:func:`forecasting.standards.aqi_hj633.daily_aqi_hj633`, the edition in force on each
date). :func:`daily_observed` applies it to observations, giving the truth that daily
forecasts are verified against; a backtest applies the same function to its hourly
forecasts (keys ``station`` and ``issued_at``), so forecast and truth are computed the
same way.

Units: µg m⁻³, CO mg m⁻³ (convert at ingestion; the UCI Beijing file has CO in µg m⁻³).

References
----------
.. [1] GB 3095—2012 / GB 3095—2026 表4 (validity), HJ 663 §6.1.2 (O3 MDA8);
   ``cn_mee_gb3095_2012``, ``cn_mee_gb3095_2026``.
.. [2] HJ 633—2012 §5.1 / HJ 633—2026 §5.2–5.3 (daily AQI); ``cn_mee_hj633_2012``,
   ``cn_mee_hj633_2026``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from forecasting.errors import InputDataError
from forecasting.standards.aqi_hj633 import daily_aqi_hj633
from forecasting.standards.gb3095 import daily_statistics, gb3095_edition_for
from models.verify_common import Groups, require_columns
from models.verify_join import aware_times

__all__ = ["DAILY_VARIABLES", "HOURLY_VARIABLES", "daily_observed", "daily_values"]

HOURLY_VARIABLES: tuple[str, ...] = ("pm25", "pm10", "so2", "no2", "co", "o3")
"""Hourly variables of the backtest contract [µg m⁻³; CO mg m⁻³]."""

DAILY_VARIABLES: tuple[str, ...] = ("pm25", "pm10", "so2", "no2", "co", "o3_8h_max", "o3_1h_max")
"""Daily variables of the backtest contract [µg m⁻³; CO mg m⁻³]."""

_AQI_COLUMNS = ("aqi", "level", "primary", "edition", "standard_id", "complete")
_CODE = "station"  # daily_statistics groups by a column of this name


def _times(frame: pd.DataFrame, column: str, tz: dt.tzinfo | str) -> pd.Series:
    col = aware_times(frame[column], f"hourly frame, column {column!r}")
    try:
        local: pd.Series = col.dt.tz_convert(tz)
    except (TypeError, ValueError, KeyError) as exc:
        raise InputDataError(f"unknown time zone {tz!r}: {exc}") from exc
    return local


def _daily_by_edition(hourly: pd.DataFrame, local: pd.Series, tz: dt.tzinfo | str) -> pd.DataFrame:
    """GB 3095 daily statistics, each local date with the edition in force on it."""
    dates = local.dt.date
    edition_of = {d: gb3095_edition_for(d) for d in pd.unique(dates.to_numpy())}
    editions = dates.map(edition_of).to_numpy()
    parts = []
    for edition in sorted(set(edition_of.values())):
        # Editions split the time axis at one date, so each part's days stay on its side.
        part = daily_statistics(hourly.loc[editions == edition], standard=edition, tz=tz)
        parts.append(part.assign(gb3095_standard_id=edition))
    return pd.concat(parts, ignore_index=True)


def daily_values(
    hourly: pd.DataFrame,
    tz: dt.tzinfo | str,
    *,
    keys: Sequence[str] = ("station",),
    time: str = "time",
) -> pd.DataFrame:
    """Daily concentrations, AQI, level and primary pollutant from hourly values.

    Parameters
    ----------
    hourly : pandas.DataFrame
        Key columns, a tz-aware time column and ``pm25``, ``pm10``, ``so2``, ``no2``,
        ``o3`` [µg m⁻³] and ``co`` [mg m⁻³] (wide), or ``variable`` and ``value`` (long).
        A stamp labels the start of its hour (forecast lead 1 is stamp T). NaN = missing.
    tz : tzinfo or str
        Zone of the local days, e.g. ``"Asia/Shanghai"``.
    keys : sequence of str, default ("station",)
        Columns that identify one series, e.g. ``("station", "issued_at")`` for forecasts.
    time : str, default "time"
        Name of the time column (``"valid_at"`` for forecasts).

    Returns
    -------
    pandas.DataFrame
        One row per key and local date: the keys, ``date`` (local date), the daily
        variables ``pm25``, ``pm10``, ``so2``, ``no2``, ``co`` (24-h means, ≥ 20 valid
        hours), ``o3_8h_max`` (HJ 663 rule) and ``o3_1h_max`` [µg m⁻³; CO mg m⁻³], then
        ``aqi``, ``level``, ``primary``, ``edition``, ``standard_id`` (HJ 633 data file),
        ``complete`` and ``gb3095_standard_id`` (GB 3095 data file).

    Raises
    ------
    InputDataError
        If a column is missing, times are not tz-aware, or an hour appears twice.

    References
    ----------
    .. [1] GB 3095 表4; HJ 663 §6.1.2; HJ 633—2012 §5.1; HJ 633—2026 §5.2–5.3.
    """
    require_columns(hourly, [*keys, time], "hourly frame")
    if hourly.empty:
        raise InputDataError("hourly frame has no rows; there is nothing to aggregate")
    local = _times(hourly, time, tz)
    groups, labels = Groups.of(hourly, keys)
    frame = hourly.drop(columns=[*keys, time]).assign(**{_CODE: groups.codes, "time": local.array})
    stats = _daily_by_edition(frame, local, tz)
    stats = stats.rename(columns={_CODE: "_code"})
    aqi = daily_aqi_hj633(stats.assign(station=stats["_code"]))
    out = labels.take(stats["_code"].to_numpy()).reset_index(drop=True)
    for name in ("date", *DAILY_VARIABLES, "gb3095_standard_id"):
        out[name] = stats[name].array
    for name in _AQI_COLUMNS:
        out[name] = aqi[name].array
    columns = [*keys, "date", *DAILY_VARIABLES, *_AQI_COLUMNS, "gb3095_standard_id"]
    result: pd.DataFrame = out.loc[:, columns]
    return result


def daily_observed(hourly_obs: pd.DataFrame, tz: dt.tzinfo | str) -> pd.DataFrame:
    """Observed daily truth per station and local date, for verifying daily forecasts.

    Parameters
    ----------
    hourly_obs : pandas.DataFrame
        ``station``, ``time`` or ``valid_at`` (tz-aware, start of the hour), and the hourly
        observations ``pm25``, ``pm10``, ``so2``, ``no2``, ``o3`` [µg m⁻³] and ``co``
        [mg m⁻³] (e.g. the Beijing file with CO divided by 1000). NaN = missing.
    tz : tzinfo or str
        Zone of the local days (the stations' local time, e.g. ``"Asia/Shanghai"``).

    Returns
    -------
    pandas.DataFrame
        See :func:`daily_values`: ``station``, ``date``, the daily variables, ``aqi``,
        ``level``, ``primary`` and provenance columns.

    Raises
    ------
    InputDataError
        If a column is missing or times are not tz-aware.

    References
    ----------
    .. [1] GB 3095 表4; HJ 633—2012 §5.1; HJ 633—2026 §5.2–5.3 (as :func:`daily_values`).

    Examples
    --------
    >>> hours = pd.date_range("2015-03-01", periods=24, freq="h", tz="Asia/Shanghai")
    >>> obs = pd.DataFrame({"station": "A", "time": hours, "pm25": 80.0, "pm10": 90.0,
    ...     "so2": 10.0, "no2": 40.0, "co": 1.0, "o3": 60.0})
    >>> daily_observed(obs, "Asia/Shanghai")[["station", "pm25", "aqi", "level", "primary"]]
      station  pm25  aqi  level primary
    0       A  80.0  107      3    pm25
    """
    time = "time" if "time" in hourly_obs.columns else "valid_at"
    return daily_values(hourly_obs, tz, keys=("station",), time=time)
