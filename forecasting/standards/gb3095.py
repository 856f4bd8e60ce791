"""GB 3095 data validity and statistics: the public entry point.

This module gathers the GB 3095 API so that callers import one name:

* :func:`load_gb3095` loads an edition (validity rules of 表4, limits of 表1/表2, the
  HJ 663 §6.1.2 O3 rule and annual items) into a frozen :class:`Gb3095Standard`;
  :func:`gb3095_edition_for` picks the edition for a date (2012 before 2026-03-01).
* :func:`moving_mean`, :func:`daily_means`, :func:`daily_max_1h`, :func:`daily_max_8h`,
  :func:`daily_max_moving` and :func:`daily_statistics` compute hourly-to-daily
  statistics for many stations at once (:mod:`forecasting.standards.gb3095_daily`).
* :func:`annual_statistics` computes annual means and percentiles
  (:mod:`forecasting.standards.gb3095_annual`).

Data files (one bibliography): ``cn_mee_gb3095_2012`` (secondary), ``cn_mee_gb3095_2026``
(primary), ``cn_mee_hj663_2013`` and ``cn_mee_hj663_2026`` (secondary), in
``forecasting/standards/data/``; each begins with its ``[source]`` citation.

Examples
--------
>>> import pandas as pd
>>> hours = pd.date_range("2026-06-01", periods=24, freq="h", tz="Asia/Shanghai")
>>> hourly = pd.DataFrame({"station": "A", "time": hours, "pm25": 50.0})
>>> daily_means(hourly, "pm25")[["station", "pm25", "n_pm25"]]
  station  pm25  n_pm25
0       A  50.0      24

References
----------
.. [1] GB 3095—2026 环境空气质量标准, 表1, 表2, 表4. MEE, 2026.
.. [2] HJ 663—2013 / HJ 663—2026 环境空气质量评价技术规范, §6.1.2 (secondary).
"""

from __future__ import annotations

from forecasting.standards.gb3095_annual import annual_statistics
from forecasting.standards.gb3095_daily import (
    DAILY_MAX_1H_VARIABLES,
    DAILY_MEAN_VARIABLES,
    WINDOW_DAYS,
    WindowDay,
    daily_max_1h,
    daily_max_8h,
    daily_max_moving,
    daily_means,
    daily_statistics,
    moving_mean,
)
from forecasting.standards.gb3095_loader import (
    DEFAULT_GB3095,
    GB3095_EDITIONS,
    gb3095_edition_for,
    load_gb3095,
)
from forecasting.standards.gb3095_rules import (
    ConcentrationLimit,
    Gb3095Standard,
    Mda8Rule,
    PercentileItem,
    Stage,
    StatisticsConfiguration,
    ValidityRules,
)
from forecasting.standards.hourly_grid import HOUR_LABELS, HourLabel

__all__ = [
    "DAILY_MAX_1H_VARIABLES",
    "DAILY_MEAN_VARIABLES",
    "DEFAULT_GB3095",
    "GB3095_EDITIONS",
    "HOUR_LABELS",
    "WINDOW_DAYS",
    "ConcentrationLimit",
    "Gb3095Standard",
    "HourLabel",
    "Mda8Rule",
    "PercentileItem",
    "Stage",
    "StatisticsConfiguration",
    "ValidityRules",
    "WindowDay",
    "annual_statistics",
    "daily_max_1h",
    "daily_max_8h",
    "daily_max_moving",
    "daily_means",
    "daily_statistics",
    "gb3095_edition_for",
    "load_gb3095",
    "moving_mean",
]
