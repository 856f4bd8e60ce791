"""Ingest files into the store: parse, check, QC, write, report.

:func:`ingest_files` is the one orchestrator of observation ingestion:

1. Every file is parsed (:data:`PARSERS`) and checked against the registered
   stations, then quality-controlled (:func:`forecasting.qc.apply_qc`). A
   structural problem in any file raises before anything is written, so the
   store is unchanged.
2. Each file is then written in its own transaction
   (``Store.write_observations``): whole or not at all. Writing is
   idempotent: an identical file changes nothing; a changed value (or flag)
   becomes a new revision stamped with its ingestion time.
3. Rejected rows and cells go to the quarantine report of the file.

A parser is any callable with the :class:`Parser` signature; adding a format
(e.g. HJ 212 packets) is one module and one entry in :data:`PARSERS`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final, Protocol

import numpy as np
import pandas as pd

from forecasting.errors import UnknownStandardError
from forecasting.ingest.air import parse_air_file
from forecasting.ingest.parsed import ParsedFile
from forecasting.ingest.progress import STAGES, ProgressCallback, ProgressEvent, no_progress
from forecasting.ingest.quarantine import write_quarantine_report
from forecasting.ingest.stations import Network, read_station_file
from forecasting.ingest.water import parse_water_file
from forecasting.qc.apply import apply_qc
from forecasting.qc.flags import flag_names
from forecasting.qc.rules import QcRules

__all__ = [
    "PARSERS",
    "STORE_COLUMNS",
    "IngestResult",
    "ObservationStore",
    "Parser",
    "StationResult",
    "ingest_files",
    "ingest_station_files",
]

STORE_COLUMNS: Final = ("station", "variable", "valid_at", "value", "qc_flags", "source")
"""Columns handed to ``Store.write_observations``."""


class Parser(Protocol):
    """Signature of a file parser (see :func:`forecasting.ingest.air.parse_air_file`)."""

    def __call__(
        self,
        path: str | Path,
        *,
        units: Mapping[str, str] | Sequence[str] | None = ...,
        tz: str | None = ...,
        stations: Collection[str] | None = ...,
        strict: bool = ...,
    ) -> ParsedFile:
        """Parse one file."""
        ...


PARSERS: Final[Mapping[str, Parser]] = MappingProxyType(
    {"air": parse_air_file, "water": parse_water_file}
)
"""Observation parsers by kind (the ``ecocast ingest KIND`` sub-command)."""


class WriteSummaryLike(Protocol):
    """What a store reports after a write (``forecasting.storage.WriteSummary``)."""

    @property
    def inserted(self) -> int:
        """Keys stored for the first time."""
        ...

    @property
    def revised(self) -> int:
        """Keys stored as a new revision."""
        ...

    @property
    def unchanged(self) -> int:
        """Keys whose value and flags were already stored."""
        ...


class ObservationStore(Protocol):
    """What ingestion needs of a store (``forecasting.storage.Store`` fits)."""

    def read_stations(self, network: Any = ...) -> pd.DataFrame:
        """Return the registered stations (a ``station`` column)."""
        ...

    def upsert_stations(self, frame: pd.DataFrame) -> Any:
        """Insert or update stations."""
        ...

    def write_observations(
        self, frame: pd.DataFrame, *, ingested_at: datetime, available_lag: timedelta = ...
    ) -> WriteSummaryLike:
        """Store observations in one transaction."""
        ...


@dataclass(frozen=True)
class IngestResult:
    """What ingesting one observation file did.

    Attributes
    ----------
    path : pathlib.Path
        The file.
    source : str
        Its source id (name and sha256 prefix).
    layout : str
        The layout it was read as.
    rows : int
        Data lines in the file.
    observations : int
        Observations handed to the store (values, plus NaN rows the
        publisher blanked).
    rejected : int
        Rejected rows and cells (see ``quarantine``).
    inserted, revised, unchanged : int
        What the store did with the observations.
    flags : Mapping[str, int]
        Observations per QC flag in this file.
    quarantine : pathlib.Path or None
        The quarantine report, if anything was rejected.
    units : Mapping[str, str]
        Declared unit per variable, as converted.
    """

    path: Path
    source: str
    layout: str
    rows: int
    observations: int
    rejected: int
    inserted: int
    revised: int
    unchanged: int
    flags: Mapping[str, int]
    quarantine: Path | None
    units: Mapping[str, str]


@dataclass(frozen=True)
class StationResult:
    """What ingesting one station file did.

    Attributes
    ----------
    path : pathlib.Path
        The file.
    stations : int
        Stations in the file.
    summary : Any
        The store's report (``StationSummary``: inserted, updated).
    """

    path: Path
    stations: int
    summary: Any


def _utc_now() -> datetime:
    return datetime.now(UTC)


def ingest_files(
    store: ObservationStore,
    paths: Iterable[str | Path],
    kind: str,
    *,
    data_dir: str | Path,
    units: Mapping[str, str] | Sequence[str] | None = None,
    tz: str | None = None,
    strict: bool = False,
    rules: QcRules | None = None,
    progress: ProgressCallback = no_progress,
    clock: Callable[[], datetime] = _utc_now,
    options: Mapping[str, Any] | None = None,
) -> list[IngestResult]:
    """Parse, check, quality-control and store observation files.

    Parameters
    ----------
    store : ObservationStore
        An open store (``forecasting.storage.Store``).
    paths : iterable of path-like
        The files.
    kind : str
        A key of :data:`PARSERS` (``"air"``, ``"water"``).
    data_dir : path-like
        Data directory; quarantine reports go to ``<data_dir>/quarantine``.
    units : mapping or sequence of str, optional
        Declared units (``["co=ug/m3"]``), for every file.
    tz : str, optional
        IANA zone of timestamps without an offset.
    strict : bool, optional
        Row-level problems are errors instead of quarantined rows.
    rules : QcRules, optional
        QC thresholds; default the packaged rules.
    progress : callable, optional
        Receives a :class:`ProgressEvent` after each stage of each file.
    clock : callable, optional
        Returns the ingestion time (tz-aware); default now, UTC.
    options : mapping, optional
        Extra keyword arguments for the parser (e.g. ``{"layout": "uci"}``).

    Returns
    -------
    list of IngestResult
        One per file, in order.

    Raises
    ------
    forecasting.errors.InputDataError
        For a structural problem in any file (nothing is written), naming the
        file, line and column.
    forecasting.errors.UnknownStandardError
        For an unknown ``kind``, unit or variable.
    """
    if kind not in PARSERS:
        raise UnknownStandardError("ingest kind", kind, PARSERS)
    parser = PARSERS[kind]
    known = set(store.read_stations(kind)["station"].astype(str))
    checked: list[tuple[ParsedFile, pd.DataFrame]] = []
    for path in paths:
        parsed = parser(path, units=units, tz=tz, stations=known, strict=strict, **(options or {}))
        _tell(progress, parsed, 1)
        checked.append((parsed, apply_qc(parsed.observations, rules)))
        _tell(progress, parsed, 2)
    results = []
    for parsed, frame in checked:
        summary = store.write_observations(
            frame.loc[:, list(STORE_COLUMNS)],
            ingested_at=clock(),
            available_lag=parsed.available_lag,
        )
        _tell(progress, parsed, 3)
        report = write_quarantine_report(parsed.rejects, data_dir, parsed.source)
        _tell(progress, parsed, 4)
        results.append(_result(parsed, frame, summary, report))
    return results


def ingest_station_files(
    store: ObservationStore, paths: Iterable[str | Path], *, network: Network | None = None
) -> list[StationResult]:
    """Register (insert or update) the stations of station files.

    Parameters
    ----------
    store : ObservationStore
        An open store.
    paths : iterable of path-like
        Station files (:func:`forecasting.ingest.stations.read_station_file`).
    network : {"air", "water"}, optional
        Network for files that do not imply one.

    Returns
    -------
    list of StationResult
        One per file. Every file is read and checked before any is written.
    """
    frames = [(Path(p), read_station_file(p, network=network)) for p in paths]
    return [StationResult(p, len(f), store.upsert_stations(f)) for p, f in frames]


def _tell(progress: ProgressCallback, parsed: ParsedFile, done: int) -> None:
    progress(ProgressEvent(parsed.path.name, STAGES[done - 1], done, len(STAGES)))


def _result(
    parsed: ParsedFile, frame: pd.DataFrame, summary: WriteSummaryLike, report: Path | None
) -> IngestResult:
    bits, counts = np.unique(np.asarray(frame["qc_flags"], dtype=np.int64), return_counts=True)
    flags: dict[str, int] = {}
    for value, count in zip(bits.tolist(), counts.tolist(), strict=True):
        for name in flag_names(value):
            flags[name] = flags.get(name, 0) + count
    return IngestResult(
        path=parsed.path,
        source=parsed.source,
        layout=parsed.layout,
        rows=parsed.rows,
        observations=len(frame),
        rejected=len(parsed.rejects),
        inserted=summary.inserted,
        revised=summary.revised,
        unchanged=summary.unchanged,
        flags=MappingProxyType(dict(sorted(flags.items()))),
        quarantine=report,
        units=parsed.units,
    )
