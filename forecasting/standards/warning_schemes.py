"""Heavy-pollution warning schemes (重污染天气预警分级) as data: the rule model and its loader.

A warning scheme is an ordered list of levels, from the least to the most severe.
Each level holds alternative conditions (OR); each condition holds clauses (AND)
of the form "daily AQI > threshold for at least N consecutive days" or "daily AQI
≥ threshold" (for "达到500"). Durations are in 24-h units. Local variants are data,
not code: a TOML file of the same format as the shipped schemes, with its own
``[source]`` block, loaded by path. The shipped schemes, in
``forecasting/standards/data/``, are ``cn_mee_warning_2024`` (the current national
scheme), ``cn_mep_warning_2017``, ``cn_mee_warning_2018`` and ``cn_cq_warning_2018``.
:mod:`forecasting.standards.early_warning` applies a scheme to daily AQI forecasts.

File format (beside the ``[source]`` citation)::

    [scheme]
    name_zh = "..."
    name_en = "..."
    [scheme.health_advisory]          # optional: episodes that get a health advisory
    primary_pollutants = ["o3"]
    causes = ["dust", "wildfire", "sand", "transport"]
    [scheme.lifting]                  # optional: the lifting rule, carried as data
    text = "..."
    below_level = "yellow"
    below_for_more_than_hours = 36
    [[scheme.option]]                 # optional: named switches for disputed clauses
    name = "orange_requires_aqi_300"
    default = false
    [[level]]                         # one per level, least severe first
    id = "yellow"
    name_zh = "黄色预警"
    name_en = "Yellow warning"
    colour = "yellow"
    response = "emergency"            # or "health_advisory"
    text = "as printed"
    [[level.condition]]               # alternatives (OR)
    text = "as printed"
    clauses = [{ op = ">", aqi = 200, hours = 48 }]   # all must hold (AND)

A clause has ``op`` (``">"`` or ``">="``), ``aqi`` (the threshold), exactly one of
``days`` or ``hours`` (a multiple of 24), and optionally ``when`` (the name of a
scheme option; the clause applies only when that option is on). Unknown keys are
errors, so a misspelt key cannot silently drop a clause.

References
----------
.. [1] 生态环境部, 环大气〔2024〕6号《关于进一步优化重污染天气应对机制的指导意见》,
   2024-01-23, 预警分级 (secondary copies; data file ``cn_mee_warning_2024``).
.. [2] 环境保护部, 环大气〔2017〕86号 work plan and slides of 2017-09-20, 预警分级
   (data file ``cn_mep_warning_2017``).
.. [3] 生态环境部办公厅, 环办大气函〔2018〕875号 (via local plans; data file
   ``cn_mee_warning_2018``).
.. [4] 重庆市人民政府,《重庆市空气重污染天气应急预案》, 2018 (data file
   ``cn_cq_warning_2018``).

Examples
--------
>>> scheme = load_warning_scheme("cn_mee_warning_2024")
>>> [level.id for level in scheme.levels]
['yellow', 'orange', 'red']
>>> scheme.levels[2].conditions[0].clauses[1].describe()
'daily AQI > 300 on at least 1 day'
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args

from forecasting.errors import InputDataError, StandardTableError, UnknownStandardError
from forecasting.standards.tables import (
    Citation,
    available_standards,
    read_standard,
    read_standard_file,
)

__all__ = [
    "DEFAULT_WARNING_SCHEME",
    "WARNING_CAUSES",
    "Clause",
    "ClauseOp",
    "Condition",
    "HealthAdvisoryRule",
    "LiftingRule",
    "ResponseKind",
    "SchemeOption",
    "WarningLevel",
    "WarningScheme",
    "available_warning_schemes",
    "load_warning_scheme",
]

ClauseOp = Literal[">", ">="]
ResponseKind = Literal["emergency", "health_advisory"]

DEFAULT_WARNING_SCHEME = "cn_mee_warning_2024"
"""Id of the current national scheme (环大气〔2024〕6号), the default of
:func:`forecasting.standards.early_warning.assess_warnings`."""

WARNING_CAUSES = ("dust", "wildfire", "sand", "transport")
"""Valid values of the ``cause`` column (besides empty): 沙尘, 山火, 局地扬沙, 境外传输."""


@dataclass(frozen=True)
class Clause:
    """One clause: daily AQI ``op`` ``aqi`` on at least ``days`` consecutive days.

    Attributes
    ----------
    op : {">", ">="}
        Comparison of the daily AQI with the threshold.
    aqi : float
        Threshold [dimensionless AQI].
    days : int
        Minimum number of consecutive days (24-h units) [d].
    """

    op: ClauseOp
    aqi: float
    days: int

    def describe(self) -> str:
        """Return the clause in words, e.g. ``"daily AQI > 200 on >= 3 consecutive days"``."""
        span = "at least 1 day" if self.days == 1 else f">= {self.days} consecutive days"
        return f"daily AQI {self.op} {self.aqi:g} on {span}"


@dataclass(frozen=True)
class Condition:
    """Clauses that must all hold within one episode.

    Attributes
    ----------
    clauses : tuple of Clause
        The clauses (AND), with scheme options already applied.
    text : str
        The condition's wording as printed in the scheme.
    """

    clauses: tuple[Clause, ...]
    text: str


@dataclass(frozen=True)
class WarningLevel:
    """One warning level.

    Attributes
    ----------
    id : str
        Identifier, e.g. ``"yellow"``.
    name_zh, name_en : str
        Names, e.g. ``"黄色预警"``, ``"Yellow warning"``.
    colour : str
        Colour name, e.g. ``"yellow"``.
    response : {"emergency", "health_advisory"}
        Response the level calls for.
    conditions : tuple of Condition
        Alternatives (OR); the level holds when any of them holds.
    text : str
        The level's wording as printed in the scheme.
    """

    id: str
    name_zh: str
    name_en: str
    colour: str
    response: ResponseKind
    conditions: tuple[Condition, ...]
    text: str


@dataclass(frozen=True)
class SchemeOption:
    """A named switch for a disputed clause.

    Attributes
    ----------
    name : str
        Option name, referenced by a clause's ``when``.
    value : bool
        The value in effect in this loaded scheme.
    default : bool
        The value the data file gives as default.
    text : str
        What the option means and why it is disputed.
    """

    name: str
    value: bool
    default: bool
    text: str


@dataclass(frozen=True)
class HealthAdvisoryRule:
    """Episodes that get a health advisory instead of an emergency response.

    Attributes
    ----------
    primary_pollutants : frozenset of str
        Primary pollutants (ecocast names) whose episodes get a health advisory.
    causes : frozenset of str
        Causes (see :data:`WARNING_CAUSES`) whose episodes get a health advisory.
    text : str
        The rule's wording.
    """

    primary_pollutants: frozenset[str]
    causes: frozenset[str]
    text: str


@dataclass(frozen=True)
class LiftingRule:
    """When a warning may be lifted (carried as data, not applied here).

    Attributes
    ----------
    below_level : str
        Id of the level whose condition air quality must fall below.
    below_for_more_than_hours : int
        It must be forecast to stay below for more than this many hours [h].
    text : str
        The rule's wording.
    """

    below_level: str
    below_for_more_than_hours: int
    text: str


@dataclass(frozen=True)
class WarningScheme:
    """A heavy-pollution warning scheme: ordered levels with their conditions.

    Attributes
    ----------
    source : Citation
        The data file's ``[source]`` block; ``source.id`` names the scheme.
    name_zh, name_en : str
        Names of the scheme.
    levels : tuple of WarningLevel
        Levels in increasing severity; level number ``k`` is ``levels[k - 1]``.
    options : tuple of SchemeOption
        Options with the values in effect.
    health_advisory : HealthAdvisoryRule or None
        Which episodes get a health advisory; None if the scheme makes no such
        distinction.
    lifting : LiftingRule or None
        The lifting rule, if the scheme states one.
    """

    source: Citation
    name_zh: str
    name_en: str
    levels: tuple[WarningLevel, ...]
    options: tuple[SchemeOption, ...] = ()
    health_advisory: HealthAdvisoryRule | None = None
    lifting: LiftingRule | None = None

    @property
    def id(self) -> str:
        """The scheme id (``source.id``)."""
        return self.source.id

    def level(self, level_id: str) -> WarningLevel:
        """Return the level with id ``level_id``.

        Raises
        ------
        UnknownStandardError
            If the scheme has no such level; the message lists its levels.
        """
        for lvl in self.levels:
            if lvl.id == level_id:
                return lvl
        raise UnknownStandardError(
            f"level of warning scheme {self.id}", level_id, [lv.id for lv in self.levels]
        )


def available_warning_schemes() -> list[str]:
    """Return the ids of the shipped warning schemes (data files named ``*_warning_*``)."""
    return [s for s in available_standards() if "_warning_" in s]


def load_warning_scheme(
    id_or_path: str | os.PathLike[str] = DEFAULT_WARNING_SCHEME,
    *,
    options: Mapping[str, bool] | None = None,
) -> WarningScheme:
    """Load a shipped warning scheme by id, or a local scheme file by path.

    Parameters
    ----------
    id_or_path : str or path-like
        A shipped id (see :func:`available_warning_schemes`), or the path of a
        TOML file in the same format (a string counts as a path if it ends in
        ``.toml`` or contains a path separator). The file's ``[source]`` id must
        equal its stem and must not be a shipped id.
    options : mapping of str to bool, optional
        Values of the scheme's options, e.g. ``{"orange_requires_aqi_300": True}``
        for ``cn_mee_warning_2018``; unset options take the file's default.

    Returns
    -------
    WarningScheme

    Raises
    ------
    UnknownStandardError
        Unknown scheme id or option name; the message lists the valid ones.
    StandardTableError
        The file is missing or malformed; the message names the file, level,
        condition and clause.

    References
    ----------
    .. [1] 环大气〔2024〕6号, 预警分级 (``cn_mee_warning_2024``), and the other shipped
       schemes listed in the module docstring.
    """
    for name, value in (options or {}).items():
        if not isinstance(name, str) or not isinstance(value, bool):
            raise InputDataError(
                f"warning-scheme option {name!r} = {value!r}: give option names as str "
                "and values as True or False"
            )
    chosen = tuple(sorted((options or {}).items()))
    if isinstance(id_or_path, os.PathLike) or (
        isinstance(id_or_path, str)
        and (id_or_path.endswith(".toml") or os.sep in id_or_path or "/" in id_or_path)
    ):
        path = Path(id_or_path)
        citation, raw = _read_scheme_file(path)
        return _build_scheme(citation, raw, chosen, path.name)
    name = str(id_or_path)
    schemes = available_warning_schemes()
    if name not in schemes:
        raise UnknownStandardError("warning scheme", name, schemes)
    return _load_shipped(name, chosen)


@cache
def _load_shipped(scheme_id: str, chosen: tuple[tuple[str, bool], ...]) -> WarningScheme:
    citation, raw = read_standard(scheme_id)
    return _build_scheme(citation, raw, chosen, f"{scheme_id}.toml")


def _read_scheme_file(path: Path) -> tuple[Citation, Mapping[str, Any]]:
    if not path.is_file():
        raise StandardTableError(f"{path}: no such warning-scheme file")
    citation, raw = read_standard_file(path)
    if citation.id in available_warning_schemes():
        raise StandardTableError(
            f"{path.name}: id {citation.id!r} is a shipped scheme; give a local variant its own id"
        )
    return citation, raw


def _check_keys(table: Any, where: str, required: Sequence[str], optional: Sequence[str]) -> None:
    if not isinstance(table, dict):
        raise StandardTableError(f"{where}: expected a table, got {table!r}")
    missing = [k for k in required if k not in table]
    if missing:
        raise StandardTableError(f"{where}: missing {', '.join(missing)}")
    unknown = sorted(set(table) - set(required) - set(optional))
    if unknown:
        raise StandardTableError(
            f"{where}: unknown keys {unknown}; valid keys: {sorted([*required, *optional])}"
        )


def _str(table: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or (default is None and not value.strip()):
        what = "a non-empty string" if default is None else "a string"
        raise StandardTableError(f"{where}: {key!r} must be {what}, got {value!r}")
    return value


def _int(value: Any, what: str, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise StandardTableError(f"{where}: {what} must be a positive integer, got {value!r}")
    return value


def _str_list(value: Any, what: str, where: str) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise StandardTableError(f"{where}: {what} must be a list of strings, got {value!r}")
    return frozenset(v.strip().lower() for v in value)


def _build_options(
    raw: Any, chosen: tuple[tuple[str, bool], ...], where: str, scheme_id: str
) -> tuple[SchemeOption, ...]:
    if not isinstance(raw, list):
        raise StandardTableError(f"{where}: [[scheme.option]] must be an array of tables")
    declared: dict[str, tuple[bool, str]] = {}
    for k, opt in enumerate(raw, start=1):
        at = f"{where} option {k}"
        _check_keys(opt, at, ("name", "default"), ("text",))
        if not isinstance(opt["default"], bool):
            raise StandardTableError(f"{at}: 'default' must be true or false")
        declared[_str(opt, "name", at)] = (opt["default"], _str(opt, "text", at, ""))
    for name, _ in chosen:
        if name not in declared:
            raise UnknownStandardError(f"option of warning scheme {scheme_id}", name, declared)
    values = dict(chosen)
    return tuple(
        SchemeOption(name, values.get(name, default), default, text)
        for name, (default, text) in declared.items()
    )


def _build_clause(raw: Any, at: str, options: Mapping[str, bool]) -> Clause | None:
    _check_keys(raw, at, ("op", "aqi"), ("days", "hours", "when"))
    op = raw["op"]
    if op not in get_args(ClauseOp):
        raise StandardTableError(f"{at}: 'op' is {op!r}; use one of {list(get_args(ClauseOp))}")
    aqi = raw["aqi"]
    if isinstance(aqi, bool) or not isinstance(aqi, int | float) or not 0 <= aqi < float("inf"):
        raise StandardTableError(f"{at}: 'aqi' must be a finite number >= 0, got {aqi!r}")
    if ("days" in raw) == ("hours" in raw):
        raise StandardTableError(f"{at}: give exactly one of 'days' or 'hours'")
    if "days" in raw:
        days = _int(raw["days"], "'days'", at)
    else:
        hours = _int(raw["hours"], "'hours'", at)
        if hours % 24:
            raise StandardTableError(f"{at}: 'hours' is {hours}; use a multiple of 24 (daily AQI)")
        days = hours // 24
    if "when" in raw:
        if not isinstance(raw["when"], str) or raw["when"] not in options:
            raise StandardTableError(
                f"{at}: 'when' names {raw['when']!r}; declared options: {sorted(options)}"
            )
        if not options[raw["when"]]:
            return None
    return Clause(op=op, aqi=float(aqi), days=days)


def _build_level(raw: Any, where: str, options: Mapping[str, bool]) -> WarningLevel:
    _check_keys(
        raw, where, ("id", "name_zh", "name_en", "colour", "response", "condition"), ("text",)
    )
    response = raw["response"]
    if response not in get_args(ResponseKind):
        raise StandardTableError(
            f"{where}: 'response' is {response!r}; use one of {list(get_args(ResponseKind))}"
        )
    if not isinstance(raw["condition"], list) or not raw["condition"]:
        raise StandardTableError(f"{where}: needs at least one [[level.condition]]")
    conditions = []
    for j, cond in enumerate(raw["condition"], start=1):
        at = f"{where}, condition {j}"
        _check_keys(cond, at, ("clauses",), ("text",))
        if not isinstance(cond["clauses"], list) or not cond["clauses"]:
            raise StandardTableError(f"{at}: 'clauses' must be a non-empty list")
        clauses = [
            _build_clause(c, f"{at}, clause {i}", options) for i, c in enumerate(cond["clauses"], 1)
        ]
        kept = tuple(c for c in clauses if c is not None)
        if not kept:
            raise StandardTableError(f"{at}: every clause is switched off by options")
        conditions.append(Condition(kept, _str(cond, "text", at, "")))
    return WarningLevel(
        id=_str(raw, "id", where),
        name_zh=_str(raw, "name_zh", where),
        name_en=_str(raw, "name_en", where),
        colour=_str(raw, "colour", where),
        response=response,
        conditions=tuple(conditions),
        text=_str(raw, "text", where, ""),
    )


def _label(raw: Any) -> str:
    return f" ({raw['id']!r})" if isinstance(raw, dict) and "id" in raw else ""


def _build_scheme(
    citation: Citation, raw: Mapping[str, Any], chosen: tuple[tuple[str, bool], ...], fname: str
) -> WarningScheme:
    _check_keys(raw, fname, ("source", "scheme", "level"), ())
    where = f"{fname} [scheme]"
    head = raw["scheme"]
    _check_keys(head, where, ("name_zh", "name_en"), ("health_advisory", "lifting", "option"))
    opts = _build_options(head.get("option", []), chosen, where, citation.id)
    values = {o.name: o.value for o in opts}
    if not isinstance(raw["level"], list) or not raw["level"]:
        raise StandardTableError(f"{fname}: needs at least one [[level]]")
    levels = tuple(
        _build_level(lvl, f"{fname} level {k}{_label(lvl)}", values)
        for k, lvl in enumerate(raw["level"], start=1)
    )
    ids = [lv.id for lv in levels]
    if len(set(ids)) != len(ids):
        raise StandardTableError(f"{fname}: level ids must be unique, got {ids}")
    advisory = None
    if "health_advisory" in head:
        at = f"{where}.health_advisory"
        ha = head["health_advisory"]
        _check_keys(ha, at, (), ("primary_pollutants", "causes", "text"))
        causes = _str_list(ha.get("causes", []), "'causes'", at)
        if bad := sorted(causes - set(WARNING_CAUSES)):
            raise StandardTableError(f"{at}: unknown causes {bad}; use {list(WARNING_CAUSES)}")
        pollutants = _str_list(ha.get("primary_pollutants", []), "'primary_pollutants'", at)
        advisory = HealthAdvisoryRule(pollutants, causes, _str(ha, "text", at, ""))
    lifting = None
    if "lifting" in head:
        at = f"{where}.lifting"
        lf = head["lifting"]
        _check_keys(lf, at, ("below_level", "below_for_more_than_hours"), ("text",))
        if lf["below_level"] not in ids:
            raise StandardTableError(
                f"{at}: 'below_level' is {lf['below_level']!r}; use one of {ids}"
            )
        hours = _int(lf["below_for_more_than_hours"], "'below_for_more_than_hours'", at)
        lifting = LiftingRule(lf["below_level"], hours, _str(lf, "text", at, ""))
    return WarningScheme(
        source=citation,
        name_zh=_str(head, "name_zh", where),
        name_en=_str(head, "name_en", where),
        levels=levels,
        options=opts,
        health_advisory=advisory,
        lifting=lifting,
    )
