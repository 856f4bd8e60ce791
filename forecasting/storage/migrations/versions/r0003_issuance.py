"""Issuance: run lifecycle columns, entity kinds and the per entity-day AQI summary.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24

* ``forecast_runs`` gains nullable columns for the review workflow
  (``created_by``, ``published_at``, ``published_by``, ``superseded_at``,
  ``source_run_id``) and the run's context (``horizon_h``, ``timezone``,
  ``degraded_reasons``, ``inputs``). They are added with plain ``ADD COLUMN``
  on both backends: rebuilding ``forecast_runs`` on SQLite would drop a table
  that others refer to with ``ON DELETE CASCADE``. For the same reason
  ``source_run_id`` declares no foreign key; the only writer,
  :mod:`forecasting.storage.issuance`, sets it to an existing run.
* ``forecasts`` and ``forecast_daily`` gain ``entity_kind`` (``'station'`` or
  ``'city'``, existing rows become stations); ``forecast_daily`` loses
  ``aqi``, ``level`` and ``primary_pollutant``, which move to the new
  ``forecast_aqi`` table (one row per entity-day, with the model's values
  kept beside the editable ones). SQLite cannot add a CHECK constraint to an
  existing table, so Alembic's batch mode rebuilds these two (nothing refers
  to them).
* ``audit_log`` gets an index on ``object`` (the audit of one run).

Written out in full, like 0001 and 0002, so that this revision stays what it
was when later revisions change the schema.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RUN_COLUMNS = (
    "created_by",
    "horizon_h",
    "timezone",
    "degraded_reasons",
    "inputs",
    "source_run_id",
    "published_at",
    "published_by",
    "superseded_at",
)
_ENTITY_KIND_CHECK = "entity_kind IN ('station', 'city')"


def _json() -> Any:
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _entity_kind() -> sa.Column[str]:
    return sa.Column("entity_kind", sa.String(8), server_default="station", nullable=False)


def _add_run_columns() -> None:
    columns: list[sa.Column[Any]] = [
        sa.Column("created_by", sa.String(200)),
        sa.Column("horizon_h", sa.Integer(), comment="[h] largest hourly lead"),
        sa.Column(
            "timezone",
            sa.String(64),
            comment="IANA zone of the local dates, e.g. Asia/Shanghai",
        ),
        sa.Column("degraded_reasons", _json(), comment="JSON list of text"),
        sa.Column("inputs", _json(), comment="input availability (JSON object)"),
        sa.Column(
            "source_run_id",
            sa.Integer(),
            comment="forecast_runs.id of the published run this one revises; NULL if none",
        ),
        sa.Column("published_at", _utc()),
        sa.Column("published_by", sa.String(200)),
        sa.Column("superseded_at", _utc(), comment="when a later version replaced it"),
    ]
    for column in columns:
        op.add_column("forecast_runs", column)


def _create_forecast_aqi() -> None:
    op.create_table(
        "forecast_aqi",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(64), nullable=False, comment="station code or city"),
        sa.Column("entity_kind", sa.String(8), nullable=False),
        sa.Column("date", sa.Date(), nullable=False, comment="local date of the entity"),
        sa.Column(
            "day", sa.SmallInteger(), nullable=False, comment="1 is the day after the issue day"
        ),
        sa.Column("aqi", sa.Integer(), nullable=False),
        sa.Column("aqi_low", sa.Integer(), nullable=False),
        sa.Column("aqi_high", sa.Integer(), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False, comment="AQI level 1 to 6"),
        sa.Column(
            "primary_pollutant", sa.String(64), nullable=False, comment="joined by '+'; '' if none"
        ),
        sa.Column("warning_level", sa.SmallInteger(), nullable=False, comment="0 none, 1 to 4"),
        sa.Column("warning_scheme", sa.String(64), nullable=False, comment="warning scheme id"),
        sa.Column("model_aqi", sa.Integer(), nullable=False),
        sa.Column("model_aqi_low", sa.Integer(), nullable=False),
        sa.Column("model_aqi_high", sa.Integer(), nullable=False),
        sa.Column("model_level", sa.SmallInteger(), nullable=False),
        sa.Column("model_primary_pollutant", sa.String(64), nullable=False),
        sa.Column("model_warning_level", sa.SmallInteger(), nullable=False),
        sa.CheckConstraint(_ENTITY_KIND_CHECK, name=op.f("ck_forecast_aqi_entity_kind")),
        sa.CheckConstraint("aqi_low <= aqi_high", name=op.f("ck_forecast_aqi_aqi_range")),
        sa.CheckConstraint("level BETWEEN 1 AND 6", name=op.f("ck_forecast_aqi_level")),
        sa.CheckConstraint(
            "warning_level BETWEEN 0 AND 4", name=op.f("ck_forecast_aqi_warning_level")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["forecast_runs.id"],
            name=op.f("fk_forecast_aqi_run_id_forecast_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "entity", "date", name=op.f("pk_forecast_aqi")),
    )


def upgrade() -> None:
    """Add the issuance columns, ``forecast_aqi`` and the audit index."""
    _add_run_columns()
    with op.batch_alter_table("forecasts", table_kwargs={"sqlite_with_rowid": False}) as batch:
        batch.add_column(_entity_kind())
        batch.create_check_constraint(op.f("ck_forecasts_entity_kind"), _ENTITY_KIND_CHECK)
    with op.batch_alter_table("forecast_daily") as batch:
        batch.add_column(_entity_kind())
        batch.drop_column("primary_pollutant")
        batch.drop_column("level")
        batch.drop_column("aqi")
        batch.create_check_constraint(op.f("ck_forecast_daily_entity_kind"), _ENTITY_KIND_CHECK)
    _create_forecast_aqi()
    op.create_index(op.f("ix_audit_log_object"), "audit_log", ["object"])


def downgrade() -> None:
    """Undo 0003; runs lose their review columns and AQI summaries (data lost)."""
    op.drop_index(op.f("ix_audit_log_object"), table_name="audit_log")
    op.drop_table("forecast_aqi")
    with op.batch_alter_table("forecast_daily") as batch:
        batch.drop_constraint(op.f("ck_forecast_daily_entity_kind"), type_="check")
        batch.drop_column("entity_kind")
        batch.add_column(sa.Column("aqi", sa.Integer()))
        batch.add_column(sa.Column("level", sa.SmallInteger()))
        batch.add_column(
            sa.Column("primary_pollutant", sa.String(64), comment="pollutants joined by '+'")
        )
    with op.batch_alter_table("forecasts") as batch:
        batch.drop_constraint(op.f("ck_forecasts_entity_kind"), type_="check")
        batch.drop_column("entity_kind")
    for column in reversed(_RUN_COLUMNS):
        op.drop_column("forecast_runs", column)
