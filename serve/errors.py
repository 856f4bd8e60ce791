"""One JSON error shape for every error the HTTP API answers.

Every error response, whatever raised it (an unknown path, a wrong method, a
query that does not validate, a missing token, an unknown run, a bug), has the
body::

    {"error": {"status": 404, "code": "not_found", "message": "...", "details": []}}

``status`` repeats the HTTP status, ``code`` is a stable machine-readable word
(:data:`ERROR_CODES`), ``message`` says what is wrong in words and ``details``
lists the individual problems of a request that does not validate (each with
``loc``, ``msg`` and ``type``, as pydantic reports them).

Domain errors map to statuses here, once: :class:`~forecasting.errors.InputDataError`
and :class:`~forecasting.errors.UnknownStandardError` are the client's (422), an
unknown run is 404, a forbidden state change (editing a published run) is 409;
anything else is a 500 whose message hides the internals (the traceback is logged).

References
----------
.. [1] RFC 9110, HTTP Semantics, §15 (status codes).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from forecasting.errors import (
    ForecastingError,
    InputDataError,
    RunNotFoundError,
    RunStateError,
    UnknownStandardError,
)

__all__ = [
    "ERROR_CODES",
    "ApiError",
    "error_body",
    "error_response",
    "install_error_handlers",
]

logger = logging.getLogger(__name__)

#: HTTP status -> the ``code`` of the error body.
ERROR_CODES: Mapping[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(Exception):
    """An error that the API answers with the given status and message.

    Parameters
    ----------
    status : int
        HTTP status, e.g. 404.
    message : str
        What is wrong and, where useful, how to fix it.
    code : str, optional
        Machine-readable code; default from :data:`ERROR_CODES`.
    details : sequence of mapping, optional
        Individual problems.
    headers : mapping of str to str, optional
        Extra response headers (``WWW-Authenticate`` on 401).
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        details: Sequence[Mapping[str, Any]] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or _code(status)
        self.details = [dict(d) for d in details]
        self.headers = dict(headers or {})


def _code(status: int) -> str:
    if status in ERROR_CODES:
        return ERROR_CODES[status]
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "error"


def error_body(
    status: int,
    message: str,
    *,
    code: str | None = None,
    details: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """Return the error body ``{"error": {status, code, message, details}}``.

    Examples
    --------
    >>> error_body(404, "no such station 'X'")["error"]["code"]
    'not_found'
    """
    return {
        "error": {
            "status": status,
            "code": code or _code(status),
            "message": message,
            "details": [dict(d) for d in details],
        }
    }


def error_response(
    status: int,
    message: str,
    *,
    code: str | None = None,
    details: Sequence[Mapping[str, Any]] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """Return a JSON response with the error body (never cached by clients)."""
    merged = {"Cache-Control": "no-store", **(headers or {})}
    return JSONResponse(
        error_body(status, message, code=code, details=details),
        status_code=status,
        headers=merged,
    )


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {
            "loc": [str(part) for part in err.get("loc", ())],
            "msg": str(err.get("msg", "")),
            "type": str(err.get("type", "")),
        }
        for err in exc.errors()
    ]


async def _on_api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(
        exc.status, exc.message, code=exc.code, details=exc.details, headers=exc.headers
    )


async def _on_http_exception(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    return error_response(exc.status_code, message, headers=exc.headers)


async def _on_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = _validation_details(exc)
    where = ", ".join(".".join(d["loc"]) for d in details[:3])
    return error_response(422, f"the request is not valid: {where}", details=details)


async def _on_domain_error(_request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, RunNotFoundError):
        return error_response(404, str(exc))
    if isinstance(exc, RunStateError):
        return error_response(409, str(exc))
    if isinstance(exc, InputDataError | UnknownStandardError):
        return error_response(422, str(exc))
    return await _on_unexpected(_request, exc)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal server error; the server log has the details")


def install_error_handlers(app: FastAPI) -> None:
    """Make every error of ``app`` answer with the one JSON error shape.

    Parameters
    ----------
    app : fastapi.FastAPI
        The application.
    """
    app.add_exception_handler(ApiError, _on_api_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_exception)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(ForecastingError, _on_domain_error)
    app.add_exception_handler(Exception, _on_unexpected)
