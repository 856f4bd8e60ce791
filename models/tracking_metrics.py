"""Metric names and steps as MLflow stores them.

A run's metrics arrive either as whole-run values by name or as the tidy frame
of the verification module (one row per variable, lead and metric). MLflow
keeps one history per metric name, with a ``step``; logging each lead as a step
lets the MLflow UI plot skill against lead without any extra artifact.

Naming rule (:func:`metric_key`):

- ``<variable>_<metric>``, e.g. ``pm25`` and ``mae_error`` give
  ``pm25_mae_error``; ``daily_pm25`` and ``mae_error`` give
  ``daily_pm25_mae_error``. Without a variable, the metric name alone
  (``aqi_level_accuracy_score``).
- A row of a baseline (non-empty ``model`` column, e.g. ``persistence``) is
  prefixed ``<model>/``: ``persistence/pm25_mae_error``. MLflow groups names by
  the ``/`` prefix, so baselines sit beside the candidate. Rows of the
  candidate leave ``model`` empty (or the column out).
- The lead comes from a ``lead`` or ``lead_h`` column [h] (the hourly tables
  of :mod:`models.verification`) or a ``day`` column [d] (the daily tables);
  names of daily rows start with ``daily_``: ``day`` 1 of ``pm25`` and
  ``mean_absolute_error`` is step 1 of ``daily_pm25_mean_absolute_error``, so
  hourly and daily tables can be concatenated and logged together.
- A row without a lead or day is a whole-window value, logged at step 0.

The ``_score``/``_error`` suffix of the metric survives the naming, so the
direction used by the validation gate and the promotion decision still reads
off the name.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from forecasting.errors import InputDataError

__all__ = ["MetricRecord", "metric_key", "tidy_metrics"]

MetricRecord = tuple[str, int, float]
"""``(name, step, value)`` of one logged metric value; step is the lead [h or d]."""

_REQUIRED = ("metric", "value")
_HOURLY_STEP = ("lead", "lead_h")  # hourly lead [h]
_DAILY_STEP = "day"  # forecast day [d]; its rows are named daily_*


def metric_key(metric: str, variable: str | None = None, model: str | None = None) -> str:
    """Return the MLflow name of a metric.

    Parameters
    ----------
    metric : str
        Metric, e.g. ``"mae_error"``.
    variable : str, optional
        Variable, e.g. ``"pm25"`` or ``"daily_pm25"``.
    model : str, optional
        Baseline that produced the value (``"persistence"``, ``"climatology"``);
        None or empty for the candidate model.

    Returns
    -------
    str
        ``[<model>/][<variable>_]<metric>``.

    Examples
    --------
    >>> metric_key("mae_error", "pm25"), metric_key("mae_error", "pm25", "persistence")
    ('pm25_mae_error', 'persistence/pm25_mae_error')
    """
    name = f"{variable}_{metric}" if variable else metric
    return f"{model}/{name}" if model else name


def _text(frame: pd.DataFrame, column: str) -> pd.Series[str]:
    if column not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object)
    return frame[column].astype(object).where(frame[column].notna(), "").astype(str)


def _steps(frame: pd.DataFrame) -> tuple[pd.Series[float], pd.Series[bool]]:
    """Return each row's lead (NaN: whole window) and whether it is a daily row."""
    nan = pd.Series(np.nan, index=frame.index)
    hourly = [c for c in _HOURLY_STEP if c in frame.columns]
    if len(hourly) > 1:
        raise InputDataError(f"tidy metrics have both {hourly}; name the lead column once")
    lead = pd.to_numeric(frame[hourly[0]], errors="coerce") if hourly else nan
    day = pd.to_numeric(frame[_DAILY_STEP], errors="coerce") if _DAILY_STEP in frame else nan
    both = lead.notna() & day.notna()
    if both.any():
        row = int(np.flatnonzero(both.to_numpy())[0])
        raise InputDataError(f"tidy metrics row {row} has both a lead and a day; give one")
    daily = day.notna()
    step = lead.where(~daily, day)
    bad = step.notna() & ((step < 0) | (step != step.round()))
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputDataError(
            f"tidy metrics row {row}: lead {step.iloc[row]:g} is not a whole number >= 0 [h or d]"
        )
    return step, daily


def _from_frame(frame: pd.DataFrame) -> list[MetricRecord]:
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise InputDataError(
            f"tidy metrics lack column(s) {missing}; expected variable, lead (or lead_h, day), "
            f"metric, value (optional model), got {list(map(str, frame.columns))}"
        )
    step, daily = _steps(frame)
    variable, model = _text(frame, "variable"), _text(frame, "model")
    name = variable.where(variable == "", variable + "_") + _text(frame, "metric")
    name = name.where(~daily, "daily_" + name)
    name = model.where(model == "", model + "/") + name
    steps = step.fillna(0).astype(np.int64)
    table = pd.DataFrame({"name": name, "step": steps, "per_lead": step.notna()})
    dup = table.duplicated(["name", "step"], keep=False)
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0])
        raise InputDataError(
            f"tidy metrics row {row}: {table['name'].iloc[row]} at lead "
            f"{table['step'].iloc[row]} appears more than once"
        )
    mixed = table.groupby("name")["per_lead"].nunique() > 1
    if mixed.any():
        raise InputDataError(
            f"metric {mixed[mixed].index[0]!r} has both whole-window rows (no lead) and "
            "per-lead rows; give the whole-window value its own variable or metric name"
        )
    values = pd.to_numeric(frame["value"], errors="coerce").to_numpy(dtype=float)
    return list(zip(table["name"].tolist(), steps.tolist(), values.tolist(), strict=True))


def tidy_metrics(metrics: Mapping[str, float] | pd.DataFrame) -> list[MetricRecord]:
    """Turn a run's metrics into ``(name, step, value)`` records for MLflow.

    Parameters
    ----------
    metrics : mapping of str to float, or pandas.DataFrame
        Whole-run values by name (step 0), or tidy metrics with columns
        ``metric`` and ``value`` and optional ``variable``, ``lead`` or
        ``lead_h`` (whole number [h]), ``day`` (whole number [d]; the name
        gets the prefix ``daily_``) and ``model`` (baseline name). A row
        without lead or day is a whole-window value. Other columns (e.g.
        ``n``) are ignored.

    Returns
    -------
    list of tuple
        ``(name, step, value)``, names by :func:`metric_key`, step = lead.

    Raises
    ------
    forecasting.errors.InputDataError
        When a column is missing, a row has both a lead and a day, a lead is
        not a whole number >= 0, a name and lead occur twice, or a name mixes
        whole-window and per-lead rows.

    Examples
    --------
    >>> frame = pd.DataFrame({"variable": ["pm25", "pm25"], "lead": [1, 2],
    ...                       "metric": ["mae_error"] * 2, "value": [10.0, 12.5]})
    >>> tidy_metrics(frame)
    [('pm25_mae_error', 1, 10.0), ('pm25_mae_error', 2, 12.5)]
    >>> tidy_metrics({"daily_pm25_mae_error": 14.0})
    [('daily_pm25_mae_error', 0, 14.0)]
    """
    if isinstance(metrics, pd.DataFrame):
        return _from_frame(metrics)
    return [(str(name), 0, float(value)) for name, value in metrics.items()]
