"""HJ 633 AQI technical regulation (2012 and 2026 editions) loaded as data.

The two editions live in ``forecasting/standards/data/cn_mee_hj633_2012.toml`` and
``cn_mee_hj633_2026.toml`` (ids ``cn_mee_hj633_2012`` and ``cn_mee_hj633_2026``), each
with its ``[source]`` citation. :func:`load_hj633` turns one file into a frozen
:class:`Hj633Standard`: the IAQI breakpoint tables transcribed column by column, the
special "beyond the column" rules, the rounding rules, the AQI levels with colours and
advice, and the daily and real-time indicator sets. :func:`edition_for_dates` tells
which edition applies to a local date (HJ 633—2026 from 2026-03-01 [2]_).

The computations are in :mod:`forecasting.standards.aqi_hj633` and
:mod:`forecasting.standards.aqi_levels`.

References
----------
.. [1] HJ 633—2012 环境空气质量指数（AQI）技术规定（试行）, 表1, 表2, §5.1, §6.2, 附录A.
   https://www.mee.gov.cn/ywgz/fgbz/bz/bzwb/jcffbz/201203/W020120410332725219541.pdf
.. [2] HJ 633—2026 环境空气质量指数（AQI）技术规定, 前言, §4.1.1, §4.2, 表1–表3, §5.3.
   https://www.mee.gov.cn/ywgz/fgbz/bz/bzwb/jcffbz/202602/W020260225366493492011.pdf
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Any, Final, Literal, TypeVar, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasting.errors import InputDataError, StandardTableError, UnknownStandardError
from forecasting.standards.tables import (
    BreakpointTable,
    Citation,
    breakpoint_table_from_rows,
    read_standard,
)

__all__ = [
    "HJ633_EDITIONS",
    "ConcentrationRounding",
    "Hj633Edition",
    "Hj633Level",
    "Hj633SpecialRule",
    "Hj633Standard",
    "MissingDataRule",
    "RealtimePmAverage",
    "edition_for_dates",
    "load_hj633",
    "pollutant_of",
]

Hj633Edition = Literal["hj633-2012", "hj633-2026"]
"""Edition of HJ 633: ``"hj633-2012"`` (before 2026-03-01) or ``"hj633-2026"``."""

HJ633_EDITIONS: Final[tuple[Hj633Edition, ...]] = ("hj633-2012", "hj633-2026")
"""All supported editions, oldest first."""

ConcentrationRounding = Literal["none", "half_even", "half_up"]
"""How concentrations are rounded before indexing (``[rounding] concentration``)."""

RealtimePmAverage = Literal["1h", "24h"]
"""Which PM average feeds the real-time IAQI (``[realtime] pm_average``)."""

MissingDataRule = Literal["publish", "publish_if_above"]
"""What happens to the AQI of a row with a missing indicator (``[missing] rule``)."""

_EDITION_FILES: Final[Mapping[str, str]] = MappingProxyType(
    {"hj633-2012": "cn_mee_hj633_2012", "hj633-2026": "cn_mee_hj633_2026"}
)
_INDICATOR_RE: Final = re.compile(r"^(so2|no2|co|o3|pm10|pm25)_(1h|8h|24h)$")
_PM_1H_TO_24H: Final[Mapping[str, str]] = MappingProxyType(
    {"pm10_1h": "pm10_24h", "pm25_1h": "pm25_24h"}
)
_HEX_RE: Final = re.compile(r"^#[0-9A-F]{6}$")
_T = TypeVar("_T")


def pollutant_of(indicator: str) -> str:
    """Return the ecocast pollutant name of an indicator (``"o3_8h"`` → ``"o3"``)."""
    return indicator.split("_", 1)[0]


@dataclass(frozen=True)
class Hj633Level:
    """One AQI level (级别) with its category, colour and advice.

    Attributes
    ----------
    level : int
        1 (一级) to 6 (六级).
    aqi_range : str
        The AQI range as printed, e.g. ``"51～100"`` or ``">300"``.
    aqi_lo : int
        Lowest AQI of the level.
    aqi_hi : int or None
        Highest AQI of the level; None for the open top level.
    grade : str
        级别 as printed, e.g. ``"二级"``.
    category : str
        类别 as printed, e.g. ``"良"``.
    category_en : str
        English translation of the category (not printed in the standard).
    colour : str
        Colour name as printed, e.g. ``"黄色"``.
    rgb : tuple of int
        Colour as printed in 附录A 表A.1 [0–255].
    hex : str
        ``#RRGGBB`` form of ``rgb``.
    cmyk : tuple of int
        Colour as printed in 附录A 表A.1 [%].
    health_effects : str
        对健康影响情况, verbatim for the edition.
    advice : str
        建议采取的措施, verbatim for the edition.
    """

    level: int
    aqi_range: str
    aqi_lo: int
    aqi_hi: int | None
    grade: str
    category: str
    category_en: str
    colour: str
    rgb: tuple[int, int, int]
    hex: str
    cmyk: tuple[int, int, int, int]
    health_effects: str
    advice: str


@dataclass(frozen=True)
class Hj633SpecialRule:
    """A footnote rule for concentrations beyond a column's last breakpoint.

    Attributes
    ----------
    indicator : str
        The indicator whose column stops early, e.g. ``"so2_1h"``.
    above : float
        The rule applies where the (rounded) concentration is above this value
        [µg m⁻³ or mg m⁻³, the column's units].
    action : {"fixed_iaqi", "use_indicator_iaqi"}
        ``"fixed_iaqi"``: the IAQI is ``iaqi`` (2026). ``"use_indicator_iaqi"``: the IAQI of
        ``use_indicator`` is reported instead (2012).
    iaqi : float or None
        The fixed IAQI for ``"fixed_iaqi"``.
    use_indicator : str or None
        The replacement indicator for ``"use_indicator_iaqi"``.
    clause : str
        Where the rule is printed.
    text : str
        The rule, verbatim.
    """

    indicator: str
    above: float
    action: Literal["fixed_iaqi", "use_indicator_iaqi"]
    iaqi: float | None
    use_indicator: str | None
    clause: str
    text: str


@dataclass(frozen=True, eq=False)
class Hj633Standard:
    """One edition of HJ 633, as transcribed in its data file.

    Attributes
    ----------
    source : Citation
        The data file's ``[source]`` block; ``source.id`` names the standard in output.
    edition : {"hj633-2012", "hj633-2026"}
        The edition.
    iaqi_breakpoints : tuple of float
        The IAQI column of the breakpoint table (0, 50, …, 500).
    tables : mapping of str to BreakpointTable
        Breakpoints of each printed column, by indicator (``"so2_24h"``, ``"o3_8h"``, …).
    special_rules : mapping of str to Hj633SpecialRule
        Footnote rules for columns that stop early, by indicator.
    concentration_rounding : {"none", "half_even", "half_up"}
        Rounding of concentrations before indexing.
    concentration_decimals : mapping of str to int
        Decimals kept per unit (``"ug/m3"``, ``"mg/m3"``) when rounding.
    min_aqi : int
        Lowest AQI (0 in 2012, 1 in 2026); applied to the AQI, not the IAQI.
    above_top_iaqi : float
        IAQI above a column's top breakpoint where no special rule applies (ecocast
        decision: 500).
    primary_above : int
        A primary pollutant is named only when the AQI is above this value (50).
    missing_rule : {"publish", "publish_if_above"}
        Treatment of a row with a missing indicator.
    missing_publish_above : int or None
        For ``"publish_if_above"``: the AQI of an incomplete row is published only above
        this value (100 in 2026).
    daily_indicators : tuple of str
        Indicators of the daily AQI (日报).
    realtime_indicators : tuple of str
        Indicators of the real-time report (实时报) as listed in the standard.
    realtime_pm_average : {"1h", "24h"}
        Which PM average feeds the real-time IAQI.
    realtime_aqi_indicators : tuple of str
        Indicators whose IAQI makes up the real-time AQI (follows ``realtime_pm_average``).
    aliases : mapping of str to str
        Indicators indexed against another column (2026: ``pm25_1h`` → ``pm25_24h``).
    levels : tuple of Hj633Level
        Levels 1–6.
    sensitive_groups : mapping of str to str
        敏感人群 by pollutant (2026 表2); empty for 2012.
    sensitive_groups_iaqi_above : int or None
        表2 applies to pollutants whose IAQI is above this value (100).
    in_force_from, repealed_on : datetime.date or None
        Dates of the edition, where the data file gives them.
    """

    source: Citation
    edition: Hj633Edition
    iaqi_breakpoints: tuple[float, ...]
    tables: Mapping[str, BreakpointTable]
    special_rules: Mapping[str, Hj633SpecialRule]
    concentration_rounding: ConcentrationRounding
    concentration_decimals: Mapping[str, int]
    min_aqi: int
    above_top_iaqi: float
    primary_above: int
    missing_rule: MissingDataRule
    missing_publish_above: int | None
    daily_indicators: tuple[str, ...]
    realtime_indicators: tuple[str, ...]
    realtime_pm_average: RealtimePmAverage
    realtime_aqi_indicators: tuple[str, ...]
    aliases: Mapping[str, str]
    levels: tuple[Hj633Level, ...]
    sensitive_groups: Mapping[str, str]
    sensitive_groups_iaqi_above: int | None
    in_force_from: dt.date | None
    repealed_on: dt.date | None

    @property
    def indicators(self) -> tuple[str, ...]:
        """All indicator names this edition can index (columns and aliases), sorted."""
        return tuple(sorted({*self.tables, *self.aliases}))

    def table_for(self, indicator: str) -> BreakpointTable:
        """Return the breakpoint table that indexes ``indicator``.

        Raises
        ------
        UnknownStandardError
            If the edition has no such indicator; the message lists the valid ones.
        """
        name = self.aliases.get(indicator, indicator)
        if name not in self.tables:
            raise UnknownStandardError(f"indicator of {self.source.id}", indicator, self.indicators)
        return self.tables[name]


def load_hj633(edition: str = "hj633-2026") -> Hj633Standard:
    """Load one edition of HJ 633 from its data file (cached, immutable).

    Parameters
    ----------
    edition : {"hj633-2012", "hj633-2026"}, default "hj633-2026"
        The edition; the default is the edition in force today.

    Returns
    -------
    Hj633Standard

    Raises
    ------
    UnknownStandardError
        For an unknown edition; the message lists the valid ones.
    StandardTableError
        If the data file is malformed (the message names the file and the key).

    References
    ----------
    .. [1] HJ 633—2012 表1, 表2; HJ 633—2026 表1–表3 (see the module docstring).

    Examples
    --------
    >>> std = load_hj633("hj633-2026")
    >>> std.source.id, std.min_aqi, std.daily_indicators[-1]
    ('cn_mee_hj633_2026', 1, 'o3_8h')
    """
    if edition not in _EDITION_FILES:
        raise UnknownStandardError("HJ 633 edition", edition, HJ633_EDITIONS)
    return _load(edition)


@cache
def _load(edition: str) -> Hj633Standard:
    source, raw = read_standard(_EDITION_FILES[edition])
    where = f"{source.id}.toml"
    ed = _section(raw, "edition", where)
    if ed.get("name") != edition:
        raise StandardTableError(f"{where}: [edition] name must be {edition!r}")
    tables = _parse_tables(raw, source)
    rules = _parse_rules(raw, tables, where)
    rounding = _section(raw, "rounding", where)
    aqi = _section(raw, "aqi", where)
    missing = _section(raw, "missing", where)
    pm_avg = _choice(_section(raw, "realtime", where), "pm_average", ("1h", "24h"), where)
    daily = _indicator_list(raw, "daily", tables, {}, where)
    realtime = tuple(_str_list(_section(raw, "realtime", where), "indicators", where))
    aliases = dict(_PM_1H_TO_24H) if pm_avg == "1h" else {}
    skip = set(_PM_1H_TO_24H.values()) if pm_avg == "1h" else set(_PM_1H_TO_24H)
    rt_aqi = tuple(i for i in realtime if i not in skip)
    for name in rt_aqi:
        if aliases.get(name, name) not in tables:
            raise StandardTableError(f"{where}: [realtime] indicator {name!r} has no column")
    groups, groups_above = _parse_sensitive_groups(raw, where)
    min_aqi = _typed(aqi, "min", int, where)
    levels = _parse_levels(raw, min_aqi, where)
    rule = _choice(missing, "rule", ("publish", "publish_if_above"), where)
    return Hj633Standard(
        source=source,
        edition=cast(Hj633Edition, edition),
        iaqi_breakpoints=tuple(float(v) for v in _section(raw, "iaqi_table", where)["iaqi"]),
        tables=MappingProxyType(tables),
        special_rules=MappingProxyType(rules),
        concentration_rounding=cast(
            ConcentrationRounding,
            _choice(rounding, "concentration", ("none", "half_even", "half_up"), where),
        ),
        concentration_decimals=MappingProxyType(
            {str(k): int(v) for k, v in rounding.get("concentration_decimals", {}).items()}
        ),
        min_aqi=min_aqi,
        above_top_iaqi=float(_typed(aqi, "above_top_iaqi", int, where)),
        primary_above=_typed(aqi, "primary_above", int, where),
        missing_rule=cast(MissingDataRule, rule),
        missing_publish_above=(
            _typed(missing, "publish_above", int, where) if rule == "publish_if_above" else None
        ),
        daily_indicators=daily,
        realtime_indicators=realtime,
        realtime_pm_average=cast(RealtimePmAverage, pm_avg),
        realtime_aqi_indicators=rt_aqi,
        aliases=MappingProxyType(aliases),
        levels=levels,
        sensitive_groups=MappingProxyType(groups),
        sensitive_groups_iaqi_above=groups_above,
        in_force_from=ed.get("in_force_from"),
        repealed_on=ed.get("repealed_on"),
    )


def _section(raw: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = raw.get(key)
    if not isinstance(value, Mapping):
        raise StandardTableError(f"{where}: missing table [{key}]")
    return value


def _typed(block: Mapping[str, Any], key: str, typ: type[_T], where: str) -> _T:
    value = block.get(key)
    if not isinstance(value, typ):
        raise StandardTableError(f"{where}: key {key!r} must be a {typ.__name__}, got {value!r}")
    return value


def _choice(block: Mapping[str, Any], key: str, options: Sequence[str], where: str) -> str:
    value = block.get(key)
    if value not in options:
        raise StandardTableError(f"{where}: {key} = {value!r}; choose one of: {', '.join(options)}")
    return str(value)


def _str_list(block: Mapping[str, Any], key: str, where: str) -> list[str]:
    value = block.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise StandardTableError(f"{where}: key {key!r} must be a list of strings")
    return value


def _indicator_list(
    raw: Mapping[str, Any],
    section: str,
    tables: Mapping[str, BreakpointTable],
    aliases: Mapping[str, str],
    where: str,
) -> tuple[str, ...]:
    names = _str_list(_section(raw, section, where), "indicators", where)
    for name in names:
        if aliases.get(name, name) not in tables:
            raise StandardTableError(f"{where}: [{section}] indicator {name!r} has no column")
    return tuple(names)


def _parse_tables(raw: Mapping[str, Any], source: Citation) -> dict[str, BreakpointTable]:
    where = f"{source.id}.toml"
    block = _section(raw, "iaqi_table", where)
    iaqi = [float(v) for v in block.get("iaqi", [])]
    tables: dict[str, BreakpointTable] = {}
    for k, col in enumerate(block.get("column", []), start=1):
        name = _typed(col, "indicator", str, f"{where} [[iaqi_table.column]] {k}")
        if not _INDICATOR_RE.match(name) or name in tables:
            raise StandardTableError(f"{where}: column {k}: bad or repeated indicator {name!r}")
        conc = [float(v) for v in col.get("concentration", [])]
        if not 2 <= len(conc) <= len(iaqi):
            raise StandardTableError(
                f"{where}: column {name!r} has {len(conc)} breakpoints; the IAQI column has "
                f"{len(iaqi)}"
            )
        rows = [[conc[j], conc[j + 1], iaqi[j], iaqi[j + 1]] for j in range(len(conc) - 1)]
        units = _typed(col, "units", str, f"{where} column {name!r}")
        tables[name] = breakpoint_table_from_rows(name, units, rows, source, contiguous=True)
    if not tables:
        raise StandardTableError(f"{where}: [iaqi_table] has no columns")
    return tables


def _parse_rules(
    raw: Mapping[str, Any], tables: Mapping[str, BreakpointTable], where: str
) -> dict[str, Hj633SpecialRule]:
    rules: dict[str, Hj633SpecialRule] = {}
    for k, item in enumerate(raw.get("special_rule", []), start=1):
        here = f"{where} [[special_rule]] {k}"
        name = _typed(item, "indicator", str, here)
        action = _choice(item, "action", ("fixed_iaqi", "use_indicator_iaqi"), here)
        use = item.get("use_indicator")
        if name not in tables or (action == "use_indicator_iaqi" and use not in tables):
            raise StandardTableError(f"{here}: indicator {name!r} or {use!r} has no column")
        fixed = item.get("iaqi")
        if action == "fixed_iaqi" and not isinstance(fixed, int):
            raise StandardTableError(f"{here}: action 'fixed_iaqi' needs an integer iaqi")
        rules[name] = Hj633SpecialRule(
            indicator=name,
            above=float(_typed(item, "above", int, here)),
            action=cast(Literal["fixed_iaqi", "use_indicator_iaqi"], action),
            iaqi=float(fixed) if action == "fixed_iaqi" and fixed is not None else None,
            use_indicator=str(use) if action == "use_indicator_iaqi" else None,
            clause=str(item.get("clause", "")),
            text=str(item.get("text", "")),
        )
    return rules


def _parse_levels(raw: Mapping[str, Any], min_aqi: int, where: str) -> tuple[Hj633Level, ...]:
    items = raw.get("level", [])
    levels: list[Hj633Level] = []
    for k, item in enumerate(items, start=1):
        here = f"{where} [[level]] {k}"
        rgb = tuple(int(v) for v in item.get("rgb", []))
        cmyk = tuple(int(v) for v in item.get("cmyk", []))
        lvl = Hj633Level(
            level=_typed(item, "level", int, here),
            aqi_range=_typed(item, "aqi_range", str, here),
            aqi_lo=_typed(item, "aqi_lo", int, here),
            aqi_hi=item.get("aqi_hi"),
            grade=_typed(item, "grade", str, here),
            category=_typed(item, "category", str, here),
            category_en=_typed(item, "category_en", str, here),
            colour=_typed(item, "colour", str, here),
            rgb=cast(tuple[int, int, int], rgb),
            hex=_typed(item, "hex", str, here),
            cmyk=cast(tuple[int, int, int, int], cmyk),
            health_effects=_typed(item, "health_effects", str, here),
            advice=_typed(item, "advice", str, here),
        )
        _check_level(lvl, levels[-1] if levels else None, k, min_aqi, here)
        levels.append(lvl)
    if len(levels) != 6 or levels[-1].aqi_hi is not None:
        raise StandardTableError(f"{where}: need levels 1–6, the last one open (no aqi_hi)")
    return tuple(levels)


def _check_level(lvl: Hj633Level, prev: Hj633Level | None, k: int, min_aqi: int, here: str) -> None:
    expected_lo = min_aqi if prev is None else (prev.aqi_hi or 0) + 1
    if lvl.level != k or lvl.aqi_lo != expected_lo or (prev is not None and prev.aqi_hi is None):
        raise StandardTableError(
            f"{here}: level {lvl.level} must be {k} and start at {expected_lo}"
        )
    if len(lvl.rgb) != 3 or len(lvl.cmyk) != 4:
        raise StandardTableError(f"{here}: rgb needs 3 values and cmyk 4")
    derived = "#{:02X}{:02X}{:02X}".format(*lvl.rgb)
    if not _HEX_RE.match(lvl.hex) or lvl.hex != derived:
        raise StandardTableError(
            f"{here}: hex {lvl.hex!r} does not match rgb {lvl.rgb} ({derived})"
        )


def _parse_sensitive_groups(
    raw: Mapping[str, Any], where: str
) -> tuple[dict[str, str], int | None]:
    block = raw.get("sensitive_groups")
    if block is None:
        return {}, None
    groups: dict[str, str] = {}
    for k, row in enumerate(block.get("row", []), start=1):
        here = f"{where} [[sensitive_groups.row]] {k}"
        text = _typed(row, "groups", str, here)
        for pollutant in _str_list(row, "pollutants", here):
            groups[pollutant] = text
    return groups, _typed(block, "iaqi_above", int, f"{where} [sensitive_groups]")


def _local_dates(dates: Any) -> npt.NDArray[np.datetime64]:
    series = dates if isinstance(dates, pd.Series) else pd.Series(dates)
    if not isinstance(series.dtype, pd.DatetimeTZDtype) and series.dtype.kind != "M":
        try:
            series = pd.to_datetime(series)
        except (ValueError, TypeError) as exc:
            raise InputDataError(
                f"dates: cannot read {series.dtype} values as dates ({exc}); pass datetime64 "
                "local dates, python dates, or tz-aware timestamps in one time zone"
            ) from exc
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_localize(None)  # wall-clock time in the timestamps' own zone
    local = series.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    bad = np.flatnonzero(np.isnat(local))
    if bad.size:
        raise InputDataError(
            f"dates: missing date at row position {int(bad[0])} ({bad.size} in all); every row "
            "needs a date to choose the HJ 633 edition"
        )
    return local


def edition_for_dates(dates: Any) -> npt.NDArray[np.str_]:
    """Return the HJ 633 edition that applies on each local date.

    Parameters
    ----------
    dates : array_like or pandas.Series
        Local dates (``datetime64``, python ``date``, ISO strings) or tz-aware
        timestamps; of a timestamp the local date in its own time zone is used.

    Returns
    -------
    ndarray of str
        ``"hj633-2012"`` before 2026-03-01, ``"hj633-2026"`` from that date on.

    Raises
    ------
    InputDataError
        If a value is missing or cannot be read as a date.

    References
    ----------
    .. [1] HJ 633—2026 前言: "自本标准实施之日起，HJ 633—2012 废止"; in force 2026-03-01.

    Examples
    --------
    >>> edition_for_dates(["2026-02-28", "2026-03-01"]).tolist()
    ['hj633-2012', 'hj633-2026']
    """
    new, old = load_hj633("hj633-2026"), load_hj633("hj633-2012")
    if new.in_force_from is None or new.in_force_from != old.repealed_on:
        raise StandardTableError(
            f"{new.source.id}.toml [edition] in_force_from ({new.in_force_from}) must equal "
            f"{old.source.id}.toml [edition] repealed_on ({old.repealed_on})"
        )
    switch = np.datetime64(new.in_force_from, "D")
    local = _local_dates(dates)
    return np.where(local >= switch, "hj633-2026", "hj633-2012")
