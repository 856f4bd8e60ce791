"""The quarantine report: rejected rows and cells, written beside the data.

Rows and cells that a parser rejects (a malformed line, a timestamp or number
that cannot be read, an unknown code) are not stored. They are listed in a CSV
report with ``file, line, column, value, reason`` so that an operator can fix
and re-ingest them; nothing is dropped silently.

The report of a file goes to ``<data dir>/quarantine/<file name>.<sha12>.csv``:
one report per distinct file content, overwritten (not appended) when the same
file is ingested again.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecasting.errors import InputDataError
from forecasting.ingest.parsed import REJECT_COLUMNS

__all__ = ["QUARANTINE_DIR", "quarantine_path", "write_quarantine_report"]

QUARANTINE_DIR = "quarantine"


def quarantine_path(data_dir: str | Path, source: str) -> Path:
    """Return where the report of a source goes.

    Parameters
    ----------
    data_dir : str or path-like
        The ecocast data directory.
    source : str
        Source id ``name@sha12`` (:func:`forecasting.ingest.parsed.source_id`).

    Returns
    -------
    pathlib.Path
        ``<data_dir>/quarantine/<name>.<sha12>.csv``.
    """
    name, _, digest = source.rpartition("@")
    stem = f"{name or source}.{digest}" if digest else source
    return Path(data_dir) / QUARANTINE_DIR / f"{stem}.csv"


def write_quarantine_report(
    rejects: pd.DataFrame, data_dir: str | Path, source: str
) -> Path | None:
    """Write the rejects of one file as CSV.

    Parameters
    ----------
    rejects : pandas.DataFrame
        Columns ``file, line, column, value, reason``.
    data_dir : str or path-like
        The ecocast data directory (created if needed).
    source : str
        Source id of the file.

    Returns
    -------
    pathlib.Path or None
        The report, or None when there is nothing to report.

    Raises
    ------
    forecasting.errors.InputDataError
        When the report cannot be written.
    """
    if rejects.empty:
        return None
    missing = [c for c in REJECT_COLUMNS if c not in rejects.columns]
    if missing:
        raise InputDataError(f"quarantine report lacks column(s) {missing}")
    path = quarantine_path(data_dir, source)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        rejects.loc[:, list(REJECT_COLUMNS)].to_csv(path, index=False)
    except OSError as exc:
        raise InputDataError(f"cannot write the quarantine report {path}: {exc}") from None
    return path
