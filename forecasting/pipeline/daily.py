"""Daily forecasts from hourly ones: GB 3095 statistics, HJ 633 AQI, level and primary.

Per (station, issue time) the hourly point forecasts of the six pollutants are
aggregated per local date into the daily variables of GB 3095 (24-h means of PM2.5,
PM10, SO2, NO2, CO; O3 daily maximum 8-h mean and daily maximum 1-h value) and the
daily AQI, level and primary pollutant of the HJ 633 edition of each date
(:func:`models.verify_truth.daily_values`). The daily ``q10``/``q90`` are the same
statistics of the hourly q10/q90 paths, an approximation (a daily mean of hourly
quantiles is not the quantile of the daily mean; it is wider where the hourly errors are
correlated less than perfectly).

Day numbering follows the product protocol: day 1 is the first local date whose 24
hours are all forecast (the date of T for an issue at 00:00; the next date for an issue
later in the day, as HJ 633—2026 §5.1 counts "the next 3 days, not counting today").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasting.errors import InputDataError
from models.verify_truth import DAILY_VARIABLES, HOURLY_VARIABLES, daily_values

__all__ = ["DAILY_COLUMNS", "daily_from_hourly", "first_full_day"]

DAILY_COLUMNS = (
    "station",
    "issued_at",
    "day",
    "date",
    "variable",
    "value",
    "q10",
    "q90",
    "aqi",
    "level",
    "primary",
)
"""Columns of ``daily.parquet`` (backtest contract)."""
_KEYS = ("station", "issued_at")


def first_full_day(issued_at: pd.Series, tz: str) -> pd.Series:
    """Local date of forecast day 1 per issue time (see the module docstring)."""
    local = pd.DatetimeIndex(issued_at).tz_convert(tz)
    midnight = local == local.normalize()
    first = local.normalize() + pd.to_timedelta(np.where(midnight, 0, 1), unit="D")
    return pd.Series(first.date, index=issued_at.index)


def _wide(hourly: pd.DataFrame, column: str) -> pd.DataFrame:
    wide = hourly.pivot_table(
        index=[*_KEYS, "valid_at"], columns="variable", values=column, aggfunc="first", dropna=False
    )
    wide = wide.reindex(columns=list(HOURLY_VARIABLES))
    wide.columns.name = None
    return wide.reset_index()


def daily_from_hourly(hourly: pd.DataFrame, tz: str, *, days: int = 3) -> pd.DataFrame:
    """Aggregate hourly forecasts into the daily contract frame.

    Parameters
    ----------
    hourly : pandas.DataFrame
        Long hourly forecasts: ``station``, ``issued_at``, ``valid_at`` (tz-aware, start of
        the hour), ``variable``, ``value``, ``q10``, ``q90`` [µg m⁻³; CO mg m⁻³].
    tz : str
        Zone of the local dates.
    days : int
        Forecast days kept (1 … ``days``).

    Returns
    -------
    pandas.DataFrame
        :data:`DAILY_COLUMNS`: one row per station, issue, day and daily variable;
        ``date`` as ``YYYY-MM-DD``; ``aqi`` (Int64), ``level`` (Int64, 1-6) and
        ``primary`` (pollutants joined by ``+``, empty when AQI ≤ 50) repeated on the
        rows of a station-day; then ``aqi_low`` and ``aqi_high``, the AQI of the q10 and
        q90 paths (the AQI range a forecaster publishes). Variables not forecast stay NaN
        and do not count.

    Raises
    ------
    InputDataError
        When a column is missing or the frame is empty.
    """
    need = {"station", "issued_at", "valid_at", "variable", "value", "q10", "q90"}
    missing = sorted(need - set(hourly.columns))
    if missing or hourly.empty:
        raise InputDataError(f"hourly forecasts lack columns {missing} or have no rows")
    stats = {}
    for column in ("value", "q10", "q90"):
        stats[column] = daily_values(_wide(hourly, column), tz, keys=_KEYS, time="valid_at")
    point = stats["value"]
    first = first_full_day(point["issued_at"], tz)
    day = (pd.to_datetime(point["date"]) - pd.to_datetime(first)).dt.days + 1
    keep = ((day >= 1) & (day <= days)).to_numpy()
    forecast_vars = set(hourly["variable"].unique())
    variables = [
        v
        for v in DAILY_VARIABLES
        if v in forecast_vars or (v.startswith("o3") and "o3" in forecast_vars)
    ]
    parts = []
    for variable in variables:
        part = point.loc[keep, ["station", "issued_at"]].copy()
        part["day"] = day[keep].astype(np.int64).to_numpy()
        part["date"] = pd.to_datetime(point.loc[keep, "date"]).dt.strftime("%Y-%m-%d").to_numpy()
        part["variable"] = variable
        for column in ("value", "q10", "q90"):
            part[column] = stats[column].loc[keep, variable].to_numpy(dtype=np.float64)
        part["aqi"] = point.loc[keep, "aqi"].astype("Int64").array
        part["level"] = point.loc[keep, "level"].astype("Int64").array
        part["primary"] = point.loc[keep, "primary"].fillna("").astype(str).to_numpy()
        part["aqi_low"] = stats["q10"].loc[keep, "aqi"].astype("Int64").array
        part["aqi_high"] = stats["q90"].loc[keep, "aqi"].astype("Int64").array
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    low, high = out[["q10", "q90"]].min(axis=1), out[["q10", "q90"]].max(axis=1)
    out["q10"], out["q90"] = low.where(out["q10"].notna()), high.where(out["q90"].notna())
    return out.sort_values(["issued_at", "station", "day", "variable"], ignore_index=True).loc[
        :, [*DAILY_COLUMNS, "aqi_low", "aqi_high"]
    ]
