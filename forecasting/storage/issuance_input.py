"""Validation of a forecast run's frames at the store's boundary.

:func:`validate_run_frames` checks the hourly, daily and AQI frames of a new
run whole, before anything is written, and returns them as numpy columns
ready for a bulk insert. Every problem is reported with the frame, the
column, the offending value and (up to ten of) the index labels of the rows
that carry it. Each entity (station code or city) has one kind across the
three frames, so an entity name alone identifies it within a run.

Units are those of the frames described in
:func:`forecasting.storage.issuance.create_run`: µg/m³, CO in mg/m³.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasting.errors import InputDataError
from forecasting.storage._validate import rows_of
from forecasting.storage.schema import ENTITY_KINDS

__all__ = [
    "AIR_DAILY_VARIABLES",
    "AIR_HOURLY_VARIABLES",
    "AIR_POLLUTANTS",
    "AQI_COLUMNS",
    "DAILY_COLUMNS",
    "HOURLY_COLUMNS",
    "MAX_DAY",
    "RunFrames",
    "check_primary_pollutant",
    "validate_run_frames",
]

#: Columns of the hourly frame of a run.
HOURLY_COLUMNS = ("entity", "entity_kind", "variable", "valid_at", "lead_h", "value", "q10", "q90")
#: Columns of the daily frame of a run.
DAILY_COLUMNS = ("entity", "entity_kind", "date", "day", "variable", "value", "q10", "q90")
#: Columns of the AQI frame of a run (one row per entity-day).
AQI_COLUMNS = (
    "entity",
    "entity_kind",
    "date",
    "day",
    "aqi",
    "aqi_low",
    "aqi_high",
    "level",
    "primary_pollutant",
    "warning_level",
    "warning_scheme",
)
#: Pollutants of an air run's hourly frame and of its primary-pollutant text.
AIR_POLLUTANTS = ("pm25", "pm10", "so2", "no2", "co", "o3")
AIR_HOURLY_VARIABLES = AIR_POLLUTANTS
#: Variables of an air run's daily frame (O3 as daily maxima of 8-h and 1-h means).
AIR_DAILY_VARIABLES = ("pm25", "pm10", "so2", "no2", "co", "o3_8h_max", "o3_1h_max")
#: Days of a daily forecast are 1..MAX_DAY.
MAX_DAY = 3
_MAX_LEAD_H = 1000
_MAX_LEVEL = 6
_MAX_WARNING = 4
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_SHOWN = 10

Columns = dict[str, npt.NDArray[Any]]


@dataclass(frozen=True)
class RunFrames:
    """The validated frames of a run, as columns ready to insert.

    Attributes
    ----------
    hourly, daily, aqi : dict of str to ndarray
        One array per column of :data:`HOURLY_COLUMNS`, :data:`DAILY_COLUMNS`
        and :data:`AQI_COLUMNS`. Text is an object array of str; ``valid_at``
        is int64 seconds since the epoch [s]; ``date`` is ISO text
        ``YYYY-MM-DD``; integers are int64; values are float64 with NaN for a
        missing value.
    horizon_h : int
        Largest hourly lead, 0 without hourly rows. [h]
    """

    hourly: Columns
    daily: Columns
    aqi: Columns
    horizon_h: int


def validate_run_frames(
    kind: str, hourly: pd.DataFrame, daily: pd.DataFrame, aqi: pd.DataFrame
) -> RunFrames:
    """Check the three frames of a new run and return them as columns.

    Parameters
    ----------
    kind : {"air", "water"}
        The run's kind. Air runs accept only :data:`AIR_HOURLY_VARIABLES`
        hourly and :data:`AIR_DAILY_VARIABLES` daily; water runs accept any
        lower-case snake-case variable name.
    hourly, daily, aqi : pandas.DataFrame
        See :func:`forecasting.storage.issuance.create_run`. Other columns
        are ignored; empty frames (with the columns) are allowed.

    Returns
    -------
    RunFrames
        The validated columns.

    Raises
    ------
    forecasting.errors.InputDataError
        Naming the frame, column, value and rows: a missing column; empty,
        non-text or too long names; an unknown entity kind or variable; a
        naive or sub-second ``valid_at``; a non-integer or out-of-range
        ``lead_h``, ``day``, AQI, level or warning level; a negative,
        infinite or non-numeric value; ``q10 > q90``; ``aqi_low >
        aqi_high``; an unknown primary pollutant; a key given twice; one
        entity with two kinds, or one date with two day numbers.
    """
    hourly_columns = _hourly(kind, hourly)
    daily_columns = _daily(kind, daily)
    aqi_columns = _aqi(aqi)
    _one_kind_per_entity({"hourly": hourly_columns, "daily": daily_columns, "aqi": aqi_columns})
    _one_day_per_date({"daily": daily_columns, "aqi": aqi_columns})
    leads = hourly_columns["lead_h"]
    return RunFrames(
        hourly=hourly_columns,
        daily=daily_columns,
        aqi=aqi_columns,
        horizon_h=int(leads.max()) if leads.size else 0,
    )


def check_primary_pollutant(value: object, where: str) -> str:
    """Return a valid primary-pollutant text, or raise naming ``where``.

    The text is ``''`` (no primary pollutant, AQI ≤ 50) or pollutants of
    :data:`AIR_POLLUTANTS` joined by ``'+'``, each at most once.
    """
    if not isinstance(value, str):
        raise InputDataError(
            f"{where}: primary_pollutant must be text ('' when none); got {value!r}"
        )
    if value == "":
        return value
    parts = value.split("+")
    if any(p not in AIR_POLLUTANTS for p in parts) or len(set(parts)) != len(parts):
        raise InputDataError(
            f"{where}: primary_pollutant {value!r} is not '' or pollutants joined by '+' "
            f"from: {', '.join(AIR_POLLUTANTS)}"
        )
    return value


def _hourly(kind: str, frame: pd.DataFrame) -> Columns:
    what = "hourly frame"
    _require_columns(frame, HOURLY_COLUMNS, what)
    columns = _entity_columns(frame, what)
    columns["variable"] = _variables(frame, what, AIR_HOURLY_VARIABLES if kind == "air" else None)
    columns["valid_at"] = _epoch_seconds(frame, "valid_at", what)
    columns["lead_h"] = _integers(frame, "lead_h", what, 0, _MAX_LEAD_H)
    columns.update(_values(frame, what))
    _refuse_duplicates(frame.index, columns, ("entity", "variable", "valid_at"), what)
    return columns


def _daily(kind: str, frame: pd.DataFrame) -> Columns:
    what = "daily frame"
    _require_columns(frame, DAILY_COLUMNS, what)
    columns = _entity_columns(frame, what)
    columns["date"] = _dates(frame, what)
    columns["day"] = _integers(frame, "day", what, 1, MAX_DAY)
    columns["variable"] = _variables(frame, what, AIR_DAILY_VARIABLES if kind == "air" else None)
    columns.update(_values(frame, what))
    _refuse_duplicates(frame.index, columns, ("entity", "date", "variable"), what)
    return columns


def _aqi(frame: pd.DataFrame) -> Columns:
    what = "aqi frame"
    _require_columns(frame, AQI_COLUMNS, what)
    index = frame.index
    columns = _entity_columns(frame, what)
    columns["date"] = _dates(frame, what)
    columns["day"] = _integers(frame, "day", what, 1, MAX_DAY)
    for name in ("aqi", "aqi_low", "aqi_high"):
        columns[name] = _integers(frame, name, what, 0, None)
    columns["level"] = _integers(frame, "level", what, 1, _MAX_LEVEL)
    codes, names = _factorize_text(frame["primary_pollutant"], "primary_pollutant", what, 64, True)
    for i, name in enumerate(names):
        check_primary_pollutant(name, f"{what}, {rows_of(index, codes == i)}")
    columns["primary_pollutant"] = np.array(names, dtype=object)[codes]
    columns["warning_level"] = _integers(frame, "warning_level", what, 0, _MAX_WARNING)
    codes, names = _factorize_text(frame["warning_scheme"], "warning_scheme", what, 64, True)
    columns["warning_scheme"] = np.array(names, dtype=object)[codes]
    inverted = columns["aqi_low"] > columns["aqi_high"]
    if inverted.any():
        first = int(np.flatnonzero(inverted)[0])
        raise InputDataError(
            f"{what}: aqi_low > aqi_high (e.g. {columns['aqi_low'][first]} > "
            f"{columns['aqi_high'][first]}) at {rows_of(index, inverted)}"
        )
    _refuse_duplicates(index, columns, ("entity", "date"), what)
    return columns


def _require_columns(frame: pd.DataFrame, required: tuple[str, ...], what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise InputDataError(f"{what} must be a pandas DataFrame; got {type(frame).__name__}")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputDataError(
            f"{what} lacks column(s) {', '.join(missing)}; required: {', '.join(required)}; "
            f"found: {', '.join(map(str, frame.columns)) or 'none'}"
        )


def _factorize_text(
    column: pd.Series, name: str, what: str, max_length: int, allow_empty: bool = False
) -> tuple[npt.NDArray[np.int64], list[str]]:
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    codes = np.asarray(codes, dtype=np.int64)
    if (codes < 0).any():
        raise InputDataError(
            f"{what}: column {name!r} is missing at {rows_of(column.index, codes < 0)}"
        )
    names: list[Hashable] = list(uniques)
    bad = [
        i
        for i, n in enumerate(names)
        if not isinstance(n, str) or (not allow_empty and not n.strip())
    ]
    if bad:
        shown = [names[i] for i in bad[:_SHOWN]]
        raise InputDataError(
            f"{what}: column {name!r} must hold non-empty text; got {shown!r} at "
            f"{rows_of(column.index, np.isin(codes, bad))}"
        )
    texts = [str(n) for n in names]
    long = [i for i, n in enumerate(texts) if len(n) > max_length]
    if long:
        raise InputDataError(
            f"{what}: column {name!r} holds text longer than {max_length} characters, e.g. "
            f"{texts[long[0]][:80]!r}, at {rows_of(column.index, np.isin(codes, long))}"
        )
    return codes, texts


def _entity_columns(frame: pd.DataFrame, what: str) -> Columns:
    codes, names = _factorize_text(frame["entity"], "entity", what, 64)
    kind_codes, kinds = _factorize_text(frame["entity_kind"], "entity_kind", what, 8)
    unknown = [k for k in kinds if k not in ENTITY_KINDS]
    if unknown:
        mask = np.isin(kind_codes, [kinds.index(k) for k in unknown])
        raise InputDataError(
            f"{what}: unknown entity_kind {unknown[0]!r} at {rows_of(frame.index, mask)}; "
            f"choose one of: {', '.join(ENTITY_KINDS)}"
        )
    return {
        "entity": np.array(names, dtype=object)[codes],
        "entity_kind": np.array(kinds, dtype=object)[kind_codes],
    }


def _variables(frame: pd.DataFrame, what: str, allowed: tuple[str, ...] | None) -> npt.NDArray[Any]:
    codes, names = _factorize_text(frame["variable"], "variable", what, 64)
    if allowed is None:
        bad = [n for n in names if not _NAME.match(n)]
        hint = "use lower-case snake case such as 'dissolved_oxygen'"
    else:
        bad = [n for n in names if n not in allowed]
        hint = f"choose from: {', '.join(allowed)}"
    if bad:
        mask = np.isin(codes, [names.index(n) for n in bad])
        raise InputDataError(
            f"{what}: unknown variable {bad[0]!r} at {rows_of(frame.index, mask)}; {hint}"
        )
    return np.array(names, dtype=object)[codes]


def _epoch_seconds(frame: pd.DataFrame, name: str, what: str) -> npt.NDArray[np.int64]:
    column = frame[name]
    if not isinstance(column.dtype, pd.DatetimeTZDtype):
        raise InputDataError(
            f"{what}: column {name!r} has dtype {column.dtype}; it must hold timezone-aware "
            "datetimes (e.g. pd.date_range(..., tz='UTC'))"
        )
    naive = column.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
    missing = np.isnat(naive)
    if missing.any():
        raise InputDataError(
            f"{what}: column {name!r} is missing at {rows_of(frame.index, missing)}"
        )
    whole = naive.astype("datetime64[s]")
    fractional = whole != naive
    if fractional.any():
        raise InputDataError(
            f"{what}: column {name!r} has fractions of a second at "
            f"{rows_of(frame.index, fractional)}; round with .dt.round('s')"
        )
    return np.asarray(whole.astype(np.int64), dtype=np.int64)


def _dates(frame: pd.DataFrame, what: str) -> npt.NDArray[Any]:
    column = frame["date"]
    if pd.api.types.is_datetime64_dtype(column.dtype):  # naive datetimes at midnight
        stamps = pd.DatetimeIndex(column)
        bad = np.asarray(stamps.isna() | (stamps != stamps.normalize()))
        if bad.any():
            raise InputDataError(
                f"{what}: column 'date' must hold dates (midnight, no time zone); got "
                f"{column[bad].iloc[0]!r} at {rows_of(frame.index, bad)}"
            )
        return np.asarray(stamps.strftime("%Y-%m-%d"), dtype=object)
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    codes = np.asarray(codes, dtype=np.int64)
    bad_codes = [
        i for i, d in enumerate(uniques) if not isinstance(d, date) or isinstance(d, datetime)
    ]
    if (codes < 0).any() or bad_codes:
        mask = (codes < 0) | np.isin(codes, bad_codes)
        raise InputDataError(
            f"{what}: column 'date' must hold datetime.date values (local dates); got "
            f"{column[mask].iloc[0]!r} at {rows_of(frame.index, mask)}"
        )
    return np.array([d.isoformat() for d in uniques], dtype=object)[codes]


def _numbers(frame: pd.DataFrame, name: str, what: str) -> npt.NDArray[np.float64]:
    column = frame[name]
    if column.dtype == bool:
        raise InputDataError(f"{what}: column {name!r} holds booleans; it must be numeric")
    try:
        return np.asarray(pd.to_numeric(column, errors="raise"), dtype=np.float64)
    except (ValueError, TypeError):
        coerced = pd.to_numeric(column, errors="coerce")
        mask = np.asarray(coerced.isna() & column.notna())
        raise InputDataError(
            f"{what}: column {name!r} is not numeric at {rows_of(frame.index, mask)} "
            f"(e.g. {column[mask].iloc[0]!r})"
        ) from None


def _integers(
    frame: pd.DataFrame, name: str, what: str, low: int, high: int | None
) -> npt.NDArray[np.int64]:
    values = _numbers(frame, name, what)
    bad = ~np.isfinite(values) | (values != np.round(values)) | (values < low)
    if high is not None:
        bad |= values > high
    if bad.any():
        limits = f"{low}..{high}" if high is not None else f">= {low}"
        raise InputDataError(
            f"{what}: column {name!r} must hold integers {limits}; got "
            f"{frame[name][bad].iloc[0]!r} at {rows_of(frame.index, bad)}"
        )
    return values.astype(np.int64)


def _values(frame: pd.DataFrame, what: str) -> Columns:
    columns: Columns = {}
    for name in ("value", "q10", "q90"):
        values = _numbers(frame, name, what)
        bad = np.isinf(values) | (values < 0)
        if bad.any():
            raise InputDataError(
                f"{what}: column {name!r} must be finite and >= 0 (NaN for a missing value); "
                f"got {values[bad][0]!r} at {rows_of(frame.index, bad)}; clip model output at 0"
            )
        columns[name] = values
    crossed = columns["q10"] > columns["q90"]  # False where either is NaN
    if crossed.any():
        first = int(np.flatnonzero(crossed)[0])
        raise InputDataError(
            f"{what}: q10 > q90 (e.g. {columns['q10'][first]!r} > {columns['q90'][first]!r}) "
            f"at {rows_of(frame.index, crossed)}; sort the quantiles"
        )
    return columns


def _refuse_duplicates(index: pd.Index, columns: Columns, key: tuple[str, ...], what: str) -> None:
    keys = pd.DataFrame({k: columns[k] for k in key}, copy=False)
    duplicated = keys.duplicated(keep=False).to_numpy()
    if duplicated.any():
        first = int(np.flatnonzero(duplicated)[0])
        shown = tuple(
            pd.Timestamp(int(columns[k][first]), unit="s", tz="UTC").isoformat()
            if k == "valid_at"
            else str(columns[k][first])
            for k in key
        )
        raise InputDataError(
            f"{what}: ({', '.join(key)}) repeats, e.g. {shown} at {rows_of(index, duplicated)}; "
            "keep one row per key"
        )


def _one_kind_per_entity(frames: dict[str, Columns]) -> None:
    seen: dict[str, tuple[str, str]] = {}
    for frame_name, columns in frames.items():
        pairs = pd.DataFrame(
            {"entity": columns["entity"], "kind": columns["entity_kind"]}, copy=False
        ).drop_duplicates()
        for entity, kind in zip(pairs["entity"], pairs["kind"], strict=True):
            first = seen.setdefault(entity, (kind, frame_name))
            if first[0] != kind:
                raise InputDataError(
                    f"entity {entity!r} is a {first[0]!r} in the {first[1]} frame and a "
                    f"{kind!r} in the {frame_name} frame; give each entity one kind "
                    "(a city and a station may not share a name)"
                )


def _one_day_per_date(frames: dict[str, Columns]) -> None:
    seen: dict[str, tuple[int, str]] = {}
    for frame_name, columns in frames.items():
        pairs = pd.DataFrame(
            {"date": columns["date"], "day": columns["day"]}, copy=False
        ).drop_duplicates()
        for day_date, day in zip(pairs["date"], pairs["day"], strict=True):
            first = seen.setdefault(day_date, (int(day), frame_name))
            if first[0] != int(day):
                raise InputDataError(
                    f"date {day_date} is day {first[0]} in the {first[1]} frame and day "
                    f"{int(day)} in the {frame_name} frame; one date has one day number"
                )
