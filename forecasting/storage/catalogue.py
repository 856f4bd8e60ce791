"""Catalogues of meteorological field datasets and emission inventories.

The store does not hold gridded fields; it records where they are and what
they contain, so a forecast run can find the fields issued before its data
cut-off and say which inventory it used. Registering the same dataset path, or
the same inventory (name, version), again replaces its entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Connection, delete, insert, select, update

from forecasting.errors import InputDataError
from forecasting.storage.schema import (
    MET_DATASET_FORMATS,
    MET_DATASET_KINDS,
    emission_inventories,
    met_dataset_issues,
    met_datasets,
)

__all__ = [
    "EmissionInventory",
    "MetDataset",
    "MetDatasetFormat",
    "MetDatasetKind",
    "list_emission_inventories",
    "list_met_datasets",
    "register_emission_inventory",
    "register_met_dataset",
]

MetDatasetKind = Literal["forecast", "analysis"]
MetDatasetFormat = Literal["netcdf", "grib", "zarr"]
_MIN_BASE_YEAR, _MAX_BASE_YEAR = 1900, 2200


@dataclass(frozen=True)
class MetDataset:
    """A registered meteorological field dataset.

    Attributes
    ----------
    id : int
        Catalogue id.
    path : str
        Where the dataset is (file, directory or URL), as registered.
    kind : {"forecast", "analysis"}
        Model forecast (with issue times and leads) or analysis/reanalysis.
    format : {"netcdf", "grib", "zarr"}
        Storage format.
    issue_times : tuple of datetime
        Issue (initialisation) times it contains, UTC, ascending.
    variables : tuple of str
        Variable names it provides.
    attrs : dict
        Free metadata (model, resolution, CF attributes, provenance).
    registered_at : datetime
        When it was (last) registered, UTC.
    """

    id: int
    path: str
    kind: str
    format: str
    issue_times: tuple[datetime, ...]
    variables: tuple[str, ...]
    attrs: dict[str, Any] = field(hash=False)
    registered_at: datetime


@dataclass(frozen=True)
class EmissionInventory:
    """A registered emission inventory.

    Attributes
    ----------
    id : int
        Catalogue id.
    name : str
        Inventory name, e.g. ``"MEIC"``.
    version : str
        Inventory version, e.g. ``"v1.4"``.
    base_year : int
        Year the emissions describe.
    path : str
        Where the inventory is.
    attrs : dict
        Free metadata (species, resolution, units, provenance).
    registered_at : datetime
        When it was (last) registered, UTC.
    """

    id: int
    name: str
    version: str
    base_year: int
    path: str
    attrs: dict[str, Any] = field(hash=False)
    registered_at: datetime


def register_met_dataset(
    connection: Connection,
    path: str | Path,
    kind: MetDatasetKind,
    format: MetDatasetFormat,
    issue_times: Iterable[datetime],
    variables: Iterable[str],
    attrs: Mapping[str, Any] | None = None,
    *,
    registered_at: datetime,
) -> MetDataset:
    """Register (or re-register) a meteorological field dataset.

    Parameters
    ----------
    connection : sqlalchemy.Connection
        A connection inside a write transaction.
    path : str or path-like
        Where the dataset is; the catalogue key.
    kind : {"forecast", "analysis"}
        Forecast fields or analyses.
    format : {"netcdf", "grib", "zarr"}
        Storage format.
    issue_times : iterable of datetime
        Timezone-aware issue times contained (analysis valid times for an
        analysis).
    variables : iterable of str
        Variables provided.
    attrs : mapping, optional
        JSON-serialisable metadata.
    registered_at : datetime
        Registration time (timezone-aware).

    Returns
    -------
    MetDataset
        The catalogue entry as stored.

    Raises
    ------
    forecasting.errors.InputDataError
        For an unknown kind or format, or naive issue times.
    """
    _one_of("kind", kind, MET_DATASET_KINDS)
    _one_of("format", format, MET_DATASET_FORMATS)
    given = list(issue_times)
    for t in given:
        _require_aware(t, f"met dataset {str(path)!r}: issue time")
    times = sorted(set(given))
    _require_aware(registered_at, f"met dataset {str(path)!r}: registered_at")
    row = {
        "path": str(path),
        "kind": kind,
        "format": format,
        "variables": sorted(set(variables)),
        "attrs": dict(attrs or {}),
        "registered_at": registered_at,
    }
    key = str(path)
    existing = connection.scalar(select(met_datasets.c.id).where(met_datasets.c.path == key))
    if existing is None:
        existing = connection.execute(
            insert(met_datasets).values(row).returning(met_datasets.c.id)
        ).scalar_one()
    else:
        connection.execute(update(met_datasets).where(met_datasets.c.id == existing).values(row))
        connection.execute(
            delete(met_dataset_issues).where(met_dataset_issues.c.dataset_id == existing)
        )
    if times:
        connection.execute(
            insert(met_dataset_issues), [{"dataset_id": existing, "issued_at": t} for t in times]
        )
    return list_met_datasets(connection, path=key)[0]


def list_met_datasets(
    connection: Connection,
    *,
    kind: MetDatasetKind | None = None,
    variable: str | None = None,
    issued_from: datetime | None = None,
    issued_before: datetime | None = None,
    path: str | None = None,
) -> list[MetDataset]:
    """List registered meteorological datasets, by path.

    Parameters
    ----------
    connection : sqlalchemy.Connection
        An open connection.
    kind : {"forecast", "analysis"}, optional
        Only this kind.
    variable : str, optional
        Only datasets providing this variable.
    issued_from, issued_before : datetime, optional
        Only datasets with an issue time in ``[issued_from, issued_before)``.
    path : str, optional
        Only the dataset registered under this path.

    Returns
    -------
    list of MetDataset
        Matching entries (each with all its issue times), sorted by path.
    """
    query = select(met_datasets).order_by(met_datasets.c.path)
    if kind is not None:
        _one_of("kind", kind, MET_DATASET_KINDS)
        query = query.where(met_datasets.c.kind == kind)
    if path is not None:
        query = query.where(met_datasets.c.path == path)
    if issued_from is not None or issued_before is not None:
        issues = select(met_dataset_issues.c.dataset_id)
        if issued_from is not None:
            issues = issues.where(met_dataset_issues.c.issued_at >= issued_from)
        if issued_before is not None:
            issues = issues.where(met_dataset_issues.c.issued_at < issued_before)
        query = query.where(met_datasets.c.id.in_(issues))
    rows = connection.execute(query).mappings().all()
    times: dict[int, list[datetime]] = {}
    issue_rows = connection.execute(
        select(met_dataset_issues.c.dataset_id, met_dataset_issues.c.issued_at)
        .where(met_dataset_issues.c.dataset_id.in_([r["id"] for r in rows]))
        .order_by(met_dataset_issues.c.issued_at)
    )
    for dataset_id, issued_at in issue_rows:
        times.setdefault(int(dataset_id), []).append(issued_at)
    found = [
        MetDataset(
            id=int(r["id"]),
            path=r["path"],
            kind=r["kind"],
            format=r["format"],
            issue_times=tuple(times.get(int(r["id"]), [])),
            variables=tuple(r["variables"]),
            attrs=dict(r["attrs"]),
            registered_at=r["registered_at"],
        )
        for r in rows
    ]
    return [d for d in found if variable is None or variable in d.variables]


def register_emission_inventory(
    connection: Connection,
    name: str,
    version: str,
    base_year: int,
    path: str | Path,
    attrs: Mapping[str, Any] | None = None,
    *,
    registered_at: datetime,
) -> EmissionInventory:
    """Register (or re-register) an emission inventory, keyed by name and version.

    Parameters
    ----------
    connection : sqlalchemy.Connection
        A connection inside a write transaction.
    name : str
        Inventory name, e.g. ``"MEIC"``.
    version : str
        Version, e.g. ``"v1.4"``.
    base_year : int
        Year the emissions describe (1900-2200).
    path : str or path-like
        Where the inventory is.
    attrs : mapping, optional
        JSON-serialisable metadata.
    registered_at : datetime
        Registration time (timezone-aware).

    Returns
    -------
    EmissionInventory
        The catalogue entry as stored.
    """
    if not name or not version:
        raise InputDataError(
            f"emission inventory needs a name and a version; got {name!r}, {version!r}"
        )
    if not _MIN_BASE_YEAR <= int(base_year) <= _MAX_BASE_YEAR:
        raise InputDataError(
            f"emission inventory {name} {version}: base_year={base_year} is outside "
            f"{_MIN_BASE_YEAR}-{_MAX_BASE_YEAR}"
        )
    _require_aware(registered_at, f"emission inventory {name} {version}: registered_at")
    table = emission_inventories
    row = {
        "name": name,
        "version": version,
        "base_year": int(base_year),
        "path": str(path),
        "attrs": dict(attrs or {}),
        "registered_at": registered_at,
    }
    key = (table.c.name == name) & (table.c.version == version)
    if connection.scalar(select(table.c.id).where(key)) is None:
        connection.execute(insert(table).values(row))
    else:
        connection.execute(update(table).where(key).values(row))
    return list_emission_inventories(connection, name=name, version=version)[0]


def list_emission_inventories(
    connection: Connection, *, name: str | None = None, version: str | None = None
) -> list[EmissionInventory]:
    """List registered emission inventories, by name, base year and version."""
    table = emission_inventories
    query = select(table).order_by(table.c.name, table.c.base_year, table.c.version)
    if name is not None:
        query = query.where(table.c.name == name)
    if version is not None:
        query = query.where(table.c.version == version)
    return [
        EmissionInventory(
            id=int(r["id"]),
            name=r["name"],
            version=r["version"],
            base_year=int(r["base_year"]),
            path=r["path"],
            attrs=dict(r["attrs"]),
            registered_at=r["registered_at"],
        )
        for r in connection.execute(query).mappings()
    ]


def _one_of(what: str, value: str, options: tuple[str, ...]) -> None:
    if value not in options:
        raise InputDataError(f"unknown {what} {value!r}; choose one of: {', '.join(options)}")


def _require_aware(value: datetime, what: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InputDataError(f"{what} {value.isoformat()} has no time zone; attach a tzinfo")
