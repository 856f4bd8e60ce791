"""An asyncio TCP listener for HJ 212-2017 data loggers: frame, answer, store in batches.

Data loggers (现场机) connect and send packets ``##LLLL<data segment>CCCC<CR><LF>``.
Each packet is framed and answered as :mod:`forecasting.hj212_protocol`
decides (QnRtn 9 for a CRC error, 4 for an unknown MN, 9014 for data with
Flag A=1, …); every decision is logged through ``logging.getLogger(__name__)``.

Storage and acknowledgement: observations (:mod:`forecasting.ingest.hj212`:
hourly ``Avg``, hour-start UTC ``valid_at``, canonical units, 表8 flags as QC
bits, then :func:`~forecasting.qc.apply.apply_qc` over the batch) are written
in batches of ``batch_packets`` packets or every ``batch_seconds``, each batch
one transaction run in a worker thread, so the event loop keeps serving and
readers are never blocked (SQLite WAL, PostgreSQL MVCC). A 9014 is sent only
after the batch holding its packet has been committed; if the write fails,
nothing of it is acknowledged (the logger resends) and its packets go to the
quarantine sink. Shutdown (:meth:`Hj212Server.aclose`) stores what is pending
and sends its acknowledgements before closing the connections.

Bounds: a connection buffers at most one maximum packet (``## + 4 + 1024 + 4 +
CR LF`` = 1036 bytes) plus one read; bytes without ``##LLLL`` and packets
longer than that are dropped and logged. A full batch makes the connection wait
for the flush (back-pressure); ``max_connections`` caps concurrent loggers; a
connection silent for ``idle_timeout`` seconds is closed.

References
----------
.. [1] HJ 212-2017 污染物在线监控（监测）系统数据传输标准, §6.3, 附录A, 表3 (Flag A),
   表7 (QnRtn), 表9 (CN 9011, 9014); data file ``cn_mee_hj212_2017``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Protocol

import pandas as pd

from forecasting.hj212_protocol import OTHER_UPLOADS, decide, split_frames
from forecasting.ingest.hj212 import HJ212_QC_FLAGS, hj212_observations
from forecasting.ingest.hj212_partners import Hj212Partners
from forecasting.ingest.parsed import REJECT_COLUMNS
from forecasting.ingest.run import STORE_COLUMNS
from forecasting.qc.apply import apply_qc
from forecasting.qc.rules import QcRules
from forecasting.standards.hj212 import Hj212Packet
from forecasting.standards.hj212_codes import Hj212Standard, read_hj212

__all__ = [
    "Hj212Server",
    "Hj212ServerConfig",
    "Hj212ServerStats",
    "ObservationWriter",
    "QuarantineSink",
]

logger = logging.getLogger(__name__)

_READ_BYTES = 4096


class ObservationWriter(Protocol):
    """Stores one batch of observations in one transaction (``Store.write_observations``)."""

    def __call__(self, frame: pd.DataFrame, *, ingested_at: datetime) -> object:
        """Write ``frame`` (station, variable, valid_at, value, qc_flags, source)."""
        ...


QuarantineSink = Callable[[pd.DataFrame], None]
"""Receives rejected packets and values (``file, line, column, value, reason``)."""


@dataclass(frozen=True)
class Hj212ServerConfig:
    """Settings of the listener.

    Attributes
    ----------
    host : str
        Address to bind (default loopback ``127.0.0.1``).
    port : int
        TCP port; 0 picks a free one (see :attr:`Hj212Server.port`).
    batch_packets : int
        Packets per stored batch (one transaction).
    batch_seconds : float
        Longest wait before a pending batch is stored [s].
    idle_timeout : float
        Close a connection silent for this long [s].
    max_connections : int
        Concurrent connections; more are closed at once.
    answer_crc_errors : bool
        Answer a CRC error with QnRtn 9 (default) or drop it silently.
    max_packets : int or None
        Stop after this many packets (bounded runs, tests, demos).
    duration : float or None
        Stop after this many seconds [s].
    other_uploads : frozenset of str
        Uploads (表9 "u") that are acknowledged but not stored.
    """

    host: str = "127.0.0.1"
    port: int = 8212
    batch_packets: int = 100
    batch_seconds: float = 1.0
    idle_timeout: float = 600.0
    max_connections: int = 256
    answer_crc_errors: bool = True
    max_packets: int | None = None
    duration: float | None = None
    other_uploads: frozenset[str] = OTHER_UPLOADS


@dataclass
class Hj212ServerStats:
    """Counters of one run (mutated by the server only)."""

    connections: int = 0
    packets: int = 0
    answered: int = 0
    acknowledged: int = 0
    rejected: int = 0
    stored: int = 0
    batches: int = 0
    failed_batches: int = 0
    dropped_bytes: int = 0


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class _Pending:
    packet: Hj212Packet
    number: int
    ack: str | None
    writer: asyncio.StreamWriter


@dataclass
class _State:
    pending: list[_Pending] = field(default_factory=list)
    readers: dict[asyncio.Task[None], tuple[asyncio.StreamReader, asyncio.StreamWriter]] = field(
        default_factory=dict
    )
    sequence: int = 0


class Hj212Server:
    """The HJ 212 listener: one asyncio TCP server, batched writes, acks after commit.

    Use it as an async context manager (starts on enter; on exit stops
    accepting, stores what is pending, sends its acknowledgements and closes
    the connections), and :meth:`serve` to run until :meth:`stop`, or until
    ``max_packets`` or ``duration`` of the config.

    Parameters
    ----------
    partners : Hj212Partners
        Known devices.
    writer : ObservationWriter
        Stores one batch in one transaction, e.g. ``functools.partial(
        store.write_observations, available_lag=HJ212_AVAILABLE_LAG)``.
    config : Hj212ServerConfig, optional
        Address, batch size, limits.
    rules : QcRules, optional
        QC thresholds for :func:`~forecasting.qc.apply.apply_qc` (per batch).
    quarantine : callable, optional
        Receives rejected packets and values (``REJECT_COLUMNS``).
    clock : callable, optional
        Ingestion time (tz-aware); default now, UTC.
    standard : Hj212Standard, optional
        Tables; default :func:`~forecasting.standards.hj212_codes.read_hj212` ().

    Examples
    --------
    >>> async def run(partners, store):  # doctest: +SKIP
    ...     config = Hj212ServerConfig(port=0, duration=60)
    ...     async with Hj212Server(partners, store.write_observations, config=config) as s:
    ...         return await s.serve()
    """

    def __init__(
        self,
        partners: Hj212Partners,
        writer: ObservationWriter,
        *,
        config: Hj212ServerConfig | None = None,
        rules: QcRules | None = None,
        quarantine: QuarantineSink | None = None,
        clock: Callable[[], datetime] = _utc_now,
        standard: Hj212Standard | None = None,
    ) -> None:
        self.partners = partners
        self.config = config or Hj212ServerConfig()
        self.stats = Hj212ServerStats()
        self._writer = writer
        self._rules = rules
        self._quarantine = quarantine
        self._clock = clock
        self._std = standard or read_hj212()
        self._state = _State()
        self._server: asyncio.Server | None = None
        self._done = asyncio.Event()
        self._flush_lock = asyncio.Lock()
        self._ticker: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        """The bound TCP port (the real one when the config asks for 0)."""
        if self._server is None or not self._server.sockets:
            return self.config.port
        return int(self._server.sockets[0].getsockname()[1])

    async def __aenter__(self) -> Hj212Server:
        self._server = await asyncio.start_server(
            self._connection, self.config.host, self.config.port, limit=_READ_BYTES
        )
        self._ticker = asyncio.create_task(self._tick())
        logger.info("HJ 212 listener on %s:%d", self.config.host, self.port)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def stop(self) -> None:
        """Ask :meth:`serve` to return (call from the event loop's thread)."""
        self._done.set()

    async def serve(self) -> Hj212ServerStats:
        """Serve until :meth:`stop`, ``max_packets`` or ``duration``; then close.

        Returns
        -------
        Hj212ServerStats
            Counters of the run.
        """
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._done.wait(), timeout=self.config.duration)
        await self.aclose()
        return self.stats

    async def aclose(self) -> None:
        """Stop accepting, store and acknowledge what is pending, close every connection."""
        if self._server is None:
            return
        server, self._server = self._server, None
        self._done.set()
        server.close()
        for reader, writer in list(self._state.readers.values()):
            if isinstance(writer.transport, asyncio.ReadTransport):
                writer.transport.pause_reading()  # no more data: the handler sees the end,
            reader.feed_eof()  # stores and acknowledges what it has, then closes
        await asyncio.gather(*self._state.readers, return_exceptions=True)
        if self._ticker is not None:
            await self._ticker
        await self.flush()
        await server.wait_closed()
        logger.info("HJ 212 listener stopped: %s", self.stats)

    async def flush(self) -> None:
        """Store the pending batch (one transaction, in a thread), then send its 9014s."""
        async with self._flush_lock:
            batch, self._state.pending = self._state.pending, []
            if batch:
                await self._store(batch)

    async def _tick(self) -> None:
        while not self._done.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._done.wait(), timeout=self.config.batch_seconds)
            await self.flush()

    async def _store(self, batch: list[_Pending]) -> None:
        try:
            result = hj212_observations(
                [p.packet for p in batch],
                self.partners,
                lines=[p.number for p in batch],
                flag_map=HJ212_QC_FLAGS,
                standard=self._std,
            )
            frame = result.observations
            frame["source"] = "hj212:" + frame["mn"]
            frame = apply_qc(frame, self._rules).loc[:, list(STORE_COLUMNS)]
            await asyncio.to_thread(self._writer, frame, ingested_at=self._clock())
        except Exception as exc:  # keep serving; unacknowledged packets are resent
            logger.exception("HJ 212 batch of %d packets not stored, not acknowledged", len(batch))
            self.stats.failed_batches += 1
            self._reject([(p.number, p.packet.raw, "store", f"not stored: {exc}") for p in batch])
            return
        self.stats.batches += 1
        self.stats.stored += len(frame)
        rejects = result.rejects
        self._reject(
            list(
                zip(
                    rejects["line"],
                    rejects["value"],
                    rejects["column"],
                    rejects["reason"],
                    strict=True,
                )
            )
        )
        for pending in batch:
            if pending.ack is not None and await self._send(pending.writer, pending.ack):
                self.stats.acknowledged += 1

    def _reject(self, rows: list[tuple[object, object, object, object]]) -> None:
        if not rows:
            return
        self.stats.rejected += len(rows)
        frame = pd.DataFrame(
            {
                "file": "hj212-listen",
                "line": [r[0] for r in rows],
                "column": [str(r[2]) for r in rows],
                "value": [str(r[1]).rstrip("\r\n") for r in rows],
                "reason": [str(r[3]) for r in rows],
            }
        )
        for row in frame.itertuples(index=False):
            logger.warning("HJ 212 packet %s rejected (%s): %s", row.line, row.column, row.reason)
        if self._quarantine is not None:
            self._quarantine(frame.loc[:, list(REJECT_COLUMNS)])

    async def _send(self, writer: asyncio.StreamWriter, text: str) -> bool:
        if writer.is_closing():
            logger.warning("HJ 212 answer not sent, connection closed: %s", text.strip())
            return False
        try:
            writer.write(text.encode(self._std.encoding))
            await writer.drain()
        except (ConnectionError, OSError) as exc:
            logger.warning("HJ 212 answer not sent (%s): %s", exc, text.strip())
            return False
        return True

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        peer = writer.get_extra_info("peername")
        busy = len(self._state.readers) >= self.config.max_connections
        if task is None or busy or self._done.is_set():
            logger.warning("HJ 212 connection from %s refused (busy or stopping)", peer)
            writer.close()
            return
        self._state.readers[task] = (reader, writer)
        self.stats.connections += 1
        logger.info("HJ 212 connection from %s", peer)
        try:
            await self._read(reader, writer)
            await self.flush()  # acknowledge this connection's packets before closing it
        finally:
            del self._state.readers[task]
            writer.close()
            logger.info("HJ 212 connection from %s closed", peer)

    async def _read(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        buffer = b""
        while not self._done.is_set():
            try:
                chunk = await asyncio.wait_for(
                    reader.read(_READ_BYTES), timeout=self.config.idle_timeout
                )
            except (TimeoutError, ConnectionError):
                return
            if not chunk:
                return
            frames, dropped, buffer = split_frames(buffer + chunk, self._std)
            for data, reason in dropped:
                self.stats.dropped_bytes += len(data)
                logger.warning("HJ 212 bytes dropped (%s): %r", reason, data[:80])
            for frame in frames:
                await self._packet(frame, writer)

    async def _packet(self, frame: bytes, writer: asyncio.StreamWriter) -> None:
        limit = self.config.max_packets
        if limit is not None and self.stats.packets >= limit:
            return
        self.stats.packets += 1
        if limit is not None and self.stats.packets >= limit:
            self._done.set()  # this packet is still handled; the connection then closes
        self._state.sequence += 1
        number = self._state.sequence
        try:
            decision = decide(
                frame,
                self.partners,
                answer_crc_errors=self.config.answer_crc_errors,
                other_uploads=self.config.other_uploads,
                standard=self._std,
            )
        except Exception as exc:  # a packet must never stop the listener
            logger.exception("HJ 212 packet %d could not be handled", number)
            text = frame.decode(self._std.encoding, "replace")
            self._reject([(number, text, "packet", f"not handled: {exc!r}")])
            return
        logger.info("HJ 212 packet %d: %s", number, decision.note)
        if decision.reject is not None:
            field_, reason = decision.reject
            self._reject([(number, frame.decode(self._std.encoding, "replace"), field_, reason)])
        if decision.answer is not None and await self._send(writer, decision.answer):
            self.stats.answered += 1
        if decision.packet is not None:
            self._state.pending.append(_Pending(decision.packet, number, decision.ack, writer))
            if len(self._state.pending) >= self.config.batch_packets:
                await self.flush()
