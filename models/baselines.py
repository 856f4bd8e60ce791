"""Baselines as estimators: persistence, seasonal naive (24 h) and climatology.

Every experiment reports its skill against these [1]_. They follow the contract of
:mod:`models.base` and read only model-matrix columns that are known at the issue time
(``hist_*``) or fixed in advance (the valid time), so they are as leakage-free as the
matrix itself.

* :class:`Persistence`: the last known value ``hist_{target}_last``.
* :class:`SeasonalNaive`: the same hour on the most recent known day,
  ``hist_{target}_samehour_d1`` (the 24-h seasonal naive of [2]_).
* :class:`Climatology`: the mean (or median) of the training targets at the same station,
  month and hour of the valid time (local), with coarser groups where a group is empty.
* :class:`DampedPersistence`: the last value relaxed toward climatology with a factor
  per lead fitted on the training rows, ``m + a_h (last - m)`` in the log space (the
  classical combination of persistence and climatology [3]_); it is also the starting
  point that :class:`models.gbm.DirectGBM` boosts from.

Persistence and seasonal naive take their q10/q90 from the training residual
distribution per lead bucket, in the log space by default (multiplicative intervals
suit skewed concentrations); climatology's are the empirical quantiles of its group.
A baseline whose input is missing on a row predicts NaN there: baselines are references
and are not filled in (the product model has its own fallback, :mod:`models.gbm`).

References
----------
.. [1] shared/docs/product.md, "Backtests and verification": always against
   persistence and climatology; style guide §3.6, "Baselines are estimators too".
.. [2] Hyndman, R. J. and Athanasopoulos, G. (2021). Forecasting: principles and
   practice, 3rd ed., §5.2 "Some simple forecasting methods" (naive, seasonal naive),
   https://otexts.com/fpp3/simple-methods.html
.. [3] Murphy, A. H. (1992). Climatology, persistence, and their linear combination as
   standards of reference in skill scores. Weather and Forecasting 7(4), 692-698,
   doi:10.1175/1520-0434(1992)007<0692:CPATLC>2.0.CO;2
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Literal, Self

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasting.errors import InputDataError
from models.base import (
    DEFAULT_LEAD_BUCKETS,
    QUANTILES,
    Forecaster,
    TargetTransform,
    check_lead_buckets,
    check_xy,
    forward_transform,
    inverse_transform,
    lead_bucket,
    local_month_hour,
    prediction_frame,
    require_columns,
    residual_quantiles,
)

__all__ = [
    "CLIMATOLOGY_LEVELS",
    "Climatology",
    "DampedPersistence",
    "Persistence",
    "SeasonalNaive",
]

#: Grouping levels of :class:`Climatology`, finest first: a row takes the first level
#: whose group has at least ``min_count`` training values.
CLIMATOLOGY_LEVELS: tuple[tuple[str, ...], ...] = (
    ("station", "month", "hour"),
    ("station", "month"),
    ("station", "hour"),
    ("month", "hour"),
    ("station",),
    ("hour",),
    (),
)


class _ColumnBaseline(Forecaster):
    """A baseline whose point forecast is one matrix column (shared machinery)."""

    def __init__(
        self,
        target: str = "pm25",
        *,
        transform: TargetTransform = "log1p",
        lead_buckets: tuple[int, ...] = DEFAULT_LEAD_BUCKETS,
        min_count: int = 30,
        random_state: int = 0,
    ) -> None:
        self.target = target
        self.transform = transform
        self.lead_buckets = lead_buckets
        self.min_count = min_count
        self.random_state = random_state

    @abstractmethod
    def _column(self) -> str:
        """Return the matrix column holding the point forecast."""

    def fit(self, X: pd.DataFrame, y: pd.Series, *, sample_weight: pd.Series | None = None) -> Self:
        """Estimate the residual quantiles per lead bucket from the training rows.

        Parameters
        ----------
        X : pandas.DataFrame
            Model-matrix rows with ``lead_h`` and the baseline's column.
        y : pandas.Series
            Observed target [unit of the target], aligned to ``X``.
        sample_weight : pandas.Series, optional
            Accepted for the contract; the empirical quantiles are unweighted.

        Returns
        -------
        Self
            With ``residual_quantiles_`` (lead bucket × (q10, q90) offsets in the
            transformed space), ``feature_names_in_`` and ``n_features_in_``.
        """
        name = type(self).__name__
        target, _ = check_xy(X, y, sample_weight, name)
        check_lead_buckets(self.lead_buckets)
        column = self._column()
        require_columns(X, [column, "lead_h"], name)
        forecast = forward_transform(X[column].to_numpy(np.float64), self.transform)
        residual = forward_transform(target, self.transform) - forecast
        residual[~np.isfinite(target)] = np.nan
        buckets = lead_bucket(X["lead_h"].to_numpy(), self.lead_buckets)
        self.residual_quantiles_ = residual_quantiles(
            residual, buckets, len(self.lead_buckets), min_count=self.min_count
        )
        self.feature_names_in_ = np.array([column, "lead_h"], dtype=object)
        self.n_features_in_ = 2
        return self

    def predict(self, X: pd.DataFrame) -> pd.DataFrame:
        """Forecast: the column's value, with residual quantiles of its lead bucket.

        Parameters
        ----------
        X : pandas.DataFrame
            Model-matrix rows with ``lead_h`` and the baseline's column.

        Returns
        -------
        pandas.DataFrame
            ``value``, ``q10``, ``q90`` [unit of the target]; NaN where the column is.
        """
        self._check_fitted()
        column = self._column()
        require_columns(X, [column, "lead_h"], type(self).__name__)
        point = X[column].to_numpy(np.float64)
        base = forward_transform(point, self.transform)
        offsets = self.residual_quantiles_[lead_bucket(X["lead_h"].to_numpy(), self.lead_buckets)]
        low = inverse_transform(base + offsets[:, 0], self.transform)
        high = inverse_transform(base + offsets[:, 1], self.transform)
        low[np.isnan(point)] = np.nan
        high[np.isnan(point)] = np.nan
        return prediction_frame(X.index, point, low, high)


class Persistence(_ColumnBaseline):
    """Persistence: the last value known at the issue time, at every lead.

    Parameters
    ----------
    target : str
        Pollutant name (``pm25``, ``pm10``, ``so2``, ``no2``, ``co``, ``o3``); the
        forecast is the matrix column ``hist_{target}_last`` [µg m⁻³; CO mg m⁻³].
    transform : {"log1p", "none"}
        Space of the residuals whose quantiles give q10/q90 (log1p: multiplicative).
    lead_buckets : tuple of int
        Upper edges of the lead buckets [h] of the residual quantiles.
    min_count : int
        Least residuals in a bucket; fewer take the pooled quantiles.
    random_state : int
        Unused (the baseline is deterministic); kept for the uniform contract.

    Attributes
    ----------
    residual_quantiles_ : numpy.ndarray
        Lead bucket × (q10, q90) residual offsets in the transformed space.
    feature_names_in_ : numpy.ndarray
        Columns read.

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"hist_pm25_last": [40.0, 40.0], "lead_h": [1, 30]})
    >>> Persistence("pm25").fit(X, pd.Series([42.0, 60.0])).predict(X)["value"].tolist()
    [40.0, 40.0]
    """

    def _column(self) -> str:
        return f"hist_{self.target}_last"


class SeasonalNaive(_ColumnBaseline):
    """Seasonal naive with a 24-h season: the same hour on the most recent known day.

    The forecast for a valid time is ``hist_{target}_samehour_d1``: the value at
    ``valid_at - 24 k h`` for the smallest ``k >= 1`` whose stamp was known at the issue
    time (:mod:`features.history`). Parameters and attributes as :class:`Persistence`.
    """

    def _column(self) -> str:
        return f"hist_{self.target}_samehour_d1"


Statistic = Literal["mean", "median"]


class Climatology(Forecaster):
    """Climatology by station × month × hour of the valid time, from the training targets.

    Parameters
    ----------
    target : str
        Pollutant name; the truth ``y`` given to :meth:`fit` [µg m⁻³; CO mg m⁻³].
    statistic : {"mean", "median"}
        Point forecast of a group.
    min_count : int
        Least training values in a group; a row whose group has fewer takes the next
        coarser level of :data:`CLIMATOLOGY_LEVELS` (station × month, station × hour,
        month × hour, station, hour, all; the last level answers with any count).
    timezone : str
        IANA zone in which month and hour of ``valid_at`` are taken.
    random_state : int
        Unused (deterministic); kept for the uniform contract.

    Attributes
    ----------
    tables_ : list of pandas.DataFrame
        Per level: the group keys, ``n``, ``value``, ``q10``, ``q90``.
    feature_names_in_ : numpy.ndarray
        ``station`` and ``valid_at``.

    Notes
    -----
    Each (station, valid time) counts once, although the matrix repeats it at every
    lead that reaches it. The q10/q90 are the empirical quantiles of the group.
    """

    def __init__(
        self,
        target: str = "pm25",
        *,
        statistic: Statistic = "mean",
        min_count: int = 10,
        timezone: str = "Asia/Shanghai",
        random_state: int = 0,
    ) -> None:
        self.target = target
        self.statistic = statistic
        self.min_count = min_count
        self.timezone = timezone
        self.random_state = random_state

    def _groups(self, X: pd.DataFrame) -> pd.DataFrame:
        require_columns(X, ["station", "valid_at"], type(self).__name__)
        month, hour = local_month_hour(X["valid_at"], self.timezone)
        return pd.DataFrame(
            {"station": X["station"].astype(str).to_numpy(), "month": month, "hour": hour}
        )

    def fit(self, X: pd.DataFrame, y: pd.Series, *, sample_weight: pd.Series | None = None) -> Self:
        """Compute the group statistics at every level.

        Parameters
        ----------
        X : pandas.DataFrame
            Rows with ``station`` and ``valid_at`` (tz-aware).
        y : pandas.Series
            Observed target [unit of the target], aligned to ``X``.
        sample_weight : pandas.Series, optional
            Accepted for the contract; the group statistics are unweighted.

        Returns
        -------
        Self
            With ``tables_``.
        """
        if self.statistic not in ("mean", "median"):
            raise InputDataError(
                f"Climatology statistic={self.statistic!r}; choose one of: mean, median"
            )
        target, _ = check_xy(X, y, sample_weight, "Climatology")
        frame = self._groups(X).assign(valid_at=X["valid_at"].to_numpy(), y=target)
        frame = frame[np.isfinite(target)].drop_duplicates(["station", "valid_at"])
        low, high = QUANTILES
        tables = []
        for level in CLIMATOLOGY_LEVELS:
            grouped = frame.groupby(list(level), sort=True)["y"] if level else frame["y"]
            table = pd.DataFrame(
                {
                    "n": grouped.count(),
                    "value": grouped.agg(self.statistic),
                    "q10": grouped.quantile(low),
                    "q90": grouped.quantile(high),
                },
                index=None if level else [0],
            )
            tables.append(table.reset_index() if level else table)
        self.tables_ = tables
        self.feature_names_in_ = np.array(["station", "valid_at"], dtype=object)
        self.n_features_in_ = 2
        return self

    def predict(self, X: pd.DataFrame) -> pd.DataFrame:
        """Forecast each row from the finest group with enough training values.

        Parameters
        ----------
        X : pandas.DataFrame
            Rows with ``station`` and ``valid_at``.

        Returns
        -------
        pandas.DataFrame
            ``value``, ``q10``, ``q90`` [unit of the target].
        """
        self._check_fitted()
        groups = self._groups(X)
        out = np.full((len(X), 3), np.nan)
        todo = np.ones(len(X), dtype=bool)
        for level, table in zip(CLIMATOLOGY_LEVELS, self.tables_, strict=True):
            least = self.min_count if level else 1  # all values: always an answer
            usable = table[table["n"] >= least]
            if usable.empty or not todo.any():
                continue
            if level:
                found = groups.merge(usable, on=list(level), how="left", sort=False)
                values = found[["value", "q10", "q90"]].to_numpy(np.float64)
            else:
                values = np.tile(usable[["value", "q10", "q90"]].to_numpy(np.float64), (len(X), 1))
            take = todo & np.isfinite(values[:, 0])
            out[take] = values[take]
            todo &= ~take
        return prediction_frame(X.index, out[:, 0], out[:, 1], out[:, 2])


class DampedPersistence(Forecaster):
    """Persistence relaxed toward climatology, with a damping factor per lead.

    In the transformed space ``z = T(c)``, with ``z_last = T(hist_{target}_last)`` and
    ``m = T(climatology)`` (:class:`Climatology` of the training targets)::

        ẑ_h = m + a_h (z_last - m),   a_h = clip(Σ (z - m)(z_last - m) / Σ (z_last - m)², 0, 1)

    the least-squares factor of the training rows at lead ``h`` (leads beyond those
    seen take the last one). Where the last value is missing the forecast is the
    climatology. q10/q90 are residual quantiles per lead bucket, as for
    :class:`Persistence`.

    Parameters
    ----------
    target : str
        Pollutant name [µg m⁻³; CO mg m⁻³].
    transform : {"log1p", "none"}
        Space of the damping and the residuals.
    lead_buckets : tuple of int
        Upper edges of the lead buckets of the residual quantiles [h].
    min_count : int
        Least residuals in a bucket; fewer take the pooled quantiles.
    climatology_min_count : int
        ``min_count`` of the climatology ``m``. The default 200 skips the
        station × month × hour groups (about 30 values a month, whose sampling noise
        would pass into every long-lead forecast) for station × month or coarser.
    timezone : str
        IANA zone of the climatology's month and hour.
    random_state : int
        Unused (deterministic); kept for the uniform contract.

    Attributes
    ----------
    climatology_ : Climatology
        The fitted climatology ``m``.
    damping_ : numpy.ndarray
        ``a_h`` for leads 1, 2, … (index ``h - 1``).
    residual_quantiles_ : numpy.ndarray
        Lead bucket × (q10, q90) residual offsets in the transformed space.
    """

    def __init__(
        self,
        target: str = "pm25",
        *,
        transform: TargetTransform = "log1p",
        lead_buckets: tuple[int, ...] = DEFAULT_LEAD_BUCKETS,
        min_count: int = 30,
        climatology_min_count: int = 200,
        timezone: str = "Asia/Shanghai",
        random_state: int = 0,
    ) -> None:
        self.target = target
        self.transform = transform
        self.lead_buckets = lead_buckets
        self.min_count = min_count
        self.climatology_min_count = climatology_min_count
        self.timezone = timezone
        self.random_state = random_state

    def fit(self, X: pd.DataFrame, y: pd.Series, *, sample_weight: pd.Series | None = None) -> Self:
        """Fit the climatology, the damping per lead and the residual quantiles.

        Parameters
        ----------
        X : pandas.DataFrame
            Rows with ``station``, ``valid_at``, ``lead_h`` and ``hist_{target}_last``.
        y : pandas.Series
            Observed target [unit of the target], aligned to ``X``.
        sample_weight : pandas.Series, optional
            Accepted for the contract; the fits are unweighted.

        Returns
        -------
        Self
            With ``climatology_``, ``damping_`` and ``residual_quantiles_``.
        """
        target, _ = check_xy(X, y, sample_weight, "DampedPersistence")
        check_lead_buckets(self.lead_buckets)
        last_column = f"hist_{self.target}_last"
        require_columns(X, [last_column, "lead_h", "station", "valid_at"], "DampedPersistence")
        self.climatology_ = Climatology(
            self.target, min_count=self.climatology_min_count, timezone=self.timezone
        ).fit(X, y)
        mean = forward_transform(self.climatology_.predict(X)["value"], self.transform)
        last = forward_transform(X[last_column].to_numpy(np.float64), self.transform)
        z = forward_transform(target, self.transform)
        lead = X["lead_h"].to_numpy(np.int64)
        ok = np.isfinite(z) & np.isfinite(last) & np.isfinite(mean) & (lead >= 1)
        n = int(lead.max())
        dx, dz = last[ok] - mean[ok], z[ok] - mean[ok]
        cross = np.bincount(lead[ok] - 1, weights=dx * dz, minlength=n)
        square = np.bincount(lead[ok] - 1, weights=dx * dx, minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            damping = np.clip(cross / square, 0.0, 1.0)
        self.damping_ = pd.Series(damping).ffill().fillna(0.0).to_numpy(np.float64)
        self.feature_names_in_ = np.array(
            ["station", "valid_at", "lead_h", last_column], dtype=object
        )
        self.n_features_in_ = 4
        anchor = self._anchor(X, mean)
        buckets = lead_bucket(lead, self.lead_buckets)
        self.residual_quantiles_ = residual_quantiles(
            z - anchor, buckets, len(self.lead_buckets), min_count=self.min_count
        )
        return self

    def _anchor(self, X: pd.DataFrame, mean: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        last = forward_transform(X[f"hist_{self.target}_last"].to_numpy(np.float64), self.transform)
        lead = np.clip(X["lead_h"].to_numpy(np.int64), 1, len(self.damping_))
        a = self.damping_[lead - 1]
        return np.where(np.isfinite(last), mean + a * (last - mean), mean)

    def transformed_forecast(self, X: pd.DataFrame) -> npt.NDArray[np.float64]:
        """Return the point forecast in the transformed space, ``ẑ``.

        NaN only where the climatology is undefined.

        Parameters
        ----------
        X : pandas.DataFrame
            Rows as for :meth:`predict`.

        Returns
        -------
        numpy.ndarray
            ``m + a_h (z_last - m)`` [transformed unit].
        """
        self._check_fitted()
        require_columns(X, list(self.feature_names_in_), "DampedPersistence")
        mean = forward_transform(self.climatology_.predict(X)["value"], self.transform)
        return self._anchor(X, mean)

    def predict(self, X: pd.DataFrame) -> pd.DataFrame:
        """Forecast: damped persistence with residual quantiles of its lead bucket.

        Parameters
        ----------
        X : pandas.DataFrame
            Rows with ``station``, ``valid_at``, ``lead_h`` and ``hist_{target}_last``.

        Returns
        -------
        pandas.DataFrame
            ``value``, ``q10``, ``q90`` [unit of the target].
        """
        anchor = self.transformed_forecast(X)
        offsets = self.residual_quantiles_[lead_bucket(X["lead_h"].to_numpy(), self.lead_buckets)]
        return prediction_frame(
            X.index,
            inverse_transform(anchor, self.transform),
            inverse_transform(anchor + offsets[:, 0], self.transform),
            inverse_transform(anchor + offsets[:, 1], self.transform),
        )
