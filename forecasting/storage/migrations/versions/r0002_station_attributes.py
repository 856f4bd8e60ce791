"""Station attributes: city, province, met_group, waterbody_type and attrs.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

Adds five nullable columns to ``stations``; existing rows keep their values
and get NULL in the new columns. ``waterbody_type`` is ``'river'``,
``'lake'`` (lakes and reservoirs, GB 3838-2002 表1 "湖、库") or NULL, checked
by the database. SQLite cannot add a CHECK constraint to an existing table,
so there Alembic's batch mode rebuilds ``stations`` (a copy of a small table;
``observations`` does not refer to it by a foreign key, see
:mod:`forecasting.storage.schema`). Written out in full, like 0001, so that
this revision stays what it was when later revisions change the schema.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

__all__ = ["branch_labels", "depends_on", "down_revision", "downgrade", "revision", "upgrade"]

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("city", "province", "met_group", "waterbody_type", "attrs")
_CHECK = "ck_stations_waterbody_type"


def _json() -> Any:
    return sa.JSON(none_as_null=True).with_variant(
        postgresql.JSONB(none_as_null=True), "postgresql"
    )


def upgrade() -> None:
    """Add the station attribute columns (nullable) and the waterbody_type check."""
    with op.batch_alter_table("stations") as batch:
        batch.add_column(
            sa.Column("city", sa.String(200), comment="city (or district) as published")
        )
        batch.add_column(sa.Column("province", sa.String(200), comment="province as published"))
        batch.add_column(
            sa.Column(
                "met_group",
                sa.String(64),
                comment="stations sharing one meteorological record",
            )
        )
        batch.add_column(
            sa.Column(
                "waterbody_type",
                sa.String(8),
                comment="GB 3838-2002 table 1 column: river, or lake (lakes and reservoirs)",
            )
        )
        batch.add_column(
            sa.Column("attrs", _json(), comment="other columns of the station file (JSON object)")
        )
        batch.create_check_constraint(op.f(_CHECK), sa.text("waterbody_type IN ('river', 'lake')"))


def downgrade() -> None:
    """Drop the station attribute columns (their values are lost)."""
    with op.batch_alter_table("stations") as batch:
        batch.drop_constraint(op.f(_CHECK), type_="check")
        for column in reversed(_COLUMNS):
            batch.drop_column(column)
