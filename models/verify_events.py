"""Event verification: 2 × 2 contingency table, POD, FAR and CSI (e.g. polluted days).

Yes/no events such as "AQI level ≥ 3" (轻度污染 and worse, AQI > 100) or "level ≥ 5"
(重度污染 and worse, AQI > 200: HJ 1130's heavy-pollution day) are scored with the 2 × 2
contingency table (:func:`contingency`): probability of detection
(:func:`probability_of_detection_score`), false-alarm ratio
(:func:`false_alarm_ratio_error`) and critical success index
(:func:`critical_success_index_score`). :func:`level_events` turns levels into events.

Missing flags drop the case. A ratio with a zero denominator (no observed events for
POD, no forecast events for FAR, the event neither forecast nor observed for CSI) is
NaN: undefined, not 0 or 1. ``n`` is the denominator.

Naming (scikit-learn): ``*_score`` is better when higher, ``*_error`` when lower. The
false-alarm ratio is lower-is-better, hence :func:`false_alarm_ratio_error`; its value
is the plain FAR = F/(H + F), not an error of it.

References
----------
.. [1] Jolliffe, I. T. and Stephenson, D. B. (eds.), Forecast Verification, 2nd ed.,
   Wiley, 2012, §3.2 (2 × 2 contingency table, POD, FAR, CSI).
.. [2] HJ 1130—2020, heavy-pollution days: observed AQI > 200 (secondary,
   shared/docs/standards.md §7.1); HJ 633—2012 表2 / HJ 633—2026 表1 (levels).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from forecasting.errors import InputDataError
from models.verify_categorical import as_levels
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

__all__ = [
    "Contingency",
    "contingency",
    "contingency_grouped",
    "critical_success_index_score",
    "event_scores_grouped",
    "false_alarm_ratio_error",
    "level_events",
    "probability_of_detection_score",
]


class Contingency(NamedTuple):
    """2 × 2 contingency table of a yes/no event.

    Attributes
    ----------
    hits : int
        Forecast yes, observed yes (H).
    misses : int
        Forecast no, observed yes (M).
    false_alarms : int
        Forecast yes, observed no (F).
    correct_negatives : int
        Forecast no, observed no.
    """

    hits: int
    misses: int
    false_alarms: int
    correct_negatives: int

    @property
    def n(self) -> int:
        """Number of cases in the table."""
        return self.hits + self.misses + self.false_alarms + self.correct_negatives


def _events(values: Any, name: str) -> FloatArray:
    x = as_float_array(values, name)
    bad = ~np.isnan(x) & (x != 0) & (x != 1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputDataError(
            f"{name}: {x[i]} at position {i} is not an event flag; use True/False (1/0) or NA"
        )
    return x


def level_events(level: Any, at_least: int, name: str = "level") -> FloatArray:
    """Event flags "level ≥ ``at_least``" (1.0/0.0), NaN where the level is missing.

    Parameters
    ----------
    level : array_like or pandas.Series
        HJ 633 AQI levels 1 … 6; NaN/NA = missing.
    at_least : int
        Lowest level of the event (3: 轻度污染 and worse, AQI > 100; 5: 重度污染 and worse,
        AQI > 200, HJ 1130's heavy-pollution day).
    name : str, default "level"
        Argument name for error messages.

    Returns
    -------
    ndarray of float
    """
    x = as_levels(level, name)
    return np.where(np.isnan(x), np.nan, (x >= at_least).astype(np.float64))


def contingency_grouped(
    f_event: FloatArray, o_event: FloatArray, g: Groups
) -> tuple[IntArray, ...]:
    """Hits, misses, false alarms and correct negatives per group (see :func:`contingency`)."""
    ok = ~np.isnan(f_event) & ~np.isnan(o_event)
    fy, oy = ok & (f_event == 1), ok & (o_event == 1)
    return g.count(fy & oy), g.count(~fy & oy & ok), g.count(fy & ~oy & ok), g.count(ok & ~fy & ~oy)


def event_scores_grouped(
    f_event: FloatArray, o_event: FloatArray, g: Groups
) -> dict[str, GroupedScore]:
    """POD, FAR and CSI per group, keyed by their function names."""
    h, m, f, _ = contingency_grouped(f_event, o_event, g)
    return {
        "probability_of_detection_score": GroupedScore(ratio(h.astype(float), h + m), h + m),
        "false_alarm_ratio_error": GroupedScore(ratio(f.astype(float), h + f), h + f),
        "critical_success_index_score": GroupedScore(ratio(h.astype(float), h + m + f), h + m + f),
    }


def _pair(f_event: Any, o_event: Any) -> tuple[FloatArray, FloatArray, Groups]:
    f, o = _events(f_event, "f_event"), _events(o_event, "o_event")
    return f, o, Groups.single(same_length(f_event=f, o_event=o))


def contingency(f_event: Any, o_event: Any) -> Contingency:
    """2 × 2 contingency table of forecast and observed yes/no events.

    Parameters
    ----------
    f_event, o_event : array_like or pandas.Series
        Event flags (bool or 1/0); NaN/NA = missing (the case is not counted).

    Returns
    -------
    Contingency
        ``(hits, misses, false_alarms, correct_negatives)``.

    Raises
    ------
    InputDataError
        If a flag is not 0/1/True/False, or the lengths differ.

    References
    ----------
    .. [1] Jolliffe and Stephenson (2012), §3.2, Table 3.1.

    Examples
    --------
    >>> contingency([True, True, False, False, None], [True, False, True, False, True])
    Contingency(hits=1, misses=1, false_alarms=1, correct_negatives=1)
    """
    f, o, g = _pair(f_event, o_event)
    h, m, fa, cn = (int(c[0]) for c in contingency_grouped(f, o, g))
    return Contingency(h, m, fa, cn)


def _event_score(f_event: Any, o_event: Any, name: str) -> Score:
    f, o, g = _pair(f_event, o_event)
    return event_scores_grouped(f, o, g)[name].first()


def probability_of_detection_score(f_event: Any, o_event: Any) -> Score:
    """Probability of detection (hit rate), ``POD = H / (H + M)``.

    Parameters
    ----------
    f_event, o_event : array_like or pandas.Series
        Event flags (bool or 1/0); NaN/NA = missing.

    Returns
    -------
    Score
        ``value`` in [0, 1] [dimensionless], NaN when no event was observed; ``n`` =
        H + M, the observed events.

    References
    ----------
    .. [1] Jolliffe and Stephenson (2012), §3.2.2.

    Examples
    --------
    >>> probability_of_detection_score([1, 1, 0, 0], [1, 0, 1, 1])
    Score(value=0.3333333333333333, n=3)
    """
    return _event_score(f_event, o_event, "probability_of_detection_score")


def false_alarm_ratio_error(f_event: Any, o_event: Any) -> Score:
    """False-alarm ratio, ``FAR = F / (H + F)`` (lower is better).

    Parameters
    ----------
    f_event, o_event : array_like or pandas.Series
        Event flags (bool or 1/0); NaN/NA = missing.

    Returns
    -------
    Score
        ``value`` in [0, 1] [dimensionless], NaN when no event was forecast; ``n`` =
        H + F, the forecast events.

    References
    ----------
    .. [1] Jolliffe and Stephenson (2012), §3.2.2.

    Examples
    --------
    >>> false_alarm_ratio_error([1, 1, 0, 0], [1, 0, 1, 1])
    Score(value=0.5, n=2)
    """
    return _event_score(f_event, o_event, "false_alarm_ratio_error")


def critical_success_index_score(f_event: Any, o_event: Any) -> Score:
    """Critical success index (threat score), ``CSI = H / (H + M + F)``.

    Parameters
    ----------
    f_event, o_event : array_like or pandas.Series
        Event flags (bool or 1/0); NaN/NA = missing.

    Returns
    -------
    Score
        ``value`` in [0, 1] [dimensionless], NaN when the event was neither forecast nor
        observed; ``n`` = H + M + F.

    References
    ----------
    .. [1] Jolliffe and Stephenson (2012), §3.2.2.

    Examples
    --------
    >>> critical_success_index_score([1, 1, 0, 0], [1, 0, 1, 1])
    Score(value=0.25, n=4)
    """
    return _event_score(f_event, o_event, "critical_success_index_score")
