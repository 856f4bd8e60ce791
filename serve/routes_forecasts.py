"""Public forecast endpoints: the latest published forecast per station or city, and runs.

``/forecasts/latest/...`` serve the latest published air run (or the one that
was latest at ``as_of``); the serialized body of each (run, version, entity,
variables) is built once and then answered from the app's cache, with its ETag.
``/forecasts/runs`` list published runs; drafts never appear.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Final

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import TypeAdapter

from forecasting.storage.issuance import RunInfo
from serve.caching import body_response, cached_body
from serve.deps import StateDep, state_of, utc_time
from serve.errors import ApiError
from serve.published import FORECAST_KIND, cached, latest_run, public_run
from serve.schemas import (
    NAME_PATTERN,
    DailyForecast,
    EntityKind,
    ErrorBody,
    HourlyForecast,
    RunPublic,
)
from serve.state import ApiState
from serve.views import daily_days, hourly_items, of_kind, run_public

__all__ = ["ENTITY_PATTERN", "HOURLY_VARIABLES", "router"]

HOURLY_VARIABLES: Final = ("pm25", "pm10", "so2", "no2", "co", "o3")
"""Variables of the hourly forecasts, in the order responses list them."""
_ONE = "|".join(HOURLY_VARIABLES)
_VARIABLES_PATTERN: Final = rf"^({_ONE})(,({_ONE}))*$"
ENTITY_PATTERN: Final = NAME_PATTERN
"""Station codes and city names in paths (see :data:`serve.schemas.NAME_PATTERN`)."""

_ERRORS: Final[dict[int | str, dict[str, object]]] = {
    304: {"description": "Not Modified: the client's copy (If-None-Match) is current"},
    404: {"model": ErrorBody, "description": "no published forecast for it"},
    422: {"model": ErrorBody, "description": "invalid parameters"},
}

router = APIRouter(prefix="/forecasts", tags=["forecasts"])

AsOf = Annotated[
    dt.datetime | None,
    Query(
        description="show the run that was the latest published at this time "
        "(ISO 8601 with offset); default now",
        examples=["2016-02-27T12:00:00+08:00"],
    ),
]
Variables = Annotated[
    str | None,
    Query(
        pattern=_VARIABLES_PATTERN,
        description="comma-separated subset of pm25, pm10, so2, no2, co, o3; default all",
        examples=["pm25,o3"],
    ),
]
StationCode = Annotated[
    str, Path(pattern=ENTITY_PATTERN, description="station code", examples=["Dongsi"])
]
CityName = Annotated[str, Path(pattern=ENTITY_PATTERN, description="city", examples=["Beijing"])]


def _variables(text: str | None) -> tuple[str, ...]:
    if not text:
        return HOURLY_VARIABLES
    wanted = set(text.split(","))
    return tuple(v for v in HOURLY_VARIABLES if v in wanted)


def _hourly_body(
    state: ApiState, run: RunInfo, kind: EntityKind, entity: str, variables: tuple[str, ...]
) -> bytes:
    frame = state.store.read_run_hourly(run.id, entity=entity, variables=list(variables))
    frame = of_kind(frame, kind)
    if frame.empty:
        wanted = ", ".join(variables)
        raise ApiError(404, f"{kind} {entity!r} has no hourly forecast of {wanted} in run {run.id}")
    payload = HourlyForecast(
        run=run_public(run), entity=entity, entity_kind=kind, items=hourly_items(frame)
    )
    return payload.model_dump_json().encode()


def _daily_body(state: ApiState, run: RunInfo, kind: EntityKind, entity: str) -> bytes:
    aqi = of_kind(state.store.read_run_aqi(run.id, entity=entity), kind)
    if aqi.empty:
        raise ApiError(404, f"{kind} {entity!r} has no daily forecast in run {run.id}")
    daily = of_kind(state.store.read_run_daily(run.id, entity=entity), kind)
    payload = DailyForecast(
        run=run_public(run), entity=entity, entity_kind=kind, days=daily_days(aqi, daily)
    )
    return payload.model_dump_json().encode()


async def _hourly(
    request: Request,
    kind: EntityKind,
    entity: str,
    variables: str | None,
    as_of: dt.datetime | None,
) -> Response:
    state = state_of(request)
    run = await latest_run(state, utc_time(as_of, "as_of"))
    chosen = _variables(variables)
    key = ("hourly", run.id, run.version, kind, entity, chosen)
    body = await cached(state, key, lambda: _hourly_body(state, run, kind, entity, chosen))
    return body_response(request, body)


async def _daily(
    request: Request, kind: EntityKind, entity: str, as_of: dt.datetime | None
) -> Response:
    state = state_of(request)
    run = await latest_run(state, utc_time(as_of, "as_of"))
    key = ("daily", run.id, run.version, kind, entity)
    body = await cached(state, key, lambda: _daily_body(state, run, kind, entity))
    return body_response(request, body)


@router.get("/latest/stations/{station}/hourly", response_model=HourlyForecast, responses=_ERRORS)
async def latest_station_hourly(
    request: Request,
    station: StationCode,
    variables: Variables = None,
    as_of: AsOf = None,
) -> Response:
    """Return a station's hourly forecasts (with q10–q90) from the latest published run."""
    return await _hourly(request, "station", station, variables, as_of)


@router.get("/latest/stations/{station}/daily", response_model=DailyForecast, responses=_ERRORS)
async def latest_station_daily(
    request: Request, station: StationCode, as_of: AsOf = None
) -> Response:
    """Return a station's daily AQI, level, primary pollutant and warning, days 1–3."""
    return await _daily(request, "station", station, as_of)


@router.get("/latest/cities/{city}/hourly", response_model=HourlyForecast, responses=_ERRORS)
async def latest_city_hourly(
    request: Request,
    city: CityName,
    variables: Variables = None,
    as_of: AsOf = None,
) -> Response:
    """Return a city's hourly forecasts (its stations' mean) from the latest published run."""
    return await _hourly(request, "city", city, variables, as_of)


@router.get("/latest/cities/{city}/daily", response_model=DailyForecast, responses=_ERRORS)
async def latest_city_daily(request: Request, city: CityName, as_of: AsOf = None) -> Response:
    """Return a city's daily AQI (from its stations' mean concentrations), days 1–3."""
    return await _daily(request, "city", city, as_of)


_RUNS = TypeAdapter(list[RunPublic])


def _published_runs(state: ApiState, issued_at: dt.datetime | None, limit: int) -> bytes:
    store = state.store
    if issued_at is None:
        runs = store.list_runs(FORECAST_KIND, status="published", limit=limit)
    else:
        runs = store.published_for_issue(FORECAST_KIND, issued_at)[:limit]
    return _RUNS.dump_json([run_public(r) for r in runs])


@router.get("/runs", response_model=list[RunPublic], responses=_ERRORS)
async def published_runs(
    request: Request,
    state: StateDep,
    issued_at: Annotated[
        dt.datetime | None,
        Query(
            description="only the runs (every published version) of this issue time",
            examples=["2016-02-26T16:00:00+08:00"],
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="most runs listed")] = 50,
) -> Response:
    """List the current published runs; with ``issued_at``, every published version of it.

    Without ``issued_at``: newest issue first. With it: every version published for that
    issue time (superseded ones too), oldest version first.
    """
    when = utc_time(issued_at, "issued_at")
    body = await run_in_threadpool(_published_runs, state, when, limit)
    return body_response(request, cached_body(body))


@router.get("/runs/{run_id}", response_model=RunPublic, responses=_ERRORS)
async def published_run(
    request: Request,
    state: StateDep,
    run_id: Annotated[int, Path(ge=1, le=2**31 - 1, description="run id")],
) -> Response:
    """Return one published (or superseded) run; drafts are not found."""
    run = await run_in_threadpool(public_run, state, run_id)
    return body_response(request, cached_body(run_public(run).model_dump_json().encode()))
