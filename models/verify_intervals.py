"""Verification of quantile forecasts: pinball loss, interval coverage, reliability.

The backtest contract carries the 10 % and 90 % quantiles (``q10``, ``q90``) beside
each point forecast. :func:`pinball_loss` scores one quantile, :func:`interval_coverage`
the central 80 % interval ``[q10, q90]``, and :func:`reliability_table` gives the
observed frequency at or below each quantile by lead bucket, the data of a
reliability diagram. A perfectly calibrated ``q_τ`` has an observed frequency of τ.

Missing values drop the case and every result reports ``n`` (see
:mod:`models.verify_common`).

References
----------
.. [1] Koenker, R. and Bassett, G., Regression quantiles, Econometrica 46(1), 33–50,
   1978 (the check/pinball loss).
.. [2] Gneiting, T. and Raftery, A. E., Strictly proper scoring rules, prediction, and
   estimation, J. Am. Stat. Assoc. 102(477), 359–378, 2007, §6 (quantile scores).
.. [3] shared/docs/product.md, backtest contract (``q10``, ``q90``) and capability 6.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from forecasting.errors import InputDataError
from models.verify_common import (
    FloatArray,
    GroupedScore,
    Groups,
    Score,
    as_float_array,
    ratio,
    same_length,
)

__all__ = [
    "DAY_LEAD_BUCKETS",
    "interval_coverage",
    "interval_coverage_grouped",
    "pinball_loss",
    "pinball_loss_grouped",
    "reliability_table",
]

DAY_LEAD_BUCKETS: tuple[int, ...] = (1, 25, 49, 73)
"""Lead-bucket edges [h]: leads 1–24 (day 1), 25–48 (day 2), 49–72 (day 3)."""


def _check_tau(tau: float) -> float:
    if not 0.0 < tau < 1.0:
        raise InputDataError(f"quantile level tau={tau} is outside (0, 1); e.g. 0.1 for q10")
    return float(tau)


def pinball_loss_grouped(
    observed: FloatArray, quantile: FloatArray, tau: float, groups: Groups
) -> GroupedScore:
    """Mean pinball loss per group (see :func:`pinball_loss`)."""
    ok = ~np.isnan(observed) & ~np.isnan(quantile)
    u = observed - quantile
    loss = np.maximum(tau * u, (tau - 1.0) * u)
    n = groups.count(ok)
    return GroupedScore(ratio(groups.sum(loss, ok), n), n)


def interval_coverage_grouped(
    observed: FloatArray, lower: FloatArray, upper: FloatArray, groups: Groups
) -> GroupedScore:
    """Interval coverage per group (see :func:`interval_coverage`)."""
    ok = ~np.isnan(observed) & ~np.isnan(lower) & ~np.isnan(upper)
    with np.errstate(invalid="ignore"):
        inside = (lower <= observed) & (observed <= upper)
    n = groups.count(ok)
    return GroupedScore(ratio(groups.count(ok & inside).astype(np.float64), n), n)


def pinball_loss(observed: Any, quantile: Any, tau: float) -> Score:
    """Mean pinball (quantile) loss of a quantile forecast.

    Parameters
    ----------
    observed : array_like or pandas.Series
        Observed values [units of the variable]; NaN/NA = missing.
    quantile : array_like or pandas.Series
        Forecast quantile ``q_τ`` [units of the variable]; NaN/NA = missing.
    tau : float
        Quantile level in (0, 1), e.g. 0.1 for ``q10``.

    Returns
    -------
    Score
        ``value`` ≥ 0 [units of the variable], lower is better; ``n`` pairs scored.

    Raises
    ------
    InputDataError
        If ``tau`` is outside (0, 1), the lengths differ or values are not numeric.

    Notes
    -----
    ``L_τ(o, q) = τ·(o − q)`` when ``o ≥ q`` and ``(1 − τ)·(q − o)`` when ``o < q``,
    averaged over the pairs [1]_ [2]_. The name follows scikit-learn's
    ``mean_pinball_loss`` (a ``*_loss`` is better when lower).

    References
    ----------
    .. [1] Koenker and Bassett (1978).
    .. [2] Gneiting and Raftery (2007), §6, eq. (26).

    Examples
    --------
    >>> pinball_loss([10.0, 10.0], [5.0, 20.0], tau=0.1)
    Score(value=4.75, n=2)
    """
    t = _check_tau(tau)
    o = as_float_array(observed, "observed")
    q = as_float_array(quantile, "quantile")
    g = Groups.single(same_length(observed=o, quantile=q))
    return pinball_loss_grouped(o, q, t, g).first()


def interval_coverage(observed: Any, lower: Any, upper: Any) -> Score:
    """Share of observations inside the forecast interval ``[lower, upper]``.

    Parameters
    ----------
    observed : array_like or pandas.Series
        Observed values [units of the variable]; NaN/NA = missing.
    lower, upper : array_like or pandas.Series
        Interval bounds, e.g. ``q10`` and ``q90`` [units of the variable]; NaN/NA =
        missing.

    Returns
    -------
    Score
        ``value`` in [0, 1] [dimensionless]; the nominal value of ``[q10, q90]`` is 0.8;
        ``n`` cases with all three values.

    Raises
    ------
    InputDataError
        If the lengths differ or values are not numeric.

    Notes
    -----
    Both bounds are included. A crossed interval (``lower > upper``) contains nothing
    and counts as not covering: sort the quantiles before verifying if the model can
    cross them.

    References
    ----------
    .. [1] Gneiting and Raftery (2007), §6.2 (central prediction intervals).

    Examples
    --------
    >>> interval_coverage([5.0, 10.0, 30.0, None], [4.0, 10.0, 10.0, 1.0], [6.0, 20.0, 20.0, 2.0])
    Score(value=0.6666666666666666, n=3)
    """
    o = as_float_array(observed, "observed")
    lo = as_float_array(lower, "lower")
    hi = as_float_array(upper, "upper")
    g = Groups.single(same_length(observed=o, lower=lo, upper=hi))
    return interval_coverage_grouped(o, lo, hi, g).first()


_Buckets = tuple[Groups, list[str], list[int | None], list[int | None]]


def _buckets(lead_h: Any, n: int, edges: Sequence[int]) -> _Buckets:
    if lead_h is None:
        return Groups.single(n), ["all"], [None], [None]
    lead = as_float_array(lead_h, "lead_h")
    same_length(observed=np.empty(n), lead_h=lead)
    e = np.asarray(edges, dtype=np.float64)
    if len(e) < 2 or (np.diff(e) <= 0).any():
        raise InputDataError(f"lead_buckets {list(edges)} must be at least two increasing edges")
    code = np.searchsorted(e, lead, side="right") - 1
    outside = np.isnan(lead) | (code < 0) | (code >= len(e) - 1)
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        raise InputDataError(
            f"lead_h {lead[i]} at position {i} is outside the lead buckets "
            f"[{edges[0]}, {edges[-1]}); widen lead_buckets"
        )
    labels = [f"{int(a)}-{int(b) - 1}" for a, b in zip(e[:-1], e[1:], strict=True)]
    firsts: list[int | None] = [int(a) for a in e[:-1]]
    lasts: list[int | None] = [int(b) - 1 for b in e[1:]]
    return Groups(code.astype(np.intp), len(labels)), labels, firsts, lasts


def reliability_table(
    observed: Any,
    quantile_forecasts: Mapping[float, Any],
    *,
    lead_h: Any = None,
    lead_buckets: Sequence[int] = DAY_LEAD_BUCKETS,
) -> pd.DataFrame:
    """Observed frequency at or below each forecast quantile, by lead bucket.

    Parameters
    ----------
    observed : array_like or pandas.Series
        Observed values [units of the variable]; NaN/NA = missing.
    quantile_forecasts : mapping of float to array_like
        Quantile level τ → forecast quantile ``q_τ`` (same length as ``observed``) [units
        of the variable], e.g. ``{0.1: frame["q10"], 0.9: frame["q90"]}``.
    lead_h : array_like, optional
        Lead of each case [h]; default: one bucket ``"all"``.
    lead_buckets : sequence of int, default (1, 25, 49, 73)
        Bucket edges [h]; bucket ``k`` holds leads ``edges[k] ≤ lead < edges[k + 1]``.

    Returns
    -------
    pandas.DataFrame
        One row per bucket and τ: ``lead_bucket`` (``"1-24"`` …, or ``"all"``),
        ``first_lead_h`` and ``last_lead_h`` [h] (Int64; NA for ``"all"``), ``tau``,
        ``observed_frequency`` (share of cases with ``o ≤ q_τ``; NaN without cases) and
        ``n``. Plot ``observed_frequency`` against ``tau``: the diagonal is perfect
        calibration.

    Raises
    ------
    InputDataError
        If a τ is outside (0, 1), a lead lies outside the buckets, or lengths differ.

    References
    ----------
    .. [1] Gneiting, T., Balabdaoui, F. and Raftery, A. E., Probabilistic forecasts,
       calibration and sharpness, J. R. Stat. Soc. B 69(2), 243–268, 2007 (marginal
       calibration of quantiles).

    Examples
    --------
    >>> t = reliability_table([1.0, 2.0, 3.0, 4.0], {0.5: [2.5, 2.5, 2.5, 2.5]})
    >>> t[["lead_bucket", "tau", "observed_frequency", "n"]].values.tolist()
    [['all', 0.5, 0.5, 4]]
    """
    o = as_float_array(observed, "observed")
    groups, labels, firsts, lasts = _buckets(lead_h, len(o), lead_buckets)
    parts = []
    for tau in sorted(quantile_forecasts):
        t = _check_tau(tau)
        q = as_float_array(quantile_forecasts[tau], f"quantile_forecasts[{tau}]")
        same_length(observed=o, quantile=q)
        ok = ~np.isnan(o) & ~np.isnan(q)
        with np.errstate(invalid="ignore"):
            below = groups.count(ok & (o <= q)).astype(np.float64)
        n = groups.count(ok)
        parts.append(
            pd.DataFrame(
                {
                    "lead_bucket": labels,
                    "first_lead_h": pd.array(firsts, dtype="Int64"),
                    "last_lead_h": pd.array(lasts, dtype="Int64"),
                    "tau": t,
                    "observed_frequency": ratio(below, n),
                    "n": n,
                }
            )
        )
    if not parts:
        raise InputDataError("quantile_forecasts is empty; pass e.g. {0.1: q10, 0.9: q90}")
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["first_lead_h", "tau"], kind="stable", ignore_index=True)
