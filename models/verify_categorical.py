"""Categorical verification of daily AQI forecasts: levels, AQI range, primary pollutant.

The AQI scores Chinese air-quality forecasters are judged by (HJ 1130—2020, secondary):

* :func:`level_accuracy_score`: share of days whose forecast HJ 633 level equals the
  observed one; :func:`level_within_one_score`: within one level.
* :func:`aqi_range_accuracy_score`: share of days with ``0.75·F ≤ O ≤ 1.25·F``.
* :func:`primary_accuracy_score`: share of days, among those with observed level ≥ 2
  (AQI > 50), whose forecast primary pollutant matches the observed one.

Event scores (POD, FAR, CSI of "level ≥ K") are in :mod:`models.verify_events`.

Every function has a ``*_grouped`` twin scoring many groups at once; missing values
(NaN, NA, ``None``) drop the case, and results report ``n``. A share without cases (no
assessed days) is NaN: the score is undefined, not 0 or 1. Names follow scikit-learn:
``*_score`` is better when higher.

References
----------
.. [1] HJ 1130—2020 环境空气质量数值预报技术规范 (secondary: shared/docs/standards.md §7.1,
   §7.2); data file ``cn_mee_hj1130_2020``.
.. [2] HJ 633—2012 表2 / HJ 633—2026 表1 (AQI levels); §4.4 / §4.3.1 (primary pollutant
   when AQI > 50, ties listed together).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasting.errors import InputDataError
from forecasting.standards.aqi_hj633 import PRIMARY_POLLUTANT_ORDER, load_hj633
from models.verify_common import (
    FloatArray,
    GroupedScore,
    Groups,
    IntArray,
    Score,
    as_float_array,
    ratio,
    same_length,
)
from models.verify_standard import Hj1130Verification, load_hj1130

__all__ = [
    "aqi_range_accuracy_grouped",
    "aqi_range_accuracy_score",
    "as_aqi",
    "as_levels",
    "level_accuracy_grouped",
    "level_accuracy_score",
    "level_within_one_grouped",
    "level_within_one_score",
    "primary_accuracy_grouped",
    "primary_accuracy_score",
    "primary_codes",
]

_SNAP = 9  # decimals: (1 ± tol)·F is snapped so that 0.8·125 = 100.00000000000001 still counts


def as_levels(values: Any, name: str) -> FloatArray:
    """Return HJ 633 levels as floats (NaN = missing), checking each is a level 1 … 6.

    Raises
    ------
    InputDataError
        If a present value is not a whole number from 1 to the number of levels (6).
    """
    x = as_float_array(values, name)
    top = len(load_hj633().levels)
    bad = ~np.isnan(x) & ((x < 1) | (x > top) | (x != np.round(x)))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputDataError(
            f"{name}: {x[i]} at position {i} is not an AQI level; use 1 … {top} or missing (NA)"
        )
    return x


def as_aqi(values: Any, name: str) -> FloatArray:
    """Return AQI values as floats (NaN = missing), checking none is negative.

    Raises
    ------
    InputDataError
        If a value is negative or not numeric.
    """
    x = as_float_array(values, name)
    bad = x < 0
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputDataError(f"{name}: negative AQI {x[i]} at position {i}; an AQI is ≥ 0")
    return x


def primary_codes(values: Any, name: str = "primary") -> IntArray:
    """Encode primary-pollutant text as bit sets of :data:`PRIMARY_POLLUTANT_ORDER`.

    Parameters
    ----------
    values : array_like of str or pandas.Series
        Primary pollutants joined by ``"+"`` (``"pm25+pm10"``), ``""`` for none (AQI ≤ 50);
        ``None``/NA = missing.
    name : str, default "primary"
        Argument name for error messages.

    Returns
    -------
    ndarray of int64
        Bit ``j`` set when ``PRIMARY_POLLUTANT_ORDER[j]`` is named; 0 for ``""``; −1 when
        missing.

    Raises
    ------
    InputDataError
        If a name is not one of ``pm25, pm10, so2, no2, co, o3``.

    Examples
    --------
    >>> primary_codes(["pm25", "pm10+pm25", "", None]).tolist()
    [1, 3, 0, -1]
    """
    raw = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else values
    codes, uniques = pd.factorize(pd.Series(np.asarray(raw, dtype=object)), use_na_sentinel=True)
    bits = np.empty(len(uniques), dtype=np.int64)
    for k, text in enumerate(uniques):
        parts = [p.strip() for p in text.split("+")] if isinstance(text, str) else [None]
        unknown = [p for p in parts if p not in PRIMARY_POLLUTANT_ORDER and p != ""]
        if unknown or (len(parts) > 1 and "" in parts):
            where = int(np.flatnonzero(codes == k)[0])
            raise InputDataError(
                f"{name}: {text!r} at position {where} is not a primary pollutant; use names "
                f"from {', '.join(PRIMARY_POLLUTANT_ORDER)} joined by '+', or '' for none"
            )
        bits[k] = sum(1 << PRIMARY_POLLUTANT_ORDER.index(p) for p in parts if p)
    out = np.where(codes >= 0, bits[np.maximum(codes, 0)] if len(bits) else 0, -1)
    return np.asarray(out, dtype=np.int64)


def _hit_rate(hit: npt.NDArray[np.bool_], ok: npt.NDArray[np.bool_], g: Groups) -> GroupedScore:
    """Share of the cases with ``ok`` that are hits, per group; ``n`` = cases with ``ok``."""
    n = g.count(ok)
    return GroupedScore(ratio(g.count(ok & hit).astype(np.float64), n), n)


def level_accuracy_grouped(f_level: FloatArray, o_level: FloatArray, g: Groups) -> GroupedScore:
    """Level accuracy per group (see :func:`level_accuracy_score`)."""
    ok = ~np.isnan(f_level) & ~np.isnan(o_level)
    return _hit_rate(f_level == o_level, ok, g)


def level_within_one_grouped(f_level: FloatArray, o_level: FloatArray, g: Groups) -> GroupedScore:
    """Within-one-level accuracy per group (see :func:`level_within_one_score`)."""
    ok = ~np.isnan(f_level) & ~np.isnan(o_level)
    with np.errstate(invalid="ignore"):
        return _hit_rate(np.abs(f_level - o_level) <= 1, ok, g)


def aqi_range_accuracy_grouped(
    f_aqi: FloatArray, o_aqi: FloatArray, g: Groups, tolerance: float
) -> GroupedScore:
    """AQI range accuracy per group (see :func:`aqi_range_accuracy_score`)."""
    ok = ~np.isnan(f_aqi) & ~np.isnan(o_aqi)
    lo, hi = np.round((1 - tolerance) * f_aqi, _SNAP), np.round((1 + tolerance) * f_aqi, _SNAP)
    with np.errstate(invalid="ignore"):
        return _hit_rate((lo <= o_aqi) & (o_aqi <= hi), ok, g)


def primary_accuracy_grouped(
    f_codes: IntArray, o_codes: IntArray, o_level: FloatArray, g: Groups, rules: Hj1130Verification
) -> GroupedScore:
    """Primary-pollutant accuracy per group (see :func:`primary_accuracy_score`)."""
    with np.errstate(invalid="ignore"):
        assessed = o_level > rules.primary_not_assessed_level
    empty = assessed & (o_codes == 0)
    if empty.any():
        i = int(np.flatnonzero(empty)[0])
        raise InputDataError(
            f"observed primary: empty at position {i} although the observed level is "
            f"{o_level[i]:.0f}; HJ 633 names a primary pollutant whenever AQI > 50"
        )
    ok = assessed & (f_codes >= 0) & (o_codes >= 0)
    hit = (f_codes & o_codes) != 0 if rules.primary_match == "any" else f_codes == o_codes
    return _hit_rate(hit, ok, g)


def _two(a: Any, b: Any, convert: Any, names: tuple[str, str]) -> tuple[Any, Any, Groups]:
    x, y = convert(a, names[0]), convert(b, names[1])
    return x, y, Groups.single(same_length(**{names[0]: x, names[1]: y}))


def level_accuracy_score(f_level: Any, o_level: Any) -> Score:
    """Share of days whose forecast AQI level equals the observed level.

    Parameters
    ----------
    f_level, o_level : array_like or pandas.Series
        Forecast and observed HJ 633 levels (1 … 6); NaN/NA = missing.

    Returns
    -------
    Score
        ``value`` in [0, 1] [dimensionless]; ``n`` days with both levels.

    Raises
    ------
    InputDataError
        If a value is not a level 1 … 6, or the lengths differ.

    Notes
    -----
    The "same level" variant of public code [S15]; HJ 1130's level accuracy as described
    by S8 counts a hit when the observed level lies in the levels spanned by the ±25 %
    range, which is not implemented here.

    References
    ----------
    .. [1] HJ 1130—2020, AQI level accuracy (secondary, standards.md §7.1).

    Examples
    --------
    >>> level_accuracy_score([1, 2, 3, 4], [1, 3, 3, None])
    Score(value=0.6666666666666666, n=3)
    """
    f, o, g = _two(f_level, o_level, as_levels, ("f_level", "o_level"))
    return level_accuracy_grouped(f, o, g).first()


def level_within_one_score(f_level: Any, o_level: Any) -> Score:
    """Share of days whose forecast AQI level is within one level of the observed one.

    Parameters
    ----------
    f_level, o_level : array_like or pandas.Series
        Forecast and observed HJ 633 levels (1 … 6); NaN/NA = missing.

    Returns
    -------
    Score
        ``value`` in [0, 1] [dimensionless]; ``n`` days with both levels.

    Raises
    ------
    InputDataError
        If a value is not a level 1 … 6, or the lengths differ.

    References
    ----------
    .. [1] CMA level score, full credit 0 and half credit 1 level apart (standards.md §7.2,
       UNVERIFIED); 跨级 practice (standards.md §7.2).

    Examples
    --------
    >>> level_within_one_score([1, 2, 5], [2, 4, 5])
    Score(value=0.6666666666666666, n=3)
    """
    f, o, g = _two(f_level, o_level, as_levels, ("f_level", "o_level"))
    return level_within_one_grouped(f, o, g).first()


def aqi_range_accuracy_score(
    f_aqi: Any,
    o_aqi: Any,
    tolerance: float | None = None,
    *,
    rules: Hj1130Verification | None = None,
) -> Score:
    """Share of days whose observed AQI lies within ±``tolerance`` of the forecast AQI.

    Parameters
    ----------
    f_aqi, o_aqi : array_like or pandas.Series
        Forecast and observed daily AQI [dimensionless]; NaN/NA = missing.
    tolerance : float, optional
        Relative half-width of the forecast range; default ``rules.aqi_range_tolerance``
        (0.25, HJ 1130).
    rules : Hj1130Verification, optional
        Evaluation rules; default :func:`~models.verify_standard.load_hj1130`.

    Returns
    -------
    Score
        ``value`` in [0, 1] [dimensionless]; ``n`` days with both AQIs.

    Raises
    ------
    InputDataError
        If an AQI is negative or not numeric, or the lengths differ.

    Notes
    -----
    A hit when ``(1 − tol)·F ≤ O ≤ (1 + tol)·F``, both edges included; the products are
    rounded to 9 decimals so that binary rounding cannot move an edge case.

    References
    ----------
    .. [1] HJ 1130—2020, AQI range accuracy: "correct when 0.75·F ≤ O ≤ 1.25·F" (public
       code S15; standards.md §7.1); ``cn_mee_hj1130_2020`` [aqi_range].

    Examples
    --------
    >>> aqi_range_accuracy_score([100, 100, 100], [75, 125, 126])
    Score(value=0.6666666666666666, n=3)
    """
    tol = (rules or load_hj1130()).aqi_range_tolerance if tolerance is None else tolerance
    if not 0.0 <= tol < 1.0:
        raise InputDataError(f"tolerance {tol} is outside [0, 1); HJ 1130 uses 0.25")
    f, o, g = _two(f_aqi, o_aqi, as_aqi, ("f_aqi", "o_aqi"))
    return aqi_range_accuracy_grouped(f, o, g, tol).first()


def primary_accuracy_score(
    f_primary: Any, o_primary: Any, o_level: Any, *, rules: Hj1130Verification | None = None
) -> Score:
    """Share of assessed days whose forecast primary pollutant matches the observed one.

    Parameters
    ----------
    f_primary, o_primary : array_like of str or pandas.Series
        Forecast and observed primary pollutants, ties joined by ``"+"`` (``"pm25+pm10"``),
        ``""`` for none; ``None``/NA = missing.
    o_level : array_like or pandas.Series
        Observed HJ 633 level (1 … 6); NaN/NA = missing.
    rules : Hj1130Verification, optional
        Evaluation rules; default :func:`~models.verify_standard.load_hj1130`.

    Returns
    -------
    Score
        ``value`` in [0, 1] [dimensionless]; ``n`` assessed days: observed level above
        ``rules.primary_not_assessed_level`` (1, i.e. AQI > 50) with both primaries known.

    Raises
    ------
    InputDataError
        If a pollutant name is unknown, a level is not 1 … 6, an observed day above
        level 1 has an empty primary, or the lengths differ.

    Notes
    -----
    With ``rules.primary_match == "any"`` (default, the CMA rule) a day is a hit when at
    least one forecast primary pollutant is among the observed ones: ``"pm25+pm10"`` vs
    ``"pm10"`` is a hit; a forecast ``""`` (AQI ≤ 50 forecast) on an assessed day is a
    miss. With ``"exact"`` the two sets must be equal. Without ties the rules agree with
    S8's "equals the observed one".

    References
    ----------
    .. [1] HJ 1130—2020: not assessed when the observed level is 1; correct when the
       forecast primary equals the observed one (S8); standards.md §7.1.
    .. [2] CMA scoring: "a hit if at least one forecast primary matches an observed one"
       (S15, UNVERIFIED; standards.md §7.2).

    Examples
    --------
    >>> primary_accuracy_score(["pm25+pm10", "o3", "pm25"], ["pm10", "pm25", ""], [3, 2, 1])
    Score(value=0.5, n=2)
    """
    r = rules or load_hj1130()
    f = primary_codes(f_primary, "f_primary")
    o = primary_codes(o_primary, "o_primary")
    lvl = as_levels(o_level, "o_level")
    g = Groups.single(same_length(f_primary=f, o_primary=o, o_level=lvl))
    return primary_accuracy_grouped(f, o, lvl, g, r).first()
