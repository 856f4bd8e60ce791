"""API tokens: plaintext shown once and never stored, hashes, revocation, roles, audit."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

import pytest
from sqlalchemy import select

from forecasting.errors import InputDataError
from forecasting.storage import Store, TokenInfo
from forecasting.storage.schema import api_tokens, audit_log


def stored_text(store: Store) -> str:
    """Every value of the token and audit tables, as one text."""
    with store.engine.connect() as connection:
        rows = [
            *connection.execute(select(api_tokens)).all(),
            *connection.execute(select(audit_log)).all(),
        ]
    return repr(rows)


def test_a_token_is_returned_once_and_only_its_sha256_is_stored(store: Store):
    token = store.create_token("review desk", "forecaster", actor="admin.zhao")
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)  # secrets.token_urlsafe(32)
    with store.engine.connect() as connection:
        (digest,) = connection.execute(select(api_tokens.c.hash)).one()
    assert digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored_text(store)
    assert store.create_token("review desk", "forecaster") != token  # random each time


def test_authenticate_returns_the_token_with_its_role(store: Store, clock_time: datetime):
    forecaster = store.create_token("li", "forecaster")
    admin = store.create_token("ops", "admin")
    found = store.authenticate_token(forecaster)
    assert found == TokenInfo(
        id=found.id, name="li", role="forecaster", created_at=clock_time, revoked_at=None
    )
    assert store.authenticate_token(admin).role == "admin"
    assert store.authenticate_token(forecaster[:-1]) is None
    assert store.authenticate_token(forecaster + "x") is None
    for bad in ("", "x" * 10_000, None, 42):
        assert store.authenticate_token(bad) is None


def test_a_revoked_token_is_refused(store: Store, clock_time: datetime):
    token = store.create_token("li", "forecaster")
    info = store.authenticate_token(token)
    assert info is not None
    revoked = store.revoke_token(info.id, actor="admin.zhao")
    assert revoked.revoked_at == clock_time
    assert store.authenticate_token(token) is None
    assert store.revoke_token(info.id) == revoked  # idempotent
    assert [t.revoked_at for t in store.list_tokens()] == [clock_time]
    with pytest.raises(InputDataError, match="API token 999 does not exist"):
        store.revoke_token(999)


def test_roles(store: Store):
    with pytest.raises(
        InputDataError, match="unknown role 'root'; choose one of: forecaster, admin"
    ):
        store.create_token("x", "root")
    with pytest.raises(InputDataError, match="token name must be a non-empty name"):
        store.create_token("  ", "admin")
    forecaster = store.authenticate_token(store.create_token("li", "forecaster"))
    admin = store.authenticate_token(store.create_token("ops", "admin"))
    assert forecaster is not None
    assert admin is not None
    assert (forecaster.allows("forecaster"), forecaster.allows("admin")) == (True, False)
    assert (admin.allows("forecaster"), admin.allows("admin")) == (True, True)
    revoked = store.revoke_token(admin.id)
    assert not revoked.allows("forecaster")
    with pytest.raises(InputDataError, match="unknown role 'viewer'"):
        admin.allows("viewer")


def test_token_actions_are_audited_without_secrets(store: Store, clock_time: datetime):
    token = store.create_token("li", "forecaster", actor="admin.zhao")
    token_id = store.authenticate_token(token).id
    store.revoke_token(token_id, actor="admin.qian")
    audit = store.read_audit(object=f"token:{token_id}")
    assert audit[["actor", "action"]].values.tolist() == [
        ["admin.zhao", "create_token"],
        ["admin.qian", "revoke_token"],
    ]
    assert audit["after"].tolist() == [
        {"name": "li", "role": "forecaster"},
        {"name": "li", "role": "forecaster", "revoked": True},
    ]
    assert (audit["at"] == clock_time).all()
    digest = hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(audit.to_dict())
    assert digest not in repr(audit.to_dict())
