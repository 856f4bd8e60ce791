"""Observations: revisioned writes and the one as-of read path.

Every observed value is a row keyed by (station, variable, valid time,
revision). Nothing is updated in place: writing a value that differs from the
stored one (in value or QC flags) adds a revision, so the store can answer
"what was known at time T" for any T.

Availability (what makes backtests honest)
------------------------------------------
Each revision records ``ingested_at`` (when ecocast received it) and
``available_at`` (when a forecaster could have known it):

* revision 1 of a key: ``min(ingested_at, valid_at + available_lag)``. A bulk
  load of history in 2026 must not pretend that 2014 data were unknown in
  2014; real-time feeds publish about an hour after the hour, so the default
  lag is one hour. A value ingested sooner than that counts from its
  ingestion.
* later revisions (corrections, QC changes): ``ingested_at``. A correction is
  known only from the moment it was received.

An as-of read at time T returns, per key, the latest revision with
``available_at <= T``. To make that a plain range filter, each revision also
stores ``superseded_at``: the earliest ``available_at`` of any later revision
of the same key (NULL while none exists). Revision r is the answer at T
exactly when ``available_at <= T < superseded_at``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    Double,
    Integer,
    MetaData,
    Table,
    and_,
    case,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    update,
)

from forecasting.errors import InputDataError
from forecasting.storage._bulk import bulk_insert, epoch_seconds, seconds
from forecasting.storage._validate import rows_of, validate_observations
from forecasting.storage.schema import observations, sources, variables
from forecasting.storage.stations import station_ids

__all__ = ["DEFAULT_AVAILABLE_LAG", "WriteSummary", "write_observations"]

DEFAULT_AVAILABLE_LAG = timedelta(hours=1)
_KEY = ("station_id", "variable_id", "valid_at")
_PAYLOAD = (*_KEY, "value", "qc_flags", "source_id")


@dataclass(frozen=True)
class WriteSummary:
    """What one call of :func:`write_observations` did.

    Attributes
    ----------
    inserted : int
        Keys seen for the first time (stored as revision 1).
    revised : int
        Keys whose value or flags changed (stored as a new revision).
    unchanged : int
        Keys whose value and flags equal the latest revision (nothing stored).
    """

    inserted: int
    revised: int
    unchanged: int

    @property
    def total(self) -> int:
        """Rows in the written frame."""
        return self.inserted + self.revised + self.unchanged


def write_observations(
    connection: Connection,
    frame: pd.DataFrame,
    *,
    ingested_at: datetime,
    available_lag: timedelta = DEFAULT_AVAILABLE_LAG,
) -> WriteSummary:
    """Store observations as new keys or new revisions; unchanged values are skipped.

    Call inside one write transaction (:meth:`forecasting.storage.Store.write_observations`
    does): a frame is stored whole or not at all.

    Parameters
    ----------
    connection : sqlalchemy.Connection
        A connection inside a write transaction.
    frame : pandas.DataFrame
        Tidy observations: ``station``, ``variable``, ``valid_at`` (tz-aware),
        ``value`` (canonical units, NaN where the publisher blanked a value),
        ``qc_flags`` (int bitmask) and ``source``. See
        :func:`forecasting.storage._validate.validate_observations`.
    ingested_at : datetime
        When this data was received (timezone-aware).
    available_lag : timedelta, optional
        Publication delay assumed for first revisions (module docstring).
        Default one hour.

    Returns
    -------
    WriteSummary
        Counts of inserted, revised and unchanged keys. Writing the same frame
        twice gives ``inserted == revised == 0`` the second time. The
        ``source`` of an unchanged value is not updated.

    Raises
    ------
    forecasting.errors.InputDataError
        For an invalid frame, or stations that are not registered (named,
        with their rows).
    """
    ingested = epoch_seconds(ingested_at, "ingested_at")
    lag = seconds(available_lag, "available_lag")
    batch = validate_observations(frame)
    if len(batch) == 0:
        return WriteSummary(0, 0, 0)
    known = station_ids(connection, batch.stations)
    unknown = [s for s in batch.stations if s not in known]
    if unknown:
        mask = np.isin(batch.station_codes, [batch.stations.index(s) for s in unknown])
        raise InputDataError(
            f"unknown station(s) {', '.join(map(repr, unknown[:10]))} at "
            f"{rows_of(batch.index, mask)}; register them with Store.upsert_stations first"
        )
    variable_ids = _ensure(connection, variables, batch.variables)
    source_ids = _ensure(connection, sources, batch.sources)
    payload = [
        _ids(batch.station_codes, batch.stations, known),
        _ids(batch.variable_codes, batch.variables, variable_ids),
        batch.valid_at,
        batch.value,
        batch.qc_flags,
        _ids(batch.source_codes, batch.sources, source_ids),
    ]
    stage = _temp_table("ecocast_obs_stage")
    stage.create(connection)
    bulk_insert(connection, stage.name, _PAYLOAD, payload)
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"ANALYZE {stage.name}")
    summary = _merge_stage(connection, stage, ingested=ingested, lag=lag, rows=len(batch))
    stage.drop(connection)
    return summary


def _ids(
    codes: npt.NDArray[np.int64], names: list[str], ids: dict[str, int]
) -> npt.NDArray[np.int64]:
    return np.array([ids[n] for n in names], dtype=np.int64)[codes]


def _ensure(connection: Connection, table: Table, names: list[str]) -> dict[str, int]:
    query = select(table.c.name, table.c.id).where(table.c.name.in_(names))
    found = {name: int(pk) for name, pk in connection.execute(query)}
    new = [{"name": n} for n in names if n not in found]
    if new:
        connection.execute(insert(table), new)
        found = {name: int(pk) for name, pk in connection.execute(query)}
    return found


def _temp_table(name: str, *extra: Column[int]) -> Table:
    return Table(
        name,
        MetaData(),
        Column("station_id", Integer, nullable=False),
        Column("variable_id", Integer, nullable=False),
        Column("valid_at", BigInteger, nullable=False),
        Column("value", Double),
        Column("qc_flags", Integer, nullable=False),
        Column("source_id", Integer, nullable=False),
        *extra,
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )


def _same_key(a: Table, b: Table) -> ColumnElement[bool]:
    return and_(*(a.c[k] == b.c[k] for k in _KEY))


def _merge_stage(
    connection: Connection, stage: Table, *, ingested: int, lag: int, rows: int
) -> WriteSummary:
    obs = observations
    current = and_(_same_key(obs, stage), obs.c.superseded_at.is_(None))
    matched = int(
        connection.scalar(select(func.count()).select_from(stage.join(obs, current))) or 0
    )
    revised = 0
    if matched:
        revised = _add_revisions(connection, stage, current, ingested=ingested)
    if matched < rows:
        _add_first_revisions(connection, stage, ingested=ingested, lag=lag, check=matched > 0)
    return WriteSummary(inserted=rows - matched, revised=revised, unchanged=matched - revised)


def _add_revisions(
    connection: Connection, stage: Table, current: ColumnElement[bool], *, ingested: int
) -> int:
    obs = observations
    changes = _temp_table("ecocast_obs_changes", Column("revision", Integer, nullable=False))
    changes.create(connection)
    differs = or_(obs.c.value.is_distinct_from(stage.c.value), obs.c.qc_flags != stage.c.qc_flags)
    picked = select(*(stage.c[c] for c in _PAYLOAD), (obs.c.revision + 1).label("revision"))
    connection.execute(
        insert(changes).from_select(
            [*_PAYLOAD, "revision"], picked.join_from(stage, obs, current).where(differs)
        )
    )
    revised = int(connection.scalar(select(func.count()).select_from(changes)) or 0)
    if revised:
        at = literal(ingested, BigInteger)
        connection.execute(
            update(obs)
            .where(
                _same_key(obs, changes),
                or_(obs.c.superseded_at.is_(None), obs.c.superseded_at > at),
            )
            .values(superseded_at=at)
        )
        connection.execute(
            insert(obs).from_select(
                [*_PAYLOAD, "revision", "ingested_at", "available_at", "superseded_at"],
                select(*(changes.c[c] for c in _PAYLOAD), changes.c.revision, at, at, null()),
            )
        )
    changes.drop(connection)
    return revised


def _add_first_revisions(
    connection: Connection, stage: Table, *, ingested: int, lag: int, check: bool
) -> None:
    obs = observations
    at = literal(ingested, BigInteger)
    published = stage.c.valid_at + literal(lag, BigInteger)
    picked = select(
        *(stage.c[c] for c in _PAYLOAD),
        literal(1, Integer),
        at,
        case((published < at, published), else_=at),
        null(),
    ).order_by(*(stage.c[k] for k in _KEY))
    if check:
        picked = picked.where(~select(obs.c.revision).where(_same_key(obs, stage)).exists())
    connection.execute(
        insert(obs).from_select(
            [*_PAYLOAD, "revision", "ingested_at", "available_at", "superseded_at"], picked
        )
    )
