"""The ecocast HTTP API (FastAPI) and the forecasters' review page.

Build the app with :func:`serve.app.create_app` (``uvicorn serve.app:create_app
--factory``). Public read endpoints under ``/api/v1`` show only published forecast
runs; forecaster endpoints need a bearer token. Modules: :mod:`serve.app` (the
factory), :mod:`serve.routes_public`, :mod:`serve.routes_forecasts`,
:mod:`serve.routes_review` and :mod:`serve.routes_admin` (endpoints),
:mod:`serve.schemas` (the response models), :mod:`serve.errors` (one error shape),
:mod:`serve.auth` (tokens and roles), :mod:`serve.caching` (ETag, Cache-Control and
the app's response caches) and :mod:`serve.page` (the review page).
"""
