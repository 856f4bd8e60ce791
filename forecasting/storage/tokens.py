"""API bearer tokens with roles, stored as SHA-256 hashes only.

A token is 32 random bytes from :func:`secrets.token_urlsafe` (43 URL-safe
characters, 256 bits). Its plaintext is returned once, by
:func:`create_token`; the store keeps only the hex SHA-256 digest, so a
copy of the database does not give access. With 256 bits of entropy a plain
(unsalted, fast) hash is enough: nothing can be guessed, so nothing needs
slowing down. :func:`authenticate_token` hashes the presented token and looks
the digest up through the unique index (the lookup does not compare secrets
byte by byte, so its time does not leak a prefix), then confirms the match
with :func:`hmac.compare_digest`. Revoked tokens are refused.

Roles: ``forecaster`` (review and publish) and ``admin`` (also manage
tokens); :meth:`TokenInfo.allows` encodes that an admin may do what a
forecaster may.

References
----------
.. [1] Python documentation, ``secrets`` — "Generate secure random numbers
   for managing secrets", https://docs.python.org/3/library/secrets.html
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, RowMapping, insert, select, update

from forecasting.errors import InputDataError
from forecasting.storage.issuance import check_actor
from forecasting.storage.issuance_audit import token_object, write_audit
from forecasting.storage.schema import api_tokens

__all__ = [
    "TOKEN_BYTES",
    "TOKEN_ROLES",
    "TokenInfo",
    "authenticate_token",
    "create_token",
    "hash_token",
    "list_tokens",
    "revoke_token",
]

#: Roles a token can have, from the least to the most privileged.
TOKEN_ROLES = ("forecaster", "admin")
#: Random bytes in a token.
TOKEN_BYTES = 32
_MAX_TOKEN_LENGTH = 512


@dataclass(frozen=True)
class TokenInfo:
    """An API token, without its secret.

    Attributes
    ----------
    id : int
        Token id.
    name : str
        What or whom the token is for.
    role : {"forecaster", "admin"}
        What it may do.
    created_at : datetime
        When it was created, UTC.
    revoked_at : datetime or None
        When it was revoked, UTC; None while valid.
    """

    id: int
    name: str
    role: str
    created_at: datetime
    revoked_at: datetime | None

    def allows(self, role: str) -> bool:
        """Return whether this token may act in ``role`` (an admin may act as a forecaster)."""
        if role not in TOKEN_ROLES:
            raise InputDataError(f"unknown role {role!r}; choose one of: {', '.join(TOKEN_ROLES)}")
        return self.revoked_at is None and TOKEN_ROLES.index(self.role) >= TOKEN_ROLES.index(role)


def hash_token(token: str) -> str:
    """Return the hex SHA-256 digest under which a token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    connection: Connection, name: str, role: str, *, created_at: datetime, actor: str
) -> tuple[TokenInfo, str]:
    """Create a token; return its record and its plaintext (shown once, never stored).

    Parameters
    ----------
    connection : sqlalchemy.Connection
        A connection inside a write transaction.
    name : str
        What or whom the token is for (1-200 characters).
    role : {"forecaster", "admin"}
        What it may do.
    created_at : datetime
        The store's current time.
    actor : str
        Who creates it (audited; the token itself is not).

    Returns
    -------
    tuple of (TokenInfo, str)
        The stored record and the plaintext token.

    Raises
    ------
    forecasting.errors.InputDataError
        For an empty name or an unknown role.
    """
    label = check_actor(name, "token name")
    if role not in TOKEN_ROLES:
        raise InputDataError(f"unknown role {role!r}; choose one of: {', '.join(TOKEN_ROLES)}")
    who = check_actor(actor, "actor")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    token_id = int(
        connection.execute(
            insert(api_tokens)
            .values(hash=hash_token(token), role=role, name=label, created_at=created_at)
            .returning(api_tokens.c.id)
        ).scalar_one()
    )
    write_audit(
        connection,
        at=created_at,
        actor=who,
        action="create_token",
        object=token_object(token_id),
        after={"name": label, "role": role},
    )
    return TokenInfo(token_id, label, role, created_at, None), token


def authenticate_token(connection: Connection, token: object) -> TokenInfo | None:
    """Return the valid token matching a presented plaintext, or None.

    None for anything that is not a known, unrevoked token (including
    non-text, empty or over-long input); this never raises for bad input.
    """
    if not isinstance(token, str) or not token or len(token) > _MAX_TOKEN_LENGTH:
        return None
    digest = hash_token(token)
    row = (
        connection.execute(select(api_tokens).where(api_tokens.c.hash == digest)).mappings().first()
    )
    if row is None or not hmac.compare_digest(row["hash"], digest) or row["revoked_at"] is not None:
        return None
    return _token_info(row)


def revoke_token(connection: Connection, token_id: int, *, at: datetime, actor: str) -> TokenInfo:
    """Revoke a token (idempotent: revoking again keeps the first time).

    Raises
    ------
    forecasting.errors.InputDataError
        For an unknown token id.
    """
    who = check_actor(actor, "actor")
    row = _token_row(connection, token_id)
    if row["revoked_at"] is None:
        connection.execute(
            update(api_tokens).where(api_tokens.c.id == row["id"]).values(revoked_at=at)
        )
        write_audit(
            connection,
            at=at,
            actor=who,
            action="revoke_token",
            object=token_object(int(row["id"])),
            before={"name": row["name"], "role": row["role"], "revoked": False},
            after={"name": row["name"], "role": row["role"], "revoked": True},
        )
        row = _token_row(connection, token_id)
    return _token_info(row)


def list_tokens(connection: Connection) -> list[TokenInfo]:
    """Return every token (revoked ones too), oldest first, without secrets."""
    query = select(api_tokens).order_by(api_tokens.c.id)
    return [_token_info(row) for row in connection.execute(query).mappings()]


def _token_row(connection: Connection, token_id: int) -> RowMapping:
    if isinstance(token_id, bool) or not isinstance(token_id, int):
        raise InputDataError(f"token id must be an integer; got {token_id!r}")
    row = (
        connection.execute(select(api_tokens).where(api_tokens.c.id == token_id)).mappings().first()
    )
    if row is None:
        raise InputDataError(f"API token {token_id} does not exist")
    return row


def _token_info(row: RowMapping) -> TokenInfo:
    return TokenInfo(
        id=int(row["id"]),
        name=row["name"],
        role=row["role"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )
