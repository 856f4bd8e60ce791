"""Experiment files: what a train or backtest run is made of, declared, never paths.

An experiment file (``experiments/<name>.toml``) names its targets, its features
(:class:`features.config.FeatureConfig`, including the weather source: none, perfect
prognosis or forecast fields), its model and hyper-parameters, its baselines, its
backtest windows, its metrics, its promotion threshold and its validation criteria.
Unknown keys are refused (``extra="forbid"``) so a typo never silently changes an
experiment; paths and URIs are not part of it (they come from the command line and the
settings), so the same file runs on any machine.

Example
-------
::

    name = "air_beijing"
    domain = "air"
    targets = ["pm25", "pm10", "so2", "no2", "co", "o3"]

    [features]
    weather = "none"

    [model]
    name = "direct_gbm"
    params = { n_estimators = 400 }

    [[backtest.windows]]
    start = "2015-03-01"
    end = "2016-02-29"

    [promotion]
    primary_metric = "summary_daily_aqi_level_accuracy_score"
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from features.config import POLLUTANTS, FeatureConfig
from forecasting.config import DEFAULT_TIMEZONE
from forecasting.errors import InputDataError

__all__ = [
    "BacktestSpec",
    "ExperimentConfig",
    "ModelSpec",
    "PromotionSpec",
    "TrackingSpec",
    "TrainingSpec",
    "Window",
    "experiment_path",
    "load_experiment",
]

WEATHER_LABELS = {"none": "none", "perfect_prognosis": "perfect prognosis", "forecast": "forecast"}
"""How each weather source is labelled wherever its figures appear."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelSpec(_Strict):
    """An estimator by its registered name (:data:`models.registry.MODELS`) and parameters."""

    name: str
    params: dict[str, Any] = Field(default_factory=dict)


class Window(_Strict):
    """A backtest window of issue dates, both inclusive (local dates)."""

    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end < self.start:
            raise ValueError(f"window ends ({self.end}) before it starts ({self.start})")
        return self

    @property
    def label(self) -> str:
        """``YYYY-MM-DD/YYYY-MM-DD``, the MLflow ``backtest_window`` tag."""
        return f"{self.start.isoformat()}/{self.end.isoformat()}"


class BacktestSpec(_Strict):
    """Issue schedule and windows of a backtest.

    Attributes
    ----------
    issue_hour : int
        Local hour of the daily issue [h]; the benchmark uses 00:00.
    windows : list of Window
        Default windows (the command line's ``--start``/``--end`` override them).
    """

    issue_hour: int = Field(0, ge=0, le=23)
    windows: tuple[Window, ...] = ()


class TrainingSpec(_Strict):
    """Which training rows a fit sees.

    Attributes
    ----------
    history_days : int or None
        Issue days of training before the first forecast (None: all data).
    issue_stride_days : int
        Use every k-th issue day for training rows (1: all). Neighbouring issue days
        share most of their targets, so a stride of 2 halves the fit time at little cost.
    hours : list of int
        Local issue hours of the training rows; several hours teach the model the
        diurnal phase of the first leads when it is issued at other hours.
    """

    history_days: int | None = Field(None, ge=30)
    issue_stride_days: int = Field(1, ge=1, le=7)
    hours: tuple[int, ...] = (0,)

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or any(not 0 <= h <= 23 for h in value):
            raise ValueError("hours must be local hours 0..23, e.g. [0, 12]")
        return tuple(sorted(set(value)))


class PromotionSpec(_Strict):
    """The promotion gate: challenger replaces champion only when better by this much.

    ``primary_metric`` is a metric name as logged on backtest runs, ending in
    ``_score`` (higher is better) or ``_error`` (lower is better), e.g.
    ``summary_daily_pm25_mean_absolute_error`` (days 1-3 averaged) or
    ``daily_pm25_mean_absolute_error@1`` (day 1).
    """

    primary_metric: str = "summary_daily_aqi_level_accuracy_score"
    min_improvement: float = Field(0.0, ge=0.0, le=1.0)


class TrackingSpec(_Strict):
    """Where runs are recorded: the MLflow experiment name."""

    experiment: str = "ecocast-air"


class ExperimentConfig(_Strict):
    """A whole experiment file.

    Attributes
    ----------
    name : str
        Experiment name (file stem by convention).
    description : str
        One paragraph for people.
    domain : {"air"}
        Forecast domain.
    targets : list of str
        Pollutants forecast [µg m⁻³; CO mg m⁻³].
    features : FeatureConfig
        Feature families, leads and the weather source.
    model : ModelSpec
        The forecaster.
    baselines : list of ModelSpec
        References scored beside it; persistence and climatology are always among them.
    training, backtest, promotion, tracking
        See the classes.
    metrics : list of str
        Headline metrics printed and summarised (names of :mod:`models.verification`).
    validation : dict of str to float
        Thresholds a backtest must meet before its model is registered as challenger,
        e.g. ``{"summary_daily_{target}_mean_absolute_error_skill_vs_climatology_score" =
        0.0}`` (criteria of :func:`models.tracking_gate.check_validation`; ``{target}`` is
        replaced by each target's name).
    timezone : str
        Local zone of the issue hour and the forecast days.
    """

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    domain: Literal["air"] = "air"
    targets: tuple[str, ...] = POLLUTANTS
    features: FeatureConfig = FeatureConfig()
    model: ModelSpec = ModelSpec(name="direct_gbm")
    baselines: tuple[ModelSpec, ...] = (
        ModelSpec(name="persistence"),
        ModelSpec(name="seasonal_naive"),
        ModelSpec(name="climatology"),
    )
    training: TrainingSpec = TrainingSpec()
    backtest: BacktestSpec = BacktestSpec()
    metrics: tuple[str, ...] = (
        "mean_absolute_error",
        "root_mean_squared_error",
        "normalized_mean_bias_error",
        "level_accuracy_score",
    )
    promotion: PromotionSpec = PromotionSpec()
    validation: dict[str, float] = Field(default_factory=dict)
    tracking: TrackingSpec = TrackingSpec()
    timezone: str = DEFAULT_TIMEZONE

    @field_validator("targets")
    @classmethod
    def _targets(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [t for t in value if t not in POLLUTANTS]
        if unknown or not value:
            raise ValueError(f"targets {list(unknown) or '[]'}: choose from {list(POLLUTANTS)}")
        return tuple(dict.fromkeys(value))

    @field_validator("baselines")
    @classmethod
    def _references(cls, value: tuple[ModelSpec, ...]) -> tuple[ModelSpec, ...]:
        names = [b.name for b in value]
        missing = [r for r in ("persistence", "climatology") if r not in names]
        if missing:
            raise ValueError(f"baselines must include {missing}: every figure is shown beside them")
        return value

    @property
    def weather_label(self) -> str:
        """``"none"``, ``"perfect prognosis"`` or ``"forecast"``."""
        return WEATHER_LABELS[self.features.weather]

    def fingerprint(self) -> str:
        """Short hash of the configuration (the run's ``experiment_hash`` tag)."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def experiment_path(reference: str | Path, *, search: Path | None = None) -> Path:
    """Resolve an experiment reference: a file path, or a name in ``experiments/``.

    Parameters
    ----------
    reference : str or pathlib.Path
        ``experiments/air_beijing.toml``, ``air_beijing.toml`` or ``air_beijing``.
    search : pathlib.Path, optional
        Directory of experiment files (default: ``./experiments``, then the one beside
        the installed package).

    Raises
    ------
    InputDataError
        When no such file exists, listing the experiments found.
    """
    path = Path(reference)
    if path.is_file():
        return path
    folders = [search] if search else [Path("experiments"), _project_experiments()]
    stem = path.name.removesuffix(".toml")
    for folder in folders:
        candidate = folder / f"{stem}.toml"
        if candidate.is_file():
            return candidate
    found = sorted({p.stem for f in folders if f.is_dir() for p in f.glob("*.toml")})
    raise InputDataError(f"experiment {str(reference)!r} not found; available: {found}")


def _project_experiments() -> Path:
    return Path(__file__).resolve().parents[2] / "experiments"


def load_experiment(reference: str | Path) -> ExperimentConfig:
    """Read and validate an experiment file (:func:`experiment_path` resolves names).

    Raises
    ------
    InputDataError
        For a missing file, malformed TOML or an invalid or unknown key, naming the file
        and the key.
    """
    path = experiment_path(reference)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputDataError(f"{path}: not valid TOML: {exc}") from exc
    raw.setdefault("name", path.stem)
    try:
        return ExperimentConfig.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or '(top)'}: {e['msg']}" for e in exc.errors()
        )
        raise InputDataError(f"{path}: {problems}") from exc
