"""Monitoring stations: register (upsert) and read.

A station is identified by its code (the ``station`` column everywhere in
ecocast, e.g. ``"Aotizhongxin"`` or a CNEMC code such as ``"1011A"``). Air and
water stations share one table; water stations may carry their basin, the
river or lake (``water_body``), whether that is a river or a lake
(``waterbody_type``, which selects the GB 3838-2002 limits, e.g. of total
phosphorus) and the GB 3838-2002 target class they are managed to.

Since schema revision 0002 a station also has a ``city`` and ``province``
(issuance aggregates per city), a ``met_group`` (stations whose weather comes
from one meteorological record, which features must not count as independent
evidence) and ``attrs``: a JSON object holding whatever else its station file
carries (e.g. ``cnemc_code``), so that nothing in a station file is lost.

References
----------
.. [1] GB 3838-2002 Environmental quality standards for surface water,
   clause 3 (water functional classes I-V) and 表1 (total phosphorus: rivers,
   and 湖、库 lakes and reservoirs). See ``shared/docs/standards.md`` §5.1.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from forecasting.errors import InputDataError
from forecasting.storage._validate import rows_of
from forecasting.storage.schema import NETWORKS, WATERBODY_TYPES, stations

__all__ = [
    "STATION_COLUMNS",
    "StationSummary",
    "read_stations",
    "station_ids",
    "upsert_stations",
]

Network = Literal["air", "water"]

#: Frame column -> table column; ``station`` and ``network`` are required.
STATION_COLUMNS: dict[str, str] = {
    "station": "code",
    "name": "name",
    "name_local": "name_local",
    "latitude": "latitude",
    "longitude": "longitude",
    "type": "station_type",
    "timezone": "timezone",
    "network": "network",
    "basin": "basin",
    "water_body": "water_body",
    "target_class": "target_class",
    "city": "city",
    "province": "province",
    "met_group": "met_group",
    "waterbody_type": "waterbody_type",
    "attrs": "attrs",
}
_TEXT = ("name", "name_local", "type", "basin", "water_body", "city", "province", "met_group")
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5}
_DEFAULT_TIMEZONE = "Asia/Shanghai"


@dataclass(frozen=True)
class StationSummary:
    """What :func:`upsert_stations` did.

    Attributes
    ----------
    inserted : int
        Stations that were new.
    updated : int
        Existing stations whose given columns were overwritten.
    """

    inserted: int
    updated: int


def upsert_stations(connection: Connection, frame: pd.DataFrame) -> StationSummary:
    """Insert new stations and update existing ones, matched by code.

    Parameters
    ----------
    connection : sqlalchemy.Connection
        A connection inside a write transaction.
    frame : pandas.DataFrame
        One row per station. Required: ``station`` (code) and ``network``
        (``"air"`` or ``"water"``). Optional: ``name``, ``name_local``,
        ``latitude`` [degrees north], ``longitude`` [degrees east], ``type``,
        ``timezone`` (IANA name, default ``"Asia/Shanghai"``), ``basin``,
        ``water_body`` (the river's or lake's name), ``target_class``
        (GB 3838-2002 class: 1-5 or ``"I"``-``"V"``) [1]_, ``city``,
        ``province``, ``met_group``, ``waterbody_type`` (``"river"`` or
        ``"lake"``; lake includes reservoirs, GB 3838-2002 表1 "湖、库") and
        ``attrs`` (a mapping with text keys and JSON values, or its JSON text;
        stored as a JSON object and replaced as a whole). Columns that are
        absent are left as they are for existing stations; a missing value
        (NaN, None) clears it.

    Returns
    -------
    StationSummary
        Counts of inserted and updated stations.

    Raises
    ------
    forecasting.errors.InputDataError
        Naming the column, value and rows of an invalid entry.

    References
    ----------
    .. [1] GB 3838-2002, clause 3: surface waters fall in five classes, I to V;
       表1 gives total phosphorus limits for rivers and for 湖、库 apart.
    """
    records = _station_records(frame)
    if not records:
        return StationSummary(0, 0)
    codes = [r["code"] for r in records]
    existing = set(
        connection.execute(select(stations.c.code).where(stations.c.code.in_(codes))).scalars()
    )
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    statement = insert(stations)
    given = [c for c in records[0] if c != "code"]
    statement = statement.on_conflict_do_update(
        index_elements=[stations.c.code],
        set_={c: statement.excluded[c] for c in given},
    )
    connection.execute(statement, records)
    return StationSummary(inserted=len(codes) - len(existing), updated=len(existing))


def read_stations(connection: Connection, network: Network | None = None) -> pd.DataFrame:
    """Return the registered stations, sorted by code.

    Parameters
    ----------
    connection : sqlalchemy.Connection
        An open connection.
    network : {"air", "water"}, optional
        Only the stations of this network.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`STATION_COLUMNS` (``station`` first);
        ``latitude``/``longitude`` float [degrees], ``target_class`` nullable
        ``Int64``, text columns (``waterbody_type`` included) ``str`` with NaN
        where unknown, ``attrs`` ``object``: a ``dict`` per station, ``None``
        where there is none.
    """
    query = select(*(stations.c[c].label(k) for k, c in STATION_COLUMNS.items()))
    if network is not None:
        if network not in NETWORKS:
            raise InputDataError(f"unknown network {network!r}; choose one of: air, water")
        query = query.where(stations.c.network == network)
    rows = connection.execute(query.order_by(stations.c.code)).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=list(STATION_COLUMNS))
    for column in ("station", "network", "timezone", "waterbody_type", *_TEXT):
        frame[column] = frame[column].astype("str").where(frame[column].notna())
    for column in ("latitude", "longitude"):
        frame[column] = frame[column].astype("float64")
    frame["target_class"] = frame["target_class"].astype("Int64")
    frame["attrs"] = pd.Series(
        [dict(a) if isinstance(a, Mapping) else None for a in frame["attrs"]],
        index=frame.index,
        dtype=object,
    )
    return frame


def station_ids(connection: Connection, codes: Iterable[str]) -> dict[str, int]:
    """Map station codes to their ids; unknown codes are left out."""
    wanted = list(codes)
    query = select(stations.c.code, stations.c.id).where(stations.c.code.in_(wanted))
    return {code: int(pk) for code, pk in connection.execute(query)}


def _station_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    unknown = [c for c in frame.columns if c not in STATION_COLUMNS]
    missing = [c for c in ("station", "network") if c not in frame.columns]
    if unknown or missing:
        raise InputDataError(
            f"station frame: missing column(s) {missing or 'none'}, unknown column(s) "
            f"{unknown or 'none'}; allowed: {', '.join(STATION_COLUMNS)}"
        )
    if frame.empty:
        return []
    checked = {c: _check_column(frame, c) for c in frame.columns}
    for column, values in checked.items():
        limit = getattr(stations.c[STATION_COLUMNS[column]].type, "length", None)
        if limit is not None:
            too_long = [isinstance(v, str) and len(v) > limit for v in values]
            _require(frame, column, too_long, f"text of at most {limit} characters")
    duplicated = frame["station"].duplicated(keep=False).to_numpy()
    if duplicated.any():
        raise InputDataError(f"station codes repeat at {rows_of(frame.index, duplicated)}")
    return [{STATION_COLUMNS[c]: checked[c][i] for c in frame.columns} for i in range(len(frame))]


def _check_column(frame: pd.DataFrame, column: str) -> list[Any]:
    series = frame[column]
    values = [None if _is_missing(v) else v for v in series.tolist()]
    if column in ("station", "network"):
        _require(frame, column, [v is None or not isinstance(v, str) or not v for v in values])
        if column == "network":
            _require(frame, column, [v not in NETWORKS for v in values], "air, water")
        return values
    if column in _TEXT:
        return [None if v is None else str(v) for v in values]
    if column == "timezone":
        values = [_DEFAULT_TIMEZONE if v is None else v for v in values]
        _require(frame, column, [not _is_timezone(v) for v in values], "IANA time zone names")
        return values
    if column == "waterbody_type":
        _require(frame, column, [v not in (None, *WATERBODY_TYPES) for v in values], "river, lake")
        return values
    if column == "attrs":
        return _check_attrs(frame, values)
    if column == "target_class":
        classes = [_water_class(v) for v in values]
        bad = [v is not None and c is None for v, c in zip(values, classes, strict=True)]
        _require(frame, column, bad, "1-5 or I, II, III, IV, V")
        return classes
    limit = 90.0 if column == "latitude" else 180.0
    numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)
    bad = [(v is not None and not abs(n) <= limit) for v, n in zip(values, numbers, strict=True)]
    _require(frame, column, bad, f"numbers in [-{limit:g}, {limit:g}] degrees")
    return [None if v is None else float(n) for v, n in zip(values, numbers, strict=True)]


def _check_attrs(frame: pd.DataFrame, values: list[Any]) -> list[dict[str, Any] | None]:
    """Return each ``attrs`` value as a plain JSON object (None where missing)."""
    objects: list[dict[str, Any] | None] = []
    problems: list[str] = []
    for value in values:
        obj, problem = _json_object(value)
        objects.append(obj)
        problems.append(problem)
    bad = [bool(p) for p in problems]
    if any(bad):
        first = next(p for p in problems if p)
        raise InputDataError(
            f"station column 'attrs' has an invalid value at {rows_of(frame.index, np.array(bad))}"
            f": {first}; valid: a mapping of text keys to JSON values (text, numbers, true/false,"
            " null, lists, mappings; no NaN or infinity), or its JSON text"
        )
    return objects


def _json_object(value: Any) -> tuple[dict[str, Any] | None, str]:
    """Parse or check one ``attrs`` value; return (object, "") or (None, problem)."""
    if value is None:
        return None, ""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            return None, f"text {value[:40]!r} is not JSON ({exc.msg})"
    if not isinstance(value, Mapping):
        return None, f"{value!r} is not a mapping"
    bad_keys = [k for k in value if not isinstance(k, str)]
    if bad_keys:
        return None, f"key {bad_keys[0]!r} is not text"
    try:
        text = json.dumps(dict(value), allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        return None, f"{dict(value)!r} is not JSON-serialisable ({exc})"
    parsed: dict[str, Any] = json.loads(text)
    if _has_nul(parsed):
        return None, "it holds a NUL character, which PostgreSQL cannot store"
    return parsed, ""


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _require(frame: pd.DataFrame, column: str, bad: list[bool], valid: str = "") -> None:
    mask = np.asarray(bad, dtype=bool)
    if mask.any():
        first = next(v for v, b in zip(frame[column].tolist(), bad, strict=True) if b)
        hint = f"; valid: {valid}" if valid else "; give a non-empty text"
        raise InputDataError(
            f"station column {column!r} has invalid value {first!r} at "
            f"{rows_of(frame.index, mask)}{hint}"
        )


def _is_missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _is_timezone(name: Any) -> bool:
    try:
        ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _water_class(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip().upper()
        if text in _ROMAN:
            return _ROMAN[text]
        value = text  # "3" or "3.0", as a text file gives it
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return int(number) if number in (1, 2, 3, 4, 5) else None
