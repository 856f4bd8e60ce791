"""``ecocast ingest stations --city``: fill an absent city; the Beijing list defaults to Beijing."""

from __future__ import annotations

from pathlib import Path

import pytest

from forecasting.cli import run
from forecasting.config import sqlite_url_for_path
from forecasting.storage import Store


def _cities(url: str) -> dict[str, str]:
    with Store.open(url) as store:
        stations = store.read_stations()
    return dict(zip(stations["station"], stations["city"], strict=True))


def test_beijing_list_defaults_to_beijing(tmp_path: Path, beijing_stations_path: Path) -> None:
    url = sqlite_url_for_path(tmp_path / "c.sqlite")
    assert run(["ingest", "stations", str(beijing_stations_path), "--db", url]) == 0
    assert set(_cities(url).values()) == {"Beijing"}


def test_city_option_fills_the_city(
    tmp_path: Path, beijing_stations_path: Path, shared_data_dir: Path
) -> None:
    url = sqlite_url_for_path(tmp_path / "c.sqlite")
    daily = shared_data_dir / "water" / "cnemc_national_daily" / "stations.csv"
    files = [str(beijing_stations_path), str(daily)]
    assert run(["ingest", "stations", *files, "--db", url, "--city", "北京市"]) == 0
    cities = _cities(url)
    assert cities["Dongsi"] == "北京市"
    assert cities["CN0010"] == "青浦区"  # the file's own city is kept
    with Store.open(url) as store:
        water = store.read_stations("water").set_index("station")
    assert water.loc["CN0726", "waterbody_type"] == "river"
    assert water.loc["CN0726", "attrs"]["in_daily_set"] is True


def test_empty_city_is_a_usage_error(
    tmp_path: Path, beijing_stations_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = sqlite_url_for_path(tmp_path / "c.sqlite")
    assert run(["ingest", "stations", str(beijing_stations_path), "--db", url, "--city", " "]) == 2
    assert "--city" in capsys.readouterr().err
    assert not (tmp_path / "c.sqlite").exists()


def test_a_bad_waterbody_type_is_one_line_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("station,network,waterbody_type\nW1,water,sea\n", encoding="utf-8")
    url = sqlite_url_for_path(tmp_path / "c.sqlite")
    assert run(["ingest", "stations", str(bad), "--db", url]) == 1
    err = capsys.readouterr().err
    assert "'waterbody_type' has invalid value 'sea' at rows 2; valid: river, lake" in err
    assert "Traceback" not in err
    assert _cities(url) == {}
