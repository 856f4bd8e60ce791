"""The promotion decision: whether the ``challenger`` replaces the ``champion``.

:func:`promote` compares the runs behind the two aliases of a registered model
on the experiment's primary metric, computed in the same backtest window, and
moves ``champion`` only when the challenger is better by at least the
experiment's ``min_improvement``. With no champion yet, the first validated
challenger becomes champion. Every decision, including a refusal, is recorded
as a tag on the challenger version (``promotion_decision/<UTC time>``, so the
history is kept) and on the registered model (``last_promotion_decision``),
and returned as a :class:`PromotionDecision`.

Notes
-----
- Improvement is relative to the champion's magnitude,
  ``(champion - challenger) / |champion|`` for an ``*_error`` and
  ``(challenger - champion) / |champion|`` for a ``*_score``, so it stays
  meaningful for skill scores below zero; against a champion value of exactly
  zero any strict gain counts as infinite. The challenger must be strictly
  better *and* improve by at least ``min_improvement``.
- Runs are comparable only when both ``backtest_window`` tags equal the
  requested window and their ``weather`` tags agree: a perfect-prognosis
  backtest (observed weather used as forecast) is not compared with one that
  used forecast weather. Anything else is refused, never guessed.
- On promotion the ``challenger`` alias is removed, since that version is now
  the champion; a kept challenger keeps its alias.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Literal

import mlflow
from mlflow.entities.model_registry import ModelVersion

from forecasting.errors import InputDataError
from models.tracking_gate import (
    CHALLENGER,
    CHAMPION,
    TAG_WEATHER,
    TAG_WINDOW,
    Direction,
    metric_direction,
    parse_window,
    registered_version,
    run_metrics,
    split_metric,
)
from models.tracking_store import client_for

__all__ = [
    "DECISION_TAG",
    "PromotionDecision",
    "promote",
    "promotion_outcome",
    "relative_improvement",
]

_log = logging.getLogger(__name__)

DECISION_TAG = "promotion_decision"
"""Tag prefix of recorded decisions (version: ``promotion_decision/<UTC time>``)."""

Outcome = Literal["promoted", "kept", "refused"]


@dataclass(frozen=True)
class PromotionDecision:
    """What :func:`promote` decided, and why."""

    name: str
    """Registered model."""
    outcome: Outcome
    """``promoted`` (champion moved), ``kept`` (champion stays) or ``refused``."""
    reason: str
    """One sentence explaining the outcome."""
    primary_metric: str
    """Metric compared, ``*_score`` or ``*_error``."""
    window: str
    """Backtest window both runs must share, ``YYYY-MM-DD/YYYY-MM-DD``."""
    min_improvement: float
    """Required relative improvement [1]."""
    champion_before: str | None = None
    """Champion version before the decision, None if there was none."""
    champion_after: str | None = None
    """Champion version after the decision."""
    challenger: str | None = None
    """Challenger version judged, None if there was none."""
    challenger_value: float | None = None
    """Challenger's primary metric [unit of the metric]."""
    champion_value: float | None = None
    """Champion's primary metric [unit of the metric]."""
    improvement: float | None = None
    """Relative improvement of the challenger over the champion [1]; > 0 is better."""
    decided_at: datetime = field(default_factory=lambda: datetime.now(tz=UTC))
    """When the decision was taken (UTC)."""

    @property
    def promoted(self) -> bool:
        """True when the champion alias moved."""
        return self.outcome == "promoted"

    def to_json(self) -> str:
        """Serialise the decision for an MLflow tag (time as ISO 8601)."""
        record = {**asdict(self), "decided_at": self.decided_at.isoformat()}
        clean = {
            k: str(v) if isinstance(v, float) and not math.isfinite(v) else v
            for k, v in record.items()
        }
        return json.dumps(clean, ensure_ascii=False, separators=(",", ":"))


def relative_improvement(challenger: float, champion: float, direction: Direction) -> float:
    """Return how much better ``challenger`` is than ``champion``, relatively.

    Parameters
    ----------
    challenger, champion : float
        Values of the same metric [unit of the metric].
    direction : {"higher", "lower"}
        Which way is better (:func:`models.tracking_gate.metric_direction`).

    Returns
    -------
    float
        ``(champion - challenger) / |champion|`` when lower is better, the
        mirror image when higher is better [1]; positive means better. With a
        champion of zero: ``inf`` for a gain, ``-inf`` for a loss, 0 for a tie.

    Examples
    --------
    >>> relative_improvement(9.0, 10.0, "lower")
    0.1
    >>> relative_improvement(-0.1, -0.2, "higher")
    0.5
    """
    gain = champion - challenger if direction == "lower" else challenger - champion
    if champion == 0.0:
        return math.copysign(math.inf, gain) if gain else 0.0
    return gain / abs(champion)


@dataclass(frozen=True)
class _Request:
    name: str
    metric: str
    direction: Direction
    window: str
    min_improvement: float


def promotion_outcome(
    challenger: float, champion: float, primary_metric: str, min_improvement: float = 0.0
) -> tuple[Literal["promoted", "kept"], float]:
    """Decide between two values of the primary metric.

    Parameters
    ----------
    challenger, champion : float
        The primary metric of each, computed in the same backtest window
        [unit of the metric].
    primary_metric : str
        Its name; the ``_score``/``_error`` suffix gives the direction.
    min_improvement : float, default 0.0
        Required relative improvement [1].

    Returns
    -------
    outcome : {"promoted", "kept"}
        ``"promoted"`` when the challenger is strictly better and its
        :func:`relative_improvement` is at least ``min_improvement``.
    improvement : float
        The relative improvement [1].

    Examples
    --------
    >>> promotion_outcome(9.0, 10.0, "daily_pm25_mae_error", 0.05)
    ('promoted', 0.1)
    >>> promotion_outcome(10.0, 10.0, "daily_pm25_mae_error")
    ('kept', 0.0)
    """
    gain = relative_improvement(challenger, champion, metric_direction(primary_metric))
    promoted = gain > 0.0 and gain >= min_improvement
    return ("promoted" if promoted else "kept"), gain


def _run_problem(
    client: mlflow.MlflowClient, version: ModelVersion, role: str, request: _Request
) -> tuple[str | None, float | None, str | None]:
    """Return (problem, metric value, weather tag) of the run behind ``version``."""
    window, metric = request.window, request.metric
    run = client.get_run(str(version.run_id))
    label = f"{role} version {version.version} (run {version.run_id})"
    run_window = run.data.tags.get(TAG_WINDOW)
    weather = run.data.tags.get(TAG_WEATHER)
    if run_window != window:
        found = f"on {run_window}" if run_window else "without a backtest window"
        return (
            f"{label} was evaluated {found}, not on {window}; backtest it on {window} "
            "and register that run",
            None,
            weather,
        )
    value = run_metrics(client, run, [metric]).get(metric)
    if value is None or not math.isfinite(value):
        return f"{label} has no finite {metric} (got {value})", None, weather
    return None, float(value), weather


def _decide(
    client: mlflow.MlflowClient,
    request: _Request,
    challenger: ModelVersion | None,
    champion: ModelVersion | None,
) -> PromotionDecision:
    before = None if champion is None else str(champion.version)
    draft = PromotionDecision(
        name=request.name,
        outcome="refused",
        reason="",
        primary_metric=request.metric,
        window=request.window,
        min_improvement=request.min_improvement,
        champion_before=before,
        champion_after=before,
        challenger=None if challenger is None else str(challenger.version),
    )
    if challenger is None:
        return replace(draft, reason=f"no @{CHALLENGER}; register a validated run first")
    if champion is not None and champion.version == challenger.version:
        return replace(draft, outcome="kept", reason=f"version {before} is already @{CHAMPION}")
    problem, new, weather = _run_problem(client, challenger, CHALLENGER, request)
    if problem is not None or new is None:
        return replace(draft, reason=str(problem))
    draft = replace(draft, challenger_value=new)
    if champion is None:
        reason = f"no @{CHAMPION} yet: the first validated challenger becomes champion"
        return replace(draft, outcome="promoted", reason=reason, champion_after=draft.challenger)
    problem, old, old_weather = _run_problem(client, champion, CHAMPION, request)
    if problem is None and old_weather != weather:
        problem = (
            f"the challenger's backtest used weather {weather!r} but the champion's "
            f"{old_weather!r}; compare backtests with the same weather source"
        )
    if problem is not None or old is None:
        return replace(draft, reason=str(problem))
    outcome, gain = promotion_outcome(new, old, request.metric, request.min_improvement)
    verdict = (
        f"{request.metric} of the challenger {new:g} against the champion's {old:g}: "
        f"{gain:+.2%} (needs > 0 and >= {request.min_improvement:.2%})"
    )
    draft = replace(draft, champion_value=old, improvement=gain, outcome=outcome, reason=verdict)
    return replace(draft, champion_after=draft.challenger) if outcome == "promoted" else draft


def _record(client: mlflow.MlflowClient, decision: PromotionDecision) -> None:
    record = decision.to_json()
    if decision.challenger is not None:
        stamp = decision.decided_at.strftime("%Y%m%dT%H%M%S.%fZ")
        client.set_model_version_tag(
            decision.name, decision.challenger, f"{DECISION_TAG}/{stamp}", record
        )
    client.set_registered_model_tag(decision.name, f"last_{DECISION_TAG}", record)


def promote(
    name: str,
    *,
    primary_metric: str,
    min_improvement: float = 0.0,
    window: str,
    uri: str,
) -> PromotionDecision:
    """Move ``champion`` to the ``challenger`` when it verifies better.

    Parameters
    ----------
    name : str
        Registered model, e.g. ``"ecocast-air-pm25"``.
    primary_metric : str
        The experiment's primary metric (``config.promotion.primary_metric``),
        ``*_score`` (higher is better) or ``*_error`` (lower is better), as
        logged on both runs; ``name@step`` picks one lead of a per-lead metric
        (:func:`models.tracking_gate.split_metric`).
    min_improvement : float, default 0.0
        Required relative improvement over the champion [1], e.g. 0.02 for
        2 % (``config.promotion.min_improvement``).
    window : str
        Backtest window ``"YYYY-MM-DD/YYYY-MM-DD"`` in which both runs must
        have been evaluated (their ``backtest_window`` tag).
    uri : str
        Tracking and registry URI (:func:`models.tracking.tracking_uri`).

    Returns
    -------
    PromotionDecision
        The outcome with before/after champion versions, both metric values,
        the improvement and the reason; also recorded as tags.

    Raises
    ------
    forecasting.errors.InputDataError
        When the registered model does not exist, the metric has no
        ``_score``/``_error`` suffix or a malformed step, the window is
        malformed or
        ``min_improvement`` is negative or not finite.

    Examples
    --------
    A typical call from ``ecocast promote``::

        decision = promote("ecocast-air-pm25", primary_metric="daily_pm25_mae_error",
                           min_improvement=0.02, window="2015-03-01/2016-02-29", uri=uri)
    """
    direction = metric_direction(primary_metric)
    split_metric(primary_metric)
    parse_window(window)
    if not (math.isfinite(min_improvement) and min_improvement >= 0.0):
        raise InputDataError(
            f"min_improvement {min_improvement!r} must be a finite fraction >= 0, e.g. 0.02"
        )
    client = client_for(uri)
    challenger = registered_version(client, name, CHALLENGER)
    champion = registered_version(client, name, CHAMPION)
    request = _Request(name, primary_metric, direction, window, float(min_improvement))
    decision = _decide(client, request, challenger, champion)
    if decision.promoted and decision.challenger is not None:
        client.set_registered_model_alias(name, CHAMPION, decision.challenger)
        client.delete_registered_model_alias(name, CHALLENGER)
    _record(client, decision)
    _log.info("promotion of %s: %s (%s)", name, decision.outcome, decision.reason)
    return decision
