"""The ecocast store: stations, revisioned observations, catalogues and issuance tables.

One code path over SQLite (the embedded default, in WAL mode) and PostgreSQL,
with Alembic migrations applied on open. Use the :class:`Store` facade::

    store = Store.open(resolve_database_url(db, settings))
    store.upsert_stations(stations)
    store.write_observations(frame, ingested_at=now)
    history = store.read_observations(["pm25"], ["Dongsi"], t0, t1, as_of=issue_time)

See :mod:`forecasting.storage.observations` for the revision and as-of rules.
"""

from forecasting.storage.catalogue import EmissionInventory, MetDataset
from forecasting.storage.engine import (
    create_store_engine,
    normalize_database_url,
    read_transaction,
    resolve_database_url,
    write_transaction,
)
from forecasting.storage.observations import DEFAULT_AVAILABLE_LAG, WriteSummary
from forecasting.storage.reads import COUNT_BY, OBSERVATION_DTYPES, REVISION_DTYPES
from forecasting.storage.stations import STATION_COLUMNS, StationSummary
from forecasting.storage.store import Store

__all__ = [
    "COUNT_BY",
    "DEFAULT_AVAILABLE_LAG",
    "OBSERVATION_DTYPES",
    "REVISION_DTYPES",
    "STATION_COLUMNS",
    "EmissionInventory",
    "MetDataset",
    "StationSummary",
    "Store",
    "WriteSummary",
    "create_store_engine",
    "normalize_database_url",
    "read_transaction",
    "resolve_database_url",
    "write_transaction",
]
