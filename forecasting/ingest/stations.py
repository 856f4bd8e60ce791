"""Station files → the store's station frame.

Three layouts are recognised from the header:

``beijing_air``
    ``shared/data/air/beijing/stations.csv``: ``station``, ``name_zh``,
    ``latitude``, ``longitude``, ``type``, … ``met_group``. Kept: code, name
    (the UCI site name), Chinese name, KDD Cup coordinates (the README says to
    use them for 2013-2018), type. The CNEMC code, second coordinate source and
    met group have no column in the store yet and are not stored.
``cnemc_water``
    ``shared/data/water/*/stations.csv``: ``station``, ``name_zh``,
    ``basin_en``, ``river_or_lake_zh``, ``latitude``, ``longitude``,
    ``target_class``, …. Kept: code, Chinese name, basin (English), river or
    lake, coordinates and target class where given.
``ecocast``
    Columns named as the store names them (``station``, ``network``,
    ``name``, ``latitude``, …; see ``forecasting.storage.STATION_COLUMNS``).

A column that is empty in the whole file is left out, so that a file which
lacks some information (the 4-hourly water list has no river names) does not
erase what an earlier file registered.

References
----------
.. [1] shared/data/README.md (2026-11-23), ``air/beijing/stations.csv`` and the
   water ``stations.csv`` columns.
"""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Final, Literal

import numpy as np
import pandas as pd

from forecasting.errors import InputDataError, UnknownStandardError
from forecasting.ingest.parsed import file_error
from forecasting.ingest.reader import parse_numbers, parse_text, read_raw_table

__all__ = [
    "STATION_FRAME_COLUMNS",
    "STATION_LAYOUTS",
    "detect_station_layout",
    "read_station_file",
]

StationLayout = Literal["beijing_air", "cnemc_water", "ecocast"]
Network = Literal["air", "water"]
STATION_LAYOUTS: Final = ("beijing_air", "cnemc_water", "ecocast")
STATION_FRAME_COLUMNS: Final = (
    "station",
    "name",
    "name_local",
    "latitude",
    "longitude",
    "type",
    "timezone",
    "network",
    "basin",
    "water_body",
    "target_class",
)
"""Columns the store accepts (``forecasting.storage.STATION_COLUMNS``)."""

_RENAMES: Final = MappingProxyType(
    {
        "beijing_air": MappingProxyType(
            {
                "station": "station",
                "name_zh": "name_local",
                "latitude": "latitude",
                "longitude": "longitude",
                "type": "type",
            }
        ),
        "cnemc_water": MappingProxyType(
            {
                "station": "station",
                "name_zh": "name_local",
                "basin_en": "basin",
                "river_or_lake_zh": "water_body",
                "latitude": "latitude",
                "longitude": "longitude",
                "target_class": "target_class",
            }
        ),
    }
)
_NETWORK: Final = MappingProxyType({"beijing_air": "air", "cnemc_water": "water"})
_NUMERIC = ("latitude", "longitude")


def detect_station_layout(columns: tuple[str, ...] | list[str]) -> StationLayout:
    """Return the layout of a station file from its header.

    Raises
    ------
    forecasting.errors.InputDataError
        When the header matches no layout (the message lists what each needs).
    """
    names = set(columns)
    if {"station", "name_zh", "latitude", "longitude", "type", "met_group"} <= names:
        return "beijing_air"
    if {"station", "name_zh", "basin_zh", "basin_en", "in_4h_set"} <= names:
        return "cnemc_water"
    if "station" in names and names <= set(STATION_FRAME_COLUMNS):
        return "ecocast"
    raise InputDataError(
        f"unknown station file layout (header: {', '.join(columns)}); expected the shared "
        "Beijing air stations.csv, a CNEMC water stations.csv, or columns among "
        f"{', '.join(STATION_FRAME_COLUMNS)}"
    )


def read_station_file(path: str | Path, *, network: Network | None = None) -> pd.DataFrame:
    """Read a station file into the frame ``Store.upsert_stations`` takes.

    Parameters
    ----------
    path : str or path-like
        CSV or Parquet station list.
    network : {"air", "water"}, optional
        Network of the stations, needed for an ``ecocast``-layout file without
        a ``network`` column; the shared layouts imply theirs.

    Returns
    -------
    pandas.DataFrame
        Columns among :data:`STATION_FRAME_COLUMNS` (``station`` and
        ``network`` always); latitude and longitude [degrees]; the index is
        the source line, so the store's errors name lines.

    Raises
    ------
    forecasting.errors.InputDataError
        For an unknown layout, a missing or repeated station code, or a
        coordinate that is not a number, naming ``FILE:LINE``.
    """
    file = Path(path)
    raw = read_raw_table(file)
    if raw.malformed:
        line, _, reason = raw.malformed[0]
        raise file_error(file, line, None, reason)
    layout = detect_station_layout(raw.columns)
    renames = _RENAMES.get(layout, {c: c for c in raw.columns})
    frame = pd.DataFrame(index=pd.Index(raw.lines, name="line"))
    for source, target in renames.items():
        text, missing = parse_text(raw.column(source))
        if target in _NUMERIC:
            values, invalid = parse_numbers(raw.column(source))
            if invalid.any():
                first = int(np.flatnonzero(invalid)[0])
                raise file_error(
                    file, int(raw.lines[first]), source, f"{text[first]!r} is not a number"
                )
            frame[target] = values
        else:
            frame[target] = text.where(~missing).to_numpy()
    frame = frame.loc[:, [c for c in frame.columns if c == "station" or frame[c].notna().any()]]
    if layout == "beijing_air":
        frame.insert(1, "name", frame["station"])
    frame["network"] = _network(frame, layout, network, file)
    _check_codes(frame, file)
    return frame


def _network(
    frame: pd.DataFrame, layout: StationLayout, network: Network | None, file: Path
) -> str | pd.Series:
    implied = _NETWORK.get(layout)
    if network is not None and network not in ("air", "water"):
        raise UnknownStandardError("network", network, ("air", "water"))
    if implied is not None:
        if network is not None and network != implied:
            raise InputDataError(
                f"{file}: the {layout} layout holds {implied} stations, not {network}"
            )
        return implied
    if "network" in frame.columns:
        return frame["network"]
    if network is None:
        raise InputDataError(
            f"{file}: say which network the stations belong to: a 'network' column or "
            "--network air|water"
        )
    return network


def _check_codes(frame: pd.DataFrame, file: Path) -> None:
    codes = frame["station"]
    missing = codes.isna().to_numpy()
    if missing.any():
        raise file_error(file, int(frame.index[missing][0]), "station", "missing station code")
    repeated = codes.duplicated(keep="first").to_numpy()
    if repeated.any():
        line = int(frame.index[repeated][0])
        code = codes.loc[line]
        first = int(frame.index[(codes == code).to_numpy()][0])
        raise file_error(file, line, "station", f"station {code!r} repeats line {first}")
