"""The daily air forecast run: a draft from the champion models, never a silent gap.

:func:`issue_air_run` makes the draft that forecasters review (issue 6):

* per station: hourly forecasts with q10/q90 for the six pollutants from the issue time
  to the end of the third full local day after it (80 leads from 16:00; HJ 633—2026
  §5.1: the next 3 days, not counting today, public before 20:00);
* per station and per city (the mean of its stations' concentrations): daily values,
  AQI with its range (the AQI of the q10 and q90 paths), level and primary pollutant by
  the HJ 633 edition of each date;
* warning levels under the configured scheme (:func:`forecasting.standards.early_warning.
  assess_warnings`), on each day of the triggering episode;
* the model versions, standard editions, data cut-off and input availability.

Degraded, never crashed: a target without a registered champion is forecast by
persistence fitted on the last weeks of data (the climatology of those weeks where a
station has no recent value; reason recorded); observations older than
``stale_after_h`` before the issue, or a weather source without fields, flag the run
degraded with the reason; a row the model leaves NaN takes the network median.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from features.build import build_feature_matrix, read_targets
from forecasting.errors import ForecastingError, InputDataError
from forecasting.pipeline.air_models import observation_span
from forecasting.pipeline.daily import daily_from_hourly, first_full_day
from forecasting.pipeline.experiment import ExperimentConfig
from forecasting.pipeline.inputs import RunInputs
from forecasting.standards.aqi_hj633_standard import edition_for_dates
from forecasting.standards.early_warning import assess_warnings
from forecasting.standards.warning_schemes import DEFAULT_WARNING_SCHEME, load_warning_scheme
from forecasting.storage import Store
from forecasting.storage.issuance import RunInfo
from models.baselines import Climatology, Persistence

__all__ = ["IssueResult", "ModelLoader", "Predictor", "issue_air_run", "leads_to_day3"]

_log = logging.getLogger(__name__)
STALE_AFTER_H = 6
"""Observations older than this before the issue time make the run degraded [h]."""
_FALLBACK_DAYS = 28


class Predictor(Protocol):
    """Anything with ``predict(frame) -> value, q10, q90`` (a pyfunc or an estimator)."""

    def predict(self, X: pd.DataFrame) -> pd.DataFrame:  # noqa: D102
        ...


ModelLoader = Callable[[str], tuple[Predictor, str]]
"""target → (model, version label); raises ForecastingError when there is none."""


@dataclass(frozen=True)
class IssueResult:
    """A stored draft and how long it took."""

    run: RunInfo
    seconds: float
    hourly_rows: int


def leads_to_day3(issued_at: pd.Timestamp, tz: str, days: int = 3) -> int:
    """Hourly leads from the issue time to the end of the last forecast day.

    Examples
    --------
    >>> leads_to_day3(pd.Timestamp("2026-11-23 16:00", tz="Asia/Shanghai"), "Asia/Shanghai")
    80
    >>> leads_to_day3(pd.Timestamp("2026-11-23 00:00", tz="Asia/Shanghai"), "Asia/Shanghai")
    72
    """
    first = first_full_day(pd.Series([issued_at]), tz).iloc[0]
    end = pd.Timestamp(first).tz_localize(tz) + pd.Timedelta(days=days)
    return int((end - issued_at.tz_convert(tz)) / pd.Timedelta(hours=1))


def _fallback_model(
    store: Store,
    experiment: ExperimentConfig,
    stations: pd.DataFrame,
    target: str,
    at: pd.Timestamp,
    latest: pd.Timestamp | None,
) -> Predictor:
    """Fit persistence with residual quantiles on the last weeks (no registered model).

    The weeks end four days before the issue, moved back by whole days to the latest
    observation when the store has stopped receiving data, so a stale store still fits.
    A row without a value in its history window (persistence has nothing to persist)
    takes the climatology of the same weeks, so the fallback never leaves a gap.
    """
    stale_days = 0 if latest is None else max(0, (at - latest) // pd.Timedelta(days=1))
    end = at - pd.Timedelta(days=4 + stale_days)
    days = pd.date_range(end=end, periods=_FALLBACK_DAYS, freq="D")
    config = experiment.features.model_copy(update={"weather": "none", "emissions": False})
    matrix = build_feature_matrix(store, config, stations, pd.DatetimeIndex(days))
    truth = read_targets(store, matrix.frame[["station", "valid_at"]], [target])[target]
    persistence = Persistence(target).fit(matrix.frame, truth)
    climatology = Climatology(target, timezone=experiment.timezone).fit(matrix.frame, truth)
    return _PersistenceOrClimatology(persistence, climatology)


@dataclass(frozen=True)
class _PersistenceOrClimatology:
    """Persistence where the history has a last value, climatology elsewhere."""

    persistence: Persistence
    climatology: Climatology

    def predict(self, X: pd.DataFrame) -> pd.DataFrame:
        out = self.persistence.predict(X)
        missing = out["value"].isna().to_numpy()
        if missing.any():
            filler = self.climatology.predict(X.loc[missing])
            out.loc[missing, ["value", "q10", "q90"]] = filler.to_numpy()
        return out


def _predict(model: Predictor, X: pd.DataFrame) -> pd.DataFrame:
    out = model.predict(X)
    frame = out if isinstance(out, pd.DataFrame) else pd.DataFrame(out)
    frame = frame.reset_index(drop=True)
    value = frame["value"].to_numpy(dtype=np.float64)
    q10 = frame["q10"].to_numpy(dtype=np.float64) if "q10" in frame else value
    q90 = frame["q90"].to_numpy(dtype=np.float64) if "q90" in frame else value
    return pd.DataFrame({"value": value, "q10": np.fmin(q10, value), "q90": np.fmax(q90, value)})


def _fill_median(frame: pd.DataFrame) -> int:
    missing = frame["value"].isna()
    if not missing.any():
        return 0
    medians = frame.groupby(["variable", "lead_h"])[["value", "q10", "q90"]].transform("median")
    for column in ("value", "q10", "q90"):
        frame[column] = frame[column].fillna(medians[column])
    return int(missing.sum() - frame["value"].isna().sum())


def _city_hourly(hourly: pd.DataFrame, stations: pd.DataFrame) -> pd.DataFrame:
    city = stations.set_index("station")["city"] if "city" in stations else None
    if city is None:
        return hourly.iloc[0:0]
    frame = hourly.assign(entity=hourly["station"].map(city)).dropna(subset=["entity"])
    keys = ["entity", "issued_at", "valid_at", "lead_h", "variable"]
    means = frame.groupby(keys, as_index=False)[["value", "q10", "q90"]].mean()
    return means.assign(entity_kind="city")


def _aqi_table(daily: pd.DataFrame) -> pd.DataFrame:
    days = daily.drop_duplicates(["entity", "entity_kind", "date"])
    return pd.DataFrame(
        {
            "entity": days["entity"].to_numpy(),
            "entity_kind": days["entity_kind"].to_numpy(),
            "date": pd.to_datetime(days["date"]).dt.date.to_numpy(),
            "day": days["day"].astype(int).to_numpy(),
            "aqi": days["aqi"].to_numpy(),
            "aqi_low": days["aqi_low"].to_numpy(),
            "aqi_high": days["aqi_high"].to_numpy(),
            "level": days["level"].to_numpy(),
            "primary_pollutant": days["primary"].to_numpy(),
        }
    )


def _warnings(aqi: pd.DataFrame, scheme_id: str) -> pd.DataFrame:
    scheme = load_warning_scheme(scheme_id or DEFAULT_WARNING_SCHEME)
    keyed = aqi.assign(key=aqi["entity_kind"] + ":" + aqi["entity"])
    daily = pd.DataFrame(
        {
            "entity": keyed["key"],
            "date": pd.to_datetime(keyed["date"]),
            "aqi": pd.to_numeric(keyed["aqi"], errors="coerce").astype(float),
            "primary": keyed["primary_pollutant"].fillna(""),
        }
    )
    assessed = assess_warnings(daily, scheme).set_index("entity")
    level = keyed["key"].map(assessed["level"]).fillna(0).astype(int)
    start = pd.to_datetime(keyed["key"].map(assessed["start_date"]))
    end = pd.to_datetime(keyed["key"].map(assessed["end_date"]))
    dates = pd.to_datetime(keyed["date"])
    inside = (dates >= start) & (dates <= end)
    out = aqi.copy()
    out["warning_level"] = np.where(inside.fillna(False).to_numpy(), level.to_numpy(), 0)
    out["warning_scheme"] = scheme.id
    return out


def issue_air_run(
    store: Store,
    experiment: ExperimentConfig,
    at: pd.Timestamp,
    *,
    load_model: ModelLoader,
    inputs: RunInputs,
    warning_scheme: str = "",
    actor: str = "ecocast issue",
    stale_after_h: float = STALE_AFTER_H,
) -> IssueResult:
    """Make and store the draft air run issued at ``at`` (module docstring).

    Parameters
    ----------
    store : Store
        Observations and stations; the draft is stored here.
    experiment : ExperimentConfig
        Features the champions were trained on (its leads are extended to day 3).
    at : pandas.Timestamp
        Issue time (tz-aware).
    load_model : callable
        target → (model, version label); a ForecastingError means "no model".
    inputs : RunInputs
        Forecast fields and emission figures.
    warning_scheme : str
        Warning scheme id or file ('' = national 2024).
    actor : str
        Who issued (audit trail).
    stale_after_h : float
        Observation age that makes the run degraded [h].

    Raises
    ------
    InputDataError
        When ``at`` is naive or the store has no air station.
    """
    clock = time.perf_counter()
    if at.tzinfo is None:
        raise InputDataError(f"issue time {at} has no zone; give e.g. 2026-11-23T16:00+08:00")
    at = at.tz_convert("UTC")
    tz = experiment.timezone
    stations = store.read_stations("air")
    if stations.empty:
        raise InputDataError("the store holds no air station; ingest a station file first")
    reasons: list[str] = []
    span = observation_span(store)
    cutoff = at - pd.Timedelta(hours=1)
    latest = None if span is None else min(span[1], cutoff)
    if latest is None or at - latest > pd.Timedelta(hours=stale_after_h):
        reasons.append(f"no fresh observations: latest {latest} is older than {stale_after_h:g} h")
    if experiment.features.weather == "forecast" and inputs.met is None:
        reasons.append("no weather forecast cycle: weather features missing")
    leads = leads_to_day3(at, tz)
    config = experiment.features.model_copy(update={"leads": max(leads, 1)})
    matrix = build_feature_matrix(
        store,
        config,
        stations,
        pd.DatetimeIndex([at]),
        met=inputs.met,
        emission_table=inputs.emission_table,
    ).frame
    keys = matrix[["station", "issued_at", "valid_at", "lead_h"]].reset_index(drop=True)
    versions: dict[str, Any] = {}
    parts = []
    for target in experiment.targets:
        try:
            model, version = load_model(target)
        except ForecastingError as exc:
            reasons.append(f"no champion for {target} ({exc}); persistence fallback")
            model = _fallback_model(store, experiment, stations, target, at, latest)
            version = "persistence"
        try:
            predicted = _predict(model, matrix.reset_index(drop=True))
        except Exception as exc:  # noqa: BLE001 - a failing model degrades the run, never crashes it
            reasons.append(f"{target} model {version} failed ({exc}); persistence fallback")
            model = _fallback_model(store, experiment, stations, target, at, latest)
            version = "persistence"
            predicted = _predict(model, matrix.reset_index(drop=True))
        versions[target] = version
        parts.append(pd.concat([keys, predicted], axis=1).assign(variable=target))
    hourly = pd.concat(parts, ignore_index=True)
    filled = _fill_median(hourly)
    if filled:
        reasons.append(f"{filled} hourly values missing from the models: network median")
    stations_hourly = hourly.assign(entity=hourly["station"], entity_kind="station")
    city_hourly = _city_hourly(hourly, stations)
    both = pd.concat([stations_hourly, city_hourly], ignore_index=True)
    daily_parts = []
    for kind, frame in both.groupby("entity_kind"):
        daily = daily_from_hourly(frame.assign(station=frame["entity"]), tz)
        daily_parts.append(daily.rename(columns={"station": "entity"}).assign(entity_kind=kind))
    daily = pd.concat(daily_parts, ignore_index=True)
    aqi = _warnings(_aqi_table(daily), warning_scheme)
    editions = sorted(set(edition_for_dates(pd.to_datetime(daily["date"]).dt.date.to_numpy())))
    hourly_out = both.loc[
        :, ["entity", "entity_kind", "variable", "valid_at", "lead_h", "value", "q10", "q90"]
    ]
    daily_out = daily.assign(date=pd.to_datetime(daily["date"]).dt.date).loc[
        :, ["entity", "entity_kind", "date", "day", "variable", "value", "q10", "q90"]
    ]
    availability = _availability(matrix)
    run = store.create_run(
        "air",
        at,
        hourly=hourly_out,
        daily=daily_out,
        aqi=aqi,
        model_versions=versions,
        standard_edition="+".join(editions),
        data_cutoff=cutoff if latest is None else latest,
        degraded=bool(reasons),
        degraded_reasons=reasons,
        inputs={
            **availability,
            "weather": experiment.weather_label,
            "leads": leads,
            "experiment": experiment.name,
            **inputs.sources,
        },
        timezone=tz,
        actor=actor,
    )
    return IssueResult(run=run, seconds=time.perf_counter() - clock, hourly_rows=len(hourly_out))


def _availability(matrix: pd.DataFrame) -> Mapping[str, Any]:
    """Share of stations with fresh history per pollutant, and of weather/emission inputs."""
    first = matrix.loc[matrix["lead_h"] == 1]
    out: dict[str, Any] = {}
    for column in first.columns:
        if column.startswith("hist_") and column.endswith("_last"):
            out[f"{column[5:-5]}_stations_with_history"] = float(first[column].notna().mean())
    for flag in ("met_available", "emis_available"):
        if flag in matrix.columns:
            out[flag] = float(pd.to_numeric(matrix[flag], errors="coerce").mean())
    return out
