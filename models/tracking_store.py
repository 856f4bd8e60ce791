"""Where MLflow keeps ecocast's runs and models, and how ecocast talks to it.

The embedded default lives in the data directory, as MLflow 3 recommends for a
local installation: a SQLite database for tracking and the model registry and a
plain directory for artifacts,

- ``sqlite:///<data_dir>/mlflow.db`` (runs, metrics, registered models),
- ``<data_dir>/mlartifacts/<experiment>/`` (plots, backtest files, models).

A tracking server (``http://…``) or another database URI in the settings field
``mlflow_tracking_uri`` replaces it; the server then decides where artifacts go.

Nothing here sets MLflow's process-wide tracking URI: every call builds an
:class:`mlflow.MlflowClient` for an explicit URI. Where MLflow offers only its
fluent API (``mlflow.pyfunc.log_model`` and ``mlflow.pyfunc.load_model``),
:func:`fluent_scope` sets the URI for the duration of the call and restores the
previous tracking and registry URIs, environment variables included. The fluent
API is process-global, so such calls must not run concurrently in threads.

References
----------
.. [1] MLflow 3 documentation, "Backend Stores": the default backend is
   ``sqlite:///mlflow.db``; file stores are kept for existing ``./mlruns`` data.
   https://mlflow.org/docs/latest/self-hosting/architecture/backend-store/
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, cast
from urllib.parse import unquote

import mlflow
from mlflow.exceptions import MlflowException

from forecasting.config import MLFLOW_DB_NAME, sqlite_url_for_path
from forecasting.errors import InputDataError

__all__ = [
    "ARTIFACT_DIR_NAME",
    "TRACKING_DB_NAME",
    "TrackingSettings",
    "artifact_root",
    "client_for",
    "experiment_id_for",
    "fluent_scope",
    "tracking_uri",
]

TRACKING_DB_NAME = MLFLOW_DB_NAME
"""File name of the embedded tracking and registry database in the data directory."""

ARTIFACT_DIR_NAME = "mlartifacts"
"""Directory name of the embedded artifact store in the data directory."""

_ENV_TRACKING = "MLFLOW_TRACKING_URI"
_ENV_REGISTRY = "MLFLOW_REGISTRY_URI"
_SQLITE_PREFIX = "sqlite:///"


class TrackingSettings(Protocol):
    """The part of :class:`forecasting.config.Settings` that tracking reads.

    Attributes
    ----------
    data_dir : pathlib.Path
        The data directory (absolute).
    mlflow_tracking_uri : str
        An explicit tracking URI, or empty for the embedded default.
    """

    @property
    def data_dir(self) -> Path:
        """The data directory."""
        ...

    @property
    def mlflow_tracking_uri(self) -> str:
        """An explicit tracking URI, or empty."""
        ...


def tracking_uri(settings: TrackingSettings) -> str:
    """Return the MLflow tracking (and registry) URI of an installation.

    Parameters
    ----------
    settings : TrackingSettings
        Runtime settings (:class:`forecasting.config.Settings` qualifies).

    Returns
    -------
    str
        ``settings.mlflow_tracking_uri`` when it names a store, passed through
        unchanged (``http://host:5000``, ``postgresql://…``); otherwise the
        embedded ``sqlite:///<data_dir>/mlflow.db``.

    Notes
    -----
    The embedded default follows MLflow 3's recommendation of a database
    backend [1]_; :class:`forecasting.config.Settings` derives the same URI.

    References
    ----------
    .. [1] MLflow 3 documentation, "Backend Stores".
       https://mlflow.org/docs/latest/self-hosting/architecture/backend-store/

    Examples
    --------
    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class S:
    ...     data_dir: Path
    ...     mlflow_tracking_uri: str = ""
    >>> tracking_uri(S(Path("/srv/ecocast")))
    'sqlite:////srv/ecocast/mlflow.db'
    >>> tracking_uri(S(Path("/srv/ecocast"), "http://mlflow:5000"))
    'http://mlflow:5000'
    """
    explicit = settings.mlflow_tracking_uri.strip()
    if explicit:
        return explicit
    return sqlite_url_for_path(Path(settings.data_dir) / TRACKING_DB_NAME)


def _sqlite_path(uri: str) -> Path | None:
    if not uri.startswith(_SQLITE_PREFIX):
        return None
    path = unquote(uri[len(_SQLITE_PREFIX) :]).split("?", 1)[0]
    if not path or path == ":memory:":
        return None
    return Path(path)


def artifact_root(uri: str) -> Path | None:
    """Return the embedded artifact directory that goes with a tracking URI.

    Parameters
    ----------
    uri : str
        A tracking URI.

    Returns
    -------
    pathlib.Path or None
        ``<dir>/mlartifacts`` beside a SQLite database file ``<dir>/…``;
        ``None`` for servers and other databases, whose artifact location is
        the server's setting.

    Examples
    --------
    >>> artifact_root("sqlite:////srv/ecocast/mlflow.db").as_posix()
    '/srv/ecocast/mlartifacts'
    >>> artifact_root("http://mlflow:5000") is None
    True
    """
    db = _sqlite_path(uri)
    return None if db is None else db.parent / ARTIFACT_DIR_NAME


def client_for(uri: str) -> mlflow.MlflowClient:
    """Return a client for tracking and registry at ``uri``.

    Parameters
    ----------
    uri : str
        The tracking URI (from :func:`tracking_uri`); the registry is the same
        store.

    Returns
    -------
    mlflow.MlflowClient
        A client bound to ``uri``; the directory of an embedded SQLite
        database is created when missing.
    """
    db = _sqlite_path(uri)
    if db is not None:
        db.parent.mkdir(parents=True, exist_ok=True)
    return mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "experiment"


def experiment_id_for(client: mlflow.MlflowClient, name: str, uri: str) -> str:
    """Return the id of the MLflow experiment ``name``, creating it when missing.

    Parameters
    ----------
    client : mlflow.MlflowClient
        A client from :func:`client_for`.
    name : str
        The experiment name (``config.tracking.experiment``).
    uri : str
        The tracking URI of ``client``; for the embedded store the experiment's
        artifacts go to ``<data_dir>/mlartifacts/<name>``.

    Returns
    -------
    str
        The experiment id.

    Raises
    ------
    forecasting.errors.InputDataError
        When the experiment exists but was deleted (restore it or pick another
        name).
    """
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        if experiment.lifecycle_stage != "active":
            raise InputDataError(
                f"MLflow experiment {name!r} at {uri} is deleted; restore it "
                "(mlflow experiments restore) or choose another tracking.experiment"
            )
        return str(experiment.experiment_id)
    root = artifact_root(uri)
    location = None if root is None else (root / _slug(name)).as_uri()
    try:
        return str(client.create_experiment(name, artifact_location=location))
    except MlflowException:  # created meanwhile by another process
        experiment = client.get_experiment_by_name(name)
        if experiment is None:
            raise
        return str(experiment.experiment_id)


def _restore_env(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


@contextmanager
def fluent_scope(uri: str) -> Iterator[None]:
    """Point MLflow's fluent API at ``uri`` for the duration of a ``with`` block.

    Parameters
    ----------
    uri : str
        Tracking and registry URI to use inside the block.

    Yields
    ------
    None
        Inside the block ``mlflow.get_tracking_uri()`` is ``uri``.

    Notes
    -----
    On exit, the tracking and registry URIs, and the ``MLFLOW_TRACKING_URI``
    and ``MLFLOW_REGISTRY_URI`` environment variables that MLflow sets beside
    them, are restored to what they were, also when the block raises.
    """
    env_before = {key: os.environ.get(key) for key in (_ENV_TRACKING, _ENV_REGISTRY)}
    tracking_before = mlflow.get_tracking_uri()
    registry_before = mlflow.get_registry_uri()
    # MLflow's public setters accept None to unset, but are annotated ``str``.
    set_tracking = cast(Any, mlflow.set_tracking_uri)
    set_registry = cast(Any, mlflow.set_registry_uri)
    set_tracking(uri)
    set_registry(uri)
    try:
        yield
    finally:
        set_tracking(None)
        set_registry(None)
        for key, value in env_before.items():
            _restore_env(key, value)
        if mlflow.get_tracking_uri() != tracking_before:
            set_tracking(tracking_before)
            _restore_env(_ENV_TRACKING, env_before[_ENV_TRACKING])
        if mlflow.get_registry_uri() != registry_before:
            set_registry(registry_before)
            _restore_env(_ENV_REGISTRY, env_before[_ENV_REGISTRY])
