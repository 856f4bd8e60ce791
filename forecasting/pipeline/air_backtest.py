"""Air backtests by the product's contract: train before the window, replay each day.

:func:`run_air_backtest` trains the experiment's model and baselines on everything
before the window's first issue (:mod:`forecasting.pipeline.air_models`), issues one
forecast per day from ``start`` to ``end`` inclusive at the experiment's local issue hour,
each from the model matrix of what was known at that issue (observations stamped ≤ T − 1 h
as known then, fields of cycles available at T, emission figures published by T), and
verifies all models on the same cases (:mod:`forecasting.pipeline.scoring`).
:func:`write_backtest` writes ``hourly.parquet``, ``daily.parquet`` and
``metrics.json`` (shared/docs/product.md, "Backtest contract") all or nothing.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from features.build import issue_times
from forecasting.errors import InputDataError
from forecasting.pipeline.air_models import (
    FittedModels,
    ProgressFn,
    fit_models,
    forecast_rows,
    iter_matrices,
    training_set,
)
from forecasting.pipeline.daily import DAILY_COLUMNS, daily_from_hourly
from forecasting.pipeline.experiment import ExperimentConfig, Window
from forecasting.pipeline.inputs import RunInputs
from forecasting.pipeline.scoring import Scores, score_backtest
from forecasting.qc.flags import EXCLUDE_DEFAULT
from forecasting.storage import Store
from models.verify_truth import HOURLY_VARIABLES

__all__ = ["HOURLY_COLUMNS", "BacktestResult", "read_truth", "run_air_backtest", "write_backtest"]

_log = logging.getLogger(__name__)
HOURLY_COLUMNS = ("station", "issued_at", "valid_at", "lead_h", "variable", "value", "q10", "q90")
"""Columns of ``hourly.parquet`` (backtest contract)."""


def _quiet(stage: str, done: int, total: int) -> None:
    _log.debug("%s %d/%d", stage, done, total)


@dataclass
class BacktestResult:
    """Everything a backtest produced.

    Attributes
    ----------
    hourly, daily : dict of str to pandas.DataFrame
        Model name (``"model"`` and each baseline) → contract frames.
    scores : Scores
        Verification of all of them.
    fitted : FittedModels
        The models trained before the window.
    window : Window
        Issue dates.
    weather_label : str
        ``"none"``, ``"perfect prognosis"`` or ``"forecast"``.
    training_rows : int
        Rows of the training matrix.
    input_example : pandas.DataFrame
        A few rows of the model matrix (for the logged model's signature).
    truth : pandas.DataFrame
        Observed hourly pollutants over the window, wide (:func:`read_truth`).
    timings : dict of str to float
        Wall time of each stage [s].
    """

    hourly: dict[str, pd.DataFrame]
    daily: dict[str, pd.DataFrame]
    scores: Scores
    fitted: FittedModels
    window: Window
    weather_label: str
    training_rows: int
    input_example: pd.DataFrame
    truth: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def fallback_share(self) -> float:
        """Share of the model's hourly values that came from a fallback [1]."""
        flags = self.hourly["model"].get("fallback")
        return float(np.mean(flags)) if flags is not None and len(flags) else 0.0


def _contract_hourly(frame: pd.DataFrame, tz: str) -> pd.DataFrame:
    extra = ["fallback"] if "fallback" in frame.columns else []
    out = frame.loc[:, [*HOURLY_COLUMNS, *extra]].copy()
    out["issued_at"] = pd.DatetimeIndex(out["issued_at"]).tz_convert(tz)
    out["valid_at"] = pd.DatetimeIndex(out["valid_at"]).tz_convert(tz)
    out["lead_h"] = out["lead_h"].astype(np.int64)
    out["station"] = out["station"].astype(str)
    return out.sort_values(["issued_at", "station", "variable", "lead_h"], ignore_index=True)


def read_truth(
    store: Store, stations: list[str], start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """Observed hourly pollutants (latest revision, flagged values NaN), wide."""
    wide = store.read_observations_wide(
        list(HOURLY_VARIABLES), stations, start, end, exclude_flags=EXCLUDE_DEFAULT
    )
    for column in HOURLY_VARIABLES:
        if column not in wide.columns:
            wide[column] = np.nan
    return wide.loc[:, ["station", "valid_at", *HOURLY_VARIABLES]]


def run_air_backtest(
    store: Store,
    experiment: ExperimentConfig,
    window: Window,
    inputs: RunInputs,
    *,
    progress: ProgressFn = _quiet,
) -> BacktestResult:
    """Train before ``window.start`` and replay one issue per day of the window.

    Raises
    ------
    InputDataError
        When the store has no air station.
    InsufficientHistoryError
        When there is too little data before the window to train on.
    """
    tz = experiment.timezone
    hour = experiment.backtest.issue_hour
    issued = issue_times(window.start, window.end, hour_local=hour, tz=tz)
    cutoff = pd.Timestamp(window.start).tz_localize(tz).tz_convert("UTC")
    stations = store.read_stations("air")
    if stations.empty:
        raise InputDataError("the store holds no air station; ingest a station file first")
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    train = training_set(store, experiment, cutoff, inputs, progress=progress)
    timings["train_features_s"] = time.perf_counter() - clock
    clock = time.perf_counter()
    fitted = fit_models(experiment, train, progress=progress)
    timings["fit_s"] = time.perf_counter() - clock
    example = train.X.head(5).copy()
    rows = len(train.X)
    del train
    clock = time.perf_counter()
    parts: dict[str, list[pd.DataFrame]] = {}
    weather = experiment.weather_label
    provenance: dict[str, Any] = {}
    for chunk in iter_matrices(
        store, experiment, issued, inputs, progress=progress, stage="backtest days"
    ):
        weather, provenance = chunk.weather_label, chunk.provenance
        for name, frame in forecast_rows(fitted, chunk.frame).items():
            parts.setdefault(name, []).append(frame)
    hourly = {}
    for name in list(parts):
        hourly[name] = _contract_hourly(pd.concat(parts.pop(name), ignore_index=True), tz)
    timings["forecast_s"] = time.perf_counter() - clock
    clock = time.perf_counter()
    daily = {name: daily_from_hourly(frame, tz) for name, frame in hourly.items()}
    start = hourly["model"]["valid_at"].min()
    end = hourly["model"]["valid_at"].max() + pd.Timedelta(hours=1)
    truth = read_truth(store, list(stations["station"]), start, end)
    scores = score_backtest(
        hourly,
        daily,
        truth,
        model="model",
        tz=tz,
        weather=weather,
        window={"start": window.start.isoformat(), "end": window.end.isoformat()},
        provenance={
            "experiment": experiment.name,
            "experiment_hash": experiment.fingerprint(),
            "model": experiment.model.name,
            "training_rows": rows,
            "inputs": {k: str(v) for k, v in provenance.items()},
        },
    )
    timings["verify_s"] = time.perf_counter() - clock
    return BacktestResult(
        hourly=hourly,
        daily=daily,
        scores=scores,
        fitted=fitted,
        window=window,
        weather_label=weather,
        training_rows=rows,
        input_example=example,
        truth=truth,
        timings=timings,
    )


def write_backtest(result: BacktestResult, output: Path) -> dict[str, Path]:
    """Write the contract files into ``output``, all or nothing.

    The files are written in a scratch directory inside ``output`` and moved into
    place only when all are complete; an error while writing leaves ``output`` as it was.
    The baselines' hourly forecasts go to ``baselines/<name>/hourly.parquet`` beside
    them (same layout), so any scorer can put every figure beside the references.

    Returns
    -------
    dict of str to pathlib.Path
        ``hourly``, ``daily``, ``metrics`` → written files.
    """
    output.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".partial-", dir=output))
    try:
        hourly = result.hourly["model"].drop(columns=["fallback"], errors="ignore")
        hourly.to_parquet(scratch / "hourly.parquet", index=False)
        daily = result.daily["model"].loc[:, list(DAILY_COLUMNS)]
        daily.to_parquet(scratch / "daily.parquet", index=False)
        document = dict(result.scores.document)
        document["fallback_share"] = result.fallback_share
        document["timings_s"] = result.timings
        text = json.dumps(document, indent=1, ensure_ascii=False, allow_nan=False)
        (scratch / "metrics.json").write_text(text + "\n", encoding="utf-8")
        written = {}
        for key, name in (
            ("hourly", "hourly.parquet"),
            ("daily", "daily.parquet"),
            ("metrics", "metrics.json"),
        ):
            (scratch / name).replace(output / name)
            written[key] = output / name
        return written
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
