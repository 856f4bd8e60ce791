"""Heavy-pollution weather warning levels (重污染天气预警分级) from daily AQI forecasts.

:func:`assess_warnings` applies a warning scheme (see
:mod:`forecasting.standards.warning_schemes`, whose public names this module
re-exports) to a short sequence of forecast daily AQI values per entity and
returns one warning level per entity, with the episode that triggered it and the
scheme id that produced it.

Notes
-----
*Episodes.* The clauses of one condition must hold within one pollution episode:
a maximal run of consecutive calendar days that meet the condition's loosest
clause (for "日AQI>200 持续72小时 且 日AQI>300 持续24小时", a run of days above 200
that contains a day above 300). A missing day or a NaN AQI ends a run. Two
episodes are never merged, although the MEP 2017 slides ask to treat two episodes
too close together to clear as one; a forecaster decides that.

*Daily AQI.* The schemes speak of "日AQI", which may be a rolling 24-h mean that
crosses calendar days ("AQI日均值按连续24小时（可以跨自然日）的均值计算", MEP
2017 slides). This module takes whatever daily value the caller supplies, one
per entity and day.

*Forecast window and history.* Each entity's window starts at its first date.
To count an episode that is already under way, prepend observed days and pass
``observed_days``: the first ``observed_days`` calendar days of each entity are
history. They extend an episode, but an episode made only of history triggers
nothing (a warning is issued on a forecast).

*Health advisory.* Under a scheme with ``[scheme.health_advisory]`` (2024), an
episode whose every day is driven only by listed primary pollutants (the
``primary`` column, ecocast names joined by ``"+"``; ``"o3_8h"`` counts as
``"o3"``) or has a listed ``cause`` gets response ``"health_advisory"`` instead
of ``"emergency"``. A day with PM2.5 among its primary pollutants keeps the
emergency response. The level number is not changed. One row per entity means
that an O3 episode at a higher level hides a PM2.5 episode at a lower one.

*Lifting.* The lifting rule is carried as
:class:`~forecasting.standards.warning_schemes.LiftingRule`; it is not applied
here, because lifting depends on the warning in force.

References
----------
.. [1] 生态环境部, 环大气〔2024〕6号《关于进一步优化重污染天气应对机制的指导意见》,
   2024-01-23, 预警分级 and 分类应对 (secondary copies; ``cn_mee_warning_2024``).
.. [2] 环境保护部, MEP slides of 2017-09-20, 预警分级 and the rolling 24-h daily AQI
   (https://m.wenke99.com/p-9609601.html; ``cn_mep_warning_2017``).

Examples
--------
>>> import pandas as pd
>>> daily = pd.DataFrame({"entity": "city", "date": pd.date_range("2026-12-01", periods=3),
...                       "aqi": [180.0, 230.0, 310.0]})
>>> assess_warnings(daily)[["level_id", "start_date"]].iloc[0].tolist()
['orange', Timestamp('2026-12-01 00:00:00')]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasting.errors import InputDataError
from forecasting.standards.warning_schemes import (
    DEFAULT_WARNING_SCHEME,
    WARNING_CAUSES,
    Clause,
    Condition,
    HealthAdvisoryRule,
    LiftingRule,
    SchemeOption,
    WarningLevel,
    WarningScheme,
    available_warning_schemes,
    load_warning_scheme,
)

__all__ = [
    "DEFAULT_WARNING_SCHEME",
    "WARNING_CAUSES",
    "Clause",
    "Condition",
    "HealthAdvisoryRule",
    "LiftingRule",
    "SchemeOption",
    "WarningLevel",
    "WarningScheme",
    "assess_warnings",
    "available_warning_schemes",
    "load_warning_scheme",
]

_OUTPUT_COLUMNS = [
    "entity", "level", "level_id", "name_zh", "name_en", "colour", "response",
    "scheme", "start_date", "end_date", "reason",
]  # fmt: skip


def assess_warnings(
    daily: pd.DataFrame,
    scheme: WarningScheme | None = None,
    *,
    observed_days: int = 0,
) -> pd.DataFrame:
    """Assess the heavy-pollution warning level of each entity from its daily AQI.

    Parameters
    ----------
    daily : DataFrame
        One row per entity and calendar day: ``entity`` (station or city),
        ``date`` (date or timestamp; its calendar day is used) and ``aqi`` (the
        forecast daily AQI [dimensionless]; NaN ends an episode). Optional:
        ``primary`` (primary pollutants, ecocast names joined by ``"+"``, e.g.
        ``"o3"`` or ``"pm25+pm10"``) and ``cause`` (one of :data:`WARNING_CAUSES`
        or empty).
    scheme : WarningScheme, optional
        The scheme to apply; default :data:`DEFAULT_WARNING_SCHEME` (环大气〔2024〕
        6号). Use :func:`load_warning_scheme` for another or a local one.
    observed_days : int, default 0
        Number of leading calendar days of each entity that are observed history
        prepended by the caller [d]. They extend an episode into the forecast,
        but an episode made only of history triggers nothing.

    Returns
    -------
    DataFrame
        One row per entity (in order of first appearance) with ``entity``,
        ``level`` (0 = none, 1.. in increasing severity), ``level_id``,
        ``name_zh``, ``name_en``, ``colour``, ``response`` (``"none"``,
        ``"emergency"`` or ``"health_advisory"``), ``scheme`` (the scheme id),
        ``start_date`` and ``end_date`` (the episode that triggered; NaT if none)
        and ``reason`` (the condition that holds, in words).

    Raises
    ------
    InputDataError
        Missing columns, unparsable dates, non-numeric or negative AQI, a
        duplicated entity and day, or an unknown cause; the message names the
        row, the value and the valid options.

    Notes
    -----
    The highest level whose condition holds wins ("且未达到高级别预警条件"). The
    clauses of a condition must hold in one episode: a maximal run of
    consecutive days that meet its loosest clause; the earliest such episode is
    reported. Under a scheme with a health-advisory rule, the response is
    ``"health_advisory"`` when every day of that episode is driven only by a
    listed primary pollutant or has a listed cause (see the module notes). Runs
    are found with vectorised run-length arithmetic over all entities at once.

    References
    ----------
    .. [1] 生态环境部, 环大气〔2024〕6号, 预警分级 and 分类应对 (O3, dust,
       wildfire, blowing sand, cross-border transport: health advisory).
    .. [2] The scheme's own ``[source]`` (``scheme.source.short()``).
    """
    if scheme is None:
        scheme = load_warning_scheme(DEFAULT_WARNING_SCHEME)
    if isinstance(observed_days, bool) or not isinstance(observed_days, int) or observed_days < 0:
        raise InputDataError(f"observed_days must be an integer >= 0, got {observed_days!r}")
    codes, entities, dates, days, aqi, advisory = _prepare(daily, scheme)
    n_ent = len(entities)
    seg_start = np.ones(len(days), dtype=bool)
    seg_start[1:] = (codes[1:] != codes[:-1]) | (days[1:] - days[:-1] != 1)
    first_day = np.zeros(n_ent, dtype=np.int64)
    first_row = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else codes
    first_day[codes[first_row]] = days[first_row]
    observed = days < first_day[codes] + observed_days
    cum_forecast = np.r_[0, np.cumsum(~observed)]
    cum_observed = np.r_[0, np.cumsum(observed)]
    cum_emergency = np.r_[0, np.cumsum(~advisory)]

    cache: dict[tuple[str, float], _Runs] = {}
    columns: list[tuple[npt.NDArray[np.int64], ...]] = []
    conditions: list[tuple[int, WarningLevel, int, Condition]] = []
    for k, lvl in enumerate(scheme.levels, start=1):
        for j, cond in enumerate(lvl.conditions, start=1):
            starts, ends = _holding_episodes(cond, aqi, seg_start, cache)
            keep = cum_forecast[ends + 1] > cum_forecast[starts]  # not history only
            starts, ends = starts[keep], ends[keep]
            tag = np.full(len(starts), len(conditions), dtype=np.int64)
            columns.append((codes[starts], np.full(len(starts), k, np.int64), starts, ends, tag))
            conditions.append((k, lvl, j, cond))
    # Per entity: the highest level, then the earliest episode, then the first condition.
    ent, lev, st, en, tag = (np.concatenate(col) for col in zip(*columns, strict=True))
    order = np.lexsort((tag, st, -lev, ent))
    first = order[np.r_[True, ent[order][1:] != ent[order][:-1]]] if len(ent) else order
    st, en = st[first], en[first]
    winners = _Winners(
        entity=ent[first],
        condition=tag[first],
        start=st,
        end=en,
        n_observed=cum_observed[en + 1] - cum_observed[st],
        advisory=((cum_emergency[en + 1] - cum_emergency[st]) == 0)
        & (scheme.health_advisory is not None),
    )
    return _result(scheme, entities, dates, days, codes, aqi, conditions, winners)


@dataclass(frozen=True)
class _Winners:
    """The winning episode of each entity that has a warning (parallel arrays)."""

    entity: npt.NDArray[np.int64]  # entity code
    condition: npt.NDArray[np.int64]  # index into the flattened (level, condition) list
    start: npt.NDArray[np.int64]  # first row of the episode (sorted order)
    end: npt.NDArray[np.int64]  # last row of the episode
    n_observed: npt.NDArray[np.int64]  # observed (history) days in the episode [d]
    advisory: npt.NDArray[np.bool_]  # episode gets a health advisory, not an emergency


@dataclass(frozen=True)
class _Runs:
    """Runs of consecutive rows that meet one predicate."""

    row_run: npt.NDArray[np.int64]  # run number of each row, -1 where the predicate fails
    starts: npt.NDArray[np.int64]  # first row of each run
    lengths: npt.NDArray[np.int64]  # rows in each run [d]


def _find_runs(mask: npt.NDArray[np.bool_], seg_start: npt.NDArray[np.bool_]) -> _Runs:
    prev = np.r_[False, mask[:-1]]
    start = mask & (seg_start | ~prev)
    row_run = np.where(mask, np.cumsum(start) - 1, -1).astype(np.int64)
    starts = np.flatnonzero(start).astype(np.int64)
    lengths = np.bincount(row_run[mask], minlength=len(starts)).astype(np.int64)
    return _Runs(row_run, starts, lengths)


def _holding_episodes(
    cond: Condition,
    aqi: npt.NDArray[np.float64],
    seg_start: npt.NDArray[np.bool_],
    cache: dict[tuple[str, float], _Runs],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """First and last rows of the episodes in which every clause of ``cond`` holds."""

    def runs_of(c: Clause) -> _Runs:
        key = (c.op, c.aqi)
        if key not in cache:
            with np.errstate(invalid="ignore"):
                mask = aqi > c.aqi if c.op == ">" else aqi >= c.aqi
            cache[key] = _find_runs(mask, seg_start)
        return cache[key]

    # Predicates "AQI > t" and "AQI >= t" are nested; the loosest one defines episodes.
    anchor = min(cond.clauses, key=lambda c: (c.aqi, c.op == ">"))
    episodes = runs_of(anchor)
    holds = episodes.lengths >= anchor.days
    for clause in cond.clauses:
        sub = runs_of(clause)
        inside = sub.row_run >= 0
        longest = np.zeros(len(episodes.starts), dtype=np.int64)
        np.maximum.at(longest, episodes.row_run[inside], sub.lengths[sub.row_run[inside]])
        holds &= longest >= clause.days
    starts = episodes.starts[holds]
    return starts, starts + episodes.lengths[holds] - 1


def _advisory_note(scheme: WarningScheme) -> str:
    rule = scheme.health_advisory
    if rule is None:
        return ""
    return (
        "; health advisory, not emergency: every day of the episode has primary pollutant(s) "
        f"only in {sorted(rule.primary_pollutants)} or cause in {sorted(rule.causes)}"
    )


def _result(
    scheme: WarningScheme,
    entities: pd.Index[Any],
    dates: pd.DatetimeIndex,
    days: npt.NDArray[np.int64],
    codes: npt.NDArray[np.int64],
    aqi: npt.NDArray[np.float64],
    conditions: Sequence[tuple[int, WarningLevel, int, Condition]],
    won: _Winners,
) -> pd.DataFrame:
    """Assemble the output frame: defaults for every entity, then the winners."""
    n = len(entities)
    cols: dict[str, npt.NDArray[Any]] = {
        "level": np.zeros(n, dtype=np.int64),
        "level_id": np.full(n, "none", dtype=object),
        "name_zh": np.full(n, "无预警", dtype=object),
        "name_en": np.full(n, "No warning", dtype=object),
        "colour": np.full(n, "none", dtype=object),
        "response": np.full(n, "none", dtype=object),
        "reason": np.empty(n, dtype=object),
    }
    # Per (level, condition) lookup tables, indexed by each winner's condition.
    table = {
        "level": np.array([k for k, _, _, _ in conditions], dtype=np.int64),
        **{
            column: np.array([getattr(lvl, attr) for _, lvl, _, _ in conditions], dtype=object)
            for column, attr in (
                ("level_id", "id"),
                ("name_zh", "name_zh"),
                ("name_en", "name_en"),
                ("colour", "colour"),
                ("response", "response"),
            )
        },  # fmt: skip
    }
    for column, values in table.items():
        cols[column][won.entity] = values[won.condition]
    cols["response"][won.entity[won.advisory]] = "health_advisory"
    prefix = [_reason_prefix(scheme.id, lvl, j, cond) for _, lvl, j, cond in conditions]
    day = np.datetime_as_string(days.astype("datetime64[D]"))
    note = _advisory_note(scheme)
    cols["reason"][won.entity] = [
        f"{prefix[t]} holds on {day[s]}..{day[e]}"
        + (f" (including {o} observed day(s))" if o else "")
        + (note if a else "")
        for t, s, e, o, a in zip(
            won.condition, won.start, won.end, won.n_observed, won.advisory, strict=True
        )
    ]
    quiet = np.flatnonzero(cols["level"] == 0)
    peak = np.full(n, -np.inf)
    np.fmax.at(peak, codes, aqi)
    cols["reason"][quiet] = [
        f"no level of {scheme.id} holds in the forecast window (highest daily AQI {p:g})"
        if np.isfinite(p)
        else f"no level of {scheme.id} holds: no valid daily AQI"
        for p in peak[quiet]
    ]
    start = np.full(n, -1, dtype=np.int64)
    end = np.full(n, -1, dtype=np.int64)
    start[won.entity], end[won.entity] = won.start, won.end
    nat: Any = pd.NaT
    cols["entity"] = entities.to_numpy()
    cols["scheme"] = np.full(n, scheme.id, dtype=object)
    data: dict[str, Any] = {
        **cols,
        "start_date": dates.take(start, allow_fill=True, fill_value=nat),
        "end_date": dates.take(end, allow_fill=True, fill_value=nat),
    }
    return pd.DataFrame({name: data[name] for name in _OUTPUT_COLUMNS})


def _reason_prefix(scheme_id: str, level: WarningLevel, j: int, cond: Condition) -> str:
    quoted = f' "{cond.text}"' if cond.text else ""
    words = " and ".join(c.describe() for c in cond.clauses)
    return f"{level.name_en} ({level.name_zh}) of {scheme_id}: condition {j}{quoted} ({words})"


def _prepare(
    daily: pd.DataFrame, scheme: WarningScheme
) -> tuple[
    npt.NDArray[np.int64],
    pd.Index[Any],
    pd.DatetimeIndex,
    npt.NDArray[np.int64],
    npt.NDArray[np.float64],
    npt.NDArray[np.bool_],
]:
    """Validate the input; return its columns as arrays sorted by entity and day."""
    if not isinstance(daily, pd.DataFrame):
        raise InputDataError(f"daily must be a pandas DataFrame, got {type(daily).__name__}")
    missing = [c for c in ("entity", "date", "aqi") if c not in daily.columns]
    if missing:
        raise InputDataError(
            f"daily lacks column(s) {missing}; required: entity, date, aqi; "
            f"optional: primary, cause; got {list(daily.columns)}"
        )
    frame = daily.reset_index(drop=True)
    labels = daily.index
    _reject(frame["entity"].isna(), labels, "entity", frame["entity"], "a station or city name")
    try:
        dates = pd.DatetimeIndex(pd.to_datetime(frame["date"], errors="coerce")).normalize()
    except (TypeError, ValueError) as exc:
        raise InputDataError(f"daily column 'date': cannot read the dates: {exc}") from exc
    _reject(np.asarray(dates.isna()), labels, "date", frame["date"], "a date such as 2026-12-01")
    aqi = pd.to_numeric(frame["aqi"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = (np.isnan(aqi) & frame["aqi"].notna().to_numpy()) | (aqi < 0) | np.isinf(aqi)
    _reject(bad, labels, "aqi", frame["aqi"], "a finite number >= 0 (NaN for a missing day)")
    advisory = np.zeros(len(frame), dtype=bool)
    rule = scheme.health_advisory
    if "cause" in frame.columns:
        valid = _per_value(frame["cause"], lambda v: _norm(v) in ("", *WARNING_CAUSES), True)
        _reject(~valid, labels, "cause", frame["cause"], f"empty or one of {list(WARNING_CAUSES)}")
        if rule is not None:
            advisory |= _per_value(frame["cause"], lambda v: _norm(v) in rule.causes, False)
    if "primary" in frame.columns and rule is not None and rule.primary_pollutants:
        # "o3" or "o3_8h" alone (or joined with other listed pollutants): an O3 day.
        advisory |= _per_value(
            frame["primary"],
            lambda v: all(t.split("_")[0] in rule.primary_pollutants for t in _norm(v).split("+")),
            False,
        )

    codes, entities = pd.factorize(frame["entity"])
    days = dates.tz_localize(None) if dates.tz is not None else dates
    day = days.to_numpy().astype("datetime64[D]").astype(np.int64)
    order = np.lexsort((day, codes))
    codes, day = codes.astype(np.int64)[order], day[order]
    dup = np.flatnonzero((codes[1:] == codes[:-1]) & (day[1:] == day[:-1]))
    if len(dup):
        row = order[dup[0] + 1]
        raise InputDataError(
            f"daily row {labels[row]!r}: entity {frame['entity'].iloc[row]!r} has more than one "
            f"row for {dates[row].date()}; give one daily AQI per entity and day"
        )
    return codes, pd.Index(entities), dates[order], day, aqi[order], advisory[order]


def _norm(value: object) -> str:
    return str(value).strip().lower()


def _per_value(
    values: pd.Series[Any], test: Callable[[object], bool], missing: bool
) -> npt.NDArray[np.bool_]:
    """Apply ``test`` to each distinct value (few), then map back to the rows."""
    codes, uniques = pd.factorize(values)
    flags = np.array([test(v) for v in uniques] + [missing], dtype=bool)
    return flags[codes]  # code -1 (missing) picks the last entry


def _reject(
    bad: npt.ArrayLike, labels: pd.Index[Any], column: str, values: pd.Series[Any], valid: str
) -> None:
    """Raise InputDataError naming the first bad row, its value and what is valid."""
    rows = np.flatnonzero(np.asarray(bad, dtype=bool))
    if len(rows):
        k = rows[0]
        value = values.iloc[k]
        value = value.item() if isinstance(value, np.generic) else value
        raise InputDataError(
            f"daily row {labels[k]!r}, column {column!r}: {value!r} is not valid "
            f"({len(rows)} bad row(s)); use {valid}"
        )
