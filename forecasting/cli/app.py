"""Root Typer application and entry point."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Annotated

import typer
from rich.markup import escape

from forecasting import __version__
from forecasting.cli import aqi as aqi_cmd
from forecasting.cli.console import make_console
from forecasting.cli.emissions import ingest_emissions_command
from forecasting.cli.experiments import backtest, promote, train
from forecasting.cli.hj212 import hj212_app, ingest_hj212_command
from forecasting.cli.ingest import ingest_app
from forecasting.cli.issuance import demo, issue, publish, serve, token_app
from forecasting.cli.met import ingest_met_command
from forecasting.cli.qc import qc_app
from forecasting.cli.standards import standards_app
from forecasting.errors import ForecastingError

__all__ = ["app", "main", "run"]

app = typer.Typer(
    name="ecocast",
    no_args_is_help=True,
    help="ecocast: air- and water-quality forecasting and early warning.",
    pretty_exceptions_enable=False,
)


def _version_callback(value: bool) -> None:
    if value:
        make_console().print(f"ecocast {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    *,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress details.")] = False,
    version: Annotated[  # noqa: ARG001 - handled by its eager callback
        bool,
        typer.Option(
            "--version", callback=_version_callback, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """ecocast: air- and water-quality forecasting and early warning."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


app.command(name="aqi")(aqi_cmd.aqi)
app.command(name="train")(train)
app.command(name="backtest")(backtest)
app.command(name="promote")(promote)
app.command(name="issue")(issue)
app.command(name="publish")(publish)
app.command(name="serve")(serve)
app.command(name="demo")(demo)
app.add_typer(token_app, name="token")
ingest_app.command("hj212")(ingest_hj212_command)
ingest_app.command("emissions")(ingest_emissions_command)
ingest_app.command("met")(ingest_met_command)
app.add_typer(ingest_app, name="ingest")
app.add_typer(hj212_app, name="hj212")
app.add_typer(qc_app, name="qc")
app.add_typer(standards_app, name="standards")


def run(args: Sequence[str] | None = None) -> int:
    """Run the CLI with ``args`` and return the exit code.

    Expected errors (:class:`~forecasting.errors.ForecastingError`) become a one-line
    message on standard error and exit code 1, never a traceback. Usage errors are
    reported by Typer (exit code 2).
    """
    try:
        app(args=list(args) if args is not None else None, prog_name="ecocast")
    except ForecastingError as exc:
        make_console(stderr=True).print(f"[bold red]error:[/] {escape(str(exc))}")
        return 1
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


def main() -> None:
    """Console-script entry point of ``ecocast``."""
    raise SystemExit(run())
