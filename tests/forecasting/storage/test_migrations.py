"""Alembic migrations: empty to head, schema equals the code, upgrades keep data."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from forecasting.storage import Store, create_store_engine
from forecasting.storage.migrate import current_revision, downgrade, head_revision, upgrade
from forecasting.storage.schema import metadata

TABLES = {
    "alembic_version", "api_tokens", "audit_log", "emission_inventories", "forecast_daily",
    "forecast_aqi", "forecast_edits", "forecast_runs", "forecasts", "met_dataset_issues",
    "met_datasets",
    "observations", "publications", "sources", "stations", "variables",
}  # fmt: skip


def test_migrations_take_an_empty_database_to_the_schema_in_code(database_url: str):
    engine = create_store_engine(database_url)
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == head_revision() == "0003"
        assert set(inspect(engine).get_table_names()) == TABLES
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_downgrade_to_base_and_upgrade_again(database_url: str):
    engine = create_store_engine(database_url)
    try:
        upgrade(engine)
        downgrade(engine, "base")
        assert current_revision(engine) is None
        assert set(inspect(engine).get_table_names()) == {"alembic_version"}
        upgrade(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_reopening_a_store_keeps_its_data(database_url: str):
    stations = pd.DataFrame({"station": ["Dongsi"], "network": ["air"]})
    frame = pd.DataFrame(
        {
            "station": ["Dongsi"],
            "variable": ["pm25"],
            "valid_at": [pd.Timestamp("2024-01-01T00:00Z")],
            "value": [12.0],
            "qc_flags": [0],
            "source": ["a.csv"],
        }
    )
    with Store.open(database_url) as first:
        first.upsert_stations(stations)
        first.write_observations(frame, ingested_at=datetime(2026, 1, 1, tzinfo=UTC))
    with Store.open(database_url) as second:
        assert second.schema_revision() == Store.head_revision()
        assert second.read_observations()["value"].tolist() == [12.0]


def test_store_open_can_skip_migrations(database_url: str):
    with Store.open(database_url, migrate=False) as store:
        assert store.schema_revision() is None
