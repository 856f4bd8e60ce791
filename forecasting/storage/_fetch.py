"""Fetch observation rows into numpy columns, sorted by station, variable and time.

Reading a year of hourly data for a city (about 1.3 million rows) is bound by
the cost of turning database rows into Python objects (about 1 µs per row
and column in ``sqlite3``). Two plans keep that cost down:

* **Per series** (SQLite, up to :data:`SERIES_QUERY_LIMIT` series): one
  indexed range query per (station, variable), issued in alphabetical order.
  The series key is known per query, so it is not fetched per row and the
  result needs no sorting; ``qc_flags`` and ``source_id`` travel packed in
  one 64-bit integer (``qc_flags * 2**32 + source_id``; flags are < 2**31 and
  ids are 32-bit), and NULL values as +inf (the store refuses infinite
  values), so that each row converts to numpy in one C pass.
* **One query** (PostgreSQL, or many series): all rows in key order with
  their ids, then sorted by name. PostgreSQL streams them with ``COPY``.

Either way every statement runs in the caller's transaction, so the result
is one consistent snapshot.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import product
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    Double,
    Table,
    bindparam,
    func,
    literal,
    select,
)

from forecasting.storage._bulk import fetch_columns
from forecasting.storage.schema import observations

__all__ = ["SERIES_QUERY_LIMIT", "Names", "fetch_observations"]

#: Above this many (station, variable) series, SQLite reads use one query.
SERIES_QUERY_LIMIT = 4096
_PACK = 2**32
_DTYPES = {
    "station_id": "int64",
    "variable_id": "int64",
    "valid_at": "int64",
    "value": "float64",
    "qc_flags": "int64",
    "source_id": "int64",
    "revision": "int64",
    "ingested_at": "int64",
    "available_at": "int64",
    "superseded_at": "float64",  # NULL (current revision) -> NaN
}


class Names:
    """Id <-> name lookup of a small table (stations, variables, sources).

    Parameters
    ----------
    connection : sqlalchemy.Connection
        An open connection.
    table : sqlalchemy.Table
        A table with an integer ``id``.
    name_column : str
        Its unique name column.

    Attributes
    ----------
    by_name : dict of str to int
        Id per name.
    ordered : list of str
        Names in alphabetical order.
    rank : ndarray of int64
        Alphabetical position per id (indexable by id).
    """

    def __init__(self, connection: Connection, table: Table, name_column: str) -> None:
        rows = connection.execute(select(table.c.id, table.c[name_column])).all()
        self.by_name = {str(name): int(pk) for pk, name in rows}
        self.ordered = sorted(self.by_name)
        self.rank = np.zeros(max(self.by_name.values(), default=0) + 1, dtype=np.int64)
        for position, name in enumerate(self.ordered):
            self.rank[self.by_name[name]] = position

    def column(self, ids: npt.NDArray[np.int64]) -> pd.Series:
        """Return the names of ``ids`` as a ``str`` Series."""
        return self.column_from_rank(self.rank[ids])

    def column_from_rank(self, ranks: npt.NDArray[np.int64]) -> pd.Series:
        """Return the names at alphabetical positions ``ranks`` as a ``str`` Series."""
        codes = pa.array(ranks.astype(np.int32))
        dictionary = pa.array(self.ordered, type=pa.large_string())
        decoded = pa.DictionaryArray.from_arrays(codes, dictionary).dictionary_decode()
        return pd.Series(decoded, dtype="str")


def fetch_observations(
    connection: Connection,
    conditions: Sequence[ColumnElement[bool]],
    station_ids: Sequence[int],
    variable_ids: Sequence[int],
    columns: Sequence[str],
    *,
    stations: Names,
    variables: Names,
) -> dict[str, npt.NDArray[Any]]:
    """Fetch observation columns, sorted by station code, variable name, valid time, revision.

    Parameters
    ----------
    connection : sqlalchemy.Connection
        A connection inside a transaction.
    conditions : sequence of SQL conditions
        Filters on ``observations`` other than station and variable.
    station_ids, variable_ids : sequence of int
        The series to read (their cross product).
    columns : sequence of str
        ``observations`` columns to return; ``station_id``, ``variable_id``
        and ``valid_at`` are always returned. NULL values come back as NaN.
    stations, variables : Names
        Lookups that define the sort order.

    Returns
    -------
    dict of str to ndarray
        One array per column.
    """
    wanted = list(dict.fromkeys(["station_id", "variable_id", "valid_at", *columns]))
    series = sorted(
        product(station_ids, variable_ids),
        key=lambda sv: (stations.rank[sv[0]], variables.rank[sv[1]]),
    )
    if connection.dialect.name == "sqlite" and len(series) <= SERIES_QUERY_LIMIT:
        return _fetch_per_series(connection, conditions, series, wanted)
    return _fetch_in_one_query(
        connection, conditions, station_ids, variable_ids, wanted, stations, variables
    )


def _fetch_per_series(
    connection: Connection,
    conditions: Sequence[ColumnElement[bool]],
    series: list[tuple[int, int]],
    wanted: list[str],
) -> dict[str, npt.NDArray[Any]]:
    obs = observations
    selected: list[tuple[str, ColumnElement[Any], str]] = [("valid_at", obs.c.valid_at, "i8")]
    for name in wanted:
        if name == "value":
            blank = literal(math.inf, Double)
            selected.append(("value", func.coalesce(obs.c.value, blank), "f8"))
        elif name in ("revision", "ingested_at", "available_at"):
            selected.append((name, obs.c[name], "i8"))
        elif name == "superseded_at":
            never = literal(math.inf, Double)
            selected.append(("superseded_at", func.coalesce(obs.c.superseded_at, never), "f8"))
    packed = "qc_flags" in wanted or "source_id" in wanted
    if packed:
        key = obs.c.qc_flags.cast(BigInteger) * _PACK + obs.c.source_id
        selected.append(("packed", key, "i8"))
    statement = (
        select(*(expression for _, expression, _ in selected))
        .where(
            obs.c.station_id == bindparam("series_station"),
            obs.c.variable_id == bindparam("series_variable"),
            *conditions,
        )
        .order_by(obs.c.valid_at, obs.c.revision)
    )
    compiled = statement.compile(dialect=connection.dialect)
    names = compiled.positiontup or []
    dbapi = connection.connection.driver_connection
    assert dbapi is not None
    cursor = dbapi.cursor()
    rows: list[tuple[Any, ...]] = []
    lengths = np.zeros(len(series), dtype=np.int64)
    try:
        for i, (station_id, variable_id) in enumerate(series):
            params = {**compiled.params, "series_station": station_id}
            params["series_variable"] = variable_id
            cursor.execute(compiled.string, [params[n] for n in names])
            fetched = cursor.fetchall()
            lengths[i] = len(fetched)
            rows.extend(fetched)
    finally:
        cursor.close()
    record = np.dtype([(name, kind) for name, _, kind in selected])
    table = np.fromiter(rows, dtype=record, count=len(rows))
    data: dict[str, npt.NDArray[Any]] = {name: table[name].copy() for name, _, _ in selected}
    keys = np.array(series, dtype=np.int64).reshape(-1, 2)
    data["station_id"] = np.repeat(keys[:, 0], lengths)
    data["variable_id"] = np.repeat(keys[:, 1], lengths)
    for name in ("value", "superseded_at"):
        if name in data:
            data[name][np.isposinf(data[name])] = np.nan
    if packed:
        code = data.pop("packed")
        data["qc_flags"], data["source_id"] = np.divmod(code, _PACK)
    return {name: data[name] for name in wanted}


def _fetch_in_one_query(
    connection: Connection,
    conditions: Sequence[ColumnElement[bool]],
    station_ids: Sequence[int],
    variable_ids: Sequence[int],
    wanted: list[str],
    stations: Names,
    variables: Names,
) -> dict[str, npt.NDArray[Any]]:
    obs = observations
    # superseded_at is NULL on every current revision: -1 keeps the SQLite fast path.
    columns = [
        func.coalesce(obs.c[name], literal(-1, BigInteger))
        if name == "superseded_at"
        else obs.c[name]
        for name in wanted
    ]
    statement = (
        select(*columns)
        .where(obs.c.station_id.in_(station_ids), obs.c.variable_id.in_(variable_ids), *conditions)
        .order_by(obs.c.station_id, obs.c.variable_id, obs.c.valid_at, obs.c.revision)
    )
    data = fetch_columns(connection, statement, {name: _DTYPES[name] for name in wanted})
    if "superseded_at" in data:
        data["superseded_at"][data["superseded_at"] < 0] = np.nan
    keys = [
        data["valid_at"],
        variables.rank[data["variable_id"]],
        stations.rank[data["station_id"]],
    ]
    if "revision" in data:
        keys.insert(0, data["revision"])
    order = np.lexsort(keys)
    return {name: column[order] for name, column in data.items()}
