"""MLflow records of air backtests: one summary run, one run per target with its model.

The summary run (tag ``role=summary``) holds every metric of every model per lead and
day (baselines prefixed ``persistence/``, ``climatology/`` …), the backtest files and the
plots: forecast against observed, skill by lead, reliability of q10/q90 and feature
importance. Each target's run (tag ``role=target``) holds the headline figures and the
fitted model as a pyfunc with its signature and an input example; it is registered as
``challenger`` of ``ecocast-air-<target>`` when the experiment's validation criteria hold
(:func:`models.tracking.register_if_valid`); ``{target}`` in a criterion's name stands
for the run's target, so each model is judged on its own pollutant. Perfect-prognosis
backtests carry the tag ``weather = perfect prognosis``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd
from matplotlib.figure import Figure

from forecasting.pipeline.air_backtest import BacktestResult
from forecasting.pipeline.experiment import ExperimentConfig
from models.tracking import log_run, register_if_valid, registered_model_name
from models.tracking_plots import (
    feature_importance,
    forecast_vs_observed,
    reliability_diagram,
    skill_by_lead,
)
from models.verify_intervals import reliability_table

__all__ = ["TrackedBacktest", "backtest_figures", "tidy_backtest_metrics", "track_backtest"]

_log = logging.getLogger(__name__)
MAIN = "model"


@dataclass(frozen=True)
class TrackedBacktest:
    """Run ids and registered versions of a tracked backtest."""

    summary_run: str
    target_runs: dict[str, str]
    registered: dict[str, str | None]


def tidy_backtest_metrics(result: BacktestResult) -> pd.DataFrame:
    """All per-lead and per-day metrics of all models in one tidy table (``model`` column)."""
    parts = []
    for name, table in result.scores.hourly.items():
        parts.append(table.assign(model="" if name == MAIN else name))
    for name, table in result.scores.daily.items():
        parts.append(table.assign(model="" if name == MAIN else name))
    return pd.concat(parts, ignore_index=True)


def backtest_figures(result: BacktestResult) -> dict[str, Figure]:
    """Draw the plots of a backtest for MLflow (module docstring)."""
    figures: dict[str, Figure] = {}
    daily = result.daily[MAIN].query("day == 1")
    observed = result.scores.observed_daily.assign(date=lambda f: f["date"].astype(str))
    long_obs = observed.melt(
        id_vars=["station", "date"],
        value_vars=[v for v in daily["variable"].unique() if v in observed.columns],
        var_name="variable",
        value_name="observed",
    )
    paired = daily.merge(long_obs, on=["station", "date", "variable"], how="inner")
    if not paired.empty:
        figures["day1_forecast_vs_observed"] = forecast_vs_observed(paired)
    lead_table = []
    for name, table in result.scores.hourly.items():
        mae = table.loc[table["metric"] == "mean_absolute_error"]
        lead_table.append(mae.rename(columns={"lead_h": "lead"}).assign(model=name))
    figures["mae_by_lead"] = skill_by_lead(pd.concat(lead_table, ignore_index=True))
    hourly = result.hourly[MAIN]
    rows = []
    obs = result.truth.melt(id_vars=["station", "valid_at"], var_name="variable", value_name="obs")
    merged = hourly.merge(obs, on=["station", "valid_at", "variable"], how="inner")
    for variable, group in merged.groupby("variable"):
        table = reliability_table(group["obs"], {0.1: group["q10"], 0.9: group["q90"]})
        rows.append(
            table.rename(columns={"tau": "nominal", "observed_frequency": "observed"}).assign(
                variable=variable
            )
        )
    if rows:
        figures["reliability_q10_q90"] = reliability_diagram(pd.concat(rows, ignore_index=True))
    for target, model in result.fitted.models.items():
        importances = getattr(model, "feature_importances_", None)
        if isinstance(importances, pd.Series) and len(importances):
            figures[f"feature_importance_{target}"] = feature_importance(
                [str(i) for i in importances.index], importances.to_numpy()
            )
    return figures


def track_backtest(
    experiment: ExperimentConfig,
    result: BacktestResult,
    output: Path,
    *,
    uri: str,
    register: bool = True,
) -> TrackedBacktest:
    """Record a backtest in MLflow and register each target's model as challenger.

    Parameters
    ----------
    experiment : ExperimentConfig
        The experiment (parameters, validation criteria, MLflow experiment name).
    result : BacktestResult
        From :func:`forecasting.pipeline.air_backtest.run_air_backtest`.
    output : pathlib.Path
        Directory of the written backtest files (logged as artifacts).
    uri : str
        Tracking URI.
    register : bool
        Register models that pass validation as ``challenger``.
    """
    window = result.window.label
    weather = result.weather_label
    tags = {"experiment_hash": experiment.fingerprint(), "role": "summary"}
    figures = backtest_figures(result)
    summary_run = log_run(
        experiment,
        kind="backtest",
        metrics=tidy_backtest_metrics(result),
        uri=uri,
        artifacts={"backtest": output},
        figures=figures,
        window=window,
        weather=weather,  # type: ignore[arg-type]
        tags=tags,
    )
    for figure in figures.values():
        figure.clear()
    headline: dict[str, float] = {}
    for name, values in result.scores.summary.items():
        prefix = "" if name == MAIN else f"{name}/"
        headline.update({f"{prefix}{k}": v for k, v in values.items()})
    headline["fallback_share"] = result.fallback_share
    target_runs: dict[str, str] = {}
    registered: dict[str, str | None] = {}
    for target, model in result.fitted.models.items():
        run_id = log_run(
            experiment,
            kind="backtest",
            metrics=headline,
            uri=uri,
            model=model,
            input_example=result.input_example,
            window=window,
            weather=weather,  # type: ignore[arg-type]
            tags={**tags, "role": "target", "target": target, "summary_run": summary_run},
        )
        target_runs[target] = run_id
        if register:
            name = registered_model_name("air", target)
            criteria = {k.format(target=target): v for k, v in experiment.validation.items()}
            version = register_if_valid(run_id, name, criteria, uri=uri)
            registered[target] = None if version is None else str(version.version)
    return TrackedBacktest(summary_run=summary_run, target_runs=target_runs, registered=registered)
