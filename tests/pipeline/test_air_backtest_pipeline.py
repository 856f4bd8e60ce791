"""The air backtest on the bundled real sample: training cut-off, contract, skill, no leakage.

One store per module: the bundled Beijing sample (12 stations, 2015-03-01 … 2016-02-29) is
ingested once, and one small backtest (PM2.5, 5 daily issues from 2015-04-20 00:00 local,
45 days of training history) is run once and shared by the tests.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasting.pipeline.air_backtest import (
    HOURLY_COLUMNS,
    BacktestResult,
    run_air_backtest,
    write_backtest,
)
from forecasting.pipeline.air_models import (
    forecast_rows,
    iter_matrices,
    observation_span,
    training_set,
)
from forecasting.pipeline.daily import DAILY_COLUMNS
from forecasting.pipeline.experiment import ExperimentConfig, Window, load_experiment
from forecasting.pipeline.inputs import RunInputs, ingest_into_scratch, load_inputs
from forecasting.pipeline.scoring import presence
from forecasting.storage import Store

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE = REPO_ROOT / "samples" / "beijing"
TZ = "Asia/Shanghai"
WINDOW = Window(start=date(2015, 4, 20), end=date(2015, 4, 24))
ISSUES = 5
STATIONS = 12
LEADS = 72
MODELS = {"model", "persistence", "seasonal_naive", "climatology"}
pytestmark = pytest.mark.slow  # the module's store and backtest take 30-60 s together
# num_threads = 1: on a busy 2-core machine LightGBM's OpenMP threads spin against the
# other jobs (measured 0.33 s against 0.016 s per boosting round on this matrix).
EXPERIMENT = """
name = "tiny_air"
description = "PM2.5 only, small booster: a fast real-data backtest for the tests."
targets = ["pm25"]
timezone = "Asia/Shanghai"

[model]
name = "direct_gbm"
params = { n_estimators = 40, num_threads = 1, random_state = 0 }

[training]
history_days = 45
issue_stride_days = 2

[validation]
summary_daily_pm25_mean_absolute_error_skill_vs_persistence_score = 0.0
forecast_presence_score = 0.995

[tracking]
experiment = "ecocast-tests-tiny-air"
"""


@pytest.fixture(scope="module")
def experiment(tmp_path_factory: pytest.TempPathFactory) -> ExperimentConfig:
    path = tmp_path_factory.mktemp("experiment") / "tiny_air.toml"
    path.write_text(EXPERIMENT, encoding="utf-8")
    return load_experiment(path)


@pytest.fixture(scope="module")
def inputs() -> RunInputs:
    return load_inputs([], [], emissions=True)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    opened = ingest_into_scratch(
        [SAMPLE / "observations.csv.gz"],
        SAMPLE / "stations.csv",
        tmp_path_factory.mktemp("store"),
    )
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def result(store: Store, experiment: ExperimentConfig, inputs: RunInputs) -> BacktestResult:
    return run_air_backtest(store, experiment, WINDOW, inputs)


def _cutoff() -> pd.Timestamp:
    return pd.Timestamp(WINDOW.start).tz_localize(TZ).tz_convert("UTC")


def test_training_rows_end_before_the_window(
    store: Store, experiment: ExperimentConfig, inputs: RunInputs, result: BacktestResult
) -> None:
    cutoff = _cutoff()
    span = observation_span(store)
    assert span is not None
    assert span[1] > cutoff + pd.Timedelta(days=300)
    train = training_set(store, experiment, cutoff, inputs)
    assert len(train.X) == len(train.y) == result.training_rows > 10_000
    assert train.X["valid_at"].max() < cutoff
    assert train.X["issued_at"].max() < cutoff
    # history_days = 45 before the last training issue (the day before the window).
    assert train.X["issued_at"].min() >= cutoff - pd.Timedelta(days=47)
    # issue_stride_days = 2: every other local day.
    days = pd.DatetimeIndex(train.X["issued_at"].unique()).tz_convert(TZ).normalize()
    assert set(np.diff(np.sort(days.asi8)) // (86_400 * 10**9)) == {2}
    assert train.y["pm25"].notna().mean() > 0.9
    assert set(train.feature_columns) <= set(train.X.columns)


def test_hourly_contract(result: BacktestResult, experiment: ExperimentConfig) -> None:
    hourly = result.hourly["model"]
    assert list(hourly.columns[: len(HOURLY_COLUMNS)]) == list(HOURLY_COLUMNS)
    assert len(hourly) == STATIONS * ISSUES * LEADS * len(experiment.targets)
    assert hourly["station"].nunique() == STATIONS
    assert set(hourly["variable"]) == {"pm25"}
    for column in ("issued_at", "valid_at"):
        assert isinstance(hourly[column].dtype, pd.DatetimeTZDtype), column
    assert hourly["lead_h"].dtype == np.int64
    assert hourly["lead_h"].min() == 1
    assert hourly["lead_h"].max() == LEADS
    issued = pd.DatetimeIndex(hourly["issued_at"].unique()).tz_convert(TZ)
    assert sorted(issued) == [
        pd.Timestamp("2015-04-20", tz=TZ) + pd.Timedelta(days=d) for d in range(ISSUES)
    ]
    # Lead 1 is the stamp of the issue time; lead L is T + (L − 1) h.
    offset = (hourly["valid_at"] - hourly["issued_at"]).dt.total_seconds() / 3600
    assert (offset == hourly["lead_h"] - 1).all()
    lead1 = hourly.loc[hourly["lead_h"] == 1]
    assert (lead1["valid_at"] == lead1["issued_at"]).all()
    assert not hourly.duplicated(["station", "issued_at", "variable", "lead_h"]).any()
    assert hourly["value"].notna().all()
    assert (hourly["q10"] <= hourly["value"] + 1e-9).all()
    assert (hourly["value"] <= hourly["q90"] + 1e-9).all()
    for name in MODELS - {"model"}:
        assert len(result.hourly[name]) == len(hourly), name


def test_daily_contract(result: BacktestResult) -> None:
    daily = result.daily["model"]
    assert list(daily.columns[: len(DAILY_COLUMNS)]) == list(DAILY_COLUMNS)
    assert len(daily) == STATIONS * ISSUES * 3  # PM2.5 only: one daily variable
    assert set(daily["day"]) == {1, 2, 3}
    first = daily.loc[daily["day"] == 1]
    issue_dates = pd.DatetimeIndex(first["issued_at"]).tz_convert(TZ).strftime("%Y-%m-%d")
    assert (first["date"].to_numpy() == np.asarray(issue_dates)).all()  # issue at 00:00
    assert pd.api.types.is_integer_dtype(daily["aqi"])
    assert daily["level"].between(1, 6).all()


def test_forecasts_present_where_observed(result: BacktestResult) -> None:
    summary = result.scores.summary
    assert summary["model"]["forecast_presence_score"] >= 0.995
    assert presence(result.hourly["model"], result.truth) >= 0.995
    observed = result.truth["pm25"].notna().sum()
    assert observed > 0.9 * STATIONS * (ISSUES + 2) * 24  # the check has something to check


def test_all_models_scored_on_the_same_cases(result: BacktestResult) -> None:
    assert set(result.scores.hourly) == MODELS
    assert set(result.scores.daily) == MODELS
    assert set(result.scores.summary) == MODELS
    for tables, keys in ((result.scores.hourly, ["lead_h"]), (result.scores.daily, ["day"])):
        counts = {
            name: table.loc[table["metric"] == "mean_absolute_error"]
            .set_index(["variable", *keys])["n"]
            .sort_index()
            for name, table in tables.items()
        }
        reference = counts["model"]
        assert reference.sum() > 0
        for name, n in counts.items():
            pd.testing.assert_series_equal(n, reference, check_names=False, obj=name)


def test_model_beats_persistence_on_daily_pm25(result: BacktestResult) -> None:
    """Daily PM2.5 MAE (days 1-3) of the model against persistence's, same cases.

    Window 2015-04-20 … 04-24, 45 days of training, 40 boosting rounds. Seen while choosing
    it: model 16.5 µg/m³, persistence 32.6, seasonal naive 16.6, climatology 16.8. Other
    windows of the sample gave the model 26.3 vs 45.7 (2015-06-10), 25.8 vs 34.7
    (2015-10-10), 78.1 vs 148.4 (2015-12-01); in 2015-09-01 persistence won (9.9 vs 11.1),
    which is why this window is fixed.
    """
    key = "summary_daily_pm25_mean_absolute_error"
    model = result.scores.summary["model"][key]
    persistence = result.scores.summary["persistence"][key]
    assert 0 < model < 0.8 * persistence
    skill = result.scores.summary["model"][f"{key}_skill_vs_persistence_score"]
    assert skill == pytest.approx(1 - model / persistence)


def _truncated_sample(path: Path, before: pd.Timestamp) -> Path:
    """Write the sample's rows stamped before ``before`` in the same layout (gzip CSV)."""
    raw = pd.read_csv(SAMPLE / "observations.csv.gz", dtype=str, keep_default_na=False)
    stamps = pd.to_datetime(raw["time"], utc=True)
    kept = raw.loc[(stamps < before).to_numpy()]
    with gzip.open(path, "wt", encoding="utf-8", newline="") as handle:
        kept.to_csv(handle, index=False)
    return path


def test_forecasts_do_not_depend_on_later_observations(
    store: Store,
    experiment: ExperimentConfig,
    inputs: RunInputs,
    result: BacktestResult,
    tmp_path: Path,
) -> None:
    """Issue T = 2015-04-22 00:00 local from the full store and from one cut at T − 1 h."""
    issue = pd.Timestamp("2015-04-22 00:00", tz=TZ).tz_convert("UTC")
    sample = _truncated_sample(tmp_path / "observations.csv.gz", issue)
    with gzip.open(sample, "rt", encoding="utf-8") as handle:
        assert handle.readline().strip() == (
            "station,time,pm25,pm10,so2,no2,co,o3,temp,pres,dewp,rain,wd,wspm"
        )
    truncated = ingest_into_scratch([sample], SAMPLE / "stations.csv", tmp_path / "cut")
    try:
        span = observation_span(truncated)
        assert span is not None
        assert span[1] == issue - pd.Timedelta(hours=1)
        issued = pd.DatetimeIndex([issue])
        full = [c.frame for c in iter_matrices(store, experiment, issued, inputs)]
        cut = [c.frame for c in iter_matrices(truncated, experiment, issued, inputs)]
    finally:
        truncated.close()
    full_matrix = pd.concat(full, ignore_index=True)
    cut_matrix = pd.concat(cut, ignore_index=True)
    assert len(full_matrix) == STATIONS * LEADS
    pd.testing.assert_frame_equal(cut_matrix, full_matrix, check_exact=True)
    # The models fitted once (fit_models, inside the backtest) forecast the same from both.
    from_full = forecast_rows(result.fitted, full_matrix)
    from_cut = forecast_rows(result.fitted, cut_matrix)
    assert set(from_full) == MODELS
    for name in MODELS:
        pd.testing.assert_frame_equal(from_cut[name], from_full[name], check_exact=True)
    # And they are the backtest's own forecasts for T.
    backtest = result.hourly["model"]
    at_t = backtest.loc[backtest["issued_at"] == issue].sort_values(["station", "lead_h"])
    mine = from_full["model"].sort_values(["station", "lead_h"])
    np.testing.assert_array_equal(at_t["value"].to_numpy(), mine["value"].to_numpy())


def _break_daily_parquet(monkeypatch: pytest.MonkeyPatch) -> None:
    original = pd.DataFrame.to_parquet

    def failing(self: pd.DataFrame, path: object, *args: object, **kwargs: object) -> object:
        if Path(str(path)).name == "daily.parquet":
            raise OSError("disk full (simulated)")
        return original(self, path, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(pd.DataFrame, "to_parquet", failing)


def test_write_backtest_writes_the_contract_files(result: BacktestResult, tmp_path: Path) -> None:
    written = write_backtest(result, tmp_path / "out")
    assert set(written) == {"hourly", "daily", "metrics"}
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "daily.parquet",
        "hourly.parquet",
        "metrics.json",
    ]
    hourly = pd.read_parquet(written["hourly"])
    assert list(hourly.columns) == list(HOURLY_COLUMNS)
    assert isinstance(hourly["valid_at"].dtype, pd.DatetimeTZDtype)
    assert len(hourly) == STATIONS * ISSUES * LEADS
    daily = pd.read_parquet(written["daily"])
    assert list(daily.columns) == list(DAILY_COLUMNS)
    assert pd.api.types.is_integer_dtype(daily["aqi"])
    document = json.loads(written["metrics"].read_text(encoding="utf-8"))
    assert document["summary"]["model"]["forecast_presence_score"] >= 0.995
    assert "fallback_share" in document


def test_write_backtest_is_all_or_nothing(
    result: BacktestResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = tmp_path / "fresh"
    kept = tmp_path / "kept"
    write_backtest(result, kept)
    before = {p.name: p.read_bytes() for p in kept.iterdir()}
    assert len(before) == 3

    _break_daily_parquet(monkeypatch)
    for output in (fresh, kept):
        with pytest.raises(OSError, match="simulated"):
            write_backtest(result, output)
        assert not list(output.glob(".partial-*"))
    assert not fresh.exists() or not any(fresh.iterdir())
    assert {p.name: p.read_bytes() for p in kept.iterdir()} == before
