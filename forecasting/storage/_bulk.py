"""Bulk transfer between numpy arrays and the database, per backend.

SQLAlchemy builds every statement of the store; only moving millions of rows
differs between backends and goes through the driver directly, inside the
SQLAlchemy transaction:

* SQLite: ``executemany`` of parameter tuples on the ``sqlite3`` cursor.
* PostgreSQL: ``COPY ... FROM STDIN`` in CSV format through psycopg.

Reads execute a SQLAlchemy statement and fetch the driver's tuples without
building :class:`sqlalchemy.Row` objects, then split them into numpy columns.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from itertools import chain
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
from pyarrow import csv as pa_csv
from sqlalchemy import Connection, Select

from forecasting.errors import InputDataError

__all__ = [
    "bulk_insert",
    "epoch_seconds",
    "fetch_columns",
    "seconds",
    "timestamps_from_epoch",
]

# pandas resolution of the timestamps the store returns (pandas' default for parsed text).
_UNIT = "us"


def epoch_seconds(value: datetime | str, name: str, *, ceil: bool = False) -> int:
    """Convert a timezone-aware time to whole seconds since the epoch.

    Parameters
    ----------
    value : datetime or str
        A timezone-aware datetime, or ISO 8601 text with a UTC offset.
    name : str
        The argument's name, for the error message.
    ceil : bool, optional
        Round a fractional second up instead of down.

    Returns
    -------
    int
        Seconds since 1970-01-01T00:00:00Z. [s]

    Raises
    ------
    forecasting.errors.InputDataError
        When the value is naive or cannot be parsed.
    """
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise InputDataError(
            f"{name}={value!r} is not a time; use e.g. '2024-01-01T00:00+08:00'"
        ) from None
    if pd.isna(stamp) or stamp.tzinfo is None:
        raise InputDataError(
            f"{name}={value!r} has no time zone; pass an aware time such as "
            "'2024-01-01T00:00+08:00' or datetime(..., tzinfo=UTC)"
        )
    nanos = stamp.as_unit("ns").value
    whole, rest = divmod(nanos, 1_000_000_000)
    return int(whole + (1 if ceil and rest else 0))


def seconds(value: timedelta, name: str) -> int:
    """Return a non-negative duration in whole seconds [s].

    Raises
    ------
    forecasting.errors.InputDataError
        When the duration is negative.
    """
    total = int(value.total_seconds())
    if total < 0:
        raise InputDataError(f"{name}={value!r} is negative; use a duration >= 0")
    return total


def timestamps_from_epoch(values: npt.NDArray[np.int64]) -> pd.DatetimeIndex:
    """Turn seconds since the epoch into tz-aware UTC timestamps (microsecond unit)."""
    return pd.DatetimeIndex(values.astype("datetime64[s]").astype(f"datetime64[{_UNIT}]"), tz="UTC")


def bulk_insert(
    connection: Connection,
    table: str,
    columns: Sequence[str],
    arrays: Sequence[npt.NDArray[np.generic]],
) -> None:
    """Insert columns of equal length into a table, fast.

    Parameters
    ----------
    connection : sqlalchemy.Connection
        A connection inside a transaction.
    table : str
        Table name (a trusted identifier, never user input).
    columns : sequence of str
        Column names, in the order of ``arrays``.
    arrays : sequence of ndarray
        One array per column; float NaN is stored as NULL (both drivers).
    """
    if connection.dialect.name == "postgresql":
        _copy_postgresql(connection, table, columns, arrays)
        return
    dbapi = connection.connection.driver_connection
    assert dbapi is not None
    placeholders = ", ".join("?" for _ in columns)
    statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"
    # sqlite3 binds float NaN as NULL, which is what the store wants.
    rows = zip(*(a.tolist() for a in arrays), strict=True)
    cursor = dbapi.cursor()
    try:
        cursor.executemany(statement, rows)
    finally:
        cursor.close()


def _copy_postgresql(
    connection: Connection,
    table: str,
    columns: Sequence[str],
    arrays: Sequence[npt.NDArray[np.generic]],
) -> None:
    frame = pd.DataFrame(dict(zip(columns, arrays, strict=True)), copy=False)
    buffer = io.StringIO()
    frame.to_csv(buffer, header=False, index=False, na_rep="")
    dbapi = connection.connection.driver_connection
    assert dbapi is not None
    with (
        dbapi.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT csv)") as copy,
    ):
        copy.write(buffer.getvalue())


def fetch_columns(
    connection: Connection, statement: Select[Any], dtypes: Mapping[str, str]
) -> dict[str, npt.NDArray[Any]]:
    """Run a query and return its result as numpy columns.

    Parameters
    ----------
    connection : sqlalchemy.Connection
        An open connection.
    statement : sqlalchemy.Select
        A select of numeric columns whose result columns are, in order, the
        keys of ``dtypes``. Integer columns must stay below 2**53.
    dtypes : mapping of str to str
        numpy dtype per column; NULL becomes NaN in float columns.

    Returns
    -------
    dict of str to ndarray
        One array per column, empty arrays when there are no rows.

    Notes
    -----
    SQLite rows come from the driver as tuples and are converted in one pass
    to a two-dimensional float64 array (exact for integers below 2**53); the
    pass is fastest when no value is NULL, so callers select
    ``coalesce(value, <sentinel>)`` for nullable columns.
    PostgreSQL streams the result with ``COPY (...) TO STDOUT`` as CSV, which
    pyarrow parses in C; PostgreSQL prints float8 with the shortest exact
    representation, so values round-trip.
    """
    names = list(dtypes)
    if connection.dialect.name == "postgresql":
        table = _copy_out_postgresql(connection, statement, dtypes)
        if table is None:
            return {name: np.empty(0, dtype=dtypes[name]) for name in names}
        return {n: np.array(table.column(n).to_numpy(), dtype=dtypes[n]) for n in names}
    result = connection.execute(statement)
    try:
        rows = result.cursor.fetchall()
    finally:
        result.close()
    if not rows:
        return {name: np.empty(0, dtype=dtypes[name]) for name in names}
    try:  # fast path: no NULL anywhere
        flat = np.fromiter(
            chain.from_iterable(rows), dtype=np.float64, count=len(rows) * len(names)
        )
        matrix = flat.reshape(len(rows), len(names))
    except TypeError:  # NULLs (None) become NaN
        matrix = np.array(rows, dtype=np.float64)
    return {name: matrix[:, i].astype(dtypes[name]) for i, name in enumerate(names)}


def _copy_out_postgresql(
    connection: Connection, statement: Select[Any], dtypes: Mapping[str, str]
) -> pa.Table | None:
    sql = str(statement.compile(connection, compile_kwargs={"literal_binds": True}))
    dbapi = connection.connection.driver_connection
    assert dbapi is not None
    buffer = io.BytesIO()
    with (
        dbapi.cursor() as cursor,
        cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy,
    ):
        for chunk in copy:
            buffer.write(chunk)
    if buffer.tell() == 0:
        return None
    types = {n: pa.float64() if np.dtype(d).kind == "f" else pa.int64() for n, d in dtypes.items()}
    return pa_csv.read_csv(
        io.BytesIO(buffer.getvalue()),
        read_options=pa_csv.ReadOptions(column_names=list(dtypes)),
        convert_options=pa_csv.ConvertOptions(column_types=types),
    )
