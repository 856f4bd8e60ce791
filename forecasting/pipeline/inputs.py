"""What an air run reads besides its experiment: the store, fields and emission figures.

A backtest given observation files (``--observations``/``--stations``) ingests them into
a fresh embedded store in a scratch directory, exactly as ``ecocast ingest`` would (the
UCI Beijing layout works as it is, CO converted from µg m⁻³ to mg m⁻³); otherwise it
reads the configured store. Forecast fields (``--met``) are opened lazily and merged.
Published emission figures come from ``--emissions`` files or, by default, the table
shipped with ecocast (``features/data/emission_figures.csv``: MEIC national changes
[1]_ and Beijing figures, each usable only from its publication date).

References
----------
.. [1] Zheng, B. et al. (2018) Atmos. Chem. Phys. 18, 14095-14111,
   doi:10.5194/acp-18-14095-2018.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import xarray as xr

from features.emissions_table import read_emission_table
from features.meteo_read import open_met_dataset
from forecasting.config import sqlite_url_for_path
from forecasting.errors import InputDataError
from forecasting.ingest.progress import ProgressCallback, ProgressEvent
from forecasting.ingest.run import ingest_files, ingest_station_files
from forecasting.storage import Store

__all__ = ["RunInputs", "default_emission_table", "ingest_into_scratch", "load_inputs"]

_log = logging.getLogger(__name__)
_FEATURE_DATA = Path(__file__).resolve().parents[2] / "features" / "data"
_EMISSION_FIGURES = _FEATURE_DATA / "emission_figures.csv"


@dataclass(frozen=True)
class RunInputs:
    """Fields and emission figures of a run (each may be absent).

    Attributes
    ----------
    met : xarray.Dataset or None
        Canonical forecast fields (:func:`features.meteo_read.open_met_dataset`).
    emission_table : pandas.DataFrame or None
        Tabular emission figures (:func:`features.emissions_table.read_emission_table`).
    sources : dict
        File names, for provenance.
    """

    met: xr.Dataset | None
    emission_table: pd.DataFrame | None
    sources: dict[str, list[str]]


def default_emission_table() -> pd.DataFrame:
    """Read the emission figures shipped with ecocast (module docstring)."""
    return read_emission_table(_EMISSION_FIGURES)


def load_inputs(
    met_paths: Sequence[Path] = (), emission_paths: Sequence[Path] = (), *, emissions: bool = True
) -> RunInputs:
    """Open forecast fields and emission tables for a run.

    Parameters
    ----------
    met_paths : sequence of pathlib.Path
        Forecast field files (NetCDF, GRIB, Zarr); several are merged by coordinates.
    emission_paths : sequence of pathlib.Path
        Emission tables in the shared tabular layout; default the shipped figures.
    emissions : bool
        Whether the experiment uses emission features at all.

    Raises
    ------
    InputDataError
        For an unreadable file (naming it) or fields that do not combine.
    """
    met = None
    if met_paths:
        parts = [open_met_dataset(p, "forecast") for p in met_paths]
        try:
            met = parts[0] if len(parts) == 1 else xr.combine_by_coords(parts, join="outer")
        except ValueError as exc:
            names = [str(p) for p in met_paths]
            raise InputDataError(f"forecast fields {names} do not combine: {exc}") from exc
    table = None
    if emissions:
        tables = [read_emission_table(p) for p in emission_paths] or [default_emission_table()]
        table = pd.concat(tables, ignore_index=True) if len(tables) > 1 else tables[0]
        table.attrs = dict(tables[0].attrs)
    sources = {
        "met": [str(p) for p in met_paths],
        "emissions": [str(p) for p in emission_paths] or [_EMISSION_FIGURES.name],
    }
    fields = met if isinstance(met, xr.Dataset) else None
    return RunInputs(met=fields, emission_table=table, sources=sources)


def _log_event(event: ProgressEvent) -> None:
    _log.debug("ingest %s", event)


def ingest_into_scratch(
    observations: Sequence[Path],
    stations: Path,
    workdir: Path,
    *,
    progress: ProgressCallback | None = None,
) -> Store:
    """Ingest observation and station files into a fresh embedded store in ``workdir``.

    The files are read as ``ecocast ingest stations`` and ``ecocast ingest air`` read
    them (layout detected, units declared or taken from the layout, QC applied, rejected
    rows reported under ``workdir/quarantine``).

    Returns
    -------
    Store
        Open; the caller closes it.

    Raises
    ------
    InputDataError
        When no station of the station file is an air station, or a file is malformed.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    store = Store.open(sqlite_url_for_path(workdir / "backtest.sqlite"))
    try:
        ingest_station_files(store, [stations], network="air")
        if store.read_stations("air").empty:
            raise InputDataError(f"{stations}: no air stations")

        results = ingest_files(
            store, observations, "air", data_dir=workdir, progress=progress or _log_event
        )
        for result in results:
            _log.info("ingested %s", result)
    except BaseException:
        store.close()
        raise
    return store
