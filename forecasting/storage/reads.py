"""The one read path for observations: variables V at stations S from t0 to t1, as known at T.

Everything downstream (features, backtests, QC reports, the server) reads
observations through :func:`read_observations` or its pivoted form
:func:`read_observations_wide`, so the as-of rule described in
:mod:`forecasting.storage.observations` is applied in one place. Replaying
many issue times at once (feature pipelines) reads every revision with its
availability interval through :func:`read_observation_revisions` and applies
the same rule in memory.

Time bounds: ``start <= valid_at < end`` (start inclusive, end exclusive, so
consecutive windows never overlap) and ``available_at <= as_of`` (inclusive).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy import ColumnElement, Connection, func, or_, select

from forecasting.errors import InputDataError
from forecasting.storage import schema
from forecasting.storage._bulk import epoch_seconds, timestamps_from_epoch
from forecasting.storage._fetch import Names, fetch_observations
from forecasting.storage._validate import as_name_list
from forecasting.storage.schema import observations

__all__ = [
    "COUNT_BY",
    "OBSERVATION_DTYPES",
    "REVISION_DTYPES",
    "count_observations",
    "read_observation_revisions",
    "read_observations",
    "read_observations_wide",
]

COUNT_BY = ("station", "variable", "qc_flags", "source")
_TIME_DTYPE = "datetime64[us, UTC]"
#: Columns and dtypes of :func:`read_observations` (revision columns are optional).
OBSERVATION_DTYPES: dict[str, str] = {
    "station": "str",
    "variable": "str",
    "valid_at": _TIME_DTYPE,
    "value": "float64",
    "qc_flags": "int64",
    "source": "str",
    "revision": "int64",
    "ingested_at": _TIME_DTYPE,
    "available_at": _TIME_DTYPE,
}
#: Columns and dtypes of :func:`read_observation_revisions`.
REVISION_DTYPES: dict[str, str] = {
    "station": "str",
    "variable": "str",
    "valid_at": _TIME_DTYPE,
    "value": "float64",
    "qc_flags": "int64",
    "revision": "int64",
    "available_at": _TIME_DTYPE,
    "superseded_at": _TIME_DTYPE,
}
_TIDY_COLUMNS = ("value", "qc_flags", "source_id")
_REVISION_COLUMNS = ("revision", "ingested_at", "available_at")

TimeLike = datetime | str


def read_observations(
    connection: Connection,
    variables: str | Iterable[str] | None = None,
    stations: str | Iterable[str] | None = None,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    *,
    as_of: TimeLike | None = None,
    exclude_flags: int = 0,
    include_revision: bool = False,
) -> pd.DataFrame:
    """Read observations as they were known at a time.

    Parameters
    ----------
    connection : sqlalchemy.Connection
        An open connection (one transaction, so that all statements see one
        snapshot).
    variables : str or iterable of str, optional
        ecocast variable names; ``None`` for all. Names never stored give no
        rows.
    stations : str or iterable of str, optional
        Station codes; ``None`` for all. Unregistered codes are an error.
    start, end : datetime or str, optional
        Valid-time window ``start <= valid_at < end`` (timezone-aware).
    as_of : datetime or str, optional
        Return, per (station, variable, valid_at), the latest revision with
        ``available_at <= as_of``; keys not yet available are left out.
        ``None`` returns the latest revision of every key.
    exclude_flags : int, optional
        Leave out rows whose ``qc_flags & exclude_flags`` is not 0.
    include_revision : bool, optional
        Add ``revision``, ``ingested_at`` and ``available_at``.

    Returns
    -------
    pandas.DataFrame
        Columns and dtypes as in :data:`OBSERVATION_DTYPES`: ``station``,
        ``variable``, ``valid_at`` (UTC), ``value`` (canonical units, NaN for
        blanked values), ``qc_flags``, ``source``; sorted by station,
        variable and valid_at, with a fresh RangeIndex.

    Raises
    ------
    forecasting.errors.InputDataError
        For unregistered stations, naive times or a negative flag mask.
    """
    selection = _Selection.resolve(
        connection, variables, stations, start, end, as_of=as_of, exclude_flags=exclude_flags
    )
    columns = (*_TIDY_COLUMNS, *(_REVISION_COLUMNS if include_revision else ()))
    data = selection.fetch(connection, columns)
    if data is None:
        return _empty(include_revision)
    sources = Names(connection, schema.sources, "name")
    frame = pd.DataFrame(
        {
            "station": selection.stations.column(data["station_id"]),
            "variable": selection.variables.column(data["variable_id"]),
            "valid_at": timestamps_from_epoch(data["valid_at"]),
            "value": data["value"],
            "qc_flags": data["qc_flags"],
            "source": sources.column(data["source_id"]),
        }
    )
    if include_revision:
        frame["revision"] = data["revision"]
        frame["ingested_at"] = timestamps_from_epoch(data["ingested_at"])
        frame["available_at"] = timestamps_from_epoch(data["available_at"])
    return frame


def read_observations_wide(
    connection: Connection,
    variables: str | Iterable[str] | None = None,
    stations: str | Iterable[str] | None = None,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    *,
    as_of: TimeLike | None = None,
    exclude_flags: int = 0,
) -> pd.DataFrame:
    """Read observations pivoted to one column per variable.

    Parameters are those of :func:`read_observations`; the same rows are
    selected, then pivoted.

    Returns
    -------
    pandas.DataFrame
        Columns ``station`` (str), ``valid_at`` (UTC) and one float64 column
        per variable (the requested order, else alphabetical; variables
        without any selected row are left out), one row per (station,
        valid_at) that has any selected row, sorted by station and valid_at.
        NaN where a variable has no row, was blanked or was excluded by
        ``exclude_flags``. QC flags and sources are only in the tidy form.
    """
    selection = _Selection.resolve(
        connection, variables, stations, start, end, as_of=as_of, exclude_flags=exclude_flags
    )
    data = selection.fetch(connection, ("value",))
    if data is None or data["valid_at"].size == 0:
        return pd.DataFrame(
            {"station": pd.Series(dtype="str"), "valid_at": pd.Series(dtype=_TIME_DTYPE)}
        )
    present = set(np.unique(data["variable_id"]).tolist())
    columns = [v for v in selection.variable_names if selection.variables.by_name[v] in present]
    slot = np.full(selection.variables.rank.size, -1, dtype=np.int64)
    for position, name in enumerate(columns):
        slot[selection.variables.by_name[name]] = position
    # One int64 key per (station, valid_at): rank * span + offset, sorted by np.unique
    # (< 2**63 for any realistic number of stations and time span).
    first = int(data["valid_at"].min())
    span = int(data["valid_at"].max()) - first + 1
    station_rank = selection.stations.rank[data["station_id"]]
    keys, row = np.unique(station_rank * span + (data["valid_at"] - first), return_inverse=True)
    matrix = np.full((keys.size, len(columns)), np.nan)
    matrix[row, slot[data["variable_id"]]] = data["value"]
    frame = pd.DataFrame(matrix, columns=columns)
    frame.insert(0, "valid_at", timestamps_from_epoch(keys % span + first))
    frame.insert(0, "station", selection.stations.column_from_rank(keys // span))
    return frame


def read_observation_revisions(
    connection: Connection,
    variables: str | Iterable[str] | None = None,
    stations: str | Iterable[str] | None = None,
    start: TimeLike | None = None,
    end: TimeLike | None = None,
    *,
    exclude_flags: int = 0,
) -> pd.DataFrame:
    """Read every revision of the selected observations, with when each was known.

    One read gives what :func:`read_observations` would return ``as_of`` any
    time: revision ``r`` of a key is the answer at ``T`` exactly when
    ``available_at <= T < superseded_at`` (module docstring of
    :mod:`forecasting.storage.observations`). Feature pipelines use it to
    replay many issue times from one query (``features.window``).

    Parameters
    ----------
    connection : sqlalchemy.Connection
        An open connection (one transaction: one snapshot).
    variables : str or iterable of str, optional
        ecocast variable names; ``None`` for all. Names never stored give no
        rows.
    stations : str or iterable of str, optional
        Station codes; ``None`` for all. Unregistered codes are an error.
    start, end : datetime or str, optional
        Valid-time window ``start <= valid_at < end`` (timezone-aware).
    exclude_flags : int, optional
        QC bitmask: a revision whose ``qc_flags & exclude_flags`` is not 0
        keeps its row but gets ``value`` NaN, so that at the times it is the
        answer the value is missing (as in an as-of read with the same
        mask), not replaced by an older revision.

    Returns
    -------
    pandas.DataFrame
        Columns and dtypes as in :data:`REVISION_DTYPES`: ``station``,
        ``variable``, ``valid_at`` (UTC), ``value`` (canonical units, NaN
        when blanked or excluded), ``qc_flags``, ``revision``,
        ``available_at`` (UTC) and ``superseded_at`` (UTC, NaT for the
        current revision); sorted by station, variable, valid_at and
        revision, with a fresh RangeIndex.

    Raises
    ------
    forecasting.errors.InputDataError
        For unregistered stations, naive times or a negative flag mask.
    """
    _check_flag_mask(exclude_flags)
    selection = _Selection.resolve(
        connection, variables, stations, start, end, as_of=None, exclude_flags=0, every=True
    )
    columns = ("value", "qc_flags", "revision", "available_at", "superseded_at")
    data = selection.fetch(connection, columns)
    if data is None:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in REVISION_DTYPES.items()})
    value = data["value"]
    if exclude_flags:
        value = np.where((data["qc_flags"] & int(exclude_flags)) != 0, np.nan, value)
    superseded = data["superseded_at"]
    superseded_at = timestamps_from_epoch(np.nan_to_num(superseded, nan=0).astype(np.int64))
    return pd.DataFrame(
        {
            "station": selection.stations.column(data["station_id"]),
            "variable": selection.variables.column(data["variable_id"]),
            "valid_at": timestamps_from_epoch(data["valid_at"]),
            "value": value,
            "qc_flags": data["qc_flags"],
            "revision": data["revision"],
            "available_at": timestamps_from_epoch(data["available_at"]),
            "superseded_at": superseded_at.where(~np.isnan(superseded)),
        }
    )


def count_observations(
    connection: Connection,
    by: Sequence[str] = ("station", "variable", "qc_flags"),
    *,
    as_of: TimeLike | None = None,
) -> pd.DataFrame:
    """Count the current observations, grouped (for the QC report).

    Parameters
    ----------
    connection : sqlalchemy.Connection
        An open connection.
    by : sequence of str, optional
        Grouping columns from :data:`COUNT_BY`; empty for one total.
    as_of : datetime or str, optional
        Count what was known at this time instead of the latest revisions.

    Returns
    -------
    pandas.DataFrame
        The ``by`` columns and ``count`` (int64), sorted by ``by``.
    """
    unknown = [b for b in by if b not in COUNT_BY]
    if unknown:
        raise InputDataError(f"cannot count by {unknown!r}; choose from: {', '.join(COUNT_BY)}")
    obs = observations
    id_column = {
        "station": "station_id",
        "variable": "variable_id",
        "source": "source_id",
        "qc_flags": "qc_flags",
    }
    keys = [obs.c[id_column[b]] for b in by]
    query = select(*keys, func.count().label("count")).where(_known_at(as_of))
    rows = connection.execute(query.group_by(*keys)).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=[*by, "count"])
    tables = {
        "station": (schema.stations, "code"),
        "variable": (schema.variables, "name"),
        "source": (schema.sources, "name"),
    }
    for column in by:
        if column in tables:
            lookup = Names(connection, *tables[column])
            frame[column] = lookup.column(frame[column].to_numpy(dtype=np.int64))
        else:
            frame[column] = frame[column].astype("int64")
    frame["count"] = frame["count"].astype("int64")
    return frame.sort_values(list(by)).reset_index(drop=True) if by else frame


@dataclass
class _Selection:
    """The resolved filters of one read."""

    stations: Names
    variables: Names
    station_ids: list[int]
    variable_ids: list[int]
    variable_names: list[str]
    conditions: list[ColumnElement[bool]] = field(default_factory=list)

    @classmethod
    def resolve(
        cls,
        connection: Connection,
        variables: str | Iterable[str] | None,
        stations: str | Iterable[str] | None,
        start: TimeLike | None,
        end: TimeLike | None,
        *,
        as_of: TimeLike | None,
        exclude_flags: int,
        every: bool = False,
    ) -> _Selection:
        """Check the filters and translate names to ids (``every``: all revisions)."""
        station_names = Names(connection, schema.stations, "code")
        variable_names = Names(connection, schema.variables, "name")
        wanted_stations = as_name_list(stations, "stations")
        if wanted_stations is None:
            wanted_stations = station_names.ordered
        unknown = [s for s in wanted_stations if s not in station_names.by_name]
        if unknown:
            known = ", ".join(station_names.ordered[:20]) or "none registered"
            raise InputDataError(
                f"unknown station(s) {unknown!r}; registered stations include: {known}"
            )
        wanted_variables = as_name_list(variables, "variables")
        if wanted_variables is None:
            wanted_variables = variable_names.ordered
        stored = [v for v in wanted_variables if v in variable_names.by_name]
        _check_flag_mask(exclude_flags)
        obs = observations
        conditions = [] if every else [_known_at(as_of)]
        if start is not None:
            conditions.append(obs.c.valid_at >= epoch_seconds(start, "start", ceil=True))
        if end is not None:
            conditions.append(obs.c.valid_at < epoch_seconds(end, "end", ceil=True))
        if exclude_flags:
            conditions.append(obs.c.qc_flags.bitwise_and(int(exclude_flags)) == 0)
        return cls(
            stations=station_names,
            variables=variable_names,
            station_ids=[station_names.by_name[s] for s in wanted_stations],
            variable_ids=[variable_names.by_name[v] for v in stored],
            variable_names=stored,
            conditions=conditions,
        )

    def fetch(
        self, connection: Connection, columns: Sequence[str]
    ) -> dict[str, npt.NDArray[Any]] | None:
        """Fetch the selected rows (None when no series can match)."""
        if not self.station_ids or not self.variable_ids:
            return None
        return fetch_observations(
            connection,
            self.conditions,
            self.station_ids,
            self.variable_ids,
            columns,
            stations=self.stations,
            variables=self.variables,
        )


def _check_flag_mask(exclude_flags: int) -> None:
    if exclude_flags < 0:
        raise InputDataError(f"exclude_flags={exclude_flags} is negative; pass a QC bitmask >= 0")


def _known_at(as_of: TimeLike | None) -> ColumnElement[bool]:
    obs = observations
    if as_of is None:
        return obs.c.superseded_at.is_(None)
    t = epoch_seconds(as_of, "as_of")
    return (obs.c.available_at <= t) & or_(obs.c.superseded_at.is_(None), obs.c.superseded_at > t)


def _empty(include_revision: bool) -> pd.DataFrame:
    columns = list(OBSERVATION_DTYPES)[: 9 if include_revision else 6]
    return pd.DataFrame({c: pd.Series(dtype=OBSERVATION_DTYPES[c]) for c in columns})
