"""Annual GB 3095 / HJ 663 statistics: annual means and percentiles with their validity.

:func:`annual_statistics` takes daily values (the output of
:func:`~forecasting.standards.gb3095_daily.daily_statistics`) and returns, per station
and calendar year, the annual mean of SO2, NO2, PM10 and PM2.5 and the HJ 663
percentiles (SO2 and NO2 daily mean 98th, PM10, PM2.5 and CO daily mean 95th, O3 daily
maximum 8-h 90th). A statistic is valid with at least 324 valid daily values in the year
and at least 27 in every month (25 in February) (GB 3095 表4); otherwise it is NaN.
Grouped pandas reductions, no per-station loop.

Percentiles use the method named in the HJ 663 data file (``"linear"``: sort the n
valid values, k = 1 + (n − 1)·p/100, M_p = X(⌊k⌋) + (X(⌊k⌋+1) − X(⌊k⌋))·(k − ⌊k⌋), which
is numpy ``"linear"``). That formula is UNVERIFIED against HJ 663 附录A (configuration).

References
----------
.. [1] GB 3095—2026 表4 (§6.4): "每年至少有 324 个日平均浓度值；每月至少有 27 个日平均浓度值
   （二月至少有 25 个日平均浓度值）". ``cn_mee_gb3095_2026``.
.. [2] HJ 663—2013 / HJ 663—2026, annual assessment items and percentiles (secondary).
   ``cn_mee_hj663_2013``, ``cn_mee_hj663_2026``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasting.errors import InputDataError
from forecasting.standards.gb3095_loader import load_gb3095
from forecasting.standards.gb3095_rules import Gb3095Standard

__all__ = ["annual_statistics"]


def _local_dates(column: pd.Series) -> npt.NDArray[np.datetime64]:
    try:
        parsed = pd.to_datetime(column)
    except (ValueError, TypeError) as exc:
        raise InputDataError(f"cannot read daily 'date' column as dates: {exc}") from exc
    if parsed.isna().any():
        row = column.index[int(np.flatnonzero(parsed.isna().to_numpy())[0])]
        raise InputDataError(f"missing date in daily frame at row {row!r}")
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_localize(None)
    return parsed.to_numpy().astype("datetime64[D]")


def _month_validity(
    frame: pd.DataFrame, columns: list[str], standard: Gb3095Standard
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per station-year: valid-day counts and whether the 324/27/25 rule holds."""
    rules = standard.validity
    per_month = frame.groupby(["station", "year", "month"], sort=True)[columns].count()
    wide = pd.DataFrame(per_month.unstack("month", fill_value=0))
    flat = wide.reindex(
        columns=pd.MultiIndex.from_product([columns, range(1, 13)]), fill_value=0
    ).to_numpy(dtype=np.int64)
    months = flat.reshape(len(wide), len(columns), 12)
    need = np.where(np.arange(1, 13) == 2, rules.min_days_february, rules.min_days_month)
    totals = months.sum(axis=2)
    counts = pd.DataFrame(totals, index=wide.index, columns=columns)
    ok = (months >= need).all(axis=2) & (totals >= rules.min_days_year)
    valid = pd.DataFrame(ok, index=wide.index, columns=columns)
    return counts, valid


def annual_statistics(
    daily: pd.DataFrame, *, standard: Gb3095Standard | str | None = None
) -> pd.DataFrame:
    """Annual means and percentiles per station and calendar year.

    Parameters
    ----------
    daily : pandas.DataFrame
        One row per station and local date: ``station``, ``date`` and any of the daily
        columns ``so2``, ``no2``, ``pm10``, ``pm25``, ``co`` (24-h means) and
        ``o3_8h_max`` [µg m⁻³; CO mg m⁻³]; NaN marks an invalid day. Columns that are
        absent are not assessed.
    standard : Gb3095Standard or str, optional
        GB 3095 edition (with its HJ 663 items); default GB 3095—2026.

    Returns
    -------
    pandas.DataFrame
        ``station``, ``year``, and for each assessed column ``<col>``:
        ``n_days_<col>`` (valid days), ``<col>_valid`` (the 324/27/25 rule),
        ``<col>_mean`` (SO2, NO2, PM10, PM2.5) and ``<col>_p<rank>`` (e.g. ``pm25_p95``,
        ``o3_8h_max_p90``) [input units], NaN where not valid. ``attrs["standard"]``
        and ``attrs["sources"]`` name the data files.

    Raises
    ------
    InputDataError
        Without ``station``/``date`` columns or any assessed column, with unreadable
        dates, or with two rows for one station and date.

    References
    ----------
    .. [1] GB 3095—2026 表4 (annual validity); HJ 663 annual items (secondary).
    """
    if isinstance(standard, Gb3095Standard):
        std = standard
    else:
        std = load_gb3095() if standard is None else load_gb3095(standard)
    items = [(p, "mean", 0.0) for p in std.annual_mean_pollutants]
    items += [(q.column, "percentile", q.percentile) for q in std.percentiles]
    columns = list(dict.fromkeys(c for c, _, _ in items if c in daily.columns))
    if not {"station", "date"} <= set(daily.columns) or not columns:
        wanted = sorted({c for c, _, _ in items})
        raise InputDataError(
            f"daily frame needs 'station', 'date' and some of {wanted}; "
            f"its columns are {list(map(str, daily.columns))}"
        )
    dates = _local_dates(daily["date"])
    frame = pd.DataFrame({"station": daily["station"].to_numpy()})
    frame["year"] = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    frame["month"] = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
    frame["_date"] = dates
    dup = frame.duplicated(["station", "_date"]).to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise InputDataError(
            f"daily frame has two rows for station {frame['station'].iloc[i]!r} on {dates[i]} "
            f"(row {daily.index[i]!r}); keep one row per station and date"
        )
    for c in columns:
        try:
            frame[c] = pd.to_numeric(daily[c]).to_numpy(dtype=np.float64, na_value=np.nan)
        except (ValueError, TypeError) as exc:
            raise InputDataError(f"daily column {c!r} must be numeric: {exc}") from exc
    counts, valid = _month_validity(frame, columns, std)
    grouped = frame.groupby(["station", "year"], sort=True)
    out: dict[str, Any] = {}
    for column, kind, rank in items:
        if column not in columns:
            continue
        if kind == "mean":
            stat = grouped[column].mean()
            name = f"{column}_mean"
        else:
            stat = grouped[column].quantile(rank / 100.0, interpolation=std.percentile_method)
            name = f"{column}_p{rank:g}"
        out[name] = stat.reindex(valid.index).where(valid[column].to_numpy())
    result = pd.concat(
        [counts.add_prefix("n_days_"), valid.add_suffix("_valid"), pd.DataFrame(out)], axis=1
    ).reset_index()
    result.attrs.update(standard=std.id, sources=[std.source.id, std.assessment.id])
    return result
