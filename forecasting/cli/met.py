"""``ecocast ingest met FILE… [--kind forecast|analysis]``: catalogue meteorological fields.

Each file (NetCDF, GRIB or Zarr) is opened lazily, its dims and CF units are
checked (:func:`features.meteo_read.open_met_dataset`), and it is registered
in the store's catalogue with its issue times (an analysis: its valid times)
and canonical variables; the fields themselves stay where they are. Nothing is
registered when any file fails. Wire it into the ``ingest`` sub-app (in
``forecasting/cli/app.py``, beside the ``hj212`` line) with::

    from forecasting.cli.met import ingest_met_command
    ingest_app.command("met")(ingest_met_command)

This module is part of the composition root (``forecasting.cli``), the one
place of the core that imports :mod:`features` (lazily, inside the command).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.markup import escape

from forecasting.cli.console import make_console
from forecasting.cli.options import DataDirOption, DbOption, open_store, settings_for
from forecasting.storage import MetDataset, Store

__all__ = ["ingest_met_command", "register_met_files"]

MetKindOption = Literal["forecast", "analysis"]


def register_met_files(
    store: Store, files: list[Path], kind: MetKindOption = "forecast"
) -> list[MetDataset]:
    """Check every file, then register all of them in the store's catalogue.

    Parameters
    ----------
    store : forecasting.storage.Store
        An open store.
    files : list of pathlib.Path
        Field files or Zarr stores.
    kind : {"forecast", "analysis"}, optional
        What the files hold.

    Returns
    -------
    list of MetDataset
        The catalogue entries, in the order of ``files``.

    Raises
    ------
    forecasting.errors.InputDataError
        From the first file that cannot be opened or checked; nothing is
        registered then.
    """
    # imported here so that ``ecocast --help`` and the other commands do not load xarray/dask
    from features.meteo_read import describe_met_dataset, open_met_dataset  # noqa: PLC0415

    described: list[tuple[Path, dict[str, Any]]] = []
    for path in files:
        with open_met_dataset(path, kind=kind) as ds:
            described.append((path.resolve(), describe_met_dataset(ds)))
    return [
        store.register_met_dataset(
            str(path),
            kind,
            entry["format"],
            entry["issue_times"],
            entry["variables"],
            entry["attrs"],
        )
        for path, entry in described
    ]


def ingest_met_command(
    files: Annotated[
        list[Path],
        typer.Argument(
            metavar="FILE...", help="Field files: NetCDF, GRIB or Zarr.", show_default=False
        ),
    ],
    *,
    kind: Annotated[
        MetKindOption,
        typer.Option("--kind", help="forecast (issue times and steps) or analysis."),
    ] = "forecast",
    db: DbOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Catalogue meteorological field files (forecasts or analyses) in the store."""
    settings = settings_for(data_dir)
    with open_store(db, settings) as store:
        entries = register_met_files(store, files, kind)
    console = make_console()
    for entry in entries:
        label = entry.attrs.get("label", kind)
        console.print(
            f"{escape(entry.path)}: {entry.kind} ({label}), {entry.format}, "
            f"{len(entry.issue_times)} {'cycles' if entry.kind == 'forecast' else 'times'}, "
            f"variables {', '.join(entry.variables) or 'none'}",
            highlight=False,
        )
