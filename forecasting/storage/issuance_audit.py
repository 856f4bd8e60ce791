"""The audit trail: who did what to which object, when, with the values before and after.

Every write of the issuance workflow and of the API tokens appends one row to
``audit_log`` inside its own transaction, so an action and its audit entry
are stored together or not at all. Objects are named ``"run:<id>"`` (a
forecast run: create, edit, publish, supersede, revise) and
``"token:<id>"`` (an API token: create_token, revoke_token).
``before`` and ``after`` are JSON objects (or ``None``); a token's plaintext
or hash never enters them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection, insert, select

from forecasting.errors import InputDataError
from forecasting.storage.schema import audit_log

__all__ = ["AUDIT_COLUMNS", "read_audit", "run_object", "token_object", "write_audit"]

#: Columns of :func:`read_audit`, in order.
AUDIT_COLUMNS = ("id", "at", "actor", "action", "object", "before", "after")
_MAX_LIMIT = 10_000


def run_object(run_id: int) -> str:
    """Return the audit object name of a forecast run."""
    return f"run:{run_id}"


def token_object(token_id: int) -> str:
    """Return the audit object name of an API token."""
    return f"token:{token_id}"


def write_audit(
    connection: Connection,
    *,
    at: datetime,
    actor: str,
    action: str,
    object: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> int:
    """Append one entry to the audit trail.

    Parameters
    ----------
    connection : sqlalchemy.Connection
        A connection inside the write transaction of the audited action.
    at : datetime
        When (timezone-aware).
    actor : str
        Who: a user name or ``"system"``.
    action : str
        What, e.g. ``"publish"``.
    object : str
        Which object (:func:`run_object`, :func:`token_object`).
    before, after : dict, optional
        JSON-serialisable state before and after.

    Returns
    -------
    int
        The entry's id.
    """
    return int(
        connection.execute(
            insert(audit_log)
            .values(at=at, actor=actor, action=action, object=object, before=before, after=after)
            .returning(audit_log.c.id)
        ).scalar_one()
    )


def read_audit(
    connection: Connection, *, object: str | None = None, limit: int = 200
) -> pd.DataFrame:
    """Return the most recent audit entries, oldest first.

    Parameters
    ----------
    connection : sqlalchemy.Connection
        An open connection.
    object : str, optional
        Only entries about this object, e.g. ``"run:12"``.
    limit : int, optional
        At most this many entries (the most recent ones), 1 to 10,000.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`AUDIT_COLUMNS`: ``id`` (int64), ``at`` (UTC),
        ``actor``, ``action``, ``object``, ``before`` and ``after`` (dict or
        None), in the order the entries were written.

    Raises
    ------
    forecasting.errors.InputDataError
        For a limit outside 1 to 10,000.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= _MAX_LIMIT:
        raise InputDataError(f"audit limit must be an integer 1..{_MAX_LIMIT}; got {limit!r}")
    query = select(*(audit_log.c[c] for c in AUDIT_COLUMNS)).order_by(audit_log.c.id.desc())
    if object is not None:
        query = query.where(audit_log.c.object == object)
    rows = connection.execute(query.limit(limit)).all()[::-1]
    frame = pd.DataFrame(
        {c: [row[i] for row in rows] for i, c in enumerate(AUDIT_COLUMNS)},
        columns=list(AUDIT_COLUMNS),
    )
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    dtypes: dict[str, Any] = {
        "id": "int64",
        "at": "datetime64[us, UTC]",
        "actor": "str",
        "action": "str",
        "object": "str",
        "before": "object",
        "after": "object",
    }
    return frame.astype(dtypes)
