"""Initial schema: stations, observations with revisions, catalogues, issuance tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-23

Written out in full (not imported from :mod:`forecasting.storage.schema`) so
that this revision stays what it was when later revisions change the schema.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_EPOCH = "[s since epoch, UTC]"


def _json() -> Any:
    return sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _create_observation_tables() -> None:
    op.create_table(
        "stations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(64), nullable=False, comment="station identifier"),
        sa.Column("name", sa.String(200)),
        sa.Column(
            "name_local", sa.String(200), comment="name in the local language, e.g. 奥体中心"
        ),
        sa.Column("latitude", sa.Double(), comment="[degrees north], WGS 84"),
        sa.Column("longitude", sa.Double(), comment="[degrees east], WGS 84"),
        sa.Column("station_type", sa.String(32), comment="e.g. urban, suburban, background, lake"),
        sa.Column("timezone", sa.String(64), server_default="Asia/Shanghai", nullable=False),
        sa.Column("network", sa.String(8), nullable=False),
        sa.Column("basin", sa.String(200)),
        sa.Column("water_body", sa.String(200), comment="river or lake"),
        sa.Column(
            "target_class",
            sa.SmallInteger(),
            comment="GB 3838-2002 target class, 1 (I) to 5 (V)",
        ),
        sa.CheckConstraint("network IN ('air', 'water')", name=op.f("ck_stations_network")),
        sa.CheckConstraint("latitude BETWEEN -90 AND 90", name=op.f("ck_stations_latitude")),
        sa.CheckConstraint("longitude BETWEEN -180 AND 180", name=op.f("ck_stations_longitude")),
        sa.CheckConstraint("target_class BETWEEN 1 AND 5", name=op.f("ck_stations_target_class")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stations")),
        sa.UniqueConstraint("code", name=op.f("uq_stations_code")),
    )
    op.create_table(
        "variables",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_variables")),
        sa.UniqueConstraint("name", name=op.f("uq_variables_name")),
    )
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
        sa.UniqueConstraint("name", name=op.f("uq_sources_name")),
    )
    op.create_table(
        "observations",
        sa.Column("station_id", sa.Integer(), nullable=False, comment="stations.id"),
        sa.Column("variable_id", sa.Integer(), nullable=False, comment="variables.id"),
        sa.Column("valid_at", sa.BigInteger(), nullable=False, comment=_EPOCH),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column(
            "value",
            sa.Double(),
            comment="canonical units; NULL when the publisher blanked it",
        ),
        sa.Column("qc_flags", sa.Integer(), server_default="0", nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False, comment="sources.id"),
        sa.Column("ingested_at", sa.BigInteger(), nullable=False, comment=_EPOCH),
        sa.Column("available_at", sa.BigInteger(), nullable=False, comment=_EPOCH),
        sa.Column(
            "superseded_at",
            sa.BigInteger(),
            comment=f"{_EPOCH} earliest available_at of a later revision; NULL if none",
        ),
        sa.CheckConstraint("qc_flags >= 0", name=op.f("ck_observations_qc_flags")),
        sa.CheckConstraint("revision >= 1", name=op.f("ck_observations_revision")),
        sa.PrimaryKeyConstraint(
            "station_id", "variable_id", "valid_at", "revision", name=op.f("pk_observations")
        ),
        sqlite_with_rowid=False,
    )


def _create_catalogue_tables() -> None:
    op.create_table(
        "met_datasets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("path", sa.String(1000), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("format", sa.String(16), nullable=False),
        sa.Column("variables", _json(), nullable=False),
        sa.Column("attrs", _json(), nullable=False),
        sa.Column("registered_at", _utc(), nullable=False),
        sa.CheckConstraint(
            "format IN ('netcdf', 'grib', 'zarr')", name=op.f("ck_met_datasets_format")
        ),
        sa.CheckConstraint("kind IN ('forecast', 'analysis')", name=op.f("ck_met_datasets_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_met_datasets")),
        sa.UniqueConstraint("path", name=op.f("uq_met_datasets_path")),
    )
    op.create_table(
        "met_dataset_issues",
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("issued_at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["met_datasets.id"],
            name=op.f("fk_met_dataset_issues_dataset_id_met_datasets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("dataset_id", "issued_at", name=op.f("pk_met_dataset_issues")),
    )
    op.create_index(op.f("ix_met_dataset_issues_issued_at"), "met_dataset_issues", ["issued_at"])
    op.create_table(
        "emission_inventories",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("base_year", sa.SmallInteger(), nullable=False),
        sa.Column("path", sa.String(1000), nullable=False),
        sa.Column("attrs", _json(), nullable=False),
        sa.Column("registered_at", _utc(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emission_inventories")),
        sa.UniqueConstraint("name", "version", name=op.f("uq_emission_inventories_name_version")),
    )


def _create_issuance_tables() -> None:
    op.create_table(
        "forecast_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("issued_at", _utc(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), server_default="draft", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("model_versions", _json(), nullable=False),
        sa.Column("standard_edition", sa.String(64), nullable=False, comment="standards table id"),
        sa.Column("data_cutoff", _utc(), nullable=False),
        sa.Column("degraded", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.CheckConstraint("kind IN ('air', 'water')", name=op.f("ck_forecast_runs_kind")),
        sa.CheckConstraint(
            "status IN ('draft', 'published', 'superseded')",
            name=op.f("ck_forecast_runs_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecast_runs")),
    )
    op.create_index(op.f("ix_forecast_runs_kind_issued_at"), "forecast_runs", ["kind", "issued_at"])
    op.create_table(
        "forecasts",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(64), nullable=False, comment="station code or city"),
        sa.Column("variable", sa.String(64), nullable=False),
        sa.Column("valid_at", _utc(), nullable=False),
        sa.Column("lead_h", sa.Integer(), nullable=False, comment="[h] 1 is the issue stamp"),
        sa.Column("value", sa.Double()),
        sa.Column("q10", sa.Double()),
        sa.Column("q90", sa.Double()),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["forecast_runs.id"],
            name=op.f("fk_forecasts_run_id_forecast_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "run_id", "entity", "variable", "valid_at", name=op.f("pk_forecasts")
        ),
    )
    op.create_table(
        "forecast_daily",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("date", sa.Date(), nullable=False, comment="local date of the entity"),
        sa.Column("day", sa.SmallInteger(), nullable=False, comment="1 to 3"),
        sa.Column("variable", sa.String(64), nullable=False),
        sa.Column("value", sa.Double()),
        sa.Column("q10", sa.Double()),
        sa.Column("q90", sa.Double()),
        sa.Column("aqi", sa.Integer()),
        sa.Column("level", sa.SmallInteger()),
        sa.Column("primary_pollutant", sa.String(64), comment="pollutants joined by '+'"),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["forecast_runs.id"],
            name=op.f("fk_forecast_daily_run_id_forecast_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "run_id", "entity", "date", "variable", name=op.f("pk_forecast_daily")
        ),
    )
    op.create_table(
        "forecast_edits",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("field", sa.String(64), nullable=False),
        sa.Column("before", _json()),
        sa.Column("after", _json()),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("author", sa.String(200), nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["forecast_runs.id"],
            name=op.f("fk_forecast_edits_run_id_forecast_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecast_edits")),
    )
    op.create_index(op.f("ix_forecast_edits_run_id"), "forecast_edits", ["run_id"])
    op.create_table(
        "publications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("published_at", _utc(), nullable=False),
        sa.Column("published_by", sa.String(200), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["forecast_runs.id"], name=op.f("fk_publications_run_id_forecast_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publications")),
        sa.UniqueConstraint("run_id", "version", name=op.f("uq_publications_run_id_version")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", _utc(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("object", sa.String(200), nullable=False),
        sa.Column("before", _json()),
        sa.Column("after", _json()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("hash", sa.String(128), nullable=False, comment="hash of the token, never it"),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", _utc(), nullable=False),
        sa.Column("revoked_at", _utc()),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("hash", name=op.f("uq_api_tokens_hash")),
    )


def upgrade() -> None:
    """Create every table of the first schema."""
    _create_observation_tables()
    _create_catalogue_tables()
    _create_issuance_tables()


def downgrade() -> None:
    """Drop every table of the first schema (this destroys all data)."""
    for table in (
        "api_tokens",
        "audit_log",
        "publications",
        "forecast_edits",
        "forecast_daily",
        "forecasts",
        "forecast_runs",
        "emission_inventories",
        "met_dataset_issues",
        "met_datasets",
        "observations",
        "sources",
        "variables",
        "stations",
    ):
        op.drop_table(table)
