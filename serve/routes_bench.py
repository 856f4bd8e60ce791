"""A constant payload for the load benchmark (only when ``bench_endpoints`` is set).

``benchmarks/serve_load.py`` compares the latest-forecast endpoint with this
endpoint of the same app, answering a body of the same size, so that the
comparison measures what the forecast path adds to the framework's own cost.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from serve.caching import body_response, cached_body
from serve.deps import state_of

__all__ = ["constant_body", "router"]

router = APIRouter(prefix="/_bench", tags=["benchmark"], include_in_schema=False)


def constant_body(size: int) -> bytes:
    """Return a JSON body of exactly ``size`` bytes (``size`` ≥ 13)."""
    head, tail = b'{"padding":"', b'"}'
    return head + b"x" * max(size - len(head) - len(tail), 0) + tail


@router.get("/constant")
async def constant(
    request: Request, size: Annotated[int, Query(ge=16, le=10_000_000)] = 1024
) -> Response:
    """Answer a constant JSON body of ``size`` bytes, with the same caching headers."""
    key, state = ("bench", size), state_of(request)
    body = state.responses.get(key) or state.responses.put(key, cached_body(constant_body(size)))
    return body_response(request, body)
