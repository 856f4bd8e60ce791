"""Concurrent ingestion while others read: nothing is lost and readers are never blocked."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pandas as pd

from forecasting.storage import Store, create_store_engine, write_transaction
from forecasting.storage.observations import write_observations

INGESTED = datetime(2026, 11, 23, tzinfo=UTC)
VARIABLES = ["pm25", "pm10", "o3"]


def day_batch(day: int, station: str = "Dongsi") -> pd.DataFrame:
    """One day of hourly values for three variables (72 rows)."""
    times = pd.date_range("2024-01-01", periods=24, freq="h", tz="UTC") + pd.Timedelta(days=day)
    return pd.concat(
        pd.DataFrame(
            {
                "station": station,
                "variable": variable,
                "valid_at": times,
                "value": float(day),
                "qc_flags": 0,
                "source": f"day{day}.csv",
            }
        )
        for variable in VARIABLES
    )


def test_a_reader_is_not_blocked_by_an_open_write_and_sees_the_last_commit(
    registered: Store, store_url: str
):
    registered.write_observations(day_batch(0), ingested_at=INGESTED)
    # a second store with a short lock wait: a blocked read would fail within 0.2 s
    reader = Store(create_store_engine(store_url, busy_timeout_ms=200))
    try:
        with write_transaction(registered.engine) as connection:
            write_observations(connection, day_batch(1), ingested_at=INGESTED)
            started = time.perf_counter()
            during = reader.read_observations()
            assert time.perf_counter() - started < 5.0
            assert len(during) == 72  # the uncommitted day is invisible
        assert len(reader.read_observations()) == 144
    finally:
        reader.close()


def test_ingesting_while_reading_loses_nothing(registered: Store, store_url: str):
    batches = 12
    errors: list[BaseException] = []
    seen: list[int] = []
    done = threading.Event()
    reading = threading.Event()
    reader = Store.open(store_url, migrate=False)

    def ingest() -> None:
        try:
            reading.wait(timeout=30)
            for day in range(batches):
                registered.write_observations(day_batch(day), ingested_at=INGESTED)
        except BaseException as exc:  # reported to the main thread
            errors.append(exc)
        finally:
            done.set()

    def read() -> None:
        try:
            while not done.is_set():
                frame = reader.read_observations(VARIABLES, ["Dongsi"])
                seen.append(len(frame))
                reading.set()
                # a batch is visible whole or not at all
                assert len(frame) % 72 == 0
                assert frame.groupby("valid_at").size().eq(3).all()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=ingest), threading.Thread(target=read)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    reader.close()
    assert errors == []
    assert len(seen) >= 2
    assert seen == sorted(seen)  # counts never go back
    assert len(registered.read_observations()) == batches * 72


def test_two_writers_are_serialised_not_failed(registered: Store):
    errors: list[BaseException] = []

    def ingest(station: str) -> None:
        try:
            for day in range(6):
                registered.write_observations(day_batch(day, station), ingested_at=INGESTED)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=ingest, args=(s,)) for s in ("Dongsi", "Aotizhongxin")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    counts = registered.count_observations(by=["station"])
    assert counts.to_dict("list") == {"station": ["Aotizhongxin", "Dongsi"], "count": [432, 432]}


def test_two_writers_of_the_same_keys_number_revisions_without_gaps(registered: Store):
    # both threads write day 0 with different values: one inserts, the other revises
    errors: list[BaseException] = []

    def ingest(value: float) -> None:
        try:
            registered.write_observations(day_batch(0).assign(value=value), ingested_at=INGESTED)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=ingest, args=(v,)) for v in (1.0, 2.0)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    got = registered.read_observations(include_revision=True)
    assert len(got) == 72
    assert set(got["revision"]) == {2}
