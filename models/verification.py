"""Forecast verification: hourly and daily backtest frames to tidy metric tables.

The orchestrators of the verification package, used by backtests now and by the
service later. Inputs are the long frames of the backtest contract (product brief):

* hourly: ``station, issued_at, valid_at, lead_h, variable, value, q10, q90``;
* daily: ``station, issued_at, day, date, variable, value, q10, q90`` and per
  station-day ``aqi, level, primary``.

:func:`verify_hourly` scores each variable and lead; :func:`verify_daily` each variable
and day, plus the AQI scores Chinese forecasters are judged by (level accuracy, ±1
level, ±25 % AQI range, primary pollutant on days with AQI > 50, POD/FAR/CSI of
level ≥ 3 and ≥ 5). Both return a tidy table ``<keys>, metric, value, n``; run them for
the model and for persistence and climatology on the same cases (:func:`common_cases`),
then :func:`~models.verify_skill.compare_to_baselines` and
:func:`~models.verify_report.metrics_json`.

Everything is vectorised: per-case terms summed per group with :func:`numpy.bincount`
(:mod:`models.verify_common`). Missing forecasts or observations are not scored, and
each figure carries ``n``.

The package's modules, whose main functions are re-exported here:

* :mod:`models.verify_continuous` (MAE, RMSE, NMB, NME, r),
  :mod:`models.verify_categorical` (levels, ±25 % range, primary pollutant),
  :mod:`models.verify_events` (contingency, POD, FAR, CSI),
  :mod:`models.verify_intervals` (pinball loss, coverage, reliability table);
* :mod:`models.verify_skill` (orientation, skill, comparison with the references),
  :mod:`models.verify_report` (``metrics.json``);
* :mod:`models.verify_truth` (observed daily truth), :mod:`models.verify_join`
  (attaching observations), :mod:`models.verify_standard` (HJ 1130 rules),
  :mod:`models.verify_common` (scores, groups, input checks).

References
----------
.. [1] HJ 1130—2020 环境空气质量数值预报技术规范 (secondary: shared/docs/standards.md §7);
   data file ``cn_mee_hj1130_2020``.
.. [2] shared/docs/product.md, "Backtest contract" and capability 6.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from forecasting.errors import InputDataError
from forecasting.standards.aqi_hj633 import load_hj633
from models.verify_categorical import (
    aqi_range_accuracy_grouped,
    aqi_range_accuracy_score,
    as_aqi,
    as_levels,
    level_accuracy_grouped,
    level_accuracy_score,
    level_within_one_grouped,
    level_within_one_score,
    primary_accuracy_grouped,
    primary_accuracy_score,
    primary_codes,
)
from models.verify_common import (
    FloatArray,
    GroupedScore,
    Groups,
    IntArray,
    Score,
    as_float_array,
    require_columns,
)
from models.verify_continuous import (
    mean_absolute_error,
    mean_absolute_error_grouped,
    normalized_mean_bias,
    normalized_mean_bias_grouped,
    normalized_mean_error,
    normalized_mean_error_grouped,
    pearson_r,
    pearson_r_grouped,
    root_mean_squared_error,
    root_mean_squared_error_grouped,
)
from models.verify_events import (
    Contingency,
    contingency,
    critical_success_index_score,
    event_scores_grouped,
    false_alarm_ratio_error,
    level_events,
    probability_of_detection_score,
)
from models.verify_intervals import (
    interval_coverage,
    interval_coverage_grouped,
    pinball_loss,
    pinball_loss_grouped,
    reliability_table,
)
from models.verify_join import date_key, join_daily_obs, join_hourly_obs
from models.verify_report import metrics_json
from models.verify_skill import compare_to_baselines, metric_info, skill_score
from models.verify_standard import Hj1130Verification, load_hj1130
from models.verify_truth import daily_observed, daily_values

__all__ = [
    "CONTINUOUS_METRICS",
    "EVENT_LEVELS",
    "INTERVAL_METRICS",
    "Contingency",
    "Hj1130Verification",
    "Score",
    "aqi_range_accuracy_score",
    "common_cases",
    "compare_to_baselines",
    "contingency",
    "critical_success_index_score",
    "daily_observed",
    "daily_values",
    "false_alarm_ratio_error",
    "interval_coverage",
    "level_accuracy_score",
    "level_within_one_score",
    "load_hj1130",
    "mean_absolute_error",
    "metric_info",
    "metrics_json",
    "normalized_mean_bias",
    "normalized_mean_error",
    "pearson_r",
    "pinball_loss",
    "primary_accuracy_score",
    "probability_of_detection_score",
    "reliability_table",
    "root_mean_squared_error",
    "skill_score",
    "verify_daily",
    "verify_hourly",
]

CONTINUOUS_METRICS: tuple[str, ...] = (
    "mean_absolute_error",
    "root_mean_squared_error",
    "normalized_mean_bias",
    "normalized_mean_error",
    "pearson_r",
)
"""Continuous metrics, in table order."""

INTERVAL_METRICS: tuple[str, ...] = (
    "pinball_loss_q10",
    "pinball_loss_q90",
    "interval_coverage_q10_q90",
)
"""Quantile metrics of the contract's ``q10`` and ``q90``, in table order."""

EVENT_LEVELS: tuple[int, ...] = (3, 5)
"""Event levels of issue 5: level ≥ 3 (AQI > 100, polluted) and ≥ 5 (AQI > 200, heavy)."""

_CONTINUOUS = (
    mean_absolute_error_grouped,
    root_mean_squared_error_grouped,
    normalized_mean_bias_grouped,
    normalized_mean_error_grouped,
    pearson_r_grouped,
)


def _column(frame: pd.DataFrame, name: str) -> FloatArray:
    if name not in frame.columns:
        return np.full(len(frame), np.nan)
    return as_float_array(frame[name], f"column {name!r}")


def _whole(frame: pd.DataFrame, name: str) -> None:
    x = as_float_array(frame[name], f"column {name!r}")
    bad = np.isnan(x) | (x < 1) | (x != np.round(x))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputDataError(
            f"column {name!r}: {x[i]:g} in row {frame.index[i]!r} is not a whole number ≥ 1"
        )


def _concentration_scores(frame: pd.DataFrame, groups: Groups) -> dict[str, GroupedScore]:
    f, o = _column(frame, "value"), _column(frame, "obs")
    scores = {
        name: fn(f, o, groups) for name, fn in zip(CONTINUOUS_METRICS, _CONTINUOUS, strict=True)
    }
    q10, q90 = _column(frame, "q10"), _column(frame, "q90")
    scores["pinball_loss_q10"] = pinball_loss_grouped(o, q10, 0.1, groups)
    scores["pinball_loss_q90"] = pinball_loss_grouped(o, q90, 0.9, groups)
    scores["interval_coverage_q10_q90"] = interval_coverage_grouped(o, q10, q90, groups)
    return scores


def _tidy(labels: pd.DataFrame, scores: Mapping[str, GroupedScore]) -> pd.DataFrame:
    names = list(scores)
    rows = np.repeat(np.arange(len(labels)), len(names))
    out = labels.take(rows).reset_index(drop=True)
    out["metric"] = np.tile(np.array(names, dtype=object), len(labels))
    out["value"] = np.column_stack([scores[m].value for m in names]).ravel() if names else []
    out["n"] = np.column_stack([scores[m].n for m in names]).ravel() if names else []
    out["n"] = out["n"].astype(np.int64)
    return out


def verify_hourly(
    forecasts: pd.DataFrame, observations: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Score hourly forecasts per variable and lead.

    Parameters
    ----------
    forecasts : pandas.DataFrame
        ``station``, ``valid_at`` (tz-aware), ``lead_h`` (1 … 72), ``variable``,
        ``value`` and optionally ``q10``, ``q90`` [µg m⁻³; CO mg m⁻³]; with an ``obs``
        column when ``observations`` is not given. Other columns (``issued_at``) are
        ignored. NaN = missing (not scored).
    observations : pandas.DataFrame, optional
        Hourly observations, long (``station``, ``valid_at`` or ``time``, ``variable``,
        ``obs`` or ``value``) or wide (``station``, ``valid_at`` or ``time``, one column per
        variable); one row per station and hour.

    Returns
    -------
    pandas.DataFrame
        ``variable``, ``lead_h``, ``metric`` (:data:`CONTINUOUS_METRICS`, then
        :data:`INTERVAL_METRICS`), ``value``, ``n`` (pairs scored; NaN value and n = 0
        where there is nothing to score, e.g. a baseline without quantiles).

    Raises
    ------
    InputDataError
        If a column is missing, a lead is not a whole number ≥ 1, times are not
        tz-aware, or an observation appears twice.

    References
    ----------
    .. [1] HJ 1130—2020 concentration metrics (secondary, standards.md §7.1).

    Examples
    --------
    >>> t = pd.Timestamp("2015-03-01 00:00", tz="Asia/Shanghai")
    >>> fc = pd.DataFrame({"station": "A", "valid_at": [t, t], "lead_h": [1, 1],
    ...                    "variable": ["pm25", "pm10"], "value": [50.0, 80.0],
    ...                    "obs": [40.0, float("nan")]})
    >>> verify_hourly(fc).query("metric == 'mean_absolute_error'")[["variable", "value", "n"]]
      variable  value  n
    0     pm10    NaN  0
    8     pm25   10.0  1
    """
    require_columns(forecasts, ("station", "valid_at", "lead_h", "variable", "value"), "forecasts")
    frame = forecasts if observations is None else join_hourly_obs(forecasts, observations)
    require_columns(frame, ("obs",), "forecasts (pass observations, or an obs column)")
    _whole(frame, "lead_h")
    groups, labels = Groups.of(frame, ("variable", "lead_h"))
    labels["lead_h"] = labels["lead_h"].astype(np.int64)
    return _tidy(labels, _concentration_scores(frame, groups))


def _aqi_days(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per station, issue and day (the AQI is repeated on each variable row)."""
    keys = ["station", "issued_at", "day"]
    cols = [*keys, "aqi", "level", "primary", "obs_aqi", "obs_level", "obs_primary"]
    days = frame.loc[:, cols].drop_duplicates()
    clash = days.duplicated(keys).to_numpy()
    if clash.any():
        row = days.iloc[int(np.flatnonzero(clash)[0])]
        raise InputDataError(
            f"daily forecasts: station-day {dict(row[keys])} has different aqi/level/primary "
            "on its variable rows; they must repeat the same station-day values"
        )
    return days


def _aqi_scores(
    days: pd.DataFrame, groups: Groups, event_levels: Sequence[int], rules: Hj1130Verification
) -> dict[str, GroupedScore]:
    f_aqi, o_aqi = as_aqi(days["aqi"], "aqi"), as_aqi(days["obs_aqi"], "obs_aqi")
    scores = {
        name: fn(f_aqi, o_aqi, groups)
        for name, fn in zip(CONTINUOUS_METRICS, _CONTINUOUS, strict=True)
    }
    f_level, o_level = as_levels(days["level"], "level"), as_levels(days["obs_level"], "obs_level")
    scores["level_accuracy_score"] = level_accuracy_grouped(f_level, o_level, groups)
    scores["level_within_one_score"] = level_within_one_grouped(f_level, o_level, groups)
    tol = rules.aqi_range_tolerance
    scores["aqi_range_accuracy_score"] = aqi_range_accuracy_grouped(f_aqi, o_aqi, groups, tol)
    f_codes = primary_codes(days["primary"], "primary")
    o_codes = primary_codes(days["obs_primary"], "obs_primary")
    scores["primary_accuracy_score"] = primary_accuracy_grouped(
        f_codes, o_codes, o_level, groups, rules
    )
    for k in event_levels:
        events = event_scores_grouped(
            level_events(f_level, k, "level"), level_events(o_level, k, "obs_level"), groups
        )
        scores.update({f"{name}_level_ge{k}": s for name, s in events.items()})
    return scores


def verify_daily(
    daily_forecasts: pd.DataFrame,
    daily_obs: pd.DataFrame | None = None,
    *,
    event_levels: Sequence[int] = EVENT_LEVELS,
    rules: Hj1130Verification | None = None,
) -> pd.DataFrame:
    """Score daily forecasts per variable and day, and the daily AQI per day.

    Parameters
    ----------
    daily_forecasts : pandas.DataFrame
        ``station``, ``issued_at``, ``day`` (1 … 3), ``date`` (local date), ``variable``,
        ``value`` and optionally ``q10``, ``q90`` [µg m⁻³; CO mg m⁻³]; optionally the
        station-day ``aqi``, ``level``, ``primary`` (then the AQI scores are computed).
        Without ``daily_obs``: the observed ``obs`` and, with ``aqi``, ``obs_aqi``,
        ``obs_level``, ``obs_primary`` columns.
    daily_obs : pandas.DataFrame, optional
        Observed daily truth, one row per station and date (:func:`daily_observed`):
        ``station``, ``date``, one column per daily variable and ``aqi``, ``level``,
        ``primary``.
    event_levels : sequence of int, default (3, 5)
        Events "level ≥ K" scored by POD, FAR and CSI.
    rules : Hj1130Verification, optional
        HJ 1130 rules (±25 %, primary-pollutant rule); default
        :func:`~models.verify_standard.load_hj1130`.

    Returns
    -------
    pandas.DataFrame
        ``variable``, ``day``, ``metric``, ``value``, ``n``. Concentration rows: the
        hourly metrics (:func:`verify_hourly`). Rows of ``variable == "aqi"``: the
        continuous metrics of the AQI value, ``level_accuracy_score``,
        ``level_within_one_score``, ``aqi_range_accuracy_score``,
        ``primary_accuracy_score`` and, per event level K,
        ``probability_of_detection_score_level_geK``,
        ``false_alarm_ratio_error_level_geK``, ``critical_success_index_score_level_geK``.

    Raises
    ------
    InputDataError
        If a column is missing, a day is not a whole number ≥ 1, a level, AQI or primary
        pollutant is invalid, the AQI differs between variable rows of one station-day, or
        ``daily_obs`` has two rows for a station-date.

    References
    ----------
    .. [1] HJ 1130—2020 AQI range, level and primary-pollutant accuracy, heavy-pollution
       days (secondary, standards.md §7.1); issue 5 point 3 (events level ≥ 3 and ≥ 5).
    """
    need = ("station", "day", "date", "variable", "value")
    require_columns(daily_forecasts, need, "daily forecasts")
    top = len(load_hj633().levels)
    bad = [k for k in event_levels if not isinstance(k, int) or not 2 <= k <= top]
    if bad:
        raise InputDataError(f"event_levels {bad}: use HJ 633 levels 2 … {top}, e.g. (3, 5)")
    with_aqi = "aqi" in daily_forecasts.columns
    if with_aqi:
        need_aqi = ("issued_at", "level", "primary")
        require_columns(daily_forecasts, need_aqi, "daily forecasts with aqi")
    frame = daily_forecasts
    if daily_obs is not None:
        frame = join_daily_obs(daily_forecasts, daily_obs, with_aqi=with_aqi)
    require_columns(frame, ("obs",), "daily forecasts (pass daily_obs, or an obs column)")
    _whole(frame, "day")
    date_key(frame["date"], "daily forecasts, column 'date'")
    groups, labels = Groups.of(frame, ("variable", "day"))
    labels["day"] = labels["day"].astype(np.int64)
    parts = [_tidy(labels, _concentration_scores(frame, groups))]
    if with_aqi:
        require_columns(frame, ("obs_aqi", "obs_level", "obs_primary"), "daily forecasts")
        days = _aqi_days(frame)
        day_groups, day_labels = Groups.of(days, ("day",))
        day_labels["day"] = day_labels["day"].astype(np.int64)
        scores = _aqi_scores(days, day_groups, event_levels, rules or load_hj1130())
        parts.append(_tidy(day_labels.assign(variable="aqi"), scores))
    out = pd.concat(parts, ignore_index=True)
    return out.loc[:, ["variable", "day", "metric", "value", "n"]]


def common_cases(
    frames_by_model: Mapping[str, pd.DataFrame],
    keys: Sequence[str] | None = None,
    *,
    value: str = "value",
) -> dict[str, pd.DataFrame]:
    """Keep only the cases that every model forecast, so that skill compares like with like.

    Parameters
    ----------
    frames_by_model : mapping of str to pandas.DataFrame
        Model name → hourly or daily forecast frame.
    keys : sequence of str, optional
        Columns that identify a case; default ``station, issued_at, lead_h, variable``
        (hourly, when ``lead_h`` is a column) or ``station, issued_at, day, variable``.
    value : str, default "value"
        Column that must be non-missing in every model (use ``"aqi"`` in a second call
        to align the daily AQI as well).

    Returns
    -------
    dict of str to pandas.DataFrame
        The same frames, restricted to the rows whose key has a non-missing ``value`` in
        every model (original row order and index).

    Raises
    ------
    InputDataError
        If a frame lacks a key or the value column, or has a key twice.

    Examples
    --------
    >>> a = pd.DataFrame({"station": "A", "issued_at": 0, "lead_h": [1, 2],
    ...                   "variable": "pm25", "value": [1.0, 2.0]})
    >>> b = a.assign(value=[float("nan"), 5.0])
    >>> {k: v["lead_h"].tolist() for k, v in common_cases({"gbm": a, "persistence": b}).items()}
    {'gbm': [2], 'persistence': [2]}
    """
    names = list(frames_by_model)
    if not names:
        return {}
    frames = [frames_by_model[name] for name in names]
    hourly = "lead_h" in frames[0].columns
    cols = list(keys or ("station", "issued_at", "lead_h" if hourly else "day", "variable"))
    for name, frame in zip(names, frames, strict=True):
        require_columns(frame, [*cols, value], f"forecasts of {name!r}")
    codes = _case_codes(frames, cols)
    sizes = np.cumsum([0, *(len(f) for f in frames)])
    ok = np.concatenate([f[value].notna().to_numpy() for f in frames])
    n_cases = int(codes.max(initial=-1)) + 1
    for i, name in enumerate(names):
        if (np.bincount(codes[sizes[i] : sizes[i + 1]], minlength=n_cases) > 1).any():
            raise InputDataError(f"forecasts of {name!r}: a case {cols} appears twice")
    keep = np.bincount(codes[ok], minlength=n_cases) == len(names)
    return {
        name: frame.loc[keep[codes[sizes[i] : sizes[i + 1]]]]
        for i, (name, frame) in enumerate(zip(names, frames, strict=True))
    }


def _case_codes(frames: Sequence[pd.DataFrame], cols: Sequence[str]) -> IntArray:
    """One integer per case key, shared by all frames (rows of the frames, concatenated)."""
    combined = np.zeros(sum(len(f) for f in frames), dtype=np.int64)
    for col in cols:
        codes, uniques = pd.factorize(pd.concat([f[col] for f in frames], ignore_index=True))
        if (codes < 0).any():
            raise InputDataError(f"forecasts: missing {col!r} in a case key {list(cols)}")
        if (int(combined.max(initial=0)) + 1) * len(uniques) >= 2**62:  # keep within int64
            combined = pd.factorize(combined)[0].astype(np.int64)
        combined = combined * len(uniques) + codes
    return np.asarray(pd.factorize(combined)[0], dtype=np.int64)
