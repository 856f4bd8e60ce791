"""The :class:`Store` facade: one object for the observation store and its catalogues.

>>> from forecasting.storage import Store
>>> store = Store.open("sqlite://")          # in memory; a file or PostgreSQL URL in use
>>> store.schema_revision() == store.head_revision()
True
>>> store.close()

A store is opened on a database URL (or the ``ECOCAST_DATABASE_URL`` setting,
or the SQLite file in the data directory) and upgrades its schema to the
newest migration on open. Each write method runs in its own transaction: it
stores everything or nothing. Reads never wait for writers (SQLite WAL,
PostgreSQL MVCC).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import pandas as pd
from sqlalchemy import Engine

from forecasting.config import Settings
from forecasting.storage import (
    catalogue,
    issuance,
    issuance_audit,
    issuance_edits,
    issuance_reads,
    issuance_versions,
    reads,
    tokens,
)
from forecasting.storage.catalogue import (
    EmissionInventory,
    MetDataset,
    MetDatasetFormat,
    MetDatasetKind,
)
from forecasting.storage.engine import (
    create_store_engine,
    read_transaction,
    resolve_database_url,
    write_transaction,
)
from forecasting.storage.issuance import RunInfo
from forecasting.storage.issuance_edits import EditInfo
from forecasting.storage.migrate import current_revision, head_revision, upgrade
from forecasting.storage.observations import (
    DEFAULT_AVAILABLE_LAG,
    WriteSummary,
    write_observations,
)
from forecasting.storage.stations import Network, StationSummary, read_stations, upsert_stations
from forecasting.storage.tokens import TokenInfo

__all__ = ["Clock", "Store"]

Clock = Callable[[], datetime]
TimeLike = datetime | str


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Store:
    """Observation store and catalogues on SQLite or PostgreSQL.

    Build it with :meth:`open`. The store holds an engine (a connection pool);
    close it with :meth:`close` or use it as a context manager.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        An engine from :func:`forecasting.storage.engine.create_store_engine`
        whose schema is at head.
    clock : callable, optional
        Returns the current aware time, for registration stamps. Default
        ``datetime.now(UTC)``.
    """

    def __init__(self, engine: Engine, *, clock: Clock | None = None) -> None:
        self._engine = engine
        self._clock = clock or _utc_now

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        settings: Settings | None = None,
        migrate: bool = True,
        clock: Clock | None = None,
    ) -> Store:
        """Open (and create or upgrade) the store at ``url``.

        Parameters
        ----------
        url : str, optional
            Database URL or SQLite file path (``--db``). Default: the
            ``database_url`` of ``settings``.
        settings : Settings, optional
            Runtime settings; :func:`forecasting.config.load_settings` when
            omitted and needed.
        migrate : bool, optional
            Run the Alembic migrations up to head (default). With ``False``
            the schema must already be current.
        clock : callable, optional
            Current-time source for registration stamps.

        Returns
        -------
        Store
            The open store.

        Raises
        ------
        forecasting.errors.InputDataError
            For an invalid or unsupported URL.
        """
        resolved = resolve_database_url(url, settings)
        engine = create_store_engine(resolved)
        if migrate:
            upgrade(engine)
        return cls(engine, clock=clock)

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for tables that later modules fill)."""
        return self._engine

    @property
    def url(self) -> str:
        """The database URL, password hidden."""
        return self._engine.url.render_as_string(hide_password=True)

    def close(self) -> None:
        """Close every pooled connection."""
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.url!r})"

    def schema_revision(self) -> str | None:
        """Return the Alembic revision the database is at."""
        return current_revision(self._engine)

    @staticmethod
    def head_revision() -> str:
        """Return the newest Alembic revision shipped with ecocast."""
        return head_revision()

    # --- stations ---------------------------------------------------------------

    def upsert_stations(self, frame: pd.DataFrame) -> StationSummary:
        """Insert or update stations; see :func:`forecasting.storage.stations.upsert_stations`."""
        with write_transaction(self._engine) as connection:
            return upsert_stations(connection, frame)

    def read_stations(self, network: Network | None = None) -> pd.DataFrame:
        """Return the stations; see :func:`forecasting.storage.stations.read_stations`."""
        with read_transaction(self._engine) as connection:
            return read_stations(connection, network)

    # --- observations -----------------------------------------------------------

    def write_observations(
        self,
        frame: pd.DataFrame,
        *,
        ingested_at: datetime,
        available_lag: timedelta = DEFAULT_AVAILABLE_LAG,
    ) -> WriteSummary:
        """Store a frame of observations in one transaction.

        See :func:`forecasting.storage.observations.write_observations` for
        the frame, the revision rule and ``available_at``.
        """
        with write_transaction(self._engine) as connection:
            return write_observations(
                connection, frame, ingested_at=ingested_at, available_lag=available_lag
            )

    def read_observations(
        self,
        variables: str | Iterable[str] | None = None,
        stations: str | Iterable[str] | None = None,
        start: TimeLike | None = None,
        end: TimeLike | None = None,
        *,
        as_of: TimeLike | None = None,
        exclude_flags: int = 0,
        include_revision: bool = False,
    ) -> pd.DataFrame:
        """Read tidy observations as known at ``as_of``.

        See :func:`forecasting.storage.reads.read_observations`.
        """
        with read_transaction(self._engine) as connection:
            return reads.read_observations(
                connection,
                variables,
                stations,
                start,
                end,
                as_of=as_of,
                exclude_flags=exclude_flags,
                include_revision=include_revision,
            )

    def read_observations_wide(
        self,
        variables: str | Iterable[str] | None = None,
        stations: str | Iterable[str] | None = None,
        start: TimeLike | None = None,
        end: TimeLike | None = None,
        *,
        as_of: TimeLike | None = None,
        exclude_flags: int = 0,
    ) -> pd.DataFrame:
        """Read observations, one column per variable.

        See :func:`forecasting.storage.reads.read_observations_wide`.
        """
        with read_transaction(self._engine) as connection:
            return reads.read_observations_wide(
                connection,
                variables,
                stations,
                start,
                end,
                as_of=as_of,
                exclude_flags=exclude_flags,
            )

    def read_observation_revisions(
        self,
        variables: str | Iterable[str] | None = None,
        stations: str | Iterable[str] | None = None,
        start: TimeLike | None = None,
        end: TimeLike | None = None,
        *,
        exclude_flags: int = 0,
    ) -> pd.DataFrame:
        """Read every revision with its ``available_at`` and ``superseded_at``.

        See :func:`forecasting.storage.reads.read_observation_revisions`.
        """
        with read_transaction(self._engine) as connection:
            return reads.read_observation_revisions(
                connection, variables, stations, start, end, exclude_flags=exclude_flags
            )

    def count_observations(
        self,
        by: Sequence[str] = ("station", "variable", "qc_flags"),
        *,
        as_of: TimeLike | None = None,
    ) -> pd.DataFrame:
        """Count current observations by group; see :func:`.reads.count_observations`."""
        with read_transaction(self._engine) as connection:
            return reads.count_observations(connection, by, as_of=as_of)

    # --- catalogues -------------------------------------------------------------

    def register_met_dataset(
        self,
        path: str | Path,
        kind: MetDatasetKind,
        format: MetDatasetFormat,
        issue_times: Iterable[datetime],
        variables: Iterable[str],
        attrs: Mapping[str, Any] | None = None,
    ) -> MetDataset:
        """Register a meteorological dataset; see :func:`.catalogue.register_met_dataset`."""
        with write_transaction(self._engine) as connection:
            return catalogue.register_met_dataset(
                connection,
                path,
                kind,
                format,
                issue_times,
                variables,
                attrs,
                registered_at=self._clock(),
            )

    def list_met_datasets(
        self,
        *,
        kind: MetDatasetKind | None = None,
        variable: str | None = None,
        issued_from: datetime | None = None,
        issued_before: datetime | None = None,
    ) -> list[MetDataset]:
        """List meteorological datasets; see :func:`.catalogue.list_met_datasets`."""
        with read_transaction(self._engine) as connection:
            return catalogue.list_met_datasets(
                connection,
                kind=kind,
                variable=variable,
                issued_from=issued_from,
                issued_before=issued_before,
            )

    def register_emission_inventory(
        self,
        name: str,
        version: str,
        base_year: int,
        path: str | Path,
        attrs: Mapping[str, Any] | None = None,
    ) -> EmissionInventory:
        """Register an emission inventory; see :func:`.catalogue.register_emission_inventory`."""
        with write_transaction(self._engine) as connection:
            return catalogue.register_emission_inventory(
                connection, name, version, base_year, path, attrs, registered_at=self._clock()
            )

    def list_emission_inventories(self, *, name: str | None = None) -> list[EmissionInventory]:
        """List emission inventories; see :func:`.catalogue.list_emission_inventories`."""
        with read_transaction(self._engine) as connection:
            return catalogue.list_emission_inventories(connection, name=name)

    # --- issuance: runs, review, audit ------------------------------------------

    def create_run(
        self,
        kind: str,
        issued_at: TimeLike,
        *,
        hourly: pd.DataFrame,
        daily: pd.DataFrame,
        aqi: pd.DataFrame,
        model_versions: Mapping[str, Any],
        standard_edition: str,
        data_cutoff: TimeLike,
        degraded: bool,
        degraded_reasons: Sequence[str],
        inputs: Mapping[str, Any],
        timezone: str,
        actor: str,
    ) -> RunInfo:
        """Store a draft forecast run; see :func:`.issuance.create_run`."""
        with write_transaction(self._engine) as connection:
            return issuance.create_run(
                connection,
                kind,
                issued_at,
                hourly=hourly,
                daily=daily,
                aqi=aqi,
                model_versions=model_versions,
                standard_edition=standard_edition,
                data_cutoff=data_cutoff,
                degraded=degraded,
                degraded_reasons=degraded_reasons,
                inputs=inputs,
                timezone=timezone,
                actor=actor,
                created_at=self._clock(),
            )

    def get_run(self, run_id: int) -> RunInfo:
        """Return one run; see :func:`.issuance.get_run`."""
        with read_transaction(self._engine) as connection:
            return issuance.get_run(connection, run_id)

    def list_runs(
        self, kind: str = "air", *, status: str | None = None, limit: int = 50
    ) -> list[RunInfo]:
        """List runs, latest issue first; see :func:`.issuance.list_runs`."""
        with read_transaction(self._engine) as connection:
            return issuance.list_runs(connection, kind, status=status, limit=limit)

    def read_run_hourly(
        self,
        run_id: int,
        *,
        entity: str | Iterable[str] | None = None,
        variables: str | Iterable[str] | None = None,
    ) -> pd.DataFrame:
        """Read a run's hourly forecasts; see :func:`.issuance_reads.read_run_hourly`."""
        with read_transaction(self._engine) as connection:
            return issuance_reads.read_run_hourly(
                connection, run_id, entity=entity, variables=variables
            )

    def read_run_daily(
        self, run_id: int, *, entity: str | Iterable[str] | None = None
    ) -> pd.DataFrame:
        """Read a run's daily values; see :func:`.issuance_reads.read_run_daily`."""
        with read_transaction(self._engine) as connection:
            return issuance_reads.read_run_daily(connection, run_id, entity=entity)

    def read_run_aqi(
        self, run_id: int, *, entity: str | Iterable[str] | None = None
    ) -> pd.DataFrame:
        """Read a run's AQI summary with model values; see :func:`.issuance_reads.read_run_aqi`."""
        with read_transaction(self._engine) as connection:
            return issuance_reads.read_run_aqi(connection, run_id, entity=entity)

    def edit_run(
        self,
        run_id: int,
        *,
        entity: str,
        date: date | str,
        field: str,
        value: object,
        reason: str,
        author: str,
    ) -> EditInfo:
        """Edit one field of one entity-day of a draft; see :func:`.issuance_edits.edit_run`."""
        with write_transaction(self._engine) as connection:
            return issuance_edits.edit_run(
                connection,
                run_id,
                entity=entity,
                date=date,
                field=field,
                value=value,
                reason=reason,
                author=author,
                at=self._clock(),
            )

    def list_edits(self, run_id: int, *, entity: str | None = None) -> list[EditInfo]:
        """List a run's edits, oldest first; see :func:`.issuance_edits.list_edits`."""
        with read_transaction(self._engine) as connection:
            return issuance_edits.list_edits(connection, run_id, entity=entity)

    def publish_run(self, run_id: int, *, author: str) -> RunInfo:
        """Publish a draft as the next version; see :func:`.issuance_versions.publish_run`."""
        with write_transaction(self._engine) as connection:
            return issuance_versions.publish_run(
                connection, run_id, author=author, at=self._clock()
            )

    def revise_run(self, run_id: int, *, author: str) -> RunInfo:
        """Copy a published run into a new draft; see :func:`.issuance_versions.revise_run`."""
        with write_transaction(self._engine) as connection:
            return issuance_versions.revise_run(connection, run_id, author=author, at=self._clock())

    def latest_published(
        self, kind: str = "air", *, as_of: TimeLike | None = None
    ) -> RunInfo | None:
        """Return the public run as of a time; see :func:`.issuance.latest_published`."""
        with read_transaction(self._engine) as connection:
            return issuance.latest_published(connection, kind, as_of=as_of)

    def published_for_issue(self, kind: str, issued_at: TimeLike) -> list[RunInfo]:
        """Return all published versions of one issue; see :func:`.issuance.published_for_issue`."""
        with read_transaction(self._engine) as connection:
            return issuance.published_for_issue(connection, kind, issued_at)

    def read_audit(self, *, object: str | None = None, limit: int = 200) -> pd.DataFrame:
        """Read the audit trail; see :func:`.issuance_audit.read_audit`."""
        with read_transaction(self._engine) as connection:
            return issuance_audit.read_audit(connection, object=object, limit=limit)

    # --- API tokens ---------------------------------------------------------------

    def create_token(self, name: str, role: str, *, actor: str = "system") -> str:
        """Create an API token and return its plaintext (shown once; only a hash is stored).

        See :func:`.tokens.create_token`. ``authenticate_token`` on the
        returned text gives the token's id and record.
        """
        with write_transaction(self._engine) as connection:
            _, token = tokens.create_token(
                connection, name, role, created_at=self._clock(), actor=actor
            )
            return token

    def authenticate_token(self, token: str) -> TokenInfo | None:
        """Check a bearer token; see :func:`.tokens.authenticate_token`."""
        with read_transaction(self._engine) as connection:
            return tokens.authenticate_token(connection, token)

    def revoke_token(self, token_id: int, *, actor: str = "system") -> TokenInfo:
        """Revoke a token; see :func:`.tokens.revoke_token`."""
        with write_transaction(self._engine) as connection:
            return tokens.revoke_token(connection, token_id, at=self._clock(), actor=actor)

    def list_tokens(self) -> list[TokenInfo]:
        """List every token without secrets; see :func:`.tokens.list_tokens`."""
        with read_transaction(self._engine) as connection:
            return tokens.list_tokens(connection)
