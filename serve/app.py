"""The ecocast HTTP API: :func:`create_app` builds one FastAPI application.

Run it with uvicorn's factory mode::

    uvicorn serve.app:create_app --factory --host 127.0.0.1 --port 8000

Paths: the JSON API under ``/api/v1`` (public reads, ``/review`` for
forecasters and ``/admin`` for token management, see :mod:`serve.routes_public`,
:mod:`serve.routes_forecasts`, :mod:`serve.routes_review` and
:mod:`serve.routes_admin`), its OpenAPI description at ``/api/v1/openapi.json``
with interactive documentation at ``/docs``, and the review page at
``/review`` (:mod:`serve.page`). Nothing happens at import time: the store is
opened (and migrated) when the app is created, kept on ``app.state.api`` and
closed at shutdown if the app opened it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import metadata

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute

from forecasting.config import Settings, load_settings
from forecasting.storage import Store
from serve import routes_admin, routes_bench, routes_forecasts, routes_public, routes_review
from serve.errors import install_error_handlers
from serve.page import review_router
from serve.state import ApiState

__all__ = ["API_PREFIX", "create_app"]

API_PREFIX = "/api/v1"
"""Prefix of every JSON endpoint (the API's major version)."""

_DESCRIPTION = """\
Published air-quality forecasts (hourly pollutants with q10–q90, daily AQI, level,
primary pollutant and heavy-pollution warnings per station and city), stations,
recent observations with their real-time AQI, and the forecasters' review workflow.

Public endpoints show only published runs. They answer with an `ETag` and
`Cache-Control: public, max-age=60`; send `If-None-Match` to get `304`.
Forecaster endpoints need `Authorization: Bearer <token>`. Every error has the body
`{"error": {"status", "code", "message", "details"}}`.

Concentrations are in µg/m³ (CO mg/m³); AQI, levels, colours and advice follow
HJ 633 (the edition in force on each local date).
"""


def _version() -> str:
    try:
        return metadata.version("ecocast")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def _operation_id(route: APIRoute) -> str:
    return route.name


def create_app(settings: Settings | None = None, *, store: Store | None = None) -> FastAPI:
    """Build the ecocast HTTP API.

    Parameters
    ----------
    settings : forecasting.config.Settings, optional
        Runtime settings (store location, ``cors_origins``, ``bench_endpoints``);
        default :func:`forecasting.config.load_settings`.
    store : forecasting.storage.Store, optional
        An open store to serve; the caller keeps ownership and closes it.
        Default: open the store of ``settings`` (closed at shutdown).

    Returns
    -------
    fastapi.FastAPI
        The application, with its state on ``app.state.api``
        (:class:`~serve.state.ApiState`).
    """
    settings = settings if settings is not None else load_settings()
    owns_store = store is None
    opened = store if store is not None else Store.open(settings=settings)
    state = ApiState(settings=settings, store=opened, owns_store=owns_store)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if state.owns_store:
                state.store.close()

    app = FastAPI(
        title="ecocast",
        version=_version(),
        summary="Air-quality forecasts, warnings and their review",
        description=_DESCRIPTION,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        generate_unique_id_function=_operation_id,
        lifespan=lifespan,
    )
    app.state.api = state
    install_error_handlers(app)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", "If-None-Match"],
            expose_headers=["ETag"],
            max_age=600,
        )
    # The forecast routes first: routes are matched in order, and they are the hot path.
    routers = [routes_forecasts.router, routes_public.router, routes_review.router]
    routers.append(routes_admin.router)
    if settings.bench_endpoints:
        routers.append(routes_bench.router)
    for router in routers:
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(review_router)
    return app
