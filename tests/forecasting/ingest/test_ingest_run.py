"""ingest_files into a real SQLite store: idempotence, revisions, all-or-nothing, reports."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from forecasting.config import sqlite_url_for_path
from forecasting.errors import InputDataError, UnknownStandardError
from forecasting.ingest.progress import ProgressEvent
from forecasting.ingest.run import PARSERS, ingest_files, ingest_station_files
from forecasting.qc.flags import QcFlag
from forecasting.qc.report import qc_report
from forecasting.storage import Store

HEADER = "station,time,pm25,pm10,so2,no2,co,o3,temp,pres,dewp,rain,wd,wspm"
ROWS = [
    "Dongsi,2013-03-01T00:00:00+08:00,9.0,9.0,3.0,17.0,300.0,89.0,-0.5,1024.5,-21.4,0.0,NNW,5.7",
    "Dongsi,2013-03-01T01:00:00+08:00,4.0,4.0,3.0,16.0,300.0,88.0,-0.7,1025.1,-22.1,0.0,NW,3.9",
    "Dongsi,2013-03-01T02:00:00+08:00,999.0,7.0,,,,,,,,,,",
]
T1 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
T2 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path, beijing_stations_path: Path) -> Iterator[Store]:
    with Store.open(sqlite_url_for_path(tmp_path / "store.sqlite")) as opened:
        ingest_station_files(opened, [beijing_stations_path])
        yield opened


def _write(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_ingest_twice_changes_nothing(store: Store, tmp_path: Path) -> None:
    path = _write(tmp_path / "a.csv", ROWS)
    events: list[ProgressEvent] = []
    (first,) = ingest_files(
        store, [path], "air", data_dir=tmp_path, progress=events.append, clock=lambda: T1
    )
    assert (first.inserted, first.revised, first.unchanged) == (26, 0, 0)
    assert [(e.stage, e.completed, e.total) for e in events] == [
        ("parse", 1, 4),
        ("qc", 2, 4),
        ("store", 3, 4),
        ("report", 4, 4),
    ]
    (again,) = ingest_files(store, [path], "air", data_dir=tmp_path, clock=lambda: T2)
    assert (again.inserted, again.revised, again.unchanged) == (0, 0, 26)
    stored = store.read_observations(include_revision=True)
    assert len(stored) == 26
    assert set(stored["revision"]) == {1}


def test_values_are_stored_converted_with_flags_and_source(store: Store, tmp_path: Path) -> None:
    path = _write(tmp_path / "a.csv", ROWS)
    (result,) = ingest_files(store, [path], "air", data_dir=tmp_path, clock=lambda: T1)
    stored = store.read_observations(["co", "pm25"], ["Dongsi"])
    co = stored[stored["variable"] == "co"]
    assert co["value"].tolist() == [0.3, 0.3]  # 300 µg/m³ -> mg/m³
    ceiling = stored[stored["value"] == 999.0]
    assert ceiling["qc_flags"].tolist() == [int(QcFlag.CEILING | QcFlag.PM25_GT_PM10)]
    assert set(stored["source"]) == {result.source}
    assert result.flags["CEILING"] == 1
    report = qc_report(store)
    assert report.observations == 26
    assert report.count("CEILING", variable="pm25") == 1


def test_changed_value_in_a_later_file_becomes_a_revision(store: Store, tmp_path: Path) -> None:
    ingest_files(
        store, [_write(tmp_path / "a.csv", ROWS)], "air", data_dir=tmp_path, clock=lambda: T1
    )
    revised_rows = [ROWS[0].replace(",89.0,", ",91.0,"), *ROWS[1:]]
    (result,) = ingest_files(
        store,
        [_write(tmp_path / "b.csv", revised_rows)],
        "air",
        data_dir=tmp_path,
        clock=lambda: T2,
    )
    assert (result.inserted, result.revised, result.unchanged) == (0, 1, 25)
    o3 = store.read_observations(["o3"], ["Dongsi"], include_revision=True)
    first = o3[o3["valid_at"] == pd.Timestamp("2013-02-28T16:00:00Z")]
    assert first[["value", "revision"]].values.tolist() == [[91.0, 2]]
    assert first["ingested_at"].item() == pd.Timestamp(T2)
    before = store.read_observations(["o3"], ["Dongsi"], as_of=T1)
    assert before["value"].tolist() == [89.0, 88.0]


def test_a_bad_file_stops_everything_before_writing(store: Store, tmp_path: Path) -> None:
    good = _write(tmp_path / "good.csv", ROWS)
    bad = _write(tmp_path / "bad.csv", [ROWS[0], ROWS[0].replace("9.0,9.0", "1.0,1.0")])
    with pytest.raises(
        InputDataError, match=r"bad\.csv:3: column 'time': station 'Dongsi' .* repeats line 2"
    ):
        ingest_files(store, [good, bad], "air", data_dir=tmp_path)
    assert store.count_observations(()).loc[0, "count"] == 0
    assert not (tmp_path / "quarantine").exists()


def test_unregistered_station(store: Store, tmp_path: Path) -> None:
    path = _write(tmp_path / "a.csv", [ROWS[0].replace("Dongsi", "Xizhimen")])
    with pytest.raises(
        InputDataError, match=r"a\.csv:2: column 'station': unknown station\(s\) 'Xizhimen'"
    ):
        ingest_files(store, [path], "air", data_dir=tmp_path)


def test_rejected_rows_go_to_the_quarantine_report(store: Store, tmp_path: Path) -> None:
    path = _write(tmp_path / "a.csv", [*ROWS, "Dongsi,2013-03-01T03:00:00+08:00,abc,,,,,,,,,,,"])
    (result,) = ingest_files(store, [path], "air", data_dir=tmp_path / "data", clock=lambda: T1)
    assert result.rejected == 1
    assert result.inserted == 26
    assert result.quarantine is not None
    assert result.quarantine.parent == tmp_path / "data" / "quarantine"
    report = pd.read_csv(result.quarantine)
    assert report[["line", "column", "value"]].values.tolist() == [[5, "pm25", "abc"]]


def test_water_publisher_marks_are_stored(tmp_path: Path, shared_data_dir: Path) -> None:
    header = "station,time,temp,ph,do,cond,turb,codmn,nh3n,tp,tn,chla,algae,wq_class,status,flags"
    line = (
        "CN0010,2020-09-17T08:00:00+08:00,25.5,7.26,3.91,521,73.2,3.65625,0.73672,,2.51564,,,,"
        "maintenance,tp:extreme_filtered"
    )
    path = tmp_path / "w.csv"
    path.write_text(f"{header}\n{line}\n", encoding="utf-8")
    with Store.open(sqlite_url_for_path(tmp_path / "w.sqlite")) as store:
        ingest_station_files(
            store, [shared_data_dir / "water" / "cnemc_national_daily" / "stations.csv"]
        )
        (result,) = ingest_files(store, [path], "water", data_dir=tmp_path)
        stored = store.read_observations(["tp", "do"], ["CN0010"]).set_index("variable")
    assert result.inserted == 9
    assert pd.isna(stored.loc["tp", "value"])
    assert stored.loc["tp", "qc_flags"] == int(QcFlag.MAINTENANCE | QcFlag.PUBLISHER_FILTERED)
    assert stored.loc["do", "qc_flags"] == int(QcFlag.MAINTENANCE)


def test_unknown_kind(store: Store, tmp_path: Path) -> None:
    with pytest.raises(
        UnknownStandardError, match=r"unknown ingest kind 'hj212'; choose one of: air, water"
    ):
        ingest_files(store, [], "hj212", data_dir=tmp_path)
    assert set(PARSERS) == {"air", "water"}


def test_stations_ingest_is_idempotent(store: Store, beijing_stations_path: Path) -> None:
    (result,) = ingest_station_files(store, [beijing_stations_path])
    assert result.stations == 12
    assert (result.summary.inserted, result.summary.updated) == (0, 12)
    assert len(store.read_stations("air")) == 12
