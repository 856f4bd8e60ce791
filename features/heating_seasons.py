"""Regulated central-heating seasons of Chinese cities (采暖期), read from a data file.

Heating seasons are set by city governments, not by a national standard: Beijing's
regulation sets 15 November to 15 March [1]_, other northern cities set similar
seasons, and cities south of the Qinling-Huaihe line have no municipal central heating.
The seasons live in ``features/data/heating_seasons.toml``, whose ``[source]`` block is
its citation; only Beijing's dates are sourced, the ``[north_default]`` season and the
north/south assignment of the other cities are UNVERIFIED configuration.

Only the regulated season is modelled: the early starts (提前供暖) and extensions that
cities decide a few days ahead from the weather forecast are not known in advance and
are left out.

References
----------
.. [1] 《北京市供热采暖管理办法》: "北京市采暖期为当年11月15日至次年3月15日", quoted at
   http://m.www.hbzqbyyxgs.com/news/637436.html (secondary).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasting.errors import StandardTableError
from forecasting.standards.tables import Citation, parse_standard_text

__all__ = [
    "CitySeason",
    "HeatingSeasonTable",
    "heating_season",
    "read_heating_seasons",
]

Region = Literal["north", "south"]
_REGIONS: tuple[Region, ...] = ("north", "south")
_CITY_KEYS = frozenset({"name", "aliases", "region", "start", "end", "status", "reference"})
_FILENAME = "heating_seasons.toml"


@dataclass(frozen=True)
class CitySeason:
    """The heating season of one city.

    Attributes
    ----------
    name : str
        English (pinyin) name of the city, e.g. ``"Beijing"``.
    region : {"north", "south"}
        ``"north"``: municipal central heating; ``"south"``: none.
    start, end : int or None
        First and last day of the season as ``month * 100 + day`` (inclusive, local
        calendar days), e.g. 1115 and 315; None for a southern city.
    status : str
        ``"secondary"`` (dates read from a source quoting the regulation) or
        ``"unverified"`` (configuration).
    reference : str
        Where the dates come from.
    """

    name: str
    region: Region
    start: int | None
    end: int | None
    status: str
    reference: str


@dataclass(frozen=True)
class HeatingSeasonTable:
    """Heating seasons by city, with the data file's citation.

    Attributes
    ----------
    source : Citation
        The ``[source]`` block of the data file; ``source.id`` names it in results.
    cities : Mapping[str, CitySeason]
        Season by casefolded city name or alias (read-only).
    """

    source: Citation
    cities: Mapping[str, CitySeason]

    def lookup(self, city: object) -> CitySeason | None:
        """Return the season of ``city`` (any spelling listed), or None if it is unknown."""
        if not isinstance(city, str):
            return None
        return self.cities.get(city.strip().casefold())


def read_heating_seasons(path: str | os.PathLike[str] | None = None) -> HeatingSeasonTable:
    """Read a heating-season table.

    Parameters
    ----------
    path : str or path-like, optional
        A user-supplied file in the format of the shipped one; default the shipped
        ``features/data/heating_seasons.toml`` (read once and cached).

    Returns
    -------
    HeatingSeasonTable
        The seasons and their citation.

    Raises
    ------
    StandardTableError
        If the file is missing, is not TOML, lacks a valid ``[source]`` block, or a
        ``[[city]]`` entry has an unknown key or region, a malformed ``MM-DD`` date,
        dates on a southern city, or a name already used by another entry.

    References
    ----------
    .. [1] 《北京市供热采暖管理办法》 (Beijing, season 11-15 to 03-15), see the module
       docstring.
    """
    if path is None:
        return _read_shipped()
    file = Path(path)
    if not file.is_file():
        raise StandardTableError(f"{file}: no such heating-season file")
    return _parse(file.read_text(encoding="utf-8"), file.name)


@cache
def _read_shipped() -> HeatingSeasonTable:
    # Next to this module (importlib.resources mis-resolves ``features`` when it is also
    # a namespace under tests/).
    text = (Path(__file__).resolve().parent / "data" / _FILENAME).read_text(encoding="utf-8")
    return _parse(text, _FILENAME)


def _parse(text: str, filename: str) -> HeatingSeasonTable:
    source, data = parse_standard_text(text, filename)
    default = data.get("north_default", {})
    where = f"{filename} [north_default]"
    default_start = _month_day(default.get("start"), f"{where} start")
    default_end = _month_day(default.get("end"), f"{where} end")
    cities: dict[str, CitySeason] = {}
    for number, entry in enumerate(data.get("city", []), start=1):
        where = f"{filename} [[city]] #{number}"
        season = _city(entry, where, (default_start, default_end))
        aliases = entry.get("aliases", [])
        if not isinstance(aliases, list):
            raise StandardTableError(f"{where} ({season.name}): aliases must be a list")
        for alias in (season.name, *aliases):
            key = str(alias).strip().casefold()
            if key in cities:
                raise StandardTableError(
                    f"{filename} [[city]] #{number} ({season.name}): name {alias!r} is "
                    f"already used by {cities[key].name}; every spelling must be unique"
                )
            cities[key] = season
    return HeatingSeasonTable(source=source, cities=MappingProxyType(cities))


def _city(entry: Mapping[str, Any], where: str, default: tuple[int, int]) -> CitySeason:
    unknown = sorted(set(entry) - _CITY_KEYS)
    if unknown:
        raise StandardTableError(f"{where}: unknown keys {unknown}; valid: {sorted(_CITY_KEYS)}")
    name = str(entry.get("name", "")).strip()
    if not name:
        raise StandardTableError(f"{where}: lacks a name")
    region = entry.get("region")
    if region not in _REGIONS:
        raise StandardTableError(
            f"{where} ({name}): region is {region!r}; use one of {list(_REGIONS)}"
        )
    has_dates = "start" in entry or "end" in entry
    start: int | None = None
    end: int | None = None
    if region == "south" and has_dates:
        raise StandardTableError(f"{where} ({name}): a southern city has no heating dates")
    if region == "north":
        start, end = default
        if has_dates:
            start = _month_day(entry.get("start"), f"{where} ({name}) start")
            end = _month_day(entry.get("end"), f"{where} ({name}) end")
    return CitySeason(
        name=name,
        region="north" if region == "north" else "south",
        start=start,
        end=end,
        status=str(entry.get("status", "unverified")),
        reference=str(entry.get("reference", "")),
    )


def _month_day(value: object, where: str) -> int:
    """Parse ``"MM-DD"`` into ``month * 100 + day``, checking that the day exists."""
    try:
        month, day = (int(part) for part in str(value).split("-"))
        pd.Timestamp(year=2000, month=month, day=day)  # 2000: leap year, 02-29 allowed
    except ValueError as exc:
        raise StandardTableError(
            f"{where}: {value!r} is not a calendar day written MM-DD (e.g. '11-15')"
        ) from exc
    return month * 100 + day


def heating_season(
    month_day: npt.NDArray[np.int64],
    city: str | pd.Series | None,
    table: HeatingSeasonTable,
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
    """Flag the rows that fall inside their city's heating season.

    Parameters
    ----------
    month_day : ndarray of int
        Local calendar day of each row as ``month * 100 + day`` (e.g. 1115).
    city : str or pandas.Series or None
        City of all rows, or of each row; missing or unknown cities are allowed.
    table : HeatingSeasonTable
        Seasons by city, from :func:`read_heating_seasons`.

    Returns
    -------
    available : ndarray of bool
        Whether the row's city is in ``table``.
    in_season : ndarray of float
        1.0 inside the season (both bound days included, seasons that cross New Year
        wrap), 0.0 outside it or in a southern city, NaN where not ``available``.

    References
    ----------
    .. [1] 《北京市供热采暖管理办法》 (Beijing, season 11-15 to 03-15), see the module
       docstring.
    """
    if isinstance(city, pd.Series):
        codes, uniques = pd.factorize(city, use_na_sentinel=True)
        seasons = [table.lookup(name) for name in uniques]
    else:
        codes = np.zeros(len(month_day), dtype=np.intp)
        seasons = [table.lookup(city)]
    # One slot per distinct city, plus a last slot for missing cities (code -1).
    known = np.array([s is not None for s in seasons] + [False], dtype=bool)
    heated = np.array([s is not None and s.start is not None for s in seasons] + [False])
    start = np.array([s.start if s and s.start else 0 for s in seasons] + [0], np.int64)
    end = np.array([s.end if s and s.end else 0 for s in seasons] + [0], np.int64)
    slot = np.where(codes < 0, len(seasons), codes)
    lo, hi = start[slot], end[slot]
    inside = np.where(
        lo <= hi,
        (month_day >= lo) & (month_day <= hi),
        (month_day >= lo) | (month_day <= hi),
    )
    available = known[slot]
    season = np.where(available, (inside & heated[slot]).astype(np.float64), np.nan)
    return available, season
