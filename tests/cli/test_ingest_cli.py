"""``ecocast ingest`` and ``ecocast qc report`` end to end on a SQLite file."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

from forecasting.cli import run
from forecasting.config import sqlite_url_for_path
from forecasting.storage import Store

HEADER = "station,time,pm25,pm10,so2,no2,co,o3,temp,pres,dewp,rain,wd,wspm"
ROWS = [
    "Dongsi,2013-03-01T00:00:00+08:00,9.0,9.0,3.0,17.0,300.0,89.0,-0.5,1024.5,-21.4,0.0,NNW,5.7",
    "Dongsi,2013-03-01T01:00:00+08:00,999.0,4.0,3.0,16.0,300.0,88.0,-0.7,1025.1,-22.1,0.0,NW,3.9",
]


@pytest.fixture
def db(tmp_path: Path, beijing_stations_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    url = sqlite_url_for_path(tmp_path / "cli.sqlite")
    assert run(["ingest", "stations", str(beijing_stations_path), "--db", url]) == 0
    assert "12 stations (12 new, 0 updated)" in capsys.readouterr().out
    return url


def _file(tmp_path: Path, rows: list[str], name: str = "obs.csv") -> str:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return str(path)


def _count(url: str) -> int:
    with Store.open(url) as store:
        return int(store.count_observations(()).loc[0, "count"])


def test_ingest_air_then_qc_report(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _file(tmp_path, ROWS)
    assert run(["ingest", "air", path, "--db", db, "--data-dir", str(tmp_path)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "QC flags: CEILING 1, PM25_GT_PM10 2" in out
    assert _count(db) == 24

    assert run(["qc", "report", "--db", db, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["observations"] == 24
    assert report["flags"] == {"CEILING": 1, "PM25_GT_PM10": 2}
    assert report["by_station"]["Dongsi"]["observations"] == 24
    assert {"station": "Dongsi", "variable": "pm25", "flag": "CEILING", "count": 1} in report[
        "by_station_variable_flag"
    ]

    assert run(["qc", "report", "--db", db]) == 0
    text = capsys.readouterr().out
    assert "24 stored observations, 2 with a QC flag" in text
    assert "QC flags by variable" in text
    assert "QC flags by station" in text


def test_second_ingest_reports_everything_unchanged(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _file(tmp_path, ROWS)
    assert run(["ingest", "air", path, "--db", db, "--data-dir", str(tmp_path)]) == 0
    capsys.readouterr()
    assert run(["ingest", "air", path, "--db", db, "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    # columns: file, rows, observations, new, revised, unchanged, rejected
    assert re.search(r"│\s*2\s*│\s*24\s*│\s*0\s*│\s*0\s*│\s*24\s*│\s*0\s*│", out)
    assert _count(db) == 24


def test_declared_unit(db: str, tmp_path: Path) -> None:
    path = _file(tmp_path, ROWS)
    assert (
        run(["ingest", "air", path, "--db", db, "--data-dir", str(tmp_path), "--unit", "co=mg/m3"])
        == 0
    )
    with Store.open(db) as store:
        assert store.read_observations(["co"])["value"].tolist() == [300.0, 300.0]


@pytest.mark.parametrize(
    ("rows", "extra", "message"),
    [
        (
            [ROWS[0], ROWS[0]],
            [],
            "obs.csv:3: column 'time': station 'Dongsi' at 2013-02-28T16:00:00+00:00 "
            "repeats line 2",
        ),
        (
            [ROWS[0].replace("+08:00", "")],
            [],
            "obs.csv:2: column 'time': 1 timestamp(s) have no UTC offset",
        ),
        ([ROWS[0].replace("Dongsi", "Xizhimen")], [], "unknown station(s) 'Xizhimen'"),
        (
            ROWS,
            ["--unit", "co=ppm"],
            "unknown unit for co 'ppm'; choose one of: mg/m3, ng/m3, ug/m3",
        ),
        (ROWS, ["--tz", "Beijing"], "unknown time zone 'Beijing'"),
    ],
)
def test_errors_are_one_line_exit_1_and_store_unchanged(
    db: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    rows: list[str],
    extra: list[str],
    message: str,
) -> None:
    path = _file(tmp_path, rows)
    assert run(["ingest", "air", path, "--db", db, "--data-dir", str(tmp_path), *extra]) == 1
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert err.startswith("error: ")
    assert "\n" not in err
    assert message in err
    assert "Traceback" not in captured.err + captured.out
    assert _count(db) == 0


def test_rejected_rows_are_reported(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _file(tmp_path, [*ROWS, "Dongsi,2013-03-01T02:00:00+08:00,abc,,,,,,,,,,,"])
    data = tmp_path / "data"
    assert run(["ingest", "air", path, "--db", db, "--data-dir", str(data)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "1 rejected item(s) listed in" in out
    assert len(list((data / "quarantine").glob("obs.csv.*.csv"))) == 1


def test_strict_makes_a_bad_row_an_error(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _file(tmp_path, [*ROWS, "Dongsi,2013-03-01T02:00:00+08:00,abc,,,,,,,,,,,"])
    assert run(["ingest", "air", path, "--db", db, "--data-dir", str(tmp_path), "--strict"]) == 1
    assert "obs.csv:4: column 'pm25': not a number (value 'abc')" in capsys.readouterr().err
    assert _count(db) == 0


def test_water_needs_registered_water_stations(
    db: str, tmp_path: Path, shared_data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    water = shared_data_dir / "water" / "cnemc_4h_202104"
    with gzip.open(water / "observations.csv.gz", "rt", encoding="utf-8") as stream:
        head = [next(stream) for _ in range(201)]  # header + 200 real rows
    path = tmp_path / "water.csv"
    path.write_text("".join(head), encoding="utf-8")
    censored = sum(line.split(",")[8] == "0.025" for line in head[1:])  # nh3n at its floor
    args = ["--db", db, "--data-dir", str(tmp_path)]
    assert run(["ingest", "water", str(path), *args]) == 1
    assert "unknown station(s) 'CN0001'" in capsys.readouterr().err
    assert run(["ingest", "stations", str(water / "stations.csv"), *args]) == 0
    assert run(["ingest", "water", str(path), *args]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "1574 stations (1574 new, 0 updated)" in out
    assert censored > 0
    assert run(["qc", "report", "--json", "--db", db]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["by_variable"]["nh3n"]["flags"]["CENSORED"] == censored


def test_database_from_the_environment(
    tmp_path: Path, beijing_stations_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = sqlite_url_for_path(tmp_path / "env.sqlite")
    monkeypatch.setenv("ECOCAST_DATABASE_URL", url)
    assert run(["ingest", "stations", str(beijing_stations_path)]) == 0
    with Store.open(url) as store:
        assert len(store.read_stations()) == 12


def test_default_database_in_the_data_dir(
    tmp_path: Path, beijing_stations_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ECOCAST_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    assert (
        run(["ingest", "stations", str(beijing_stations_path), "--data-dir", str(tmp_path / "d")])
        == 0
    )
    assert (tmp_path / "d" / "ecocast.sqlite").is_file()


def test_bad_network_is_a_usage_error(tmp_path: Path, beijing_stations_path: Path) -> None:
    url = sqlite_url_for_path(tmp_path / "n.sqlite")
    assert (
        run(["ingest", "stations", str(beijing_stations_path), "--db", url, "--network", "sea"])
        == 2
    )
