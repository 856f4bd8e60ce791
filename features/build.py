"""The model matrix: one row per (station, issue time T, lead h), every feature family joined.

``valid_at = T + (h − 1) h``: lead 1 is the stamp of the issue time (product protocol).
Each family is a pure function in its own module; this module only reads the inputs
through the store and joins:

========================  ==============================================  ==========
family (prefix)           input                                           known at T
========================  ==============================================  ==========
history (``hist_``)       observations as known at T (as-of window)       yes
neighbours (``nbr_``)     the same window, other stations                 yes
calendar (``cal_``)       the valid time                                  yes
weather (``met_``)        forecast fields: latest cycle usable at T       yes
                          or station weather / analyses at the valid      **no**: labelled
                          time (perfect prognosis)                        "perfect prognosis"
emissions (``emis_``)     figures and inventories published by T          yes
========================  ==============================================  ==========

Missing inputs give NaN plus the families' ``*_available`` indicators, never an error.
Targets (:func:`read_targets`) are the latest revision of each value, read separately:
they are what is verified, never a feature.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from features.calendar import calendar_features
from features.config import POLLUTANTS, STATION_WEATHER, FeatureConfig
from features.emissions import emission_features
from features.history import history_features
from features.meteo import MET_COLUMNS, met_features, station_weather_features
from features.neighbours import neighbour_features
from features.window import read_known_history
from forecasting.qc.flags import EXCLUDE_DEFAULT
from forecasting.storage import Store

__all__ = [
    "FeatureMatrix",
    "build_feature_matrix",
    "issue_times",
    "iter_feature_matrix",
    "matrix_keys",
    "read_targets",
]

_log = logging.getLogger(__name__)
KEYS = ["station", "issued_at", "lead_h"]
ProgressFn = Callable[[int, int], None]
"""Called with (issue times done, issue times in all)."""


def issue_times(
    start: date | str, end: date | str, *, hour_local: int = 0, tz: str = "Asia/Shanghai"
) -> pd.DatetimeIndex:
    """Daily issue times from ``start`` to ``end`` inclusive, at a local hour, in UTC.

    Examples
    --------
    >>> issue_times("2015-03-01", "2015-03-02")[0]
    Timestamp('2015-02-28 16:00:00+0000', tz='UTC')
    """
    days = pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq="D")
    local = days.tz_localize(tz) + pd.Timedelta(hours=hour_local)
    return local.tz_convert("UTC")


def matrix_keys(stations: Sequence[str], issued: pd.DatetimeIndex, leads: int) -> pd.DataFrame:
    """Rows of the matrix, ordered by issue time, station and lead.

    Returns
    -------
    pandas.DataFrame
        ``station``, ``issued_at`` (UTC), ``lead_h`` (1..``leads``), ``valid_at`` (UTC).
    """
    n_i, n_s = len(issued), len(stations)
    issued_utc = issued.tz_convert("UTC")
    lead = np.tile(np.arange(1, leads + 1, dtype=np.int16), n_i * n_s)
    at = np.repeat(issued_utc.to_numpy(), n_s * leads)
    keys = pd.DataFrame(
        {
            "station": np.tile(np.repeat(np.asarray(stations, dtype=object), leads), n_i),
            "issued_at": pd.DatetimeIndex(at, tz="UTC"),
            "lead_h": lead,
        }
    )
    keys["valid_at"] = keys["issued_at"] + pd.to_timedelta(keys["lead_h"] - 1, unit="h")
    keys["station"] = keys["station"].astype(str)
    return keys


@dataclass(frozen=True)
class FeatureMatrix:
    """A model matrix and what it is made of.

    Attributes
    ----------
    frame : pandas.DataFrame
        ``station``, ``issued_at``, ``lead_h``, ``valid_at`` and the feature columns.
    feature_columns : tuple of str
        Model inputs (numeric).
    families : dict
        Family name → its columns.
    weather_label : str
        ``"none"``, ``"forecast"`` or ``"perfect prognosis"``; shown wherever skill
        figures of models trained on this matrix appear.
    provenance : dict
        Inputs: emission inventory names/versions, met datasets, store URL.
    """

    frame: pd.DataFrame
    feature_columns: tuple[str, ...]
    families: dict[str, tuple[str, ...]] = field(default_factory=dict)
    weather_label: str = "none"
    provenance: dict[str, Any] = field(default_factory=dict)


def _numeric_columns(frame: pd.DataFrame, skip: Sequence[str]) -> list[str]:
    out = []
    for column in frame.columns:
        if column in skip:
            continue
        dtype = frame[column].dtype
        if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
            out.append(column)
    return out


def _join(keys: pd.DataFrame, part: pd.DataFrame, on: list[str]) -> pd.DataFrame:
    columns = [c for c in part.columns if c not in keys.columns or c in on]
    return keys.merge(part[columns], on=on, how="left", validate="many_to_one", sort=False)


def _weather(
    store: Store,
    config: FeatureConfig,
    meta: pd.DataFrame,
    issued: pd.DatetimeIndex,
    keys: pd.DataFrame,
    met: xr.Dataset | None,
) -> pd.DataFrame | None:
    if config.weather == "none":
        return None
    if config.weather == "forecast":
        if met is None:
            _log.warning("weather source 'forecast' but no forecast fields: met features NaN")
            missing = keys[KEYS].copy()
            for column in MET_COLUMNS:
                missing[column] = np.nan
            return missing.assign(met_available=False, met_source="forecast")
        return met_features(met, meta, issued, list(range(1, config.leads + 1)))
    start = keys["valid_at"].min()
    end = keys["valid_at"].max() + pd.Timedelta(hours=1)
    weather = store.read_observations_wide(
        list(STATION_WEATHER), list(meta["station"]), start, end, exclude_flags=EXCLUDE_DEFAULT
    )
    return station_weather_features(weather, keys[KEYS])


def _chunk(
    store: Store,
    config: FeatureConfig,
    meta: pd.DataFrame,
    issued: pd.DatetimeIndex,
    *,
    met: xr.Dataset | None,
    emission_table: pd.DataFrame | None,
    inventory: xr.Dataset | None,
) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    stations = list(meta["station"])
    variables = list(POLLUTANTS) + (list(STATION_WEATHER) if config.history_weather else [])
    known = read_known_history(store, stations, variables, issued, window_h=config.history_window_h)
    keys = matrix_keys(stations, issued, config.leads)
    leads = list(range(1, config.leads + 1))
    families: dict[str, list[str]] = {}
    issue_level, lead_level = history_features(
        known,
        leads,
        lags_h=config.lags_h,
        windows_h=config.windows_h,
        diurnal_days=config.diurnal_days,
    )
    frame = _join(keys, issue_level, ["station", "issued_at"])
    frame = _join(frame, lead_level, KEYS)
    families["history"] = _numeric_columns(issue_level, KEYS) + _numeric_columns(lead_level, KEYS)
    if config.neighbours:
        nbr = neighbour_features(known, meta)
        frame = _join(frame, nbr, ["station", "issued_at"])
        families["neighbours"] = _numeric_columns(nbr, KEYS)
    if config.calendar:
        tz = meta.set_index("station")["timezone"].reindex(frame["station"]).to_numpy()
        city = (
            meta.set_index("station")["city"].reindex(frame["station"]).to_numpy()
            if "city" in meta.columns
            else None
        )
        cal = calendar_features(
            pd.DatetimeIndex(frame["valid_at"]),
            pd.Series(tz),
            pd.Series(city) if city is not None else None,
        )
        cal.index = frame.index
        frame = pd.concat([frame, cal], axis=1)
        families["calendar"] = _numeric_columns(cal, KEYS)
    weather = _weather(store, config, meta, issued, frame[KEYS + ["valid_at"]], met)
    if weather is not None:
        frame = _join(frame, weather.drop(columns=["valid_at"], errors="ignore"), KEYS)
        families["weather"] = _numeric_columns(weather, KEYS)
    if config.emissions and (emission_table is not None or inventory is not None):
        emis = emission_features(meta, issued, inventory=inventory, table=emission_table)
        frame = _join(frame, emis, ["station", "issued_at"])
        families["emissions"] = _numeric_columns(emis, KEYS)
    wide = frame.select_dtypes("float64").columns
    frame[wide] = frame[wide].astype("float32")  # model inputs: half the memory
    return frame, families


def iter_feature_matrix(
    store: Store,
    config: FeatureConfig,
    stations: pd.DataFrame,
    issued: pd.DatetimeIndex,
    *,
    met: xr.Dataset | None = None,
    emission_table: pd.DataFrame | None = None,
    inventory: xr.Dataset | None = None,
    chunk_issues: int = 400,
    progress: ProgressFn | None = None,
) -> Iterator[FeatureMatrix]:
    """Build the matrix in chunks of issue times (bounded memory at national scale).

    Parameters
    ----------
    store : Store
        Observations are read only through its as-of read path.
    config : FeatureConfig
        Families and parameters.
    stations : pandas.DataFrame
        ``station``, ``latitude``, ``longitude``, ``timezone`` and optionally ``city``
        (e.g. ``store.read_stations("air")``).
    issued : pandas.DatetimeIndex
        Issue times T (tz-aware).
    met : xarray.Dataset, optional
        Canonical forecast fields, for ``weather = "forecast"``.
    emission_table, inventory : optional
        Tabular figures and a gridded inventory (see :mod:`features.emissions`).
    chunk_issues : int
        Issue times per chunk.
    progress : callable, optional
        Called after each chunk with (done, total) issue times.

    Yields
    ------
    FeatureMatrix
        One per chunk, rows ordered by issue time, station and lead.
    """
    meta = stations.reset_index(drop=True)
    if "timezone" not in meta.columns:
        meta = meta.assign(timezone="Asia/Shanghai")
    issued = pd.DatetimeIndex(issued).tz_convert("UTC").sort_values().unique()
    label = {"none": "none", "forecast": "forecast", "perfect_prognosis": "perfect prognosis"}
    provenance: dict[str, Any] = {"store": store.url}
    if inventory is not None:
        provenance["inventory"] = {k: inventory.attrs.get(k) for k in ("name", "version")}
    if emission_table is not None:
        provenance["emission_table"] = dict(emission_table.attrs)
    for start in range(0, len(issued), chunk_issues):
        part = issued[start : start + chunk_issues]
        frame, families = _chunk(
            store, config, meta, part, met=met, emission_table=emission_table, inventory=inventory
        )
        columns = tuple(c for cols in families.values() for c in cols)
        if progress is not None:
            progress(min(start + chunk_issues, len(issued)), len(issued))
        yield FeatureMatrix(
            frame=frame,
            feature_columns=columns,
            families={k: tuple(v) for k, v in families.items()},
            weather_label=label[config.weather],
            provenance=provenance,
        )


def build_feature_matrix(
    store: Store,
    config: FeatureConfig,
    stations: pd.DataFrame,
    issued: pd.DatetimeIndex,
    **kwargs: Any,
) -> FeatureMatrix:
    """Build the whole matrix (see :func:`iter_feature_matrix` for the parameters)."""
    parts = list(iter_feature_matrix(store, config, stations, issued, **kwargs))
    if not parts:
        raise ValueError("no issue times")
    frame = pd.concat([p.frame for p in parts], ignore_index=True)
    columns = tuple(dict.fromkeys(c for p in parts for c in p.feature_columns))
    return FeatureMatrix(
        frame=frame,
        feature_columns=columns,
        families=parts[0].families,
        weather_label=parts[0].weather_label,
        provenance=parts[0].provenance,
    )


def read_targets(
    store: Store,
    keys: pd.DataFrame,
    variables: Sequence[str] = POLLUTANTS,
    *,
    exclude_flags: int = int(EXCLUDE_DEFAULT),
) -> pd.DataFrame:
    """Observed values at each row's valid time: the truth a forecast is verified against.

    The latest revision of each value (what is known now), with flagged values
    (``exclude_flags``) as NaN.

    Returns
    -------
    pandas.DataFrame
        Aligned to ``keys`` (same index): one column per variable.
    """
    start = keys["valid_at"].min()
    end = keys["valid_at"].max() + pd.Timedelta(hours=1)
    stations = sorted(keys["station"].unique())
    wide = store.read_observations_wide(
        list(variables), stations, start, end, exclude_flags=exclude_flags
    )
    merged = keys[["station", "valid_at"]].merge(
        wide, on=["station", "valid_at"], how="left", validate="many_to_one"
    )
    out = merged.reindex(columns=list(variables)).astype("float64")
    out.index = keys.index
    return out
