"""Nixtla statsforecast MSTL as a peer: a statistical model refitted at every issue.

Model: MSTL [1]_ with one seasonal period of 24 h (the daily cycle) and an AutoETS trend
(``model="ZZN"``: error and trend chosen by AICc, no ETS season, since MSTL removes it) [2]_,
``statsforecast.models.MSTL(season_length=24, trend_forecaster=AutoETS(model="ZZN"))``. At each
issue it is fitted per station on the last ``window_days`` days known (default 28 days =
672 hourly values, stamps ≤ T − 1 h, gaps forward-filled within that history) and forecasts
the 72 h ahead with its 80 % prediction interval (``q10``, ``q90``). There is no global
training step: ``fit`` only records the training period. A series whose fit fails falls back
to the seasonal naive forecast (same hour yesterday). Forecasts and bounds are clipped at 0.

Why this model: it is fast enough to refit 12 stations × 366 issues × 6 pollutants on 2 cores,
and it is what a modeler reaches for first for hourly data with a strong daily cycle (a
seasonal AutoETS with m = 24, or AutoARIMA, is much slower per fit).

References
----------
.. [1] Bandara, K., Hyndman, R. J. and Bergmeir, C. (2021) MSTL: a seasonal-trend
   decomposition algorithm for time series with multiple seasonal patterns. arXiv:2107.13462.
.. [2] Hyndman, R. J. and Athanasopoulos, G. (2021) Forecasting: principles and practice,
   3rd ed., OTexts, chapters 8 (ETS) and 3.7 (MSTL). Nixtla statsforecast,
   https://nixtlaverse.nixtla.io/statsforecast/.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

from benchmarks.peers.frames import series_frame, split_ids
from benchmarks.peers.protocol import HORIZON_H, POLLUTANTS, TZ, IssueBatch, contract_frame
from forecasting.errors import InputDataError

__all__ = ["SEASON_H", "StatsForecastPeer"]

logger = logging.getLogger(__name__)

SEASON_H: Final = 24
"""Seasonal period [h] of MSTL."""
_LEVEL: Final = 80
"""Interval level [%]: the bounds are q10 and q90."""


@dataclass
class StatsForecastPeer:
    """statsforecast MSTL on the air protocol (see the module docstring).

    Parameters
    ----------
    variables : tuple of str
        Pollutants to forecast.
    window_days : int
        Days of history fitted at each issue.
    n_jobs : int
        Worker processes of statsforecast.
    """

    variables: tuple[str, ...] = POLLUTANTS
    window_days: int = 28
    n_jobs: int = 2
    name: str = field(init=False, default="statsforecast")
    window_h: int = field(init=False)
    uses_future_weather: bool = field(init=False, default=False)
    timings: dict[str, float] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.variables) - set(POLLUTANTS))
        if unknown:
            raise InputDataError(f"unknown variable(s) {', '.join(unknown)}")
        self.window_h = self.window_days * 24

    def fit(self, train: pd.DataFrame) -> None:
        """Nothing to train once: the model is refitted at each issue on its own window."""
        end = train["time"].max()
        logger.info("%s: no global training; training period ends %s", self.name, end)
        self.timings.update(training_s=0.0)

    def forecast(self, batch: IssueBatch) -> pd.DataFrame:
        """Fit and forecast every (station, issue) series of ``batch``, per pollutant."""
        from statsforecast import StatsForecast
        from statsforecast.models import MSTL, AutoETS, SeasonalNaive

        started = time.perf_counter()
        frames = []
        for variable in self.variables:
            data = series_frame(batch.history, variable, with_weather=False, per_issue=True)
            engine = StatsForecast(
                models=[MSTL(season_length=SEASON_H, trend_forecaster=AutoETS(model="ZZN"))],
                freq="h",
                n_jobs=self.n_jobs,
                fallback_model=SeasonalNaive(season_length=SEASON_H),
            )
            t0 = time.perf_counter()
            pred = engine.forecast(df=data, h=HORIZON_H, level=[_LEVEL])
            logger.debug("%s: %s in %.1f s", self.name, variable, time.perf_counter() - t0)
            station, issued = split_ids(pred["unique_id"])
            frames.append(
                contract_frame(
                    station=station.to_numpy(),
                    issued_at=issued,
                    valid_at=pred["ds"].dt.tz_localize(TZ),
                    variable=variable,
                    value=np.clip(pred["MSTL"].to_numpy(dtype=float), 0.0, None),
                    q10=np.clip(pred[f"MSTL-lo-{_LEVEL}"].to_numpy(dtype=float), 0.0, None),
                    q90=np.clip(pred[f"MSTL-hi-{_LEVEL}"].to_numpy(dtype=float), 0.0, None),
                )
            )
        spent = time.perf_counter() - started
        self.timings["forecast_s"] = self.timings.get("forecast_s", 0.0) + spent
        return pd.concat(frames, ignore_index=True)
