"""Synthetic model matrices for the estimator tests (column names as features.build makes them).

The truth is an hourly log-AR(1) concentration per station with a diurnal cycle and a
weather effect; every ``hist_`` column is computed from the stamps known at the issue
time ``T`` (``<= T - 1 h``, with a few missing hours), exactly as :mod:`features.history`
defines it, so the baselines and the statistical model see what they would see in
production.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

TZ = "Asia/Shanghai"
LAGS = (1, 2, 3, 6, 12, 24)


@dataclass(frozen=True)
class Synthetic:
    """A synthetic matrix, its targets and the hourly truth it came from."""

    X: pd.DataFrame
    y: pd.Series
    hours: pd.DatetimeIndex  # hourly stamps of the truth (UTC)
    truth: np.ndarray  # stations × hours, NaN where "not measured"
    stations: tuple[str, ...]

    def split(self, n_test_issues: int) -> tuple[pd.DataFrame, pd.Series, pd.DataFrame, pd.Series]:
        issues = np.sort(self.X["issued_at"].unique())
        cut = issues[-n_test_issues]
        train = (self.X["issued_at"] < cut).to_numpy()
        return self.X[train], self.y[train], self.X[~train], self.y[~train]


def make_matrix(
    n_stations: int = 3,
    n_issues: int = 40,
    leads: int = 48,
    *,
    seed: int = 0,
    missing: float = 0.03,
    start: str = "2024-01-08",
) -> Synthetic:
    """Build a synthetic matrix (vectorised; a few thousand rows)."""
    rng = np.random.default_rng(seed)
    stations = tuple(f"S{i}" for i in range(n_stations))
    first_issue = pd.Timestamp(start, tz=TZ).tz_convert("UTC")
    hours = pd.date_range(
        first_issue - pd.Timedelta(days=8), periods=(n_issues + 11) * 24, freq="h"
    )
    n_h = len(hours)
    local_hour = hours.tz_convert(TZ).hour.to_numpy()
    noise = rng.normal(0, 0.2, (n_stations + 1, n_h))
    ar = np.zeros((n_stations + 1, n_h))  # row n_stations: the synoptic temperature anomaly
    for t in range(1, n_h):  # the generator's AR(1) recursion over hours, not over data rows
        ar[:, t] = 0.9 * ar[:, t - 1] + noise[:, t]
    synoptic = np.convolve(ar[-1], np.ones(24) / 24, mode="same") * 15  # slow, stationary
    temp = 10 + 8 * np.sin(2 * np.pi * (local_hour - 9) / 24) + synoptic
    ar = ar[:-1]
    level = np.log(40 + 20 * np.arange(n_stations))[:, None]
    diurnal = 0.3 * np.cos(2 * np.pi * (local_hour - 22) / 24)[None, :]
    truth = np.expm1(level + diurnal + ar - 0.06 * (temp - 10)[None, :])
    truth[rng.random(truth.shape) < missing] = np.nan

    issued = pd.date_range(first_issue, periods=n_issues, freq="D")
    s_idx = np.repeat(np.arange(n_stations), n_issues * leads)
    i_idx = np.tile(np.repeat(np.arange(n_issues), leads), n_stations)
    lead = np.tile(np.arange(1, leads + 1), n_stations * n_issues)
    t0 = np.searchsorted(hours, issued)[i_idx]  # position of T
    valid = t0 + lead - 1
    X = pd.DataFrame(
        {
            "station": np.asarray(stations, dtype=object)[s_idx],
            "issued_at": issued[i_idx],
            "lead_h": lead.astype(np.int16),
            "valid_at": hours[valid],
        }
    )
    X["station"] = X["station"].astype(str)
    window = truth[s_idx[:, None], t0[:, None] - np.arange(168, 0, -1)[None, :]]  # T-168 … T-1
    known = np.isfinite(window)
    last_pos = np.where(known.any(axis=1), 167 - np.argmax(known[:, ::-1], axis=1), -1)
    X["hist_pm25_last"] = np.where(last_pos >= 0, window[np.arange(len(X)), last_pos], np.nan)
    X["hist_pm25_age_h"] = np.where(last_pos >= 0, 168 - last_pos, np.nan)
    for k in LAGS:
        X[f"hist_pm25_lag{k}"] = truth[s_idx, t0 - k]
    X["hist_pm25_mean24h"] = np.nanmean(window[:, -24:], axis=1)
    k_day = np.ceil(lead / 24).astype(int)
    X["hist_pm25_samehour_d1"] = truth[s_idx, valid - 24 * k_day]
    X["hist_temp_air_last"] = temp[t0 - 1]
    X["met_temp_air"] = temp[valid]
    X["cal_hour"] = local_hour[valid]
    X["cal_month"] = hours[valid].tz_convert(TZ).month.to_numpy()
    X = X.astype({c: "float32" for c in X.columns if c.startswith(("hist_", "met_"))})
    y = pd.Series(truth[s_idx, valid], index=X.index, name="pm25")
    return Synthetic(X=X, y=y, hours=hours, truth=truth, stations=stations)


@pytest.fixture(scope="session")
def synthetic() -> Synthetic:
    """The default synthetic matrix (3 stations, 40 daily issues, 48 leads)."""
    return make_matrix()


@pytest.fixture(scope="session")
def matrix_factory() -> Callable[..., Synthetic]:
    """:func:`make_matrix`, for tests that need other sizes or seeds."""
    return make_matrix
