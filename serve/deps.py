"""Dependencies of the routes: the app's state, its store and time parameters.

Routes declare ``state: StateDep`` or ``store: StoreDep``; tests may replace
:func:`get_state` through ``app.dependency_overrides``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Final

from fastapi import Depends, Request

from forecasting.storage import Store
from serve.errors import ApiError
from serve.state import ApiState

__all__ = [
    "EARLIEST_TIME",
    "LATEST_TIME",
    "StateDep",
    "StoreDep",
    "get_state",
    "get_store",
    "state_of",
    "utc_time",
]

EARLIEST_TIME: Final = datetime(1970, 1, 1, tzinfo=UTC)
"""Earliest time a request may name (``as_of``, ``end``, ``issued_at``)."""
LATEST_TIME: Final = datetime(2200, 1, 1, tzinfo=UTC)
"""Latest time a request may name (pandas timestamps end in 2262)."""


def state_of(request: Request) -> ApiState:
    """Return the :class:`~serve.state.ApiState` of the app serving ``request``.

    Hot routes call this directly instead of declaring ``StateDep``: each FastAPI
    dependency costs about 20 µs per request.
    """
    state: ApiState = request.app.state.api
    return state


async def get_state(request: Request) -> ApiState:
    """Return the app's state (as a dependency; see :func:`state_of`).

    A coroutine, like :func:`get_store`, so that FastAPI calls it on the event loop
    instead of in a worker thread (a thread hop per request would double the cost of
    a cached response).
    """
    return state_of(request)


async def get_store(state: Annotated[ApiState, Depends(get_state)]) -> Store:
    """Return the app's store."""
    return state.store


StateDep = Annotated[ApiState, Depends(get_state)]
StoreDep = Annotated[Store, Depends(get_store)]


def utc_time(value: datetime | None, name: str) -> datetime | None:
    """Check a time parameter and return it in UTC.

    Parameters
    ----------
    value : datetime or None
        The parsed parameter; None passes through.
    name : str
        Parameter name, for the message.

    Returns
    -------
    datetime or None
        ``value`` converted to UTC.

    Raises
    ------
    serve.errors.ApiError
        422 when ``value`` has no UTC offset or lies outside 1970–2200.
    """
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ApiError(
            422,
            f"{name}={value.isoformat()} has no UTC offset; "
            f"write e.g. {name}=2016-02-29T16:00:00+08:00",
        )
    try:
        utc = value.astimezone(UTC)
    except (OverflowError, ValueError):
        utc = None
    if utc is None or not EARLIEST_TIME <= utc < LATEST_TIME:
        raise ApiError(
            422,
            f"{name}={value.isoformat()} is out of range; give a time from "
            f"{EARLIEST_TIME.isoformat()} to before {LATEST_TIME.isoformat()}",
        )
    return utc
