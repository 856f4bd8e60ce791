"""Metric orientation and skill against reference forecasts (persistence, climatology).

Every metric that :mod:`models.verification` reports has an entry in
:data:`METRIC_INFO` (or a parametrised name that :func:`metric_info` resolves): whether
lower or higher is better, or whether it has a target value, and its perfect value.
:func:`skill_score` turns a metric of a model and of a reference into the generalised
skill score ``1 − |m − p| / |r − p|`` (``p`` the perfect value), which is
``1 − m/r`` for errors and ``(m − r)/(1 − r)`` for accuracies. :func:`compare_to_baselines`
puts every figure of every model beside those of the references, with the skill.

References
----------
.. [1] Jolliffe, I. T. and Stephenson, D. B. (eds.), Forecast Verification, 2nd ed.,
   Wiley, 2012, §2.7 (skill scores) and §5.4.
.. [2] Murphy, A. H., Skill scores based on the mean square error and their
   relationships to the correlation coefficient, Mon. Weather Rev. 116, 2417–2424, 1988.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Literal, overload

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasting.errors import InputDataError, UnknownStandardError
from models.verify_common import FloatArray, require_columns

__all__ = [
    "DEFAULT_REFERENCES",
    "METRIC_INFO",
    "MetricInfo",
    "Orientation",
    "compare_to_baselines",
    "metric_info",
    "skill_score",
]

Orientation = Literal["lower", "higher", "target"]
DEFAULT_REFERENCES: tuple[str, ...] = ("persistence", "climatology")
"""The reference forecasts every figure is shown beside (product brief, capability 6)."""


@dataclass(frozen=True)
class MetricInfo:
    """What a metric means and which way is better.

    Attributes
    ----------
    name : str
        Metric name as it appears in the tidy tables and ``metrics.json``.
    orientation : {"lower", "higher", "target"}
        ``"lower"``: lower is better (``*_error``, ``*_loss``); ``"higher"``: higher is
        better (``*_score``, ``pearson_r``); ``"target"``: best at ``perfect`` (NMB,
        coverage).
    perfect : float
        Value of a perfect forecast.
    units : str
        ``"variable"`` (units of the verified variable, µg m⁻³ or CO mg m⁻³; AQI is
        dimensionless) or ``"1"`` (dimensionless).
    description : str
        One line: the formula.
    """

    name: str
    orientation: Orientation
    perfect: float
    units: str
    description: str


def _info(name: str, orientation: Orientation, perfect: float, units: str, text: str) -> MetricInfo:
    return MetricInfo(name, orientation, perfect, units, text)


METRIC_INFO: Mapping[str, MetricInfo] = MappingProxyType(
    {
        m.name: m
        for m in (
            _info("mean_absolute_error", "lower", 0.0, "variable", "Σ|F − O| / n"),
            _info("root_mean_squared_error", "lower", 0.0, "variable", "√(Σ(F − O)² / n)"),
            _info("normalized_mean_bias", "target", 0.0, "1", "Σ(F − O) / ΣO (HJ 1130)"),
            _info("normalized_mean_error", "lower", 0.0, "1", "Σ|F − O| / ΣO (HJ 1130)"),
            _info("pearson_r", "higher", 1.0, "1", "Pearson correlation of F and O"),
            _info("level_accuracy_score", "higher", 1.0, "1", "share of days, same AQI level"),
            _info("level_within_one_score", "higher", 1.0, "1", "share of days, level ±1"),
            _info(
                "aqi_range_accuracy_score", "higher", 1.0, "1", "share of days, 0.75F ≤ O ≤ 1.25F"
            ),
            _info(
                "primary_accuracy_score",
                "higher",
                1.0,
                "1",
                "share of days with observed level ≥ 2 whose primary pollutant matches",
            ),
            _info("probability_of_detection_score", "higher", 1.0, "1", "H / (H + M)"),
            _info("false_alarm_ratio_error", "lower", 0.0, "1", "F / (H + F)"),
            _info("critical_success_index_score", "higher", 1.0, "1", "H / (H + M + F)"),
        )
    }
)
"""Metrics with a fixed name; parametrised names are resolved by :func:`metric_info`."""

_EVENT = re.compile(r"^(?P<base>.+)_level_ge(?P<level>\d+)$")
_PINBALL = re.compile(r"^pinball_loss_q(?P<q>\d{2})$")
_COVERAGE = re.compile(r"^interval_coverage_q(?P<lo>\d{2})_q(?P<hi>\d{2})$")
_EXAMPLES = ("pinball_loss_q10", "interval_coverage_q10_q90", "<event score>_level_ge3")


def metric_info(name: str) -> MetricInfo:
    """Return the orientation, perfect value and units of a metric.

    Parameters
    ----------
    name : str
        A name of :data:`METRIC_INFO`, or ``pinball_loss_qNN`` (quantile NN %),
        ``interval_coverage_qLL_qHH`` (central interval, perfect value (HH − LL)/100) or
        an event score with the suffix ``_level_geK`` (event: level ≥ K).

    Returns
    -------
    MetricInfo

    Raises
    ------
    UnknownStandardError
        If the name is not a known metric (the message lists them).

    Examples
    --------
    >>> metric_info("interval_coverage_q10_q90").perfect
    0.8
    >>> metric_info("false_alarm_ratio_error_level_ge5").orientation
    'lower'
    """
    if name in METRIC_INFO:
        return METRIC_INFO[name]
    if match := _PINBALL.match(name):
        q = match["q"]
        return _info(name, "lower", 0.0, "variable", f"mean pinball loss of q{q}, τ = 0.{q}")
    if (match := _COVERAGE.match(name)) and int(match["lo"]) < int(match["hi"]):
        nominal = round((int(match["hi"]) - int(match["lo"])) / 100, 2)
        text = f"share of O in [q{match['lo']}, q{match['hi']}], nominal {nominal}"
        return _info(name, "target", nominal, "1", text)
    if (match := _EVENT.match(name)) and match["base"] in (
        "probability_of_detection_score",
        "false_alarm_ratio_error",
        "critical_success_index_score",
    ):
        base = METRIC_INFO[match["base"]]
        return replace(base, name=name, description=f"{base.description}, level ≥ {match['level']}")
    raise UnknownStandardError("verification metric", name, [*METRIC_INFO, *_EXAMPLES])


@overload
def skill_score(metric_model: float, metric_reference: float, *, perfect: float = ...) -> float: ...
@overload
def skill_score(
    metric_model: npt.ArrayLike, metric_reference: npt.ArrayLike, *, perfect: npt.ArrayLike = ...
) -> FloatArray: ...
def skill_score(
    metric_model: npt.ArrayLike, metric_reference: npt.ArrayLike, *, perfect: npt.ArrayLike = 0.0
) -> float | FloatArray:
    """Skill of a model relative to a reference forecast, ``1 − |m − p| / |r − p|``.

    Parameters
    ----------
    metric_model : float or array_like
        The metric of the model.
    metric_reference : float or array_like
        The same metric of the reference forecast (persistence, climatology), computed on
        the same cases.
    perfect : float or array_like, default 0.0
        The metric's perfect value (0 for errors, 1 for accuracies and r, the nominal
        coverage for a coverage; :func:`metric_info`).

    Returns
    -------
    float or ndarray of float
        1 for a perfect model, 0 for no improvement on the reference, negative when worse
        [dimensionless]; NaN when the reference is perfect or a value is missing.

    Notes
    -----
    For an error (``p = 0``) this is ``1 − m/r`` (MAE and RMSE skill); for an accuracy
    (``p = 1``) it is ``(m − r)/(1 − r)``, the usual generalised skill score [1]_; for a
    target metric it compares the distances from the target.

    References
    ----------
    .. [1] Jolliffe and Stephenson (2012), §2.7, eq. (2.9).

    Examples
    --------
    >>> skill_score(30.0, 40.0)
    0.25
    >>> skill_score(0.875, 0.75, perfect=1.0)
    0.5
    """
    m = np.asarray(metric_model, dtype=np.float64)
    r = np.asarray(metric_reference, dtype=np.float64)
    p = np.asarray(perfect, dtype=np.float64)
    d_ref = np.abs(r - p)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(d_ref > 0, 1.0 - np.abs(m - p) / np.where(d_ref > 0, d_ref, 1.0), np.nan)
    if out.ndim == 0:
        return float(out)
    return np.asarray(out, dtype=np.float64)


def _keys(frames: Mapping[str, pd.DataFrame]) -> list[str]:
    keys: list[str] | None = None
    for name, frame in frames.items():
        require_columns(frame, ("metric", "value", "n"), f"metrics of {name!r}")
        these = [str(c) for c in frame.columns if c not in ("metric", "value", "n")]
        if keys is not None and set(these) != set(keys):
            raise InputDataError(
                f"metrics of {name!r} have key columns {these}, others have {keys}; "
                "compare tables from the same verify_* function"
            )
        keys = these
        dup = frame.duplicated([*these, "metric"]).to_numpy()
        if dup.any():
            row = frame.iloc[int(np.flatnonzero(dup)[0])]
            raise InputDataError(f"metrics of {name!r}: row {dict(row)} appears twice")
    return keys or []


def compare_to_baselines(
    metrics_by_model: Mapping[str, pd.DataFrame],
    reference: Sequence[str] = DEFAULT_REFERENCES,
) -> pd.DataFrame:
    """Put every figure of every model beside the references' figures, with the skill.

    Parameters
    ----------
    metrics_by_model : mapping of str to pandas.DataFrame
        Model name → tidy metrics table from :func:`~models.verification.verify_hourly`
        or :func:`~models.verification.verify_daily` (key columns, ``metric``, ``value``,
        ``n``). Must contain every reference. Verify all models on the same cases
        (:func:`~models.verification.common_cases`) so that the skill is fair.
    reference : sequence of str, default ("persistence", "climatology")
        Names of the reference forecasts.

    Returns
    -------
    pandas.DataFrame
        One row per model and metric row: ``model``, the key columns, ``metric``,
        ``value``, ``n``, and for each reference ``R``: ``R_value``, ``R_n`` (Int64) and
        ``R_skill_score`` (:func:`skill_score` with the metric's perfect value; NaN for a
        figure the reference lacks). A reference's skill against itself is 0 (or NaN when
        it is perfect).

    Raises
    ------
    InputDataError
        If a reference is missing, the tables have different key columns or a row
        appears twice.
    UnknownStandardError
        If a metric name is unknown (:func:`metric_info`).

    Examples
    --------
    >>> t = lambda v: pd.DataFrame({"lead_h": [1], "metric": ["mean_absolute_error"],
    ...                             "value": [v], "n": [10]})
    >>> out = compare_to_baselines({"gbm": t(6.0), "persistence": t(8.0), "climatology": t(12.0)})
    >>> out.loc[0, ["persistence_skill_score", "climatology_skill_score"]].tolist()
    [0.25, 0.5]
    """
    absent = [r for r in reference if r not in metrics_by_model]
    if absent:
        raise InputDataError(
            f"no metrics for reference(s) {absent}; metrics_by_model has "
            f"{list(metrics_by_model)}. Every model is verified against {list(reference)}"
        )
    keys = [*_keys(metrics_by_model), "metric"]
    frames = []
    for name, table in metrics_by_model.items():
        out = table.loc[:, [*keys, "value", "n"]].reset_index(drop=True)
        perfect = out["metric"].map(
            {m: metric_info(str(m)).perfect for m in out["metric"].unique()}
        )
        for ref in reference:
            other = metrics_by_model[ref].loc[:, [*keys, "value", "n"]]
            other = other.rename(columns={"value": f"{ref}_value", "n": f"{ref}_n"})
            out = out.merge(other, on=keys, how="left", validate="one_to_one")
            out[f"{ref}_n"] = out[f"{ref}_n"].astype("Int64")
            out[f"{ref}_skill_score"] = skill_score(
                out["value"].to_numpy(dtype=np.float64, na_value=np.nan),
                out[f"{ref}_value"].to_numpy(dtype=np.float64, na_value=np.nan),
                perfect=perfect.to_numpy(dtype=np.float64),
            )
        frames.append(out.assign(model=name))
    combined = pd.concat(frames, ignore_index=True)
    return combined.loc[:, ["model", *[c for c in combined.columns if c != "model"]]]
