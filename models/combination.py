"""Combination: lead-bucketed weighting of several forecasters, only where it verifies better.

:class:`Combination` fits its members on a training head, forecasts a time-ordered
validation tail (:func:`models.base.time_split`), and per lead bucket estimates the
weights of a convex combination of the members' forecasts:

* ``"inverse_error"``: weights proportional to ``MAE_j ** -power`` (the classical
  inverse-error weighting of Bates and Granger [1]_, with MAE for the skewed
  concentrations);
* ``"stacked"``: non-negative least squares of the observations on the members'
  forecasts, normalised to sum 1 (a constrained stacking, [2]_).

In each bucket the combination is kept only where its validation MAE is lower than that
of the best member; otherwise the bucket uses the best member alone (weight 1), as the
issue asks ("a combination, where it verifies better than its parts"). The same weights
combine the members' q10 and q90 (quantile averaging), so the interval stays a convex
blend of the members' intervals. Where a member has no forecast for a row (a baseline
with a missing input), the weights of the others are renormalised on that row; where
the member chosen alone has none, the row takes the estimated blend of the others.

On the Beijing test bed (12 stations, PM2.5, test issues 2015-01-02 … 02-28) the
combination of DirectGBM and :class:`models.statistical.SarimaxForecaster` kept
SARIMAX alone for leads 1-6 (validation MAE 22.7 against 24.5) and DirectGBM alone
elsewhere, and verified worse than DirectGBM alone on the test (46.1 against 45.6):
the members' validation forecasts come from fits on the training head only, which
handicaps the member that gains most from recent data. It is a tool for experiments,
not the default model.

With ``refit=True`` the members are refitted on all rows after the weights are fixed.
The choice between combination and best member is made on the same tail that
estimated the weights; with a handful of weights per bucket the optimism is small,
but it is there, and backtests judge the combination on later data.

References
----------
.. [1] Bates, J. M. and Granger, C. W. J. (1969). The combination of forecasts.
   Operational Research Quarterly 20(4), 451-468, doi:10.2307/3008764.
.. [2] Breiman, L. (1996). Stacked regressions. Machine Learning 24, 49-64,
   doi:10.1007/BF00117832.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Self

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import nnls  # type: ignore[import-untyped]

from forecasting.errors import InputDataError, InsufficientHistoryError
from models.base import (
    DEFAULT_LEAD_BUCKETS,
    Forecaster,
    check_lead_buckets,
    check_xy,
    clone,
    lead_bucket,
    prediction_frame,
    require_columns,
    time_split,
)

__all__ = ["Combination", "CombinationMethod"]

CombinationMethod = Literal["inverse_error", "stacked"]
FloatArray = npt.NDArray[np.float64]
_METHODS = ("inverse_error", "stacked")


class Combination(Forecaster):
    """Lead-bucketed convex combination of forecasters, weighted on a validation tail.

    Parameters
    ----------
    members : sequence of Forecaster
        Unfitted templates (cloned at fit); at least two, all for the same target.
    target : str
        Pollutant name (for the record; each member reads its own columns).
    method : {"inverse_error", "stacked"}
        Weighting (module docstring).
    power : float
        Exponent of the inverse-error weights.
    lead_buckets : tuple of int
        Upper edges of the lead buckets [h].
    validation_fraction : float
        Fraction of the issue times in the validation tail.
    refit : bool
        Refit the members on all rows once the weights are estimated.
    random_state : int
        Passed on to no one (members keep their own seeds); kept for the contract.

    Attributes
    ----------
    members_ : list of Forecaster
        Fitted members.
    weights_ : numpy.ndarray
        Lead bucket × member weights in use (rows sum to 1).
    blend_weights_ : numpy.ndarray
        Lead bucket × member weights of the estimated blend; used on rows where the
        member chosen alone has no forecast.
    member_errors_ : numpy.ndarray
        Lead bucket × member validation MAE [unit of the target].
    combined_errors_ : numpy.ndarray
        Validation MAE of the weighted combination per bucket (before the selection).
    selection_ : list of str
        Per bucket: ``"combination"`` or the name of the member used alone.
    feature_names_in_ : numpy.ndarray
        Union of the members' inputs.
    """

    def __init__(
        self,
        members: Sequence[Forecaster] = (),
        *,
        target: str = "pm25",
        method: CombinationMethod = "inverse_error",
        power: float = 1.0,
        lead_buckets: tuple[int, ...] = DEFAULT_LEAD_BUCKETS,
        validation_fraction: float = 0.2,
        refit: bool = True,
        random_state: int = 0,
    ) -> None:
        self.members = members
        self.target = target
        self.method = method
        self.power = power
        self.lead_buckets = lead_buckets
        self.validation_fraction = validation_fraction
        self.refit = refit
        self.random_state = random_state

    def _check(self) -> None:
        if len(self.members) < 2:
            raise InputDataError(f"Combination needs at least 2 members; got {len(self.members)}")
        if self.method not in _METHODS:
            raise InputDataError(
                f"Combination method={self.method!r}; choose one of: {', '.join(_METHODS)}"
            )
        check_lead_buckets(self.lead_buckets)

    def _member_names(self) -> list[str]:
        names = [type(m).__name__ for m in self.members]
        return [f"{n}[{i}]" if names.count(n) > 1 else n for i, n in enumerate(names)]

    def fit(self, X: pd.DataFrame, y: pd.Series, *, sample_weight: pd.Series | None = None) -> Self:
        """Fit the members, estimate the weights per lead bucket, refit.

        Parameters
        ----------
        X : pandas.DataFrame
            Model-matrix rows with ``issued_at``, ``valid_at``, ``lead_h`` and what the
            members read.
        y : pandas.Series
            Observed target [unit of the target], aligned to ``X``.
        sample_weight : pandas.Series, optional
            Passed to the members' fits.

        Returns
        -------
        Self
            The fitted combination.

        Raises
        ------
        forecasting.errors.InsufficientHistoryError
            When the validation tail has no row with a target.
        """
        self._check()
        target, _ = check_xy(X, y, sample_weight, "Combination")
        require_columns(X, ["issued_at", "valid_at", "lead_h"], "Combination")
        train, valid = time_split(X["issued_at"], X["valid_at"], self.validation_fraction)
        valid &= np.isfinite(target)
        if not valid.any():
            raise InsufficientHistoryError("Combination: no validation row has a target")
        head = [
            _fit(
                clone(m),
                X[train],
                y[train],
                None if sample_weight is None else sample_weight[train],
            )
            for m in self.members
        ]
        forecasts = np.stack(
            [m.predict(X[valid])["value"].to_numpy(np.float64) for m in head], axis=1
        )
        buckets = lead_bucket(X["lead_h"].to_numpy()[valid], self.lead_buckets)
        self._estimate_weights(forecasts, target[valid], buckets)
        self.members_ = (
            [_fit(clone(m), X, y, sample_weight) for m in self.members] if self.refit else head
        )
        names = [str(c) for m in self.members_ for c in m.feature_names_in_]
        self.feature_names_in_ = np.array(list(dict.fromkeys(names)), dtype=object)
        self.n_features_in_ = len(self.feature_names_in_)
        return self

    def _estimate_weights(
        self, forecasts: FloatArray, truth: FloatArray, buckets: npt.NDArray[np.intp]
    ) -> None:
        n_buckets, n_members = len(self.lead_buckets), forecasts.shape[1]
        errors = np.full((n_buckets, n_members), np.nan)
        combined = np.full(n_buckets, np.nan)
        weights = np.full((n_buckets, n_members), 1.0 / n_members)
        blend = weights.copy()
        selection: list[str] = []
        names = self._member_names()
        for b in range(n_buckets):  # a handful of buckets
            rows = buckets == b
            f, t = forecasts[rows], truth[rows]
            usable = np.isfinite(f).all(axis=1)
            if not usable.any():
                selection.append("combination")
                continue
            f, t = f[usable], t[usable]
            errors[b] = np.mean(np.abs(f - t[:, None]), axis=0)
            w = self._weights(f, t, errors[b])
            blend[b] = w
            combined[b] = float(np.mean(np.abs(f @ w - t)))
            best = int(np.argmin(errors[b]))
            if combined[b] < errors[b, best]:
                weights[b] = w
                selection.append("combination")
            else:
                weights[b] = np.eye(n_members)[best]
                selection.append(names[best])
        self.weights_ = weights
        self.blend_weights_ = blend
        self.member_errors_ = errors
        self.combined_errors_ = combined
        self.selection_ = selection

    def _weights(self, forecasts: FloatArray, truth: FloatArray, errors: FloatArray) -> FloatArray:
        if self.method == "stacked":
            w, _ = nnls(forecasts, truth)
            if w.sum() > 0:
                return np.asarray(w / w.sum(), dtype=np.float64)
        inverse = np.maximum(errors, 1e-12) ** -self.power
        return np.asarray(inverse / inverse.sum(), dtype=np.float64)

    def predict(self, X: pd.DataFrame) -> pd.DataFrame:
        """Weighted forecast of the members, per lead bucket.

        Parameters
        ----------
        X : pandas.DataFrame
            Model-matrix rows with what the members read and ``lead_h``.

        Returns
        -------
        pandas.DataFrame
            ``value``, ``q10``, ``q90`` [unit of the target]; NaN only where every
            member with weight is NaN.
        """
        self._check_fitted()
        require_columns(X, ["lead_h"], "Combination")
        parts = [m.predict(X).to_numpy(np.float64) for m in self.members_]
        stack = np.stack(parts, axis=1)  # rows × members × (value, q10, q90)
        buckets = lead_bucket(X["lead_h"].to_numpy(), self.lead_buckets)
        available = np.isfinite(stack[:, :, 0])
        w = np.where(available, self.weights_[buckets], 0.0)
        # the member chosen alone has no forecast: fall back to the estimated blend
        w = np.where((w.sum(axis=1) <= 0)[:, None], available * self.blend_weights_[buckets], w)
        total = w.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            w = w / total[:, None]
        blended = np.einsum("rm,rmk->rk", w, np.nan_to_num(stack))
        blended[total <= 0] = np.nan
        return prediction_frame(X.index, blended[:, 0], blended[:, 1], blended[:, 2])


def _fit(member: Forecaster, X: pd.DataFrame, y: pd.Series, weight: pd.Series | None) -> Forecaster:
    return member.fit(X, y, sample_weight=weight)
