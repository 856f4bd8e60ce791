"""Nixtla's long frame (``unique_id``, ``ds``, ``y``) built from protocol data, and back.

Both Nixtla peers take series in the long layout ``unique_id, ds, y`` with a regular hourly
``ds`` and no missing ``y``. Training series are one per station; at forecast time each
(station, issue) history is its own series (``station|YYYYmmddHH``), so that the issues of a
run are predicted in one call while each still sees only its own history (cut at T − 1 h).
``ds`` is naive local time (Asia/Shanghai wall clock, which has no DST).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from benchmarks.peers.protocol import ONE_HOUR, TZ, WEATHER

__all__ = ["issue_ids", "raw_lookup", "series_frame", "split_ids"]

_SEP: Final = "|"
_STAMP: Final = "%Y%m%d%H"


def issue_ids(station: pd.Series, issued_at: pd.Series | None) -> pd.Series:
    """Series id: the station for training, ``station|YYYYmmddHH`` for one issue's history."""
    names: pd.Series = station.astype(str)
    if issued_at is None:
        return names
    stamps: pd.Series = issued_at.dt.tz_convert(TZ).dt.strftime(_STAMP)
    return names + _SEP + stamps


def split_ids(unique_id: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Invert :func:`issue_ids`: the station and the tz-aware issue time of each id."""
    parts = unique_id.astype(str).str.split(_SEP, n=1, expand=True, regex=False)
    issued = pd.to_datetime(parts[1], format=_STAMP).dt.tz_localize(TZ)
    return parts[0].astype(str), issued


def series_frame(
    frame: pd.DataFrame, variable: str, *, with_weather: bool, per_issue: bool
) -> pd.DataFrame:
    """mlforecast's long frame (``unique_id``, ``ds``, ``y`` [, weather]) of one variable.

    Parameters
    ----------
    frame : pandas.DataFrame
        Filled observations (:func:`~benchmarks.peers.protocol.fill_inputs`) or an
        :class:`~benchmarks.peers.protocol.IssueBatch` history.
    variable : str
        The pollutant that becomes ``y``.
    with_weather : bool
        Keep the :data:`~benchmarks.peers.protocol.WEATHER` columns as dynamic features.
    per_issue : bool
        One series per (station, issue) (``frame`` has ``issued_at``) instead of per station.

    Returns
    -------
    pandas.DataFrame
        ``ds`` is naive local time (Asia/Shanghai wall clock). Rows before a series' first known
        value are dropped (after forward filling these are the only missing targets), so every
        series is gap-free.
    """
    issued = frame["issued_at"] if per_issue else None
    out = pd.DataFrame(
        {
            "unique_id": issue_ids(frame["station"], issued).to_numpy(),
            "ds": frame["time"].dt.tz_convert(TZ).dt.tz_localize(None).to_numpy(),
            "y": frame[variable].to_numpy(dtype=float),
        }
    )
    if with_weather:
        for column in WEATHER:
            out[column] = frame[column].to_numpy(dtype=float)
    out = out.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
    return out[out["y"].notna()].reset_index(drop=True)


def raw_lookup(
    raw: pd.DataFrame, variable: str, unique_id: pd.Series, ds: pd.Series, offset_h: int
) -> np.ndarray:
    """Raw (unfilled) ``variable`` of station ``unique_id`` at ``ds`` + ``offset_h``.

    NaN where the observation is missing or outside ``raw``; used for the training targets
    so that filled values are never learnt as truth.
    """
    local = raw["time"].dt.tz_convert(TZ).dt.tz_localize(None)
    origin = local.min()
    stations = pd.Index(sorted(raw["station"].unique()))
    n_hours = int((local.max() - origin) / ONE_HOUR) + 1
    table = np.full((n_hours, len(stations)), np.nan)
    rows = ((local - origin) // ONE_HOUR).to_numpy(dtype=np.int64)
    table[rows, stations.get_indexer(raw["station"])] = raw[variable].to_numpy(dtype=float)
    pos = ((pd.DatetimeIndex(ds) - origin) // ONE_HOUR).to_numpy(dtype=np.int64) + offset_h
    col = stations.get_indexer(unique_id)
    inside = (pos >= 0) & (pos < n_hours) & (col >= 0)
    out = np.full(len(pos), np.nan)
    out[inside] = table[pos[inside], col[inside]]
    return out
