"""Forecast runs: drafts, publication, versions and the as-of rule for the public view.

A run is one issue of the forecast (kind ``"air"`` or ``"water"``, issue time
``issued_at``) with its hourly forecasts, daily values and per entity-day AQI
summary (see :func:`create_run` for the frames). Its life:

1. :func:`create_run` stores a **draft** (``version`` 0).
2. Forecasters edit the draft's AQI summary
   (:func:`forecasting.storage.issuance_edits.edit_run`), each edit with a
   reason; the model's values stay beside the edited ones.
3. :func:`forecasting.storage.issuance_versions.publish_run` makes it
   **published** with ``version`` = 1 + the highest version published for
   the same (kind, issued_at) so far; the run published before it for that
   issue time becomes **superseded**. Published and superseded runs are
   immutable.
4. :func:`forecasting.storage.issuance_versions.revise_run` copies a
   published run into a new draft (``source_run_id``) that can be edited and
   published as the next version.

Every step is one transaction with its audit entry
(:mod:`forecasting.storage.issuance_audit`): it is stored whole or not at all.

The public view (:func:`latest_published`) shows, as of a time T, the run
with the latest ``issued_at`` among the runs that were the current version
at T: ``published_at <= T`` and not superseded by T. So a page or a
verification computed "as of" a past time sees the version that was public
then.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy import Connection, RowMapping, insert, select

from forecasting.errors import InputDataError, RunNotFoundError
from forecasting.storage._bulk import bulk_insert
from forecasting.storage.issuance_audit import run_object, write_audit
from forecasting.storage.issuance_input import RunFrames, validate_run_frames
from forecasting.storage.schema import (
    FORECAST_KINDS,
    RUN_STATUSES,
    forecast_aqi,
    forecast_daily,
    forecast_runs,
    forecasts,
)

__all__ = [
    "MODEL_COPIED_FIELDS",
    "RunInfo",
    "check_actor",
    "create_run",
    "get_run",
    "check_run_id",
    "latest_published",
    "list_runs",
    "published_for_issue",
    "to_utc",
]

#: AQI-summary fields whose model value is kept in ``model_<field>``.
MODEL_COPIED_FIELDS = (
    "aqi",
    "aqi_low",
    "aqi_high",
    "level",
    "primary_pollutant",
    "warning_level",
)
_MAX_LIST = 1000
_MAX_NAME = 200


@dataclass(frozen=True)
class RunInfo:
    """One forecast run (a draft or a published version).

    Attributes
    ----------
    id : int
        Run id.
    kind : {"air", "water"}
        What it forecasts.
    issued_at : datetime
        Issue time, UTC.
    status : {"draft", "published", "superseded"}
        Where it is in its life (module docstring).
    version : int
        Published version for its (kind, issued_at), from 1; 0 while a draft.
    model_versions : dict
        Model name to version (or any JSON description) used for the run.
    standard_edition : str
        Id of the AQI standard table used, e.g. ``"hj633-2026"``.
    data_cutoff : datetime
        Latest data time the run could use, UTC.
    degraded : bool
        Whether inputs were stale or missing (see ``degraded_reasons``).
    degraded_reasons : tuple of str
        Why the run is degraded (empty when it is not).
    inputs : dict
        Input availability as recorded at issue.
    timezone : str
        IANA time zone of the local dates of the daily values.
    created_at : datetime
        When the run was stored, UTC.
    published_at : datetime or None
        When it was published, UTC; None for a draft.
    published_by : str or None
        Who published it.
    source_run_id : int or None
        The published run this draft or version revises.
    horizon_h : int
        Largest hourly lead. [h]
    created_by : str
        Who stored it.
    superseded_at : datetime or None
        When a later version of the same issue replaced it, UTC.
    """

    id: int
    kind: str
    issued_at: datetime
    status: str
    version: int
    model_versions: dict[str, Any] = field(hash=False)
    standard_edition: str
    data_cutoff: datetime
    degraded: bool
    degraded_reasons: tuple[str, ...]
    inputs: dict[str, Any] = field(hash=False)
    timezone: str
    created_at: datetime
    published_at: datetime | None
    published_by: str | None
    source_run_id: int | None
    horizon_h: int
    created_by: str
    superseded_at: datetime | None


def to_utc(value: datetime | str, name: str) -> datetime:
    """Return a timezone-aware time (datetime or ISO 8601 text) as a UTC datetime.

    Raises
    ------
    forecasting.errors.InputDataError
        When the value is naive or not a time.
    """
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise InputDataError(
            f"{name}={value!r} is not a time; use e.g. '2026-11-23T16:00+08:00'"
        ) from None
    if pd.isna(stamp) or stamp.tzinfo is None:
        raise InputDataError(
            f"{name}={value!r} has no time zone; pass an aware time such as "
            "'2026-11-23T16:00+08:00' or datetime(..., tzinfo=UTC)"
        )
    return stamp.tz_convert(UTC).to_pydatetime()


def check_actor(value: object, name: str) -> str:
    """Return a non-empty name of at most 200 characters, or raise naming ``name``."""
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_NAME:
        raise InputDataError(
            f"{name} must be a non-empty name of at most 200 characters; got {value!r}"
        )
    return value.strip()


def create_run(
    connection: Connection,
    kind: str,
    issued_at: datetime | str,
    *,
    hourly: pd.DataFrame,
    daily: pd.DataFrame,
    aqi: pd.DataFrame,
    model_versions: Mapping[str, Any],
    standard_edition: str,
    data_cutoff: datetime | str,
    degraded: bool,
    degraded_reasons: Sequence[str],
    inputs: Mapping[str, Any],
    timezone: str,
    actor: str,
    created_at: datetime,
) -> RunInfo:
    """Store a new draft run with its frames, and audit it (action ``create``).

    Parameters
    ----------
    connection : sqlalchemy.Connection
        A connection inside a write transaction.
    kind : {"air", "water"}
        What the run forecasts.
    issued_at : datetime or str
        Issue time (timezone-aware).
    hourly : pandas.DataFrame
        ``entity`` (station code or city), ``entity_kind`` ('station' or
        'city'), ``variable`` (air: pm25, pm10, so2, no2, co, o3),
        ``valid_at`` (tz-aware, whole seconds), ``lead_h`` (int, 0..1000)
        [h], ``value``, ``q10``, ``q90`` [µg/m³; CO mg/m³; NaN if missing].
    daily : pandas.DataFrame
        ``entity``, ``entity_kind``, ``date`` (datetime.date, local),
        ``day`` (1..3), ``variable`` (air: pm25, pm10, so2, no2, co,
        o3_8h_max, o3_1h_max), ``value``, ``q10``, ``q90`` [as hourly].
    aqi : pandas.DataFrame
        One row per entity-day: ``entity``, ``entity_kind``, ``date``,
        ``day``, ``aqi``, ``aqi_low``, ``aqi_high`` (int >= 0, low <= high),
        ``level`` (1..6), ``primary_pollutant`` ('' or pollutants joined by
        '+'), ``warning_level`` (0 none .. 4), ``warning_scheme`` (scheme id).
        Also stored as the ``model_*`` values.
    model_versions : mapping
        Model name to version; JSON-serialisable.
    standard_edition : str
        Id of the AQI standard table used.
    data_cutoff : datetime or str
        Latest data time used (timezone-aware, not after ``issued_at``).
    degraded : bool
        Whether inputs were stale or missing.
    degraded_reasons : sequence of str
        Why; required (non-empty) when ``degraded``.
    inputs : mapping
        Input availability; JSON-serialisable.
    timezone : str
        IANA time zone of the local dates, e.g. ``"Asia/Shanghai"``.
    actor : str
        Who creates the run.
    created_at : datetime
        The store's current time.

    Returns
    -------
    RunInfo
        The stored draft.

    Raises
    ------
    forecasting.errors.InputDataError
        For invalid metadata or frames (see
        :func:`forecasting.storage.issuance_input.validate_run_frames`);
        nothing is written.
    """
    row = _run_row(
        kind,
        issued_at,
        model_versions=model_versions,
        standard_edition=standard_edition,
        data_cutoff=data_cutoff,
        degraded=degraded,
        degraded_reasons=degraded_reasons,
        inputs=inputs,
        timezone=timezone,
        actor=actor,
    )
    frames = validate_run_frames(kind, hourly, daily, aqi)
    row.update(status="draft", version=0, created_at=created_at, horizon_h=frames.horizon_h)
    run_id = int(
        connection.execute(
            insert(forecast_runs).values(row).returning(forecast_runs.c.id)
        ).scalar_one()
    )
    _insert_frames(connection, run_id, frames)
    counts = {name: int(len(cols["entity"])) for name, cols in _frame_items(frames)}
    write_audit(
        connection,
        at=created_at,
        actor=row["created_by"],
        action="create",
        object=run_object(run_id),
        after={
            "status": "draft",
            "kind": kind,
            "issued_at": row["issued_at"].isoformat(),
            "standard_edition": row["standard_edition"],
            "degraded": row["degraded"],
            "degraded_reasons": row["degraded_reasons"],
            "model_versions": row["model_versions"],
            "rows": counts,
        },
    )
    return get_run(connection, run_id)


def get_run(connection: Connection, run_id: int) -> RunInfo:
    """Return one run.

    Raises
    ------
    forecasting.errors.RunNotFoundError
        When no run has this id.
    forecasting.errors.InputDataError
        When ``run_id`` is not an integer.
    """
    key = check_run_id(run_id)
    row = (
        connection.execute(select(forecast_runs).where(forecast_runs.c.id == key))
        .mappings()
        .first()
    )
    if row is None:
        raise RunNotFoundError(f"forecast run {key} does not exist")
    return _run_info(row)


def check_run_id(run_id: object) -> int:
    """Return ``run_id`` as an int, or raise InputDataError."""
    if isinstance(run_id, bool) or not isinstance(run_id, int | np.integer):
        raise InputDataError(f"run id must be an integer; got {run_id!r}")
    return int(run_id)


def list_runs(
    connection: Connection, kind: str = "air", *, status: str | None = None, limit: int = 50
) -> list[RunInfo]:
    """Return runs, the latest issue time first (then the newest run first).

    Parameters
    ----------
    connection : sqlalchemy.Connection
        An open connection.
    kind : {"air", "water"}, optional
        Runs of this kind.
    status : {"draft", "published", "superseded"}, optional
        Only runs in this status.
    limit : int, optional
        At most this many, 1 to 1000.
    """
    _check_choice("kind", kind, FORECAST_KINDS)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= _MAX_LIST:
        raise InputDataError(f"limit must be an integer 1..{_MAX_LIST}; got {limit!r}")
    runs = forecast_runs
    query = select(runs).where(runs.c.kind == kind)
    if status is not None:
        _check_choice("status", status, RUN_STATUSES)
        query = query.where(runs.c.status == status)
    query = query.order_by(runs.c.issued_at.desc(), runs.c.id.desc()).limit(limit)
    return [_run_info(row) for row in connection.execute(query).mappings()]


def latest_published(
    connection: Connection, kind: str = "air", *, as_of: datetime | str | None = None
) -> RunInfo | None:
    """Return the public run: the latest issue time among the versions current at ``as_of``.

    Parameters
    ----------
    connection : sqlalchemy.Connection
        An open connection.
    kind : {"air", "water"}, optional
        Runs of this kind.
    as_of : datetime or str, optional
        Timezone-aware time; ``None`` means now (the runs whose status is
        ``"published"``).

    Returns
    -------
    RunInfo or None
        The run with the latest ``issued_at`` that was published at or
        before ``as_of`` and not yet superseded then; None if there is none.
    """
    _check_choice("kind", kind, FORECAST_KINDS)
    runs = forecast_runs
    query = select(runs).where(runs.c.kind == kind)
    if as_of is None:
        query = query.where(runs.c.status == "published")
    else:
        at = to_utc(as_of, "as_of")
        query = query.where(
            runs.c.published_at <= at,
            runs.c.superseded_at.is_(None) | (runs.c.superseded_at > at),
        )
    query = query.order_by(runs.c.issued_at.desc(), runs.c.published_at.desc(), runs.c.id.desc())
    row = connection.execute(query.limit(1)).mappings().first()
    return None if row is None else _run_info(row)


def published_for_issue(
    connection: Connection, kind: str, issued_at: datetime | str
) -> list[RunInfo]:
    """Return every published version (current and superseded) of one issue, by version."""
    _check_choice("kind", kind, FORECAST_KINDS)
    runs = forecast_runs
    query = (
        select(runs)
        .where(
            runs.c.kind == kind,
            runs.c.issued_at == to_utc(issued_at, "issued_at"),
            runs.c.published_at.is_not(None),
        )
        .order_by(runs.c.version)
    )
    return [_run_info(row) for row in connection.execute(query).mappings()]


def _run_row(
    kind: str,
    issued_at: datetime | str,
    *,
    model_versions: Mapping[str, Any],
    standard_edition: str,
    data_cutoff: datetime | str,
    degraded: bool,
    degraded_reasons: Sequence[str],
    inputs: Mapping[str, Any],
    timezone: str,
    actor: str,
) -> dict[str, Any]:
    _check_choice("kind", kind, FORECAST_KINDS)
    issued = to_utc(issued_at, "issued_at")
    cutoff = to_utc(data_cutoff, "data_cutoff")
    if cutoff > issued:
        raise InputDataError(
            f"data_cutoff {cutoff.isoformat()} is after issued_at {issued.isoformat()}; a run "
            "can only use data known at its issue time"
        )
    if (
        not isinstance(standard_edition, str)
        or not standard_edition.strip()
        or len(standard_edition) > 64
    ):
        raise InputDataError(
            f"standard_edition must be a standards table id (1-64 characters); got "
            f"{standard_edition!r}"
        )
    if not isinstance(degraded, bool | np.bool_):
        raise InputDataError(f"degraded must be True or False; got {degraded!r}")
    reasons = _reasons(degraded_reasons)
    if degraded and not reasons:
        raise InputDataError(
            "a degraded run needs degraded_reasons (why inputs were stale or missing)"
        )
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise InputDataError(
            f"timezone {timezone!r} is not an IANA time zone; use e.g. 'Asia/Shanghai'"
        ) from None
    return {
        "kind": kind,
        "issued_at": issued,
        "data_cutoff": cutoff,
        "model_versions": _json_object(model_versions, "model_versions"),
        "standard_edition": standard_edition,
        "degraded": bool(degraded),
        "degraded_reasons": reasons,
        "inputs": _json_object(inputs, "inputs"),
        "timezone": timezone,
        "created_by": check_actor(actor, "actor"),
    }


def _reasons(values: Sequence[str]) -> list[str]:
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise InputDataError(f"degraded_reasons must be a list of text; got {values!r}")
    bad = [v for v in values if not isinstance(v, str) or not v.strip()]
    if bad:
        raise InputDataError(f"degraded_reasons must be non-empty texts; got {bad[:10]!r}")
    return list(values)


def _json_object(value: Mapping[str, Any], name: str) -> dict[str, Any]:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise InputDataError(f"{name} must be a mapping with text keys; got {value!r}")
    try:
        loaded: dict[str, Any] = json.loads(json.dumps(dict(value), allow_nan=False))
    except (TypeError, ValueError) as error:
        raise InputDataError(
            f"{name} is not JSON-serialisable ({error}); use str, int, float (finite), bool, "
            "None, lists and dicts (times as ISO text)"
        ) from None
    return loaded


def _check_choice(what: str, value: object, options: tuple[str, ...]) -> None:
    if value not in options:
        raise InputDataError(f"unknown {what} {value!r}; choose one of: {', '.join(options)}")


def _run_info(row: RowMapping) -> RunInfo:
    return RunInfo(
        id=int(row["id"]),
        kind=row["kind"],
        issued_at=row["issued_at"],
        status=row["status"],
        version=int(row["version"]),
        model_versions=dict(row["model_versions"]),
        standard_edition=row["standard_edition"],
        data_cutoff=row["data_cutoff"],
        degraded=bool(row["degraded"]),
        degraded_reasons=tuple(row["degraded_reasons"] or ()),
        inputs=dict(row["inputs"] or {}),
        timezone=row["timezone"] or "",
        created_at=row["created_at"],
        published_at=row["published_at"],
        published_by=row["published_by"],
        source_run_id=None if row["source_run_id"] is None else int(row["source_run_id"]),
        horizon_h=int(row["horizon_h"] or 0),
        created_by=row["created_by"] or "",
        superseded_at=row["superseded_at"],
    )


def _frame_items(frames: RunFrames) -> list[tuple[str, dict[str, npt.NDArray[Any]]]]:
    return [("hourly", frames.hourly), ("daily", frames.daily), ("aqi", frames.aqi)]


def _insert_frames(connection: Connection, run_id: int, frames: RunFrames) -> None:
    hourly = dict(frames.hourly)
    hourly["valid_at"] = _time_texts(hourly["valid_at"], connection.dialect.name)
    for table, columns in ((forecasts, hourly), (forecast_daily, frames.daily)):
        n = len(columns["entity"])
        if n:
            names = ["run_id", *columns]
            arrays = [np.full(n, run_id, dtype=np.int64), *columns.values()]
            bulk_insert(connection, table.name, names, arrays)
    # A few rows per entity; through SQLAlchemy, because COPY's CSV would turn the
    # empty primary_pollutant text ('' when AQI <= 50) into NULL.
    aqi = dict(frames.aqi)
    for name in MODEL_COPIED_FIELDS:
        aqi[f"model_{name}"] = aqi[name]
    codes, uniques = pd.factorize(aqi["date"])
    aqi["date"] = np.array([date.fromisoformat(d) for d in uniques], dtype=object)[codes]
    names = list(aqi)
    rows = [
        {"run_id": run_id, **dict(zip(names, values, strict=True))}
        for values in zip(*(aqi[n].tolist() for n in names), strict=True)
    ]
    if rows:
        connection.execute(insert(forecast_aqi), rows)


def _time_texts(seconds: npt.NDArray[np.int64], dialect: str) -> npt.NDArray[Any]:
    """Format epoch seconds as the backend's text for a ``UTCDateTime`` column.

    SQLite keeps SQLAlchemy's ``YYYY-MM-DD HH:MM:SS.ffffff`` (naive UTC) so
    that bound parameters compare equal; PostgreSQL reads ISO 8601 with an
    offset. Only the distinct times (a run has about 80) are formatted.
    """
    codes, uniques = pd.factorize(seconds)
    iso = np.datetime_as_string(
        np.asarray(uniques, dtype=np.int64).astype("datetime64[s]"), unit="s"
    )
    if dialect == "sqlite":
        texts = [t.replace("T", " ") + ".000000" for t in iso]
    else:
        texts = [t + "+00:00" for t in iso]
    return np.array(texts, dtype=object)[codes]
