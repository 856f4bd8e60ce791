"""``ecocast ingest air|water|stations FILE…``: load files into the store.

The store is ``--db URL`` (a SQLAlchemy URL or a SQLite file path), else the
``ECOCAST_DATABASE_URL`` setting, else ``<data dir>/ecocast.sqlite``. Rejected
rows go to ``<data dir>/quarantine/``. A structural problem in any file stops
the command with one line naming the file, line and column, and nothing is
written.

``ingest stations --city NAME`` gives a city to the stations whose file row
has none; the shared Beijing air station list, which has no city column,
defaults to ``Beijing`` (see :func:`forecasting.ingest.stations.read_station_file`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Literal, cast

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from forecasting.cli.console import make_console
from forecasting.cli.options import DataDirOption, DbOption, open_store, settings_for
from forecasting.ingest.progress import STAGES, ProgressEvent
from forecasting.ingest.run import IngestResult, StationResult, ingest_files
from forecasting.ingest.stations import read_station_file

__all__ = ["ingest_app", "print_ingest_results"]

ingest_app = typer.Typer(
    no_args_is_help=True, help="Ingest observation and station files into the store."
)

Files = Annotated[
    list[Path],
    typer.Argument(help="Files to ingest (CSV, CSV.gz or Parquet).", show_default=False),
]
UnitOption = Annotated[
    list[str] | None,
    typer.Option(
        "--unit", metavar="VAR=UNIT", help="Declared unit of a column, e.g. co=ug/m3 (repeat)."
    ),
]
TzOption = Annotated[
    str | None,
    typer.Option("--tz", help="IANA zone of timestamps without an offset, e.g. Asia/Shanghai."),
]
StrictOption = Annotated[
    bool, typer.Option("--strict", help="Fail on the first bad row instead of quarantining it.")
]


@ingest_app.command("air")
def ingest_air(
    files: Files,
    *,
    db: DbOption = None,
    data_dir: DataDirOption = None,
    unit: UnitOption = None,
    tz: TzOption = None,
    layout: Annotated[
        str, typer.Option("--layout", help="auto, tidy, beijing or uci (raw PRSA_Data files).")
    ] = "auto",
    strict: StrictOption = False,
) -> None:
    """Ingest hourly air observations (tidy, shared-Beijing or raw UCI layout)."""
    _ingest("air", files, db, data_dir, unit, tz, strict, {"layout": layout})


@ingest_app.command("water")
def ingest_water(
    files: Files,
    *,
    db: DbOption = None,
    data_dir: DataDirOption = None,
    unit: UnitOption = None,
    tz: TzOption = None,
    strict: StrictOption = False,
) -> None:
    """Ingest CNEMC surface-water observations (daily or 4-hourly release)."""
    _ingest("water", files, db, data_dir, unit, tz, strict, {})


@ingest_app.command("stations")
def ingest_stations(
    files: Files,
    *,
    db: DbOption = None,
    data_dir: DataDirOption = None,
    network: Annotated[
        str | None, typer.Option("--network", help="air or water, for files that do not say.")
    ] = None,
    city: Annotated[
        str | None,
        typer.Option(
            "--city",
            help="City of the stations whose file gives none (the Beijing air list: Beijing).",
        ),
    ] = None,
) -> None:
    """Register (insert or update) the stations of station files."""
    settings = settings_for(data_dir)
    if network not in (None, "air", "water"):
        raise typer.BadParameter(f"{network!r}; choose air or water", param_hint="--network")
    if city is not None and not city.strip():
        raise typer.BadParameter("an empty name; give a city, e.g. Beijing", param_hint="--city")
    chosen = cast(Literal["air", "water"] | None, network)
    frames = [(path, read_station_file(path, network=chosen, city=city)) for path in files]
    with open_store(db, settings) as store:
        results = [StationResult(p, len(f), store.upsert_stations(f)) for p, f in frames]
    console = make_console()
    for result in results:
        summary = result.summary
        console.print(
            f"{escape(str(result.path))}: {result.stations} stations "
            f"({summary.inserted} new, {summary.updated} updated)",
            highlight=False,
        )


def _ingest(
    kind: str,
    files: list[Path],
    db: str | None,
    data_dir: Path | None,
    unit: list[str] | None,
    tz: str | None,
    strict: bool,
    options: dict[str, str],
) -> None:
    settings = settings_for(data_dir)
    with open_store(db, settings) as store, _progress_bar() as bar:
        task = bar.add_task("starting", total=len(files) * len(STAGES))

        def _advance(event: ProgressEvent) -> None:
            following = STAGES[event.completed] if event.completed < event.total else "done"
            bar.update(task, advance=1, description=f"{event.file}: {following}")

        results = ingest_files(
            store,
            files,
            kind,
            data_dir=settings.data_dir,
            units=unit or [],
            tz=tz,
            strict=strict,
            progress=_advance,
            options=options,
        )
    print_ingest_results(results)


def _progress_bar() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=make_console(stderr=True),
        transient=True,
    )


def print_ingest_results(
    results: Sequence[IngestResult],
    *,
    rows_label: str = "rows",
    notes: Sequence[Sequence[str]] = (),
) -> None:
    """Print one table row per ingested file, then its QC flags, notes and quarantine.

    Parameters
    ----------
    results : sequence of IngestResult
        One per file.
    rows_label : str
        Header of the column counting source units (lines, packets).
    notes : sequence of sequence of str, optional
        Extra lines to print per file (same order as ``results``).
    """
    table = Table("file", rows_label, "observations", "new", "revised", "unchanged", "rejected")
    for r in results:
        table.add_row(
            escape(r.source),
            f"{r.rows:,}",
            f"{r.observations:,}",
            f"{r.inserted:,}",
            f"{r.revised:,}",
            f"{r.unchanged:,}",
            f"{r.rejected:,}",
        )
    console = make_console()
    console.print(table)
    for k, r in enumerate(results):
        flags = ", ".join(f"{name} {count:,}" for name, count in r.flags.items()) or "none"
        console.print(f"{escape(r.path.name)} QC flags: {flags}", highlight=False)
        for line in notes[k] if k < len(notes) else ():
            console.print(f"{escape(r.path.name)}: {escape(line)}", highlight=False)
        if r.quarantine is not None:
            console.print(
                f"{r.rejected:,} rejected item(s) listed in {escape(str(r.quarantine))}",
                highlight=False,
            )
