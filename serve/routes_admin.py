"""Admin endpoints: API tokens (role ``admin`` only).

A new token's plain text is answered once; the store keeps only its SHA-256
hash, so a lost token cannot be shown again, only revoked and replaced.
"""

from __future__ import annotations

from typing import Any, Final

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool

from serve.auth import AdminDep
from serve.caching import CACHE_NO_STORE
from serve.deps import StateDep
from serve.errors import ApiError
from serve.schemas import ErrorBody, TokenCreate, TokenCreated

__all__ = ["router"]

router = APIRouter(prefix="/admin", tags=["admin"])

_ERRORS: Final[dict[int | str, dict[str, Any]]] = {
    401: {"model": ErrorBody, "description": "no valid bearer token"},
    403: {"model": ErrorBody, "description": "the token is not an admin's"},
    422: {"model": ErrorBody, "description": "invalid body"},
}


@router.post("/tokens", response_model=TokenCreated, status_code=201, responses=_ERRORS)
async def create_token(state: StateDep, admin: AdminDep, request: TokenCreate) -> Response:
    """Create a token for a forecaster or an admin; its plain text is shown only here."""

    def make() -> TokenCreated:
        token = state.store.create_token(request.name, request.role, actor=admin.name)
        info = state.store.authenticate_token(token)
        if info is None:  # the store just made it: a broken store, not the client's fault
            raise ApiError(500, "the new token cannot be read back")
        return TokenCreated(id=info.id, name=info.name, role=info.role, token=token)

    created = await run_in_threadpool(make)
    return Response(
        created.model_dump_json(),
        status_code=201,
        media_type="application/json",
        headers={"Cache-Control": CACHE_NO_STORE},
    )
