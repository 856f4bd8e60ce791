"""Station files → city, province, met group, river or lake, and attrs (nothing dropped)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from forecasting.config import sqlite_url_for_path
from forecasting.errors import InputDataError
from forecasting.ingest.reader import read_raw_table
from forecasting.ingest.stations import (
    DEFAULT_CITY,
    attrs_from_columns,
    read_station_file,
)
from forecasting.ingest.waterbody import WaterbodyRules
from forecasting.storage import Store

WATER_HEADER = (
    "station,name_zh,aliases_zh,province_zh,basin_zh,basin_en,city_zh,river_or_lake_zh,"
    "latitude,longitude,target_class,in_daily_set,in_4h_set"
)
SOURCE_NOTE = "waterbody_types.toml 2026-11-23: "


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as stream:
        return next(csv.reader(stream))


def _daily(shared_data_dir: Path) -> Path:
    return shared_data_dir / "water" / "cnemc_national_daily" / "stations.csv"


def _four_hourly(shared_data_dir: Path) -> Path:
    return shared_data_dir / "water" / "cnemc_4h_202104" / "stations.csv"


def test_beijing_met_groups_city_and_attrs(beijing_stations_path: Path) -> None:
    frame = read_station_file(beijing_stations_path).set_index("station")
    # shared/data/README.md: "the met columns are identical within the groups
    # {Aotizhongxin, Guanyuan}, {Changping, Dingling} and {Dongsi, Nongzhanguan, Tiantan}"
    groups = frame.groupby("met_group").groups
    shared = sorted(sorted(members) for members in groups.values() if len(members) > 1)
    assert shared == [
        ["Aotizhongxin", "Guanyuan"],
        ["Changping", "Dingling"],
        ["Dongsi", "Nongzhanguan", "Tiantan"],
    ]
    assert frame["met_group"].nunique() == 8  # "M1–M8"
    assert set(frame["city"]) == {"Beijing"} == {DEFAULT_CITY["beijing_air"]}
    # README: "Wanliu 2.88 km (KDD 39.987 N vs CNEMC 39.9611 N)"; station line:
    # "Wanliu,万柳,39.987,116.287,urban,城区,wanliu_aq,1007A,海淀万柳,39.9611,116.2878,2.88,M7,…"
    wanliu = frame.loc["Wanliu"]
    assert wanliu["latitude"] == 39.987
    assert wanliu["attrs"] == {
        "type_zh": "城区",
        "kdd_station_id": "wanliu_aq",
        "cnemc_code": "1007A",
        "name_zh_cnemc": "海淀万柳",
        "latitude_cnemc2022": 39.9611,
        "longitude_cnemc2022": 116.2878,
        "coord_offset_km": 2.88,
        "coord_source": wanliu["attrs"]["coord_source"],
        "coord2_source": (
            "CNEMC national hourly release 2022-01-01T00 "
            "(HeQinWill/CNEMC Archive/2022-01-01/2022-01-01T00.csv)"
        ),
        "type_source": wanliu["attrs"]["type_source"],
    }
    assert wanliu["attrs"]["coord_source"].startswith("KDD Cup 2018 station list")
    assert "waterbody_type" not in frame.columns
    assert "province" not in frame.columns  # the file does not say, and we do not guess


@pytest.mark.parametrize("city", ["北京市", " Peking "])
def test_city_option_replaces_the_beijing_default(beijing_stations_path: Path, city: str) -> None:
    frame = read_station_file(beijing_stations_path, city=city)
    assert set(frame["city"]) == {city.strip()}


def test_cnemc_daily_city_province_basin_and_type(shared_data_dir: Path) -> None:
    frame = read_station_file(_daily(shared_data_dir)).set_index("station")
    # stations.csv line 2: "CN0010,急水港桥,,上海市,长江流域,Yangtze,青浦区,淀山湖,,,,True,True"
    first = frame.loc["CN0010"]
    assert (first["name_local"], first["province"], first["city"]) == (
        "急水港桥",
        "上海市",
        "青浦区",
    )
    assert (first["basin"], first["water_body"], first["waterbody_type"]) == (
        "Yangtze",
        "淀山湖",
        "lake",
    )
    assert first["attrs"] == {
        "basin_zh": "长江流域",
        "in_daily_set": True,
        "in_4h_set": True,
        "waterbody_type_source": SOURCE_NOTE + "river or lake name",
    }
    # line 52: "CN0726,兰山嘴(老),,江苏省,太湖流域,Lake Taihu basin,苏州市,太湖,,,,True,True"
    taihu = frame.loc["CN0726"]
    assert (taihu["water_body"], taihu["waterbody_type"]) == ("太湖", "river")
    assert taihu["attrs"]["waterbody_type_source"] == SOURCE_NOTE + "station override"
    # line 67: "CN0970,岗南水库,,河北省,海河流域,Hai River,石家庄市,滹沱河,,,,True,True"
    assert frame.loc["CN0970", "waterbody_type"] == "lake"
    assert frame["waterbody_type"].value_counts().to_dict() == {"river": 86, "lake": 12}
    assert frame["city"].notna().all()
    assert frame["province"].notna().all()


def test_cnemc_four_hourly_has_no_type_and_no_city(shared_data_dir: Path) -> None:
    # README: "City and river/lake are filled for the daily-set stations only"; the
    # type is unknown rather than guessed from the station name (waterbody_types.toml).
    frame = read_station_file(_four_hourly(shared_data_dir))
    for absent in ("city", "water_body", "waterbody_type"):
        assert absent not in frame.columns
    assert frame["province"].notna().all()
    assert frame["attrs"].iloc[0] == {
        "basin_zh": "长江流域",
        "in_daily_set": False,
        "in_4h_set": True,
    }
    with_city = read_station_file(_four_hourly(shared_data_dir), city="某市")
    assert set(with_city["city"]) == {"某市"}


@pytest.mark.parametrize("which", ["beijing", "daily", "four_hourly"])
def test_no_column_of_a_shared_station_file_is_dropped(
    shared_data_dir: Path, beijing_stations_path: Path, which: str
) -> None:
    path = {
        "beijing": beijing_stations_path,
        "daily": _daily(shared_data_dir),
        "four_hourly": _four_hourly(shared_data_dir),
    }[which]
    frame = read_station_file(path)
    raw = pd.read_csv(path, dtype=str)
    mapped = {
        "station", "name_zh", "latitude", "longitude", "type", "met_group", "province_zh",
        "basin_en", "city_zh", "river_or_lake_zh", "target_class",
    }  # fmt: skip
    in_attrs = set().union(*(a.keys() for a in frame["attrs"] if a))
    for column in _header(path):
        if column in mapped:
            continue
        if raw[column].notna().any():
            assert column in in_attrs, column
    assert in_attrs - set(_header(path)) <= {"waterbody_type_source"}


def _water_file(tmp_path: Path, rows: list[str], extra: str = "") -> Path:
    path = tmp_path / "stations.csv"
    path.write_text("\n".join([WATER_HEADER + extra, *rows]) + "\n", encoding="utf-8")
    return path


def test_an_explicit_waterbody_type_column_wins(tmp_path: Path) -> None:
    path = _water_file(
        tmp_path,
        [
            "CN0010,急水港桥,,上海市,长江流域,Yangtze,青浦区,淀山湖,,,,True,True,river",
            "CN0086,橄榄坝,,云南省,西南诸河,Southwest rivers,西双版纳州,澜沧江,,,,True,True,",
            "CN0726,兰山嘴(老),,江苏省,太湖流域,Lake Taihu basin,苏州市,太湖,,,,True,True,lake",
        ],
        extra=",waterbody_type",
    )
    frame = read_station_file(path).set_index("station")
    assert frame["waterbody_type"].tolist() == ["river", "river", "lake"]
    assert "waterbody_type_source" not in frame.loc["CN0010", "attrs"]  # the file said
    assert frame.loc["CN0086", "attrs"]["waterbody_type_source"].endswith("river or lake name")
    assert "waterbody_type" not in frame.loc["CN0726", "attrs"]


def test_the_city_option_fills_only_rows_without_a_city(tmp_path: Path) -> None:
    path = _water_file(
        tmp_path,
        [
            "A1,甲,,上海市,长江流域,Yangtze,青浦区,,,,,True,True",
            "A2,乙,,上海市,长江流域,Yangtze,,,,,,True,True",
        ],
    )
    assert read_station_file(path, city="上海市")["city"].tolist() == ["青浦区", "上海市"]
    alone = read_station_file(path)["city"]
    assert alone.iloc[0] == "青浦区"
    assert pd.isna(alone.iloc[1])


def test_waterbody_rules_are_an_argument(tmp_path: Path) -> None:
    path = _water_file(
        tmp_path, ["A1,甲,,云南省,西南诸河,Southwest rivers,大理州,洱海,,,,True,True"]
    )
    rules = WaterbodyRules(("海",), {}, "v9", "mine.toml")
    frame = read_station_file(path, waterbody_rules=rules)
    assert frame["waterbody_type"].tolist() == ["lake"]
    assert frame["attrs"].item()["waterbody_type_source"] == "mine.toml v9: river or lake name"


def test_attrs_types_by_column(tmp_path: Path) -> None:
    path = _water_file(
        tmp_path,
        [
            "A1,甲,,上海市,长江流域,Yangtze,,,,,,TRUE,false,0123,1.5,x,",
            "A2,乙,别名,上海市,长江流域,Yangtze,,,,,,False,,0,-2,3,",
        ],
        extra=",code,depth_m,mixed,empty",
    )
    raw = read_raw_table(path)
    got = attrs_from_columns(raw, ["aliases_zh", "in_daily_set", "in_4h_set", "code", "depth_m"])
    assert got.index.tolist() == [2, 3]
    assert got.tolist() == [
        {"in_daily_set": True, "in_4h_set": False, "code": "0123", "depth_m": 1.5},
        {"aliases_zh": "别名", "in_daily_set": False, "code": "0", "depth_m": -2.0},
    ]
    assert attrs_from_columns(raw, ["mixed"]).tolist() == [{"mixed": "x"}, {"mixed": "3"}]
    assert attrs_from_columns(raw, ["empty"]).tolist() == [None, None]
    assert attrs_from_columns(raw, []).tolist() == [None, None]


def test_ecocast_layout_takes_the_new_columns_as_they_are(tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    attrs = json.dumps({"cnemc_code": "1003A"}).replace('"', '""')
    path.write_text(
        "station,network,city,province,met_group,waterbody_type,water_body,attrs\n"
        f'W1,water,昆明市,云南省,,lake,滇池,"{attrs}"\n'
        "W2,water,,,,,太湖,\n",
        encoding="utf-8",
    )
    frame = read_station_file(path)
    assert frame["waterbody_type"].iloc[0] == "lake"
    assert pd.isna(frame["waterbody_type"].iloc[1])  # not derived from 太湖: taken as given
    assert "met_group" not in frame.columns  # empty in the whole file
    with Store.open(sqlite_url_for_path(tmp_path / "s.sqlite")) as store:
        store.upsert_stations(frame)
        got = store.read_stations().set_index("station")
    assert got.loc["W1", "attrs"] == {"cnemc_code": "1003A"}
    assert got.loc["W1", "city"] == "昆明市"
    assert got.loc["W2", "attrs"] is None


def test_shared_station_files_round_trip_through_the_store(
    tmp_path: Path, beijing_stations_path: Path, shared_data_dir: Path
) -> None:
    frames = [read_station_file(beijing_stations_path), read_station_file(_daily(shared_data_dir))]
    with Store.open(sqlite_url_for_path(tmp_path / "s.sqlite")) as store:
        for frame in frames:
            store.upsert_stations(frame)
        got = store.read_stations().set_index("station")
    assert got.loc["Dongsi", "met_group"] == "M3"
    assert got.loc["Dongsi", "attrs"]["cnemc_code"] == "1003A"
    assert got.loc["CN0726", ["city", "province", "waterbody_type"]].tolist() == [
        "苏州市",
        "江苏省",
        "river",
    ]
    assert got.loc["CN0010", "attrs"]["basin_zh"] == "长江流域"
    assert got["waterbody_type"].value_counts().to_dict() == {"river": 86, "lake": 12}


def test_an_empty_city_is_refused(beijing_stations_path: Path) -> None:
    with pytest.raises(InputDataError, match="the city must be a non-empty name"):
        read_station_file(beijing_stations_path, city="  ")
