"""A statsmodels peer: per-station SARIMAX on log concentrations with a daily cycle.

Model
-----
For each station, on ``z = log(1 + c)`` of the hourly training targets::

    z_t = x_t' β + u_t,   φ(L) u_t = θ(L) ε_t,   ε_t ~ N(0, σ²)

where ``x_t`` is a constant and ``harmonics`` pairs of daily Fourier terms of the local
hour (the diurnal cycle) and ``u_t`` is an ARMA(p, q) error (``order=(p, 0, q)``). It is
estimated once, in two steps, on the last ``max_train_h`` hours of each station's
training series: β by least squares on the hours with a value, then the ARMA
parameters by exact maximum likelihood of
:class:`statsmodels.tsa.statespace.sarimax.SARIMAX` on the residuals (the Kalman filter
skips missing hours) [1]_ [2]_. Two steps keep the likelihood to the three or four ARMA
parameters, which makes the fit a few seconds per station.

Forecasting without refitting
-----------------------------
At each issue time ``T`` the fitted parameters are *applied* to the 24 hours known at
``T`` (stamps ``T - 24 h … T - 1 h``) and the model forecasts the leads. The window is
read from the model matrix itself, so the model sees only what was known at ``T``:

* ``hist_{target}_lag{k}`` (stamp ``T - k h``) for the lags ``k <= 24`` present, and
* ``hist_{target}_samehour_d1`` of the rows with ``lead_h <= 24``, which is the stamp
  ``valid_at - 24 h = T - (25 - lead_h) h`` (:mod:`features.history`).

With fixed parameters the Kalman forecast of ``u`` from a window is linear in it,
``û = W u_window``, with a horizon × 24 matrix ``W`` and a standard error per lead that
depend only on the parameters. :meth:`SarimaxForecaster.fit` computes both once per
station by filtering unit vectors with the fitted parameters (``model.filter(params)``,
what ``results.apply`` does), and :meth:`SarimaxForecaster.predict` forecasts all
complete windows with one matrix product. A window with missing hours is completed
by the conditional mean of those hours given the known ones under the stationary
ARMA covariance, and its variance grows by the conditional variance pushed through
``W``: for a Gaussian model this is exactly the Kalman filter's answer (tests compare
both with ``results.apply``). A window with nothing known gives the diurnal mean
``x' β``. Quantiles are Gaussian in ``z`` (``ẑ ± 1.2816 se``), back-transformed; the
point forecast ``exp(ẑ) - 1`` is the median.

On the Beijing test bed (12 stations, training issues 2014-03-01 … 2015-01-01, test
issues 2015-01-02 … 02-28) the hourly PM2.5 MAE was 66.5 µg m⁻³ overall and 72.7 at
leads 25-72 (persistence 91.3 and 106.6, climatology 71.8 and 71.9, DirectGBM with
weather 45.6 and 49.4), q10-q90 coverage 75 %; fitting the 12 stations took 12 s.

A station not seen in training gets NaN (a peer model, not the product's fallback).
Weather regressors are not used: a regression with ARMA errors needs the regressors
at every hour of the past window, which the matrix does not carry.

References
----------
.. [1] Seabold, S. and Perktold, J. (2010). statsmodels: econometric and statistical
   modeling with Python. Proc. 9th Python in Science Conf. State space models,
   ``SARIMAX``, ``MLEResults.apply``: https://www.statsmodels.org/stable/statespace.html
.. [2] Durbin, J. and Koopman, S. J. (2012). Time Series Analysis by State Space
   Methods, 2nd ed., Oxford University Press, §4.10 (missing observations), §4.11
   (forecasting).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Self

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.linalg import toeplitz  # type: ignore[import-untyped]
from scipy.stats import norm  # type: ignore[import-untyped]
from statsmodels.tsa.arima_process import arma_acovf  # type: ignore[import-untyped]
from statsmodels.tsa.statespace.sarimax import SARIMAX  # type: ignore[import-untyped]

from forecasting.errors import InputDataError
from models.base import (
    QUANTILES,
    Forecaster,
    check_xy,
    forward_transform,
    inverse_transform,
    prediction_frame,
    require_columns,
)

__all__ = ["WINDOW_H", "SarimaxForecaster", "StationFit", "diurnal_regressors"]

#: Hours of known history each forecast starts from [h].
WINDOW_H = 24
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class StationFit:
    """Fitted state of one station.

    Attributes
    ----------
    params : numpy.ndarray
        ARMA parameters of the error in SARIMAX order (AR, MA, then σ²).
    beta : numpy.ndarray
        Coefficients of :func:`diurnal_regressors` [log(1 + unit)].
    weights : numpy.ndarray
        Horizon × 24 matrix ``W``: forecast of ``u`` at each lead per window hour
        (oldest first).
    se : numpy.ndarray
        Forecast standard error per lead for a complete window [log(1 + unit)].
    window_cov : numpy.ndarray
        24 × 24 stationary covariance of ``u`` over a window.
    n_obs : int
        Training hours with a value.
    """

    params: FloatArray
    beta: FloatArray
    weights: FloatArray
    se: FloatArray
    window_cov: FloatArray
    n_obs: int


def diurnal_regressors(local_hour: npt.ArrayLike, harmonics: int) -> FloatArray:
    """Constant and daily Fourier terms of the local hour.

    Parameters
    ----------
    local_hour : array_like
        Hour of day (0-23) in local time.
    harmonics : int
        Pairs of (sin, cos) terms with periods 24/k h, ``k = 1 … harmonics``.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, 1 + 2 * harmonics)``.
    """
    hour = np.asarray(local_hour, dtype=np.float64)
    columns = [np.ones_like(hour)]
    for k in range(1, harmonics + 1):
        angle = 2.0 * np.pi * k * hour / 24.0
        columns += [np.sin(angle), np.cos(angle)]
    return np.column_stack(columns)


class SarimaxForecaster(Forecaster):
    """Per-station diurnal regression with ARMA errors, applied at each issue time.

    Parameters
    ----------
    target : str
        Pollutant name [µg m⁻³; CO mg m⁻³]; the window columns are
        ``hist_{target}_lag{k}`` and ``hist_{target}_samehour_d1``.
    order : tuple of int
        ARMA order ``(p, 0, q)`` of the error (``d`` must be 0: forecasts revert to
        the diurnal mean).
    harmonics : int
        Daily Fourier pairs in the regression.
    max_train_h : int
        Hours of each station's training series used (the most recent) [h].
    maxiter : int
        Iterations of the likelihood optimiser.
    timezone : str
        IANA zone of the diurnal cycle.
    random_state : int
        Unused (maximum likelihood is deterministic); kept for the uniform contract.

    Attributes
    ----------
    stations_ : dict of str to StationFit
        Fitted state per station.
    horizon_ : int
        Largest lead that can be forecast [h].
    feature_names_in_ : numpy.ndarray
        Columns read.
    """

    def __init__(
        self,
        target: str = "pm25",
        *,
        order: tuple[int, int, int] = (2, 0, 1),
        harmonics: int = 3,
        max_train_h: int = 24 * 180,
        maxiter: int = 50,
        timezone: str = "Asia/Shanghai",
        random_state: int = 0,
    ) -> None:
        self.target = target
        self.order = order
        self.harmonics = harmonics
        self.max_train_h = max_train_h
        self.maxiter = maxiter
        self.timezone = timezone
        self.random_state = random_state

    # ------------------------------------------------------------------ fit
    def fit(self, X: pd.DataFrame, y: pd.Series, *, sample_weight: pd.Series | None = None) -> Self:
        """Fit one model per station on its hourly training series.

        Parameters
        ----------
        X : pandas.DataFrame
            Rows with ``station``, ``valid_at`` and ``lead_h``.
        y : pandas.Series
            Observed target [unit of the target]; each (station, valid time) is used
            once, whatever the lead.
        sample_weight : pandas.Series, optional
            Accepted for the contract; not used by maximum likelihood.

        Returns
        -------
        Self
            With ``stations_`` and ``horizon_``.

        Raises
        ------
        forecasting.errors.InputDataError
            For an order with ``d != 0`` or missing key columns.
        """
        if len(self.order) != 3 or self.order[1] != 0:
            raise InputDataError(f"SarimaxForecaster order={self.order!r} must be (p, 0, q)")
        target, _ = check_xy(X, y, sample_weight, "SarimaxForecaster")
        require_columns(X, ["station", "valid_at", "lead_h"], "SarimaxForecaster")
        frame = pd.DataFrame(
            {
                "station": X["station"].astype(str).to_numpy(),
                "valid_at": pd.DatetimeIndex(X["valid_at"]).tz_convert("UTC"),
                "z": forward_transform(target, "log1p"),
            }
        )
        frame = frame[np.isfinite(target)].drop_duplicates(["station", "valid_at"])
        self.horizon_ = int(max(72, int(X["lead_h"].max())))
        self.stations_ = {
            str(name): self._fit_station(part.set_index("valid_at")["z"])
            for name, part in frame.groupby("station", sort=True)
        }
        lags = [f"hist_{self.target}_lag{k}" for k in range(1, WINDOW_H + 1)]
        self.feature_names_in_ = np.array(
            ["station", "issued_at", "valid_at", "lead_h", *lags, self._samehour()], dtype=object
        )
        self.n_features_in_ = len(self.feature_names_in_)
        return self

    def _samehour(self) -> str:
        return f"hist_{self.target}_samehour_d1"

    def _window_model(self, endog: FloatArray) -> SARIMAX:
        """Return the error model on a 24-h window (filtered with fixed parameters)."""
        return SARIMAX(endog, order=self.order, trend="n")

    def _fit_station(self, series: pd.Series) -> StationFit:
        hours = pd.date_range(series.index.min(), series.index.max(), freq="h")
        hours = hours[-self.max_train_h :]
        z = series.reindex(hours).to_numpy(np.float64)
        regressors = diurnal_regressors(hours.tz_convert(self.timezone).hour, self.harmonics)
        known = np.isfinite(z)
        beta = np.linalg.lstsq(regressors[known], z[known], rcond=None)[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # optimiser chatter on short or gappy series
            results = SARIMAX(
                z - regressors @ beta, order=self.order, trend="n", concentrate_scale=True
            ).fit(disp=False, maxiter=self.maxiter)
        params = np.append(np.asarray(results.params, dtype=np.float64), results.scale)
        window = np.zeros(WINDOW_H)
        base = self._window_model(window).filter(params).get_forecast(self.horizon_)
        f0 = np.asarray(base.predicted_mean, dtype=np.float64)
        weights = np.empty((self.horizon_, WINDOW_H))
        for j in range(WINDOW_H):  # 24 unit vectors, once per station
            window[:] = 0.0
            window[j] = 1.0
            unit = self._window_model(window).filter(params).forecast(self.horizon_)
            weights[:, j] = np.asarray(unit, dtype=np.float64) - f0
        acov = arma_acovf(
            results.polynomial_ar, results.polynomial_ma, nobs=WINDOW_H, sigma2=results.scale
        )
        return StationFit(
            params=params,
            beta=beta,
            weights=weights,
            se=np.asarray(base.se_mean, dtype=np.float64),
            window_cov=toeplitz(acov),
            n_obs=int(known.sum()),
        )

    # -------------------------------------------------------------- predict
    def windows(self, X: pd.DataFrame) -> tuple[pd.MultiIndex, FloatArray]:
        """Return the 24 hours known before each issue, read from the model matrix.

        Parameters
        ----------
        X : pandas.DataFrame
            Rows with ``station``, ``issued_at``, ``lead_h`` and the window columns.

        Returns
        -------
        keys : pandas.MultiIndex
            (station, issued_at UTC) of each window, in order of first appearance.
        window : numpy.ndarray
            ``(n_keys, 24)``: stamps ``T - 24 h … T - 1 h`` [unit of the target], NaN
            where not known at ``T`` (or not in ``X``).
        """
        keys, codes = self._keys(X)
        return keys, self._window_values(X, codes, len(keys))

    def _keys(self, X: pd.DataFrame) -> tuple[pd.MultiIndex, npt.NDArray[np.intp]]:
        issued = pd.DatetimeIndex(X["issued_at"]).tz_convert("UTC")
        keys = pd.MultiIndex.from_arrays(
            [X["station"].astype(str).to_numpy(), issued], names=["station", "issued_at"]
        )
        codes, uniques = pd.factorize(keys)
        return pd.MultiIndex.from_tuples(list(uniques), names=keys.names), np.asarray(
            codes, dtype=np.intp
        )

    def _window_values(self, X: pd.DataFrame, codes: npt.NDArray[np.intp], n: int) -> FloatArray:
        window = np.full((n, WINDOW_H), np.nan)
        if self._samehour() in X.columns:
            lead = X["lead_h"].to_numpy(np.int64)
            rows = np.flatnonzero((lead >= 1) & (lead <= WINDOW_H))
            # samehour_d1 of lead h is the stamp T - (25 - h) h: window column h - 1
            window[codes[rows], lead[rows] - 1] = X[self._samehour()].to_numpy(np.float64)[rows]
        for k in range(1, WINDOW_H + 1):
            column = f"hist_{self.target}_lag{k}"
            if column in X.columns:
                values = np.full(n, np.nan)
                values[codes] = X[column].to_numpy(np.float64)
                slot = window[:, WINDOW_H - k]
                window[:, WINDOW_H - k] = np.where(np.isnan(slot), values, slot)
        return window

    def predict(self, X: pd.DataFrame) -> pd.DataFrame:
        """Forecast each row from the 24 hours known at its issue time.

        Parameters
        ----------
        X : pandas.DataFrame
            Rows with ``station``, ``issued_at``, ``valid_at``, ``lead_h`` and the
            window columns (module docstring); give all leads of an issue together.

        Returns
        -------
        pandas.DataFrame
            ``value``, ``q10``, ``q90`` [unit of the target]; NaN for unknown stations
            and leads beyond ``horizon_``.
        """
        self._check_fitted()
        require_columns(X, ["station", "issued_at", "valid_at", "lead_h"], "SarimaxForecaster")
        keys, codes = self._keys(X)
        window = self._window_values(X, codes, len(keys))
        z_window = np.where(np.isnan(window), np.nan, forward_transform(window, "log1p"))
        key_station = np.asarray(keys.get_level_values(0), dtype=object)
        key_issue = pd.DatetimeIndex(keys.get_level_values(1))
        lead = X["lead_h"].to_numpy(np.int64)
        valid_hour = pd.DatetimeIndex(X["valid_at"]).tz_convert(self.timezone).hour
        out = np.full((len(X), 2), np.nan)  # z mean, se
        for name, fit in self.stations_.items():  # per station, not per row
            here = np.flatnonzero(key_station == name)
            if here.size == 0:
                continue
            u_hat, se = self._error_forecast(fit, z_window[here], key_issue[here])
            position = np.full(len(keys), -1, dtype=np.intp)
            position[here] = np.arange(here.size)
            rows = np.flatnonzero((position[codes] >= 0) & (lead >= 1) & (lead <= self.horizon_))
            at = (position[codes[rows]], lead[rows] - 1)
            mean = diurnal_regressors(valid_hour[rows], self.harmonics) @ fit.beta
            out[rows, 0] = mean + u_hat[at]
            out[rows, 1] = se[at]
        half = norm.ppf(QUANTILES[1]) * out[:, 1]
        return prediction_frame(
            X.index,
            inverse_transform(out[:, 0], "log1p"),
            inverse_transform(out[:, 0] - half, "log1p"),
            inverse_transform(out[:, 0] + half, "log1p"),
        )

    def _error_forecast(
        self, fit: StationFit, z_window: FloatArray, issued: pd.DatetimeIndex
    ) -> tuple[FloatArray, FloatArray]:
        """Forecast of the ARMA error and its standard error, per window and lead."""
        offsets = np.arange(WINDOW_H, 0, -1) * np.timedelta64(1, "h")
        stamps = issued.tz_convert("UTC").tz_convert(None).to_numpy()[:, None] - offsets[None, :]
        local = pd.DatetimeIndex(stamps.ravel()).tz_localize("UTC").tz_convert(self.timezone)
        mean = (diurnal_regressors(local.hour, self.harmonics) @ fit.beta).reshape(stamps.shape)
        u = z_window - mean
        u_hat = np.zeros((len(u), self.horizon_))
        var = np.tile(fit.se**2, (len(u), 1))
        missing = np.isnan(u)
        complete = ~missing.any(axis=1)
        u_hat[complete] = u[complete] @ fit.weights.T
        if not complete.all():
            rows = np.flatnonzero(~complete)
            patterns, which = np.unique(missing[rows], axis=0, return_inverse=True)
            for p, pattern in enumerate(patterns):  # distinct missing-hour patterns
                idx = rows[np.ravel(which) == p]
                u_hat[idx], var[idx] = _conditional_forecast(fit, u[idx], pattern)
        return u_hat, np.sqrt(var)


def _conditional_forecast(
    fit: StationFit, u: FloatArray, missing: BoolArray
) -> tuple[FloatArray, FloatArray]:
    """Exact forecast mean and variance of windows sharing one missing-hour pattern.

    For the Gaussian stationary error, ``E[u_f | u_o] = W E[u | u_o]`` and
    ``Var[u_f | u_o] = se² + W_m Var[u_m | u_o] W_m'``, with the conditional moments of
    the missing hours ``m`` given the observed ``o`` from the window covariance Σ:
    ``Σ_mo Σ_oo⁻¹ u_o`` and ``Σ_mm - Σ_mo Σ_oo⁻¹ Σ_om``.
    """
    observed = ~missing
    sigma = fit.window_cov
    filled = np.where(missing[None, :], 0.0, u)
    cond_cov = sigma[np.ix_(missing, missing)]
    if observed.any():
        gain = np.linalg.solve(sigma[np.ix_(observed, observed)], sigma[np.ix_(observed, missing)])
        filled[:, missing] = u[:, observed] @ gain
        cond_cov = cond_cov - sigma[np.ix_(missing, observed)] @ gain
    w_missing = fit.weights[:, missing]
    extra = np.einsum("hi,ij,hj->h", w_missing, cond_cov, w_missing)
    return filled @ fit.weights.T, np.tile(fit.se**2 + extra, (len(u), 1))
