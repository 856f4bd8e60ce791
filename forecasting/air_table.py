"""Read wide hourly air-quality tables (the layout of the shared Beijing file), strictly.

The layout is one row per station-hour: ``station``, ``time`` (ISO 8601 with an explicit
UTC offset, e.g. ``2013-03-01T00:00:00+08:00``), the pollutants ``pm25``, ``pm10``,
``so2``, ``no2``, ``co``, ``o3`` and optionally the station weather ``temp``, ``pres``,
``dewp``, ``rain``, ``wd`` (16-point compass), ``wspm``. CSV (optionally gzip) or
Parquet.

Units are **declared**, never guessed: each pollutant column has a declared unit
(:data:`BEIJING_LAYOUT_UNITS` by default: all µg/m³, CO included, as the UCI file
publishes it) and is converted to ecocast's canonical units (µg/m³, CO mg/m³) here.

Every problem raises :class:`~forecasting.errors.InputDataError` naming the file, the
line (the header is line 1), the column and the value: a missing column, a timestamp
without a zone, a non-numeric or negative concentration, a duplicate station-hour.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Final

import numpy as np
import pandas as pd

from forecasting.errors import InputDataError, UnknownStandardError
from forecasting.standards.units import convert_units, normalise_unit

__all__ = [
    "BEIJING_LAYOUT_UNITS",
    "CANONICAL_UNITS",
    "POLLUTANTS",
    "parse_unit_declarations",
    "read_air_table",
]

POLLUTANTS: Final = ("pm25", "pm10", "so2", "no2", "co", "o3")
CANONICAL_UNITS: Final = MappingProxyType(
    {"pm25": "ug/m3", "pm10": "ug/m3", "so2": "ug/m3", "no2": "ug/m3", "co": "mg/m3", "o3": "ug/m3"}
)
BEIJING_LAYOUT_UNITS: Final = MappingProxyType(dict.fromkeys(POLLUTANTS, "ug/m3"))
"""Declared units of the UCI Beijing layout: every pollutant in µg/m³, CO included."""

_WEATHER: Final = MappingProxyType(
    {
        "temp": "temp_air",
        "pres": "pressure",
        "dewp": "dew_point",
        "rain": "rain",
        "wspm": "wind_speed",
    }
)
_COMPASS: Final = MappingProxyType(
    {
        name: 22.5 * k
        for k, name in enumerate(
            "N NNE NE ENE E ESE SE SSE S SSW SW WSW W WNW NW NNW".split()  # noqa: SIM905
        )
    }
)
_OFFSET = r"(?:Z|[+-]\d{2}:?\d{2})$"


def parse_unit_declarations(declarations: list[str] | None) -> dict[str, str]:
    """Parse ``VAR=UNIT`` declarations (e.g. ``co=mg/m3``) into a mapping.

    Raises
    ------
    InputDataError
        If a declaration is not of the form ``VAR=UNIT``.
    UnknownStandardError
        If the pollutant or unit is unknown; the message lists the valid ones.
    """
    units: dict[str, str] = {}
    for text in declarations or []:
        name, sep, unit = text.partition("=")
        name = name.strip().lower()
        if not sep or not unit.strip():
            raise InputDataError(f"unit declaration {text!r} is not of the form VAR=UNIT")
        if name not in POLLUTANTS:
            raise UnknownStandardError("pollutant", name, POLLUTANTS)
        units[name] = normalise_unit(unit.strip())
    return units


def _read_raw(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise InputDataError(f"{path}: no such file")
    try:
        if path.suffix == ".parquet":
            frame = pd.read_parquet(path)
            return frame.astype({c: "string" for c in frame.columns if c in ("station", "time")})
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise InputDataError(f"{path}: cannot be read as a table: {exc}") from exc


def _where(path: Path, frame: pd.DataFrame, mask: np.ndarray, column: str) -> str:
    """Describe the first flagged row: file, line, column and value."""
    first = int(np.flatnonzero(mask)[0])
    value = frame[column].iloc[first]
    more = int(mask.sum()) - 1
    tail = f" (and {more} more rows)" if more else ""
    return f"{path.name}, line {first + 2}, column {column!r}: value {value!r}{tail}"


def _parse_times(path: Path, frame: pd.DataFrame) -> pd.Series:
    text = frame["time"].astype("string")
    missing = text.isna().to_numpy()
    if missing.any():
        raise InputDataError(f"{_where(path, frame, missing, 'time')}: timestamp is missing")
    naive = ~text.str.contains(_OFFSET, regex=True).to_numpy(dtype=bool)
    if naive.any():
        raise InputDataError(
            f"{_where(path, frame, naive, 'time')}: timestamp has no time zone; write it "
            "with an explicit UTC offset, e.g. 2013-03-01T00:00:00+08:00"
        )
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
    bad = parsed.isna().to_numpy()
    if bad.any():
        raise InputDataError(f"{_where(path, frame, bad, 'time')}: not an ISO 8601 timestamp")
    offsets = text.str.extract(r"([+-]\d{2}:?\d{2}|Z)$")[0].unique()
    if len(offsets) == 1 and offsets[0] != "Z":
        return parsed.dt.tz_convert(_zone(str(offsets[0])))
    return parsed


def _zone(offset: str) -> str:
    sign, digits = offset[0], offset[1:].replace(":", "")
    return f"UTC{sign}{digits[:2]}:{digits[2:]}"


def _numeric(path: Path, frame: pd.DataFrame, column: str, *, concentration: bool) -> np.ndarray:
    text = frame[column]
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
    bad = np.isnan(values) & text.notna().to_numpy()
    if bad.any():
        raise InputDataError(f"{_where(path, frame, bad, column)}: not a number")
    if concentration:
        negative = values < 0
        if negative.any():
            raise InputDataError(
                f"{_where(path, frame, negative, column)}: a concentration cannot be negative"
            )
    return values


def read_air_table(
    path: str | Path,
    *,
    units: Mapping[str, str] | None = None,
    require: tuple[str, ...] = POLLUTANTS,
) -> pd.DataFrame:
    """Read a wide hourly air table and convert it to canonical units.

    Parameters
    ----------
    path : str or Path
        CSV (``.csv``, ``.csv.gz``) or Parquet file in the layout of the module docstring.
    units : mapping, optional
        Declared unit per pollutant column (``ug/m3``, ``mg/m3``, ``ng/m3``, ``ppb``,
        ``ppm``), overriding :data:`BEIJING_LAYOUT_UNITS`.
    require : tuple of str
        Pollutant columns that must be present.

    Returns
    -------
    pandas.DataFrame
        ``station`` (str), ``time`` (tz-aware, in the file's own offset when it has one,
        else UTC), the pollutants present [µg m⁻³; CO mg m⁻³] and the weather present,
        renamed to ecocast names: ``temp_air`` [°C], ``pressure`` [hPa], ``dew_point``
        [°C], ``rain`` [mm h⁻¹], ``wind_speed`` [m s⁻¹], ``wind_dir`` [degrees from north].
        Sorted by station and time.

    Raises
    ------
    InputDataError
        Naming the file, line, column and value, for any invalid input.
    """
    file = Path(path)
    raw = _read_raw(file)
    declared = {**BEIJING_LAYOUT_UNITS, **(units or {})}
    missing = [c for c in ("station", "time", *require) if c not in raw.columns]
    if missing:
        raise InputDataError(
            f"{file.name}: missing column(s) {', '.join(missing)}; the header has "
            f"{', '.join(map(str, raw.columns))}"
        )
    stations = raw["station"].astype("string").str.strip()
    empty = (stations.isna() | (stations == "")).to_numpy()
    if empty.any():
        raise InputDataError(f"{_where(file, raw, empty, 'station')}: station is missing")
    out: dict[str, object] = {"station": stations.astype(str), "time": _parse_times(file, raw)}
    for name in POLLUTANTS:
        if name in raw.columns:
            values = _numeric(file, raw, name, concentration=True)
            out[name] = convert_units(values, declared[name], CANONICAL_UNITS[name], name)
    for column, name in _WEATHER.items():
        if column in raw.columns:
            out[name] = _numeric(file, raw, column, concentration=False)
    if "wd" in raw.columns:
        out["wind_dir"] = raw["wd"].map(_COMPASS).astype("float64").to_numpy()
    frame = pd.DataFrame(out)
    duplicated = frame.duplicated(["station", "time"], keep=False).to_numpy()
    if duplicated.any():
        lines = (np.flatnonzero(duplicated)[:2] + 2).tolist()
        raise InputDataError(
            f"{file.name}, lines {lines[0]} and {lines[1]}: duplicate station-hour "
            f"({frame['station'].iloc[lines[0] - 2]}, {raw['time'].iloc[lines[0] - 2]})"
        )
    return frame.sort_values(["station", "time"], kind="stable").reset_index(drop=True)
