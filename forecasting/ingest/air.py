"""Air observation files: the tidy layout, the shared Beijing layout, raw UCI ``PRSA_Data_*``.

Three layouts, one row per station and hour, one column per variable:

``tidy``
    ``station``, ``time`` (or ``valid_at``) and any of the ecocast variables
    (``pm25``, ``pm10``, ``so2``, ``no2``, ``co``, ``o3``, ``temp_air``,
    ``pressure``, ``dew_point``, ``rain``, ``wind_speed``, ``wind_dir``).
    Default units are the canonical ones (CO mg m⁻³).
``beijing``
    The columns of ``shared/data/air/beijing/observations.csv.gz``:
    ``station, time, pm25, pm10, so2, no2, co, o3, temp, pres, dewp, rain, wd,
    wspm``. The layout declares CO in µg m⁻³ (the UCI unit), converted to
    mg m⁻³.
``uci``
    The raw UCI files: ``No, year, month, day, hour, PM2.5, PM10, SO2, NO2, CO,
    O3, TEMP, PRES, DEWP, RAIN, wd, WSPM, station``, naive local time; the zone
    defaults to Asia/Shanghai for this layout only. CO in µg m⁻³.

``layout="auto"`` picks ``uci`` when the header has ``No`` and ``year``,
``beijing`` when it has exactly the Beijing columns, else ``tidy``. Any
declared unit (``units={"co": "ug/m3"}``, CLI ``--unit co=ug/m3``) overrides
the layout's default. Wind direction may be a 16-point compass code (N, NNE,
…, NNW; converted to degrees from north, N = 0, clockwise) or degrees.

References
----------
.. [1] shared/data/README.md (2026-11-23), ``air/beijing/observations.csv.gz``:
   columns, units (CO µg m⁻³), local time +08:00.
.. [2] Zhang, S. et al. (2017) Cautionary tales on air-quality improvement in
   Beijing. Proc. R. Soc. A 473: 20170457 (the UCI data set).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasting.errors import UnknownStandardError
from forecasting.ingest.parsed import (
    ParsedFile,
    RejectLog,
    check_duplicates,
    check_naive_times,
    check_stations,
    file_error,
    source_id,
    tidy_observations,
)
from forecasting.ingest.reader import (
    RawTable,
    parse_numbers,
    parse_text,
    parse_times,
    read_raw_table,
)
from forecasting.ingest.units import (
    CANONICAL_UNITS,
    conversion_factor,
    parse_unit_declarations,
)

__all__ = [
    "AIR_LAYOUTS",
    "AIR_VARIABLES",
    "BEIJING_COLUMNS",
    "COMPASS_DEGREES",
    "UCI_COLUMNS",
    "AirLayout",
    "compass_to_degrees",
    "detect_air_layout",
    "parse_air_file",
]

AirLayout = Literal["tidy", "beijing", "uci"]
AIR_LAYOUTS: Final = ("tidy", "beijing", "uci")
AIR_VARIABLES: Final = (
    "pm25",
    "pm10",
    "so2",
    "no2",
    "co",
    "o3",
    "temp_air",
    "pressure",
    "dew_point",
    "rain",
    "wind_speed",
    "wind_dir",
)
BEIJING_COLUMNS: Final = (
    "station",
    "time",
    "pm25",
    "pm10",
    "so2",
    "no2",
    "co",
    "o3",
    "temp",
    "pres",
    "dewp",
    "rain",
    "wd",
    "wspm",
)
UCI_COLUMNS: Final = (
    "No",
    "year",
    "month",
    "day",
    "hour",
    "PM2.5",
    "PM10",
    "SO2",
    "NO2",
    "CO",
    "O3",
    "TEMP",
    "PRES",
    "DEWP",
    "RAIN",
    "wd",
    "WSPM",
    "station",
)
_ALIASES: Final = MappingProxyType(
    {
        "pm2.5": "pm25",
        "temp": "temp_air",
        "pres": "pressure",
        "dewp": "dew_point",
        "wd": "wind_dir",
        "wspm": "wind_speed",
    }
)
_POINTS: tuple[str, ...] = ("N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE")
_POINTS += ("S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW")
COMPASS_DEGREES: Final = MappingProxyType({p: 22.5 * i for i, p in enumerate(_POINTS)})
"""16-point compass code -> degrees from north (N = 0, clockwise, 22.5° apart)."""

_UCI_ZONE = "Asia/Shanghai"
_HOURLY_LAG = timedelta(hours=1)  # product brief: at T the stamps <= T - 1 h are known


@dataclass(frozen=True)
class _Spec:
    default_units: Mapping[str, str]
    default_tz: str | None
    time_column: str | None


_SPECS: Final = MappingProxyType(
    {
        "tidy": _Spec({}, None, None),
        "beijing": _Spec({"co": "ug/m3"}, None, "time"),
        "uci": _Spec({"co": "ug/m3"}, _UCI_ZONE, None),
    }
)


def detect_air_layout(columns: Sequence[str]) -> AirLayout:
    """Return the layout of an air file from its header (see the module docstring)."""
    names = set(columns)
    if {"No", "year"} <= names:
        return "uci"
    if names == set(BEIJING_COLUMNS):
        return "beijing"
    return "tidy"


def compass_to_degrees(
    codes: pd.Series,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Convert wind-direction cells to degrees from north.

    Parameters
    ----------
    codes : pandas.Series
        Stripped text: 16-point compass codes (any case) or numbers [degrees].

    Returns
    -------
    degrees : ndarray of float
        Direction [degrees from north]; NaN where empty or invalid.
    invalid : ndarray of bool
        Cells that are neither a compass code nor a number nor empty.

    Examples
    --------
    >>> import pandas as pd
    >>> deg, bad = compass_to_degrees(pd.Series(["N", "ene", "270", "", "X"]))
    >>> deg.tolist()[:3], bad.tolist()
    ([0.0, 67.5, 270.0], [False, False, False, False, True])
    """
    upper = codes.astype(str).str.upper()
    compass = upper.map(COMPASS_DEGREES).to_numpy(dtype=np.float64, na_value=np.nan)
    numbers = pd.to_numeric(codes.where(np.isnan(compass)), errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    empty = (codes.astype(str) == "").to_numpy()
    degrees: npt.NDArray[np.float64] = np.where(np.isnan(compass), numbers, compass).astype(
        np.float64
    )
    return degrees, np.isnan(degrees) & ~empty


def parse_air_file(
    path: str | Path,
    *,
    units: Mapping[str, str] | Sequence[str] | None = None,
    tz: str | None = None,
    layout: AirLayout | Literal["auto"] = "auto",
    stations: Collection[str] | None = None,
    strict: bool = False,
) -> ParsedFile:
    """Parse an air observation file into tidy observations in canonical units.

    Parameters
    ----------
    path : str or path-like
        CSV (``.csv``, ``.csv.gz``) or Parquet file.
    units : mapping or sequence of str, optional
        Declared units, ``{"co": "ug/m3"}`` or ``["co=ug/m3"]``; override the
        layout defaults. Source column names (``temp``) are accepted.
    tz : str, optional
        IANA zone of timestamps without an offset. Required for such stamps,
        except in the ``uci`` layout (default Asia/Shanghai).
    layout : {"auto", "tidy", "beijing", "uci"}, optional
        The file layout; ``"auto"`` detects it from the header.
    stations : collection of str, optional
        Registered station codes; any other station rejects the file.
    strict : bool, optional
        Raise on the first row-level problem instead of quarantining it.

    Returns
    -------
    ParsedFile
        Observations (QC flags 0: QC runs later), rejects and metadata. Values
        are the source values converted to canonical units [µg m⁻³, CO mg m⁻³,
        °C, hPa, mm, m s⁻¹, degrees]; nothing is clipped or filled.

    Raises
    ------
    forecasting.errors.InputDataError
        For a structural problem, naming ``FILE:LINE`` and the column (module
        :mod:`forecasting.ingest.parsed`).

    References
    ----------
    .. [1] shared/data/README.md, ``air/beijing/observations.csv.gz``.
    """
    file = Path(path)
    raw = read_raw_table(file)
    chosen: AirLayout = detect_air_layout(raw.columns) if layout == "auto" else layout
    if chosen not in AIR_LAYOUTS:
        raise UnknownStandardError("air layout", chosen, AIR_LAYOUTS)
    spec = _SPECS[chosen]
    variables = _variable_columns(raw, chosen)
    declared = {**spec.default_units, **parse_unit_declarations(units or {}, _ALIASES)}
    log = RejectLog(file)
    for line, text, reason in raw.malformed:
        log.add([line], "", [text], reason)
    station_text, no_station = parse_text(raw.column("station"))
    times, bad_time, time_column = _times(raw, chosen, tz or spec.default_tz)
    log.add(raw.lines[no_station], "station", station_text[no_station], "missing station")
    bad_time = bad_time & ~no_station
    log.add(raw.lines[bad_time], time_column, _raw_text(raw, time_column, bad_time), _TIME_REASON)
    keep = np.flatnonzero(~no_station & ~bad_time)
    lines = raw.lines[keep]
    station_text = station_text.iloc[keep].reset_index(drop=True)
    times = times.iloc[keep].reset_index(drop=True)
    check_stations(file, station_text, lines, stations, "station")
    check_duplicates(file, station_text, times, lines, time_column)
    columns: dict[str, tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]] = {}
    applied: dict[str, str] = {}
    for column, variable in variables.items():
        values = _values(raw, column, variable, keep, log)
        unit = declared.get(variable)
        if unit is not None:
            values = values * conversion_factor(variable, unit)
        applied[variable] = unit or _canonical(variable)
        columns[variable] = (values, np.zeros(values.size, dtype=np.int64))
    if strict:
        log.raise_first()
    source = source_id(file)
    return ParsedFile(
        path=file,
        source=source,
        kind="air",
        layout=chosen,
        observations=tidy_observations(station_text, times, lines, columns, source),
        rejects=log.frame(),
        rows=int(raw.table.num_rows + len(raw.malformed)),
        available_lag=_HOURLY_LAG,
        units=MappingProxyType(applied),
    )


_TIME_REASON = "invalid timestamp (expected ISO 8601, e.g. 2013-03-01T00:00:00+08:00)"


def _canonical(variable: str) -> str:
    return CANONICAL_UNITS[variable][0]


def _variable_columns(raw: RawTable, layout: AirLayout) -> dict[str, str]:
    if layout == "uci":
        missing = [c for c in UCI_COLUMNS if c not in raw.columns]
        if missing:
            raise file_error(raw.path, 1, missing[0], f"missing UCI column(s) {missing}")
        skip = {"No", "year", "month", "day", "hour", "station"}
        return {c: _ALIASES.get(c.lower(), c.lower()) for c in UCI_COLUMNS if c not in skip}
    time_names = [c for c in ("time", "valid_at") if c in raw.columns]
    if "station" not in raw.columns or len(time_names) != 1:
        raise file_error(
            raw.path,
            1,
            None,
            f"an air file needs a 'station' column and one time column ('time' or "
            f"'valid_at'); header: {', '.join(raw.columns)}",
        )
    mapping: dict[str, str] = {}
    for column in raw.columns:
        if column in ("station", time_names[0]):
            continue
        variable = _ALIASES.get(column.lower(), column.lower())
        if variable not in AIR_VARIABLES:
            raise file_error(
                raw.path,
                1,
                column,
                f"unknown air variable; known: {', '.join(AIR_VARIABLES)} "
                f"(or {', '.join(_ALIASES)})",
            )
        if variable in mapping.values():
            raise file_error(raw.path, 1, column, f"a second column for {variable!r}")
        mapping[column] = variable
    return mapping


def _times(
    raw: RawTable, layout: AirLayout, tz: str | None
) -> tuple[pd.Series, npt.NDArray[np.bool_], str]:
    if layout == "uci":
        return (*_uci_times(raw, tz or _UCI_ZONE), "year")
    column = "time" if "time" in raw.columns else "valid_at"
    times, invalid, naive = parse_times(raw.column(column), tz)
    if tz is None:
        check_naive_times(raw.path, naive, raw.lines, column)
    return times, invalid, column


def _uci_times(raw: RawTable, tz: str) -> tuple[pd.Series, npt.NDArray[np.bool_]]:
    parts = {}
    invalid = np.zeros(raw.table.num_rows, dtype=bool)
    for name in ("year", "month", "day", "hour"):
        values, bad = parse_numbers(raw.column(name))
        invalid |= bad | np.isnan(values) | (values != np.round(values))
        parts[name] = np.where(invalid, 2000, values).astype(np.int64)
    local = pd.to_datetime(pd.DataFrame(parts), errors="coerce")
    local = local.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")
    times = local.astype("datetime64[s, UTC]").mask(invalid)
    return times, invalid | times.isna().to_numpy()


def _raw_text(raw: RawTable, column: str, mask: npt.NDArray[np.bool_]) -> list[str]:
    if not mask.any():
        return []
    if column == "year":
        cols = [raw.column(c).to_pylist() for c in ("year", "month", "day", "hour")]
        rows = np.flatnonzero(mask)
        return ["-".join(str(c[i]) for c in cols) for i in rows]
    text, _ = parse_text(raw.column(column))
    return list(text[mask])


def _values(
    raw: RawTable, column: str, variable: str, keep: npt.NDArray[np.int64], log: RejectLog
) -> npt.NDArray[np.float64]:
    if variable == "wind_dir":
        text, _ = parse_text(raw.column(column))
        text = text.iloc[keep].reset_index(drop=True)
        values, invalid = compass_to_degrees(text)
        reason = "invalid wind direction (expected a 16-point compass code or degrees)"
        log.add(raw.lines[keep][invalid], column, text[invalid], reason)
        return values
    values, invalid = parse_numbers(raw.column(column))
    values, invalid = values[keep], invalid[keep]
    if invalid.any():
        text, _ = parse_text(raw.column(column))
        log.add(raw.lines[keep][invalid], column, text.iloc[keep][invalid], "not a number")
    return values
