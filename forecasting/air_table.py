"""Wide hourly air tables for computations on a file (e.g. ``ecocast aqi``), read strictly.

One parser reads every air layout: :func:`forecasting.ingest.air.parse_air_file`
(the shared Beijing layout, the raw UCI ``PRSA_Data_*`` layout, tidy tables; CSV or
Parquet), with units **declared** per column and converted to ecocast's canonical
units (µg/m³, CO mg/m³). This module reads a file through it in strict mode, so any
problem is an :class:`~forecasting.errors.InputDataError` naming the file, line,
column and value, refuses negative concentrations, and pivots the tidy observations
to one row per station-hour in the local time zone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from forecasting.config import DEFAULT_TIMEZONE
from forecasting.errors import InputDataError
from forecasting.ingest.air import parse_air_file
from forecasting.ingest.parsed import file_error

__all__ = ["POLLUTANTS", "read_air_table"]

POLLUTANTS: Final = ("pm25", "pm10", "so2", "no2", "co", "o3")


def _refuse_negative(path: Path, obs: pd.DataFrame) -> None:
    bad = (obs["value"].to_numpy() < 0) & obs["variable"].isin(POLLUTANTS).to_numpy()
    if bad.any():
        first = obs.iloc[int(np.flatnonzero(bad)[0])]
        raise file_error(
            path,
            int(first["line"]),
            str(first["variable"]),
            f"value {first['value']:g} is negative; a concentration cannot be negative "
            f"({int(bad.sum())} such value(s) in the file)",
        )


def read_air_table(
    path: str | Path,
    *,
    units: Mapping[str, str] | Sequence[str] | None = None,
    tz: str = DEFAULT_TIMEZONE,
    require: Sequence[str] = POLLUTANTS,
) -> pd.DataFrame:
    """Read an air observation file into a wide hourly frame, strictly.

    Parameters
    ----------
    path : str or Path
        CSV (``.csv``, ``.csv.gz``) or Parquet file in a layout that
        :func:`~forecasting.ingest.air.parse_air_file` reads.
    units : mapping or sequence of ``VAR=UNIT``, optional
        Declared units overriding the layout's (the Beijing and UCI layouts declare
        every pollutant in µg/m³, CO included).
    tz : str, default "Asia/Shanghai"
        IANA zone of the output ``time`` (the zone whose local dates make the days).
    require : sequence of str
        Pollutant columns that must be present.

    Returns
    -------
    pandas.DataFrame
        ``station``, ``time`` (tz-aware, in ``tz``), one column per variable present
        [µg m⁻³; CO mg m⁻³; weather in ecocast units], sorted by station and time.

    Raises
    ------
    InputDataError
        Naming the file, line, column and value: a structural or row-level problem, a
        negative concentration, or a missing pollutant column.
    """
    file = Path(path)
    parsed = parse_air_file(file, units=units, strict=True)
    obs = parsed.observations
    _refuse_negative(file, obs)
    missing = [p for p in require if p not in parsed.units]
    if missing:
        raise InputDataError(
            f"{file.name}: missing pollutant column(s) {', '.join(missing)}; "
            f"found {', '.join(sorted(parsed.units)) or 'none'}"
        )
    wide = obs.pivot(index=["station", "valid_at"], columns="variable", values="value")
    wide = wide.reindex(columns=[v for v in parsed.units if v in wide.columns]).reset_index()
    wide.columns.name = None
    wide = wide.rename(columns={"valid_at": "time"})
    wide["time"] = wide["time"].dt.tz_convert(tz)
    wide["station"] = wide["station"].astype(str)
    return wide.sort_values(["station", "time"], kind="stable").reset_index(drop=True)
