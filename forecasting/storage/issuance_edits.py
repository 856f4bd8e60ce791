"""Forecaster edits of a draft run's AQI summary, each with a reason and an audit entry.

Forecasters change the editable fields of one entity-day of a **draft**
(:data:`EDITABLE_FIELDS`); the model's value stays in ``model_<field>`` so
that the edit shows its difference from the model and both can be verified
later. Each edit writes a ``forecast_edits`` row and an ``audit_log`` entry
(action ``edit``, object ``run:<id>``) with the values before and after, in
the same transaction as the change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Connection, RowMapping, insert, select, update

from forecasting.errors import InputDataError, RunStateError
from forecasting.storage.issuance import check_actor, check_run_id, get_run
from forecasting.storage.issuance_audit import run_object, write_audit
from forecasting.storage.issuance_input import check_primary_pollutant
from forecasting.storage.schema import forecast_aqi, forecast_edits

__all__ = ["EDITABLE_FIELDS", "MAX_EDIT_AQI", "EditInfo", "edit_run", "list_edits"]

#: Fields of an entity-day that forecasters may edit.
EDITABLE_FIELDS = ("aqi", "aqi_low", "aqi_high", "level", "primary_pollutant", "warning_level")
#: Largest AQI an edit may set (the top of the HJ 633 IAQI tables).
MAX_EDIT_AQI = 500
_LIMITS = {
    "aqi": (0, MAX_EDIT_AQI),
    "aqi_low": (0, MAX_EDIT_AQI),
    "aqi_high": (0, MAX_EDIT_AQI),
    "level": (1, 6),
    "warning_level": (0, 4),
}
_MAX_REASON = 2000


@dataclass(frozen=True)
class EditInfo:
    """One forecaster edit.

    Attributes
    ----------
    id : int
        Edit id.
    run_id : int
        The edited (draft) run.
    entity : str
        Station code or city.
    entity_kind : {"station", "city"}
        What the entity is.
    date : datetime.date
        Local date of the edited day.
    field : str
        One of :data:`EDITABLE_FIELDS`.
    before, after : int or str
        The field's value before and after the edit.
    reason : str
        Why (required).
    author : str
        Who.
    at : datetime
        When, UTC.
    """

    id: int
    run_id: int
    entity: str
    entity_kind: str
    date: dt.date
    field: str
    before: Any
    after: Any
    reason: str
    author: str
    at: dt.datetime


def edit_run(
    connection: Connection,
    run_id: int,
    *,
    entity: str,
    date: dt.date | str,
    field: str,
    value: object,
    reason: str,
    author: str,
    at: dt.datetime,
) -> EditInfo:
    """Change one field of one entity-day of a draft run.

    Parameters
    ----------
    connection : sqlalchemy.Connection
        A connection inside a write transaction.
    run_id : int
        The draft.
    entity : str
        Station code or city of the run.
    date : datetime.date or str
        Local date (``YYYY-MM-DD``) of a day of the run.
    field : str
        One of :data:`EDITABLE_FIELDS`.
    value : int or str
        New value: an integer for ``aqi``, ``aqi_low``, ``aqi_high``
        (0..500, keeping ``aqi_low <= aqi_high``), ``level`` (1..6) and
        ``warning_level`` (0..4); for ``primary_pollutant`` ``''`` or
        pollutants (pm25, pm10, so2, no2, co, o3) joined by ``'+'``.
    reason : str
        Why (non-empty).
    author : str
        Who edits.
    at : datetime
        Edit time (the store's current time).

    Returns
    -------
    EditInfo
        The stored edit.

    Raises
    ------
    forecasting.errors.RunNotFoundError
        For an unknown run.
    forecasting.errors.RunStateError
        When the run is not a draft (published runs are immutable).
    forecasting.errors.InputDataError
        For an unknown field, entity or date, a value of the wrong type or
        out of range, or an empty reason.
    """
    name = _check_field(field)
    new = _check_value(name, value)
    day = _check_date(date)
    why = _check_reason(reason)
    who = check_actor(author, "author")
    run = get_run(connection, run_id)
    if run.status != "draft":
        raise RunStateError(
            f"forecast run {run.id} is {run.status} (version {run.version}) and cannot be "
            "edited; revise it (revise_run) into a new draft and edit that"
        )
    table = forecast_aqi
    where = (table.c.run_id == run.id) & (table.c.entity == entity) & (table.c.date == day)
    row = connection.execute(select(table).where(where)).mappings().first()
    if row is None:
        raise InputDataError(_missing_day(connection, run.id, entity, day))
    _check_range(name, new, row, entity, day)
    old = row[name]
    connection.execute(update(table).where(where).values({name: new}))
    edit_id = int(
        connection.execute(
            insert(forecast_edits)
            .values(
                run_id=run.id,
                entity=entity,
                date=day,
                field=name,
                before=old,
                after=new,
                reason=why,
                author=who,
                at=at,
            )
            .returning(forecast_edits.c.id)
        ).scalar_one()
    )
    where_text = {"entity": entity, "date": day.isoformat(), "field": name}
    write_audit(
        connection,
        at=at,
        actor=who,
        action="edit",
        object=run_object(run.id),
        before={**where_text, "value": old},
        after={**where_text, "value": new, "reason": why, "edit_id": edit_id},
    )
    return EditInfo(
        id=edit_id,
        run_id=run.id,
        entity=entity,
        entity_kind=row["entity_kind"],
        date=day,
        field=name,
        before=old,
        after=new,
        reason=why,
        author=who,
        at=at,
    )


def list_edits(connection: Connection, run_id: int, *, entity: str | None = None) -> list[EditInfo]:
    """Return the edits of one run (optionally of one entity), oldest first.

    Raises
    ------
    forecasting.errors.RunNotFoundError
        For an unknown run.
    """
    run = get_run(connection, check_run_id(run_id))
    edits = forecast_edits
    query = (
        select(edits, forecast_aqi.c.entity_kind)
        .join_from(
            edits,
            forecast_aqi,
            (forecast_aqi.c.run_id == edits.c.run_id)
            & (forecast_aqi.c.entity == edits.c.entity)
            & (forecast_aqi.c.date == edits.c.date),
            isouter=True,
        )
        .where(edits.c.run_id == run.id)
        .order_by(edits.c.id)
    )
    if entity is not None:
        query = query.where(edits.c.entity == entity)
    return [_edit_info(row) for row in connection.execute(query).mappings()]


def _edit_info(row: RowMapping) -> EditInfo:
    return EditInfo(
        id=int(row["id"]),
        run_id=int(row["run_id"]),
        entity=row["entity"],
        entity_kind=row["entity_kind"] or "",
        date=row["date"],
        field=row["field"],
        before=row["before"],
        after=row["after"],
        reason=row["reason"],
        author=row["author"],
        at=row["at"],
    )


def _check_field(field: object) -> str:
    if field not in EDITABLE_FIELDS:
        raise InputDataError(
            f"field {field!r} cannot be edited; choose one of: {', '.join(EDITABLE_FIELDS)}"
        )
    return str(field)


def _check_value(field: str, value: object) -> int | str:
    if field == "primary_pollutant":
        return check_primary_pollutant(value, "edit")
    low, high = _LIMITS[field]
    message = f"{field} must be an integer {low}..{high}; got {value!r}"
    if isinstance(value, bool | np.bool_) or not isinstance(
        value, int | np.integer | float | np.floating
    ):
        raise InputDataError(message)
    if not float(value).is_integer() or not low <= int(value) <= high:
        raise InputDataError(message)
    return int(value)


def _check_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        raise InputDataError(f"date must be a local date, not a datetime; got {value!r}")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise InputDataError(f"date must be a date or 'YYYY-MM-DD' text; got {value!r}")


def _check_reason(reason: object) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise InputDataError("an edit needs a reason: say why the model's value is changed")
    if len(reason) > _MAX_REASON:
        raise InputDataError(f"the reason is longer than {_MAX_REASON} characters")
    return reason.strip()


def _check_range(field: str, new: int | str, row: RowMapping, entity: str, day: dt.date) -> None:
    low = new if field == "aqi_low" else row["aqi_low"]
    high = new if field == "aqi_high" else row["aqi_high"]
    if field in ("aqi_low", "aqi_high") and low > high:  # type: ignore[operator]
        raise InputDataError(
            f"{entity} on {day.isoformat()}: aqi_low {low} would exceed aqi_high {high}; "
            "change the other bound first"
        )


def _missing_day(connection: Connection, run_id: int, entity: str, day: dt.date) -> str:
    table = forecast_aqi
    dates = sorted(
        d.isoformat()
        for d in connection.scalars(
            select(table.c.date).where(table.c.run_id == run_id, table.c.entity == entity)
        )
    )
    if not dates:
        return f"forecast run {run_id} has no AQI forecast for entity {entity!r}"
    return (
        f"forecast run {run_id} has no AQI forecast for {entity!r} on {day.isoformat()}; "
        f"its dates are: {', '.join(dates)}"
    )
