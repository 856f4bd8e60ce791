"""Load a GB 3095 edition and its HJ 663 assessment rules from the standards data files.

:func:`load_gb3095` reads ``cn_mee_gb3095_<edition>.toml`` (GB 3095 表4 data validity,
表1/表2 concentration limits, ecocast ``[configuration]``) together with the HJ 663 file
that the edition names in its ``[assessment]`` block (the O3 daily-maximum 8-h rule of
§6.1.2, the annual items and percentiles), validates them and returns one frozen
:class:`~forecasting.standards.gb3095_rules.Gb3095Standard`. Malformed files fail at
load time with the file, block and row.

Editions: ``cn_mee_gb3095_2012`` (with ``cn_mee_hj663_2013``; secondary) for data before
2026-03-01 and ``cn_mee_gb3095_2026`` (with ``cn_mee_hj663_2026``) from that date on; see
:func:`gb3095_edition_for`.

References
----------
.. [1] GB 3095—2026 环境空气质量标准, 表1, 表2, 表4 (§6.4). ``cn_mee_gb3095_2026``.
.. [2] GB 3095—2012 环境空气质量标准, 表1, 表4 (secondary). ``cn_mee_gb3095_2012``.
.. [3] HJ 663—2013 / HJ 663—2026 环境空气质量评价技术规范, §6.1.2, p. 3 (secondary).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from forecasting.errors import StandardTableError, UnknownStandardError
from forecasting.standards.gb3095_rules import (
    ConcentrationLimit,
    Gb3095Standard,
    Mda8Rule,
    PercentileItem,
    Stage,
    StatisticsConfiguration,
    ValidityRules,
)
from forecasting.standards.tables import Citation, read_standard

__all__ = ["DEFAULT_GB3095", "GB3095_EDITIONS", "gb3095_edition_for", "load_gb3095"]

GB3095_EDITIONS: tuple[str, ...] = ("cn_mee_gb3095_2012", "cn_mee_gb3095_2026")
"""Ids of the GB 3095 editions shipped with ecocast, oldest first."""

DEFAULT_GB3095 = "cn_mee_gb3095_2026"
"""The edition in force today (2026-03-01 onwards)."""

_PERCENTILE_METHODS = frozenset({"linear", "lower", "higher", "midpoint", "nearest"})
_LIMIT_UNITS = frozenset({"ug/m3", "mg/m3"})


def _field(table: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    value = table.get(key)
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if kind is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok:
        raise StandardTableError(f"{where}: {key!r} must be a {kind.__name__}, got {value!r}")
    return value


def _validity_row(
    rows: Sequence[Mapping[str, Any]], averaging: str, pollutant: str, file: str
) -> Mapping[str, Any]:
    for row in rows:
        if row.get("averaging") == averaging and pollutant in row.get("pollutants", ()):
            return row
    raise StandardTableError(f"{file}.toml: no [[validity]] row for {pollutant} {averaging}")


def _read_validity(data: Mapping[str, Any], file: str) -> ValidityRules:
    rows = data.get("validity", [])
    day = _validity_row(rows, "24h", "pm25", file)
    win = _validity_row(rows, "8h", "o3", file)
    hour = _validity_row(rows, "1h", "o3", file)
    year = _validity_row(rows, "annual", "pm25", file)
    w = f"{file}.toml [[validity]]"
    rules = ValidityRules(
        min_hours_24h=_field(day, "min_hourly_values", int, f"{w} 24h"),
        window_hours_8h=_field(win, "window_hours", int, f"{w} 8h"),
        min_hours_8h=_field(win, "min_hourly_values", int, f"{w} 8h"),
        min_minutes_1h=_field(hour, "min_sampling_minutes", int, f"{w} 1h"),
        min_days_year=_field(year, "min_daily_values", int, f"{w} annual"),
        min_days_month=_field(year, "min_daily_values_per_month", int, f"{w} annual"),
        min_days_february=_field(year, "min_daily_values_february", int, f"{w} annual"),
    )
    if not (0 < rules.min_hours_24h <= 24 and 0 < rules.min_hours_8h <= rules.window_hours_8h):
        raise StandardTableError(f"{w}: hourly minimums out of range: {rules}")
    return rules


def _read_mda8(data: Mapping[str, Any], source: Citation) -> Mda8Rule:
    where = f"{source.id}.toml [o3_daily_max_8h]"
    table = data.get("o3_daily_max_8h")
    if not isinstance(table, dict):
        raise StandardTableError(f"{where}: block missing")
    rule = Mda8Rule(
        window_hours=_field(table, "window_hours", int, where),
        first_window_end_hour=_field(table, "first_window_end_hour", int, where),
        last_window_end_hour=_field(table, "last_window_end_hour", int, where),
        min_valid_windows=_field(table, "min_valid_windows", int, where),
        exceedance_exception=_field(table, "exceedance_exception", bool, where),
        limit_pollutant=_field(table, "limit_pollutant", str, where),
        limit_averaging=_field(table, "limit_averaging", str, where),
        clause=_field(table, "clause", str, where),
        source=source,
    )
    if rule.first_window_end_hour != rule.window_hours or rule.last_window_end_hour != 24:
        raise StandardTableError(
            f"{where}: windows ending {rule.first_window_end_hour}…{rule.last_window_end_hour} "
            f"are not the windows within the day ({rule.window_hours}…24), the only set supported"
        )
    if not 0 < rule.min_valid_windows <= 25 - rule.window_hours:
        raise StandardTableError(f"{where}: min_valid_windows {rule.min_valid_windows} impossible")
    return rule


def _read_stages(data: Mapping[str, Any], file: str) -> tuple[Stage, ...]:
    stages = tuple(
        Stage(name=str(s["name"]), start=s.get("from"), end=s.get("until"))
        for s in data.get("stage", [])
    )
    if not stages:
        raise StandardTableError(f"{file}.toml: no [[stage]] blocks")
    for a, b in zip(stages, stages[1:], strict=False):
        if a.end is None or b.start is None or b.start != a.end + dt.timedelta(days=1):
            raise StandardTableError(
                f"{file}.toml [[stage]] {b.name!r} must start after {a.name!r}"
            )
    return stages


def _read_limits(
    data: Mapping[str, Any], file: str, stage_names: set[str]
) -> tuple[ConcentrationLimit, ...]:
    table = data.get("limits", {})
    columns = list(table.get("columns", []))
    classes = [(c, int(c.removeprefix("class_"))) for c in columns if c.startswith("class_")]
    if columns[:4] != ["pollutant", "averaging", "units", "stage"] or not classes:
        raise StandardTableError(f"{file}.toml [limits]: unexpected columns {columns}")
    out: list[ConcentrationLimit] = []
    seen: set[tuple[str, str, str, int]] = set()
    for k, row in enumerate(table.get("rows", []), start=1):
        where = f"{file}.toml [limits] row {k}"
        if len(row) != len(columns):
            raise StandardTableError(f"{where}: {row} does not match columns {columns}")
        rec = dict(zip(columns, row, strict=True))
        if rec["units"] not in _LIMIT_UNITS or rec["stage"] not in stage_names:
            raise StandardTableError(f"{where}: unknown units or stage in {row}")
        for col, zone_class in classes:
            value = _field(rec, col, float, where)
            key = (rec["pollutant"], rec["averaging"], rec["stage"], zone_class)
            if value <= 0 or key in seen:
                raise StandardTableError(f"{where}: non-positive or repeated limit {row}")
            seen.add(key)
            out.append(ConcentrationLimit(*key[:2], rec["units"], key[2], zone_class, float(value)))
    return tuple(out)


def _read_percentiles(data: Mapping[str, Any], file: str) -> tuple[tuple[PercentileItem, ...], str]:
    table = data.get("percentiles", {})
    method = table.get("method")
    if method not in _PERCENTILE_METHODS or table.get("columns") != [
        "pollutant",
        "statistic",
        "percentile",
    ]:
        raise StandardTableError(f"{file}.toml [percentiles]: bad method or columns")
    items = []
    for k, (pollutant, statistic, rank) in enumerate(table.get("rows", []), start=1):
        if statistic not in ("24h", "daily_max_8h") or not 0 < rank < 100:
            raise StandardTableError(f"{file}.toml [percentiles] row {k}: bad row")
        items.append(PercentileItem(str(pollutant), str(statistic), float(rank)))
    return tuple(items), str(method)


def _read_configuration(data: Mapping[str, Any], file: str) -> StatisticsConfiguration:
    table = data.get("configuration", {})
    where = f"{file}.toml [configuration]"
    config = StatisticsConfiguration(
        daily_max_1h_min_hours=_field(table, "daily_max_1h_min_valid_hours", int, where),
        co_8h_window_hours=_field(table, "co_8h_max_window_hours", int, where),
        co_8h_min_hours=_field(table, "co_8h_max_min_valid_hours", int, where),
        co_8h_min_windows=_field(table, "co_8h_max_min_valid_windows", int, where),
    )
    if not (
        0 < config.daily_max_1h_min_hours <= 24
        and 0 < config.co_8h_min_hours <= config.co_8h_window_hours <= 24
        and 0 < config.co_8h_min_windows <= 25 - config.co_8h_window_hours
    ):
        raise StandardTableError(f"{where}: values out of range: {config}")
    return config


def load_gb3095(standard_id: str = DEFAULT_GB3095) -> Gb3095Standard:
    """Load a GB 3095 edition and the HJ 663 edition that goes with it.

    Parameters
    ----------
    standard_id : str, default ``"cn_mee_gb3095_2026"``
        One of :data:`GB3095_EDITIONS`.

    Returns
    -------
    Gb3095Standard
        Validity rules, limits, the O3 daily-maximum rule and the annual items.

    Raises
    ------
    UnknownStandardError
        If ``standard_id`` is not a GB 3095 edition (the message lists them).
    StandardTableError
        If a data file is malformed (the message names the file and block).

    References
    ----------
    .. [1] GB 3095—2026, 表1, 表2, 表4; GB 3095—2012, 表1, 表4 (secondary).
    .. [2] HJ 663—2013 / HJ 663—2026, §6.1.2 (secondary).
    """
    if standard_id not in GB3095_EDITIONS:
        raise UnknownStandardError("GB 3095 edition", standard_id, GB3095_EDITIONS)
    return _load(standard_id)


@cache
def _load(standard_id: str) -> Gb3095Standard:
    source, data = read_standard(standard_id)
    hj_id = str(data.get("assessment", {}).get("specification", ""))
    assessment, hj = read_standard(hj_id)
    stages = _read_stages(data, standard_id)
    percentiles, method = _read_percentiles(hj, hj_id)
    validity, mda8 = _read_validity(data, standard_id), _read_mda8(hj, assessment)
    if mda8.window_hours != validity.window_hours_8h:
        raise StandardTableError(
            f"{hj_id}.toml window_hours {mda8.window_hours} differs from the 8-h rule of "
            f"{standard_id}.toml ({validity.window_hours_8h})"
        )
    return Gb3095Standard(
        source=source,
        assessment=assessment,
        validity=validity,
        mda8=mda8,
        stages=stages,
        limits=_read_limits(data, standard_id, {s.name for s in stages}),
        annual_mean_pollutants=tuple(hj.get("annual_means", {}).get("pollutants", ())),
        percentiles=percentiles,
        percentile_method=method,
        configuration=_read_configuration(data, standard_id),
        in_force_from=data.get("edition", {}).get("in_force_from"),
    )


def gb3095_edition_for(day: dt.date) -> str:
    """Return the id of the GB 3095 edition that applies to data of a local date.

    Parameters
    ----------
    day : datetime.date
        Local calendar date of the data.

    Returns
    -------
    str
        ``"cn_mee_gb3095_2012"`` before 2026-03-01, ``"cn_mee_gb3095_2026"`` from then on
        (the ``in_force_from`` dates of the data files).

    References
    ----------
    .. [1] GB 3095—2026 前言 and §4.4: in force from 2026-03-01, replacing GB 3095—2012.
    """
    chosen = GB3095_EDITIONS[0]
    for edition in GB3095_EDITIONS:
        start = load_gb3095(edition).in_force_from
        if start is None or start <= day:
            chosen = edition
    return chosen
