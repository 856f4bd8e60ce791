"""The estimator contract of ``models/``: what every forecaster of the model matrix does.

A forecaster maps rows of the model matrix (one row per station, issue time ``T`` and
lead ``lead_h``, with ``valid_at = T + (lead_h - 1) h``; see :mod:`features.build`) to a
point forecast and a central 80 % interval at the row's valid time. The contract follows
scikit-learn's [1]_ and Nixtla's [2]_:

* ``__init__`` stores hyper-parameters only, under their own names; ``random_state`` is
  explicit wherever randomness can enter;
* ``fit(X, y, *, sample_weight=None)`` returns ``self`` and sets fitted attributes with a
  trailing underscore (always ``feature_names_in_`` and ``n_features_in_``);
* ``predict(X)`` returns a frame aligned to ``X.index`` with the columns
  :data:`OUTPUT_COLUMNS` (``value``, ``q10``, ``q90``) in the unit of the target, with
  ``q10 <= value <= q90`` on every row (:func:`prediction_frame` enforces it);
* using an estimator before ``fit`` raises :class:`forecasting.errors.NotFittedError`;
* a fitted estimator pickles and predicts the same after unpickling.

The module also holds the pieces the estimators share: target transforms for skewed
concentrations, lead buckets, residual quantiles by lead bucket (split-conformal
intervals [3]_), the time-ordered validation split and local time of the valid stamp.

References
----------
.. [1] scikit-learn developers, "Developing scikit-learn estimators" (fit returns self,
   trailing-underscore attributes, ``get_params``), https://scikit-learn.org/stable/developers/develop.html
.. [2] Nixtla mlforecast / statsforecast: explicit seeds, long-format forecasts with
   ``lo``/``hi`` interval columns.
.. [3] Lei, J., G'Sell, M., Rinaldo, A., Tibshirani, R. J. and Wasserman, L. (2018).
   Distribution-free predictive inference for regression. JASA 113(523), 1094-1111,
   doi:10.1080/01621459.2017.1307116 (split conformal prediction).
.. [4] Chernozhukov, V., Fernández-Val, I. and Galichon, A. (2010). Quantile and
   probability curves without crossing. Econometrica 78(3), 1093-1125,
   doi:10.3982/ECTA7880.
.. [5] Koenker, R. and Bassett, G. (1978). Regression quantiles. Econometrica 46(1),
   33-50, doi:10.2307/1913643.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from typing import Any, Literal, Self

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasting.errors import InputDataError, InsufficientHistoryError, NotFittedError

__all__ = [
    "DEFAULT_LEAD_BUCKETS",
    "KEY_COLUMNS",
    "OUTPUT_COLUMNS",
    "QUANTILES",
    "Forecaster",
    "TargetTransform",
    "check_lead_buckets",
    "check_xy",
    "clone",
    "design_matrix",
    "forward_transform",
    "interval_scores",
    "inverse_transform",
    "lead_bucket",
    "local_month_hour",
    "pinball_loss",
    "prediction_frame",
    "require_columns",
    "residual_quantiles",
    "time_split",
]

#: Columns of every forecast frame: point forecast, 10 % and 90 % quantiles.
OUTPUT_COLUMNS: tuple[str, str, str] = ("value", "q10", "q90")
#: Probability levels of the interval columns ``q10`` and ``q90``.
QUANTILES: tuple[float, float] = (0.1, 0.9)
#: Key columns of the model matrix (never model inputs, except ``lead_h``).
KEY_COLUMNS: tuple[str, ...] = ("station", "issued_at", "lead_h", "valid_at")
#: Upper edges of the default lead buckets [h]: 1-6, 7-12, 13-24, 25-48, 49-72.
DEFAULT_LEAD_BUCKETS: tuple[int, ...] = (6, 12, 24, 48, 72)

TargetTransform = Literal["log1p", "none"]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]


class Forecaster(ABC):
    """Base class of the forecasters of the model matrix (the contract above).

    Subclasses declare every hyper-parameter as a keyword of ``__init__``, store it
    unchanged under the same name and implement :meth:`fit` and :meth:`predict`.
    """

    target: str
    #: Inputs seen by :meth:`fit` (set by ``fit``; absent before).
    feature_names_in_: npt.NDArray[Any]
    #: Number of inputs seen by :meth:`fit`.
    n_features_in_: int

    @abstractmethod
    def fit(self, X: pd.DataFrame, y: pd.Series, *, sample_weight: pd.Series | None = None) -> Self:
        """Fit on rows of the model matrix and their observed targets.

        Parameters
        ----------
        X : pandas.DataFrame
            Rows of the model matrix (keys and features).
        y : pandas.Series
            Observed target at each row's valid time [unit of the target], aligned to
            ``X``; NaN rows are not used.
        sample_weight : pandas.Series, optional
            Non-negative weight per row, aligned to ``X``.

        Returns
        -------
        Self
            The fitted estimator.
        """

    @abstractmethod
    def predict(self, X: pd.DataFrame) -> pd.DataFrame:
        """Forecast the target at each row's valid time.

        Parameters
        ----------
        X : pandas.DataFrame
            Rows of the model matrix.

        Returns
        -------
        pandas.DataFrame
            ``value``, ``q10``, ``q90`` [unit of the target], indexed like ``X``.
        """

    @classmethod
    def _param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return [
            p.name
            for p in signature.parameters.values()
            if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]

    def get_params(self) -> dict[str, Any]:
        """Return the hyper-parameters, by name, as given to ``__init__``.

        Returns
        -------
        dict
            Parameter name → value.
        """
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> Self:
        """Set hyper-parameters by name (an unfitted copy is usually what you want).

        Raises
        ------
        forecasting.errors.InputDataError
            For a name that is not a hyper-parameter of this class.
        """
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise InputDataError(
                    f"{type(self).__name__} has no hyper-parameter {name!r}; "
                    f"valid: {', '.join(valid)}"
                )
            setattr(self, name, value)
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "feature_names_in_"):
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet; call fit(X, y) before predict"
            )

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"


def clone(estimator: Forecaster) -> Forecaster:
    """Return an unfitted copy with the same hyper-parameters.

    Parameters
    ----------
    estimator : Forecaster
        Fitted or not.

    Returns
    -------
    Forecaster
        A new instance of the same class.
    """
    return type(estimator)(**estimator.get_params())


def require_columns(X: pd.DataFrame, columns: Iterable[str], who: str) -> None:
    """Raise when ``X`` lacks any of ``columns``.

    Raises
    ------
    forecasting.errors.InputDataError
        Naming the missing columns, who needs them, and some of those present.
    """
    missing = [c for c in columns if c not in X.columns]
    if missing:
        present = ", ".join(map(str, list(X.columns)[:12]))
        more = " …" if X.shape[1] > 12 else ""
        raise InputDataError(
            f"{who} needs the model-matrix column(s) {', '.join(missing)}; the frame has: "
            f"{present}{more}"
        )


def check_xy(
    X: pd.DataFrame, y: pd.Series, sample_weight: pd.Series | None, who: str
) -> tuple[FloatArray, FloatArray | None]:
    """Validate a training pair; return the target and weights as float64 arrays.

    Raises
    ------
    forecasting.errors.InputDataError
        When ``X`` is not a DataFrame, lengths or indexes differ, the target is not
        numeric, a weight is negative or no row has a finite target.
    """
    if not isinstance(X, pd.DataFrame):
        raise InputDataError(f"{who}.fit: X must be a pandas DataFrame, got {type(X).__name__}")
    for name, other in (("y", y), ("sample_weight", sample_weight)):
        if other is None:
            continue
        if len(other) != len(X) or not other.index.equals(X.index):
            raise InputDataError(
                f"{who}.fit: {name} (length {len(other)}) must be aligned to X "
                f"(length {len(X)}) on the same index"
            )
    try:
        target = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputDataError(f"{who}.fit: y must be numeric ({exc})") from exc
    if not np.isfinite(target).any():
        raise InputDataError(f"{who}.fit: y has no finite value in its {len(target)} rows")
    weight = None
    if sample_weight is not None:
        weight = np.asarray(sample_weight, dtype=np.float64)
        bad = np.flatnonzero(~(weight >= 0))
        if bad.size:
            raise InputDataError(
                f"{who}.fit: sample_weight must be >= 0; row {X.index[bad[0]]!r} has "
                f"{weight[bad[0]]!r}"
            )
    return target, weight


def forward_transform(values: npt.ArrayLike, kind: TargetTransform) -> FloatArray:
    """Transform a concentration for modelling.

    Parameters
    ----------
    values : array_like
        Concentrations [unit of the target]; negative values are clipped to 0 for
        ``"log1p"`` (concentrations are non-negative after QC).
    kind : {"log1p", "none"}
        ``log(1 + x)`` for skewed concentrations, or the identity.

    Returns
    -------
    numpy.ndarray
        Transformed values (float64).
    """
    array = np.asarray(values, dtype=np.float64)
    if kind == "log1p":
        return np.log1p(np.maximum(array, 0.0))
    return array.copy()


def inverse_transform(values: npt.ArrayLike, kind: TargetTransform) -> FloatArray:
    """Invert :func:`forward_transform` (``expm1`` for ``"log1p"``)."""
    array = np.asarray(values, dtype=np.float64)
    if kind == "log1p":
        return np.expm1(array)
    return array.copy()


def lead_bucket(lead_h: npt.ArrayLike, edges: Sequence[int] = DEFAULT_LEAD_BUCKETS) -> IntArray:
    """Bucket number of each lead.

    Parameters
    ----------
    lead_h : array_like of int
        Leads [h], 1 = the issue stamp.
    edges : sequence of int
        Increasing upper edges [h] of the buckets; bucket ``i`` holds
        ``edges[i-1] < lead <= edges[i]``. Leads above the last edge go to the last
        bucket.

    Returns
    -------
    numpy.ndarray of intp
        Bucket index per lead, in ``0 … len(edges) - 1``.
    """
    leads = np.asarray(lead_h, dtype=np.int64)
    buckets = np.searchsorted(np.asarray(edges, dtype=np.int64), leads, side="left")
    return np.minimum(buckets, len(edges) - 1).astype(np.intp)


def check_lead_buckets(edges: Sequence[int]) -> None:
    """Raise unless ``edges`` are strictly increasing positive hours.

    Raises
    ------
    forecasting.errors.InputDataError
        Naming the offending value.
    """
    values = list(edges)
    if not values or values[0] < 1 or any(b <= a for a, b in zip(values, values[1:], strict=False)):
        raise InputDataError(
            f"lead_buckets={tuple(values)!r} must be strictly increasing hours >= 1, "
            "e.g. (6, 12, 24, 48, 72)"
        )


def residual_quantiles(
    residual: npt.ArrayLike,
    bucket: npt.ArrayLike,
    n_buckets: int,
    *,
    quantiles: Sequence[float] = QUANTILES,
    min_count: int = 30,
) -> FloatArray:
    """Empirical quantiles of residuals per bucket (split-conformal offsets [3]_).

    Parameters
    ----------
    residual : array_like
        Observed minus predicted (in the modelling space); NaN is ignored.
    bucket : array_like of int
        Bucket of each residual (:func:`lead_bucket`).
    n_buckets : int
        Number of buckets.
    quantiles : sequence of float
        Probability levels, default (0.1, 0.9).
    min_count : int
        A bucket with fewer finite residuals takes the pooled quantiles of all buckets.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_buckets, len(quantiles))``; NaN only when no residual is finite.
    """
    res = np.asarray(residual, dtype=np.float64)
    buckets = np.asarray(bucket, dtype=np.intp)
    ok = np.isfinite(res)
    levels = np.asarray(quantiles, dtype=np.float64)
    pooled = np.quantile(res[ok], levels) if ok.any() else np.full(len(levels), np.nan)
    out = np.tile(pooled, (n_buckets, 1))
    for b in range(n_buckets):  # a handful of buckets, not rows
        sel = res[ok & (buckets == b)]
        if sel.size >= min_count:
            out[b] = np.quantile(sel, levels)
    return out


def time_split(
    issued_at: pd.Series, valid_at: pd.Series, fraction: float
) -> tuple[BoolArray, BoolArray]:
    """Split rows into a training head and a validation tail by issue time, purged.

    The last ``fraction`` of the distinct issue times form the validation tail; a
    training row is one issued before the tail whose valid time is also before the
    tail's first issue time, so no training target lies in the validation period
    (no random split: that would leak the future into training).

    Parameters
    ----------
    issued_at, valid_at : pandas.Series
        Issue and valid times of the rows (tz-aware).
    fraction : float
        Fraction of the distinct issue times in the tail, in (0, 1).

    Returns
    -------
    train, validation : numpy.ndarray of bool
        Row masks (a row may be in neither: the purged gap).

    Raises
    ------
    forecasting.errors.InputDataError
        When ``fraction`` is outside (0, 1).
    forecasting.errors.InsufficientHistoryError
        When there are fewer than two issue times.
    """
    if not 0.0 < fraction < 1.0:
        raise InputDataError(f"validation_fraction={fraction!r} must be in (0, 1)")
    issued = pd.DatetimeIndex(issued_at)
    distinct = issued.unique().sort_values()
    if len(distinct) < 2:
        raise InsufficientHistoryError(
            f"a time-ordered validation tail needs at least 2 issue times; got {len(distinct)}"
        )
    n_tail = min(max(1, round(fraction * len(distinct))), len(distinct) - 1)
    cut = distinct[len(distinct) - n_tail]
    validation = np.asarray(issued >= cut)
    train = np.asarray(issued < cut) & np.asarray(pd.DatetimeIndex(valid_at) < cut)
    return train, validation


def local_month_hour(valid_at: pd.Series, timezone: str) -> tuple[IntArray, IntArray]:
    """Month and hour of each valid stamp in a local time zone.

    Raises
    ------
    forecasting.errors.InputDataError
        When the stamps are not timezone-aware (the system keeps UTC inside).
    """
    stamps = pd.DatetimeIndex(valid_at)
    if stamps.tz is None:
        raise InputDataError(
            "valid_at must be timezone-aware (UTC inside ecocast); got naive stamps, "
            f"first {stamps[0] if len(stamps) else None!r}"
        )
    local = stamps.tz_convert(timezone)
    return np.asarray(local.month, dtype=np.intp), np.asarray(local.hour, dtype=np.intp)


def prediction_frame(
    index: pd.Index,
    value: npt.ArrayLike,
    q10: npt.ArrayLike,
    q90: npt.ArrayLike,
    *,
    lower: float | None = 0.0,
) -> pd.DataFrame:
    """Assemble a forecast frame and enforce the interval contract.

    Parameters
    ----------
    index : pandas.Index
        Index of the input rows.
    value, q10, q90 : array_like
        Point forecast and quantiles [unit of the target].
    lower : float or None
        Physical lower bound (0 for concentrations), applied to all three; None for
        none.

    Returns
    -------
    pandas.DataFrame
        ``value``, ``q10``, ``q90`` (float64) with ``q10 <= value <= q90``: crossed
        quantiles are first put in order (rearrangement [4]_), then widened to contain
        the point forecast. A row is
        all-NaN when ``value`` is NaN; a missing quantile with a finite value becomes
        the value (a zero-width interval), so a row is never half-filled.
    """
    point = np.asarray(value, dtype=np.float64).copy()
    low = np.asarray(q10, dtype=np.float64).copy()
    high = np.asarray(q90, dtype=np.float64).copy()
    if lower is not None:
        point, low, high = (np.where(a < lower, lower, a) for a in (point, low, high))
    crossed = low > high  # False where either is NaN
    low, high = np.where(crossed, high, low), np.where(crossed, low, high)  # rearrangement [4]_
    low = np.where(np.isnan(low), point, np.minimum(low, point))
    high = np.where(np.isnan(high), point, np.maximum(high, point))
    return pd.DataFrame(
        {"value": point, "q10": low, "q90": high}, index=index, columns=list(OUTPUT_COLUMNS)
    )


def design_matrix(X: pd.DataFrame, columns: Sequence[str], who: str) -> npt.NDArray[np.float32]:
    """Float32 design matrix of ``columns``; booleans become 0/1, NaN stays NaN.

    Raises
    ------
    forecasting.errors.InputDataError
        Naming the columns that are neither numeric nor boolean, and their dtypes.
    """
    parts = X.loc[:, list(columns)]
    bad = [
        c
        for c in parts.columns
        if not (pd.api.types.is_numeric_dtype(parts[c]) or pd.api.types.is_bool_dtype(parts[c]))
    ]
    if bad:
        raise InputDataError(
            f"{who} inputs must be numeric or boolean; column(s) {', '.join(map(str, bad))} "
            f"are {', '.join(str(parts[c].dtype) for c in bad)}"
        )
    return np.asarray(parts.to_numpy(dtype=np.float32, na_value=np.nan), dtype=np.float32)


def pinball_loss(observed: npt.ArrayLike, quantile: npt.ArrayLike, alpha: float) -> FloatArray:
    """Pinball (quantile) loss of a forecast quantile at level ``alpha``, per value.

    ``max(α (o - q), (α - 1)(o - q))`` [unit of the variable] [5]_.
    """
    diff = np.asarray(observed, dtype=np.float64) - np.asarray(quantile, dtype=np.float64)
    return np.maximum(alpha * diff, (alpha - 1.0) * diff)


def interval_scores(
    observed: npt.ArrayLike, value: npt.ArrayLike, q10: npt.ArrayLike, q90: npt.ArrayLike
) -> dict[str, float]:
    """Coverage of [q10, q90] and the mean pinball loss of q10 and q90 (NaN ignored).

    The quantiles are first ordered around ``value`` as in :func:`prediction_frame`.

    Returns
    -------
    dict
        ``coverage_q10_q90`` [1] and ``pinball_q10_q90`` [unit of the variable].
    """
    frame = prediction_frame(pd.RangeIndex(np.size(value)), value, q10, q90, lower=None)
    truth = np.asarray(observed, dtype=np.float64)
    low, high = frame["q10"].to_numpy(), frame["q90"].to_numpy()
    ok = np.isfinite(truth) & np.isfinite(low)
    pinball = 0.5 * (
        pinball_loss(truth, low, QUANTILES[0]) + pinball_loss(truth, high, QUANTILES[1])
    )
    return {
        "coverage_q10_q90": float(np.mean((truth >= low) & (truth <= high), where=ok)),
        "pinball_q10_q90": float(np.mean(pinball, where=ok)),
    }
