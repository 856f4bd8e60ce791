"""The HJ 212-2017 data area ``CP=&&…&&``: parse it tolerantly, write it strictly.

The data area holds ``name=value`` pairs: "字段与其值用'='连接；同一项目的不同分类值间用
'，'分隔，不同项目之间用'；'分隔" (§6.3.3). Top-level parameters (``DataTime``,
``RtdInterval``, ``QnRtn``, …) have plain names; per-pollutant fields are
``<factor code>-<field>`` (``a34004-Avg``, ``a34004-Flag``, 表4). Names are
case-sensitive.

Tolerated on input, never written: a trailing ``;`` before the closing ``&&`` and the
doubled dash ``xxxxxx--Avg`` of the standard's own field descriptions. Rejected with
an :class:`~forecasting.standards.hj212_codes.Hj212Error` naming the field and the
position: a pair without ``=``, an unknown field name (``LA-td``), a non-numeric
value, an unknown data flag (表8), a malformed ``DataTime`` and duplicates.

Times in packets are local clock times without a zone; the zone is an argument
(default ``Asia/Shanghai``, +08:00).

References
----------
.. [1] HJ 212-2017 污染物在线监控（监测）系统数据传输标准, §6.3.3, 表4 (fields), 表8 (data
   flags); data file ``cn_mee_hj212_2017``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from forecasting.errors import InputDataError
from forecasting.standards.hj212_codes import Hj212Error, Hj212Standard, read_hj212

__all__ = [
    "HJ212_TIMEZONE",
    "Hj212DataArea",
    "Hj212Item",
    "format_data_area",
    "parse_data_area",
]

HJ212_TIMEZONE = "Asia/Shanghai"
"""Default zone of packet times (China Standard Time, +08:00): packets carry local times."""

_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_CODE = re.compile(r"[A-Za-z0-9]+")
_PARAM = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_RESERVED = re.compile(r"[;,=&\r\n]")
_DATA_TIME = "DataTime"


@dataclass(frozen=True)
class Hj212Item:
    """The fields of one factor code in a data area.

    Attributes
    ----------
    code : str
        Factor code, e.g. ``"a34004"`` (or ``"SB1"`` for a treatment facility).
    values : mapping of str to float
        Numeric fields by name (``"Rtd"``, ``"Avg"``, ``"Min"``, ``"Max"``,
        ``"Cou"``, ``"ZsAvg"``, …) [partner's units: never from 附录B].
    flag : str or None
        Data flag (表8: N, F, M, S, D, C, T, B), if sent.
    text : mapping of str to str
        Text fields by name (``"EFlag"``, ``"SampleTime"``, ``"Info"``, ``"SN"``).
    """

    code: str
    values: Mapping[str, float] = field(default_factory=dict, hash=False)
    flag: str | None = None
    text: Mapping[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        for name in ("values", "text"):
            value = getattr(self, name)
            if not isinstance(value, MappingProxyType):
                object.__setattr__(self, name, MappingProxyType(dict(value)))


@dataclass(frozen=True)
class Hj212DataArea:
    """A parsed data area.

    Attributes
    ----------
    data_time : datetime or None
        ``DataTime`` as a timezone-aware datetime: the start of the interval for
        minute, hourly and daily data, the sampling instant for real-time data.
    items : tuple of Hj212Item
        Per-factor fields, in order of first appearance.
    params : mapping of str to str
        Other top-level parameters as sent (``"RtdInterval"``, ``"QnRtn"``, …).
    """

    data_time: datetime | None = None
    items: tuple[Hj212Item, ...] = ()
    params: Mapping[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", tuple(self.items))
        if not isinstance(self.params, MappingProxyType):
            object.__setattr__(self, "params", MappingProxyType(dict(self.params)))


def _zone(tz: str | tzinfo) -> tzinfo:
    if isinstance(tz, tzinfo):
        return tz
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InputDataError(
            f"unknown time zone {tz!r}; use an IANA name such as {HJ212_TIMEZONE!r}"
        ) from exc


def _parse_time(text: str, zone: tzinfo, digits: int) -> datetime | None:
    """Parse ``YYYYMMDDhhmmss`` (``digits`` long) in ``zone``; None if malformed."""
    if len(text) != digits or not text.isascii() or not text.isdigit():
        return None
    try:
        return datetime(
            int(text[0:4]),
            int(text[4:6]),
            int(text[6:8]),
            int(text[8:10]),
            int(text[10:12]),
            int(text[12:14]),
            tzinfo=zone,
        )
    except ValueError:
        return None


class _Builder:
    """Mutable accumulator used while parsing one data area (never escapes)."""

    def __init__(self, std: Hj212Standard, zone: tzinfo) -> None:
        self.std = std
        self.zone = zone
        self.data_time: datetime | None = None
        self.params: dict[str, str] = {}
        self.items: dict[str, tuple[dict[str, float], dict[str, str], list[str]]] = {}

    def error(self, message: str, key: str, position: int) -> Hj212Error:
        return Hj212Error(
            f"data area: {message} at position {position}",
            field=key,
            position=position,
            qn_rtn=self.std.rejected_qn_rtn,
            exe_rtn=self.std.bad_data_area_exe_rtn,
        )

    def add(self, pair: str, position: int) -> None:
        key, sep, value = pair.partition("=")
        if not sep:
            raise self.error(f"{pair!r} has no '='; write name=value", pair, position)
        where = position + len(key) + 1
        if "-" in key:
            self._add_item(key, value, position, where)
        else:
            self._add_param(key, value, position, where)

    def _add_param(self, key: str, value: str, position: int, where: int) -> None:
        if not _PARAM.fullmatch(key):
            raise self.error(f"parameter name {key!r} is not alphanumeric", key, position)
        if key in self.params or (key == _DATA_TIME and self.data_time is not None):
            raise self.error(f"duplicate parameter {key!r}", key, position)
        if key != _DATA_TIME:
            self.params[key] = value
            return
        self.data_time = _parse_time(value, self.zone, self.std.time_format_digits)
        if self.data_time is None:
            raise self.error(f"DataTime {value!r} is not a valid YYYYMMDDhhmmss time", key, where)

    def _add_item(self, key: str, value: str, position: int, where: int) -> None:
        code, _, name = key.partition("-")
        if name.startswith("-"):  # the standard's own doubled dash "xxxxxx--Avg"
            name = name[1:]
        if not _CODE.fullmatch(code):
            raise self.error(f"factor code {code!r} in {key!r} is not alphanumeric", key, position)
        spec = self.std.item_fields.get(name)
        if spec is None:
            valid = ", ".join(self.std.item_fields)
            raise self.error(
                f"unknown field {name!r} in {key!r}; valid fields (表4): {valid}", key, position
            )
        entry = self.items.get(code)
        if entry is None:
            entry = self.items[code] = ({}, {}, [])
        values, text, flag = entry
        if name in values or name in text or (spec.kind == "flag" and flag):
            raise self.error(f"duplicate field {code}-{name}", key, position)
        if spec.kind == "numeric":
            if not _NUMBER.fullmatch(value):
                raise self.error(f"{key}={value!r} is not a number", key, where)
            values[name] = float(value)
        elif spec.kind == "flag":
            if value not in self.std.data_flags:
                valid = ", ".join(self.std.data_flags)
                raise self.error(f"{key}={value!r} is not a data flag (表8: {valid})", key, where)
            flag.append(value)
        else:
            text[name] = value

    def result(self) -> Hj212DataArea:
        items = tuple(
            Hj212Item(
                code,
                MappingProxyType(values),
                flag[0] if flag else None,
                MappingProxyType(text),
            )
            for code, (values, text, flag) in self.items.items()
        )
        return Hj212DataArea(self.data_time, items, MappingProxyType(self.params))


def parse_data_area(
    text: str,
    *,
    offset: int = 0,
    tz: str | tzinfo = HJ212_TIMEZONE,
    standard: Hj212Standard | None = None,
) -> Hj212DataArea:
    """Parse the text between ``CP=&&`` and ``&&``.

    Parameters
    ----------
    text : str
        The data area without the ``CP=&&`` and ``&&`` delimiters.
    offset : int
        Position of ``text[0]`` in the packet, so errors can point into the packet.
    tz : str or tzinfo
        Zone of the packet's local times; default ``"Asia/Shanghai"``.
    standard : Hj212Standard, optional
        Field names and flags; default
        :func:`~forecasting.standards.hj212_codes.read_hj212` ().

    Returns
    -------
    Hj212DataArea

    Raises
    ------
    Hj212Error
        For a malformed pair, unknown field, non-numeric value, unknown flag,
        invalid ``DataTime`` or a duplicate, with ``field``, ``position``,
        ``qn_rtn`` 2 and ``exe_rtn`` 3.

    References
    ----------
    .. [1] HJ 212-2017, §6.3.3 and 表4 (data area), 表8 (data flags).

    Examples
    --------
    >>> area = parse_data_area("DataTime=20160801084000;a21005-Rtd=1.1,a21005-Flag=N;")
    >>> area.data_time.isoformat(), area.items[0].values["Rtd"], area.items[0].flag
    ('2016-08-01T08:40:00+08:00', 1.1, 'N')
    """
    std = standard or read_hj212()
    builder = _Builder(std, _zone(tz))
    if not text:
        return builder.result()
    groups = text.split(";")
    position = offset
    for index, group in enumerate(groups):
        if not group and not (index == len(groups) - 1 and index > 0):  # tolerate a final ';'
            raise builder.error("empty item between ';' separators", "CP", position)
        pair_position = position
        for pair in group.split(",") if group else ():
            if not pair:
                raise builder.error("empty pair between ',' separators", "CP", pair_position)
            builder.add(pair, pair_position)
            pair_position += len(pair) + 1
        position += len(group) + 1
    return builder.result()


def _format_number(value: float, key: str, std: Hj212Standard) -> str:
    if not np.isfinite(value):
        raise Hj212Error(
            f"{key}={value!r}: only finite numbers can be sent",
            field=key,
            qn_rtn=std.rejected_qn_rtn,
        )
    return np.format_float_positional(float(value), unique=True, trim="-")


def _format_item(item: Hj212Item, std: Hj212Standard) -> str:
    def fail(message: str) -> Hj212Error:
        return Hj212Error(message, field=item.code, qn_rtn=std.rejected_qn_rtn)

    if not _CODE.fullmatch(item.code):
        raise fail(f"factor code {item.code!r} must be letters and digits")
    unknown = {*item.values, *item.text} - set(std.item_fields)
    if unknown:
        raise fail(f"{item.code}: unknown fields {sorted(unknown)}; valid: {list(std.item_fields)}")
    pairs = []
    for name, spec in std.item_fields.items():
        key = f"{item.code}-{name}"
        if spec.kind == "numeric" and name in item.values:
            pairs.append(f"{key}={_format_number(item.values[name], key, std)}")
        elif spec.kind == "flag" and item.flag is not None:
            if item.flag not in std.data_flags:
                raise fail(
                    f"{key}={item.flag!r} is not a data flag; use one of {list(std.data_flags)}"
                )
            pairs.append(f"{key}={item.flag}")
        elif spec.kind == "text" and name in item.text:
            if _RESERVED.search(item.text[name]):
                raise fail(f"{key}={item.text[name]!r} contains one of ; , = & CR LF")
            pairs.append(f"{key}={item.text[name]}")
        elif name in item.values or name in item.text:
            raise fail(f"{key} is a {spec.kind} field; put it in the matching attribute")
    if not pairs:
        raise fail(f"item {item.code!r} has no fields")
    return ",".join(pairs)


def format_data_area(
    area: Hj212DataArea,
    *,
    tz: str | tzinfo = HJ212_TIMEZONE,
    standard: Hj212Standard | None = None,
) -> str:
    """Write a data area strictly (the text between ``CP=&&`` and ``&&``).

    ``DataTime`` comes first, then the other parameters, then one ``;``-separated
    group per item with its fields in 表4 order and the flag after the values;
    no trailing ``;``. Numbers are written in the shortest positional form that
    reads back to the same float (``38``, ``0.6``, never ``1e-05``).

    Parameters
    ----------
    area : Hj212DataArea
        What to write. ``data_time`` must be timezone-aware with whole seconds.
    tz : str or tzinfo
        Zone in which to write local times; default ``"Asia/Shanghai"``.
    standard : Hj212Standard, optional
        Field names and flags; default
        :func:`~forecasting.standards.hj212_codes.read_hj212` ().

    Returns
    -------
    str

    Raises
    ------
    Hj212Error
        For a naive or sub-second ``data_time``, a bad name, a reserved
        character in a value, a non-finite number, an unknown field or flag.

    References
    ----------
    .. [1] HJ 212-2017, §6.3.3 and 表4.
    """
    std = standard or read_hj212()
    groups = []
    if area.data_time is not None:
        t = area.data_time
        if t.tzinfo is None or t.microsecond:
            raise Hj212Error(
                f"DataTime {t.isoformat()} must be timezone-aware with whole seconds",
                field=_DATA_TIME,
                qn_rtn=std.rejected_qn_rtn,
            )
        groups.append(f"{_DATA_TIME}={t.astimezone(_zone(tz)).strftime('%Y%m%d%H%M%S')}")
    for key, value in area.params.items():
        if key == _DATA_TIME or not _PARAM.fullmatch(key) or _RESERVED.search(value):
            raise Hj212Error(
                f"parameter {key}={value!r}: the name must be alphanumeric and not DataTime "
                "(use data_time), the value free of ; , = & CR LF",
                field=key,
                qn_rtn=std.rejected_qn_rtn,
            )
        groups.append(f"{key}={value}")
    codes = [item.code for item in area.items]
    if len(set(codes)) != len(codes):
        raise Hj212Error(
            f"duplicate factor codes in {codes}", field="CP", qn_rtn=std.rejected_qn_rtn
        )
    groups.extend(_format_item(item, std) for item in area.items)
    return ";".join(groups)
