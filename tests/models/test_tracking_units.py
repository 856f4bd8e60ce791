"""The pure parts of tracking: URIs, metric names, the gate, the decision rule, plots.

No MLflow store is created here; ``test_tracking.py`` does the round trips.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.figure import Figure

from forecasting.config import load_settings
from forecasting.errors import InputDataError, NotFittedError
from models.pyfunc import EstimatorPythonModel, naive_utc, pip_requirements
from models.tracking import registered_model_name
from models.tracking_gate import check_validation, metric_direction, parse_window, split_metric
from models.tracking_metrics import metric_key, tidy_metrics
from models.tracking_plots import (
    HEXBIN_THRESHOLD,
    feature_importance,
    forecast_vs_observed,
    reliability_diagram,
    skill_by_lead,
)
from models.tracking_promotion import PromotionDecision, promotion_outcome, relative_improvement
from models.tracking_store import artifact_root, fluent_scope, tracking_uri


@dataclass(frozen=True)
class FakeSettings:
    data_dir: Path
    mlflow_tracking_uri: str = ""


# --- where the store lives -------------------------------------------------------------


@pytest.mark.parametrize(
    ("explicit", "expected"),
    [
        ("", "sqlite:////srv/ecocast/mlflow.db"),
        ("   ", "sqlite:////srv/ecocast/mlflow.db"),
        ("file:///elsewhere/mlruns", "file:///elsewhere/mlruns"),
        ("http://mlflow.internal:5000", "http://mlflow.internal:5000"),
        ("postgresql+psycopg://u@db/mlflow", "postgresql+psycopg://u@db/mlflow"),
    ],
)
def test_tracking_uri(explicit: str, expected: str) -> None:
    assert tracking_uri(FakeSettings(Path("/srv/ecocast"), explicit)) == expected


def test_tracking_uri_from_real_settings(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, _env_file=None)
    assert tracking_uri(settings) == f"sqlite:///{(tmp_path / 'mlflow.db').as_posix()}"
    server = load_settings(data_dir=tmp_path, mlflow_tracking_uri="https://ml:443", _env_file=None)
    assert tracking_uri(server) == "https://ml:443"


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("sqlite:////srv/ecocast/mlflow.db", Path("/srv/ecocast/mlartifacts")),
        ("sqlite:////srv/eco%20cast/mlflow.db", Path("/srv/eco cast/mlartifacts")),
        ("sqlite:///:memory:", None),
        ("http://mlflow:5000", None),
        ("postgresql://u@db/mlflow", None),
    ],
)
def test_artifact_root(uri: str, expected: Path | None) -> None:
    assert artifact_root(uri) == expected


def _uri_state() -> tuple[str, str, str | None, str | None]:
    return (
        mlflow.get_tracking_uri(),
        mlflow.get_registry_uri(),
        os.environ.get("MLFLOW_TRACKING_URI"),
        os.environ.get("MLFLOW_REGISTRY_URI"),
    )


def test_fluent_scope_restores_uris_also_on_error() -> None:
    before = _uri_state()
    with fluent_scope("sqlite:////tmp/ecocast-scope/mlflow.db"):
        assert mlflow.get_tracking_uri() == "sqlite:////tmp/ecocast-scope/mlflow.db"
        assert mlflow.get_registry_uri() == "sqlite:////tmp/ecocast-scope/mlflow.db"
    assert _uri_state() == before
    with pytest.raises(RuntimeError, match="boom"), fluent_scope("http://elsewhere:5000"):
        raise RuntimeError("boom")
    assert _uri_state() == before


def test_fluent_scope_restores_an_environment_uri(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://from-env:5000")
    before = _uri_state()
    assert before[0] == "http://from-env:5000"
    with fluent_scope("sqlite:////tmp/ecocast-scope/mlflow.db"):
        assert mlflow.get_tracking_uri() == "sqlite:////tmp/ecocast-scope/mlflow.db"
    assert _uri_state() == before


def test_registered_model_name() -> None:
    assert registered_model_name("air", "pm25") == "ecocast-air-pm25"
    assert registered_model_name("water", "dissolved_oxygen") == "ecocast-water-dissolved_oxygen"


# --- metric names and steps ------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("mae_error", "pm25", None), "pm25_mae_error"),
        (("mae_error", "daily_pm25", ""), "daily_pm25_mae_error"),
        (("mae_error", "pm25", "persistence"), "persistence/pm25_mae_error"),
        (("level_accuracy_score", None, None), "level_accuracy_score"),
    ],
)
def test_metric_key(args: tuple[str, str | None, str | None], expected: str) -> None:
    assert metric_key(*args) == expected


def test_tidy_metrics_names_and_steps() -> None:
    frame = pd.DataFrame(
        {
            "variable": ["pm25", "pm25", "pm25", None],
            "lead": [1, 72, 1, np.nan],
            "metric": ["mae_error", "mae_error", "mae_error", "level_accuracy_score"],
            "value": [8.0, 20.0, 10.0, 0.7],
            "model": [None, None, "climatology", None],
            "n": [30, 30, 30, 90],  # ignored
        }
    )
    assert tidy_metrics(frame) == [
        ("pm25_mae_error", 1, 8.0),
        ("pm25_mae_error", 72, 20.0),
        ("climatology/pm25_mae_error", 1, 10.0),
        ("level_accuracy_score", 0, 0.7),
    ]
    assert tidy_metrics({"daily_pm25_mae_error": 9}) == [("daily_pm25_mae_error", 0, 9.0)]


def test_tidy_metrics_from_hourly_and_daily_verification_tables() -> None:
    hourly = pd.DataFrame(
        {
            "variable": ["pm25", "pm25"],
            "lead_h": [1, 2],
            "metric": ["mean_absolute_error"] * 2,
            "value": [8.0, 9.0],
            "n": [365, 365],
        }
    )
    daily = pd.DataFrame(
        {
            "variable": ["pm25", "aqi"],
            "day": [1, 1],
            "metric": ["mean_absolute_error", "level_accuracy_score"],
            "value": [7.0, 0.6],
            "n": [365, 365],
        }
    )
    assert tidy_metrics(pd.concat([hourly, daily], ignore_index=True)) == [
        ("pm25_mean_absolute_error", 1, 8.0),
        ("pm25_mean_absolute_error", 2, 9.0),
        ("daily_pm25_mean_absolute_error", 1, 7.0),
        ("daily_aqi_level_accuracy_score", 1, 0.6),
    ]


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"metric": ["mae_error"]}), r"lack column\(s\) \['value'\]"),
        (
            pd.DataFrame({"lead_h": [1], "day": [1], "metric": ["mae_error"], "value": [1.0]}),
            "row 0 has both a lead and a day",
        ),
        (
            pd.DataFrame({"lead_h": [1], "lead": [1], "metric": ["mae_error"], "value": [1.0]}),
            r"both \['lead', 'lead_h'\]",
        ),
        (
            pd.DataFrame({"lead": [1, 1], "metric": ["mae_error"] * 2, "value": [1.0, 2.0]}),
            "row 0: mae_error at lead 1 appears more than once",
        ),
        (
            pd.DataFrame({"lead": [1.5], "metric": ["mae_error"], "value": [1.0]}),
            "row 0: lead 1.5 is not a whole number >= 0",
        ),
        (
            pd.DataFrame({"lead": [1, -1], "metric": ["a_error", "b_error"], "value": [1.0, 2.0]}),
            "row 1: lead -1 is not a whole number >= 0",
        ),
        (
            pd.DataFrame({"lead": [1, None], "metric": ["mae_error"] * 2, "value": [1.0, 2.0]}),
            "'mae_error' has both whole-window rows",
        ),
    ],
)
def test_tidy_metrics_rejects(frame: pd.DataFrame, message: str) -> None:
    with pytest.raises(InputDataError, match=message):
        tidy_metrics(frame)


# --- the validation gate ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "direction"),
    [
        ("daily_pm25_mae_error", "lower"),
        ("pinball_error", "lower"),
        ("daily_aqi_level_accuracy_score", "higher"),
        ("persistence/pm25_skill_score", "higher"),
    ],
)
def test_metric_direction(name: str, direction: str) -> None:
    assert metric_direction(name) == direction


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("daily_pm25_mae_error@1", ("daily_pm25_mae_error", 1)),
        ("pm25_mae_error@72", ("pm25_mae_error", 72)),
        ("level_accuracy_score", ("level_accuracy_score", None)),
    ],
)
def test_split_metric(spec: str, expected: tuple[str, int | None]) -> None:
    assert split_metric(spec) == expected
    assert metric_direction(spec) == metric_direction(expected[0])


@pytest.mark.parametrize("spec", ["pm25_mae_error@", "pm25_mae_error@-1", "pm25_mae_error@day1"])
def test_split_metric_refuses_a_bad_step(spec: str) -> None:
    with pytest.raises(InputDataError, match=rf"metric reference '{spec}': the step after '@'"):
        split_metric(spec)
    with pytest.raises(InputDataError, match="the step after '@'"):
        check_validation({spec: 1.0}, {})


@pytest.mark.parametrize("name", ["normalized_mean_bias", "pearson_r", "mae", "score_error_x"])
def test_metric_without_direction_is_refused(name: str) -> None:
    with pytest.raises(InputDataError, match=rf"metric '{name}' has no direction"):
        metric_direction(name)


@pytest.mark.parametrize(
    ("metrics", "passed", "reason"),
    [
        ({"a_error": 10.0, "b_score": 0.5}, True, "all thresholds hold"),  # both on the bound
        ({"a_error": 9.99, "b_score": 0.51}, True, "all thresholds hold"),
        ({"a_error": 10.01, "b_score": 0.5}, False, "a_error = 10.01 is above the bound 10"),
        ({"a_error": 10.0, "b_score": 0.49}, False, "b_score = 0.49 is below the bound 0.5"),
        ({"a_error": 10.0}, False, "b_score was not computed (threshold 0.5)"),
        ({"a_error": math.nan, "b_score": 0.5}, False, "a_error = nan is not finite"),
    ],
)
def test_check_validation(metrics: dict[str, float], passed: bool, reason: str) -> None:
    result = check_validation({"a_error": 10.0, "b_score": 0.5}, metrics)
    assert (result.passed, result.reason) == (passed, reason)


def test_check_validation_refuses_a_criterion_without_direction() -> None:
    with pytest.raises(InputDataError, match="'pearson_r' has no direction"):
        check_validation({"pearson_r": 0.5}, {"pearson_r": 0.9})


@pytest.mark.parametrize(
    ("window", "ok"),
    [
        ("2015-03-01/2016-02-29", True),
        ("2016-01-01/2016-01-01", True),  # one day
        ("2016-01-02/2016-01-01", False),  # ends before it starts
        ("2015-02-29/2016-02-29", False),  # 2015 is not a leap year
        ("2015-03-01", False),
        ("2015-03-01/2016-02-29/2017-01-01", False),
        ("2015-03-01--2016-02-29", False),
    ],
)
def test_parse_window(window: str, ok: bool) -> None:
    if ok:
        start, end = parse_window(window)
        assert start <= end
    else:
        with pytest.raises(InputDataError, match="backtest window"):
            parse_window(window)


# --- the promotion rule ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("challenger", "champion", "metric", "minimum", "outcome", "gain"),
    [
        (8.0, 10.0, "mae_error", 0.2, "promoted", 0.2),  # exactly the required 20 %
        (8.01, 10.0, "mae_error", 0.2, "kept", 0.199),  # just short of it
        (10.0, 10.0, "mae_error", 0.0, "kept", 0.0),  # a tie is not better
        (9.99, 10.0, "mae_error", 0.0, "promoted", 0.001),
        (0.66, 0.6, "accuracy_score", 0.1, "promoted", 0.1),
        (-0.1, -0.2, "skill_score", 0.0, "promoted", 0.5),  # negative skill, less negative
        (-0.3, -0.2, "skill_score", 0.0, "kept", -0.5),
        (0.1, 0.0, "skill_score", 0.5, "promoted", math.inf),
        (0.0, 0.0, "skill_score", 0.0, "kept", 0.0),
    ],
)
def test_promotion_outcome(
    challenger: float, champion: float, metric: str, minimum: float, outcome: str, gain: float
) -> None:
    got, improvement = promotion_outcome(challenger, champion, metric, minimum)
    assert got == outcome
    assert improvement == pytest.approx(gain)


finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@given(a=finite, b=finite)
def test_relative_improvement_sign_says_which_is_better(a: float, b: float) -> None:
    lower = relative_improvement(a, b, "lower")
    higher = relative_improvement(a, b, "higher")
    assert np.sign(lower) == np.sign(b - a)
    assert np.sign(higher) == np.sign(a - b)


def test_decision_serialises_non_finite_improvement() -> None:
    decision = PromotionDecision(
        name="m", outcome="promoted", reason="r", primary_metric="x_score", window="w",
        min_improvement=0.0, improvement=math.inf,
    )  # fmt: skip
    assert '"improvement":"inf"' in decision.to_json()
    assert decision.promoted


# --- the pyfunc wrapper ----------------------------------------------------------------


class Doubler:
    def fit(self, X: pd.DataFrame, y: Any) -> Doubler:
        self.feature_names_in_ = ["x"]
        return self

    def predict(self, X: pd.DataFrame) -> pd.DataFrame:
        v = 2.0 * X["x"].to_numpy(dtype=float)
        return pd.DataFrame({"value": v, "q10": v, "q90": v})

    def get_params(self) -> dict[str, Any]:
        return {}


def test_wrapper_refuses_an_unfitted_estimator() -> None:
    with pytest.raises(NotFittedError, match="Doubler is not fitted"):
        EstimatorPythonModel(Doubler())


def test_wrapper_names_missing_features() -> None:
    model = EstimatorPythonModel(Doubler().fit(pd.DataFrame(), None))
    with pytest.raises(InputDataError, match=r"lacks feature column\(s\) \['x'\]"):
        model.predict(None, pd.DataFrame({"y": [1.0]}))
    got = model.predict(None, pd.DataFrame({"x": [1.0, 2.0], "station": ["a", "b"]}))
    assert got["value"].tolist() == [2.0, 4.0]


def test_naive_utc_round_trip() -> None:
    stamps = pd.date_range("2016-01-01 08:00", periods=3, freq="h", tz="Asia/Shanghai")
    frame = pd.DataFrame({"valid_at": stamps, "x": [1.0, 2.0, 3.0]})
    naive, columns = naive_utc(frame)
    assert columns == ("valid_at",)
    assert naive["valid_at"].dt.tz is None
    assert naive["valid_at"].dt.hour.tolist() == [0, 1, 2]  # 08:00 +08:00 is 00:00 UTC
    assert frame["valid_at"].dt.tz is not None  # the input is not modified


def test_pip_requirements_pin_installed_versions() -> None:
    pins = pip_requirements()
    assert f"mlflow=={mlflow.__version__}" in pins
    assert f"pandas=={pd.__version__}" in pins
    assert all("==" in pin for pin in pins)


# --- plots -----------------------------------------------------------------------------


def test_forecast_vs_observed_one_panel_per_variable() -> None:
    frame = pd.DataFrame(
        {
            "variable": ["pm25"] * 3 + ["o3"] * 2,
            "value": [10.0, 20.0, np.nan, 50.0, 60.0],
            "observed": [12.0, 18.0, 30.0, 55.0, np.nan],
        }
    )
    fig = forecast_vs_observed(frame)
    titles = [ax.get_title() for ax in fig.axes if ax.get_visible()]
    assert titles == ["o3 (n=1)", "pm25 (n=2)"]


def test_forecast_vs_observed_uses_density_for_many_points() -> None:
    n = HEXBIN_THRESHOLD + 1
    frame = pd.DataFrame({"value": np.linspace(0, 100, n), "observed": np.linspace(1, 99, n)})
    (ax,) = forecast_vs_observed(frame).axes
    assert len(ax.collections) == 1  # one hexbin, no scatter of every point
    assert ax.get_title() == f"(n={n})"


def test_skill_by_lead_lines_per_variable_and_model() -> None:
    metrics = pd.DataFrame(
        {
            "variable": ["pm25"] * 4 + ["pm25"],
            "model": ["", "", "persistence", "persistence", ""],
            "lead": [1, 2, 1, 2, None],
            "metric": ["mae_error"] * 5,
            "value": [8.0, 9.0, 10.0, 12.0, 8.5],
        }
    )
    (ax,) = skill_by_lead(metrics).axes
    assert ax.get_title() == "mae_error"
    labels = sorted(str(line.get_label()) for line in ax.get_lines())
    assert labels == ["pm25", "pm25 persistence"]


def test_reliability_diagram_and_its_bounds() -> None:
    table = pd.DataFrame({"nominal": [0.1, 0.9], "observed": [0.15, 0.85]})
    (ax,) = reliability_diagram(table).axes
    assert [line.get_label() for line in ax.get_lines()] == ["perfect", "forecast"]
    with pytest.raises(InputDataError, match=r"row 1 has nominal=0.9, observed=1.2"):
        reliability_diagram(pd.DataFrame({"nominal": [0.1, 0.9], "observed": [0.1, 1.2]}))


def test_feature_importance_top_features_first() -> None:
    fig = feature_importance(["a", "b", "c"], [1.0, 3.0, 2.0], top=2)
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_yticklabels()] == ["c", "b"]  # most important on top
    with pytest.raises(InputDataError, match="3 names but importances of shape"):
        feature_importance(["a", "b", "c"], [1.0])


def test_plot_needs_its_columns() -> None:
    with pytest.raises(
        InputDataError, match=r"forecast_vs_observed needs column\(s\) \['observed'\]"
    ):
        forecast_vs_observed(pd.DataFrame({"value": [1.0]}))
