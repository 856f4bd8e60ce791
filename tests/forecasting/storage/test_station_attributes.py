"""Revision 0002: city, province, met_group, waterbody_type and attrs on stations.

The upgrade from 0001 keeps data; the new columns round-trip, update partially and are
validated; the database itself refuses a waterbody_type other than river or lake.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import insert, inspect, select, text
from sqlalchemy.exc import IntegrityError

from forecasting.errors import InputDataError
from forecasting.storage import STATION_COLUMNS, Store, create_store_engine
from forecasting.storage.migrate import current_revision, downgrade, upgrade
from forecasting.storage.schema import stations as stations_table

NEW_COLUMNS = ["city", "province", "met_group", "waterbody_type", "attrs"]
CHECKS_0001 = {
    "ck_stations_latitude",
    "ck_stations_longitude",
    "ck_stations_network",
    "ck_stations_target_class",
}
INGESTED = datetime(2026, 1, 1, tzinfo=UTC)


def _observations() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "station": ["Dongsi", "Dongsi", "W001"],
            "variable": ["pm25", "pm25", "tp"],
            "valid_at": pd.to_datetime(
                ["2024-01-01T00:00Z", "2024-01-01T01:00Z", "2024-01-01T00:00Z"]
            ),
            "value": [12.0, np.nan, 0.05],
            "qc_flags": [0, 0, 1],
            "source": ["a.csv", "a.csv", "w.csv"],
        }
    )


def _write_at_0001(url: str, stations: pd.DataFrame) -> None:
    engine = create_store_engine(url)
    try:
        upgrade(engine, "0001")
    finally:
        engine.dispose()
    with Store.open(url, migrate=False) as old:
        assert old.schema_revision() == "0001"
        old.upsert_stations(stations)
        old.write_observations(_observations(), ingested_at=INGESTED)


def test_upgrade_from_0001_keeps_stations_and_observations(
    database_url: str, stations: pd.DataFrame
) -> None:
    _write_at_0001(database_url, stations)
    with Store.open(database_url) as store:  # opening migrates to head
        assert store.schema_revision() == "0003"
        got = store.read_stations()
        observed = store.read_observations()
    # the 0001 columns are unchanged
    assert got["station"].tolist() == ["Aotizhongxin", "Dongsi", "W001"]
    assert got["name_local"].tolist()[:2] == ["奥体中心", "东四"]
    assert got["latitude"].tolist() == [39.982, 39.929, 24.9]
    assert got["target_class"].tolist()[2] == 4
    assert got["water_body"].tolist()[2] == "Dianchi Lake"
    # the new ones are NULL
    assert got[NEW_COLUMNS[:-1]].isna().all().all()
    assert got["attrs"].tolist() == [None, None, None]
    assert observed["value"].tolist()[:1] == [12.0]
    assert len(observed) == 3
    assert sorted(observed["station"].unique().tolist()) == ["Dongsi", "W001"]


def test_upgrade_keeps_the_0001_checks_and_adds_the_waterbody_check(database_url: str) -> None:
    engine = create_store_engine(database_url)
    try:
        upgrade(engine)
        names = {c["name"] for c in inspect(engine).get_check_constraints("stations")}
        assert names == CHECKS_0001 | {"ck_stations_waterbody_type"}
        columns = {c["name"]: c for c in inspect(engine).get_columns("stations")}
        assert all(columns[name]["nullable"] for name in NEW_COLUMNS)
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "row",
    [
        {"code": "S1", "network": "water", "waterbody_type": "sea"},
        {"code": "S2", "network": "water", "waterbody_type": "River"},
        {"code": "S3", "network": "air", "latitude": 91.0},  # a 0001 check, kept by the rebuild
    ],
)
def test_the_database_refuses_what_the_checks_forbid(database_url: str, row: dict) -> None:
    engine = create_store_engine(database_url)
    try:
        upgrade(engine)
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(insert(stations_table), [row])
        with engine.connect() as connection:
            assert connection.execute(select(stations_table.c.code)).all() == []
    finally:
        engine.dispose()


def test_downgrade_to_0001_drops_the_new_columns_and_keeps_the_rest(
    database_url: str, stations: pd.DataFrame
) -> None:
    with Store.open(database_url) as store:
        store.upsert_stations(stations.assign(city=["Beijing", "Beijing", "昆明市"]))
    engine = create_store_engine(database_url)
    try:
        downgrade(engine, "0001")
        assert current_revision(engine) == "0001"
        columns = [c["name"] for c in inspect(engine).get_columns("stations")]
        assert not set(NEW_COLUMNS) & set(columns)
        names = {c["name"] for c in inspect(engine).get_check_constraints("stations")}
        assert names == CHECKS_0001
        with engine.connect() as connection:
            codes = connection.execute(text("SELECT code FROM stations ORDER BY code")).scalars()
            assert list(codes) == ["Aotizhongxin", "Dongsi", "W001"]
        upgrade(engine)
        assert current_revision(engine) == "0003"
    finally:
        engine.dispose()


ATTRS = {
    "cnemc_code": "1003A",
    "latitude_cnemc2022": 39.9289,
    "coord_offset_km": 0.04,
    "aliases_zh": ["东四"],
    "in_daily_set": True,
    "note": None,
}


def test_new_columns_round_trip(store: Store) -> None:
    frame = pd.DataFrame(
        {
            "station": ["Dongsi", "CN0726", "CN0010"],
            "network": ["air", "water", "water"],
            "city": ["Beijing", "苏州市", "青浦区"],
            "province": [None, "江苏省", "上海市"],
            "met_group": ["M3", None, None],
            "waterbody_type": [None, "river", "lake"],
            "attrs": [ATTRS, None, '{"basin_zh": "长江流域", "in_4h_set": true}'],
        }
    )
    store.upsert_stations(frame)
    got = store.read_stations().set_index("station")
    assert list(got.reset_index().columns) == list(STATION_COLUMNS)
    assert got.loc["Dongsi", "attrs"] == ATTRS
    assert got.loc["CN0010", "attrs"] == {"basin_zh": "长江流域", "in_4h_set": True}  # JSON text
    assert got.loc["CN0726", "attrs"] is None
    assert got["city"].tolist() == ["青浦区", "苏州市", "Beijing"]  # sorted by code
    assert got.loc["CN0010", "province"] == "上海市"
    assert pd.isna(got.loc["Dongsi", "province"])
    assert got.loc["Dongsi", "met_group"] == "M3"
    assert got["waterbody_type"].tolist()[:2] == ["lake", "river"]
    assert pd.isna(got.loc["Dongsi", "waterbody_type"])
    assert str(got["city"].dtype) == "str"
    assert str(got["attrs"].dtype) == "object"


def test_attrs_are_replaced_as_a_whole_and_kept_when_absent(store: Store) -> None:
    base = {"station": ["S"], "network": ["water"]}
    store.upsert_stations(pd.DataFrame(base | {"attrs": [{"a": 1, "b": 2}]}))
    store.upsert_stations(pd.DataFrame(base | {"city": ["X"]}))  # no attrs column: kept
    assert store.read_stations()["attrs"].tolist() == [{"a": 1, "b": 2}]
    store.upsert_stations(pd.DataFrame(base | {"attrs": [{"c": 3}]}))  # replaced, not merged
    assert store.read_stations()["attrs"].tolist() == [{"c": 3}]
    store.upsert_stations(pd.DataFrame(base | {"attrs": [None]}))  # a missing value clears it
    assert store.read_stations()["attrs"].tolist() == [None]
    assert store.read_stations()["city"].tolist() == ["X"]


def test_attrs_none_is_sql_null_not_json_null(store: Store) -> None:
    store.upsert_stations(pd.DataFrame({"station": ["S"], "network": ["air"], "attrs": [None]}))
    with store.engine.connect() as connection:
        query = select(stations_table.c.code).where(stations_table.c.attrs.is_(None))
        assert connection.execute(query).scalars().all() == ["S"]


def _one(**columns: object) -> pd.DataFrame:
    base: dict[str, object] = {"station": "S1", "network": "water"}
    base.update(columns)
    return pd.DataFrame({k: [v] for k, v in base.items()}, index=[7])


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (
            _one(waterbody_type="sea"),
            r"'waterbody_type' has invalid value 'sea' at rows 7; valid: river, lake",
        ),
        (_one(waterbody_type="Lake"), r"'waterbody_type' has invalid value 'Lake'"),
        (_one(attrs={"x": float("nan")}), r"'attrs' has an invalid value at rows 7: .*NaN"),
        (_one(attrs={"x": float("inf")}), r"'attrs' .*not JSON-serialisable"),
        (_one(attrs={"x": object()}), r"'attrs' .*not JSON-serialisable"),
        (_one(attrs={3: "x"}), r"'attrs' .*key 3 is not text"),
        (_one(attrs={"x": ["a\x00b"]}), r"'attrs' .*NUL character"),
        (_one(attrs='{"x": NaN}'), r"'attrs' .*not JSON-serialisable"),
        (_one(attrs="[1, 2]"), r"'attrs' .*\[1, 2\] is not a mapping"),
        (_one(attrs="{oops"), r"'attrs' .*text '\{oops' is not JSON"),
        (_one(attrs=5), r"'attrs' .*5 is not a mapping; valid: a mapping of text keys"),
        (_one(city="C" * 201), r"'city' has invalid value 'CCC.*at most 200"),
        (_one(met_group="M" * 65), r"'met_group' has invalid value .*at most 64"),
    ],
)
def test_invalid_new_columns_are_refused(store: Store, frame: pd.DataFrame, message: str) -> None:
    with pytest.raises(InputDataError, match=message):
        store.upsert_stations(frame)
    assert store.read_stations().empty


@pytest.mark.parametrize(("given", "stored"), [("3", 3), (" 4.0 ", 4), ("ii", 2)])
def test_target_class_as_text_from_a_csv(store: Store, given: str, stored: int) -> None:
    # A station CSV in the ecocast layout gives every cell as text: "3" is class Ⅲ.
    store.upsert_stations(_one(target_class=given))
    assert store.read_stations()["target_class"].tolist() == [stored]
