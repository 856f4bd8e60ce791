"""``ecocast qc report [--json]``: stored observations and their QC flags."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from forecasting.cli.console import make_console
from forecasting.cli.options import DataDirOption, DbOption, open_store, settings_for
from forecasting.qc.flags import ALL_FLAGS
from forecasting.qc.report import QcReport, qc_report

__all__ = ["qc_app"]

qc_app = typer.Typer(no_args_is_help=True, help="Quality control of stored observations.")


@qc_app.command("report")
def report(
    *,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    db: DbOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Count stored observations per station, variable and QC flag."""
    with open_store(db, settings_for(data_dir)) as store:
        result = qc_report(store)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        return
    _print_report(result)


def _print_report(result: QcReport) -> None:
    console = make_console()
    console.print(
        f"{result.observations:,} stored observations, {result.flagged:,} with a QC flag",
        highlight=False,
    )
    flags = [str(f.name) for f in ALL_FLAGS if result.count(str(f.name))]
    for group in ("variable", "station"):
        counts = result.flag_totals(group)
        table = Table(group, "observations", *flags, title=f"QC flags by {group}")
        for name, observations in result.observations_by(group).items():
            row = counts.get(name, {})
            table.add_row(name, f"{observations:,}", *(f"{row.get(f, 0):,}" for f in flags))
        console.print(table)
