"""Options and helpers shared by the commands that use the store.

``--db URL`` chooses the store (default: ``ECOCAST_DATABASE_URL``, else the SQLite file
``<data dir>/ecocast.sqlite``); ``--data-dir DIR`` chooses the data directory (default:
``ECOCAST_DATA_DIR``, else ``./data``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from forecasting.config import Settings, load_settings
from forecasting.storage import Store, resolve_database_url

__all__ = ["DataDirOption", "DbOption", "open_store", "settings_for"]

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Store URL or SQLite file; default ECOCAST_DATABASE_URL, else "
        "<data dir>/ecocast.sqlite.",
    ),
]
DataDirOption = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data directory (default ECOCAST_DATA_DIR or ./data)."),
]


def settings_for(data_dir: Path | None) -> Settings:
    """Return the runtime settings, with ``--data-dir`` taking precedence."""
    return load_settings(data_dir=data_dir) if data_dir is not None else load_settings()


def open_store(db: str | None, settings: Settings) -> Store:
    """Open the store chosen by ``--db`` or the settings."""
    return Store.open(resolve_database_url(db, settings), settings=settings)
