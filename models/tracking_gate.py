"""The validation gate of the model registry: who may become ``challenger``.

Each forecast target has one registered model (``ecocast-air-pm25``...) with
two aliases, MLflow 3's replacement for stages:

- ``challenger``: the latest version that passed the experiment's validation
  thresholds (:func:`register_if_valid`);
- ``champion``: the version the service forecasts with, moved by
  :func:`models.tracking_promotion.promote`.

A metric's direction follows scikit-learn's naming: ``*_score`` is better when
higher, ``*_error`` when lower. A name with neither suffix has no direction and
is refused.

Notes
-----
- A threshold or primary metric may name one lead of a metric logged per lead
  as ``name@step`` (``daily_pm25_mae_error@1`` is day 1). A bare name of a
  per-lead metric means MLflow's latest value, the one at the largest step
  (the longest lead); whole-window metrics are logged without steps.
- A threshold on a metric that the run did not compute, or that is NaN, fails.
- The new version carries the run's ``backtest_window`` and ``weather`` tags.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

import mlflow
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException

from forecasting.errors import InputDataError
from models.tracking_store import client_for, fluent_scope

__all__ = [
    "CHALLENGER",
    "CHAMPION",
    "TAG_MODEL_URI",
    "TAG_WEATHER",
    "TAG_WINDOW",
    "ValidationResult",
    "check_validation",
    "metric_direction",
    "parse_window",
    "register_if_valid",
    "registered_version",
    "run_metrics",
    "split_metric",
]

_log = logging.getLogger(__name__)

CHAMPION = "champion"
"""Alias of the version the service forecasts with."""
CHALLENGER = "challenger"
"""Alias of the latest validated version awaiting a promotion decision."""
TAG_WINDOW = "backtest_window"
"""Run tag: the backtest window ``YYYY-MM-DD/YYYY-MM-DD`` (inclusive dates)."""
TAG_WEATHER = "weather"
"""Run tag: where the weather features came from (``perfect prognosis``...)."""
TAG_MODEL_URI = "model_uri"
"""Run tag: URI of the run's logged pyfunc model (``models:/m-…``)."""

Direction = Literal["higher", "lower"]


def split_metric(spec: str) -> tuple[str, int | None]:
    """Split a metric reference ``name`` or ``name@step`` into name and step.

    A reference with a step picks one lead of a metric logged per lead
    (``daily_pm25_mae_error@1``: day 1); without one it means the metric's
    whole-run value.

    Parameters
    ----------
    spec : str
        ``name`` or ``name@step`` with a whole number ``step`` >= 0 [h or d].

    Returns
    -------
    tuple
        The metric name and the step, or None without one.

    Raises
    ------
    forecasting.errors.InputDataError
        When the step is not a whole number >= 0.

    Examples
    --------
    >>> split_metric("daily_pm25_mae_error@1"), split_metric("level_accuracy_score")
    (('daily_pm25_mae_error', 1), ('level_accuracy_score', None))
    """
    name, at, step = spec.partition("@")
    if not at:
        return name, None
    if not step.isdigit():
        raise InputDataError(
            f"metric reference {spec!r}: the step after '@' must be a whole number >= 0 "
            "(a lead [h] or a day), e.g. 'daily_pm25_mae_error@1'"
        )
    return name, int(step)


def run_metrics(
    client: mlflow.MlflowClient, run: mlflow.entities.Run, specs: Iterable[str]
) -> dict[str, float]:
    """Read metric references (:func:`split_metric`) from a logged run.

    Parameters
    ----------
    client : mlflow.MlflowClient
        A client bound to the run's tracking store.
    run : mlflow.entities.Run
        The run.
    specs : iterable of str
        ``name`` (the run's latest value: for a metric logged per lead, the
        one at the largest step) or ``name@step`` (the value at that step).

    Returns
    -------
    dict
        Reference to value, for the references the run has; others are left
        out.
    """
    out: dict[str, float] = {}
    for spec in specs:
        name, step = split_metric(spec)
        if step is None:
            if name in run.data.metrics:
                out[spec] = float(run.data.metrics[name])
            continue
        history = [m for m in client.get_metric_history(run.info.run_id, name) if m.step == step]
        if history:
            out[spec] = float(max(history, key=lambda m: m.timestamp).value)
    return out


def metric_direction(name: str) -> Direction:
    """Return whether a higher or a lower value of metric ``name`` is better.

    Parameters
    ----------
    name : str
        Metric name, e.g. ``daily_pm25_mae_error`` or ``aqi_level_accuracy_score``;
        a step reference ``@step`` after it is ignored.

    Returns
    -------
    {"higher", "lower"}
        ``"higher"`` for ``*_score``, ``"lower"`` for ``*_error``.

    Raises
    ------
    forecasting.errors.InputDataError
        When the name ends in neither suffix.

    Examples
    --------
    >>> metric_direction("daily_pm25_mae_error"), metric_direction("level_accuracy_score")
    ('lower', 'higher')
    """
    base = name.partition("@")[0]
    if base.endswith("_score"):
        return "higher"
    if base.endswith("_error"):
        return "lower"
    raise InputDataError(
        f"metric {name!r} has no direction; name it '*_score' (higher is better) "
        "or '*_error' (lower is better)"
    )


def parse_window(window: str) -> tuple[date, date]:
    """Parse a backtest window ``"YYYY-MM-DD/YYYY-MM-DD"`` (first and last day).

    Parameters
    ----------
    window : str
        An ISO 8601 interval of two calendar dates, inclusive.

    Returns
    -------
    tuple of datetime.date
        First and last day.

    Raises
    ------
    forecasting.errors.InputDataError
        When the text is not two ISO dates joined by ``/`` in order.

    Examples
    --------
    >>> parse_window("2015-03-01/2016-02-29")
    (datetime.date(2015, 3, 1), datetime.date(2016, 2, 29))
    """
    parts = window.split("/")
    try:
        if len(parts) != 2:
            raise ValueError
        start, end = date.fromisoformat(parts[0]), date.fromisoformat(parts[1])
    except ValueError:
        raise InputDataError(
            f"backtest window {window!r} is not 'YYYY-MM-DD/YYYY-MM-DD', "
            "e.g. '2015-03-01/2016-02-29'"
        ) from None
    if end < start:
        raise InputDataError(f"backtest window {window!r} ends before it starts")
    return start, end


@dataclass(frozen=True)
class ValidationResult:
    """Outcome of checking metrics against an experiment's thresholds."""

    passed: bool
    """True when every threshold holds."""
    failures: tuple[str, ...] = ()
    """One sentence per threshold that failed or could not be checked."""

    @property
    def reason(self) -> str:
        """The failures joined, or ``"all thresholds hold"``."""
        return "; ".join(self.failures) if self.failures else "all thresholds hold"


def check_validation(
    criteria: Mapping[str, float], metrics: Mapping[str, float]
) -> ValidationResult:
    """Check metrics against validation thresholds.

    Parameters
    ----------
    criteria : mapping of str to float
        Metric reference (``name`` or ``name@step``, see :func:`split_metric`)
        to bound: a ``*_score`` must be at least its bound, an ``*_error`` at
        most its bound (units of the metric, e.g. [µg m⁻³]).
    metrics : mapping of str to float
        The run's values by the same references.

    Returns
    -------
    ValidationResult
        ``passed`` is False when a metric misses its bound, is missing or is
        not finite.

    Raises
    ------
    forecasting.errors.InputDataError
        When a criterion's name has no ``_score``/``_error`` suffix.

    Examples
    --------
    >>> check_validation({"pm25_mae_error": 20.0}, {"pm25_mae_error": 25.0}).reason
    'pm25_mae_error = 25 is above the bound 20'
    """
    failures: list[str] = []
    for name, bound in criteria.items():
        direction = metric_direction(name)
        split_metric(name)
        if name not in metrics:
            failures.append(f"{name} was not computed (threshold {bound:g})")
            continue
        value = float(metrics[name])
        if not math.isfinite(value):
            failures.append(f"{name} = {value} is not finite")
        elif direction == "lower" and value > bound:
            failures.append(f"{name} = {value:g} is above the bound {bound:g}")
        elif direction == "higher" and value < bound:
            failures.append(f"{name} = {value:g} is below the bound {bound:g}")
    return ValidationResult(passed=not failures, failures=tuple(failures))


def _get_run(client: mlflow.MlflowClient, run_id: str) -> mlflow.entities.Run:
    try:
        return client.get_run(run_id)
    except MlflowException:
        raise InputDataError(f"unknown MLflow run id {run_id!r} at {client.tracking_uri}") from None


def register_if_valid(
    run_id: str,
    name: str,
    criteria: Mapping[str, float],
    metrics: Mapping[str, float] | None = None,
    *,
    uri: str,
) -> ModelVersion | None:
    """Register a run's model as the ``challenger`` when it passes validation.

    Parameters
    ----------
    run_id : str
        A run from :func:`models.tracking.log_run` that logged a model.
    name : str
        Registered model, one per target, e.g. ``"ecocast-air-pm25"``.
    criteria : mapping of str to float
        The experiment's validation thresholds (``config.validation``).
    metrics : mapping of str to float, optional
        Values to check, by the criteria's references; by default they are
        read from the run (:func:`run_metrics`).
    uri : str
        Tracking and registry URI (:func:`models.tracking.tracking_uri`).

    Returns
    -------
    mlflow.entities.model_registry.ModelVersion or None
        The new version, now aliased ``challenger``; None when a threshold
        fails. Either way the run gets the tags ``validation_status``
        (``passed``/``failed``) and ``validation_reason``, and the reason is
        logged.

    Raises
    ------
    forecasting.errors.InputDataError
        When the run does not exist or logged no model, or a criterion has no
        direction.
    """
    client = client_for(uri)
    run = _get_run(client, run_id)
    model_uri = run.data.tags.get(TAG_MODEL_URI)
    if not model_uri:
        raise InputDataError(
            f"run {run_id} logged no model (no {TAG_MODEL_URI!r} tag); "
            "pass model= and input_example= to log_run"
        )
    values = run_metrics(client, run, criteria) if metrics is None else metrics
    result = check_validation(criteria, values)
    client.set_tag(run_id, "validation_status", "passed" if result.passed else "failed")
    client.set_tag(run_id, "validation_reason", result.reason)
    if not result.passed:
        _log.info("run %s not registered as %s: %s", run_id, name, result.reason)
        return None
    try:
        client.get_registered_model(name)
    except MlflowException:
        client.create_registered_model(name)
    keep = {k: v for k, v in run.data.tags.items() if k in (TAG_WINDOW, TAG_WEATHER)}
    # The registry resolves ``models:/<model id>`` through MLflow's global URI.
    with fluent_scope(uri):
        version = client.create_model_version(
            name,
            source=model_uri,
            run_id=run_id,
            tags={**keep, "validation_reason": result.reason},
            model_id=model_uri.removeprefix("models:/"),
        )
    client.set_registered_model_alias(name, CHALLENGER, version.version)
    _log.info("run %s registered as %s v%s (@%s)", run_id, name, version.version, CHALLENGER)
    return version


def registered_version(client: mlflow.MlflowClient, name: str, alias: str) -> ModelVersion | None:
    """Return the version of registered model ``name`` behind ``alias``.

    Parameters
    ----------
    client : mlflow.MlflowClient
        A client bound to the registry.
    name : str
        Registered model name.
    alias : str
        ``"champion"``, ``"challenger"`` or another alias.

    Returns
    -------
    mlflow.entities.model_registry.ModelVersion or None
        None when the alias is not set.

    Raises
    ------
    forecasting.errors.InputDataError
        When no registered model is called ``name`` (the message lists those
        that exist).
    """
    try:
        model = client.get_registered_model(name)
    except MlflowException:
        known = sorted(m.name for m in client.search_registered_models())
        raise InputDataError(
            f"no registered model {name!r} at {client.tracking_uri}; "
            f"registered models: {', '.join(known) or 'none'}"
        ) from None
    version = model.aliases.get(alias)
    return None if version is None else client.get_model_version(name, str(version))
