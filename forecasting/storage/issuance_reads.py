"""Reads of a forecast run's hourly, daily and AQI frames.

The public API reads one entity of the latest published run per request, so
these reads are built for that: one indexed range scan of the table's primary
key (run, entity, ...), rows taken from the driver as tuples (no
:class:`sqlalchemy.Row` per row) and turned into columns in one pass. Times
are converted to seconds since the epoch by the database, which avoids
parsing text timestamps on SQLite. Reading one station of a run (6 variables
× 80 leads) takes about 1 ms on SQLite.

Every read checks that the run exists; an entity or variable that the run
does not hold gives an empty frame.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import BigInteger, ColumnElement, Connection, Select, bindparam, cast, func, select

from forecasting.errors import RunNotFoundError
from forecasting.storage._bulk import timestamps_from_epoch
from forecasting.storage._validate import as_name_list
from forecasting.storage.issuance import MODEL_COPIED_FIELDS, check_run_id
from forecasting.storage.schema import forecast_aqi, forecast_daily, forecast_runs, forecasts

__all__ = [
    "AQI_DTYPES",
    "DAILY_DTYPES",
    "HOURLY_DTYPES",
    "read_run_aqi",
    "read_run_daily",
    "read_run_hourly",
]

_TIME = "datetime64[us, UTC]"
#: Columns and dtypes of :func:`read_run_hourly`.
HOURLY_DTYPES: dict[str, str] = {
    "entity": "str",
    "entity_kind": "str",
    "variable": "str",
    "valid_at": _TIME,
    "lead_h": "int64",
    "value": "float64",
    "q10": "float64",
    "q90": "float64",
}
#: Columns and dtypes of :func:`read_run_daily` (``date`` holds datetime.date).
DAILY_DTYPES: dict[str, str] = {
    "entity": "str",
    "entity_kind": "str",
    "date": "object",
    "day": "int64",
    "variable": "str",
    "value": "float64",
    "q10": "float64",
    "q90": "float64",
}
_SUMMARY_DTYPES: dict[str, str] = {
    "aqi": "int64",
    "aqi_low": "int64",
    "aqi_high": "int64",
    "level": "int64",
    "primary_pollutant": "str",
    "warning_level": "int64",
}
#: Columns and dtypes of :func:`read_run_aqi`.
AQI_DTYPES: dict[str, str] = {
    "entity": "str",
    "entity_kind": "str",
    "date": "object",
    "day": "int64",
    **_SUMMARY_DTYPES,
    "warning_scheme": "str",
    **{f"model_{name}": _SUMMARY_DTYPES[name] for name in MODEL_COPIED_FIELDS},
    "edited": "bool",
}
_AQI_STORED = tuple(c for c in AQI_DTYPES if c != "edited")
_NO_FILTER, _ONE, _MANY = 0, 1, 2


def read_run_hourly(
    connection: Connection,
    run_id: int,
    *,
    entity: str | Iterable[str] | None = None,
    variables: str | Iterable[str] | None = None,
) -> pd.DataFrame:
    """Return a run's hourly forecasts.

    Parameters
    ----------
    connection : sqlalchemy.Connection
        An open connection.
    run_id : int
        The run.
    entity : str or iterable of str, optional
        Only these stations or cities.
    variables : str or iterable of str, optional
        Only these variables.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`HOURLY_DTYPES`: ``entity``, ``entity_kind``,
        ``variable``, ``valid_at`` (UTC), ``lead_h`` [h], ``value``, ``q10``,
        ``q90`` [µg/m³; CO mg/m³]; sorted by entity, variable and valid_at.

    Raises
    ------
    forecasting.errors.RunNotFoundError
        For an unknown run.
    """
    columns = _read(connection, "hourly", run_id, entity, variables)
    columns[3] = timestamps_from_epoch(np.asarray(columns[3], dtype=np.int64))
    return _frame(columns, HOURLY_DTYPES)


def read_run_daily(
    connection: Connection, run_id: int, *, entity: str | Iterable[str] | None = None
) -> pd.DataFrame:
    """Return a run's daily values.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`DAILY_DTYPES`: ``entity``, ``entity_kind``, ``date``
        (local datetime.date), ``day`` (1..3), ``variable``, ``value``,
        ``q10``, ``q90`` [µg/m³; CO mg/m³]; sorted by entity, date and
        variable.

    Raises
    ------
    forecasting.errors.RunNotFoundError
        For an unknown run.
    """
    columns = _read(connection, "daily", run_id, entity, None)
    columns[2] = _dates(columns[2])
    return _frame(columns, DAILY_DTYPES)


def read_run_aqi(
    connection: Connection, run_id: int, *, entity: str | Iterable[str] | None = None
) -> pd.DataFrame:
    """Return a run's AQI summary: one row per entity-day, with the model's values beside.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`AQI_DTYPES`: ``entity``, ``entity_kind``, ``date``,
        ``day``, ``aqi``, ``aqi_low``, ``aqi_high``, ``level``,
        ``primary_pollutant``, ``warning_level``, ``warning_scheme`` (as
        published or edited), ``model_aqi`` … ``model_warning_level`` (as
        the model made them), and ``edited`` (True where any field differs
        from the model's); sorted by entity and date.

    Raises
    ------
    forecasting.errors.RunNotFoundError
        For an unknown run.
    """
    columns = _read(connection, "aqi", run_id, entity, None)
    columns[2] = _dates(columns[2])
    position = {name: i for i, name in enumerate(_AQI_STORED)}
    edited = np.zeros(len(columns[0]), dtype=bool)
    for name in MODEL_COPIED_FIELDS:
        stored_value = np.array(columns[position[name]], dtype=object)
        edited |= stored_value != np.array(columns[position[f"model_{name}"]], dtype=object)
    return _frame([*columns, edited], AQI_DTYPES)


def _read(
    connection: Connection,
    table: str,
    run_id: int,
    entity: str | Iterable[str] | None,
    variables: str | Iterable[str] | None,
) -> list[Any]:
    """Fetch a run's rows as columns; an empty result checks that the run exists."""
    key = check_run_id(run_id)
    entities = as_name_list(entity, "entity")
    names = as_name_list(variables, "variables")
    params: dict[str, Any] = {"run_id": key}
    entity_mode = _NO_FILTER if entities is None else _ONE if len(entities) == 1 else _MANY
    if entities is not None:
        params["entity"] = entities[0] if entity_mode == _ONE else entities
    if names is not None:
        params["variables"] = names
    statement = _statement(table, connection.dialect.name, entity_mode, names is not None)
    columns = _fetch(connection, statement, params)
    if len(columns[0]) == 0:
        found = connection.scalar(select(forecast_runs.c.id).where(forecast_runs.c.id == key))
        if found is None:
            raise RunNotFoundError(f"forecast run {key} does not exist")
    return columns


@cache
def _statement(table: str, dialect: str, entity_mode: int, by_variable: bool) -> Select[Any]:
    """Build the (immutable, reusable) select of a run's rows, with bound parameters."""
    t = {"hourly": forecasts, "daily": forecast_daily, "aqi": forecast_aqi}[table]
    columns: list[ColumnElement[Any]]
    order: tuple[ColumnElement[Any], ...]
    if table == "hourly":
        columns = [t.c[c] for c in HOURLY_DTYPES]
        columns[3] = _epoch_seconds(t.c.valid_at, dialect)
        order = (t.c.entity, t.c.variable, t.c.valid_at)
    elif table == "daily":
        columns = [t.c[c] for c in DAILY_DTYPES]
        order = (t.c.entity, t.c.date, t.c.variable)
    else:
        columns = [t.c[c] for c in _AQI_STORED]
        order = (t.c.entity, t.c.date)
    query = select(*columns).where(t.c.run_id == bindparam("run_id"))
    if entity_mode == _ONE:
        query = query.where(t.c.entity == bindparam("entity"))
    elif entity_mode == _MANY:
        query = query.where(t.c.entity.in_(bindparam("entity", expanding=True)))
    if by_variable:
        query = query.where(t.c.variable.in_(bindparam("variables", expanding=True)))
    return query.order_by(*order)


def _epoch_seconds(column: ColumnElement[Any], dialect: str) -> ColumnElement[int]:
    """Whole seconds since the epoch of a ``UTCDateTime`` column, computed in SQL."""
    if dialect == "sqlite":  # stored as naive UTC text
        return cast(func.strftime("%s", column), BigInteger)
    return cast(func.date_part("epoch", column), BigInteger)


def _fetch(connection: Connection, query: Select[Any], params: dict[str, Any]) -> list[Any]:
    """Run a query; return its columns as tuples of driver values (no Row objects)."""
    width = len(query.selected_columns)
    result = connection.execute(query, params)
    try:
        rows = result.cursor.fetchall()
    finally:
        result.close()
    if not rows:
        return [() for _ in range(width)]
    return list(zip(*rows, strict=True))


def _dates(values: Any) -> Any:
    """Turn a column of dates (SQLite gives ISO text, PostgreSQL datetime.date) into dates."""
    if len(values) == 0:
        return values
    codes, uniques = pd.factorize(np.array(values, dtype=object))
    days = [dt.date.fromisoformat(u) if isinstance(u, str) else u for u in uniques]
    return np.array(days, dtype=object)[codes]


def _frame(columns: list[Any], dtypes: dict[str, str]) -> pd.DataFrame:
    """Build a frame from columns, one numpy conversion each (pandas casts are slow)."""
    if len(columns[0]) == 0:
        empty: dict[str, Any] = dict(dtypes)
        return pd.DataFrame({name: pd.Series(dtype=object) for name in dtypes}).astype(empty)
    data: dict[str, Any] = {}
    for (name, dtype), values in zip(dtypes.items(), columns, strict=True):
        if dtype == _TIME:
            data[name] = values
        elif dtype in ("str", "object"):  # pandas infers "str" from an object array of text
            data[name] = np.array(values, dtype=object)
        else:
            data[name] = np.array(values, dtype=dtype)
    return pd.DataFrame(data, copy=False)
