"""Value-wise QC checks: negative, out of range, ceiling, censored, PM2.5 > PM10.

Each check is a pure, vectorised function over a numpy array of values (one
variable, canonical units) and returns an ``int64`` array of :class:`QcFlag`
bits, 0 where the check finds nothing. NaN is never flagged. The functions work
on a column of a wide frame as well as on the rows of one variable in a tidy
frame.

Examples
--------
>>> import numpy as np
>>> from forecasting.qc.rules import default_qc_rules
>>> pm25 = default_qc_rules().variable("pm25")
>>> flag_values(np.array([12.0, -1.0, 999.0, 2500.0, np.nan]), pm25).tolist()
[0, 1, 4, 2, 0]

References
----------
.. [1] shared/data/README.md (2026-11-23), "Ceiling and suspect values",
   "PM2.5 > PM10" and "Censored values (4-hourly)".
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from forecasting.qc.flags import QcFlag
from forecasting.qc.rules import VariableRule

__all__ = [
    "flag_censored",
    "flag_ceiling",
    "flag_negative",
    "flag_out_of_range",
    "flag_pm25_gt_pm10",
    "flag_values",
]

FloatArray = npt.NDArray[np.float64]
FlagArray = npt.NDArray[np.int64]
_RTOL = 1e-9  # relative tolerance of "equal to" a ceiling or detection limit


def _bits(mask: npt.NDArray[np.bool_], flag: QcFlag) -> FlagArray:
    return np.where(mask, np.int64(flag), np.int64(0))


def flag_negative(values: FloatArray, rule: VariableRule) -> FlagArray:
    """Flag values below zero of a variable that cannot be negative.

    Parameters
    ----------
    values : ndarray of float
        Values in the rule's unit [unit].
    rule : VariableRule
        The variable's rule; nothing is flagged unless ``rule.nonnegative``.

    Returns
    -------
    ndarray of int64
        ``QcFlag.NEGATIVE`` where ``value < 0``, else 0.
    """
    if not rule.nonnegative:
        return np.zeros(values.shape, dtype=np.int64)
    return _bits(values < 0, QcFlag.NEGATIVE)


def flag_out_of_range(values: FloatArray, rule: VariableRule) -> FlagArray:
    """Flag values outside the variable's plausible range.

    A negative value of a non-negative variable is NEGATIVE, not OUT_OF_RANGE,
    so each problem carries one flag.

    Parameters
    ----------
    values : ndarray of float
        Values in the rule's unit [unit].
    rule : VariableRule
        Supplies ``lower`` and ``upper`` [unit].

    Returns
    -------
    ndarray of int64
        ``QcFlag.OUT_OF_RANGE`` where ``value < lower`` or ``value > upper``.
    """
    below = values < rule.lower
    if rule.nonnegative:
        below &= values >= 0
    return _bits(below | (values > rule.upper), QcFlag.OUT_OF_RANGE)


def flag_ceiling(values: FloatArray, rule: VariableRule) -> FlagArray:
    """Flag values equal to an instrument or display ceiling.

    Parameters
    ----------
    values : ndarray of float
        Values in the rule's unit [unit].
    rule : VariableRule
        Supplies ``ceilings`` [unit]; equality allows a relative error of 1e-9
        (unit conversion, e.g. 10,000 µg m⁻³ CO → 10 mg m⁻³).

    Returns
    -------
    ndarray of int64
        ``QcFlag.CEILING`` at the ceilings, else 0.

    References
    ----------
    .. [1] shared/data/README.md: pm25/pm10 999, co 10,000 µg m⁻³, so2 500.
    """
    hit = np.zeros(values.shape, dtype=bool)
    for ceiling in rule.ceilings:
        hit |= np.isclose(values, ceiling, rtol=_RTOL, atol=0.0)
    return _bits(hit, QcFlag.CEILING)


def flag_censored(values: FloatArray, rule: VariableRule) -> FlagArray:
    """Flag values at or below the method detection limit.

    Parameters
    ----------
    values : ndarray of float
        Values in the rule's unit [mg L⁻¹ for the water nutrients].
    rule : VariableRule
        Supplies ``detection_limit``; nothing is flagged without one.

    Returns
    -------
    ndarray of int64
        ``QcFlag.CENSORED`` where ``value <= detection_limit``.

    Notes
    -----
    The CNEMC 4-hourly release shows the limit itself (NH3-N 0.025 mg L⁻¹);
    the daily release shows the analyser's raw reading, which can fall below
    it (0.0001, 0). Both are below what the method can quantify, so both are
    censored. Negative values are NEGATIVE only.

    References
    ----------
    .. [1] shared/data/README.md, "Censored values (4-hourly)".
    """
    if rule.detection_limit is None:
        return np.zeros(values.shape, dtype=np.int64)
    limit = rule.detection_limit * (1.0 + _RTOL)
    return _bits((values >= 0) & (values <= limit), QcFlag.CENSORED)


def flag_values(values: FloatArray, rule: VariableRule) -> FlagArray:
    """Run every value-wise check of one variable and combine the flags.

    Parameters
    ----------
    values : ndarray of float
        Values in the rule's unit [unit].
    rule : VariableRule
        The variable's rule.

    Returns
    -------
    ndarray of int64
        NEGATIVE | OUT_OF_RANGE | CEILING | CENSORED bits per value.
    """
    values = np.asarray(values, dtype=np.float64)
    return (
        flag_negative(values, rule)
        | flag_out_of_range(values, rule)
        | flag_ceiling(values, rule)
        | flag_censored(values, rule)
    )


def flag_pm25_gt_pm10(
    pm25: FloatArray, pm10: FloatArray, tolerance: float = 0.0
) -> npt.NDArray[np.bool_]:
    """Find station-hours where PM2.5 exceeds PM10.

    PM2.5 is a fraction of PM10, so ``pm25 > pm10`` is an inconsistency
    between the two instruments; either may be wrong, and both values get
    ``QcFlag.PM25_GT_PM10``.

    Parameters
    ----------
    pm25, pm10 : ndarray of float
        Aligned values for the same station and time [µg m⁻³].
    tolerance : float, optional
        Allowed excess [µg m⁻³]. Default 0.

    Returns
    -------
    ndarray of bool
        True where both are present and ``pm25 > pm10 + tolerance``.

    References
    ----------
    .. [1] shared/data/README.md: "PM2.5 > PM10 in 21,156 rows (6.7 %)".
    """
    return np.asarray(pm25 > pm10 + tolerance, dtype=bool)
