"""Publishing a draft as the next version of its issue, and revising a published version.

See :mod:`forecasting.storage.issuance` for a run's life. Both steps run in
the caller's write transaction together with their audit entries, so a
failure half-way leaves every run as it was:

* :func:`publish_run` gives a draft ``version`` = 1 + the highest version
  published for its (kind, issued_at) so far, and marks the run that was
  published for that issue ``superseded`` (with ``superseded_at``), so
  :func:`forecasting.storage.issuance.latest_published` can replay what was
  public at any time.
* :func:`revise_run` copies the current published version, with its frames
  (edited values and model values), into a new draft.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Integer, func, insert, literal, select, update

from forecasting.errors import RunStateError
from forecasting.storage.issuance import RunInfo, check_actor, get_run
from forecasting.storage.issuance_audit import run_object, write_audit
from forecasting.storage.schema import (
    forecast_aqi,
    forecast_daily,
    forecast_runs,
    forecasts,
    publications,
)

__all__ = ["publish_run", "revise_run"]


def publish_run(connection: Connection, run_id: int, *, author: str, at: datetime) -> RunInfo:
    """Publish a draft as the next version of its issue; supersede the current one.

    Parameters
    ----------
    connection : sqlalchemy.Connection
        A connection inside a write transaction.
    run_id : int
        The draft.
    author : str
        Who publishes.
    at : datetime
        Publication time (the store's current time).

    Returns
    -------
    RunInfo
        The published run.

    Raises
    ------
    forecasting.errors.RunNotFoundError
        For an unknown run.
    forecasting.errors.RunStateError
        When the run is not a draft.
    """
    who = check_actor(author, "author")
    run = get_run(connection, run_id)
    if run.status != "draft":
        raise RunStateError(
            f"forecast run {run.id} is {run.status} (version {run.version}); only a draft can "
            "be published; revise it (revise_run) to publish a new version"
        )
    runs = forecast_runs
    same_issue = (runs.c.kind == run.kind) & (runs.c.issued_at == run.issued_at)
    highest = connection.scalar(
        select(func.max(runs.c.version)).where(same_issue, runs.c.published_at.is_not(None))
    )
    version = int(highest or 0) + 1
    current = [
        int(i)
        for i in connection.scalars(
            select(runs.c.id).where(same_issue, runs.c.status == "published")
        )
    ]
    if current:
        connection.execute(
            update(runs).where(runs.c.id.in_(current)).values(status="superseded", superseded_at=at)
        )
    connection.execute(
        update(runs)
        .where(runs.c.id == run.id)
        .values(status="published", version=version, published_at=at, published_by=who)
    )
    connection.execute(
        insert(publications).values(
            run_id=run.id, version=version, published_at=at, published_by=who
        )
    )
    for old in current:
        write_audit(
            connection,
            at=at,
            actor=who,
            action="supersede",
            object=run_object(old),
            before={"status": "published"},
            after={"status": "superseded", "superseded_by": run.id},
        )
    write_audit(
        connection,
        at=at,
        actor=who,
        action="publish",
        object=run_object(run.id),
        before={"status": "draft", "version": 0},
        after={"status": "published", "version": version, "superseded": current},
    )
    return get_run(connection, run.id)


def revise_run(connection: Connection, run_id: int, *, author: str, at: datetime) -> RunInfo:
    """Copy the current published version of an issue into a new draft.

    The draft keeps the run's metadata and its (possibly edited) values with
    their model copies, and records ``source_run_id``; publishing it makes the
    next version.

    Raises
    ------
    forecasting.errors.RunNotFoundError
        For an unknown run.
    forecasting.errors.RunStateError
        When the run is not the published (current) version.
    """
    who = check_actor(author, "author")
    source = get_run(connection, run_id)
    if source.status != "published":
        hint = "edit the draft itself" if source.status == "draft" else "revise the current version"
        raise RunStateError(
            f"forecast run {source.id} is {source.status}; only the published version can be "
            f"revised; {hint}"
        )
    runs = forecast_runs
    copied = [
        c.name
        for c in runs.c
        if c.name not in {"id", "status", "version", "created_at", "created_by"}
        and c.name not in {"published_at", "published_by", "superseded_at", "source_run_id"}
    ]
    new_id = int(
        connection.execute(
            insert(runs)
            .from_select(
                [*copied, "status", "version", "created_at", "created_by", "source_run_id"],
                select(
                    *(runs.c[c] for c in copied),
                    literal("draft"),
                    literal(0, Integer),
                    literal(at, runs.c.created_at.type),
                    literal(who),
                    literal(source.id, Integer),
                ).where(runs.c.id == source.id),
            )
            .returning(runs.c.id)
        ).scalar_one()
    )
    for table in (forecasts, forecast_daily, forecast_aqi):
        names = [c.name for c in table.c if c.name != "run_id"]
        connection.execute(
            insert(table).from_select(
                ["run_id", *names],
                select(literal(new_id, Integer), *(table.c[c] for c in names)).where(
                    table.c.run_id == source.id
                ),
            )
        )
    write_audit(
        connection,
        at=at,
        actor=who,
        action="revise",
        object=run_object(new_id),
        after={"status": "draft", "source_run_id": source.id, "source_version": source.version},
    )
    return get_run(connection, new_id)
