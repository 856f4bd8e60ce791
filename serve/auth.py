"""Bearer-token authentication and roles of the forecaster and admin endpoints.

A request to ``/api/v1/review/…`` or ``/api/v1/admin/…`` carries
``Authorization: Bearer <token>``. The store keeps only the SHA-256 hash of each
token (:meth:`forecasting.storage.Store.authenticate_token`); a missing, unknown
or revoked token gets 401 with ``WWW-Authenticate: Bearer`` [1]_, a valid
token of a role that may not call the endpoint gets 403.

Roles: ``forecaster`` (review, edit, publish) and ``admin`` (all of that, and
token management).

References
----------
.. [1] RFC 6750, The OAuth 2.0 Authorization Framework: Bearer Token Usage, §3.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Annotated, Final

from fastapi import Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from forecasting.storage.tokens import TokenInfo
from serve.deps import StoreDep
from serve.errors import ApiError

__all__ = [
    "ADMIN_ROLES",
    "FORECASTER_ROLES",
    "AdminDep",
    "ForecasterDep",
    "require_roles",
]

FORECASTER_ROLES: Final = frozenset({"forecaster", "admin"})
"""Roles that may review, edit and publish."""
ADMIN_ROLES: Final = frozenset({"admin"})
"""Roles that may manage tokens."""

_bearer = HTTPBearer(
    auto_error=False,
    description="A token made by `POST /api/v1/admin/tokens` (or the CLI), shown once.",
)
_CHALLENGE: Final = {"WWW-Authenticate": 'Bearer realm="ecocast"'}


def require_roles(roles: Collection[str]) -> Callable[..., object]:
    """Build a dependency that authenticates the bearer token and checks its role.

    Parameters
    ----------
    roles : collection of str
        Roles allowed to call the endpoint.

    Returns
    -------
    callable
        A FastAPI dependency returning the token's
        :class:`~forecasting.storage.tokens.TokenInfo`.
    """
    allowed = frozenset(roles)

    async def authenticate(
        store: StoreDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> TokenInfo:
        if credentials is None or not credentials.credentials:
            raise ApiError(
                401,
                "this endpoint needs a token: send 'Authorization: Bearer <token>'",
                headers=_CHALLENGE,
            )
        info = await run_in_threadpool(store.authenticate_token, credentials.credentials)
        if info is None:
            raise ApiError(401, "the token is unknown or revoked", headers=_CHALLENGE)
        if info.role not in allowed:
            raise ApiError(
                403,
                f"role {info.role!r} may not call this endpoint; "
                f"it needs one of: {', '.join(sorted(allowed))}",
            )
        return info

    return authenticate


ForecasterDep = Annotated[TokenInfo, Depends(require_roles(FORECASTER_ROLES))]
AdminDep = Annotated[TokenInfo, Depends(require_roles(ADMIN_ROLES))]
