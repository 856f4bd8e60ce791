"""Forecaster endpoints: read any run, edit a draft, publish it, revise a published run.

Every endpoint needs a bearer token of role ``forecaster`` or ``admin``
(:mod:`serve.auth`); the token's name is the author recorded with each edit
and publication in the audit trail. Publishing through the app makes its
public endpoints show the new version at once.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

import pandas as pd
from fastapi import APIRouter, Path, Query, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, TypeAdapter

from forecasting.storage.issuance_audit import run_object
from serve.auth import ForecasterDep
from serve.caching import CACHE_NO_STORE
from serve.deps import StateDep
from serve.errors import ApiError
from serve.routes_forecasts import ENTITY_PATTERN
from serve.schemas import (
    AuditEntry,
    Edit,
    EditCreate,
    EntityKind,
    ErrorBody,
    HourlyForecast,
    ReviewDaily,
    RunDetail,
)
from serve.state import ApiState
from serve.views import hourly_items, of_kind, review_days, run_detail, run_public

__all__ = ["router"]

router = APIRouter(prefix="/review", tags=["review"])

_ERRORS: Final[dict[int | str, dict[str, Any]]] = {
    401: {"model": ErrorBody, "description": "no valid bearer token"},
    403: {"model": ErrorBody, "description": "the token's role may not do this"},
    404: {"model": ErrorBody, "description": "no such run or entity"},
    409: {"model": ErrorBody, "description": "the run's status forbids it"},
    422: {"model": ErrorBody, "description": "invalid parameters or body"},
}
_NO_STORE: Final = {"Cache-Control": CACHE_NO_STORE}

RunId = Annotated[int, Path(ge=1, le=2**31 - 1, description="run id")]
Entity = Annotated[str, Path(pattern=ENTITY_PATTERN, description="station code or city")]
Kind = Annotated[EntityKind, Query(description="whether the entity is a station or a city")]


_LIST: Final = TypeAdapter(list[Any])


def _json(payload: BaseModel | list[Any], status: int = 200) -> Response:
    body = _LIST.dump_json(payload) if isinstance(payload, list) else payload.model_dump_json()
    return Response(body, status_code=status, media_type="application/json", headers=_NO_STORE)


@router.get("/runs", response_model=list[RunDetail], responses=_ERRORS)
async def review_runs(
    state: StateDep,
    _token: ForecasterDep,
    status: Annotated[
        Literal["draft", "published", "superseded"] | None,
        Query(description="only runs of this status; default all"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Response:
    """List runs of any status, newest issue first."""
    runs = await run_in_threadpool(state.store.list_runs, "air", status=status, limit=limit)
    return _json([run_detail(r) for r in runs])


@router.get("/runs/{run_id}", response_model=RunDetail, responses=_ERRORS)
async def review_run(state: StateDep, _token: ForecasterDep, run_id: RunId) -> Response:
    """Show one run of any status, with its inputs and provenance."""
    return _json(run_detail(await run_in_threadpool(state.store.get_run, run_id)))


def _hourly(state: ApiState, run_id: int, entity: str, kind: EntityKind) -> HourlyForecast:
    run = state.store.get_run(run_id)
    frame = of_kind(state.store.read_run_hourly(run_id, entity=entity), kind)
    if frame.empty:
        raise ApiError(404, f"{kind} {entity!r} has no hourly forecast in run {run_id}")
    return HourlyForecast(
        run=run_public(run), entity=entity, entity_kind=kind, items=hourly_items(frame)
    )


@router.get(
    "/runs/{run_id}/entities/{entity}/hourly", response_model=HourlyForecast, responses=_ERRORS
)
async def review_hourly(
    state: StateDep,
    _token: ForecasterDep,
    run_id: RunId,
    entity: Entity,
    entity_kind: Kind = "station",
) -> Response:
    """Return the hourly forecasts of a station or city in any run (six pollutants)."""
    return _json(await run_in_threadpool(_hourly, state, run_id, entity, entity_kind))


def _edits(state: ApiState, run_id: int, entity: str) -> list[Edit]:
    found = state.store.list_edits(run_id, entity=entity)
    return [Edit.model_validate(edit, from_attributes=True) for edit in found]


def _daily(state: ApiState, run_id: int, entity: str, kind: EntityKind) -> ReviewDaily:
    run = state.store.get_run(run_id)
    aqi = of_kind(state.store.read_run_aqi(run_id, entity=entity), kind)
    if aqi.empty:
        raise ApiError(404, f"{kind} {entity!r} has no daily forecast in run {run_id}")
    daily = of_kind(state.store.read_run_daily(run_id, entity=entity), kind)
    days = review_days(aqi, daily, _edits(state, run_id, entity))
    return ReviewDaily(run=run_detail(run), entity=entity, entity_kind=kind, days=days)


@router.get("/runs/{run_id}/entities/{entity}/daily", response_model=ReviewDaily, responses=_ERRORS)
async def review_daily(
    state: StateDep,
    _token: ForecasterDep,
    run_id: RunId,
    entity: Entity,
    entity_kind: Kind = "station",
) -> Response:
    """Return a station's or city's days: current values, the model's, and the edits."""
    return _json(await run_in_threadpool(_daily, state, run_id, entity, entity_kind))


@router.post("/runs/{run_id}/edits", response_model=Edit, status_code=201, responses=_ERRORS)
async def edit_run(
    state: StateDep, token: ForecasterDep, run_id: RunId, edit: EditCreate
) -> Response:
    """Change the AQI range, level or primary pollutant of one entity-day of a draft."""

    def apply() -> Edit:
        info = state.store.edit_run(
            run_id,
            entity=edit.entity,
            date=edit.date,
            field=edit.field,
            value=edit.value,
            reason=edit.reason,
            author=token.name,
        )
        return Edit.model_validate(info, from_attributes=True)

    return _json(await run_in_threadpool(apply), status=201)


@router.post("/runs/{run_id}/publish", response_model=RunDetail, responses=_ERRORS)
async def publish_run(state: StateDep, token: ForecasterDep, run_id: RunId) -> Response:
    """Publish a draft atomically, as the next version of its issue time."""
    run = await run_in_threadpool(state.store.publish_run, run_id, author=token.name)
    state.forget_published()
    return _json(run_detail(run))


@router.post("/runs/{run_id}/revise", response_model=RunDetail, status_code=201, responses=_ERRORS)
async def revise_run(state: StateDep, token: ForecasterDep, run_id: RunId) -> Response:
    """Copy a published run into a new draft, to be edited and published as the next version."""
    run = await run_in_threadpool(state.store.revise_run, run_id, author=token.name)
    return _json(run_detail(run), status=201)


def _audit(state: ApiState, run_id: int, limit: int) -> list[AuditEntry]:
    state.store.get_run(run_id)  # 404 for an unknown run
    frame = state.store.read_audit(object=run_object(run_id), limit=limit)
    return [
        AuditEntry(
            id=int(row["id"]),
            at=pd.Timestamp(row["at"]).to_pydatetime(),
            actor=str(row["actor"]),
            action=str(row["action"]),
            object=str(row["object"]),
            before=row["before"],
            after=row["after"],
        )
        for row in frame.to_dict("records")
    ]


@router.get("/runs/{run_id}/audit", response_model=list[AuditEntry], responses=_ERRORS)
async def run_audit(
    state: StateDep,
    _token: ForecasterDep,
    run_id: RunId,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 200,
) -> Response:
    """Show the audit trail of a run: who did what when, with the values before and after."""
    return _json(await run_in_threadpool(_audit, state, run_id, limit))
