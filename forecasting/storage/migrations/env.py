"""Alembic environment of the ecocast store.

The store runs ``upgrade head`` itself when it is opened
(:func:`forecasting.storage.migrate.upgrade`), handing Alembic a connection
that is already inside a write transaction: the whole upgrade commits or
rolls back as one, on SQLite as on PostgreSQL. From the command line, point
Alembic here with ``script_location = forecasting.storage:migrations`` and a
``sqlalchemy.url`` (default: the ``ECOCAST_DATABASE_URL`` setting), e.g. to
write a new revision with ``alembic revision --autogenerate -m "..."``.

This module configures no logging: the caller owns the output.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from forecasting.config import load_settings
from forecasting.storage.engine import create_store_engine, write_transaction
from forecasting.storage.schema import metadata

__all__: list[str] = []


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url") or load_settings().database_url
    engine = create_store_engine(url)
    try:
        with write_transaction(engine) as owned:
            _run(owned)
    finally:
        engine.dispose()


def _run_offline() -> None:
    url = context.config.get_main_option("sqlalchemy.url") or load_settings().database_url
    context.configure(url=url, target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    _run_offline()
else:
    _run_online()
