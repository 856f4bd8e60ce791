"""The ecocast store: stations, revisioned observations, catalogues and issuance tables.

One code path over SQLite (the embedded default, in WAL mode) and PostgreSQL,
with Alembic migrations applied on open. Use the :class:`Store` facade::

    store = Store.open(resolve_database_url(db, settings))
    store.upsert_stations(stations)
    store.write_observations(frame, ingested_at=now)
    history = store.read_observations(["pm25"], ["Dongsi"], t0, t1, as_of=issue_time)

See :mod:`forecasting.storage.observations` for the revision and as-of rules,
and :mod:`forecasting.storage.issuance` for forecast runs (draft, edit,
publish, revise) and their public as-of view.
"""

from forecasting.storage.catalogue import EmissionInventory, MetDataset
from forecasting.storage.engine import (
    create_store_engine,
    normalize_database_url,
    read_transaction,
    resolve_database_url,
    write_transaction,
)
from forecasting.storage.issuance import RunInfo
from forecasting.storage.issuance_edits import EDITABLE_FIELDS, EditInfo
from forecasting.storage.issuance_reads import AQI_DTYPES, DAILY_DTYPES, HOURLY_DTYPES
from forecasting.storage.observations import DEFAULT_AVAILABLE_LAG, WriteSummary
from forecasting.storage.reads import COUNT_BY, OBSERVATION_DTYPES, REVISION_DTYPES
from forecasting.storage.stations import STATION_COLUMNS, StationSummary
from forecasting.storage.store import Store
from forecasting.storage.tokens import TOKEN_ROLES, TokenInfo

__all__ = [
    "AQI_DTYPES",
    "COUNT_BY",
    "DAILY_DTYPES",
    "DEFAULT_AVAILABLE_LAG",
    "EDITABLE_FIELDS",
    "HOURLY_DTYPES",
    "OBSERVATION_DTYPES",
    "REVISION_DTYPES",
    "STATION_COLUMNS",
    "TOKEN_ROLES",
    "EditInfo",
    "EmissionInventory",
    "MetDataset",
    "RunInfo",
    "StationSummary",
    "Store",
    "TokenInfo",
    "WriteSummary",
    "create_store_engine",
    "normalize_database_url",
    "read_transaction",
    "resolve_database_url",
    "write_transaction",
]
