"""MLflow tracking of every train and backtest, and loading of registered models.

MLflow lives only here and in the ``models.tracking_*`` modules this one
re-exports (style guide §3.6):

- :func:`tracking_uri` says where the store is (embedded SQLite in the data
  directory by default, a tracking server when the settings say so);
- :func:`log_run` records one train or backtest: parameters, metrics (per lead
  as steps, so MLflow plots skill by lead), plots, the backtest files, and the
  model as a ``pyfunc`` with its signature and an input example;
- :func:`register_if_valid` registers a run's model as ``challenger`` when
  the experiment's validation thresholds hold;
- :func:`promote` moves ``champion`` when the challenger verifies better in
  the same backtest window;
- :func:`load_champion` and :func:`load_model` load a registered model.

Every function takes the tracking URI explicitly (``uri=``) and leaves
MLflow's process-wide URI as it found it.

Examples
--------
A backtest run, its registration and the promotion decision, as the CLI wires
them (``config``, ``tidy``, ``fitted``, ``X`` and ``out_dir`` come from the
backtest)::

    uri = tracking_uri(settings)
    run_id = log_run(config, kind="backtest", metrics=tidy, model=fitted,
                     input_example=X.head(), window="2015-03-01/2016-02-29",
                     weather="forecast", artifacts={"backtest": out_dir}, uri=uri)
    register_if_valid(run_id, "ecocast-air-pm25", config.validation, uri=uri)
    promote("ecocast-air-pm25", primary_metric=config.promotion.primary_metric,
            min_improvement=config.promotion.min_improvement,
            window="2015-03-01/2016-02-29", uri=uri)
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar, get_args

import mlflow
import pandas as pd
from matplotlib.figure import Figure
from mlflow.entities import Metric, Param
from mlflow.models import infer_signature
from mlflow.pyfunc import PyFuncModel

from forecasting.errors import InputDataError
from models.pyfunc import EstimatorPythonModel, ForecastEstimator, naive_utc, pip_requirements
from models.tracking_gate import (
    CHALLENGER,
    CHAMPION,
    TAG_MODEL_URI,
    TAG_WEATHER,
    TAG_WINDOW,
    ValidationResult,
    check_validation,
    parse_window,
    register_if_valid,
    registered_version,
)
from models.tracking_metrics import tidy_metrics
from models.tracking_promotion import PromotionDecision, promote
from models.tracking_store import client_for, experiment_id_for, fluent_scope, tracking_uri

__all__ = [
    "CHALLENGER",
    "CHAMPION",
    "INPUT_EXAMPLE_ROWS",
    "MODEL_NAME",
    "PromotionDecision",
    "PromotionSection",
    "RunKind",
    "TrackedExperiment",
    "TrackingSection",
    "ValidationResult",
    "WeatherSource",
    "check_validation",
    "load_champion",
    "load_model",
    "log_run",
    "promote",
    "register_if_valid",
    "registered_model_name",
    "tracking_uri",
]

RunKind = Literal["train", "backtest"]
WeatherSource = Literal["perfect prognosis", "forecast", "none"]

INPUT_EXAMPLE_ROWS = 5
"""Rows of the input example stored with a model (an example, not the data)."""
MODEL_NAME = "model"
"""Name of the logged model within its run (``log_model(name=...)``)."""

_T = TypeVar("_T")
_BATCH = 100  # MLflow's limit of params or tags per log_batch call (metrics: 1000)


class TrackingSection(Protocol):
    """The ``tracking`` section of an experiment configuration."""

    @property
    def experiment(self) -> str:
        """MLflow experiment name."""
        ...


class PromotionSection(Protocol):
    """The ``promotion`` section of an experiment configuration."""

    @property
    def primary_metric(self) -> str:
        """Metric that decides promotion, ``*_score`` or ``*_error``."""
        ...

    @property
    def min_improvement(self) -> float:
        """Required relative improvement over the champion [1]."""
        ...


class TrackedExperiment(Protocol):
    """What tracking reads from an experiment configuration.

    ``ExperimentConfig`` (pydantic) qualifies; tests pass a small dataclass.
    :func:`log_run` reads ``name``, ``tracking.experiment`` and
    ``model_dump()``; the caller passes ``validation`` to
    :func:`register_if_valid` and ``promotion`` to :func:`promote`.
    """

    @property
    def name(self) -> str:
        """Experiment configuration name (logged as the ``experiment_config`` tag)."""
        ...

    @property
    def tracking(self) -> TrackingSection:
        """Tracking section; ``tracking.experiment`` is the MLflow experiment."""
        ...

    @property
    def promotion(self) -> PromotionSection:
        """Promotion section: primary metric and minimum improvement."""
        ...

    @property
    def validation(self) -> Mapping[str, float]:
        """Validation thresholds, metric name to bound."""
        ...

    def model_dump(self) -> dict[str, Any]:
        """Return the configuration as a (nested) dict of parameters."""
        ...


def registered_model_name(domain: Literal["air", "water"], target: str) -> str:
    """Return the registered model name of a forecast target.

    Parameters
    ----------
    domain : {"air", "water"}
        Air or water quality.
    target : str
        Variable forecast, e.g. ``"pm25"`` or ``"dissolved_oxygen"``.

    Returns
    -------
    str
        ``ecocast-<domain>-<target>``, one registered model per target.

    Examples
    --------
    >>> registered_model_name("air", "pm25")
    'ecocast-air-pm25'
    """
    return f"ecocast-{domain}-{target}"


def _flatten(prefix: str, value: Any, out: dict[str, str]) -> None:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), inner, out)
    elif isinstance(value, list | tuple):
        out[prefix] = ", ".join(map(str, value))
    else:
        out[prefix] = str(value)


def _chunks(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _check_inputs(
    kind: str,
    window: str | None,
    weather: str | None,
    artifacts: Mapping[str, Path],
    model: ForecastEstimator | None,
    input_example: pd.DataFrame | None,
) -> None:
    if kind not in ("train", "backtest"):
        raise InputDataError(f"run kind {kind!r} is not one of: backtest, train")
    if kind == "backtest" and window is None:
        raise InputDataError(
            "a backtest run needs its window, e.g. window='2015-03-01/2016-02-29', so that "
            "promotion compares runs of the same window"
        )
    if window is not None:
        parse_window(window)
    for name, path in artifacts.items():
        if not Path(path).exists():
            raise InputDataError(f"artifact {name!r}: {path} does not exist")
    if weather is not None and weather not in get_args(WeatherSource):
        raise InputDataError(
            f"weather {weather!r} is not one of: {', '.join(get_args(WeatherSource))}"
        )
    if model is not None:
        EstimatorPythonModel(model)  # raises NotFittedError before a run exists
        if mlflow.active_run() is not None:
            raise InputDataError(
                "log_run logs the model through MLflow's fluent API and cannot do so while "
                "another fluent run is active; end it (mlflow.end_run()) first"
            )
    if model is not None and (input_example is None or input_example.empty):
        raise InputDataError(
            "logging a model needs input_example= (a few rows of the model matrix) "
            "for its signature and example"
        )


def _run_tags(
    config: TrackedExperiment,
    model: ForecastEstimator | None,
    kind: RunKind,
    window: str | None,
    weather: WeatherSource | None,
    tags: Mapping[str, str],
) -> dict[str, str]:
    out = {"kind": kind, "experiment_config": config.name}
    if model is not None:
        out["estimator"] = type(model).__name__
    out.update({k: str(v) for k, v in tags.items()})
    if window is not None:
        out[TAG_WINDOW] = window
    if weather is not None:
        out[TAG_WEATHER] = weather
    return out


def _log_model(uri: str, run_id: str, model: ForecastEstimator, input_example: pd.DataFrame) -> str:
    example, utc_columns = naive_utc(input_example.head(INPUT_EXAMPLE_ROWS))
    forecast = model.predict(input_example.head(INPUT_EXAMPLE_ROWS))
    signature = infer_signature(example, forecast)
    python_model = EstimatorPythonModel(model, utc_columns=utc_columns)
    with fluent_scope(uri), mlflow.start_run(run_id=run_id):
        info = mlflow.pyfunc.log_model(
            name=MODEL_NAME,
            python_model=python_model,
            signature=signature,
            input_example=example,
            pip_requirements=pip_requirements(),
        )
    return str(info.model_uri)


def log_run(
    config: TrackedExperiment,
    *,
    kind: RunKind,
    metrics: Mapping[str, float] | pd.DataFrame,
    uri: str,
    model: ForecastEstimator | None = None,
    input_example: pd.DataFrame | None = None,
    artifacts: Mapping[str, Path] | None = None,
    figures: Mapping[str, Figure] | None = None,
    window: str | None = None,
    weather: WeatherSource | None = None,
    tags: Mapping[str, str] | None = None,
) -> str:
    """Record a train or backtest run in MLflow.

    Parameters
    ----------
    config : TrackedExperiment
        The experiment configuration: its MLflow experiment
        (``config.tracking.experiment``, created when missing), its name (tag
        ``experiment_config``) and its parameters (``config.model_dump()``,
        flattened to dotted keys such as ``model.learning_rate``; lists are
        joined with ``", "``).
    kind : {"train", "backtest"}
        Run kind, stored as the tag ``kind``.
    metrics : mapping of str to float, or pandas.DataFrame
        Whole-run values by name, or tidy metrics (``variable``, ``lead``,
        ``metric``, ``value``, optional ``model``) logged per lead with
        ``step=lead``; see :func:`models.tracking_metrics.tidy_metrics`.
    uri : str
        Tracking URI (:func:`tracking_uri`).
    model : ForecastEstimator, optional
        A fitted estimator, logged as the pyfunc model ``model`` with the
        signature inferred from ``input_example`` and its forecast; its
        ``get_params()`` become ``estimator.*`` parameters and its class the
        tag ``estimator``.
    input_example : pandas.DataFrame, optional
        Rows of the model matrix; required with ``model``. Its first
        :data:`INPUT_EXAMPLE_ROWS` rows are stored, timezone-aware columns as
        naive UTC (MLflow's schema has no zone; the logged model turns them
        back into UTC, see :mod:`models.pyfunc`).
    artifacts : mapping of str to pathlib.Path, optional
        Files or directories (``hourly.parquet``, ``daily.parquet``,
        ``metrics.json``, a backtest output directory) stored under the
        artifact directory named by the key.
    figures : mapping of str to matplotlib.figure.Figure, optional
        Stored as ``plots/<key>.png`` (see :mod:`models.tracking_plots`).
    window : str, optional
        Backtest window ``"YYYY-MM-DD/YYYY-MM-DD"``, stored as the tag
        ``backtest_window``; required when ``kind="backtest"``.
    weather : {"perfect prognosis", "forecast", "none"}, optional
        Source of the weather features, stored as the tag ``weather``;
        ``"perfect prognosis"`` marks a backtest that used observed weather in
        place of forecasts (optimistic skill).
    tags : mapping of str to str, optional
        More run tags.

    Returns
    -------
    str
        The run id. The run is ``FINISHED``; on an error it is marked
        ``FAILED`` and the error propagates.

    Raises
    ------
    forecasting.errors.InputDataError
        For an unknown kind or weather source, a missing or malformed window,
        a missing artifact path, a model without an input example or while a
        fluent MLflow run is active, or malformed tidy metrics; all checked
        before the run is created.
    forecasting.errors.NotFittedError
        When ``model`` was not fitted.
    """
    artifacts = dict(artifacts or {})
    _check_inputs(kind, window, weather, artifacts, model, input_example)
    records = tidy_metrics(metrics)
    params: dict[str, str] = {}
    _flatten("", config.model_dump(), params)
    if model is not None:
        _flatten("estimator", model.get_params(), params)
    client = client_for(uri)
    experiment_id = experiment_id_for(client, config.tracking.experiment, uri)
    run = client.create_run(
        experiment_id,
        run_name=f"{config.name}-{kind}",
        tags=_run_tags(config, model, kind, window, weather, tags or {}),
    )
    run_id = str(run.info.run_id)
    try:
        now = int(time.time() * 1000)
        for batch in _chunks([Param(k, v) for k, v in params.items()], _BATCH):
            client.log_batch(run_id, params=batch)
        metric_rows = [Metric(k, v, now, step) for k, step, v in records]
        for batch_m in _chunks(metric_rows, 10 * _BATCH):
            client.log_batch(run_id, metrics=batch_m)
        for name, path in artifacts.items():
            if Path(path).is_dir():
                client.log_artifacts(run_id, str(path), name)
            else:
                client.log_artifact(run_id, str(path), name)
        for name, figure in (figures or {}).items():
            client.log_figure(run_id, figure, f"plots/{name}.png")
        if model is not None and input_example is not None:
            model_uri = _log_model(uri, run_id, model, input_example)
            client.set_tag(run_id, TAG_MODEL_URI, model_uri)
        client.set_terminated(run_id, "FINISHED")
    except BaseException:
        client.set_terminated(run_id, "FAILED")
        raise
    return run_id


def load_model(name: str, alias: str, *, uri: str) -> PyFuncModel:
    """Load the version of a registered model behind an alias.

    Parameters
    ----------
    name : str
        Registered model, e.g. ``"ecocast-air-pm25"``.
    alias : str
        ``"champion"``, ``"challenger"`` or another alias.
    uri : str
        Tracking and registry URI (:func:`tracking_uri`).

    Returns
    -------
    mlflow.pyfunc.PyFuncModel
        ``predict(frame)`` returns ``value``, ``q10`` and ``q90``.

    Raises
    ------
    forecasting.errors.InputDataError
        When the registered model does not exist or the alias is not set
        (the message lists the aliases that are).
    """
    client = client_for(uri)
    version = registered_version(client, name, alias)
    if version is None:
        aliases = client.get_registered_model(name).aliases
        raise InputDataError(
            f"registered model {name!r} has no alias {alias!r}; set aliases: "
            f"{', '.join(f'@{a} -> v{v}' for a, v in sorted(aliases.items())) or 'none'}"
        )
    with fluent_scope(uri):
        loaded: PyFuncModel = mlflow.pyfunc.load_model(f"models:/{name}/{version.version}")
    return loaded


def load_champion(name: str, *, uri: str) -> PyFuncModel:
    """Load the ``champion`` of a registered model (the model the service uses).

    Parameters
    ----------
    name : str
        Registered model, e.g. ``"ecocast-air-pm25"``.
    uri : str
        Tracking and registry URI (:func:`tracking_uri`).

    Returns
    -------
    mlflow.pyfunc.PyFuncModel
        The champion model.

    Raises
    ------
    forecasting.errors.InputDataError
        When the model does not exist or has no champion yet.
    """
    return load_model(name, CHAMPION, uri=uri)
