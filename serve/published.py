"""The published runs the public endpoints show, and their cached response bodies.

Public endpoints only ever show published runs: the latest one (by issue time,
among the runs published at or before ``as_of``) or one named by id whose
status is ``published`` or ``superseded``. Drafts are invisible: asking for one
by id is a 404, exactly like asking for a run that does not exist.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Hashable
from typing import Final

from fastapi.concurrency import run_in_threadpool

from forecasting.errors import RunNotFoundError
from forecasting.storage.issuance import RunInfo
from serve.caching import CachedBody, cached_body
from serve.errors import ApiError
from serve.state import ApiState

__all__ = ["FORECAST_KIND", "PUBLIC_STATUSES", "cached", "latest_run", "public_run"]

FORECAST_KIND: Final = "air"
"""Kind of the runs that the forecast endpoints serve."""
PUBLIC_STATUSES: Final = frozenset({"published", "superseded"})
"""Statuses of the runs that the public may see."""


async def latest_run(state: ApiState, as_of: dt.datetime | None) -> RunInfo:
    """Return the latest published air run, as known at ``as_of`` (None: now).

    Parameters
    ----------
    state : ApiState
        The app's state; the run for ``as_of=None`` is remembered for a few
        seconds (:class:`~serve.caching.LatestRunCache`).
    as_of : datetime or None
        Only runs published at or before this time count [UTC].

    Raises
    ------
    serve.errors.ApiError
        404 when no run was published (by ``as_of``).
    """
    store = state.store
    if as_of is None:
        fresh, run = state.latest_run.peek()
        if not fresh:
            run = state.latest_run.set(
                await run_in_threadpool(store.latest_published, FORECAST_KIND)
            )
    else:
        run = await run_in_threadpool(store.latest_published, FORECAST_KIND, as_of=as_of)
    if run is None:
        when = f" as of {as_of.isoformat()}" if as_of is not None else ""
        raise ApiError(404, f"no published {FORECAST_KIND} forecast{when}")
    return run


def public_run(state: ApiState, run_id: int) -> RunInfo:
    """Return run ``run_id`` if the public may see it (published or superseded).

    Raises
    ------
    serve.errors.ApiError
        404 for an unknown run and for a draft (drafts are not revealed).
    """
    try:
        run = state.store.get_run(run_id)
    except RunNotFoundError:
        run = None
    if run is None or run.status not in PUBLIC_STATUSES:
        raise ApiError(404, f"no published forecast run {run_id}")
    return run


async def cached(state: ApiState, key: Hashable, build: Callable[[], bytes]) -> CachedBody:
    """Return the body under ``key``, building it once in a worker thread on a miss.

    Concurrent requests for a body that is being built wait for that one build
    (no stampede of identical store reads when a new run is published).

    Parameters
    ----------
    state : ApiState
        The app's state (its :class:`~serve.caching.ResponseCache` and the
        builds under way).
    key : hashable
        What determines the body; it must include the id and version of every
        run the body shows.
    build : callable
        Returns the body (JSON bytes); may read the store and may raise
        :class:`~serve.errors.ApiError` (nothing is cached then, and every
        waiting request gets the error).
    """
    found = state.responses.get(key)
    if found is not None:
        return found
    pending = state.building.get(key)
    if pending is None or pending.get_loop() is not asyncio.get_running_loop():
        pending = asyncio.ensure_future(_build_and_store(state, key, build))
        state.building[key] = pending
    return await asyncio.shield(pending)


async def _build_and_store(
    state: ApiState, key: Hashable, build: Callable[[], bytes]
) -> CachedBody:
    try:
        body = await run_in_threadpool(build)
        return state.responses.put(key, cached_body(body))
    finally:
        state.building.pop(key, None)
