"""What a parser returns, and the checks every parser shares.

A parser turns one file into a :class:`ParsedFile`: a tidy observation frame
in canonical units (the store's contract) plus the rejected cells and rows. The
problems it finds are of two kinds:

* **Structural** problems reject the whole file with an
  :class:`~forecasting.errors.InputDataError` naming ``FILE:LINE`` and the
  column: a bad header, an unknown column, variable or unit, naive timestamps
  without a declared zone, unknown stations, the same station and time twice.
  Nothing of the file is stored.
* **Row-level** problems (a line with the wrong number of fields, a timestamp
  or number that cannot be read, an unknown code in a cell) reject only that
  row or cell. They are listed in the quarantine report
  (:mod:`forecasting.ingest.quarantine`) and the rest of the file is stored in
  one transaction. With ``strict=True`` the first one is an error instead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasting.errors import InputDataError
from forecasting.qc.flags import QcFlag

__all__ = [
    "OBSERVATION_COLUMNS",
    "REJECT_COLUMNS",
    "ParsedFile",
    "RejectLog",
    "check_duplicates",
    "check_naive_times",
    "check_stations",
    "file_error",
    "source_id",
    "tidy_observations",
]

OBSERVATION_COLUMNS = ("station", "variable", "valid_at", "value", "qc_flags", "source", "line")
"""Columns of a parsed observation frame (``line`` is the source line)."""

REJECT_COLUMNS = ("file", "line", "column", "value", "reason")
"""Columns of the quarantine report."""

_SHOWN = 10


def file_error(path: Path | str, line: int, column: str | None, message: str) -> InputDataError:
    """Return an :class:`InputDataError` located at ``FILE:LINE`` and a column.

    Parameters
    ----------
    path : path-like
        The file.
    line : int
        1-based line (the header is line 1).
    column : str or None
        The column, when one is to blame.
    message : str
        What is wrong and how to fix it.

    Returns
    -------
    InputDataError
        The error, to be raised by the caller.
    """
    where = f"{path}:{line}" + (f": column {column!r}" if column else "")
    return InputDataError(f"{where}: {message}")


def source_id(path: Path | str) -> str:
    """Return ``"<file name>@<first 12 hex digits of its sha256>"``.

    The id is stored with every observation, so a value can be traced to the
    exact file it came from; re-ingesting an identical file gives the same id.
    """
    digest = hashlib.sha256()
    with Path(path).open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return f"{Path(path).name}@{digest.hexdigest()[:12]}"


@dataclass
class RejectLog:
    """Collects rejected rows and cells, vectorised (one call per column and reason).

    Parameters
    ----------
    path : pathlib.Path
        The file the rejects come from.
    """

    path: Path
    _parts: list[pd.DataFrame] = field(default_factory=list)

    def add(
        self,
        lines: npt.ArrayLike,
        column: str,
        values: npt.ArrayLike,
        reason: str,
    ) -> None:
        """Record rejected cells: their lines, the column, the raw values and why."""
        lines = np.asarray(lines, dtype=np.int64)
        if lines.size == 0:
            return
        self._parts.append(
            pd.DataFrame(
                {
                    "file": str(self.path),
                    "line": lines,
                    "column": column,
                    "value": pd.Series(np.asarray(values, dtype=object)).astype(str).to_numpy(),
                    "reason": reason,
                }
            )
        )

    def __len__(self) -> int:
        return sum(len(p) for p in self._parts)

    def frame(self) -> pd.DataFrame:
        """Return the rejects sorted by line, in :data:`REJECT_COLUMNS`."""
        if not self._parts:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in REJECT_COLUMNS})
        out = pd.concat(self._parts, ignore_index=True)
        return out.sort_values(["line", "column"], kind="stable").reset_index(drop=True)

    def raise_first(self) -> None:
        """Raise the first reject as an error (strict mode); do nothing if there is none."""
        if not self._parts:
            return
        first = self.frame().iloc[0]
        raise file_error(
            first["file"],
            int(first["line"]),
            str(first["column"]) or None,
            f"{first['reason']} (value {first['value']!r}); {len(self)} problem(s) in the "
            "file; without --strict such rows go to the quarantine report",
        )


@dataclass(frozen=True)
class ParsedFile:
    """One parsed source file.

    Attributes
    ----------
    path : pathlib.Path
        The file.
    source : str
        ``name@sha256-prefix``, stored with every observation.
    kind : str
        ``"air"`` or ``"water"``.
    layout : str
        The layout that was read, e.g. ``"beijing"``, ``"uci"``, ``"cnemc"``.
    observations : pandas.DataFrame
        :data:`OBSERVATION_COLUMNS`: ``station``, ``variable`` (categorical
        text), ``valid_at`` (``datetime64[s, UTC]``), ``value`` (canonical
        units), ``qc_flags`` (publisher flags only, before QC), ``source``,
        ``line``.
    rejects : pandas.DataFrame
        :data:`REJECT_COLUMNS`.
    rows : int
        Data lines read (rejected ones included).
    available_lag : datetime.timedelta
        Delay after which such values are public (for as-of reads).
    units : Mapping[str, str]
        Declared unit of each variable, as converted.
    """

    path: Path
    source: str
    kind: str
    layout: str
    observations: pd.DataFrame
    rejects: pd.DataFrame
    rows: int
    available_lag: timedelta
    units: Mapping[str, str]


def check_naive_times(
    path: Path, naive: npt.NDArray[np.bool_], lines: npt.NDArray[np.int64], column: str
) -> None:
    """Refuse naive timestamps when no zone was declared.

    Raises
    ------
    forecasting.errors.InputDataError
        Naming the first naive line, with the fix (``--tz``).
    """
    if naive.any():
        first = int(lines[np.flatnonzero(naive)[0]])
        raise file_error(
            path,
            first,
            column,
            f"{int(naive.sum())} timestamp(s) have no UTC offset and no time zone was "
            "declared; add the offset (e.g. 2013-03-01T00:00:00+08:00) or pass "
            "--tz ZONE (e.g. --tz Asia/Shanghai)",
        )


def check_duplicates(
    path: Path,
    stations: pd.Series,
    times: pd.Series,
    lines: npt.NDArray[np.int64],
    column: str,
) -> None:
    """Refuse the same station and time on two lines of one file.

    Raises
    ------
    forecasting.errors.InputDataError
        Naming both lines of the first duplicate.
    """
    seconds = times.dt.tz_localize(None).to_numpy(dtype="datetime64[s]").astype(np.int64)
    keys = pd.DataFrame({"s": stations.to_numpy(), "t": seconds})
    later = keys.duplicated(keep="first").to_numpy()
    if not later.any():
        return
    twin = int(np.flatnonzero(later)[0])
    s, t = keys["s"].to_numpy(), keys["t"].to_numpy()
    first = int(np.flatnonzero((s == s[twin]) & (t == t[twin]))[0])
    repeated = keys.duplicated(keep=False).to_numpy()
    raise file_error(
        path,
        int(lines[twin]),
        column,
        f"station {keys['s'].iloc[first]!r} at {times.iloc[first].isoformat()} "
        f"repeats line {int(lines[first])} ({int(repeated.sum())} rows are duplicates); a "
        "file must hold one row per station and time: keep the revised row and ingest it "
        "in a later file to record a revision",
    )


def check_stations(
    path: Path,
    stations: pd.Series,
    lines: npt.NDArray[np.int64],
    known: Collection[str] | None,
    column: str,
) -> None:
    """Refuse stations that are not registered.

    Parameters
    ----------
    known : collection of str or None
        Registered station codes; None skips the check.

    Raises
    ------
    forecasting.errors.InputDataError
        Naming the unknown codes and the line of the first.
    """
    if known is None:
        return
    unknown = ~stations.isin(list(known)).to_numpy()
    if unknown.any():
        names = list(dict.fromkeys(stations[unknown]))
        first = int(lines[np.flatnonzero(unknown)[0]])
        shown = ", ".join(repr(n) for n in names[:_SHOWN])
        more = f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else ""
        raise file_error(
            path,
            first,
            column,
            f"unknown station(s) {shown}{more}; register them first with "
            "'ecocast ingest stations FILE'",
        )


def tidy_observations(
    stations: pd.Series,
    times: pd.Series,
    lines: npt.NDArray[np.int64],
    columns: Mapping[str, tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]],
    source: str,
) -> pd.DataFrame:
    """Stack per-variable columns of a wide file into the tidy observation frame.

    A missing value (NaN) is no observation and is left out, unless the
    publisher blanked it (``PUBLISHER_FILTERED``), which keeps a NaN row so
    nothing the publisher said is dropped.

    Parameters
    ----------
    stations : pandas.Series
        Station code per accepted row.
    times : pandas.Series
        Valid time per accepted row (``datetime64[s, UTC]``).
    lines : ndarray of int64
        Source line per accepted row.
    columns : mapping
        ``{variable: (values, flags)}``, each aligned with the rows; values
        in canonical units.
    source : str
        Source id.

    Returns
    -------
    pandas.DataFrame
        :data:`OBSERVATION_COLUMNS`, variable-major.
    """
    station_codes, station_names = pd.factorize(stations.to_numpy())
    seconds = times.dt.tz_localize(None).to_numpy(dtype="datetime64[s]")
    picks, values, flags, variables = [], [], [], []
    names = list(columns)
    for code, name in enumerate(names):
        value, flag = columns[name]
        keep = ~np.isnan(value) | ((flag & int(QcFlag.PUBLISHER_FILTERED)) != 0)
        rows = np.flatnonzero(keep)
        picks.append(rows)
        values.append(value[rows])
        flags.append(flag[rows])
        variables.append(np.full(rows.size, code, dtype=np.int64))
    rows = np.concatenate(picks) if picks else np.zeros(0, dtype=np.int64)
    n = rows.size
    return pd.DataFrame(
        {
            "station": pd.Categorical.from_codes(
                station_codes[rows], categories=pd.Index(station_names)
            ),
            "variable": pd.Categorical.from_codes(
                np.concatenate(variables) if variables else np.zeros(0, dtype=np.int64),
                categories=pd.Index(names),
            ),
            "valid_at": pd.Series(seconds[rows]).dt.tz_localize("UTC"),
            "value": np.concatenate(values) if values else np.zeros(0),
            "qc_flags": np.concatenate(flags) if flags else np.zeros(0, dtype=np.int64),
            "source": pd.Categorical.from_codes(
                np.zeros(n, dtype=np.int64), categories=pd.Index([source])
            ),
            "line": lines[rows],
        }
    )
