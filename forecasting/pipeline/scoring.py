"""Score a backtest: every model beside persistence and climatology, on the same cases.

Hourly forecasts are scored per variable and lead (:func:`models.verification.verify_hourly`)
and daily forecasts per variable and day, with the daily AQI level, range and
primary-pollutant accuracy and POD/FAR/CSI of level ≥ 3 and ≥ 5
(:func:`models.verification.verify_daily`), against the latest revision of the
observations with flagged values left out. All models are restricted to the cases every
one of them forecast (:func:`models.verification.common_cases`), so skill compares like
with like. Headline figures (``summary``) average days 1-3 (daily) or all leads (hourly)
and add the presence of forecasts where an observation exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from models.verification import common_cases, verify_daily, verify_hourly
from models.verify_report import metrics_json
from models.verify_skill import DEFAULT_REFERENCES
from models.verify_truth import HOURLY_VARIABLES, daily_observed

__all__ = ["Scores", "presence", "score_backtest", "summary_metrics"]


@dataclass(frozen=True)
class Scores:
    """Verification of one backtest.

    Attributes
    ----------
    hourly, daily : dict of str to pandas.DataFrame
        Model name → tidy table (``variable``, ``lead_h`` or ``day``, ``metric``,
        ``value``, ``n``).
    document : dict
        The ``metrics.json`` document.
    summary : dict of str to dict of str to float
        Model name → headline metric → value.
    observed_daily : pandas.DataFrame
        The daily truth (:func:`models.verify_truth.daily_observed`).
    """

    hourly: dict[str, pd.DataFrame]
    daily: dict[str, pd.DataFrame]
    document: dict[str, Any]
    summary: dict[str, dict[str, float]]
    observed_daily: pd.DataFrame


def presence(hourly: pd.DataFrame, truth: pd.DataFrame) -> float:
    """Share of (station, valid time, variable) pairs with an observation that got a forecast.

    Parameters
    ----------
    hourly : pandas.DataFrame
        Long forecasts (``station``, ``valid_at``, ``variable``, ``value``).
    truth : pandas.DataFrame
        Wide observations (``station``, ``valid_at``, one column per variable).
    """
    observed = truth.melt(
        id_vars=["station", "valid_at"],
        value_vars=[v for v in HOURLY_VARIABLES if v in truth],
        var_name="variable",
        value_name="obs",
    ).dropna(subset=["obs"])
    forecast = hourly.loc[hourly["value"].notna(), ["station", "valid_at", "variable"]]
    covered = forecast.drop_duplicates().assign(_hit=True)
    pairs = observed.merge(covered, on=["station", "valid_at", "variable"], how="left")
    pairs = pairs.loc[pairs["variable"].isin(hourly["variable"].unique())]
    return float(pairs["_hit"].fillna(False).astype(bool).mean()) if len(pairs) else float("nan")


def summary_metrics(hourly: pd.DataFrame, daily: pd.DataFrame) -> dict[str, float]:
    """Headline figures: hourly metrics averaged over leads, daily over days 1-3.

    Names: ``summary_{variable}_{metric}`` and ``summary_daily_{variable}_{metric}``, so
    they keep the ``_error``/``_score`` ending that tells their direction.
    """
    out: dict[str, float] = {}
    for prefix, table in (("summary_", hourly), ("summary_daily_", daily)):
        means = table.groupby(["variable", "metric"], as_index=False)["value"].mean()
        names = prefix + means["variable"].astype(str) + "_" + means["metric"].astype(str)
        for name, value in zip(names, means["value"].to_numpy(dtype=np.float64), strict=True):
            if np.isfinite(value):
                out[str(name)] = float(value)
    return out


def score_backtest(
    hourly_by_model: Mapping[str, pd.DataFrame],
    daily_by_model: Mapping[str, pd.DataFrame],
    truth: pd.DataFrame,
    *,
    model: str,
    tz: str,
    weather: str,
    window: Mapping[str, str],
    provenance: Mapping[str, Any] | None = None,
) -> Scores:
    """Verify the model and every baseline of a backtest.

    Parameters
    ----------
    hourly_by_model, daily_by_model : mapping of str to pandas.DataFrame
        Model name → contract frames (``hourly.parquet``/``daily.parquet`` layout).
    truth : pandas.DataFrame
        Observed hourly values, wide: ``station``, ``valid_at``, the six pollutants.
    model : str
        Key of the verified model (the others are references).
    tz : str
        Zone of the local days.
    weather : str
        ``"none"``, ``"perfect prognosis"`` or ``"forecast"``, reported as given.
    window : mapping
        ``{"start": ..., "end": ...}``.
    provenance : mapping, optional
        Recorded in the document.
    """
    hourly = common_cases(dict(hourly_by_model))
    daily = common_cases(common_cases(dict(daily_by_model)), value="aqi")
    obs_daily = daily_observed(truth, tz)
    hourly_tables = {name: verify_hourly(frame, truth) for name, frame in hourly.items()}
    daily_tables = {name: verify_daily(frame, obs_daily) for name, frame in daily.items()}
    summary = {
        name: summary_metrics(hourly_tables[name], daily_tables[name]) for name in hourly_tables
    }
    for name, frame in hourly_by_model.items():
        summary[name]["forecast_presence_score"] = presence(frame, truth)
    _add_skill(summary, model)
    document = metrics_json(
        hourly_tables,
        daily_tables,
        model=model,
        weather=weather,
        window=dict(window),
        provenance=dict(provenance or {}),
    )
    document["summary"] = summary
    return Scores(
        hourly=hourly_tables,
        daily=daily_tables,
        document=document,
        summary=summary,
        observed_daily=obs_daily,
    )


def _add_skill(summary: dict[str, dict[str, float]], model: str) -> None:
    """Add ``<error>_skill_vs_<reference>_score`` = 1 − model / reference to the model's."""
    own = summary[model]
    for reference in DEFAULT_REFERENCES:
        other = summary.get(reference, {})
        for name, value in list(own.items()):
            ref = other.get(name)
            if name.endswith("_error") and ref is not None and ref > 0 and "bias" not in name:
                own[f"{name}_skill_vs_{reference}_score"] = 1.0 - value / ref
