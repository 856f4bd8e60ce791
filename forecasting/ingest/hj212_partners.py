"""HJ 212 protocol partners: which device (MN) is which station, and in which units it reports.

An HJ 212 data logger is known only by its device id ``MN`` (表3). The partner
file maps each MN to an ecocast station and declares, per factor code, the unit
the partner sends. Units are configuration, never inferred: the standard's
附录B prints PM in ng/m³ while ambient stations send µg/m³ (standards.md §8.3).

A partner file is TOML::

    [[partner]]
    mn = "010000A8900016F000169DC0"   # device id as sent in MN=
    station = "Dongsi"                # ecocast station code (registered in the store)
    timezone = "Asia/Shanghai"        # zone of DataTime; default Asia/Shanghai
    password = "123456"               # optional: refuse other PW (QnRtn 3)
    minute_interval = 10              # optional: MinInterval [min] of CN 2051 data
    ignore = ["LA"]                   # optional: codes sent but deliberately not ingested
    [partner.units]                   # factor code = unit the partner sends
    a34004 = "ug/m3"
    a21005 = "mg/m3"

Each declared unit is checked when the file is read: it must convert to the
canonical unit of the code's variable with
:func:`forecasting.ingest.units.conversion_factor` (the units every ecocast
parser accepts: µg m⁻³ with CO in mg m⁻³, hPa, mg L⁻¹, …). A code whose
variable has no canonical unit in ecocast (e.g. a34001 TSP) must be listed
under ``ignore``.

References
----------
.. [1] HJ 212-2017 污染物在线监控（监测）系统数据传输标准, 表3 (MN, PW), 表4
   (MinInterval), 附录B 表B.1/B.2 (factor codes; default units not used); data
   file ``cn_mee_hj212_2017``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from forecasting.errors import InputDataError, UnknownStandardError
from forecasting.ingest.units import CANONICAL_UNITS, conversion_factor
from forecasting.standards.hj212_codes import Hj212Standard, read_hj212
from forecasting.standards.hj212_cp import HJ212_TIMEZONE

__all__ = [
    "Hj212Partner",
    "Hj212Partners",
    "read_hj212_partners",
]

_MN = re.compile(r"[A-Za-z0-9]{1,24}")
_PW = re.compile(r"[A-Za-z0-9]{1,6}")
_KEYS = frozenset(
    {"mn", "station", "timezone", "password", "minute_interval", "ignore", "units", "name"}
)


@dataclass(frozen=True)
class Hj212Partner:
    """One data logger (device) and how to read it.

    Attributes
    ----------
    mn : str
        Device id as sent in ``MN=``.
    station : str
        ecocast station code the device's observations belong to.
    timezone : str
        IANA zone of the device's local ``DataTime`` (default ``Asia/Shanghai``).
    units : mapping of str to str
        Factor code → unit the device sends (as written in the file).
    password : str or None
        Expected ``PW``; None accepts any.
    minute_interval : int or None
        ``MinInterval`` of minute data [min], if configured.
    ignore : frozenset of str
        Factor codes the device sends that are deliberately not ingested.
    name : str
        Free-text label (operator, site), for messages.
    where : str
        ``FILE [[partner]] #k``: where the entry is, for messages.
    """

    mn: str
    station: str
    timezone: str
    units: Mapping[str, str]
    password: str | None = None
    minute_interval: int | None = None
    ignore: frozenset[str] = frozenset()
    name: str = ""
    where: str = field(default="", compare=False)


@dataclass(frozen=True)
class Hj212Partners:
    """The partner table of one file, keyed by MN.

    Attributes
    ----------
    path : pathlib.Path or None
        The file it was read from.
    by_mn : mapping of str to Hj212Partner
        Partners by device id.
    """

    path: Path | None
    by_mn: Mapping[str, Hj212Partner]

    def __contains__(self, mn: object) -> bool:
        return mn in self.by_mn

    def __iter__(self) -> Iterator[Hj212Partner]:
        return iter(self.by_mn.values())

    def __len__(self) -> int:
        return len(self.by_mn)

    def get(self, mn: str) -> Hj212Partner | None:
        """Return the partner of device ``mn``, or None."""
        return self.by_mn.get(mn)

    def require(self, mn: str, where: str) -> Hj212Partner:
        """Return the partner of device ``mn``; raise naming ``where`` if it is unknown.

        Raises
        ------
        InputDataError
            The MN, where it was seen and the configured MNs.
        """
        partner = self.by_mn.get(mn)
        if partner is None:
            known = ", ".join(sorted(self.by_mn)) or "none"
            raise InputDataError(
                f"{where}: unknown HJ 212 device MN={mn!r}; add a [[partner]] entry for it "
                f"to {self.path or 'the partner file'} (configured MNs: {known})"
            )
        return partner

    @property
    def stations(self) -> tuple[str, ...]:
        """Distinct station codes, sorted."""
        return tuple(sorted({p.station for p in self.by_mn.values()}))


def _text(entry: Mapping[str, Any], key: str, where: str, *, required: bool) -> str | None:
    value = entry.get(key)
    if value is None:
        if required:
            raise InputDataError(f"{where}: missing key {key!r}")
        return None
    if not isinstance(value, str) or not value.strip():
        raise InputDataError(f"{where}: {key} must be non-empty text, got {value!r}")
    return value.strip()


def _check_unit(code: str, unit: object, variable: str, where: str) -> str:
    if not isinstance(unit, str):
        raise InputDataError(f"{where}: units.{code} must be text such as 'ug/m3', got {unit!r}")
    if variable not in CANONICAL_UNITS:
        raise InputDataError(
            f"{where}: units.{code}: ecocast keeps no canonical unit for {variable!r} "
            f"(variables: {', '.join(sorted(CANONICAL_UNITS))}); list {code!r} under ignore"
        )
    try:
        conversion_factor(variable, unit)
    except UnknownStandardError as exc:
        raise InputDataError(f"{where}: units.{code} = {unit!r} ({variable}): {exc}") from None
    return unit


def _units(
    entry: Mapping[str, Any], std: Hj212Standard, where: str, ignore: frozenset[str]
) -> dict[str, str]:
    table = entry.get("units", {})
    if not isinstance(table, dict):
        raise InputDataError(f"{where}: [partner.units] must be a table of code = unit")
    by_variable = {f.variable: code for code, f in std.factors.items()}
    units: dict[str, str] = {}
    for code, unit in table.items():
        factor = std.factors.get(code)
        if factor is None:
            hint = f"use the factor code {by_variable[code]!r}" if code in by_variable else ""
            raise InputDataError(
                f"{where}: units.{code}: {code!r} is not an HJ 212 factor code ecocast can "
                f"store{'; ' + hint if hint else ''}; known codes: {', '.join(sorted(std.factors))}"
                "; list codes to skip under ignore = [...]"
            )
        if code in ignore:
            raise InputDataError(f"{where}: {code!r} is both in units and in ignore")
        units[code] = _check_unit(code, unit, factor.variable, where)
    return units


def _partner(entry: object, std: Hj212Standard, where: str) -> Hj212Partner:
    if not isinstance(entry, dict):
        raise InputDataError(f"{where}: must be a table")
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        raise InputDataError(f"{where}: unknown key(s) {unknown}; valid: {sorted(_KEYS)}")
    mn = _text(entry, "mn", where, required=True) or ""
    if not _MN.fullmatch(mn):
        raise InputDataError(f"{where}: mn {mn!r} must be 1-24 letters or digits (HJ 212 表3)")
    where = f"{where} (mn {mn!r})"
    station = _text(entry, "station", where, required=True) or ""
    timezone = _text(entry, "timezone", where, required=False) or HJ212_TIMEZONE
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputDataError(
            f"{where}: unknown time zone {timezone!r}; use an IANA name such as {HJ212_TIMEZONE!r}"
        ) from None
    password = _text(entry, "password", where, required=False)
    if password is not None and not _PW.fullmatch(password):
        raise InputDataError(f"{where}: password must be 1-6 letters or digits (HJ 212 表3)")
    minute = entry.get("minute_interval")
    if minute is not None and (type(minute) is not int or minute not in std.min_interval_minutes):
        allowed = ", ".join(str(m) for m in std.min_interval_minutes)
        raise InputDataError(f"{where}: minute_interval {minute!r} must be one of {allowed} [min]")
    ignore_list = entry.get("ignore", [])
    if not isinstance(ignore_list, list) or not all(isinstance(c, str) for c in ignore_list):
        raise InputDataError(f"{where}: ignore must be a list of factor codes, e.g. ['LA']")
    ignore = frozenset(ignore_list)
    name = _text(entry, "name", where, required=False) or ""
    units = _units(entry, std, where, ignore)
    return Hj212Partner(
        mn=mn,
        station=station,
        timezone=timezone,
        units=MappingProxyType(units),
        password=password,
        minute_interval=minute,
        ignore=ignore,
        name=name,
        where=where,
    )


def read_hj212_partners(
    path: str | Path, *, standard: Hj212Standard | None = None
) -> Hj212Partners:
    """Load and validate an HJ 212 partner file.

    Parameters
    ----------
    path : str or path-like
        TOML file with ``[[partner]]`` entries (module docstring).
    standard : Hj212Standard, optional
        Factor table; default :func:`~forecasting.standards.hj212_codes.read_hj212` ().

    Returns
    -------
    Hj212Partners
        Partners keyed by MN.

    Raises
    ------
    InputDataError
        Naming the file and the entry (``[[partner]] #k (mn …)``): unreadable or
        invalid TOML, no partners, a missing or unknown key, a malformed MN or
        password, an unknown time zone, a ``minute_interval`` outside 表4's
        values, a unit key that is not a factor code, a unit that cannot be
        converted to the variable's canonical unit, or an MN listed twice.

    References
    ----------
    .. [1] HJ 212-2017, 表3 (MN, PW), 表4 (MinInterval), 附录B (factor codes).
    """
    std = standard or read_hj212()
    file = Path(path)
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputDataError(f"{file}: cannot read the HJ 212 partner file ({exc})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputDataError(f"{file}: not valid TOML ({exc})") from None
    entries = raw.get("partner")
    if not isinstance(entries, list) or not entries:
        raise InputDataError(
            f"{file}: no [[partner]] entries; each needs mn, station and [partner.units]"
        )
    extra = sorted(set(raw) - {"partner"})
    if extra:
        raise InputDataError(f"{file}: unknown top-level key(s) {extra}; only [[partner]]")
    by_mn: dict[str, Hj212Partner] = {}
    for k, entry in enumerate(entries, start=1):
        partner = _partner(entry, std, f"{file} [[partner]] #{k}")
        if partner.mn in by_mn:
            raise InputDataError(
                f"{partner.where}: MN {partner.mn!r} is already configured in "
                f"{by_mn[partner.mn].where}"
            )
        by_mn[partner.mn] = partner
    return Hj212Partners(file, MappingProxyType(by_mn))
