"""``ecocast issue``, ``publish``, ``token create`` and ``serve`` on the bundled real sample.

One data directory per module: the last two months of the bundled Beijing sample
(2016-01-01 … 2016-02-29 local, every row as it is) ingested once through
``ingest_into_scratch`` and placed where ``--data-dir`` looks for the store; its MLflow
registry starts empty, and a PM2.5 champion is registered after the first issue. The
commands run in-process through :func:`forecasting.cli.app.run`.
"""

from __future__ import annotations

import gzip
import shutil
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
import pytest
from mlflow.models import infer_signature
from sqlalchemy import make_url

from features.build import read_targets
from forecasting.cli.app import run
from forecasting.config import DATABASE_FILE_NAME, load_settings, sqlite_url_for_path
from forecasting.pipeline.air_models import iter_matrices
from forecasting.pipeline.experiment import load_experiment
from forecasting.pipeline.inputs import ingest_into_scratch, load_inputs
from forecasting.storage import Store
from forecasting.storage.issuance import RunInfo
from models.baselines import Persistence
from models.pyfunc import EstimatorPythonModel, naive_utc, pip_requirements
from models.tracking import CHAMPION, registered_model_name, tracking_uri
from models.tracking_store import client_for, experiment_id_for, fluent_scope

# MLflow 3.17's own internals trip the first two with pandas 3 and SQLAlchemy 2.1 (as in
# tests/models/test_tracking.py); silence exactly those, in this module only.
pytestmark = [
    pytest.mark.slow,  # the store, MLflow's schema and a logged champion: 25-40 s together
    pytest.mark.filterwarnings(
        "ignore:Operation with range is deprecated:pandas.errors.Pandas4Warning"
    ),
    pytest.mark.filterwarnings(
        "ignore:The ``noload`` loader strategy:sqlalchemy.exc.SADeprecationWarning"
    ),
    # infer_signature's advice on the matrix's integer columns (calendar, lead), which
    # are never missing.
    pytest.mark.filterwarnings("ignore:Hint. Inferred schema contains integer column:UserWarning"),
]

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE = REPO_ROOT / "samples" / "beijing"
TZ = "Asia/Shanghai"
FIRST, END = pd.Timestamp("2016-01-01", tz=TZ), pd.Timestamp("2016-03-01", tz=TZ)
AT = "2016-02-26T16:00+08:00"
EXPERIMENT = """
name = "issue_cli_tiny"
targets = ["pm25", "o3"]
timezone = "Asia/Shanghai"

[model]
name = "direct_gbm"
params = { n_estimators = 30, lead_groups = [6, 24, 72], refit = false, num_threads = 1 }

[training]
history_days = 40
"""
ENVIRONMENT = ("ECOCAST_MLFLOW_TRACKING_URI", "ECOCAST_DATABASE_URL", "MLFLOW_TRACKING_URI")


@dataclass(frozen=True)
class Installation:
    data_dir: Path
    experiment: Path


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str


def _ecocast(*args: str) -> Outcome:
    out, err = StringIO(), StringIO()
    with pytest.MonkeyPatch.context() as patch, redirect_stdout(out), redirect_stderr(err):
        patch.setenv("COLUMNS", "200")  # Rich lines unwrapped
        patch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
        for name in ENVIRONMENT:
            patch.delenv(name, raising=False)
        code = run(list(args))
    return Outcome(code, out.getvalue(), err.getvalue())


def _store(install: Installation) -> Store:
    return Store.open(sqlite_url_for_path(install.data_dir / DATABASE_FILE_NAME))


def _runs(install: Installation) -> list[RunInfo]:
    with _store(install) as store:
        return store.list_runs("air")


@pytest.fixture(scope="module")
def install(tmp_path_factory: pytest.TempPathFactory) -> Installation:
    folder = tmp_path_factory.mktemp("issue-cli")
    raw = pd.read_csv(SAMPLE / "observations.csv.gz", dtype=str, keep_default_na=False)
    stamps = pd.to_datetime(raw["time"], utc=True)
    observations = folder / "observations.csv.gz"
    with gzip.open(observations, "wt", encoding="utf-8", newline="") as handle:
        raw.loc[((stamps >= FIRST) & (stamps < END)).to_numpy()].to_csv(handle, index=False)
    scratch = folder / "scratch"
    ingest_into_scratch([observations], SAMPLE / "stations.csv", scratch).close()
    data_dir = folder / "data[x]"  # Rich would read "[x]" in a printed path as markup
    data_dir.mkdir()
    shutil.move(scratch / "backtest.sqlite", data_dir / DATABASE_FILE_NAME)
    experiment = folder / "issue_cli_tiny.toml"
    experiment.write_text(EXPERIMENT, encoding="utf-8")
    return Installation(data_dir=data_dir, experiment=experiment)


def _issue(install: Installation, *extra: str) -> Outcome:
    return _ecocast(
        "issue",
        "--at",
        AT,
        "--experiment",
        str(install.experiment),
        "--data-dir",
        str(install.data_dir),
        *extra,
    )


@pytest.fixture(scope="module")
def persistence_issue(install: Installation) -> tuple[Outcome, RunInfo]:
    """``ecocast issue`` while the MLflow registry holds no model at all."""
    outcome = _issue(install)
    return outcome, _runs(install)[0]


def test_a_naive_issue_time_is_refused(install: Installation) -> None:
    outcome = _ecocast(
        "issue",
        "--at",
        "2016-02-26T16:00",
        "--experiment",
        str(install.experiment),
        "--data-dir",
        str(install.data_dir),
    )
    assert outcome.code == 1
    assert "--at '2016-02-26T16:00' has no UTC offset" in outcome.err
    assert "2016-02-26T16:00+08:00" in outcome.err
    assert "Traceback" not in outcome.err


def test_issue_with_an_empty_registry_is_a_degraded_persistence_run(
    install: Installation, persistence_issue: tuple[Outcome, RunInfo]
) -> None:
    outcome, run = persistence_issue
    assert outcome.code == 0, outcome.err
    assert f"draft run {run.id} issued at 2016-02-26T08:00:00+00:00" in outcome.out
    assert "DEGRADED" in outcome.out
    assert str(install.data_dir / "mlflow.db") in outcome.out  # the reason's path, unmangled
    assert run.status == "draft"
    assert run.degraded
    assert run.model_versions == {"pm25": "persistence", "o3": "persistence"}
    assert len(run.degraded_reasons) == 2
    for target, reason in zip(("pm25", "o3"), run.degraded_reasons, strict=True):
        assert reason.startswith(f"no champion for {target}")
        assert registered_model_name("air", target) in reason
        assert reason.endswith("persistence fallback")
    assert pd.Timestamp(run.data_cutoff) == pd.Timestamp("2016-02-26T15:00+08:00")
    with _store(install) as store:
        hourly = store.read_run_hourly(run.id)
    assert len(hourly) == (12 + 1) * 2 * 80
    assert hourly[["value", "q10", "q90"]].notna().all().all()


def test_publish_makes_the_draft_version_1(
    install: Installation, persistence_issue: tuple[Outcome, RunInfo]
) -> None:
    run_id = persistence_issue[1].id
    outcome = _ecocast("publish", str(run_id), "--author", "x", "--data-dir", str(install.data_dir))
    assert outcome.code == 0, outcome.err
    assert f"published run {run_id} as version 1" in outcome.out
    with _store(install) as store:
        published = store.get_run(run_id)
        public = store.latest_published("air")
    assert published.status == "published"
    assert published.published_by == "x"
    assert public is not None
    assert public.id == run_id


def test_token_create_prints_a_token_the_store_accepts(install: Installation) -> None:
    data_dir = str(install.data_dir)
    outcome = _ecocast(
        "token", "create", "duty forecaster", "--role", "forecaster", "--data-dir", data_dir
    )
    assert outcome.code == 0, outcome.err
    token = outcome.out.strip()
    assert len(token) >= 40
    with _store(install) as store:
        info = store.authenticate_token(token)
        assert store.authenticate_token(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert info is not None
    assert info.name == "duty forecaster"
    assert info.role == "forecaster"


def test_token_create_refuses_an_unknown_role(install: Installation) -> None:
    outcome = _ecocast(
        "token", "create", "someone", "--role", "bogus", "--data-dir", str(install.data_dir)
    )
    assert outcome.code == 1
    assert "unknown role 'bogus'; choose one of: forecaster, admin" in outcome.err
    assert outcome.out == ""


def _register_champion(install: Installation, target: str) -> str:
    """Log a persistence model of ``target`` as a pyfunc and make it the champion."""
    config = load_experiment(install.experiment)
    inputs = load_inputs([], [], emissions=config.features.emissions)
    issued = pd.DatetimeIndex([pd.Timestamp("2016-02-10T16:00+08:00")])
    with _store(install) as store:
        matrix = next(iter_matrices(store, config, issued, inputs)).frame
        truth = read_targets(store, matrix[["station", "valid_at"]], [target])[target]
    model = Persistence(target).fit(matrix, truth)
    example, utc_columns = naive_utc(matrix.head(5))
    name = registered_model_name("air", target)
    uri = tracking_uri(load_settings(data_dir=install.data_dir))
    # an experiment of its own: its artifacts go under the data directory, not ./mlruns
    experiment_id = experiment_id_for(client_for(uri), "ecocast-tests-issue-cli", uri)
    with fluent_scope(uri), mlflow.start_run(experiment_id=experiment_id):
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=EstimatorPythonModel(model, utc_columns=utc_columns),
            signature=infer_signature(example, model.predict(matrix.head(5))),
            input_example=example,
            pip_requirements=pip_requirements(),
            registered_model_name=name,
        )
    version = str(info.registered_model_version)
    client_for(uri).set_registered_model_alias(name, CHAMPION, version)
    return f"{name}@{CHAMPION}=v{version}"


@pytest.fixture(scope="module")
def champion_issue(
    install: Installation, persistence_issue: tuple[Outcome, RunInfo]
) -> tuple[Outcome, RunInfo, str]:
    """``ecocast issue`` after a PM2.5 champion was registered (after ``persistence_issue``)."""
    label = _register_champion(install, "pm25")
    outcome = _issue(install)
    runs = [r for r in _runs(install) if r.id != persistence_issue[1].id]
    return outcome, runs[0], label


def test_issue_uses_a_registered_pyfunc_champion(
    champion_issue: tuple[Outcome, RunInfo, str],
) -> None:
    # A real MLflow pyfunc refuses timezone-aware columns; the matrix must cross as naive UTC.
    outcome, run, label = champion_issue
    assert outcome.code == 0, outcome.err
    assert run.model_versions == {"pm25": label, "o3": "persistence"}
    assert run.degraded
    assert len(run.degraded_reasons) == 1
    assert run.degraded_reasons[0].startswith("no champion for o3")


def test_serve_accepts_a_sqlite_file_as_db(
    install: Installation, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    served: dict[str, Any] = {}

    def fake_run(app: Any, **options: Any) -> None:
        served["store"] = app.state.api.store.url
        served.update(options)
        app.state.api.store.close()

    monkeypatch.setattr(uvicorn, "run", fake_run)
    database = install.data_dir / DATABASE_FILE_NAME
    data_dir = str(install.data_dir)
    outcome = _ecocast("serve", "--db", str(database), "--port", "8765", "--data-dir", data_dir)
    assert outcome.code == 0, outcome.err
    assert make_url(served["store"]).database == str(database)
    assert served["port"] == 8765
    assert "review page: http://127.0.0.1:8765/review" in outcome.out
