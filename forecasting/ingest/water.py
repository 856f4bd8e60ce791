"""CNEMC surface-water files (national automatic stations, daily and 4-hourly sets).

Layout ``cnemc`` (both files in ``shared/data/water``): ``station, time, temp,
ph, do, cond, turb, codmn, nh3n, tp, tn, chla, algae, wq_class, status, flags``
with times carrying ``+08:00``. Units as published: mg L⁻¹ (chl-a too), µS
cm⁻¹, NTU, cells L⁻¹, °C, pH.

What the publisher says about a value is kept as a flag beside it:

* ``status`` ``maintenance`` → ``MAINTENANCE`` on every value of the row;
  ``stopped`` / ``not_operational`` → ``STALE`` (a stopped station keeps
  showing its last reading); ``normal`` or empty → nothing. Any other status
  rejects the row (quarantine).
* ``flags`` entries ``<param>:extreme_filtered`` → a row for that parameter
  with its value (NaN where CNEMC blanked it) and ``PUBLISHER_FILTERED``: the
  blanking is recorded, not dropped.
* ``wq_class`` (I … V, ``worse_than_V``) → the variable ``wq_class_published``
  with values 1 … 6, so the published class can be compared with ecocast's
  own GB 3838 class. It is a label, not a measurement: no QC beyond its range.

Censored values (detection-limit floors) are flagged by QC
(:func:`forecasting.qc.apply_qc`), which holds the limits as data.

References
----------
.. [1] shared/data/README.md (2026-11-23), "Water: CNEMC surface-water quality":
   columns, units, status values, ``flags``, censored values, revisions.
.. [2] CNEMC, 国家地表水水质自动监测实时数据发布系统 (national surface-water automatic
   monitoring real-time release).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

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
from forecasting.ingest.units import CANONICAL_UNITS, conversion_factor, parse_unit_declarations
from forecasting.qc.flags import QcFlag

__all__ = [
    "CNEMC_COLUMNS",
    "CNEMC_PARAMETERS",
    "STATUS_FLAGS",
    "WQ_CLASS_CODES",
    "parse_water_file",
]

CNEMC_PARAMETERS: Final = MappingProxyType(
    {
        "temp": "temp_water",
        "ph": "ph",
        "do": "do",
        "cond": "cond",
        "turb": "turb",
        "codmn": "codmn",
        "nh3n": "nh3n",
        "tp": "tp",
        "tn": "tn",
        "chla": "chla",
        "algae": "algae",
    }
)
"""CNEMC column -> ecocast variable."""

CNEMC_COLUMNS: Final = ("station", "time", *CNEMC_PARAMETERS, "wq_class", "status", "flags")

STATUS_FLAGS: Final = MappingProxyType(
    {
        "": 0,
        "normal": 0,
        "maintenance": int(QcFlag.MAINTENANCE),
        "stopped": int(QcFlag.STALE),
        "not_operational": int(QcFlag.STALE),
    }
)
"""Published station status (站点情况) -> flags on every value of the row."""

WQ_CLASS_CODES: Final = MappingProxyType(
    {"I": 1.0, "II": 2.0, "III": 3.0, "IV": 4.0, "V": 5.0, "WORSE_THAN_V": 6.0}
)
"""Published water-quality class (水质类别) -> ``wq_class_published`` value."""

_FILTERED_MARK = "extreme_filtered"
# The daily set is a snapshot taken at 12:00 of the 08:00 reading (data README),
# so a reading is public about four hours after its stamp.
_WATER_LAG = timedelta(hours=4)
_TIME_REASON = "invalid timestamp (expected ISO 8601, e.g. 2021-04-01T12:00:00+08:00)"


def parse_water_file(
    path: str | Path,
    *,
    units: Mapping[str, str] | Sequence[str] | None = None,
    tz: str | None = None,
    stations: Collection[str] | None = None,
    strict: bool = False,
) -> ParsedFile:
    """Parse a CNEMC water file into tidy observations with publisher flags.

    Parameters
    ----------
    path : str or path-like
        CSV (``.csv``, ``.csv.gz``) or Parquet file in the ``cnemc`` layout.
    units : mapping or sequence of str, optional
        Declared units overriding the published ones, e.g. ``["chla=ug/L"]``
        for a source in µg L⁻¹. Source names (``temp``) are accepted.
    tz : str, optional
        IANA zone of timestamps without an offset (required for such stamps).
    stations : collection of str, optional
        Registered station codes; any other station rejects the file.
    strict : bool, optional
        Raise on the first row-level problem instead of quarantining it.

    Returns
    -------
    ParsedFile
        Observations in canonical units [mg L⁻¹, µS cm⁻¹, NTU, cells L⁻¹, °C]
        with MAINTENANCE, STALE and PUBLISHER_FILTERED set from the file.

    Raises
    ------
    forecasting.errors.InputDataError
        For a structural problem (missing column, naive times without ``tz``,
        unknown station, the same station and time twice), naming
        ``FILE:LINE`` and the column.

    References
    ----------
    .. [1] shared/data/README.md, "Water: CNEMC surface-water quality".
    """
    file = Path(path)
    raw = read_raw_table(file)
    _check_columns(raw)
    aliases = dict(CNEMC_PARAMETERS)
    declared = parse_unit_declarations(units or {}, aliases)
    log = RejectLog(file)
    for line, text, reason in raw.malformed:
        log.add([line], "", [text], reason)
    station, no_station = parse_text(raw.column("station"))
    times, bad_time, naive = parse_times(raw.column("time"), tz)
    if tz is None:
        check_naive_times(file, naive, raw.lines, "time")
    status_text, no_status = parse_text(raw.column("status"))
    status = status_text.where(~no_status, "").str.lower().map(STATUS_FLAGS)
    bad_status = status.isna().to_numpy()
    log.add(raw.lines[no_station], "station", station[no_station], "missing station")
    bad_time = bad_time & ~no_station
    log.add(raw.lines[bad_time], "time", _text(raw, "time")[bad_time], _TIME_REASON)
    bad_status = bad_status & ~no_station & ~bad_time
    valid = ", ".join(k for k in STATUS_FLAGS if k)
    reason = f"unknown status; valid: {valid}"
    log.add(raw.lines[bad_status], "status", status_text[bad_status], reason)
    keep = np.flatnonzero(~no_station & ~bad_time & ~bad_status)
    lines = raw.lines[keep]
    station = station.iloc[keep].reset_index(drop=True)
    times = times.iloc[keep].reset_index(drop=True)
    check_stations(file, station, lines, stations, "station")
    check_duplicates(file, station, times, lines, "time")
    row_flags = status.to_numpy(dtype=np.float64)[keep].astype(np.int64)
    filtered = _filtered(raw, keep, log)
    columns: dict[str, tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]] = {}
    applied: dict[str, str] = {}
    for column, variable in CNEMC_PARAMETERS.items():
        values, invalid = parse_numbers(raw.column(column))
        values, invalid = values[keep], invalid[keep]
        log.add(lines[invalid], column, _text(raw, column)[keep][invalid], "not a number")
        unit = declared.get(variable, CANONICAL_UNITS[variable][0])
        applied[variable] = unit
        flags = row_flags | np.where(filtered[column], int(QcFlag.PUBLISHER_FILTERED), 0)
        columns[variable] = (values * conversion_factor(variable, unit), flags)
    columns["wq_class_published"] = (_wq_class(raw, keep, lines, log), row_flags)
    applied["wq_class_published"] = "1"
    if strict:
        log.raise_first()
    source = source_id(file)
    return ParsedFile(
        path=file,
        source=source,
        kind="water",
        layout="cnemc",
        observations=tidy_observations(station, times, lines, columns, source),
        rejects=log.frame(),
        rows=int(raw.table.num_rows + len(raw.malformed)),
        available_lag=_WATER_LAG,
        units=MappingProxyType(applied),
    )


def _check_columns(raw: RawTable) -> None:
    missing = [c for c in CNEMC_COLUMNS if c not in raw.columns]
    extra = [c for c in raw.columns if c not in CNEMC_COLUMNS]
    if missing or extra:
        raise file_error(
            raw.path,
            1,
            (missing or extra)[0],
            f"not the CNEMC water layout: missing {missing or 'none'}, unknown "
            f"{extra or 'none'}; expected: {', '.join(CNEMC_COLUMNS)}",
        )


def _text(raw: RawTable, column: str) -> pd.Series:
    text, _ = parse_text(raw.column(column))
    return text


def _filtered(
    raw: RawTable, keep: npt.NDArray[np.int64], log: RejectLog
) -> dict[str, npt.NDArray[np.bool_]]:
    out = {c: np.zeros(keep.size, dtype=bool) for c in CNEMC_PARAMETERS}
    text = _text(raw, "flags").iloc[keep].reset_index(drop=True)
    marked = text[text != ""]
    if marked.empty:
        return out
    entries = marked.str.split(";").explode().str.strip()
    entries = entries[entries != ""]
    param = entries.str.partition(":")[0].str.strip().str.lower()
    mark = entries.str.partition(":")[2].str.strip().str.lower()
    known = param.isin(list(CNEMC_PARAMETERS)) & (mark == _FILTERED_MARK)
    rows = entries.index.to_numpy()
    for column in CNEMC_PARAMETERS:
        hit = rows[(known & (param == column)).to_numpy()]
        out[column][hit] = True
    bad = ~known.to_numpy()
    reason = (
        f"unknown flag; expected <parameter>:{_FILTERED_MARK} with a parameter of "
        f"{', '.join(CNEMC_PARAMETERS)}"
    )
    log.add(raw.lines[keep][rows[bad]], "flags", entries[bad], reason)
    return out


def _wq_class(
    raw: RawTable, keep: npt.NDArray[np.int64], lines: npt.NDArray[np.int64], log: RejectLog
) -> npt.NDArray[np.float64]:
    text, missing = parse_text(raw.column("wq_class"))
    text, missing = text.iloc[keep].reset_index(drop=True), missing[keep]
    mapped = text.str.upper().map(WQ_CLASS_CODES)
    codes = np.asarray(mapped.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)
    invalid = np.isnan(codes) & ~missing
    reason = "unknown class; valid: I, II, III, IV, V, worse_than_V"
    log.add(lines[invalid], "wq_class", text[invalid], reason)
    return codes
