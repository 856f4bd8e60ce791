"""The QC report: stored observations and their flags per station and variable.

:func:`qc_report` asks a store for counts per (station, variable, bitmask) and
:func:`summarise_flags` turns them into counts per single flag. The same
summary works on a frame that was just checked (:func:`count_flags`), which is
how ingestion reports what it found in a file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from forecasting.qc.flags import ALL_FLAGS, explode_flag_counts

__all__ = ["CountingStore", "QcReport", "count_flags", "qc_report", "summarise_flags"]

_KEYS = ["station", "variable"]


class CountingStore(Protocol):
    """What :func:`qc_report` needs of a store (``forecasting.storage.Store`` fits)."""

    def count_observations(self, by: Sequence[str] = ...) -> pd.DataFrame:
        """Count current observations grouped by ``by``, with a ``count`` column."""
        ...


@dataclass(frozen=True)
class QcReport:
    """Counts of observations and QC flags.

    Attributes
    ----------
    observations : int
        Observations counted (latest revision of each station, variable, time).
    flagged : int
        Observations with at least one flag.
    by_series : pandas.DataFrame
        ``station``, ``variable``, ``observations``, ``flagged`` per series.
    by_flag : pandas.DataFrame
        ``station``, ``variable``, ``flag`` (name), ``count``: one row per
        series and flag that occurs. A value with two flags counts under both.
    """

    observations: int
    flagged: int
    by_series: pd.DataFrame
    by_flag: pd.DataFrame

    def flag_totals(self, by: str | None = None) -> dict[str, Any]:
        """Return flag counts in total, or per ``"station"`` or ``"variable"``.

        Parameters
        ----------
        by : {"station", "variable"}, optional
            Group; default the network total.

        Returns
        -------
        dict
            ``{flag: count}``, or ``{group: {flag: count}}`` with ``by``.
        """
        if by is None:
            totals = self.by_flag.groupby("flag", sort=True)["count"].sum()
            return {str(k): int(v) for k, v in totals.items()}
        grouped = self.by_flag.groupby([by, "flag"], as_index=False, sort=True).agg(
            count=("count", "sum")
        )
        out: dict[str, Any] = {}
        for group, flag, count in grouped.itertuples(index=False, name=None):
            out.setdefault(str(group), {})[str(flag)] = int(count)
        return out

    def observations_by(self, by: str) -> dict[str, int]:
        """Return the number of observations per ``"station"`` or ``"variable"``."""
        totals = self.by_series.groupby(by, as_index=False, sort=True).agg(
            observations=("observations", "sum")
        )
        return {str(k): int(v) for k, v in totals.itertuples(index=False, name=None)}

    def count(self, flag: str, *, variable: str | None = None, station: str | None = None) -> int:
        """Return how many observations carry ``flag``, optionally for one variable/station."""
        rows = self.by_flag["flag"] == flag
        if variable is not None:
            rows &= self.by_flag["variable"] == variable
        if station is not None:
            rows &= self.by_flag["station"] == station
        return int(self.by_flag.loc[rows, "count"].sum())

    def to_dict(self) -> dict[str, Any]:
        """Return the report as plain JSON-ready data."""
        per_variable = self.flag_totals("variable")
        per_station = self.flag_totals("station")
        return {
            "observations": self.observations,
            "flagged": self.flagged,
            "flags": self.flag_totals(),
            "flag_bits": {str(f.name): int(f) for f in ALL_FLAGS},
            "by_variable": {
                name: {"observations": count, "flags": per_variable.get(name, {})}
                for name, count in self.observations_by("variable").items()
            },
            "by_station": {
                name: {"observations": count, "flags": per_station.get(name, {})}
                for name, count in self.observations_by("station").items()
            },
            "by_station_variable_flag": [
                {"station": s, "variable": v, "flag": f, "count": int(c)}
                for s, v, f, c in self.by_flag.itertuples(index=False, name=None)
            ],
        }


def count_flags(frame: pd.DataFrame) -> pd.DataFrame:
    """Count a checked frame's rows per station, variable and bitmask.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``station``, ``variable`` and ``qc_flags``.

    Returns
    -------
    pandas.DataFrame
        ``station``, ``variable``, ``qc_flags``, ``count``, like
        ``Store.count_observations``.
    """
    keys = pd.DataFrame(
        {
            "station": frame["station"].astype(str),
            "variable": frame["variable"].astype(str),
            "qc_flags": np.asarray(frame["qc_flags"], dtype=np.int64),
        }
    )
    return (
        keys.groupby([*_KEYS, "qc_flags"], as_index=False, sort=True)
        .size()
        .rename(columns={"size": "count"})
    )


def summarise_flags(counts: pd.DataFrame) -> QcReport:
    """Build a :class:`QcReport` from counts per station, variable and bitmask.

    Parameters
    ----------
    counts : pandas.DataFrame
        ``station``, ``variable``, ``qc_flags`` and ``count`` columns.

    Returns
    -------
    QcReport
        Totals, per-series counts and per-flag counts.
    """
    count = np.asarray(counts["count"], dtype=np.int64)
    flagged = np.asarray(counts["qc_flags"], dtype=np.int64) != 0
    series = pd.DataFrame(
        {
            "station": counts["station"].astype(str),
            "variable": counts["variable"].astype(str),
            "observations": count,
            "flagged": np.where(flagged, count, 0),
        }
    )
    by_series = series.groupby(_KEYS, as_index=False, sort=True)[["observations", "flagged"]].sum()
    by_flag = explode_flag_counts(counts[[*_KEYS, "qc_flags", "count"]])
    return QcReport(
        observations=int(count.sum()),
        flagged=int(count[flagged].sum()),
        by_series=by_series,
        by_flag=by_flag.reset_index(drop=True),
    )


def qc_report(store: CountingStore) -> QcReport:
    """Report the stored observations and their QC flags.

    Parameters
    ----------
    store : CountingStore
        An open store, e.g. ``forecasting.storage.Store.open(url)``.

    Returns
    -------
    QcReport
        Counts over the latest revision of every stored value.
    """
    return summarise_flags(store.count_observations(("station", "variable", "qc_flags")))
