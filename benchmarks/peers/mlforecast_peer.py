"""Nixtla mlforecast with LightGBM as a peer, from history only or with perfect-prognosis weather.

Set-up (what a competent modeler would use on hourly station data [1]_):

* one global LightGBM model per pollutant over all stations (``unique_id`` = station);
* lags 1, 2, 3, 24, 48 and 168 h; rolling means over 24 h and 168 h of lag 1; date features
  hour, day of week and month (local time);
* LightGBM 500 trees, learning rate 0.05, 2 threads, other settings at their defaults [2]_;
* recursive strategy by default (one model; its own forecasts feed the lags), or the direct
  strategy (``direct=True``: one model per lead, ``max_horizon`` = 72);
* ``with_weather=True`` ("mlforecast_pp"): the station weather at the valid time (temperature,
  dew point, pressure, rain, wind speed, u, v) as future exogenous input (``X_df``). These are
  *observations* used as if they were a perfect weather forecast (perfect prognosis); the skill
  is an upper bound of what a real weather forecast would give.

Gaps: the series are forward-filled within the known history for the *features*
(:func:`benchmarks.peers.protocol.fill_inputs`); the training *targets* are the raw
observations, and hours whose observed target is missing are left out of training.

Intervals: split-conformal, as mlforecast's ``PredictionIntervals(method=
"conformal_distribution")`` computes them [3]_ (absolute errors of a frozen model per forecast
step), but calibrated at the protocol's own issue hour on raw targets: a second model is trained
on the training period less its last ``calibration_days`` days, issues daily over those days
(every one cut at its own T − 1 h, all valid times before the first backtest issue), and the
``q10``/``q90`` of lead *h* are the forecast ∓/± the conformal 80 % quantile of its absolute
errors at lead *h* (all stations pooled). mlforecast's own ``fit(prediction_intervals=…)`` was
not used: it would calibrate on the forward-filled targets, and ``predict(new_df=…)``
re-calibrates on every new history. Forecasts and bounds are clipped at 0 (concentrations).

References
----------
.. [1] Nixtla mlforecast, https://nixtlaverse.nixtla.io/mlforecast/ (version 1.1).
.. [2] Ke, G. et al. (2017) LightGBM: a highly efficient gradient boosting decision tree.
   NeurIPS 30.
.. [3] Stankeviciute, K., Alaa, A. M. and van der Schaar, M. (2021) Conformal time-series
   forecasting. NeurIPS 34.
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from benchmarks.peers.frames import issue_ids, raw_lookup, series_frame, split_ids
from benchmarks.peers.protocol import (
    HORIZON_H,
    ONE_HOUR,
    POLLUTANTS,
    TZ,
    IssueBatch,
    build_batch,
    contract_frame,
    fill_inputs,
    issue_times,
)
from forecasting.errors import InputDataError, NotFittedError

if TYPE_CHECKING:
    from mlforecast import MLForecast

__all__ = ["LAGS", "MLForecastPeer", "conformal_scores"]

logger = logging.getLogger(__name__)

LAGS: Final = (1, 2, 3, 24, 48, 168)
"""Lags [h] of the target used as features."""
ROLLING_WINDOWS_H: Final = (24, 168)
"""Rolling-mean windows [h] applied to lag 1."""
DATE_FEATURES: Final = ("hour", "dayofweek", "month")
INTERVAL_LEVEL: Final = 0.8
"""Central coverage of ``q10``…``q90``."""


def conformal_scores(errors: pd.DataFrame, level: float = INTERVAL_LEVEL) -> pd.Series:
    """Conformal half-width per lead: the finite-sample ``level`` quantile of ``|error|``.

    Parameters
    ----------
    errors : pandas.DataFrame
        ``lead_h`` and ``abs_error`` (NaN rows are ignored).
    level : float
        Central coverage (0.8 for q10…q90).

    Returns
    -------
    pandas.Series
        Indexed by ``lead_h``; the ⌈(n + 1)·level⌉-th smallest of the n errors of each lead.
    """
    valid = errors.dropna(subset=["abs_error"])

    def score(values: pd.Series) -> float:
        ordered = np.sort(values.to_numpy())
        rank = min(math.ceil((len(ordered) + 1) * level), len(ordered))
        return float(ordered[rank - 1])

    return valid.groupby("lead_h")["abs_error"].agg(score)


@dataclass
class MLForecastPeer:
    """mlforecast + LightGBM on the air protocol (see the module docstring).

    Parameters
    ----------
    variables : tuple of str
        Pollutants to forecast.
    with_weather : bool
        Use the station weather at the valid time (perfect prognosis).
    direct : bool
        Direct strategy (one model per lead) instead of recursive.
    intervals : bool
        Compute conformal ``q10``/``q90`` (one more training per pollutant).
    calibration_days : int
        Days at the end of the training period used to calibrate the intervals.
    n_estimators, learning_rate, num_threads : int, float, int
        LightGBM settings.
    """

    variables: tuple[str, ...] = POLLUTANTS
    with_weather: bool = False
    direct: bool = False
    intervals: bool = True
    calibration_days: int = 91
    n_estimators: int = 500
    learning_rate: float = 0.05
    num_threads: int = 2
    name: str = field(init=False)
    window_h: int = field(init=False, default=2 * max(LAGS))
    uses_future_weather: bool = field(init=False)
    timings: dict[str, float] = field(init=False, default_factory=dict)
    _models: dict[str, MLForecast] = field(init=False, default_factory=dict, repr=False)
    _scores: dict[str, pd.Series] = field(init=False, default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.variables) - set(POLLUTANTS))
        if unknown:
            raise InputDataError(f"unknown variable(s) {', '.join(unknown)}")
        self.name = "mlforecast_pp" if self.with_weather else "mlforecast"
        self.uses_future_weather = self.with_weather

    def _forecaster(self) -> MLForecast:
        import lightgbm as lgb
        from mlforecast import MLForecast
        from mlforecast.lag_transforms import RollingMean

        model = lgb.LGBMRegressor(
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_threads=self.num_threads,
            verbose=-1,
        )
        return MLForecast(
            models={"lgbm": model},
            freq="h",
            lags=list(LAGS),
            lag_transforms={1: [RollingMean(window_size=w) for w in ROLLING_WINDOWS_H]},
            date_features=list(DATE_FEATURES),
        )

    def _fit_variable(self, raw: pd.DataFrame, filled: pd.DataFrame, variable: str) -> MLForecast:
        fcst = self._forecaster()
        data = series_frame(filled, variable, with_weather=self.with_weather, per_issue=False)
        if self.direct:
            prep: Any = fcst.preprocess(
                data, static_features=[], dropna=True, max_horizon=HORIZON_H
            )
            for step in range(HORIZON_H):
                prep[f"y{step}"] = raw_lookup(raw, variable, prep["unique_id"], prep["ds"], step)
            ts = fcst.ts
            leads = list(range(HORIZON_H))  # mlforecast's 0-based horizons 0..71

            def per_lead() -> Any:
                return ts._transform_per_horizon(prep, data, leads, "y", False)

            fcst.fit_models(generator_factory=per_lead)
        else:
            prep = fcst.preprocess(data, static_features=[], dropna=True)
            target = raw_lookup(raw, variable, prep["unique_id"], prep["ds"], 0)
            keep = ~np.isnan(target)
            fcst.fit_models(prep.loc[keep, fcst.ts.features_order_], target[keep])
        return fcst

    def _fit_all(self, raw: pd.DataFrame) -> dict[str, MLForecast]:
        filled = fill_inputs(raw)
        models = {}
        for variable in self.variables:
            t0 = time.perf_counter()
            models[variable] = self._fit_variable(raw, filled, variable)
            logger.info("%s: trained %s in %.1f s", self.name, variable, time.perf_counter() - t0)
        return models

    def fit(self, train: pd.DataFrame) -> None:
        """Calibrate the intervals (if asked), then train on all of ``train``.

        Parameters
        ----------
        train : pandas.DataFrame
            Raw observations stamped ≤ first issue − 1 h (protocol ``training_frame``).
        """
        first_issue = train["time"].max() + ONE_HOUR
        t0 = time.perf_counter()
        if self.intervals:
            self._scores = self._calibrate(train, first_issue)
        t1 = time.perf_counter()
        self._models = self._fit_all(train)
        t2 = time.perf_counter()
        self.timings.update(calibration_s=t1 - t0, training_s=t2 - t1)

    def _calibrate(self, train: pd.DataFrame, first_issue: pd.Timestamp) -> dict[str, pd.Series]:
        cal_start = first_issue - pd.Timedelta(days=self.calibration_days)
        last = first_issue - pd.Timedelta(hours=HORIZON_H)  # all valid times < first issue
        issues = issue_times(cal_start.date(), last.date())
        models = self._fit_all(train[train["time"] < cal_start])
        batch = build_batch(train, issues, self.window_h, with_weather=self.with_weather)
        scores = {}
        for variable in self.variables:
            point = self._predict_variable(models[variable], batch, variable)
            truth = raw_lookup(
                train, variable, point["station"], point["valid_at"].dt.tz_localize(None), 0
            )
            errors = pd.DataFrame(
                {"lead_h": point["lead_h"], "abs_error": np.abs(truth - point["value"])}
            )
            scores[variable] = conformal_scores(errors)
            logger.info(
                "%s: %s conformal half-width lead 1 / 24 / 72: %s",
                self.name,
                variable,
                [round(float(scores[variable].get(k, np.nan)), 3) for k in (1, 24, 72)],
            )
        return scores

    def _predict_variable(self, fcst: MLForecast, batch: IssueBatch, variable: str) -> pd.DataFrame:
        data = series_frame(batch.history, variable, with_weather=self.with_weather, per_issue=True)
        future = None
        if self.with_weather:
            if batch.weather is None:
                raise InputDataError(f"{self.name}: the batch carries no future weather")
            future = series_frame(
                batch.weather.assign(**{variable: 0.0}),
                variable,
                with_weather=True,
                per_issue=True,
            ).drop(columns="y")
            future = future[future["unique_id"].isin(data["unique_id"].unique())]
        fitted_state = fcst.ts
        try:
            with warnings.catch_warnings():
                # Missing future weather stays NaN; LightGBM routes NaN as "missing".
                warnings.filterwarnings("ignore", "Found null values", UserWarning)
                pred = fcst.predict(h=HORIZON_H, new_df=data, X_df=future)
        finally:
            fcst.ts = fitted_state  # predict(new_df=...) keeps the new series as its state
        station, issued = split_ids(pred["unique_id"])
        dropped = set(issue_ids(batch.history["station"], batch.history["issued_at"])) - set(
            data["unique_id"]
        )
        if dropped:
            logger.warning("%s: %s has no known value for %s", self.name, variable, sorted(dropped))
        return contract_frame(
            station=station.to_numpy(),
            issued_at=issued,
            valid_at=pred["ds"].dt.tz_localize(TZ),
            variable=variable,
            value=np.clip(pred["lgbm"].to_numpy(dtype=float), 0.0, None),
        )

    def forecast(self, batch: IssueBatch) -> pd.DataFrame:
        """Forecast every issue of ``batch`` (one predict call per pollutant).

        Raises
        ------
        NotFittedError
            If :meth:`fit` was not called.
        """
        if not self._models:
            raise NotFittedError(f"{self.name}: call fit() before forecast()")
        started = time.perf_counter()
        frames = []
        for variable in self.variables:
            out = self._predict_variable(self._models[variable], batch, variable)
            if self.intervals:
                half = out["lead_h"].map(self._scores[variable]).to_numpy(dtype=float)
                out["q10"] = np.clip(out["value"] - half, 0.0, None)
                out["q90"] = out["value"] + half
            frames.append(out)
        spent = time.perf_counter() - started
        self.timings["forecast_s"] = self.timings.get("forecast_s", 0.0) + spent
        return pd.concat(frames, ignore_index=True)
