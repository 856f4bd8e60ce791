"""``ecocast ingest emissions FILE…``: check an emission inventory and catalogue it.

An inventory is a gridded NetCDF file (or several, e.g. one per species) or a tabular
CSV of published figures. The files are opened and validated exactly as the features
will read them (units, grid, dates of publication), then registered in the store's
catalogue under ``(name, version)`` with the base year and a JSON summary; registering
the same name and version again replaces the entry. Nothing is copied into the store.

Wiring (``forecasting/cli/ingest.py``, beside ``air``/``water``/``stations``)::

    ingest_app.command("emissions")(ingest_emissions_command)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from features.emissions import (
    EMISSION_UNITS,
    open_emission_inventory,
    read_emission_publications,
    read_emission_table,
)
from forecasting.cli.console import make_console
from forecasting.cli.options import DataDirOption, DbOption, open_store, settings_for
from forecasting.errors import InputDataError

__all__ = ["GRIDDED_SUFFIXES", "TABULAR_SUFFIXES", "ingest_emissions_command"]

#: File name endings read as gridded NetCDF inventories.
GRIDDED_SUFFIXES = (".nc", ".nc4", ".netcdf", ".cdf")
#: File name endings read as tabular figures (shared/data/emissions layout).
TABULAR_SUFFIXES = (".csv", ".csv.gz")


def ingest_emissions_command(
    files: Annotated[
        list[Path],
        typer.Argument(
            metavar="FILE...", help="Inventory files: NetCDF grids or one CSV of figures."
        ),
    ],
    *,
    name: Annotated[str, typer.Option("--name", help="Inventory name, e.g. MEIC.")],
    version: Annotated[str, typer.Option("--version", help="Inventory version, e.g. v1.3.")],
    base_year: Annotated[
        int, typer.Option("--base-year", help="Year the emissions describe (scaling base).")
    ],
    db: DbOption = None,
    data_dir: DataDirOption = None,
    published: Annotated[
        str | None,
        typer.Option(
            "--published",
            help="When a gridded inventory became public, with offset "
            "(2018-10-04T00:00+02:00); features ignore it before then.",
        ),
    ] = None,
    publications: Annotated[
        Path | None,
        typer.Option(
            "--publications", help="Publication-date register for a CSV (default: shipped)."
        ),
    ] = None,
) -> None:
    """Check an emission inventory and register it in the store catalogue."""
    path, attrs = _inventory_summary(files, name, version, base_year, published, publications)
    settings = settings_for(data_dir)
    with open_store(db, settings) as store:
        entry = store.register_emission_inventory(name, version, base_year, path, attrs)
    make_console().print(
        f"registered emission inventory {escape(entry.name)} {escape(entry.version)} "
        f"(base year {entry.base_year}, {attrs['kind']}, species "
        f"{', '.join(attrs['species'])}) from {escape(entry.path)}",
        highlight=False,
    )


def _inventory_summary(
    files: list[Path],
    name: str,
    version: str,
    base_year: int,
    published: str | None,
    publications: Path | None,
) -> tuple[str, dict[str, Any]]:
    """Open and validate every file; return the catalogue path and its summary."""
    if not files:
        raise InputDataError("give at least one inventory file")
    kinds = {_kind(f) for f in files}
    if len(kinds) > 1:
        raise InputDataError("give either NetCDF grids or one CSV table, not both")
    if kinds == {"tabular"}:
        if len(files) != 1 or published is not None:
            raise InputDataError(
                "a tabular inventory is one CSV; its figures are dated by --publications, "
                "not --published"
            )
        attrs = _tabular(files[0], publications)
    else:
        attrs = _gridded(files, name, version, base_year, published)
    resolved = [str(f.resolve()) for f in files]
    attrs["files"] = resolved
    return (resolved[0] if len(files) == 1 else os.path.commonpath(resolved)), attrs


def _kind(file: Path) -> str:
    lowered = file.name.lower()
    if lowered.endswith(GRIDDED_SUFFIXES):
        return "gridded"
    if lowered.endswith(TABULAR_SUFFIXES):
        return "tabular"
    raise InputDataError(
        f"{file}: unknown inventory format; use {', '.join(GRIDDED_SUFFIXES)} (gridded) "
        f"or {', '.join(TABULAR_SUFFIXES)} (tabular)"
    )


def _gridded(
    files: list[Path], name: str, version: str, base_year: int, published: str | None
) -> dict[str, Any]:
    species: set[str] = set()
    sectors: set[str] = set()
    periods: set[str] = set()
    units = []
    for file in files:
        ds = open_emission_inventory(
            file, name=name, version=version, base_year=base_year, published=published
        )
        emission = ds["emission"]
        species.update(str(s) for s in emission["species"].values)
        sectors.update(str(s) for s in emission["sector"].values)
        periods.update(d for d in ("month", "year") if d in emission.dims)
        units.append(f"{file.name}: {ds.attrs['original_units']}")
        lat, lon = emission["latitude"].values, emission["longitude"].values
        ds.close()
    attrs: dict[str, Any] = {
        "kind": "gridded",
        "format": "netcdf",
        "species": sorted(species),
        "sectors": sorted(sectors),
        "time": sorted(periods) or ["annual"],
        "units": EMISSION_UNITS,
        "original_units": units,
        "grid": {
            "latitude": [float(lat.min()), float(lat.max()), int(lat.size)],
            "longitude": [float(lon.min()), float(lon.max()), int(lon.size)],
        },
    }
    if published is not None:
        attrs["published"] = str(ds.attrs["published"])
    return attrs


def _tabular(file: Path, publications: Path | None) -> dict[str, Any]:
    table = read_emission_table(file)
    register = read_emission_publications(publications)
    dated = register.date_sources(table["source"])
    used = sorted(set(dated["publication"]))
    known = {e.id: e.known_from.isoformat() for e in register.entries if e.id in used}
    return {
        "kind": "tabular",
        "format": "csv",
        "content_version": table.attrs["version"],
        "rows": len(table),
        "regions": sorted(set(table["region"])),
        "species": sorted(set(table["species_key"])),
        "years": [int(table["year_start"].min()), int(table["year_end"].max())],
        "publications": known,
        "publication_register": register.source.id,
    }
