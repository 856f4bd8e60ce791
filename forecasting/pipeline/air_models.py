"""Fit an experiment's air models and forecast with them, baselines beside.

Training rows are (station, issue time T, lead) rows of the model matrix whose valid
time lies before the cut-off (the backtest's first issue): a model trained for a
backtest never sees a target inside the window. Each target gets its own estimator
(:func:`models.registry.make_model` with ``target=``), each baseline too.

A forecast is never a gap: a row the model leaves NaN takes the climatology baseline's
forecast (``fallback`` column records it), and a station the climatology does not know
takes the network's median forecast at that valid time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from features.build import KEYS, FeatureMatrix, issue_times, iter_feature_matrix, read_targets
from forecasting.errors import InsufficientHistoryError
from forecasting.pipeline.experiment import ExperimentConfig, ModelSpec
from forecasting.pipeline.inputs import RunInputs
from forecasting.storage import Store
from forecasting.storage.engine import read_transaction
from forecasting.storage.schema import observations
from models.base import Forecaster
from models.registry import make_model

__all__ = [
    "FittedModels",
    "ProgressFn",
    "TrainingSet",
    "fit_models",
    "forecast_rows",
    "iter_matrices",
    "observation_span",
    "training_issue_times",
    "training_set",
]

_log = logging.getLogger(__name__)
ProgressFn = Callable[[str, int, int], None]
"""Called with (stage, done, total)."""
FALLBACK_MODEL = "climatology"


def _quiet(stage: str, done: int, total: int) -> None:
    _log.debug("%s %d/%d", stage, done, total)


def observation_span(store: Store) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """First and last observation stamps in the store (UTC), None when it is empty."""
    query = sa.select(sa.func.min(observations.c.valid_at), sa.func.max(observations.c.valid_at))
    with read_transaction(store.engine) as connection:
        low, high = connection.execute(query).one()
    if low is None:
        return None
    return pd.Timestamp(int(low), unit="s", tz="UTC"), pd.Timestamp(int(high), unit="s", tz="UTC")


def training_issue_times(
    store: Store, experiment: ExperimentConfig, before: pd.Timestamp
) -> pd.DatetimeIndex:
    """Issue times of the training rows: from a week into the data up to ``before``.

    Parameters
    ----------
    store : Store
        Observations.
    experiment : ExperimentConfig
        ``training.history_days``, ``training.issue_stride_days``, ``training.hours``.
    before : pandas.Timestamp
        Cut-off (tz-aware): training issues and their targets are earlier.

    Raises
    ------
    InsufficientHistoryError
        When the store holds less than two weeks of observations before ``before``.
    """
    span = observation_span(store)
    if span is None or span[0] >= before - pd.Timedelta(days=14):
        raise InsufficientHistoryError(
            f"training needs at least two weeks of observations before {before}; "
            f"the store holds {span or 'none'}"
        )
    tz = experiment.timezone
    first = span[0].tz_convert(tz) + pd.Timedelta(hours=experiment.features.history_window_h // 4)
    last = min(before, span[1] + pd.Timedelta(hours=1)).tz_convert(tz) - pd.Timedelta(days=1)
    start = first.normalize()
    if experiment.training.history_days is not None:
        history = pd.Timedelta(days=experiment.training.history_days)
        start = max(start, last.normalize() - history)
    parts = [
        issue_times(start.date(), last.date(), hour_local=h, tz=tz)
        for h in experiment.training.hours
    ]
    issued = pd.DatetimeIndex(parts[0].append(list(parts[1:])))
    days = (issued.tz_convert(tz).normalize() - start).days
    issued = issued[(days % experiment.training.issue_stride_days) == 0]
    return pd.DatetimeIndex(issued[(issued < before) & (issued > span[0])].sort_values())


def iter_matrices(
    store: Store,
    experiment: ExperimentConfig,
    issued: pd.DatetimeIndex,
    inputs: RunInputs,
    *,
    progress: ProgressFn = _quiet,
    stage: str = "features",
    chunk_issues: int = 120,
) -> Iterator[FeatureMatrix]:
    """Model-matrix chunks of the experiment's features for these issue times."""
    stations = store.read_stations("air")
    yield from iter_feature_matrix(
        store,
        experiment.features,
        stations,
        issued,
        met=inputs.met,
        emission_table=inputs.emission_table,
        chunk_issues=chunk_issues,
        progress=lambda done, total: progress(stage, done, total),
    )


@dataclass
class TrainingSet:
    """Training rows and their targets.

    Attributes
    ----------
    X : pandas.DataFrame
        Keys, ``valid_at`` and the feature columns.
    y : pandas.DataFrame
        One column per target, aligned to ``X`` (latest revision; flagged values NaN).
    feature_columns : tuple of str
        Model inputs.
    weather_label : str
        ``"none"``, ``"perfect prognosis"`` or ``"forecast"``.
    provenance : dict
        Inputs of the matrix.
    """

    X: pd.DataFrame
    y: pd.DataFrame
    feature_columns: tuple[str, ...]
    weather_label: str
    provenance: dict[str, Any] = field(default_factory=dict)


def training_set(
    store: Store,
    experiment: ExperimentConfig,
    before: pd.Timestamp,
    inputs: RunInputs,
    *,
    progress: ProgressFn = _quiet,
) -> TrainingSet:
    """Build the training rows of an experiment: every issue before ``before``.

    Rows whose valid time is at or after ``before`` are dropped, so nothing from the
    backtest window is learnt.
    """
    issued = training_issue_times(store, experiment, before)
    frames, targets = [], []
    columns: tuple[str, ...] = ()
    label, provenance = "none", {}
    for part in iter_matrices(
        store, experiment, issued, inputs, progress=progress, stage="train features"
    ):
        frame = part.frame.loc[part.frame["valid_at"] < before]
        truth = read_targets(store, frame[["station", "valid_at"]], experiment.targets)
        keep = truth.notna().any(axis=1).to_numpy()
        frames.append(frame.loc[keep])
        targets.append(truth.loc[keep])
        columns = tuple(dict.fromkeys((*columns, *part.feature_columns)))
        label, provenance = part.weather_label, part.provenance
    X = pd.concat(frames, ignore_index=True)
    y = pd.concat(targets, ignore_index=True)
    _log.info(
        "training set: %d rows x %d inputs, %d issue times", len(X), len(columns), len(issued)
    )
    return TrainingSet(
        X=X, y=y, feature_columns=columns, weather_label=label, provenance=provenance
    )


@dataclass
class FittedModels:
    """Per target: the experiment's model and each baseline, fitted.

    Attributes
    ----------
    model_name : str
        Registered name of the experiment's model (e.g. ``direct_gbm``).
    models : dict of str to Forecaster
        Target → fitted model.
    baselines : dict of str to dict of str to Forecaster
        Baseline name → target → fitted baseline.
    feature_columns : tuple of str
        Inputs the models were fitted on.
    """

    model_name: str
    models: dict[str, Forecaster]
    baselines: dict[str, dict[str, Forecaster]]
    feature_columns: tuple[str, ...]


def _make(spec: ModelSpec, target: str, timezone: str) -> Forecaster:
    params = dict(spec.params)
    params.setdefault("target", target)
    model = make_model(spec.name, **params)
    if "timezone" in model.get_params() and "timezone" not in spec.params:
        model.set_params(timezone=timezone)
    return model


def fit_models(
    experiment: ExperimentConfig, data: TrainingSet, *, progress: ProgressFn = _quiet
) -> FittedModels:
    """Fit the experiment's model and baselines for every target.

    Raises
    ------
    InsufficientHistoryError
        When a target has too few training values for its model.
    """
    X = data.X
    specs = [experiment.model, *experiment.baselines]
    total = len(experiment.targets) * len(specs)
    done = 0
    models: dict[str, Forecaster] = {}
    baselines: dict[str, dict[str, Forecaster]] = {b.name: {} for b in experiment.baselines}
    for target in experiment.targets:
        y = data.y[target]
        for i, spec in enumerate(specs):
            estimator = _make(spec, target, experiment.timezone).fit(X, y)
            if i == 0:
                models[target] = estimator
            else:
                baselines[spec.name][target] = estimator
            done += 1
            progress(f"fit {target}", done, total)
    return FittedModels(
        model_name=experiment.model.name,
        models=models,
        baselines=baselines,
        feature_columns=data.feature_columns,
    )


def _long(keys: pd.DataFrame, target: str, predicted: pd.DataFrame) -> pd.DataFrame:
    out = keys.copy()
    out["variable"] = target
    for column in ("value", "q10", "q90"):
        out[column] = (
            predicted[column].to_numpy(dtype=np.float64) if column in predicted.columns else np.nan
        )
    return out


def forecast_rows(fitted: FittedModels, matrix: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Forecast every target with the model and each baseline.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``"model"`` and each baseline name → long hourly frame: ``station``,
        ``issued_at``, ``lead_h``, ``valid_at``, ``variable``, ``value``, ``q10``, ``q90``
        [µg m⁻³; CO mg m⁻³]; the model's frame also has ``fallback`` (True where the
        climatology or network median filled a missing model value).
    """
    keys = matrix[[*KEYS, "valid_at"]].reset_index(drop=True)
    X = matrix.reset_index(drop=True)
    out: dict[str, list[pd.DataFrame]] = {"model": []}
    for name in fitted.baselines:
        out[name] = []
    for target, model in fitted.models.items():
        predicted = _long(keys, target, model.predict(X))
        clim = fitted.baselines.get(FALLBACK_MODEL, {}).get(target)
        reference = _long(keys, target, clim.predict(X)) if clim is not None else None
        predicted["fallback"] = _fill_gaps(predicted, reference)
        out["model"].append(predicted)
        for name, per_target in fitted.baselines.items():
            if name == FALLBACK_MODEL and reference is not None:
                out[name].append(reference)
            else:
                out[name].append(_long(keys, target, per_target[target].predict(X)))
    return {name: pd.concat(parts, ignore_index=True) for name, parts in out.items()}


def _fill_gaps(predicted: pd.DataFrame, reference: pd.DataFrame | None) -> np.ndarray:
    """Fill missing model values from the reference, then the network median (in place)."""
    missing = predicted["value"].isna().to_numpy()
    filled = np.zeros(len(predicted), dtype=bool)
    if reference is not None and missing.any():
        usable = missing & reference["value"].notna().to_numpy()
        for column in ("value", "q10", "q90"):
            predicted.loc[usable, column] = reference.loc[usable, column].to_numpy()
        filled |= usable
    missing = predicted["value"].isna().to_numpy()
    if missing.any():
        medians = predicted.groupby(["issued_at", "lead_h"])[["value", "q10", "q90"]].transform(
            "median"
        )
        usable = missing & medians["value"].notna().to_numpy()
        for column in ("value", "q10", "q90"):
            predicted.loc[usable, column] = medians.loc[usable, column].to_numpy()
        filled |= usable
    return filled
