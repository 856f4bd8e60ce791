"""``ecocast issue | publish | token | serve | demo``: the daily run and its service.

* ``ecocast issue [--at TIME]`` makes the draft run from the champion models
  (:mod:`forecasting.pipeline.issue_air`); the issue time defaults to today's issue hour
  (setting ``issue_hour``, 16:00 local), and ``--publish`` publishes it at once.
* ``ecocast publish RUN_ID --author NAME`` publishes a reviewed draft.
* ``ecocast token create NAME --role forecaster|admin`` prints a bearer token once.
* ``ecocast serve [--port N]`` serves the API and the review page (uvicorn).
* ``ecocast demo [--no-serve]`` runs everything on the bundled real sample: ingest,
  backtest a small model (trained before the window), promote it, issue at the end of
  the sample, publish, serve.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, cast

import pandas as pd
import typer
from rich.markup import escape

from forecasting.cli.console import make_console
from forecasting.cli.options import DataDirOption, DbOption, open_store, settings_for
from forecasting.config import Settings
from forecasting.errors import ForecastingError, InputDataError
from forecasting.pipeline.experiment import load_experiment
from forecasting.pipeline.inputs import load_inputs
from forecasting.pipeline.issue_air import IssueResult, ModelLoader, Predictor, issue_air_run
from forecasting.storage import resolve_database_url

__all__ = ["PyfuncPredictor", "issue", "publish", "serve", "token_app"]

token_app = typer.Typer(no_args_is_help=True, help="API tokens for forecasters and admins.")


def _issue_time(at: str | None, settings: Settings) -> pd.Timestamp:
    tz = settings.timezone
    if at is None:
        today = pd.Timestamp.now(tz=tz).normalize()
        return today + pd.Timedelta(hours=settings.issue_hour)
    try:
        stamp = pd.Timestamp(at)
    except ValueError as exc:
        raise InputDataError(f"--at {at!r} is not a time, e.g. 2016-02-26T16:00+08:00") from exc
    if pd.isna(stamp) or stamp.tzinfo is None:
        raise InputDataError(
            f"--at {at!r} has no UTC offset; write the issue time with its offset, "
            "e.g. 2016-02-26T16:00+08:00"
        )
    return stamp


class PyfuncPredictor:
    """A loaded MLflow pyfunc model behind :class:`Predictor`.

    MLflow's ``datetime`` schema type has no time zone and its schema enforcement
    refuses timezone-aware columns, so the model matrix crosses the boundary as naive
    UTC (:func:`models.pyfunc.naive_utc`); the logged wrapper makes the columns UTC-aware
    again before the estimator sees them.
    """

    def __init__(self, model: Any) -> None:
        self.model = model

    def predict(self, X: pd.DataFrame) -> pd.DataFrame:
        """Forecast ``value``, ``q10`` and ``q90`` for the rows of the model matrix."""
        from models.pyfunc import naive_utc  # noqa: PLC0415

        frame, _ = naive_utc(X)
        return cast(pd.DataFrame, self.model.predict(frame))


def champion_loader(settings: Settings) -> ModelLoader:
    """Return ``target → (champion model, "vN")`` reading the MLflow registry."""
    from mlflow.exceptions import MlflowException  # noqa: PLC0415

    from models.tracking import load_champion, registered_model_name  # noqa: PLC0415
    from models.tracking_gate import CHAMPION, registered_version  # noqa: PLC0415
    from models.tracking_store import client_for  # noqa: PLC0415
    from models.tracking_store import tracking_uri as uri_for  # noqa: PLC0415

    uri = uri_for(settings)

    def load(target: str) -> tuple[Predictor, str]:
        name = registered_model_name("air", target)
        try:
            version = registered_version(client_for(uri), name, CHAMPION)
            model = load_champion(name, uri=uri)
        except MlflowException as exc:
            raise ForecastingError(f"{name}: {exc.message}") from exc
        label = f"{name}@champion=v{version.version if version else '?'}"
        return PyfuncPredictor(model), label

    return load


def run_issue(
    settings: Settings, db: str | None, at: str | None, experiment: str | None, met: list[Path]
) -> IssueResult:
    """Issue the draft run (shared by ``issue`` and ``demo``)."""
    config = load_experiment(experiment or settings.issue_experiment)
    inputs = load_inputs(met, emissions=config.features.emissions)
    stamp = _issue_time(at, settings)
    loader = champion_loader(settings)
    with open_store(db, settings) as store:
        return issue_air_run(
            store,
            config,
            stamp,
            load_model=loader,
            inputs=inputs,
            warning_scheme=settings.warning_scheme,
        )


def issue(
    *,
    at: Annotated[
        str | None,
        typer.Option("--at", help="Issue time with its UTC offset, e.g. 2016-02-26T16:00+08:00."),
    ] = None,
    experiment: Annotated[
        str | None, typer.Option("--experiment", help="Experiment of the champions.")
    ] = None,
    met: Annotated[
        list[Path] | None, typer.Option("--met", help="Forecast field file; repeatable.")
    ] = None,
    publish_now: Annotated[
        bool, typer.Option("--publish", help="Publish the draft at once (no review).")
    ] = False,
    author: Annotated[str, typer.Option("--author", help="Who publishes.")] = "ecocast",
    db: DbOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Make the draft forecast run from the champion models."""
    settings = settings_for(data_dir)
    result = run_issue(settings, db, at, experiment, met or [])
    console = make_console()
    run = result.run
    state = "DEGRADED: " + "; ".join(run.degraded_reasons) if run.degraded else "complete"
    state = escape(state)  # reasons quote paths and messages: no Rich markup
    console.print(
        f"draft run {run.id} issued at {run.issued_at.isoformat()} "
        f"({result.hourly_rows:,} hourly values, {result.seconds:.1f} s): {state}"
    )
    if publish_now:
        with open_store(db, settings) as store:
            done = store.publish_run(run.id, author=author)
        console.print(f"published run {done.id} as version {done.version}")


def publish(
    run_id: Annotated[int, typer.Argument(help="Draft run id.")],
    *,
    author: Annotated[str, typer.Option("--author", help="Who publishes.")],
    db: DbOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Publish a reviewed draft run (a new immutable version)."""
    settings = settings_for(data_dir)
    with open_store(db, settings) as store:
        run = store.publish_run(run_id, author=author)
    make_console().print(f"published run {run.id} as version {run.version}")


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Argument(help="Who or what the token is for.")],
    *,
    role: Annotated[str, typer.Option("--role", help="forecaster or admin.")] = "forecaster",
    db: DbOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Create a bearer token; it is printed once and stored only as a hash."""
    settings = settings_for(data_dir)
    with open_store(db, settings) as store:
        token = store.create_token(name, role)
    make_console().print(token)


def serve(
    *,
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
    db: DbOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Serve the public API, the forecaster API and the review page."""
    import uvicorn  # noqa: PLC0415

    from serve.app import create_app  # noqa: PLC0415

    settings = settings_for(data_dir)
    if db is not None:  # a URL or a SQLite file, as for the other commands
        settings = settings.model_copy(update={"database_url": resolve_database_url(db, settings)})
    app = create_app(settings)
    console = make_console()
    console.print(f"review page: http://{host}:{port}/review")
    console.print(f"API docs:    http://{host}:{port}/docs")
    console.print(f"latest:      http://{host}:{port}/api/v1/stations")
    uvicorn.run(app, host=host, port=port, log_level="warning")


_SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "beijing"
DEMO_EXPERIMENT = "demo_beijing"
DEMO_ISSUE = "2016-02-26T16:00+08:00"


def demo(
    *,
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve when done (default).")
    ] = True,
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8000,
    data_dir: DataDirOption = None,
) -> None:
    """Ingest the bundled real sample, train, issue, publish, and serve it."""
    from forecasting.cli.progress import stage_progress  # noqa: PLC0415
    from forecasting.ingest.run import ingest_files, ingest_station_files  # noqa: PLC0415
    from forecasting.pipeline.air_backtest import run_air_backtest, write_backtest  # noqa: PLC0415
    from forecasting.pipeline.tracking import track_backtest  # noqa: PLC0415
    from models.tracking import promote as promote_model  # noqa: PLC0415
    from models.tracking import registered_model_name, tracking_uri  # noqa: PLC0415

    settings = settings_for(data_dir)
    console = make_console()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    config = load_experiment(DEMO_EXPERIMENT)
    window = config.backtest.windows[0]
    console.print(f"1/5 ingest the bundled Beijing sample into {settings.data_dir}")
    with open_store(None, settings) as store:
        ingest_station_files(store, [_SAMPLE / "stations.csv"], network="air")
        ingest_files(store, [_SAMPLE / "observations.csv.gz"], "air", data_dir=settings.data_dir)
        console.print(f"2/5 train before {window.start} and backtest {window.label}")
        with stage_progress() as progress:
            result = run_air_backtest(
                store,
                config,
                window,
                load_inputs(),
                progress=progress,  # type: ignore[arg-type]
            )
    output = settings.data_dir / "backtests" / DEMO_EXPERIMENT
    write_backtest(result, output)
    uri = tracking_uri(settings)
    track_backtest(config, result, output, uri=uri)
    console.print("3/5 promote the validated challengers to champion")
    for target in config.targets:
        decision = promote_model(
            registered_model_name("air", target),
            primary_metric=config.promotion.primary_metric,
            window=window.label,
            uri=uri,
        )
        console.print(f"    {decision.name}: {decision.outcome}")
    console.print(f"4/5 issue at {DEMO_ISSUE} and publish")
    issued = run_issue(settings, None, DEMO_ISSUE, DEMO_EXPERIMENT, [])
    with open_store(None, settings) as store:
        run = store.publish_run(issued.run.id, author="ecocast demo")
        token = store.create_token("demo forecaster", "forecaster")
    console.print(
        f"    run {run.id} v{run.version}, {issued.hourly_rows:,} values in {issued.seconds:.1f} s"
    )
    console.print(f"    forecaster token (shown once): {token}")
    if serve_after:
        console.print("5/5 serve")
        serve(port=port, data_dir=settings.data_dir)
    else:
        console.print(f"5/5 done; serve with: ecocast serve --data-dir {settings.data_dir}")
