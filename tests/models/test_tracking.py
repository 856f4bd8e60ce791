"""MLflow round trips against a temporary embedded store (SQLite in a data dir).

One store per module (creating MLflow's SQLite schema takes seconds); every test
uses its own experiment or registered model name, so the tests stay independent.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from forecasting.errors import InputDataError, NotFittedError
from models.pyfunc import naive_utc
from models.tracking import (
    CHALLENGER,
    CHAMPION,
    load_champion,
    load_model,
    log_run,
    promote,
    register_if_valid,
    tracking_uri,
)
from models.tracking_plots import skill_by_lead
from models.tracking_store import experiment_id_for, fluent_scope

# MLflow 3.17's own internals trip these with pandas 3 and SQLAlchemy 2.1 (mlflow/models/
# utils.py compares columns with a range; its SQL store configures a ``noload`` mapper).
# Silence exactly those two, in this module only.
pytestmark = [
    pytest.mark.filterwarnings(
        "ignore:Operation with range is deprecated:pandas.errors.Pandas4Warning"
    ),
    pytest.mark.filterwarnings(
        "ignore:The ``noload`` loader strategy:sqlalchemy.exc.SADeprecationWarning"
    ),
]

WINDOW = "2015-03-01/2016-02-29"
OTHER_WINDOW = "2016-03-01/2017-02-28"
PRIMARY = "daily_pm25_mae_error"
SCORE = "daily_aqi_level_accuracy_score"
_names = itertools.count()


class FakeEstimator:
    """``value = slope * x + UTC hour / 100``, band ±1; needs UTC-aware ``valid_at``."""

    def __init__(self, slope: float = 2.0) -> None:
        self.slope = slope

    def fit(self, X: pd.DataFrame, y: pd.Series) -> FakeEstimator:
        self.feature_names_in_ = np.array(["x", "valid_at"], dtype=object)
        return self

    def predict(self, X: pd.DataFrame) -> pd.DataFrame:
        stamps = X["valid_at"]
        if not isinstance(stamps.dtype, pd.DatetimeTZDtype):
            raise AssertionError("valid_at reached the estimator without a time zone")
        hour = stamps.dt.tz_convert("UTC").dt.hour.to_numpy(dtype=float)
        value = self.slope * X["x"].to_numpy(dtype=float) + hour / 100.0
        return pd.DataFrame({"value": value, "q10": value - 1.0, "q90": value + 1.0}, X.index)

    def get_params(self) -> dict[str, Any]:
        return {"slope": self.slope}


@dataclass(frozen=True)
class Tracking:
    experiment: str


@dataclass(frozen=True)
class Promotion:
    primary_metric: str = PRIMARY
    min_improvement: float = 0.0


@dataclass(frozen=True)
class Experiment:
    name: str
    tracking: Tracking
    promotion: Promotion = field(default_factory=Promotion)
    validation: dict[str, float] = field(default_factory=lambda: {PRIMARY: 20.0})
    model: dict[str, Any] = field(
        default_factory=lambda: {"learning_rate": 0.05, "quantiles": [0.1, 0.9]}
    )

    def model_dump(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FakeSettings:
    data_dir: Path
    mlflow_tracking_uri: str = ""


@dataclass(frozen=True)
class Store:
    uri: str
    data_dir: Path
    client: MlflowClient
    uri_before: str
    registry_before: str
    env_before: str | None
    cwd_db_before: bool


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    data_dir = tmp_path_factory.mktemp("data")
    uri = tracking_uri(FakeSettings(data_dir))
    return Store(
        uri=uri,
        data_dir=data_dir,
        client=MlflowClient(tracking_uri=uri, registry_uri=uri),
        uri_before=mlflow.get_tracking_uri(),
        registry_before=mlflow.get_registry_uri(),
        env_before=os.environ.get("MLFLOW_TRACKING_URI"),
        cwd_db_before=Path("mlflow.db").exists(),
    )


@pytest.fixture(scope="module")
def matrix() -> pd.DataFrame:
    """Rows of a model matrix; stamps in +08:00 to exercise the UTC round trip."""
    valid_at = pd.date_range("2016-01-01 08:00", periods=6, freq="h", tz="Asia/Shanghai")
    return pd.DataFrame(
        {"station": list("abcdef"), "valid_at": valid_at, "x": np.arange(6, dtype=float)}
    )


def _unique(prefix: str) -> str:
    return f"{prefix}-{next(_names)}"


def _backtest(
    store: Store,
    matrix: pd.DataFrame,
    value: float,
    *,
    window: str = WINDOW,
    weather: Any = "perfect prognosis",
    slope: float = 2.0,
    score: float = 0.7,
) -> str:
    config = Experiment(name="pm25-gbm", tracking=Tracking(_unique("exp")))
    return log_run(
        config,
        kind="backtest",
        metrics={PRIMARY: value, SCORE: score},
        uri=store.uri,
        model=FakeEstimator(slope).fit(matrix, matrix["x"]),
        input_example=matrix,
        window=window,
        weather=weather,
    )


def _registered(store: Store, matrix: pd.DataFrame, name: str, value: float, **kw: Any) -> str:
    version = register_if_valid(_backtest(store, matrix, value, **kw), name, {}, uri=store.uri)
    assert version is not None
    return str(version.version)


def _alias(store: Store, name: str, alias: str) -> str | None:
    try:
        return str(store.client.get_model_version_by_alias(name, alias).version)
    except MlflowException:
        return None


@pytest.fixture(scope="module")
def logged(store: Store, matrix: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> str:
    """One complete backtest run: tidy metrics, files, a figure and the model."""
    out = tmp_path_factory.mktemp("backtest")
    (out / "metrics.json").write_text('{"pm25": {}}', encoding="utf-8")
    matrix.assign(value=1.0).to_parquet(out / "hourly.parquet")
    tidy = pd.DataFrame(
        {
            "variable": ["pm25"] * 6 + ["daily_pm25", "daily_aqi"],
            "lead": [1, 2, 3, 1, 2, 3, None, None],
            "metric": ["mae_error"] * 7 + ["level_accuracy_score"],
            "value": [8.0, 9.0, 11.0, 10.0, 12.0, 15.0, 9.5, 0.65],
            "model": ["", "", "", "persistence", "persistence", "persistence", "", ""],
        }
    )
    figure = skill_by_lead(tidy)
    config = Experiment(name="pm25-gbm", tracking=Tracking("ecocast-air-pm25-roundtrip"))
    return log_run(
        config,
        kind="backtest",
        metrics=tidy,
        uri=store.uri,
        model=FakeEstimator().fit(matrix, matrix["x"]),
        input_example=matrix,
        artifacts={"backtest": out},
        figures={"skill_by_lead": figure},
        window=WINDOW,
        weather="perfect prognosis",
        tags={"target": "pm25"},
    )


def test_embedded_store_lives_in_the_data_dir(store: Store, logged: str) -> None:
    assert store.uri == f"sqlite:///{(store.data_dir / 'mlflow.db').as_posix()}"
    assert (store.data_dir / "mlflow.db").is_file()
    artifact_uri = store.client.get_run(logged).info.artifact_uri
    assert artifact_uri.startswith((store.data_dir / "mlartifacts").as_uri())


def test_log_run_records_params_and_tags(store: Store, logged: str) -> None:
    run = store.client.get_run(logged)
    assert run.info.status == "FINISHED"
    assert run.data.params["model.learning_rate"] == "0.05"
    assert run.data.params["model.quantiles"] == "0.1, 0.9"
    assert run.data.params["tracking.experiment"] == "ecocast-air-pm25-roundtrip"
    tags = run.data.tags
    assert tags["kind"] == "backtest"
    assert tags["backtest_window"] == WINDOW
    assert tags["weather"] == "perfect prognosis"
    assert tags["experiment_config"] == "pm25-gbm"
    assert tags["target"] == "pm25"
    assert tags["model_uri"].startswith("models:/m-")
    assert tags["estimator"] == "FakeEstimator"
    assert run.data.params["estimator.slope"] == "2.0"


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("pm25_mae_error", [(1, 8.0), (2, 9.0), (3, 11.0)]),
        ("persistence/pm25_mae_error", [(1, 10.0), (2, 12.0), (3, 15.0)]),
        ("daily_pm25_mae_error", [(0, 9.5)]),
    ],
)
def test_metrics_per_lead_are_steps(
    store: Store, logged: str, key: str, expected: list[tuple[int, float]]
) -> None:
    history = store.client.get_metric_history(logged, key)
    assert sorted((m.step, m.value) for m in history) == expected


def test_artifacts_and_plots_are_stored(store: Store, logged: str) -> None:
    files = {Path(f.path).name for f in store.client.list_artifacts(logged, "backtest")}
    assert files == {"metrics.json", "hourly.parquet"}
    plots = [f.path for f in store.client.list_artifacts(logged, "plots")]
    assert plots == ["plots/skill_by_lead.png"]


def test_logged_pyfunc_predicts_like_the_estimator(
    store: Store, logged: str, matrix: pd.DataFrame
) -> None:
    name = _unique("ecocast-air-pm25-rt")
    version = register_if_valid(logged, name, {"pm25_mae_error": 20.0}, uri=store.uri)
    assert version is not None
    loaded = load_model(name, CHALLENGER, uri=store.uri)
    expected = FakeEstimator().fit(matrix, matrix["x"]).predict(matrix)
    got = loaded.predict(naive_utc(matrix)[0])
    assert isinstance(got, pd.DataFrame)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True))
    signature = loaded.metadata.signature
    assert signature.inputs.input_names() == ["station", "valid_at", "x"]
    assert signature.outputs.input_names() == ["value", "q10", "q90"]
    assert loaded.metadata.saved_input_example_info is not None


def test_failed_threshold_is_not_registered(store: Store, logged: str) -> None:
    name = _unique("ecocast-air-pm25-gate")
    # the run's whole-window daily_pm25_mae_error is 9.5; require at most 5
    assert register_if_valid(logged, name, {PRIMARY: 5.0}, uri=store.uri) is None
    assert store.client.search_registered_models(filter_string=f"name = '{name}'") == []
    tags = store.client.get_run(logged).data.tags
    assert tags["validation_status"] == "failed"
    assert tags["validation_reason"] == "daily_pm25_mae_error = 9.5 is above the bound 5"


def test_passed_threshold_sets_challenger(store: Store, logged: str) -> None:
    name = _unique("ecocast-air-pm25-gate")
    criteria = {PRIMARY: 9.5, SCORE: 0.65}  # both bounds met exactly
    version = register_if_valid(logged, name, criteria, uri=store.uri)
    assert version is not None
    assert _alias(store, name, CHALLENGER) == str(version.version)
    assert _alias(store, name, CHAMPION) is None
    tags = store.client.get_model_version(name, version.version).tags
    assert (tags["backtest_window"], tags["weather"]) == (WINDOW, "perfect prognosis")


@pytest.mark.parametrize(
    ("criteria", "reason"),
    [
        ({"pm25_mae_error@1": 8.0, "pm25_mae_error@3": 11.0}, None),  # on the bounds
        ({"pm25_mae_error@3": 10.0}, "pm25_mae_error@3 = 11 is above the bound 10"),
        ({"pm25_mae_error@4": 50.0}, "pm25_mae_error@4 was not computed (threshold 50)"),
        # a bare per-lead name means its latest value, the one at the longest lead
        ({"persistence/pm25_mae_error": 14.0}, "persistence/pm25_mae_error = 15 is above"),
    ],
)
def test_gate_reads_one_lead_of_a_per_lead_metric(
    store: Store, logged: str, criteria: dict[str, float], reason: str | None
) -> None:
    name = _unique("ecocast-air-pm25-lead")
    version = register_if_valid(logged, name, criteria, uri=store.uri)
    assert (version is None) == (reason is not None)
    if reason is not None:
        assert store.client.get_run(logged).data.tags["validation_reason"].startswith(reason)


def test_first_valid_challenger_becomes_champion(store: Store, logged: str) -> None:
    name = _unique("ecocast-air-pm25-first")
    version = register_if_valid(logged, name, {}, uri=store.uri)
    assert version is not None
    decision = promote(name, primary_metric=PRIMARY, window=WINDOW, uri=store.uri)
    assert decision.outcome == "promoted"
    assert (decision.champion_before, decision.champion_after) == (None, str(version.version))
    assert decision.challenger_value == 9.5
    assert _alias(store, name, CHAMPION) == str(version.version)
    assert _alias(store, name, CHALLENGER) is None


def _with_champion(store: Store, logged: str, prefix: str) -> tuple[str, str]:
    """A registered model whose champion is the ``logged`` run (PM2.5 error 9.5, score 0.65)."""
    name = _unique(prefix)
    version = register_if_valid(logged, name, {}, uri=store.uri)
    assert version is not None
    assert promote(name, primary_metric=PRIMARY, window=WINDOW, uri=store.uri).promoted
    return name, str(version.version)


@pytest.mark.parametrize(
    ("metric", "value", "score", "min_improvement", "outcome", "improvement"),
    [
        (PRIMARY, 7.6, 0.1, 0.1, "promoted", 0.2),  # 20 % lower error, 10 % required
        (PRIMARY, 9.0, 0.9, 0.1, "kept", 0.5 / 9.5),  # better, but by less than required
        (PRIMARY, 11.4, 0.9, 0.0, "kept", -0.2),  # worse
        (SCORE, 1.0, 0.65, 0.0, "kept", 0.0),  # same score: a tie keeps the champion
    ],
)
def test_promotion_compares_on_the_primary_metric(
    store: Store,
    logged: str,
    matrix: pd.DataFrame,
    metric: str,
    value: float,
    score: float,
    min_improvement: float,
    outcome: str,
    improvement: float,
) -> None:
    name, champion = _with_champion(store, logged, "ecocast-air-pm25-promo")
    challenger = _registered(store, matrix, name, value, slope=3.0, score=score)
    decision = promote(
        name, primary_metric=metric, min_improvement=min_improvement, window=WINDOW, uri=store.uri
    )
    assert decision.outcome == outcome
    assert decision.improvement == pytest.approx(improvement)
    assert decision.champion_before == champion
    moved = outcome == "promoted"
    assert decision.champion_after == (challenger if moved else champion)
    assert _alias(store, name, CHAMPION) == (challenger if moved else champion)
    assert _alias(store, name, CHALLENGER) == (None if moved else challenger)
    tags = store.client.get_model_version(name, challenger).tags
    recorded = [v for k, v in tags.items() if k.startswith("promotion_decision/")]
    assert len(recorded) == 1
    assert f'"outcome":"{outcome}"' in recorded[0]
    last = store.client.get_registered_model(name).tags["last_promotion_decision"]
    assert last == recorded[0]


def test_champion_moves_and_loads_the_new_model(
    store: Store, logged: str, matrix: pd.DataFrame
) -> None:
    name, _ = _with_champion(store, logged, "ecocast-air-pm25-load")
    # the challenger's score 0.7 beats the champion's 0.65 (higher is better)
    challenger = _registered(store, matrix, name, 20.0, slope=3.0)
    decision = promote(name, primary_metric=SCORE, window=WINDOW, uri=store.uri)
    assert decision.promoted
    assert str(store.client.get_model_version_by_alias(name, CHAMPION).version) == challenger
    forecast = load_champion(name, uri=store.uri).predict(naive_utc(matrix)[0])
    assert isinstance(forecast, pd.DataFrame)
    expected = FakeEstimator(3.0).fit(matrix, matrix["x"]).predict(matrix)
    np.testing.assert_allclose(forecast["value"].to_numpy(), expected["value"].to_numpy())


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"window": OTHER_WINDOW}, f"evaluated on {OTHER_WINDOW}, not on {WINDOW}"),
        ({"weather": "forecast"}, "compare backtests with the same weather source"),
    ],
)
def test_different_backtest_conditions_are_refused(
    store: Store, logged: str, matrix: pd.DataFrame, kw: dict[str, str], message: str
) -> None:
    name, champion = _with_champion(store, logged, "ecocast-air-pm25-refuse")
    challenger = _registered(store, matrix, name, 1.0, **kw)  # far better, but not comparable
    decision = promote(name, primary_metric=PRIMARY, window=WINDOW, uri=store.uri)
    assert decision.outcome == "refused"
    assert message in decision.reason
    assert (decision.champion_before, decision.champion_after) == (champion, champion)
    assert _alias(store, name, CHAMPION) == champion
    assert _alias(store, name, CHALLENGER) == challenger
    if "window" in kw:  # asked for the challenger's window, the champion does not match
        decision = promote(name, primary_metric=PRIMARY, window=OTHER_WINDOW, uri=store.uri)
        assert decision.outcome == "refused"
        assert f"champion version {champion} (run {logged}) was evaluated on {WINDOW}" in (
            decision.reason
        )


def test_primary_metric_at_one_lead(store: Store, logged: str, matrix: pd.DataFrame) -> None:
    name, champion = _with_champion(store, logged, "ecocast-air-pm25-lead1")
    challenger = _registered(store, matrix, name, 1.0)  # logs no per-lead metrics
    decision = promote(name, primary_metric="pm25_mae_error@1", window=WINDOW, uri=store.uri)
    assert decision.outcome == "refused"
    assert decision.reason == (
        f"challenger version {challenger} (run {_run_of(store, name, challenger)}) "
        "has no finite pm25_mae_error@1 (got None)"
    )
    assert _alias(store, name, CHAMPION) == champion


def _run_of(store: Store, name: str, version: str) -> str:
    return str(store.client.get_model_version(name, version).run_id)


def test_promote_without_challenger_is_refused(store: Store, logged: str) -> None:
    name, champion = _with_champion(store, logged, "ecocast-air-pm25-none")
    decision = promote(name, primary_metric=PRIMARY, window=WINDOW, uri=store.uri)
    assert decision.outcome == "refused"
    assert decision.reason == "no @challenger; register a validated run first"
    assert _alias(store, name, CHAMPION) == champion


def test_unknown_registered_model_lists_the_known_ones(store: Store) -> None:
    with pytest.raises(InputDataError, match=r"no registered model 'ecocast-air-nope'"):
        promote("ecocast-air-nope", primary_metric=PRIMARY, window=WINDOW, uri=store.uri)
    with pytest.raises(InputDataError, match=r"no registered model 'ecocast-air-nope'"):
        load_champion("ecocast-air-nope", uri=store.uri)


def test_load_champion_before_any_promotion_names_the_aliases(store: Store, logged: str) -> None:
    name = _unique("ecocast-air-pm25-nochamp")
    version = register_if_valid(logged, name, {}, uri=store.uri)
    assert version is not None
    expected = rf"no alias 'champion'; set aliases: @challenger -> v{version.version}"
    with pytest.raises(InputDataError, match=expected):
        load_champion(name, uri=store.uri)


def test_bad_inputs_fail_before_a_run_is_created(store: Store, matrix: pd.DataFrame) -> None:
    config = Experiment(name="pm25-gbm", tracking=Tracking(_unique("exp-bad")))
    with pytest.raises(InputDataError, match="a backtest run needs its window"):
        log_run(config, kind="backtest", metrics={}, uri=store.uri)
    with pytest.raises(InputDataError, match="needs input_example="):
        log_run(
            config,
            kind="train",
            metrics={},
            uri=store.uri,
            model=FakeEstimator().fit(matrix, matrix["x"]),
        )
    with pytest.raises(InputDataError, match="artifact 'backtest': /nonexistent does not exist"):
        log_run(
            config,
            kind="train",
            metrics={},
            uri=store.uri,
            artifacts={"backtest": Path("/nonexistent")},
        )
    with pytest.raises(InputDataError, match="weather 'observed' is not one of: perfect"):
        log_run(config, kind="train", metrics={}, uri=store.uri, weather="observed")  # type: ignore[arg-type]
    with pytest.raises(NotFittedError, match="FakeEstimator is not fitted"):
        log_run(
            config,
            kind="train",
            metrics={},
            uri=store.uri,
            model=FakeEstimator(),
            input_example=matrix,
        )
    assert store.client.get_experiment_by_name(config.tracking.experiment) is None


def test_model_logging_refuses_an_active_fluent_run(store: Store, matrix: pd.DataFrame) -> None:
    config = Experiment(name="pm25-gbm", tracking=Tracking(_unique("exp-fluent")))
    experiment_id = experiment_id_for(store.client, config.tracking.experiment, store.uri)
    fitted = FakeEstimator().fit(matrix, matrix["x"])
    with (
        fluent_scope(store.uri),
        mlflow.start_run(experiment_id=experiment_id),
        pytest.raises(InputDataError, match="another fluent run is active"),
    ):
        log_run(config, kind="train", metrics={}, uri=store.uri, model=fitted, input_example=matrix)
    assert mlflow.active_run() is None


def test_register_a_run_without_model_is_an_error(store: Store) -> None:
    config = Experiment(name="pm25-gbm", tracking=Tracking(_unique("exp")))
    run_id = log_run(
        config, kind="train", metrics={PRIMARY: 1.0}, uri=store.uri, figures={"f": Figure()}
    )
    with pytest.raises(InputDataError, match=rf"run {run_id} logged no model"):
        register_if_valid(run_id, "ecocast-air-pm25-nomodel", {}, uri=store.uri)
    with pytest.raises(InputDataError, match="unknown MLflow run id 'deadbeef'"):
        register_if_valid("deadbeef", "ecocast-air-pm25-nomodel", {}, uri=store.uri)


def test_no_global_tracking_uri_is_left_behind(store: Store, logged: str) -> None:
    name, _ = _with_champion(store, logged, "ecocast-air-pm25-global")
    load_champion(name, uri=store.uri)
    assert mlflow.get_tracking_uri() == store.uri_before
    assert mlflow.get_registry_uri() == store.registry_before
    assert os.environ.get("MLFLOW_TRACKING_URI") == store.env_before
    assert mlflow.get_tracking_uri() != store.uri
    assert mlflow.active_run() is None
    # MLflow's own default store (./mlflow.db) was never touched
    assert Path("mlflow.db").exists() == store.cwd_db_before
