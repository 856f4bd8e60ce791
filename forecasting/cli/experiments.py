"""``ecocast train | backtest | promote``: the modeler's loop over experiment files.

* ``ecocast backtest EXPERIMENT --observations FILE … --stations FILE --start DATE --end DATE
  --output DIR [--met FILE …] [--emissions FILE …]`` trains on everything before
  ``--start``, issues one forecast per day replaying only what was known, and writes
  ``hourly.parquet``, ``daily.parquet`` and ``metrics.json`` (shared/docs/product.md,
  "Backtest contract"). Given ``--observations``, the files are ingested into a scratch
  store (the UCI Beijing layout works as it is); otherwise the configured store is read.
  The run is tracked in MLflow and each target's model registered as ``challenger``
  when the experiment's validation criteria hold (``--no-track`` skips both).
* ``ecocast train EXPERIMENT [--end DATE]`` fits the experiment on everything in the store
  (up to ``--end``) and logs a train run per target with its model.
* ``ecocast promote EXPERIMENT [--window START/END]`` moves ``champion`` to the
  ``challenger`` of each target when it verifies better on the experiment's primary
  metric in the same backtest window.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Annotated, cast

import typer
from rich.table import Table

from forecasting.cli.console import make_console
from forecasting.cli.options import DataDirOption, DbOption, open_store, settings_for
from forecasting.cli.progress import stage_progress
from forecasting.config import Settings
from forecasting.errors import InputDataError
from forecasting.pipeline.air_backtest import BacktestResult, run_air_backtest, write_backtest
from forecasting.pipeline.experiment import ExperimentConfig, Window, load_experiment
from forecasting.pipeline.inputs import ingest_into_scratch, load_inputs
from forecasting.storage import Store

__all__ = ["backtest", "promote", "train"]

ExperimentArg = Annotated[
    str, typer.Argument(help="Experiment file or name in experiments/ (e.g. air_beijing).")
]
MetOption = Annotated[
    list[Path] | None,
    typer.Option("--met", help="Forecast field file (NetCDF, GRIB, Zarr); repeatable."),
]
EmissionsOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--emissions",
        help="Emission figures (shared tabular layout); repeatable. Default: shipped table.",
    ),
]
ObservationsOption = Annotated[
    list[Path] | None,
    typer.Option("--observations", help="Observation file to ingest first; repeatable."),
]
StationsOption = Annotated[
    Path | None, typer.Option("--stations", help="Station file of the observations.")
]
Progress = Callable[[str, int, int], None]

_HEADLINES = (
    ("summary_daily_pm25_mean_absolute_error", "daily PM2.5 MAE, days 1-3 [µg/m³]"),
    ("summary_daily_aqi_level_accuracy_score", "daily AQI level accuracy, days 1-3"),
    ("summary_pm25_mean_absolute_error", "hourly PM2.5 MAE, leads 1-72 [µg/m³]"),
    ("summary_pm25_interval_coverage_q10_q90", "hourly PM2.5 q10-q90 coverage"),
    ("forecast_presence_score", "forecasts present where observed"),
)


@contextlib.contextmanager
def _store(
    observations: list[Path] | None,
    stations: Path | None,
    db: str | None,
    settings: Settings,
) -> Iterator[Store]:
    if observations:
        if stations is None:
            raise InputDataError("--observations needs --stations FILE (the station list)")
        with tempfile.TemporaryDirectory(prefix="ecocast-backtest-") as scratch:
            store = ingest_into_scratch(observations, stations, Path(scratch))
            try:
                yield store
            finally:
                store.close()
        return
    with open_store(db, settings) as store:
        yield store


def _window(experiment: ExperimentConfig, start: date | None, end: date | None) -> Window:
    if start is not None and end is not None:
        return Window(start=start, end=end)
    if start is None and end is None and experiment.backtest.windows:
        return experiment.backtest.windows[0]
    raise InputDataError(
        f"give --start and --end (experiment {experiment.name!r} has "
        f"{len(experiment.backtest.windows)} default window(s))"
    )


def _print_summary(result: BacktestResult) -> None:
    table = Table(
        title=f"backtest {result.window.label} (weather: {result.weather_label})",
        show_lines=False,
    )
    table.add_column("figure")
    names = list(result.scores.summary)
    for name in names:
        table.add_column(name, justify="right")
    for key, label in _HEADLINES:
        row = [label]
        for name in names:
            value = result.scores.summary[name].get(key)
            row.append("-" if value is None else f"{value:.3f}")
        table.add_row(*row)
    make_console().print(table)


def backtest(
    experiment: ExperimentArg,
    *,
    observations: ObservationsOption = None,
    stations: StationsOption = None,
    start: Annotated[
        str | None, typer.Option("--start", help="First issue date (local), YYYY-MM-DD.")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--end", help="Last issue date (local), YYYY-MM-DD.")
    ] = None,
    output: Annotated[Path, typer.Option("--output", help="Directory of the result files.")],
    met: MetOption = None,
    emissions: EmissionsOption = None,
    track: Annotated[
        bool, typer.Option("--track/--no-track", help="Record in MLflow and register.")
    ] = True,
    db: DbOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Backtest an experiment: train before --start, replay each day to --end."""
    config = load_experiment(experiment)
    window = _window(config, _date(start, "--start"), _date(end, "--end"))
    settings = settings_for(data_dir)
    inputs = load_inputs(met or [], emissions or [], emissions=config.features.emissions)
    with _store(observations, stations, db, settings) as store, stage_progress() as progress:
        result = run_air_backtest(store, config, window, inputs, progress=cast(Progress, progress))
        written = write_backtest(result, output)
    console = make_console()
    _print_summary(result)
    for path in written.values():
        console.print(f"wrote {path}")
    if track:
        from forecasting.pipeline.tracking import track_backtest  # noqa: PLC0415 - mlflow is slow
        from models.tracking import tracking_uri  # noqa: PLC0415

        tracked = track_backtest(config, result, output, uri=tracking_uri(settings))
        console.print(f"MLflow run {tracked.summary_run} ({tracking_uri(settings)})")
        for target, version in tracked.registered.items():
            state = f"challenger v{version}" if version else "not registered (validation failed)"
            console.print(f"  ecocast-air-{target}: {state}")


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a date YYYY-MM-DD", param_hint=option) from exc


def train(
    experiment: ExperimentArg,
    *,
    observations: ObservationsOption = None,
    stations: StationsOption = None,
    end: Annotated[
        str | None, typer.Option("--end", help="Train on data before this date (default: all).")
    ] = None,
    met: MetOption = None,
    emissions: EmissionsOption = None,
    db: DbOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Fit an experiment on everything known (up to --end) and log it in MLflow."""
    import pandas as pd  # noqa: PLC0415

    from forecasting.pipeline.air_models import fit_models, observation_span, training_set  # noqa: PLC0415
    from models.tracking import log_run, tracking_uri  # noqa: PLC0415

    config = load_experiment(experiment)
    settings = settings_for(data_dir)
    inputs = load_inputs(met or [], emissions or [], emissions=config.features.emissions)
    console = make_console()
    with _store(observations, stations, db, settings) as store, stage_progress() as progress:
        span = observation_span(store)
        if span is None:
            raise InputDataError("the store holds no observations; ingest some first")
        until = _date(end, "--end")
        cutoff = (
            pd.Timestamp(until).tz_localize(config.timezone).tz_convert("UTC")
            if until
            else span[1] + pd.Timedelta(hours=1)
        )
        data = training_set(store, config, cutoff, inputs, progress=cast(Progress, progress))
        fitted = fit_models(config, data, progress=cast(Progress, progress))
    uri = tracking_uri(settings)
    for target, model in fitted.models.items():
        scores = getattr(model, "validation_scores_", {})
        metrics = {
            f"validation_{k}_error" if "mae" in k else f"validation_{k}": float(v)
            for k, v in scores.items()
        }
        run_id = log_run(
            config,
            kind="train",
            metrics=metrics,
            uri=uri,
            model=model,
            input_example=data.X.head(5),
            weather=config.weather_label,  # type: ignore[arg-type]
            tags={"experiment_hash": config.fingerprint(), "target": target},
        )
        console.print(f"{target}: trained on {len(data.X):,} rows; MLflow run {run_id}")


def promote(
    experiment: ExperimentArg,
    *,
    window: Annotated[
        str | None,
        typer.Option("--window", help="Backtest window START/END (default: the experiment's)."),
    ] = None,
    target: Annotated[
        list[str] | None, typer.Option("--target", help="Only these targets; repeatable.")
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Move each target's champion to its challenger when it verifies better."""
    from models.tracking import promote as promote_model  # noqa: PLC0415
    from models.tracking import registered_model_name, tracking_uri  # noqa: PLC0415

    config = load_experiment(experiment)
    if window is None:
        if not config.backtest.windows:
            raise InputDataError(f"give --window START/END; {config.name!r} names no window")
        window = config.backtest.windows[0].label
    uri = tracking_uri(settings_for(data_dir))
    console = make_console()
    from mlflow.exceptions import MlflowException  # noqa: PLC0415

    for name in target or list(config.targets):
        registered = registered_model_name("air", name)
        try:
            decision = promote_model(
                registered,
                primary_metric=config.promotion.primary_metric,
                min_improvement=config.promotion.min_improvement,
                window=window,
                uri=uri,
            )
        except (InputDataError, MlflowException) as exc:
            console.print(f"{registered}: refused - {exc}")
            continue
        console.print(f"{decision.name}: {decision.outcome} - {decision.reason}")
