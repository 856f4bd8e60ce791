"""An ecocast estimator as an MLflow ``pyfunc`` model.

MLflow stores a forecasting estimator through its public
:class:`mlflow.pyfunc.PythonModel` interface (style guide §3.6), not through a
custom flavour built on private helpers. :class:`EstimatorPythonModel` holds the
fitted estimator (MLflow pickles it with cloudpickle) and forwards ``predict``
after checking that the columns the estimator was fitted on are present; the
whole frame (keys such as ``station`` and ``valid_at`` included) goes to the
estimator, which picks its inputs as the contract of :mod:`models.base` says.

The estimator contract is that of :mod:`models.base`; tracking relies on
``predict`` returning the point forecast ``value`` and the quantiles ``q10``
and ``q90``, ``get_params`` (:class:`ForecastEstimator`), the fitted
``feature_names_in_`` and pickling.

MLflow's ``datetime`` schema type has no time zone, so the pyfunc boundary
carries timestamps as timezone-naive UTC: :func:`naive_utc` converts a frame
for it, and the wrapper turns the columns that were timezone-aware when the
model was logged (``issued_at``, ``valid_at``) back into UTC-aware stamps
before the estimator sees them, as ecocast keeps time inside (style guide
§3.2).

Loading a logged model needs the package that defines the estimator class
(``ecocast`` itself for the estimators in :mod:`models`) importable in the
loading environment, because cloudpickle stores importable classes by
reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import metadata
from typing import Any, Protocol, runtime_checkable

import pandas as pd
from mlflow.pyfunc.model import PythonModel, PythonModelContext

from forecasting.errors import InputDataError, NotFittedError

__all__ = [
    "FORECAST_COLUMNS",
    "EstimatorPythonModel",
    "ForecastEstimator",
    "naive_utc",
    "pip_requirements",
]

FORECAST_COLUMNS: tuple[str, ...] = ("value", "q10", "q90")
"""Columns of an estimator's forecast: point forecast, 10 % and 90 % quantiles."""

_REQUIREMENT_DISTRIBUTIONS: tuple[str, ...] = (
    "mlflow",
    "cloudpickle",
    "numpy",
    "pandas",
    "scikit-learn",
    "lightgbm",
    "statsmodels",
)


@runtime_checkable
class ForecastEstimator(Protocol):
    """What :mod:`models.tracking` needs from a fitted forecasting estimator.

    The full contract is in :mod:`models.base`: ``fit(X, y) -> self``,
    ``predict(X)`` returning ``value``, ``q10`` and ``q90``, ``get_params()``,
    ``feature_names_in_`` set by ``fit``, and picklable. Only the methods that
    tracking calls are part of this protocol; ``feature_names_in_`` is checked
    when the model is wrapped, because it exists only after ``fit``.
    """

    def predict(self, X: pd.DataFrame) -> pd.DataFrame:
        """Return one row per row of ``X`` with columns ``value``, ``q10``, ``q90``."""
        ...

    def get_params(self) -> dict[str, Any]:
        """Return the hyperparameters given to ``__init__``."""
        ...


class EstimatorPythonModel(PythonModel):
    """A fitted :class:`ForecastEstimator` behind MLflow's ``pyfunc`` interface.

    Parameters
    ----------
    estimator : ForecastEstimator
        A fitted estimator; it must be picklable.
    utc_columns : sequence of str, default ()
        Columns that arrive as timezone-naive UTC (see :func:`naive_utc`) and
        are made UTC-aware again before ``estimator.predict``.

    Raises
    ------
    forecasting.errors.NotFittedError
        When ``estimator`` has no ``feature_names_in_`` (it was never fitted).

    Examples
    --------
    >>> EstimatorPythonModel(object())  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    forecasting.errors.NotFittedError: object is not fitted ...
    """

    def __init__(self, estimator: ForecastEstimator, utc_columns: Sequence[str] = ()) -> None:
        names = getattr(estimator, "feature_names_in_", None)
        if names is None:
            raise NotFittedError(
                f"{type(estimator).__name__} is not fitted (it has no feature_names_in_); "
                "call fit(X, y) before logging it as a model"
            )
        self.estimator = estimator
        self.feature_names = tuple(str(n) for n in names)
        self.utc_columns = tuple(utc_columns)

    def predict(
        self,
        context: PythonModelContext | None,
        model_input: pd.DataFrame,
        params: dict[str, Any] | None = None,
    ) -> pd.DataFrame:
        """Forecast from a frame of features.

        Parameters
        ----------
        context : mlflow.pyfunc.PythonModelContext or None
            Supplied by MLflow; not used (the estimator travels in the pickle).
        model_input : pandas.DataFrame
            Rows of the model matrix, one per forecast. It must hold every
            column in ``feature_names``; the estimator ignores the others.
            Columns in ``utc_columns`` are naive UTC or timezone-aware.
        params : dict or None
            Inference parameters; none are defined, so it is ignored.

        Returns
        -------
        pandas.DataFrame
            The estimator's forecast with columns ``value``, ``q10`` and
            ``q90``, in the units of the target (e.g. [µg m⁻³] for PM2.5).

        Raises
        ------
        forecasting.errors.InputDataError
            When feature columns are missing (the message names them).
        """
        del context, params
        missing = [name for name in self.feature_names if name not in model_input.columns]
        if missing:
            raise InputDataError(
                f"model input lacks feature column(s) {missing}; the model was fitted on "
                f"{list(self.feature_names)} (got columns {list(map(str, model_input.columns))})"
            )
        frame = model_input
        present = [c for c in self.utc_columns if c in frame.columns]
        if present:
            frame = frame.assign(**{c: _as_utc(frame[c]) for c in present})
        forecast = self.estimator.predict(frame)
        absent = [c for c in FORECAST_COLUMNS if c not in forecast.columns]
        if absent:
            raise InputDataError(
                f"{type(self.estimator).__name__}.predict returned no column(s) {absent}; "
                f"an estimator must return {list(FORECAST_COLUMNS)}"
            )
        return forecast


def _as_utc(column: pd.Series[Any]) -> pd.Series[Any]:
    stamps = pd.to_datetime(column)
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        return stamps.dt.tz_convert("UTC")
    return stamps.dt.tz_localize("UTC")


def naive_utc(frame: pd.DataFrame) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Convert the timezone-aware columns of a frame to timezone-naive UTC.

    MLflow's model signature has a ``datetime`` type without a zone and
    refuses timezone-aware columns, so frames crossing the pyfunc boundary
    carry naive UTC stamps.

    Parameters
    ----------
    frame : pandas.DataFrame
        A frame, e.g. rows of the model matrix with ``issued_at`` and
        ``valid_at`` (timezone-aware).

    Returns
    -------
    frame : pandas.DataFrame
        A copy in which every timezone-aware column is naive UTC.
    columns : tuple of str
        Names of the converted columns.

    Examples
    --------
    >>> stamps = pd.to_datetime(["2026-03-01 08:00+08:00"])
    >>> naive, cols = naive_utc(pd.DataFrame({"valid_at": stamps}))
    >>> str(naive["valid_at"].iloc[0]), cols
    ('2026-03-01 00:00:00', ('valid_at',))
    """
    columns = tuple(str(c) for c in frame.columns if isinstance(frame[c].dtype, pd.DatetimeTZDtype))
    converted = {c: frame[c].dt.tz_convert("UTC").dt.tz_localize(None) for c in columns}
    return frame.assign(**converted), columns


def pip_requirements() -> list[str]:
    """Pin the installed versions of the libraries a logged model needs.

    Passing the requirements explicitly spares MLflow the subprocess it
    otherwise starts to infer them, which is slow and noisy. ``ecocast`` itself
    is not listed, because it is not on a package index: the loading
    environment must have it installed (the service and the CLI do).

    Returns
    -------
    list of str
        ``name==version`` for each of ``mlflow``, ``cloudpickle``, ``numpy``,
        ``pandas``, ``scikit-learn``, ``lightgbm`` and ``statsmodels`` that is
        installed.

    Examples
    --------
    >>> any(r.startswith("mlflow==") for r in pip_requirements())
    True
    """
    pins: list[str] = []
    for name in _REQUIREMENT_DISTRIBUTIONS:
        try:
            pins.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            continue
    return pins
