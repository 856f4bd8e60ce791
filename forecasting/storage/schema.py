"""Tables of the ecocast store (SQLAlchemy Core), shared by SQLite and PostgreSQL.

The schema has three parts:

* **Observations**: ``stations``, ``variables``, ``sources`` and
  ``observations``. Every observed value is one row keyed by
  (station, variable, valid time, revision); a correction is a new revision,
  never an update in place, so a backtest can replay what was known when.
* **Catalogues**: ``met_datasets`` (+ ``met_dataset_issues``) for
  meteorological fields and ``emission_inventories``.
* **Issuance**: ``forecast_runs`` (one row per draft or published version),
  their hourly ``forecasts``, daily ``forecast_daily`` and per entity-day AQI
  summary ``forecast_aqi`` (the editable part, beside the model's own
  values), ``forecast_edits``, ``publications``, ``audit_log`` and
  ``api_tokens`` (hashes only). Written by :mod:`forecasting.storage.issuance`
  and :mod:`forecasting.storage.tokens`.

Time columns
------------
Time columns of the high-volume ``observations`` table are ``BIGINT`` seconds
since 1970-01-01T00:00:00Z (UTC): compact, unambiguous, indexed the same way
on both backends and fast to convert to and from pandas in bulk. Read them in
SQL with ``datetime(valid_at, 'unixepoch')`` (SQLite) or
``to_timestamp(valid_at)`` (PostgreSQL). All other time columns are
:class:`UTCDateTime`: timezone-aware UTC datetimes in Python, stored as
``TIMESTAMP WITH TIME ZONE`` on PostgreSQL and as UTC text on SQLite.

Integrity of ``observations``
-----------------------------
``observations.station_id``, ``variable_id`` and ``source_id`` refer to
``stations``, ``variables`` and ``sources`` without declared foreign keys: on
PostgreSQL a foreign key is a per-row trigger, and the three of them made a
bulk insert of 10**6 rows take 30 s instead of 5 s (PostgreSQL 15). The only
writer, :func:`forecasting.storage.observations.write_observations`, takes
the ids from those tables inside its transaction, and ecocast never deletes a
station, variable or source, so the references hold by construction.

The schema is created and changed only by the Alembic migrations in
``forecasting/storage/migrations``; this module is their target and the
reference that ``tests`` compare the migrated database against.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Dialect,
    Double,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.dialects.postgresql import JSONB

__all__ = [
    "ENTITY_KINDS",
    "FORECAST_KINDS",
    "MET_DATASET_FORMATS",
    "MET_DATASET_KINDS",
    "NETWORKS",
    "RUN_STATUSES",
    "WATERBODY_TYPES",
    "UTCDateTime",
    "api_tokens",
    "audit_log",
    "emission_inventories",
    "forecast_aqi",
    "forecast_daily",
    "forecast_edits",
    "forecast_runs",
    "forecasts",
    "met_dataset_issues",
    "met_datasets",
    "metadata",
    "observations",
    "publications",
    "sources",
    "stations",
    "variables",
]

NETWORKS = ("air", "water")
FORECAST_KINDS = ("air", "water")
RUN_STATUSES = ("draft", "published", "superseded")
ENTITY_KINDS = ("station", "city")
MET_DATASET_KINDS = ("forecast", "analysis")
MET_DATASET_FORMATS = ("netcdf", "grib", "zarr")
WATERBODY_TYPES = ("river", "lake")

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    Values must be timezone-aware; they are converted to UTC before they are
    stored and come back as UTC. SQLite, which has no time zone type, stores
    the naive UTC wall time.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert an aware datetime to UTC (naive UTC on SQLite)."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(
                f"naive datetime {value.isoformat()} cannot be stored; attach a tzinfo"
            )
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(
        self,
        value: datetime | None,
        dialect: Dialect,  # noqa: ARG002 - signature fixed by TypeDecorator
    ) -> datetime | None:
        """Return the stored value as an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _json() -> Any:
    return JSON().with_variant(JSONB(), "postgresql")


def _json_or_null() -> Any:
    """JSON whose Python ``None`` is SQL NULL (not the JSON value ``null``)."""
    return JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


def _one_of(column: str, options: tuple[str, ...], name: str) -> CheckConstraint:
    quoted = ", ".join(f"'{o}'" for o in options)
    return CheckConstraint(f"{column} IN ({quoted})", name=name)


# --- observations -----------------------------------------------------------------

stations = Table(
    "stations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False, unique=True, comment="station identifier"),
    Column("name", String(200)),
    Column("name_local", String(200), comment="name in the local language, e.g. 奥体中心"),
    Column("latitude", Double, comment="[degrees north], WGS 84"),
    Column("longitude", Double, comment="[degrees east], WGS 84"),
    Column("station_type", String(32), comment="e.g. urban, suburban, background, lake"),
    Column("timezone", String(64), nullable=False, server_default="Asia/Shanghai"),
    Column("network", String(8), nullable=False),
    Column("basin", String(200)),
    Column("water_body", String(200), comment="river or lake"),
    Column("target_class", SmallInteger, comment="GB 3838-2002 target class, 1 (I) to 5 (V)"),
    # revision 0002
    Column("city", String(200), comment="city (or district) as published"),
    Column("province", String(200), comment="province as published"),
    Column("met_group", String(64), comment="stations sharing one meteorological record"),
    Column(
        "waterbody_type",
        String(8),
        comment="GB 3838-2002 table 1 column: river, or lake (lakes and reservoirs)",
    ),
    Column("attrs", _json_or_null(), comment="other columns of the station file (JSON object)"),
    _one_of("network", NETWORKS, "network"),
    CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude"),
    CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude"),
    CheckConstraint("target_class BETWEEN 1 AND 5", name="target_class"),
    _one_of("waterbody_type", WATERBODY_TYPES, "waterbody_type"),
)

variables = Table(
    "variables",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
)

sources = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(500), nullable=False, unique=True),
)

observations = Table(
    "observations",
    metadata,
    Column("station_id", Integer, nullable=False, comment="stations.id"),
    Column("variable_id", Integer, nullable=False, comment="variables.id"),
    Column("valid_at", BigInteger, nullable=False, comment="[s since epoch, UTC]"),
    Column("revision", Integer, nullable=False),
    Column("value", Double, comment="canonical units; NULL when the publisher blanked it"),
    Column("qc_flags", Integer, nullable=False, server_default="0"),
    Column("source_id", Integer, nullable=False, comment="sources.id"),
    Column("ingested_at", BigInteger, nullable=False, comment="[s since epoch, UTC]"),
    Column("available_at", BigInteger, nullable=False, comment="[s since epoch, UTC]"),
    Column(
        "superseded_at",
        BigInteger,
        comment="[s since epoch, UTC] earliest available_at of a later revision; NULL if none",
    ),
    PrimaryKeyConstraint("station_id", "variable_id", "valid_at", "revision"),
    CheckConstraint("revision >= 1", name="revision"),
    CheckConstraint("qc_flags >= 0", name="qc_flags"),
    sqlite_with_rowid=False,
)

# --- catalogues -------------------------------------------------------------------

met_datasets = Table(
    "met_datasets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("path", String(1000), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("format", String(16), nullable=False),
    Column("variables", _json(), nullable=False),
    Column("attrs", _json(), nullable=False),
    Column("registered_at", UTCDateTime, nullable=False),
    _one_of("kind", MET_DATASET_KINDS, "kind"),
    _one_of("format", MET_DATASET_FORMATS, "format"),
)

met_dataset_issues = Table(
    "met_dataset_issues",
    metadata,
    Column(
        "dataset_id",
        Integer,
        ForeignKey("met_datasets.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("issued_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("dataset_id", "issued_at"),
    Index(None, "issued_at"),
)

emission_inventories = Table(
    "emission_inventories",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("version", String(64), nullable=False),
    Column("base_year", SmallInteger, nullable=False),
    Column("path", String(1000), nullable=False),
    Column("attrs", _json(), nullable=False),
    Column("registered_at", UTCDateTime, nullable=False),
    UniqueConstraint("name", "version"),
)

# --- issuance ---------------------------------------------------------------------

forecast_runs = Table(
    "forecast_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("kind", String(8), nullable=False),
    Column("status", String(16), nullable=False, server_default="draft"),
    Column("version", Integer, nullable=False, server_default="1"),
    Column("model_versions", _json(), nullable=False),
    Column("standard_edition", String(64), nullable=False, comment="standards table id"),
    Column("data_cutoff", UTCDateTime, nullable=False),
    Column("degraded", Boolean, nullable=False, server_default=false()),
    Column("created_at", UTCDateTime, nullable=False),
    # revision 0003
    Column("created_by", String(200)),
    Column("horizon_h", Integer, comment="[h] largest hourly lead"),
    Column("timezone", String(64), comment="IANA zone of the local dates, e.g. Asia/Shanghai"),
    Column("degraded_reasons", _json_or_null(), comment="JSON list of text"),
    Column("inputs", _json_or_null(), comment="input availability (JSON object)"),
    Column(
        "source_run_id",
        Integer,
        comment="forecast_runs.id of the published run this one revises; NULL if none",
    ),
    Column("published_at", UTCDateTime),
    Column("published_by", String(200)),
    Column("superseded_at", UTCDateTime, comment="when a later version replaced it"),
    _one_of("kind", FORECAST_KINDS, "kind"),
    _one_of("status", RUN_STATUSES, "status"),
    Index(None, "kind", "issued_at"),
)

forecasts = Table(
    "forecasts",
    metadata,
    Column("run_id", Integer, ForeignKey("forecast_runs.id", ondelete="CASCADE"), nullable=False),
    Column("entity", String(64), nullable=False, comment="station code or city"),
    Column("variable", String(64), nullable=False),
    Column("valid_at", UTCDateTime, nullable=False),
    Column("lead_h", Integer, nullable=False, comment="[h] 1 is the issue stamp"),
    Column("value", Double),
    Column("q10", Double),
    Column("q90", Double),
    # revision 0003
    Column("entity_kind", String(8), nullable=False, server_default="station"),
    PrimaryKeyConstraint("run_id", "entity", "variable", "valid_at"),
    _one_of("entity_kind", ENTITY_KINDS, "entity_kind"),
    sqlite_with_rowid=False,  # revision 0003: the primary key is the table (half the size)
)

forecast_daily = Table(
    "forecast_daily",
    metadata,
    Column("run_id", Integer, ForeignKey("forecast_runs.id", ondelete="CASCADE"), nullable=False),
    Column("entity", String(64), nullable=False),
    Column("date", Date, nullable=False, comment="local date of the entity"),
    Column("day", SmallInteger, nullable=False, comment="1 to 3"),
    Column("variable", String(64), nullable=False),
    Column("value", Double),
    Column("q10", Double),
    Column("q90", Double),
    # revision 0003 (which moved aqi, level and primary_pollutant to forecast_aqi)
    Column("entity_kind", String(8), nullable=False, server_default="station"),
    PrimaryKeyConstraint("run_id", "entity", "date", "variable"),
    _one_of("entity_kind", ENTITY_KINDS, "entity_kind"),
)

forecast_aqi = Table(
    "forecast_aqi",
    metadata,
    Column("run_id", Integer, ForeignKey("forecast_runs.id", ondelete="CASCADE"), nullable=False),
    Column("entity", String(64), nullable=False, comment="station code or city"),
    Column("entity_kind", String(8), nullable=False),
    Column("date", Date, nullable=False, comment="local date of the entity"),
    Column("day", SmallInteger, nullable=False, comment="1 is the day after the issue day"),
    Column("aqi", Integer, nullable=False),
    Column("aqi_low", Integer, nullable=False),
    Column("aqi_high", Integer, nullable=False),
    Column("level", SmallInteger, nullable=False, comment="AQI level 1 to 6"),
    Column("primary_pollutant", String(64), nullable=False, comment="joined by '+'; '' if none"),
    Column("warning_level", SmallInteger, nullable=False, comment="0 none, 1 to 4"),
    Column("warning_scheme", String(64), nullable=False, comment="warning scheme id"),
    Column("model_aqi", Integer, nullable=False),
    Column("model_aqi_low", Integer, nullable=False),
    Column("model_aqi_high", Integer, nullable=False),
    Column("model_level", SmallInteger, nullable=False),
    Column("model_primary_pollutant", String(64), nullable=False),
    Column("model_warning_level", SmallInteger, nullable=False),
    PrimaryKeyConstraint("run_id", "entity", "date"),
    _one_of("entity_kind", ENTITY_KINDS, "entity_kind"),
    CheckConstraint("aqi_low <= aqi_high", name="aqi_range"),
    CheckConstraint("level BETWEEN 1 AND 6", name="level"),
    CheckConstraint("warning_level BETWEEN 0 AND 4", name="warning_level"),
)

forecast_edits = Table(
    "forecast_edits",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("forecast_runs.id", ondelete="CASCADE"), nullable=False),
    Column("entity", String(64), nullable=False),
    Column("date", Date, nullable=False),
    Column("field", String(64), nullable=False),
    Column("before", _json()),
    Column("after", _json()),
    Column("reason", Text, nullable=False),
    Column("author", String(200), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index(None, "run_id"),
)

publications = Table(
    "publications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("forecast_runs.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("published_at", UTCDateTime, nullable=False),
    Column("published_by", String(200), nullable=False),
    UniqueConstraint("run_id", "version"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(64), nullable=False),
    Column("object", String(200), nullable=False),
    Column("before", _json()),
    Column("after", _json()),
    Index(None, "at"),
    Index(None, "object"),  # revision 0003
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("hash", String(128), nullable=False, unique=True, comment="hash of the token, never it"),
    Column("role", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("revoked_at", UTCDateTime),
)
