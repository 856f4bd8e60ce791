"""Continuous verification scores: MAE, RMSE, NMB, NME and Pearson's r.

Each score has a pure function over two arrays (forecast, observed) that returns a
:class:`~models.verify_common.Score` (value and ``n``), and a ``*_grouped`` twin that
scores many groups at once (:class:`~models.verify_common.Groups`); the pure function is
the grouped one with a single group. A pair with a missing forecast or observation is
dropped and not counted in ``n``.

Names follow scikit-learn: ``*_error`` is better when lower. ``normalized_mean_bias``
and ``pearson_r`` carry no suffix: NMB is signed (0 is best) and r is a correlation
(1 is best); :mod:`models.verify_skill` records each metric's orientation.

References
----------
.. [1] HJ 1130—2020 环境空气质量数值预报技术规范, concentration metrics NMB, NME, RMSE, r
   (secondary: shared/docs/standards.md §7.1, sources S8 and S15).
.. [2] Jolliffe, I. T. and Stephenson, D. B. (eds.), Forecast Verification: A
   Practitioner's Guide in Atmospheric Science, 2nd ed., Wiley, 2012, ch. 5.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

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
    "mean_absolute_error",
    "mean_absolute_error_grouped",
    "normalized_mean_bias",
    "normalized_mean_bias_grouped",
    "normalized_mean_error",
    "normalized_mean_error_grouped",
    "pearson_r",
    "pearson_r_grouped",
    "root_mean_squared_error",
    "root_mean_squared_error_grouped",
]

_ZERO_VARIANCE = 1e-20  # a variance below this share of the mean square counts as zero


def _pairs(forecast: Any, observed: Any) -> tuple[FloatArray, FloatArray, Groups]:
    f = as_float_array(forecast, "forecast")
    o = as_float_array(observed, "observed")
    return f, o, Groups.single(same_length(forecast=f, observed=o))


def _valid(*arrays: FloatArray) -> npt.NDArray[np.bool_]:
    ok = np.ones(len(arrays[0]), dtype=bool)
    for a in arrays:
        ok &= ~np.isnan(a)
    return ok


def mean_absolute_error_grouped(
    forecast: FloatArray, observed: FloatArray, groups: Groups
) -> GroupedScore:
    """Mean absolute error per group (see :func:`mean_absolute_error`)."""
    ok = _valid(forecast, observed)
    n = groups.count(ok)
    return GroupedScore(ratio(groups.sum(np.abs(forecast - observed), ok), n), n)


def root_mean_squared_error_grouped(
    forecast: FloatArray, observed: FloatArray, groups: Groups
) -> GroupedScore:
    """Root mean squared error per group (see :func:`root_mean_squared_error`)."""
    ok = _valid(forecast, observed)
    n = groups.count(ok)
    return GroupedScore(np.sqrt(ratio(groups.sum((forecast - observed) ** 2, ok), n)), n)


def normalized_mean_bias_grouped(
    forecast: FloatArray, observed: FloatArray, groups: Groups
) -> GroupedScore:
    """Normalised mean bias per group (see :func:`normalized_mean_bias`)."""
    ok = _valid(forecast, observed)
    n = groups.count(ok)
    return GroupedScore(ratio(groups.sum(forecast - observed, ok), groups.sum(observed, ok)), n)


def normalized_mean_error_grouped(
    forecast: FloatArray, observed: FloatArray, groups: Groups
) -> GroupedScore:
    """Normalised mean error per group (see :func:`normalized_mean_error`)."""
    ok = _valid(forecast, observed)
    n = groups.count(ok)
    total = groups.sum(observed, ok)
    return GroupedScore(ratio(groups.sum(np.abs(forecast - observed), ok), total), n)


def pearson_r_grouped(forecast: FloatArray, observed: FloatArray, groups: Groups) -> GroupedScore:
    """Pearson correlation per group (see :func:`pearson_r`); two-pass, centred sums."""
    ok = _valid(forecast, observed)
    n = groups.count(ok)
    df = forecast - groups.spread(ratio(groups.sum(forecast, ok), n))
    do = observed - groups.spread(ratio(groups.sum(observed, ok), n))
    cov = groups.sum(df * do, ok)
    var_f, var_o = groups.sum(df * df, ok), groups.sum(do * do, ok)
    scale_f, scale_o = groups.sum(forecast**2, ok), groups.sum(observed**2, ok)
    flat = (var_f <= _ZERO_VARIANCE * scale_f) | (var_o <= _ZERO_VARIANCE * scale_o) | (n < 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(flat, np.nan, cov / np.sqrt(np.where(flat, 1.0, var_f * var_o)))
    return GroupedScore(np.clip(r, -1.0, 1.0), n)


def mean_absolute_error(forecast: Any, observed: Any) -> Score:
    """Mean absolute error, ``MAE = Σ|F − O| / n``.

    Parameters
    ----------
    forecast, observed : array_like or pandas.Series
        Forecast and observed values, same length [units of the variable, e.g. µg m⁻³;
        CO mg m⁻³]. NaN/NA = missing.

    Returns
    -------
    Score
        ``value`` [units of the variable], NaN without pairs; ``n`` pairs scored.

    Raises
    ------
    InputDataError
        If the arrays differ in length or hold non-numeric or infinite values.

    References
    ----------
    .. [1] Jolliffe and Stephenson (2012), §5.4.1.

    Examples
    --------
    >>> mean_absolute_error([10.0, 20.0, float("nan")], [12.0, 16.0, 5.0])
    Score(value=3.0, n=2)
    """
    f, o, g = _pairs(forecast, observed)
    return mean_absolute_error_grouped(f, o, g).first()


def root_mean_squared_error(forecast: Any, observed: Any) -> Score:
    """Root mean squared error, ``RMSE = √(Σ(F − O)² / n)``.

    Parameters
    ----------
    forecast, observed : array_like or pandas.Series
        Forecast and observed values [units of the variable]. NaN/NA = missing.

    Returns
    -------
    Score
        ``value`` [units of the variable]; ``n`` pairs scored.

    Raises
    ------
    InputDataError
        If the arrays differ in length or hold non-numeric or infinite values.

    References
    ----------
    .. [1] HJ 1130—2020, RMSE "√(mean of (F − O)²)" (secondary, standards.md §7.1).

    Examples
    --------
    >>> root_mean_squared_error([10.0, 20.0], [13.0, 16.0])
    Score(value=3.5355339059327378, n=2)
    """
    f, o, g = _pairs(forecast, observed)
    return root_mean_squared_error_grouped(f, o, g).first()


def normalized_mean_bias(forecast: Any, observed: Any) -> Score:
    """Normalised mean bias, ``NMB = Σ(F − O) / ΣO``.

    Parameters
    ----------
    forecast, observed : array_like or pandas.Series
        Forecast and observed values [units of the variable]. NaN/NA = missing.

    Returns
    -------
    Score
        ``value`` [dimensionless; 0 is best, > 0 over-forecast], NaN when ΣO = 0 or
        there are no pairs; ``n`` pairs scored.

    Raises
    ------
    InputDataError
        If the arrays differ in length or hold non-numeric or infinite values.

    References
    ----------
    .. [1] HJ 1130—2020, "NMB = Σ(F − O)/ΣO" (secondary, standards.md §7.1).

    Examples
    --------
    >>> normalized_mean_bias([12.0, 18.0], [10.0, 10.0])
    Score(value=0.5, n=2)
    """
    f, o, g = _pairs(forecast, observed)
    return normalized_mean_bias_grouped(f, o, g).first()


def normalized_mean_error(forecast: Any, observed: Any) -> Score:
    """Normalised mean error, ``NME = Σ|F − O| / ΣO``.

    Parameters
    ----------
    forecast, observed : array_like or pandas.Series
        Forecast and observed values [units of the variable]. NaN/NA = missing.

    Returns
    -------
    Score
        ``value`` [dimensionless], NaN when ΣO = 0 or there are no pairs; ``n`` pairs.

    Raises
    ------
    InputDataError
        If the arrays differ in length or hold non-numeric or infinite values.

    References
    ----------
    .. [1] HJ 1130—2020, "NME = Σ|F − O|/ΣO" (secondary, standards.md §7.1).

    Examples
    --------
    >>> normalized_mean_error([12.0, 8.0], [10.0, 10.0])
    Score(value=0.2, n=2)
    """
    f, o, g = _pairs(forecast, observed)
    return normalized_mean_error_grouped(f, o, g).first()


def pearson_r(forecast: Any, observed: Any) -> Score:
    """Pearson correlation coefficient of forecast and observed values.

    Parameters
    ----------
    forecast, observed : array_like or pandas.Series
        Forecast and observed values [units of the variable]. NaN/NA = missing.

    Returns
    -------
    Score
        ``value`` in [−1, 1] [dimensionless], NaN with fewer than 2 pairs or when either
        side is constant (variance below 1e-20 of its mean square); ``n`` pairs scored.

    Raises
    ------
    InputDataError
        If the arrays differ in length or hold non-numeric or infinite values.

    Notes
    -----
    ``r = Σ(F − F̄)(O − Ō) / √(Σ(F − F̄)² Σ(O − Ō)²)`` over the pairs with both values,
    computed with centred sums (two passes) for numerical stability.

    References
    ----------
    .. [1] HJ 1130—2020, "r: Pearson correlation of F and O" (secondary, standards.md §7.1).

    Examples
    --------
    >>> pearson_r([1.0, 2.0, 3.0], [2.0, 4.0, 7.0]).value  # doctest: +ELLIPSIS
    0.993...
    """
    f, o, g = _pairs(forecast, observed)
    return pearson_r_grouped(f, o, g).first()
