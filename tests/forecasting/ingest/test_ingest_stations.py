"""Station files in the shared layouts -> the store's station frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from forecasting.errors import InputDataError
from forecasting.ingest.stations import detect_station_layout, read_station_file


def test_beijing_air_stations(beijing_stations_path: Path) -> None:
    frame = read_station_file(beijing_stations_path)
    # shared/data/air/beijing/stations.csv, line 2:
    # "Aotizhongxin,奥体中心,39.982,116.397,urban,城区,aotizhongxin_aq,1011A,..."
    first = frame.loc[2]
    assert (first["station"], first["name"], first["name_local"]) == (
        "Aotizhongxin",
        "Aotizhongxin",
        "奥体中心",
    )
    assert (first["latitude"], first["longitude"], first["type"]) == (39.982, 116.397, "urban")
    assert len(frame) == 12
    assert set(frame["network"]) == {"air"}
    assert frame.index.name == "line"


def test_water_stations_drop_columns_the_file_leaves_empty(shared_data_dir: Path) -> None:
    daily = read_station_file(shared_data_dir / "water" / "cnemc_national_daily" / "stations.csv")
    four_hourly = read_station_file(shared_data_dir / "water" / "cnemc_4h_202104" / "stations.csv")
    assert len(daily) == 98
    assert len(four_hourly) == 1_574
    # README: "The source gives no coordinates and no water-function target class"; "City and
    # river/lake are filled for the daily-set stations only".
    assert "water_body" in daily.columns
    assert "water_body" not in four_hourly.columns
    for absent in ("latitude", "longitude", "target_class"):
        assert absent not in daily.columns
    assert daily.loc[daily["station"] == "CN0010", "water_body"].item() == "淀山湖"
    assert set(four_hourly["network"]) == {"water"}


def test_ecocast_layout_needs_a_network(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("station,name,latitude,longitude\nX1,Site one,30.5,114.2\n", encoding="utf-8")
    with pytest.raises(InputDataError, match="network"):
        read_station_file(path)
    frame = read_station_file(path, network="air")
    assert frame["network"].tolist() == ["air"]
    assert np.isclose(frame["latitude"].item(), 30.5)


def test_implied_network_cannot_be_contradicted(beijing_stations_path: Path) -> None:
    with pytest.raises(InputDataError, match="holds air stations, not water"):
        read_station_file(beijing_stations_path, network="water")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "station,network\nA,air\nB,air\nA,air\n",
            r"s\.csv:4: column 'station': station 'A' repeats line 2",
        ),
        ("station,network\nA,air\n,air\n", r"s\.csv:3: column 'station': missing station code"),
        (
            "station,network,latitude\nA,air,north\n",
            r"s\.csv:2: column 'latitude': 'north' is not a number",
        ),
        ("station,network\nB,air\nA,air,x\n", r"s\.csv:3: malformed line"),
    ],
)
def test_bad_station_files_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "s.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputDataError, match=message):
        read_station_file(path)


def test_unknown_layout_lists_what_is_expected() -> None:
    with pytest.raises(InputDataError, match="unknown station file layout .* expected the shared"):
        detect_station_layout(["code", "lat", "lon"])
