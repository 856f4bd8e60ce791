"""Stations: upsert by code, partial updates, validation, and reading back."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import InputDataError
from forecasting.storage import STATION_COLUMNS, StationSummary, Store


def test_stations_round_trip(store: Store, stations: pd.DataFrame):
    assert store.upsert_stations(stations) == StationSummary(inserted=3, updated=0)
    got = store.read_stations()
    assert list(got.columns) == list(STATION_COLUMNS)
    assert got["station"].tolist() == ["Aotizhongxin", "Dongsi", "W001"]
    assert got["name_local"].tolist()[:2] == ["奥体中心", "东四"]
    assert got["latitude"].tolist() == [39.982, 39.929, 24.9]
    assert got["timezone"].tolist() == ["Asia/Shanghai"] * 3  # the default
    # GB 3838-2002 class "IV" is stored as 4
    assert got["target_class"].tolist()[2] == 4
    assert got["target_class"].isna().tolist() == [True, True, False]
    assert str(got["target_class"].dtype) == "Int64"
    assert str(got["station"].dtype) == "str"
    assert np.isnan(got.loc[0, "basin"])


def test_read_stations_by_network(store: Store, stations: pd.DataFrame):
    store.upsert_stations(stations)
    assert store.read_stations("water")["station"].tolist() == ["W001"]
    assert store.read_stations("air")["station"].tolist() == ["Aotizhongxin", "Dongsi"]
    with pytest.raises(InputDataError, match="unknown network 'sea'; choose one of: air, water"):
        store.read_stations("sea")  # type: ignore[arg-type]


def test_upsert_updates_only_the_given_columns(store: Store, stations: pd.DataFrame):
    store.upsert_stations(stations)
    update = pd.DataFrame(
        {"station": ["W001", "X9"], "network": ["water", "water"], "target_class": [3, 2]}
    )
    assert store.upsert_stations(update) == StationSummary(inserted=1, updated=1)
    got = store.read_stations("water").set_index("station")
    assert got.loc["W001", "target_class"] == 3
    assert got.loc["W001", "water_body"] == "Dianchi Lake"  # untouched
    assert got.loc["X9", "timezone"] == "Asia/Shanghai"


def test_upserting_the_same_stations_twice_keeps_one_row_each(store: Store, stations):
    store.upsert_stations(stations)
    assert store.upsert_stations(stations) == StationSummary(inserted=0, updated=3)
    assert len(store.read_stations()) == 3


def test_a_missing_value_clears_a_given_column(store: Store, stations: pd.DataFrame):
    store.upsert_stations(stations)
    store.upsert_stations(pd.DataFrame({"station": ["Dongsi"], "network": ["air"], "type": [None]}))
    assert pd.isna(store.read_stations().set_index("station").loc["Dongsi", "type"])


def test_station_time_zone_is_kept(store: Store):
    frame = pd.DataFrame({"station": ["U1"], "network": ["air"], "timezone": ["Asia/Urumqi"]})
    store.upsert_stations(frame)
    assert store.read_stations()["timezone"].tolist() == ["Asia/Urumqi"]


def _one(**columns: object) -> pd.DataFrame:
    base: dict[str, object] = {"station": "S1", "network": "air"}
    base.update(columns)
    return pd.DataFrame({k: [v] for k, v in base.items()}, index=[7])


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"station": ["S"]}), r"missing column\(s\) \['network'\]"),
        (_one(elevation=40.0), r"unknown column\(s\) \['elevation'\]; allowed: station, name"),
        (_one(network="sea"), r"'network' has invalid value 'sea' at rows 7; valid: air, water"),
        (_one(station=""), r"'station' has invalid value '' at rows 7"),
        (
            _one(latitude=91.0),
            r"'latitude' has invalid value 91\.0 at rows 7; valid: .*\[-90, 90\]",
        ),
        (_one(longitude="east"), r"'longitude' has invalid value 'east'"),
        (_one(timezone="Beijing"), r"'timezone' has invalid value 'Beijing'.*IANA"),
        (_one(target_class="VI"), r"'target_class' has invalid value 'VI'.*I, II, III, IV, V"),
        (_one(target_class=0), r"'target_class' has invalid value 0"),
    ],
)
def test_invalid_stations_are_refused(store: Store, frame: pd.DataFrame, message: str):
    with pytest.raises(InputDataError, match=message):
        store.upsert_stations(frame)
    assert store.read_stations().empty


def test_repeated_codes_are_refused(store: Store):
    frame = pd.DataFrame({"station": ["A", "B", "A"], "network": ["air"] * 3})
    with pytest.raises(InputDataError, match=r"station codes repeat at rows 0, 2"):
        store.upsert_stations(frame)


@pytest.mark.parametrize(("given", "stored"), [(1, 1), ("iii", 3), ("V", 5), (2.0, 2)])
def test_target_class_accepts_numbers_and_roman_numerals(store: Store, given, stored):
    store.upsert_stations(_one(network="water", target_class=given))
    assert store.read_stations()["target_class"].tolist() == [stored]


def test_empty_frame_upserts_nothing(store: Store):
    empty = pd.DataFrame({"station": pd.Series(dtype="str"), "network": pd.Series(dtype="str")})
    assert store.upsert_stations(empty) == StationSummary(0, 0)
    assert list(store.read_stations().columns) == list(STATION_COLUMNS)


def test_overlong_text_is_refused_before_the_database_sees_it(store: Store):
    with pytest.raises(InputDataError, match=r"'station' has invalid value 'SSSS.*at most 64"):
        store.upsert_stations(_one(station="S" * 65))
