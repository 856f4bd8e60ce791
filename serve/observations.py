"""Recent observations of a station with their real-time AQI (HJ 633).

The real-time AQI of an hour needs the trailing 24 hours (PM and SO2 24-h
moving means of HJ 633—2012 §5.1.4) and 8 hours (O3 8-h moving mean), so the
window is read with 23 hours of history before it, computed by
:func:`forecasting.aqi.hourly_aqi`, and cut back. Values that quality control
excludes by default (:data:`forecasting.qc.flags.EXCLUDE_DEFAULT`) are left
out, as in the forecasts' features.

References
----------
.. [1] HJ 633—2012 §5.1.4 and HJ 633—2026 §4.2.3 (real-time indicators);
   GB 3095—2026 表4 (validity of moving means).
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import numpy as np
import pandas as pd

from forecasting.aqi import hourly_aqi
from forecasting.qc.flags import EXCLUDE_DEFAULT
from forecasting.storage import Store
from serve.schemas import ObservationItem, Observations

__all__ = ["AIR_POLLUTANTS", "HISTORY_H", "recent_observations"]

AIR_POLLUTANTS: Final = ("pm25", "pm10", "so2", "no2", "co", "o3")
"""Pollutants reported [µg/m³; CO mg/m³]."""
HISTORY_H: Final = 23
"""Hours read before the window for the 24-h moving means [h]."""


def _num(value: float) -> float | None:
    """Return a concentration to 6 significant digits (drops conversion noise), None if NaN."""
    return None if np.isnan(value) else float(f"{value:.6g}")


def recent_observations(
    store: Store, station: str, timezone: str, start: dt.datetime, end: dt.datetime
) -> Observations:
    """Return the hourly observations of ``station`` in ``[start, end)`` with their AQI.

    Parameters
    ----------
    store : Store
        The store.
    station : str
        A registered air station.
    timezone : str
        The station's IANA zone (its local dates choose the HJ 633 edition).
    start, end : datetime
        The window [UTC]; ``start`` inclusive, ``end`` exclusive.

    Returns
    -------
    Observations
        One item per hour that has any observation.
    """
    history = start - dt.timedelta(hours=HISTORY_H)
    wide = store.read_observations_wide(
        list(AIR_POLLUTANTS), [station], history, end, exclude_flags=int(EXCLUDE_DEFAULT)
    )
    if wide.empty:
        return Observations(station=station, start=start, end=end, items=[])
    for pollutant in AIR_POLLUTANTS:
        if pollutant not in wide.columns:
            wide[pollutant] = np.nan
    frame = wide.rename(columns={"valid_at": "time"})
    frame["time"] = frame["time"].dt.tz_convert(timezone)
    indexed = hourly_aqi(frame.loc[:, ["station", "time", *AIR_POLLUTANTS]])
    merged = frame.merge(
        indexed[["station", "time", "aqi", "level", "primary"]],
        on=["station", "time"],
        how="left",
        validate="one_to_one",
    )
    merged = merged.loc[merged["time"] >= pd.Timestamp(start)]
    times = pd.DatetimeIndex(merged["time"]).tz_convert("UTC").to_pydatetime()
    values = {p: [_num(v) for v in merged[p].to_numpy(dtype=np.float64)] for p in AIR_POLLUTANTS}
    aqi = merged["aqi"].to_numpy(dtype=np.float64, na_value=np.nan)
    level = merged["level"].to_numpy(dtype=np.float64, na_value=np.nan)
    primary = [None if pd.isna(v) else str(v) for v in merged["primary"].tolist()]
    items = [
        ObservationItem(
            valid_at=time,
            **{p: values[p][i] for p in AIR_POLLUTANTS},
            aqi=None if np.isnan(aqi[i]) else int(aqi[i]),
            level=None if np.isnan(level[i]) or level[i] == 0 else int(level[i]),
            primary_pollutant=primary[i],
        )
        for i, time in enumerate(times)
    ]
    return Observations(station=station, start=start, end=end, items=items)
