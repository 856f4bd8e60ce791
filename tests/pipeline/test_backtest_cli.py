"""``ecocast backtest`` and ``ecocast promote`` end to end on the bundled real sample.

The command ingests its ``--observations`` itself on every call; to keep that short the
tests give it the sample's first two months (2015-03-01 … 2015-04-30, every row as it is,
same layout), enough for 45 days of training before 2015-04-20 and the truth of the window.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest
from mlflow import MlflowClient

from forecasting.cli import run
from forecasting.config import load_settings
from forecasting.pipeline.air_backtest import HOURLY_COLUMNS
from forecasting.pipeline.daily import DAILY_COLUMNS
from models.tracking import tracking_uri

# MLflow 3.17's own internals trip these with pandas 3 and SQLAlchemy 2.1 (as in
# tests/models/test_tracking.py); silence exactly those two, in this module only.
pytestmark = [
    pytest.mark.filterwarnings(
        "ignore:Operation with range is deprecated:pandas.errors.Pandas4Warning"
    ),
    pytest.mark.filterwarnings(
        "ignore:The ``noload`` loader strategy:sqlalchemy.exc.SADeprecationWarning"
    ),
]

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE = REPO_ROOT / "samples" / "beijing"
START, END = "2015-04-20", "2015-04-21"
WINDOW = f"{START}/{END}"
TRACKING_EXPERIMENT = "ecocast-tests-cli-tiny-air"
# The command is under test here, not the model: one booster for all leads, anchored on
# damped persistence, no refit (a third of the default fit time). num_threads = 1: LightGBM's
# OpenMP threads spin against other jobs on a busy 2-core machine.
EXPERIMENT = f"""
name = "cli_tiny_air"
targets = ["pm25"]
timezone = "Asia/Shanghai"

[model]
name = "direct_gbm"

[model.params]
n_estimators = 40
lead_groups = [72]
anchor = "damped_persistence"
refit = false
num_threads = 1
random_state = 0

[training]
history_days = 45
issue_stride_days = 2

[promotion]
primary_metric = "summary_daily_pm25_mean_absolute_error"

[validation]
summary_daily_pm25_mean_absolute_error_skill_vs_persistence_score = 0.0
forecast_presence_score = 0.995

[tracking]
experiment = "{TRACKING_EXPERIMENT}"
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The experiment file and two months of the sample in its own layout."""
    folder = tmp_path_factory.mktemp("cli-inputs")
    experiment = folder / "cli_tiny_air.toml"
    experiment.write_text(EXPERIMENT, encoding="utf-8")
    raw = pd.read_csv(SAMPLE / "observations.csv.gz", dtype=str, keep_default_na=False)
    stamps = pd.to_datetime(raw["time"], utc=True)
    cut = pd.Timestamp("2015-05-01", tz="Asia/Shanghai")
    observations = folder / "observations.csv.gz"
    with gzip.open(observations, "wt", encoding="utf-8", newline="") as handle:
        raw.loc[(stamps < cut).to_numpy()].to_csv(handle, index=False)
    return {
        "experiment": str(experiment),
        "observations": str(observations),
        "stations": str(SAMPLE / "stations.csv"),
    }


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # Rich tables and error panels unwrapped
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    for name in ("ECOCAST_MLFLOW_TRACKING_URI", "ECOCAST_DATABASE_URL", "MLFLOW_TRACKING_URI"):
        monkeypatch.delenv(name, raising=False)


def _backtest(files: dict[str, str], output: Path, data_dir: Path, *extra: str) -> list[str]:
    return [
        "backtest",
        files["experiment"],
        "--observations",
        files["observations"],
        "--stations",
        files["stations"],
        "--start",
        START,
        "--end",
        END,
        "--output",
        str(output),
        "--data-dir",
        str(data_dir),
        *extra,
    ]


@pytest.mark.slow
def test_backtest_writes_contract_files_and_prints_summary(
    files: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output, data_dir = tmp_path / "out", tmp_path / "data"
    assert run(_backtest(files, output, data_dir, "--no-track")) == 0
    out = capsys.readouterr().out
    assert sorted(p.name for p in output.iterdir()) == [
        "daily.parquet",
        "hourly.parquet",
        "metrics.json",
    ]
    assert f"backtest {WINDOW} (weather: none)" in out
    for label in ("daily PM2.5 MAE, days 1-3", "forecasts present where observed"):
        assert label in out
    for name in ("model", "persistence", "seasonal_naive", "climatology"):
        assert name in out
    for name in ("hourly.parquet", "daily.parquet", "metrics.json"):
        assert f"wrote {output / name}" in out
    assert "MLflow run" not in out
    assert not (data_dir / "mlflow.db").exists()

    hourly = pd.read_parquet(output / "hourly.parquet")
    assert list(hourly.columns) == list(HOURLY_COLUMNS)
    assert len(hourly) == 12 * 2 * 72
    daily = pd.read_parquet(output / "daily.parquet")
    assert list(daily.columns) == list(DAILY_COLUMNS)
    assert sorted(daily["date"].unique()) == [
        "2015-04-20",
        "2015-04-21",
        "2015-04-22",
        "2015-04-23",
    ]
    metrics = json.loads((output / "metrics.json").read_text(encoding="utf-8"))
    mae = metrics["summary"]["model"]["summary_daily_pm25_mean_absolute_error"]
    assert f"{mae:.3f}" in out


def test_backtest_without_stations_is_a_one_line_error(
    files: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = _backtest(files, tmp_path / "out", tmp_path / "data", "--no-track")
    index = args.index("--stations")
    del args[index : index + 2]
    assert run(args) == 1
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error:")
    assert "--stations" in lines[0]
    assert "Traceback" not in captured.err + captured.out
    assert not (tmp_path / "out").exists()


def test_backtest_start_not_a_date_is_a_usage_error(
    files: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = _backtest(files, tmp_path / "out", tmp_path / "data", "--no-track")
    args[args.index("--start") + 1] = "2015-04-31"
    assert run(args) == 2
    err = capsys.readouterr().err
    assert "--start" in err
    assert "'2015-04-31' is not a date YYYY-MM-DD" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_tracked_backtest_then_promote(
    files: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output, data_dir = tmp_path / "out", tmp_path / "data"
    assert run(_backtest(files, output, data_dir, "--track")) == 0
    out = capsys.readouterr().out
    uri = tracking_uri(load_settings(data_dir=data_dir))
    assert uri.startswith("sqlite:")
    assert str(data_dir) in uri
    assert f"({uri})" in out

    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment = client.get_experiment_by_name(TRACKING_EXPERIMENT)
    assert experiment is not None
    runs = client.search_runs(
        [experiment.experiment_id], filter_string="tags.role = 'target' and tags.target = 'pm25'"
    )
    assert len(runs) == 1
    target_run = runs[0]
    assert target_run.data.tags["backtest_window"] == WINDOW
    assert target_run.data.tags["weather"] == "none"
    status = target_run.data.tags["validation_status"]
    reason = target_run.data.tags["validation_reason"]
    assert status in {"passed", "failed"}
    skill = target_run.data.metrics[
        "summary_daily_pm25_mean_absolute_error_skill_vs_persistence_score"
    ]
    presence = target_run.data.metrics["forecast_presence_score"]
    assert status == ("passed" if skill >= 0.0 and presence >= 0.995 else "failed")

    command = ["promote", files["experiment"], "--window", WINDOW, "--data-dir", str(data_dir)]
    if status == "passed":
        assert reason == "all thresholds hold"
        assert "ecocast-air-pm25: challenger v1" in out
        assert run(command) == 0
        lines = capsys.readouterr().out.strip().splitlines()
        assert lines == [
            "ecocast-air-pm25: promoted - no @champion yet: "
            "the first validated challenger becomes champion"
        ]
        champion = client.get_model_version_by_alias("ecocast-air-pm25", "champion")
        assert champion.run_id == target_run.info.run_id
        assert "challenger" not in client.get_registered_model("ecocast-air-pm25").aliases
        # Nothing new to judge: a second promotion is refused, one line per target.
        assert run(command) == 0
        lines = capsys.readouterr().out.strip().splitlines()
        assert lines == [
            "ecocast-air-pm25: refused - no @challenger; register a validated run first"
        ]
    else:
        assert "ecocast-air-pm25: not registered (validation failed)" in out
        assert "skill_vs_persistence" in reason or "forecast_presence" in reason
        assert run(command) == 1  # nothing was ever registered for this target
        assert "no registered model 'ecocast-air-pm25'" in capsys.readouterr().err
