"""Runtime settings: where ecocast keeps its data, its database and its MLflow runs.

Runtime :class:`Settings` say *where* things are (directories, database URL,
tracking URI, display time zone); they never say *what* to run, which belongs
to experiment files. Settings come, in decreasing precedence, from keyword
overrides, ``ECOCAST_*`` environment variables, a ``.env`` file in the working
directory, and the defaults below.

Settings are built by :func:`load_settings`, never at import, so that tests and
the server can each build their own.

Examples
--------
>>> settings = load_settings(data_dir="/srv/ecocast")
>>> settings.database_url
'sqlite:////srv/ecocast/ecocast.sqlite'
>>> settings.timezone
'Asia/Shanghai'
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from forecasting.errors import InputDataError

__all__ = [
    "DATABASE_FILE_NAME",
    "DEFAULT_TIMEZONE",
    "ENV_PREFIX",
    "MLFLOW_DB_NAME",
    "Settings",
    "load_settings",
    "sqlite_url_for_path",
]

ENV_PREFIX = "ECOCAST_"
DEFAULT_TIMEZONE = "Asia/Shanghai"
DATABASE_FILE_NAME = "ecocast.sqlite"
MLFLOW_DB_NAME = "mlflow.db"


def sqlite_url_for_path(path: str | Path) -> str:
    """Return the SQLAlchemy URL of a SQLite database file.

    Parameters
    ----------
    path : str or path-like
        The database file; relative paths are resolved against the current
        working directory and ``~`` is expanded.

    Returns
    -------
    str
        ``sqlite:///<absolute path>``.

    Examples
    --------
    >>> sqlite_url_for_path("/tmp/x.sqlite")
    'sqlite:////tmp/x.sqlite'
    """
    return f"sqlite:///{Path(path).expanduser().resolve().as_posix()}"


class Settings(BaseSettings):
    """Runtime settings of an ecocast installation.

    Every field can be set by an environment variable named ``ECOCAST_`` plus the
    upper-case field name (``ECOCAST_DATABASE_URL``), or in a ``.env`` file.

    Attributes
    ----------
    data_dir : pathlib.Path
        Directory for the embedded store, the local MLflow store and other
        files. Default ``./data``, resolved to an absolute path when the
        settings are built.
    database_url : str
        SQLAlchemy URL of the observation and forecast store, e.g.
        ``postgresql+psycopg://user:pw@host/ecocast``. Empty (the default)
        means the embedded SQLite file ``<data_dir>/ecocast.sqlite``.
    mlflow_tracking_uri : str
        MLflow tracking and registry URI. Empty (the default) means the embedded
        SQLite store ``<data_dir>/mlflow.db`` (MLflow 3 recommends a database
        backend), with artifacts in ``<data_dir>/mlartifacts``; a server such as
        ``http://mlflow:5000`` is passed through.
    timezone : str
        IANA time zone for display and daily aggregation of stations that do
        not declare one. Default ``"Asia/Shanghai"`` (China Standard Time,
        UTC+08:00).
    cors_origins : list of str
        Origins allowed to call the HTTP API from a browser (CORS), e.g.
        ``["https://air.example.org"]``; ``["*"]`` allows any. Default none
        (no CORS headers). As an environment variable, a JSON list:
        ``ECOCAST_CORS_ORIGINS='["https://air.example.org"]'``.
    bench_endpoints : bool
        Serve ``/api/v1/_bench/constant``, a constant payload for the load
        benchmark. Default False; never enable it in production.
    issue_hour : int
        Local hour of the daily forecast issue [h]. Default 16: HJ 633—2026 §5.1 asks
        for a forecast of the next 3 days (not counting today) public before 20:00.
    issue_experiment : str
        Experiment whose features the champion models were trained on (a name in
        ``experiments/``). Default ``"air_beijing"``.
    warning_scheme : str
        Heavy-pollution warning scheme id or TOML file. Default the national 2024
        scheme (环大气〔2024〕6号).
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    data_dir: Path = Path("data")
    database_url: str = ""
    mlflow_tracking_uri: str = ""
    timezone: str = DEFAULT_TIMEZONE
    cors_origins: list[str] = []
    bench_endpoints: bool = False
    issue_hour: int = Field(16, ge=0, le=23)
    issue_experiment: str = "air_beijing"
    warning_scheme: str = ""

    @field_validator("data_dir")
    @classmethod
    def _absolute_data_dir(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown IANA time zone {value!r}; use an IANA name such as "
                "'Asia/Shanghai', 'Asia/Urumqi', 'Asia/Hong_Kong' or 'UTC'"
            ) from None
        return value

    @model_validator(mode="after")
    def _derive_locations(self) -> Settings:
        if not self.database_url.strip():
            self.database_url = sqlite_url_for_path(self.data_dir / DATABASE_FILE_NAME)
        if not self.mlflow_tracking_uri.strip():
            self.mlflow_tracking_uri = sqlite_url_for_path(self.data_dir / MLFLOW_DB_NAME)
        return self


def load_settings(**overrides: Any) -> Settings:
    """Build the runtime settings.

    Parameters
    ----------
    **overrides
        Field values that take precedence over the environment and ``.env``
        (``data_dir=...``, ``database_url=...``). ``_env_file=None`` ignores the
        ``.env`` file, ``_env_file=path`` reads another one.

    Returns
    -------
    Settings
        The validated settings, with ``database_url`` and
        ``mlflow_tracking_uri`` derived from ``data_dir`` when unset.

    Raises
    ------
    forecasting.errors.InputDataError
        When a value is invalid (the message names the field and the value).
    """
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{ENV_PREFIX}{'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            f" (got {err.get('input')!r})"
            for err in exc.errors()
        )
        raise InputDataError(f"invalid ecocast settings: {problems}") from None
