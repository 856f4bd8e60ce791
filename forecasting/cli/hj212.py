"""``ecocast hj212 listen`` and ``ecocast ingest hj212 FILE…``: HJ 212-2017 packets into the store.

The store is ``--db URL`` (a SQLAlchemy URL or a SQLite file path), else the
``ECOCAST_DATABASE_URL`` setting, else ``<data dir>/ecocast.sqlite``. Devices are
configured in a partner file (``--partners``, default
``<data dir>/hj212_partners.toml``; see :mod:`forecasting.ingest.hj212_partners`).
Rejected packets and values go to ``<data dir>/quarantine/``: one report per
ingested file, and for the listener one report per UTC day that each batch
appends to (``hj212-listen.<YYYYMMDD>.csv``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import signal
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console

from forecasting.cli.console import make_console
from forecasting.cli.ingest import print_ingest_results
from forecasting.cli.options import DataDirOption, DbOption, open_store, settings_for
from forecasting.errors import InputDataError
from forecasting.hj212_server import Hj212Server, Hj212ServerConfig, Hj212ServerStats
from forecasting.ingest.hj212 import HJ212_AVAILABLE_LAG, Hj212IngestResult, ingest_hj212_files
from forecasting.ingest.hj212_partners import Hj212Partners, read_hj212_partners
from forecasting.ingest.quarantine import quarantine_path
from forecasting.storage import Store

__all__ = ["PARTNER_FILE_NAME", "hj212_app", "ingest_hj212_command", "listen"]

PARTNER_FILE_NAME = "hj212_partners.toml"
"""Default partner file in the data directory."""

hj212_app = typer.Typer(
    no_args_is_help=True, help="HJ 212-2017 data loggers: listen for packets over TCP."
)


def _check_registered(store: Store, partners: Hj212Partners) -> None:
    known = set(store.read_stations()["station"].astype(str))
    missing = [s for s in partners.stations if s not in known]
    if missing:
        raise InputDataError(
            f"{partners.path}: station(s) {', '.join(map(repr, missing))} of the HJ 212 "
            "partners are not registered; register them first with 'ecocast ingest stations FILE'"
        )


def _appending_sink(
    data_dir: Path, clock: Callable[[], datetime]
) -> Callable[[pd.DataFrame], None]:
    def sink(rejects: pd.DataFrame) -> None:
        path = quarantine_path(data_dir, f"hj212-listen@{clock():%Y%m%d}")
        path.parent.mkdir(parents=True, exist_ok=True)
        rejects.to_csv(path, mode="a", header=not path.exists(), index=False)

    return sink


def _utc_now() -> datetime:
    return datetime.now(UTC)


async def _serve(server: Hj212Server, console: Console) -> Hj212ServerStats:
    async with server:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, server.stop)
        console.print(
            f"listening for HJ 212 packets on {server.config.host}:{server.port} "
            f"({len(server.partners)} partner device(s)); Ctrl-C stops",
            highlight=False,
        )
        return await server.serve()


@hj212_app.command("listen")
def listen(
    *,
    host: Annotated[str, typer.Option("--host", help="Address to bind.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="TCP port (0: any).")
    ] = 8212,
    partners: Annotated[
        Path | None,
        typer.Option("--partners", help=f"Partner file (default <data dir>/{PARTNER_FILE_NAME})."),
    ] = None,
    db: DbOption = None,
    data_dir: DataDirOption = None,
    max_packets: Annotated[
        int | None, typer.Option("--max-packets", min=1, help="Stop after N packets.")
    ] = None,
    duration: Annotated[
        float | None, typer.Option("--duration", min=0.0, help="Stop after S seconds.")
    ] = None,
    batch_packets: Annotated[
        int, typer.Option("--batch-packets", min=1, help="Packets per stored batch.")
    ] = 100,
    batch_seconds: Annotated[
        float, typer.Option("--batch-seconds", min=0.01, help="Longest wait before storing [s].")
    ] = 1.0,
) -> None:
    """Listen for HJ 212-2017 data loggers; store hourly data, answer as the standard says."""
    settings = settings_for(data_dir)
    table = read_hj212_partners(partners or settings.data_dir / PARTNER_FILE_NAME)
    config = Hj212ServerConfig(
        host=host,
        port=port,
        batch_packets=batch_packets,
        batch_seconds=batch_seconds,
        max_packets=max_packets,
        duration=duration,
    )
    console = make_console(stderr=True)
    with open_store(db, settings) as store:
        _check_registered(store, table)
        writer = functools.partial(store.write_observations, available_lag=HJ212_AVAILABLE_LAG)
        sink = _appending_sink(settings.data_dir, _utc_now)
        server = Hj212Server(table, writer, config=config, quarantine=sink)
        stats = asyncio.run(_serve(server, console))
    make_console().print(
        f"{stats.packets:,} packets from {stats.connections:,} connection(s): "
        f"{stats.stored:,} observations stored in {stats.batches:,} batch(es), "
        f"{stats.acknowledged:,} acknowledged, {stats.answered:,} answered, "
        f"{stats.rejected:,} rejected, {stats.failed_batches:,} failed batch(es)",
        highlight=False,
    )


def ingest_hj212_command(
    files: Annotated[
        list[Path],
        typer.Argument(help="Packet files, one packet per line (.gz allowed).", show_default=False),
    ],
    *,
    partners: Annotated[
        Path, typer.Option("--partners", help="Partner file: MN -> station and units (TOML).")
    ],
    db: DbOption = None,
    data_dir: DataDirOption = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail on the first bad packet instead of quarantining.")
    ] = False,
) -> None:
    """Ingest HJ 212-2017 packet files (hourly CN 2061 averages) into the store."""
    settings = settings_for(data_dir)
    table = read_hj212_partners(partners)
    with open_store(db, settings) as store:
        results = ingest_hj212_files(store, files, table, data_dir=settings.data_dir, strict=strict)
    _print_results(results)


def _print_results(results: list[Hj212IngestResult]) -> None:
    notes = []
    for result in results:
        lines = []
        if result.skipped:
            skipped = ", ".join(f"CN {cn}: {n:,}" for cn, n in sorted(result.skipped.items()))
            lines.append(f"packets not stored (not hourly means): {skipped}")
        if result.ignored:
            lines.append(f"{result.ignored:,} value(s) of ignored codes")
        notes.append(lines)
    print_ingest_results([r.ingest for r in results], rows_label="packets", notes=notes)
