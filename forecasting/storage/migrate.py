"""Schema migrations: bring a store to the current schema without losing data.

The store's schema is defined by the Alembic revisions in
``forecasting/storage/migrations/versions`` (shipped with the package).
:func:`upgrade` applies the missing ones inside one write transaction, so an
interrupted upgrade leaves the previous schema and all data intact; a store
already at head is only read, never locked.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from forecasting.storage.engine import write_transaction

__all__ = [
    "SCRIPT_LOCATION",
    "alembic_config",
    "current_revision",
    "downgrade",
    "head_revision",
    "upgrade",
]

SCRIPT_LOCATION = "forecasting.storage:migrations"


def alembic_config(url: str | None = None) -> Config:
    """Return an Alembic configuration for the shipped migrations.

    Parameters
    ----------
    url : str, optional
        ``sqlalchemy.url`` for Alembic's command-line style use. Programmatic
        use passes a connection instead (see :func:`upgrade`).

    Returns
    -------
    alembic.config.Config
        A configuration without an ini file.
    """
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision() -> str:
    """Return the newest revision id of the shipped migrations."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package ships its revisions
        raise RuntimeError(f"no Alembic revisions found in {SCRIPT_LOCATION}")
    return head


def current_revision(engine: Engine) -> str | None:
    """Return the store's schema revision, or ``None`` for an empty database."""
    with engine.connect() as connection, connection.begin():
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade the store's schema to ``revision`` in one transaction.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The store's engine.
    revision : str, optional
        Target revision, ``"head"`` by default.
    """
    if revision == "head" and current_revision(engine) == head_revision():
        return
    with write_transaction(engine) as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Downgrade the store's schema to ``revision`` (``"base"`` drops everything).

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The store's engine.
    revision : str
        Target revision.
    """
    with write_transaction(engine) as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
