"""Pydantic models of the HTTP API's requests and responses, with OpenAPI examples.

These models are the public contract (``/openapi.json``); they are kept apart
from the store's frames and dataclasses. Concentrations are in µg/m³, CO in
mg/m³; times are ISO 8601 with a UTC offset; dates are the entity's local dates.
Every forecast response names its run (id, version, standard edition and model
versions), so a number can be traced to its standard and its model.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

__all__ = [
    "AuditEntry",
    "Band",
    "City",
    "DailyDay",
    "DailyForecast",
    "Edit",
    "EditCreate",
    "EntityKind",
    "HOLDER_PATTERN",
    "NAME_PATTERN",
    "TEXT_PATTERN",
    "ErrorBody",
    "ErrorDetail",
    "ErrorInfo",
    "Health",
    "HourlyForecast",
    "HourlyItem",
    "ObservationItem",
    "Observations",
    "ReviewDay",
    "ReviewDaily",
    "RunDetail",
    "RunPublic",
    "Station",
    "StationFeature",
    "StationFeatureCollection",
    "StationProperties",
    "PointGeometry",
    "TokenCreate",
    "TokenCreated",
    "WarningItem",
]

EntityKind = Literal["station", "city"]
NAME_PATTERN: Final = r"^[^\x00-\x1f\x7f]{1,64}$"
"""Station codes and city names: 1–64 characters, no control characters."""
HOLDER_PATTERN: Final = r"^[^\x00-\x1f\x7f]{1,200}$"
"""Token holder names: 1–200 characters, no control characters."""
TEXT_PATTERN: Final = r"^[^\x00]{1,2000}$"
"""Free text (reasons): 1–2000 characters, no NUL (PostgreSQL text cannot hold one)."""
EditField = Literal["aqi", "aqi_low", "aqi_high", "level", "primary_pollutant", "warning_level"]

_RUN_EXAMPLE: dict[str, Any] = {
    "id": 42,
    "kind": "air",
    "issued_at": "2016-02-26T08:00:00Z",
    "version": 1,
    "status": "published",
    "published_at": "2016-02-26T09:12:05Z",
    "standard_edition": "hj633-2012",
    "degraded": False,
    "degraded_reasons": [],
    "model_versions": {"pm25": "lgbm_direct@champion:7"},
    "data_cutoff": "2016-02-26T07:00:00Z",
}


class ErrorDetail(BaseModel):
    """One problem of a request that does not validate."""

    loc: list[str] = Field(description="where: e.g. ['query', 'hours']")
    msg: str = Field(description="what is wrong")
    type: str = Field(description="pydantic error type, e.g. 'less_than_equal'")


class ErrorInfo(BaseModel):
    """The error itself."""

    status: int = Field(description="HTTP status, repeated")
    code: str = Field(description="stable code, e.g. 'not_found', 'validation_error'")
    message: str = Field(description="what is wrong, in words")
    details: list[ErrorDetail] = Field(default_factory=list)


class ErrorBody(BaseModel):
    """The one shape of every error response."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": {
                        "status": 404,
                        "code": "not_found",
                        "message": "no published air forecast yet",
                        "details": [],
                    }
                }
            ]
        }
    )

    error: ErrorInfo


class Health(BaseModel):
    """Whether the service and its store answer."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "ok",
                    "schema_revision": "r0003",
                    "latest_published_issued_at": "2016-02-26T08:00:00Z",
                }
            ]
        }
    )

    status: Literal["ok"]
    schema_revision: str | None = Field(description="Alembic revision of the store")
    latest_published_issued_at: dt.datetime | None = Field(
        description="issue time of the latest published air forecast, if any"
    )


class Station(BaseModel):
    """A monitoring station."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "station": "Dongsi",
                    "name": "Dongsi",
                    "name_local": "东四",
                    "city": "Beijing",
                    "latitude": 39.929,
                    "longitude": 116.417,
                    "network": "air",
                    "type": "urban",
                    "timezone": "Asia/Shanghai",
                }
            ]
        }
    )

    station: str = Field(description="station code")
    name: str | None = None
    name_local: str | None = None
    city: str | None = None
    latitude: float | None = Field(description="[degrees north], WGS 84")
    longitude: float | None = Field(description="[degrees east], WGS 84")
    network: Literal["air", "water"]
    type: str | None = Field(default=None, description="e.g. urban, suburban, background")
    timezone: str = Field(description="IANA zone of the station's local dates")


class PointGeometry(BaseModel):
    """A GeoJSON Point (RFC 7946 §3.1.2): [longitude, latitude] in degrees, WGS 84."""

    type: Literal["Point"] = "Point"
    coordinates: list[float] = Field(min_length=2, max_length=2)


class StationProperties(Station):
    """Station properties with its latest published day-1 forecast, where one exists."""

    forecast_date: dt.date | None = Field(default=None, description="local date of day 1")
    aqi: int | None = Field(default=None, description="day-1 AQI [dimensionless]")
    level: int | None = Field(default=None, description="AQI level 1–6 (HJ 633)")
    level_name: str | None = Field(default=None, description="类别, e.g. 良")
    colour: str | None = Field(default=None, description="HJ 633 附录A colour, #RRGGBB")
    primary_pollutant: str | None = None
    run_id: int | None = None


class StationFeature(BaseModel):
    """A GeoJSON Feature of one station (geometry null when it has no coordinates)."""

    type: Literal["Feature"] = "Feature"
    id: str
    geometry: PointGeometry | None
    properties: StationProperties


class StationFeatureCollection(BaseModel):
    """The stations as a GeoJSON FeatureCollection (RFC 7946)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "id": "Dongsi",
                            "geometry": {"type": "Point", "coordinates": [116.417, 39.929]},
                            "properties": {
                                "station": "Dongsi",
                                "name": "Dongsi",
                                "city": "Beijing",
                                "latitude": 39.929,
                                "longitude": 116.417,
                                "network": "air",
                                "timezone": "Asia/Shanghai",
                                "forecast_date": "2016-02-27",
                                "aqi": 87,
                                "level": 2,
                                "level_name": "良",
                                "colour": "#FFFF00",
                                "primary_pollutant": "pm25",
                                "run_id": 42,
                            },
                        }
                    ],
                }
            ]
        }
    )

    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[StationFeature]


class City(BaseModel):
    """A city and its stations."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"city": "Beijing", "stations": ["Dongsi", "Tiantan"]}]}
    )

    city: str
    stations: list[str]


class RunPublic(BaseModel):
    """A published forecast run, as the public sees it."""

    model_config = ConfigDict(json_schema_extra={"examples": [_RUN_EXAMPLE]})

    id: int
    kind: str = Field(description="'air' or 'water'")
    issued_at: dt.datetime
    version: int = Field(description="1, then 2, … for each republication of the issue")
    status: str = Field(description="'published', or 'superseded' by a later version")
    published_at: dt.datetime | None
    standard_edition: str = Field(description="AQI standard edition, e.g. 'hj633-2012'")
    degraded: bool = Field(description="inputs were stale or missing; see degraded_reasons")
    degraded_reasons: list[str]
    model_versions: dict[str, Any]
    data_cutoff: dt.datetime = Field(description="latest observation time the run used")


class RunDetail(RunPublic):
    """A run with what only forecasters see."""

    created_at: dt.datetime
    published_by: str | None = None
    source_run_id: int | None = Field(default=None, description="run this draft revises")
    timezone: str
    inputs: dict[str, Any] = Field(description="availability of each input")


class HourlyItem(BaseModel):
    """One hourly forecast value with its 10 % and 90 % quantiles."""

    variable: str = Field(description="pm25, pm10, so2, no2, co, o3")
    valid_at: dt.datetime = Field(description="the hour the value is for")
    lead_h: int = Field(description="[h] hours after the issue time")
    value: float | None = Field(description="[µg/m³; CO mg/m³]")
    q10: float | None = Field(description="10 % quantile [µg/m³; CO mg/m³]")
    q90: float | None = Field(description="90 % quantile [µg/m³; CO mg/m³]")


class HourlyForecast(BaseModel):
    """Hourly forecasts of one station or city from one run."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "run": _RUN_EXAMPLE,
                    "entity": "Dongsi",
                    "entity_kind": "station",
                    "items": [
                        {
                            "variable": "pm25",
                            "valid_at": "2016-02-26T09:00:00Z",
                            "lead_h": 1,
                            "value": 61.0,
                            "q10": 38.5,
                            "q90": 92.0,
                        }
                    ],
                }
            ]
        }
    )

    run: RunPublic
    entity: str
    entity_kind: EntityKind
    items: list[HourlyItem]


class Band(BaseModel):
    """A daily value with its 10 % and 90 % quantiles [µg/m³; CO mg/m³]."""

    value: float | None
    q10: float | None
    q90: float | None


class DailyDay(BaseModel):
    """One local day of a forecast: AQI range, level, primary pollutant, warning."""

    date: dt.date = Field(description="local date of the entity")
    day: int = Field(description="1, 2 or 3 (day after the issue date)")
    aqi: int | None = Field(description="[dimensionless]")
    aqi_low: int | None = Field(description="low end of the published AQI range")
    aqi_high: int | None = Field(description="high end of the published AQI range")
    level: int | None = Field(description="AQI level 1–6 (HJ 633 表1/表2)")
    level_name: str | None = Field(description="类别, e.g. 良 (HJ 633, edition of the date)")
    level_name_en: str | None = Field(description="English translation of the category")
    colour: str | None = Field(description="#RRGGBB, HJ 633 附录A 表A.1")
    primary_pollutant: str = Field(description="'' when the AQI is 50 or less")
    health_effects: str | None = Field(description="对健康影响情况, HJ 633")
    advice: str | None = Field(description="建议采取的措施, HJ 633")
    warning_level: int = Field(description="0 none, 1.. in increasing severity")
    warning_scheme: str = Field(description="warning scheme id, e.g. cn_mee_warning_2024")
    values: dict[str, Band] = Field(
        description="daily indicators: pm25, pm10, so2, no2, co, o3_8h_max, o3_1h_max"
    )


class DailyForecast(BaseModel):
    """Daily forecasts of one station or city from one run."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "run": _RUN_EXAMPLE,
                    "entity": "Beijing",
                    "entity_kind": "city",
                    "days": [
                        {
                            "date": "2016-02-27",
                            "day": 1,
                            "aqi": 87,
                            "aqi_low": 70,
                            "aqi_high": 105,
                            "level": 2,
                            "level_name": "良",
                            "level_name_en": "Moderate",
                            "colour": "#FFFF00",
                            "primary_pollutant": "pm25",
                            "health_effects": "空气质量可接受，…",
                            "advice": "极少数异常敏感人群应减少户外活动",
                            "warning_level": 0,
                            "warning_scheme": "cn_mee_warning_2024",
                            "values": {"pm25": {"value": 64.0, "q10": 40.0, "q90": 95.0}},
                        }
                    ],
                }
            ]
        }
    )

    run: RunPublic
    entity: str
    entity_kind: EntityKind
    days: list[DailyDay]


class WarningItem(BaseModel):
    """A heavy-pollution warning in force in the latest published forecast."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "entity": "Beijing",
                    "entity_kind": "city",
                    "date": "2016-02-28",
                    "level": 1,
                    "scheme": "cn_mee_warning_2024",
                    "label": "Yellow warning",
                    "label_zh": "黄色预警",
                    "colour": "yellow",
                    "run_id": 42,
                }
            ]
        }
    )

    entity: str
    entity_kind: EntityKind
    date: dt.date
    level: int = Field(description="1.. in increasing severity")
    scheme: str
    label: str
    label_zh: str | None = None
    colour: str | None = Field(description="colour name of the scheme, e.g. yellow")
    run_id: int


class ObservationItem(BaseModel):
    """One observed hour with its real-time AQI (HJ 633)."""

    valid_at: dt.datetime
    pm25: float | None = Field(description="[µg/m³]")
    pm10: float | None = Field(description="[µg/m³]")
    so2: float | None = Field(description="[µg/m³]")
    no2: float | None = Field(description="[µg/m³]")
    co: float | None = Field(description="[mg/m³]")
    o3: float | None = Field(description="[µg/m³]")
    aqi: int | None = Field(description="real-time AQI [dimensionless]")
    level: int | None = Field(description="AQI level 1–6")
    primary_pollutant: str | None = Field(description="'' when the AQI is 50 or less")


class Observations(BaseModel):
    """Recent hourly observations of a station."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "station": "Dongsi",
                    "start": "2016-02-22T16:00:00Z",
                    "end": "2016-02-29T16:00:00Z",
                    "items": [
                        {
                            "valid_at": "2016-02-29T15:00:00Z",
                            "pm25": 21.0,
                            "pm10": 34.0,
                            "so2": 9.0,
                            "no2": 40.0,
                            "co": 0.6,
                            "o3": 52.0,
                            "aqi": 34,
                            "level": 1,
                            "primary_pollutant": "",
                        }
                    ],
                }
            ]
        }
    )

    station: str
    start: dt.datetime = Field(description="first hour of the window (inclusive)")
    end: dt.datetime = Field(description="end of the window (exclusive)")
    items: list[ObservationItem]


class Edit(BaseModel):
    """A forecaster's change to a draft, with the values before and after."""

    id: int
    run_id: int
    entity: str
    entity_kind: EntityKind
    date: dt.date
    field: str
    before: Any = None
    after: Any = None
    reason: str
    author: str
    at: dt.datetime


class ReviewDay(DailyDay):
    """A day of a run as the forecaster sees it: the model's values beside the edited ones."""

    model_aqi: int | None = None
    model_aqi_low: int | None = None
    model_aqi_high: int | None = None
    model_level: int | None = None
    model_primary_pollutant: str | None = None
    edited: bool = False
    edits: list[Edit] = Field(default_factory=list)


class ReviewDaily(BaseModel):
    """Daily values of one station or city of any run, with the model's and the edits."""

    run: RunDetail
    entity: str
    entity_kind: EntityKind
    days: list[ReviewDay]


class EditCreate(BaseModel):
    """An edit of one field of one entity-day of a draft run."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "entity": "Beijing",
                    "date": "2016-02-27",
                    "field": "aqi_high",
                    "value": 120,
                    "reason": "stagnant conditions expected to last longer than modelled",
                }
            ]
        },
    )

    entity: str = Field(pattern=NAME_PATTERN, description="station code or city")
    date: dt.date = Field(description="local date of the entity-day")
    field: EditField
    value: StrictInt | StrictStr = Field(
        description="an integer for aqi, aqi_low, aqi_high (0–500), level (1–6) and "
        "warning_level (0–4); for primary_pollutant '' or pollutants joined by '+'"
    )
    reason: str = Field(pattern=TEXT_PATTERN, description="why (shown in the audit trail)")


class AuditEntry(BaseModel):
    """One line of the audit trail: who did what when, before and after."""

    id: int
    at: dt.datetime
    actor: str
    action: str
    object: str
    before: Any = None
    after: Any = None


class TokenCreate(BaseModel):
    """A request for a new API token."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"name": "duty forecaster", "role": "forecaster"}]},
    )

    name: str = Field(pattern=HOLDER_PATTERN, description="who or what holds it")
    role: Literal["forecaster", "admin"]


class TokenCreated(BaseModel):
    """A new token; the plain token is shown here once and never again."""

    id: int
    name: str
    role: str
    token: str
