"""Ingestion of observation and station files into the store.

* :mod:`forecasting.ingest.air`: tidy, shared-Beijing and raw UCI air files.
* :mod:`forecasting.ingest.water`: CNEMC surface-water files.
* :mod:`forecasting.ingest.stations`: station lists → the store's station frame.
* :mod:`forecasting.ingest.reader`: cells and line numbers of CSV/Parquet files.
* :mod:`forecasting.ingest.units`: declared units → canonical units.
* :mod:`forecasting.ingest.parsed`: :class:`ParsedFile` and the shared checks.
* :mod:`forecasting.ingest.quarantine`: the report of rejected rows.
* :mod:`forecasting.ingest.progress`: progress events for the CLI.
* :mod:`forecasting.ingest.run`: :func:`ingest_files`, the orchestrator;
  :data:`PARSERS` is where a new format (HJ 212) is registered.
"""

from forecasting.ingest.air import compass_to_degrees, detect_air_layout, parse_air_file
from forecasting.ingest.parsed import ParsedFile, source_id
from forecasting.ingest.progress import ProgressCallback, ProgressEvent
from forecasting.ingest.quarantine import quarantine_path, write_quarantine_report
from forecasting.ingest.run import (
    PARSERS,
    IngestResult,
    StationResult,
    ingest_files,
    ingest_station_files,
)
from forecasting.ingest.stations import read_station_file
from forecasting.ingest.units import conversion_factor, parse_unit_declarations
from forecasting.ingest.water import parse_water_file

__all__ = [
    "PARSERS",
    "IngestResult",
    "ParsedFile",
    "ProgressCallback",
    "ProgressEvent",
    "StationResult",
    "compass_to_degrees",
    "conversion_factor",
    "detect_air_layout",
    "ingest_files",
    "ingest_station_files",
    "parse_air_file",
    "parse_unit_declarations",
    "parse_water_file",
    "quarantine_path",
    "read_station_file",
    "source_id",
    "write_quarantine_report",
]
