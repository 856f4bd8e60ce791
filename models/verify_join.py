"""Attach observations to forecast frames: the ``obs`` columns that verification scores.

Forecast rows are matched to observations by integer keys (station, variable and the
UTC second of ``valid_at``, or the local date) through a hash index, which keeps the
join of two million forecast rows well under a second. A forecast without an
observation gets NaN (it is not scored); an observation that appears twice is an error,
because it would make the truth ambiguous.

References
----------
.. [1] shared/docs/product.md, "Backtest contract" (``hourly.parquet``,
   ``daily.parquet``) and "Forecast protocol" (tz-aware ``valid_at``; local ``date``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from forecasting.errors import InputDataError
from models.verify_common import FloatArray, IntArray, as_float_array, require_columns

__all__ = ["aware_times", "date_key", "epoch_seconds", "join_daily_obs", "join_hourly_obs"]

_SHIFT = np.int64(1) << np.int64(32)


def aware_times(values: pd.Series, what: str) -> pd.Series:
    """Return tz-aware timestamps, parsing ISO 8601 strings with UTC offsets.

    Parameters
    ----------
    values : pandas.Series
        tz-aware timestamps, or ISO 8601 strings with a UTC offset (mixed offsets are
        converted to UTC).
    what : str
        Where the values come from, for error messages.

    Returns
    -------
    pandas.Series
        tz-aware timestamps.

    Raises
    ------
    InputDataError
        If a value is missing, not a timestamp, or naive (no time zone).
    """
    col = values
    if not isinstance(col.dtype, pd.DatetimeTZDtype) and not pd.api.types.is_datetime64_dtype(col):
        try:
            col = pd.to_datetime(col, format="ISO8601")
        except (TypeError, ValueError):
            try:  # mixed UTC offsets
                col = pd.to_datetime(values, format="ISO8601", utc=True)
            except (TypeError, ValueError) as exc:
                raise InputDataError(f"{what}: not timestamps ({exc})") from exc
    if not isinstance(col.dtype, pd.DatetimeTZDtype):
        raise InputDataError(
            f"{what}: timestamps must be tz-aware (got {col.dtype}); localise them, e.g. "
            "Series.dt.tz_localize('Asia/Shanghai')"
        )
    if col.isna().any():
        i = int(np.flatnonzero(col.isna().to_numpy())[0])
        raise InputDataError(f"{what}: missing timestamp in row {values.index[i]!r}")
    return col


def epoch_seconds(values: pd.Series, what: str) -> IntArray:
    """Return tz-aware timestamps as UTC seconds since 1970-01-01.

    Parameters
    ----------
    values : pandas.Series
        tz-aware timestamps, or ISO 8601 strings with a UTC offset.
    what : str
        Where the values come from, for error messages.

    Returns
    -------
    ndarray of int64

    Raises
    ------
    InputDataError
        If a value is missing, not a timestamp, or naive (no time zone).
    """
    col = aware_times(values, what)
    naive = col.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
    seconds: IntArray = naive.astype("datetime64[s]").astype(np.int64)
    return seconds


def date_key(values: pd.Series, what: str) -> IntArray:
    """Return local calendar dates as days since 1970-01-01.

    Parameters
    ----------
    values : pandas.Series
        Dates: ``"YYYY-MM-DD"`` strings, python dates, ``date32`` or naive datetimes.
    what : str
        Where the values come from, for error messages.

    Returns
    -------
    ndarray of int64

    Raises
    ------
    InputDataError
        If a value is missing, not a date, or a tz-aware timestamp (give the local date).
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        raise InputDataError(f"{what}: expected local dates, got tz-aware timestamps")
    plain = pd.api.types.is_datetime64_dtype(values) or isinstance(values.dtype, pd.ArrowDtype)
    try:
        parsed = pd.to_datetime(
            values if plain else values.astype("string"), format=None if plain else "ISO8601"
        )
    except (TypeError, ValueError) as exc:
        raise InputDataError(f"{what}: not dates ({exc}); use 'YYYY-MM-DD'") from exc
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        raise InputDataError(f"{what}: expected local dates, got tz-aware timestamps")
    if parsed.isna().any():
        i = int(np.flatnonzero(parsed.isna().to_numpy())[0])
        raise InputDataError(f"{what}: missing date in row {values.index[i]!r}")
    return parsed.to_numpy().astype("datetime64[D]").astype(np.int64)


def _codes(left: pd.Series, right: pd.Series, what: str) -> tuple[IntArray, IntArray, int]:
    """Integer codes of two columns on one shared set of labels (factorised per side)."""
    lc, lu = pd.factorize(left)
    rc, ru = pd.factorize(right)
    for side, codes in (("forecasts", lc), ("observations", rc)):
        if (codes < 0).any():
            i = int(np.flatnonzero(codes < 0)[0])
            raise InputDataError(f"{side}: missing {what} in row {i}; every row needs one")
    at = pd.Index(lu).get_indexer(pd.Index(ru))
    new = at < 0
    at[new] = len(lu) + np.arange(int(new.sum()))
    right_codes = np.where(rc >= 0, at[np.maximum(rc, 0)] if len(at) else -1, -1)
    return lc.astype(np.int64), right_codes.astype(np.int64), len(lu) + int(new.sum())


def _keys(parts: Sequence[tuple[IntArray, int]], stamp: IntArray, base: int) -> IntArray:
    combo = np.zeros(len(stamp), dtype=np.int64)
    for codes, size in parts:
        combo = combo * np.int64(size) + codes
    return combo * _SHIFT + (stamp - base)


def _lookup(keys: IntArray, obs_keys: IntArray, obs: pd.DataFrame, what: str) -> IntArray:
    index = pd.Index(obs_keys)
    dup = index.duplicated()
    if dup.any():
        row = obs.iloc[int(np.flatnonzero(dup)[0])]
        raise InputDataError(f"{what}: the observation {dict(row)} appears twice; keep one")
    return np.asarray(index.get_indexer(pd.Index(keys)), dtype=np.int64)


def _take(values: FloatArray, at: IntArray) -> FloatArray:
    return np.where(at >= 0, values[np.maximum(at, 0)] if len(values) else np.nan, np.nan)


def _long_hourly(observations: pd.DataFrame, variables: Sequence[str]) -> pd.DataFrame:
    time = "valid_at" if "valid_at" in observations.columns else "time"
    require_columns(observations, ("station", time), "observations")
    if "variable" in observations.columns:
        value = "obs" if "obs" in observations.columns else "value"
        require_columns(observations, (value,), "long observations")
        obs = as_float_array(observations[value], f"observations, column {value!r}")
        return pd.DataFrame(
            {
                "station": observations["station"].array,
                "t": observations[time].array,
                "variable": observations["variable"].array,
                "obs": obs,
            }
        )
    require_columns(observations, list(variables), "wide observations (one column per variable)")
    rows = observations if variables else observations.iloc[:0]
    names = list(variables) or ["none"]  # no variable: an empty frame with the right columns
    values = [as_float_array(rows[v], f"observations, column {v!r}") for v in variables]
    return pd.DataFrame(
        {
            "station": pd.concat([rows["station"]] * len(names), ignore_index=True),
            "t": pd.concat([rows[time]] * len(names), ignore_index=True),
            "variable": np.repeat(np.array(names, dtype=object), len(rows)),
            "obs": np.concatenate(values) if values else np.array([], dtype=np.float64),
        }
    )


def join_hourly_obs(forecasts: pd.DataFrame, observations: pd.DataFrame) -> pd.DataFrame:
    """Return ``forecasts`` with the observed value of each row in a new ``obs`` column.

    Parameters
    ----------
    forecasts : pandas.DataFrame
        ``station``, ``valid_at`` (tz-aware), ``variable`` and any other columns.
    observations : pandas.DataFrame
        Long (``station``, ``valid_at`` or ``time``, ``variable``, ``obs`` or ``value``) or
        wide (``station``, ``valid_at`` or ``time``, one column per forecast variable).

    Returns
    -------
    pandas.DataFrame
        A copy of ``forecasts`` with ``obs`` (NaN where nothing was observed).

    Raises
    ------
    InputDataError
        If ``forecasts`` already has ``obs``, a column is missing, a time is naive, or
        an observation appears twice.
    """
    if "obs" in forecasts.columns:
        raise InputDataError("forecasts already have an 'obs' column; pass observations=None")
    if forecasts.empty:
        return forecasts.assign(obs=np.array([], dtype=np.float64))
    variables = [str(v) for v in forecasts["variable"].dropna().unique()]
    obs = _long_hourly(observations, variables)
    f_sec = epoch_seconds(forecasts["valid_at"], "forecasts, column 'valid_at'")
    o_sec = epoch_seconds(obs["t"], "observations, time column")
    base = int(min(f_sec.min(initial=0), o_sec.min(initial=0)))
    fs, os_, ns = _codes(forecasts["station"], obs["station"], "station")
    fv, ov, nv = _codes(forecasts["variable"], obs["variable"], "variable")
    at = _lookup(
        _keys([(fs, ns), (fv, nv)], f_sec, base),
        _keys([(os_, ns), (ov, nv)], o_sec, base),
        obs,
        "observations",
    )
    return forecasts.assign(obs=_take(obs["obs"].to_numpy(), at))


def join_daily_obs(
    daily_forecasts: pd.DataFrame, daily_obs: pd.DataFrame, *, with_aqi: bool
) -> pd.DataFrame:
    """Return daily forecasts with ``obs`` (and ``obs_aqi``, ``obs_level``, ``obs_primary``).

    Parameters
    ----------
    daily_forecasts : pandas.DataFrame
        ``station``, ``date`` (local), ``variable`` and any other columns.
    daily_obs : pandas.DataFrame
        One row per station and date: ``station``, ``date``, a column per forecast
        variable and, when ``with_aqi``, ``aqi``, ``level``, ``primary``.
    with_aqi : bool
        Whether to attach the observed AQI, level and primary pollutant.

    Returns
    -------
    pandas.DataFrame
        A copy of ``daily_forecasts`` with the observed columns (NaN/NA where absent).

    Raises
    ------
    InputDataError
        If a column is missing, a date is invalid, a station-date appears twice, or the
        forecasts already carry ``obs``.
    """
    if "obs" in daily_forecasts.columns:
        raise InputDataError("daily forecasts already have an 'obs' column; pass daily_obs=None")
    if daily_forecasts.empty:
        names = ["obs", *(["obs_aqi", "obs_level", "obs_primary"] if with_aqi else [])]
        return daily_forecasts.assign(**{n: np.array([], dtype=np.float64) for n in names})
    variables = [str(v) for v in daily_forecasts["variable"].dropna().unique()]
    extra = ["aqi", "level", "primary"] if with_aqi else []
    require_columns(daily_obs, ["station", "date", *variables, *extra], "daily observations")
    f_day = date_key(daily_forecasts["date"], "daily forecasts, column 'date'")
    o_day = date_key(daily_obs["date"], "daily observations, column 'date'")
    base = int(min(f_day.min(initial=0), o_day.min(initial=0)))
    fs, os_, ns = _codes(daily_forecasts["station"], daily_obs["station"], "station")
    at = _lookup(
        _keys([(fs, ns)], f_day, base),
        _keys([(os_, ns)], o_day, base),
        daily_obs[["station", "date"]],
        "daily observations",
    )
    obs = np.full(len(daily_forecasts), np.nan)
    variable = daily_forecasts["variable"].to_numpy(dtype=object)
    for v in variables:
        rows = variable == v
        column = as_float_array(daily_obs[v], f"daily observations, column {v!r}")
        obs[rows] = _take(column, at[rows])
    out = daily_forecasts.assign(obs=obs)
    if with_aqi:
        found = at >= 0
        for name in extra:
            if daily_obs.empty:
                out[f"obs_{name}"] = pd.Series(pd.NA, index=out.index, dtype=object)
                continue
            taken = daily_obs[name].reset_index(drop=True).take(np.maximum(at, 0))
            out[f"obs_{name}"] = taken.where(found).array
    return out
