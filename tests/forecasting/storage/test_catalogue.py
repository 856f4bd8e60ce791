"""Catalogues of meteorological datasets and emission inventories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from forecasting.errors import InputDataError
from forecasting.storage import Store

CST = timezone(timedelta(hours=8))


def issues(*hours: int) -> list[datetime]:
    return [datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=h) for h in hours]


def test_register_and_list_met_datasets(store: Store, clock_time: datetime):
    gfs = store.register_met_dataset(
        "/data/met/gfs_2024010100.grib2",
        "forecast",
        "grib",
        issues(12, 0),
        ["t2m", "u10", "v10"],
        {"model": "GFS", "resolution_deg": 0.25},
    )
    assert gfs.issue_times == tuple(issues(0, 12))
    assert gfs.variables == ("t2m", "u10", "v10")
    assert gfs.attrs == {"model": "GFS", "resolution_deg": 0.25}
    assert gfs.registered_at == clock_time
    era = store.register_met_dataset("/data/met/era5.zarr", "analysis", "zarr", issues(0), ["blh"])
    assert [d.path for d in store.list_met_datasets()] == [era.path, gfs.path]
    assert [d.id for d in store.list_met_datasets(kind="forecast")] == [gfs.id]
    assert [d.id for d in store.list_met_datasets(variable="blh")] == [era.id]
    window = store.list_met_datasets(issued_from=issues(6)[0], issued_before=issues(13)[0])
    assert [d.id for d in window] == [gfs.id]
    assert window[0].issue_times == tuple(issues(0, 12))  # all its issue times, not just the hit


def test_issue_times_are_stored_in_utc(store: Store):
    local = datetime(2024, 1, 1, 8, tzinfo=CST)
    dataset = store.register_met_dataset("wrf.nc", "forecast", "netcdf", [local], ["pm25"])
    assert dataset.issue_times == (datetime(2024, 1, 1, 0, tzinfo=UTC),)
    assert dataset.issue_times[0].tzinfo == UTC


def test_registering_a_path_again_replaces_its_entry(store: Store):
    first = store.register_met_dataset("a.nc", "forecast", "netcdf", issues(0, 6), ["t2m"])
    second = store.register_met_dataset("a.nc", "forecast", "netcdf", issues(12), ["t2m", "rh"])
    assert second.id == first.id
    assert second.issue_times == tuple(issues(12))
    assert len(store.list_met_datasets()) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("x.nc", "hindcast", "netcdf", [], []),
            "unknown kind 'hindcast'; choose one of: forecast",
        ),
        (
            ("x.nc", "forecast", "hdf5", [], []),
            "unknown format 'hdf5'; choose one of: netcdf, grib",
        ),
        (
            ("x.nc", "forecast", "netcdf", [datetime(2024, 1, 1)], []),  # noqa: DTZ001
            r"met dataset 'x\.nc': issue time 2024-01-01T00:00:00 has no time zone",
        ),
    ],
)
def test_invalid_met_datasets_are_refused(store: Store, args, message):
    with pytest.raises(InputDataError, match=message):
        store.register_met_dataset(*args)
    assert store.list_met_datasets() == []


def test_register_and_list_emission_inventories(store: Store):
    meic = store.register_emission_inventory(
        "MEIC", "v1.4", 2020, "/data/emis/meic_2020.nc", {"species": ["SO2", "NOx"]}
    )
    store.register_emission_inventory("MEIC", "v1.3", 2017, "/data/emis/meic_2017.nc")
    store.register_emission_inventory("EDGAR", "v8.1", 2022, "/data/emis/edgar.nc")
    listed = store.list_emission_inventories()
    assert [(i.name, i.base_year, i.version) for i in listed] == [
        ("EDGAR", 2022, "v8.1"),
        ("MEIC", 2017, "v1.3"),
        ("MEIC", 2020, "v1.4"),
    ]
    assert [i.version for i in store.list_emission_inventories(name="MEIC")] == ["v1.3", "v1.4"]
    assert meic.attrs == {"species": ["SO2", "NOx"]}
    again = store.register_emission_inventory("MEIC", "v1.4", 2020, "/elsewhere/meic.nc")
    assert again.id == meic.id
    assert again.path == "/elsewhere/meic.nc"
    assert again.attrs == {}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("MEIC", "", 2020, "x"), "needs a name and a version"),
        (("MEIC", "v1", 1850, "x"), r"base_year=1850 is outside 1900-2200"),
    ],
)
def test_invalid_inventories_are_refused(store: Store, args, message):
    with pytest.raises(InputDataError, match=message):
        store.register_emission_inventory(*args)
