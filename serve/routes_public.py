"""Public endpoints besides the forecasts: health, stations, cities, warnings, observations."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Any, Final

import pandas as pd
from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import TypeAdapter

from forecasting.storage import Store
from forecasting.storage.stations import Network
from serve.caching import CACHE_NO_STORE, body_response, cached_body
from serve.deps import StateDep, utc_time
from serve.errors import ApiError
from serve.levels import aqi_level_text
from serve.observations import recent_observations
from serve.published import cached, latest_run
from serve.routes_forecasts import ENTITY_PATTERN
from serve.schemas import (
    City,
    ErrorBody,
    Health,
    Observations,
    PointGeometry,
    Station,
    StationFeature,
    StationFeatureCollection,
    StationProperties,
    WarningItem,
)
from serve.state import ApiState
from serve.views import of_kind, warning_items

__all__ = ["router"]

logger = logging.getLogger(__name__)

router = APIRouter()

_ERRORS: Final[dict[int | str, dict[str, Any]]] = {
    304: {"description": "Not Modified: the client's copy (If-None-Match) is current"},
    404: {"model": ErrorBody, "description": "not found"},
    422: {"model": ErrorBody, "description": "invalid parameters"},
}
_STATIONS = TypeAdapter(list[Station])
_CITIES = TypeAdapter(list[City])
_WARNINGS = TypeAdapter(list[WarningItem])
_MAX_HOURS: Final = 24 * 31


def _text(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else str(value)


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _stations(store: Store, network: Network | None, default_tz: str) -> list[Station]:
    frame = store.read_stations(network)
    return [
        Station(
            station=str(row["station"]),
            name=_text(row["name"]),
            name_local=_text(row["name_local"]),
            city=_text(row["city"]),
            latitude=_number(row["latitude"]),
            longitude=_number(row["longitude"]),
            network=row["network"],
            type=_text(row["type"]),
            timezone=_text(row["timezone"]) or default_tz,
        )
        for row in frame.to_dict("records")
    ]


@router.get(
    "/health",
    response_model=Health,
    tags=["health"],
    responses={503: {"model": ErrorBody, "description": "the store does not answer"}},
)
async def health(state: StateDep) -> Response:
    """Tell whether the service and its store answer; never cached."""

    def probe() -> Health:
        run = state.store.latest_published("air")
        return Health(
            status="ok",
            schema_revision=state.store.schema_revision(),
            latest_published_issued_at=run.issued_at if run else None,
        )

    try:
        payload = await run_in_threadpool(probe)
    except Exception:
        logger.exception("health check failed")
        raise ApiError(503, "the store does not answer; see the server log") from None
    return Response(
        payload.model_dump_json(),
        media_type="application/json",
        headers={"Cache-Control": CACHE_NO_STORE},
    )


@router.get("/stations", response_model=list[Station], tags=["stations"], responses=_ERRORS)
async def stations(
    request: Request,
    state: StateDep,
    network: Annotated[Network | None, Query(description="air or water; default all")] = None,
) -> Response:
    """List the monitoring stations."""
    found = await run_in_threadpool(_stations, state.store, network, state.settings.timezone)
    return body_response(request, cached_body(_STATIONS.dump_json(found)))


def _geojson(state: ApiState, run_id: int | None) -> bytes:
    store = state.store
    day1: dict[str, dict[str, Any]] = {}
    if run_id is not None:
        aqi = of_kind(store.read_run_aqi(run_id), "station")
        for record in aqi.loc[aqi["day"] == 1].to_dict("records"):
            day1[str(record["entity"])] = {str(k): v for k, v in record.items()}
    features = []
    for station in _stations(store, "air", state.settings.timezone):
        extra: dict[str, Any] = {}
        row = day1.get(station.station)
        if row is not None:
            date = pd.Timestamp(row["date"]).date()
            text = aqi_level_text(int(row["level"]), date)
            extra = {
                "forecast_date": date,
                "aqi": int(row["aqi"]),
                "level": int(row["level"]),
                "level_name": text.name if text else None,
                "colour": text.colour if text else None,
                "primary_pollutant": str(row["primary_pollutant"]),
                "run_id": run_id,
            }
        point = None
        if station.latitude is not None and station.longitude is not None:
            point = PointGeometry(coordinates=[station.longitude, station.latitude])
        features.append(
            StationFeature(
                id=station.station,
                geometry=point,
                properties=StationProperties(**station.model_dump(), **extra),
            )
        )
    return StationFeatureCollection(features=features).model_dump_json().encode()


@router.get(
    "/stations.geojson",
    response_model=StationFeatureCollection,
    tags=["stations"],
    responses={**_ERRORS, 200: {"content": {"application/geo+json": {}}}},
)
async def stations_geojson(request: Request, state: StateDep) -> Response:
    """Map the air stations (GeoJSON points) with the latest published day-1 AQI and colour."""
    try:
        run_id: int | None = (await latest_run(state, None)).id
    except ApiError:
        run_id = None
    body = await run_in_threadpool(_geojson, state, run_id)
    return body_response(request, cached_body(body, media_type="application/geo+json"))


def _cities(store: Store) -> list[City]:
    frame = store.read_stations("air")
    frame = frame.loc[frame["city"].notna()]
    return [
        City(city=str(city), stations=sorted(str(s) for s in group["station"]))
        for city, group in frame.groupby("city", sort=True)
    ]


@router.get("/cities", response_model=list[City], tags=["stations"], responses=_ERRORS)
async def cities(request: Request, state: StateDep) -> Response:
    """List the cities and their air stations (a city's forecast is their mean)."""
    found = await run_in_threadpool(_cities, state.store)
    return body_response(request, cached_body(_CITIES.dump_json(found)))


@router.get(
    "/warnings/current", response_model=list[WarningItem], tags=["warnings"], responses=_ERRORS
)
async def current_warnings(
    request: Request,
    state: StateDep,
    as_of: Annotated[
        dt.datetime | None,
        Query(description="as published at this time (ISO 8601 with offset); default now"),
    ] = None,
) -> Response:
    """List the heavy-pollution warnings (level ≥ 1) of the latest published forecast."""
    run = await latest_run(state, utc_time(as_of, "as_of"))

    def build() -> bytes:
        return _WARNINGS.dump_json(warning_items(state.store.read_run_aqi(run.id), run.id))

    body = await cached(state, ("warnings", run.id, run.version), build)
    return body_response(request, body)


def _observations(
    state: ApiState, station: str, hours: int, end: dt.datetime | None
) -> Observations:
    frame = state.store.read_stations("air")
    row = frame.loc[frame["station"] == station]
    if row.empty:
        raise ApiError(404, f"no air station {station!r}; GET /api/v1/stations lists them")
    timezone = _text(row["timezone"].iloc[0]) or state.settings.timezone
    stop = end if end is not None else dt.datetime.now(dt.UTC)
    stop = stop.replace(minute=0, second=0, microsecond=0) + dt.timedelta(
        hours=0 if stop.minute == stop.second == stop.microsecond == 0 else 1
    )
    return recent_observations(
        state.store, station, timezone, stop - dt.timedelta(hours=hours), stop
    )


@router.get(
    "/observations/{station}",
    response_model=Observations,
    tags=["observations"],
    responses=_ERRORS,
)
async def observations(
    request: Request,
    state: StateDep,
    station: Annotated[str, Path(pattern=ENTITY_PATTERN, examples=["Dongsi"])],
    hours: Annotated[int, Query(ge=1, le=_MAX_HOURS, description="length of the window [h]")] = 168,
    end: Annotated[
        dt.datetime | None,
        Query(
            description="end of the window, exclusive (ISO 8601 with offset; rounded up to "
            "the hour); default now",
            examples=["2016-02-29T16:00:00+08:00"],
        ),
    ] = None,
) -> Response:
    """Return a station's hourly observations with real-time AQI, level and primary pollutant."""
    when = utc_time(end, "end")
    payload = await run_in_threadpool(_observations, state, station, hours, when)
    return body_response(request, cached_body(payload.model_dump_json().encode()))
