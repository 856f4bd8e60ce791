"""Station files → the store's station frame.

Three layouts are recognised from the header:

``beijing_air``
    ``shared/data/air/beijing/stations.csv``: ``station``, ``name_zh``,
    ``latitude``, ``longitude``, ``type``, … ``met_group``. Kept: code, name
    (the UCI site name), Chinese name, KDD Cup coordinates (the README says to
    use them for 2013-2018), type and met group (stations sharing one weather
    record). The file has no city column: all 12 UCI sites are in Beijing, so
    the city defaults to ``"Beijing"`` (北京; :data:`DEFAULT_CITY`), which the
    ``city`` argument (``--city``) replaces.
``cnemc_water``
    ``shared/data/water/*/stations.csv``: ``station``, ``name_zh``,
    ``province_zh``, ``basin_en``, ``city_zh``, ``river_or_lake_zh``,
    ``latitude``, ``longitude``, ``target_class``, …. Kept: code, Chinese
    name, province, basin (English), city, river or lake, coordinates and
    target class where given, and the water body type (river or lake): an
    explicit ``waterbody_type`` column wins, else it is derived from the river
    or lake name by :func:`forecasting.ingest.waterbody.derive_waterbody_type`.
``ecocast``
    Columns named as the store names them (``station``, ``network``,
    ``name``, ``latitude``, …, ``attrs`` as JSON text; see
    ``forecasting.storage.STATION_COLUMNS``), taken as they are.

In the two shared layouts every other column (``cnemc_code``, the second
coordinate source and its offset, ``basin_zh``, ``aliases_zh``, …) goes into
the station's ``attrs`` (see :func:`attrs_from_columns`), so nothing in a
station file is dropped; a column named as the store names it (e.g. ``city``)
is taken as it is. A derived water body type notes its origin in
``attrs["waterbody_type_source"]``.

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
from typing import Any, Final, Literal

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from forecasting.errors import InputDataError, UnknownStandardError
from forecasting.ingest.parsed import file_error
from forecasting.ingest.reader import RawTable, parse_numbers, parse_text, read_raw_table
from forecasting.ingest.waterbody import (
    WaterbodyRules,
    default_waterbody_rules,
    derive_waterbody_type,
)

__all__ = [
    "DEFAULT_CITY",
    "STATION_FRAME_COLUMNS",
    "STATION_LAYOUTS",
    "attrs_from_columns",
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
    "city",
    "province",
    "met_group",
    "waterbody_type",
    "attrs",
)
"""Columns the store accepts (``forecasting.storage.STATION_COLUMNS``)."""

DEFAULT_CITY: Final = MappingProxyType({"beijing_air": "Beijing"})
"""City of the stations of a layout whose file has no city (the 12 UCI sites: 北京)."""

_RENAMES: Final = MappingProxyType(
    {
        "beijing_air": MappingProxyType(
            {
                "station": "station",
                "name_zh": "name_local",
                "latitude": "latitude",
                "longitude": "longitude",
                "type": "type",
                "met_group": "met_group",
            }
        ),
        "cnemc_water": MappingProxyType(
            {
                "station": "station",
                "name_zh": "name_local",
                "province_zh": "province",
                "basin_en": "basin",
                "city_zh": "city",
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
_BOOLEAN: Final = MappingProxyType({"true": True, "false": False})
_LEADING_ZERO = r"^\s*[-+]?0\d"


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


def read_station_file(
    path: str | Path,
    *,
    network: Network | None = None,
    city: str | None = None,
    waterbody_rules: WaterbodyRules | None = None,
) -> pd.DataFrame:
    """Read a station file into the frame ``Store.upsert_stations`` takes.

    Parameters
    ----------
    path : str or path-like
        CSV or Parquet station list.
    network : {"air", "water"}, optional
        Network of the stations, needed for an ``ecocast``-layout file without
        a ``network`` column; the shared layouts imply theirs.
    city : str, optional
        City of the stations whose file row gives none (``--city``). Default:
        the layout's :data:`DEFAULT_CITY` (``"Beijing"`` for ``beijing_air``),
        else none.
    waterbody_rules : WaterbodyRules, optional
        Rules deriving river or lake for ``cnemc_water`` rows without an
        explicit ``waterbody_type``. Default: the packaged
        ``waterbody_types.toml``.

    Returns
    -------
    pandas.DataFrame
        Columns among :data:`STATION_FRAME_COLUMNS` (``station`` and
        ``network`` always); latitude and longitude [degrees]; ``attrs`` a
        ``dict`` per station (None where it has nothing else); the index is
        the source line, so the store's errors name lines.

    Raises
    ------
    forecasting.errors.InputDataError
        For an unknown layout, a missing or repeated station code, a
        coordinate that is not a number or an empty ``city``, naming
        ``FILE:LINE``.
    """
    file = Path(path)
    if city is not None and not city.strip():
        raise InputDataError(f"{file}: the city must be a non-empty name, e.g. Beijing")
    raw = read_raw_table(file)
    if raw.malformed:
        line, _, reason = raw.malformed[0]
        raise file_error(file, line, None, reason)
    layout = detect_station_layout(raw.columns)
    renames = _renames(layout, raw.columns)
    frame = pd.DataFrame(index=pd.Index(raw.lines, name="line"))
    for source, target in renames.items():
        frame[target] = _column(raw, source, target, file)
    if layout != "ecocast":
        extra = [c for c in raw.columns if c not in renames]
        frame["attrs"] = attrs_from_columns(raw, extra)
    if layout == "beijing_air":
        frame.insert(1, "name", frame["station"])
    _fill_city(frame, city if city is not None else DEFAULT_CITY.get(layout))
    if layout == "cnemc_water":
        _fill_waterbody_type(frame, waterbody_rules or default_waterbody_rules())
    frame = frame.loc[:, [c for c in frame.columns if c == "station" or frame[c].notna().any()]]
    frame["network"] = _network(frame, layout, network, file)
    frame = frame.loc[:, [c for c in STATION_FRAME_COLUMNS if c in frame.columns]]
    _check_codes(frame, file)
    return frame


def attrs_from_columns(raw: RawTable, columns: list[str]) -> pd.Series:
    """Collect some columns of a file into one JSON object per row.

    Parameters
    ----------
    raw : forecasting.ingest.reader.RawTable
        The file.
    columns : list of str
        The columns to collect, in file order.

    Returns
    -------
    pandas.Series
        ``object``: per row a ``dict`` of column → value, or None when every
        one of the columns is empty in that row. Empty cells are left out. A
        column whose values are all ``True``/``False`` (any case) gives
        booleans; a column whose values are all numbers gives floats, unless
        one has a leading zero (``"0123"``: a code, kept as text); any other
        column gives its text as written (stripped).
    """
    index = pd.Index(raw.lines, name="line")
    if not columns:
        return pd.Series([None] * len(index), index=index, dtype=object)
    values = [_typed(raw.column(name)) for name in columns]
    rows = [
        {k: v for k, v in zip(columns, cells, strict=True) if v is not None} or None
        for cells in zip(*values, strict=True)
    ]
    return pd.Series(rows, index=index, dtype=object)


def _typed(column: Any) -> list[Any]:
    text, missing = parse_text(column)
    present = ~missing
    lowered = text.str.lower()
    if present.any() and lowered[present].isin(list(_BOOLEAN)).all():
        return [None if m else _BOOLEAN[t] for t, m in zip(lowered, missing, strict=True)]
    numbers, invalid = parse_numbers(column)
    matches = pc.match_substring_regex(pc.cast(column, "string"), _LEADING_ZERO)
    coded = np.asarray(pc.fill_null(matches, False), dtype=bool)
    if present.any() and not invalid.any() and not np.any(coded[present]):
        return [None if m else float(n) for n, m in zip(numbers, missing, strict=True)]
    return [None if m else str(t) for t, m in zip(text, missing, strict=True)]


def _renames(layout: StationLayout, columns: tuple[str, ...]) -> dict[str, str]:
    """Source column → frame column, for the columns present in the file."""
    if layout == "ecocast":
        return {c: c for c in columns}
    mapped = {s: t for s, t in _RENAMES[layout].items() if s in columns}
    taken = set(mapped.values())
    named = {c: c for c in columns if c in STATION_FRAME_COLUMNS and c not in taken}
    named.pop("attrs", None)  # a shared layout's attrs are its other columns
    return mapped | named


def _column(raw: RawTable, source: str, target: str, file: Path) -> Any:
    text, missing = parse_text(raw.column(source))
    if target not in _NUMERIC:
        return text.where(~missing).to_numpy()
    values, invalid = parse_numbers(raw.column(source))
    if invalid.any():
        first = int(np.flatnonzero(invalid)[0])
        raise file_error(file, int(raw.lines[first]), source, f"{text[first]!r} is not a number")
    return values


def _fill_city(frame: pd.DataFrame, city: str | None) -> None:
    """Give ``city`` to the rows without one (in place)."""
    if city is None:
        return
    if "city" not in frame.columns:
        frame["city"] = None
    frame["city"] = frame["city"].astype(object).where(frame["city"].notna(), city.strip())


def _fill_waterbody_type(frame: pd.DataFrame, rules: WaterbodyRules) -> None:
    """Derive river or lake where the file gives no type (in place); note the origin."""
    given = frame.get("waterbody_type", pd.Series(None, index=frame.index, dtype=object))
    explicit = given.notna().to_numpy()
    derived = derive_waterbody_type(frame["station"], frame.get("water_body"), rules=rules)
    noted = ~explicit & derived.notna().to_numpy()
    override = frame["station"].isin(list(rules.overrides)).to_numpy()
    how = np.where(override, "station override", "river or lake name")
    note = f"{rules.source} {rules.version}: "
    attrs = [
        (a or {}) | {"waterbody_type_source": note + h} if n else a
        for a, n, h in zip(frame["attrs"], noted, how, strict=True)
    ]
    frame["waterbody_type"] = given.astype(object).where(explicit, derived)
    frame["attrs"] = pd.Series(attrs, index=frame.index, dtype=object)


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
