"""The ``emis`` feature family: keys, provenance, local month/year, and no leakage after T."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from features.emissions import (
    emission_features,
    open_emission_inventory,
    read_emission_table,
)
from forecasting.errors import InputDataError

LAT = np.round(np.arange(39.5, 40.51, 0.1), 6)
LON = np.round(np.arange(116.0, 117.01, 0.1), 6)
# Beijing Dongsi and Dingling (KDD coordinates), and a station in UTC to test local months.
STATIONS = pd.DataFrame(
    {
        "station": ["Dongsi", "Dingling", "Greenwich"],
        "latitude": [39.929, 40.292, 39.929],
        "longitude": [116.417, 116.220, 116.417],
        "timezone": ["Asia/Shanghai", "Asia/Shanghai", "UTC"],
    }
)


def _utc(*stamps: str) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime(list(stamps), utc=True, format="ISO8601"))


def _write(tmp_path: Path, data: np.ndarray, time: pd.DatetimeIndex, name: str) -> Path:
    ds = xr.Dataset(
        {"SO2": (("sector", "time", "lat", "lon"), data, {"units": "Mg yr-1"})},
        coords={"sector": ["power", "residential"], "time": time, "lat": LAT, "lon": LON},
    )
    path = tmp_path / name
    ds.to_netcdf(path)
    return path


@pytest.fixture
def monthly(tmp_path: Path) -> xr.Dataset:
    # month m carries the value m everywhere, so a sum tells which month was read.
    data = np.broadcast_to(
        np.arange(1.0, 13.0)[None, :, None, None], (2, 12, LAT.size, LON.size)
    ).copy()
    path = _write(tmp_path, data, pd.date_range("2013-01-01", periods=12, freq="MS"), "m.nc")
    return open_emission_inventory(
        path, name="SYN-MEIC", version="v1.3", base_year=2013, published="2014-06-01T00:00+08:00"
    )


@pytest.fixture
def yearly(tmp_path: Path) -> tuple[Path, np.ndarray]:
    data = np.random.default_rng(1).uniform(1, 5, (2, 4, LAT.size, LON.size))
    time = pd.to_datetime(["2013-07-01", "2014-07-01", "2015-07-01", "2016-07-01"])
    return _write(tmp_path, data, pd.DatetimeIndex(time), "y.nc"), data


@pytest.fixture(scope="module")
def table(shared_data_dir: Path) -> pd.DataFrame:
    return read_emission_table(shared_data_dir / "emissions" / "beijing_annual_by_sector.csv")


def _row(frame: pd.DataFrame, station: str, issued: str) -> pd.Series:
    stamp = pd.Timestamp(issued).tz_convert("UTC")
    return frame[(frame["station"] == station) & (frame["issued_at"] == stamp)].iloc[0]


def test_keys_columns_and_provenance(monthly: xr.Dataset, table: pd.DataFrame) -> None:
    times = _utc("2015-03-01T00:00+08:00", "2015-03-02T00:00+08:00")
    out = emission_features(STATIONS, times, inventory=monthly, table=table, radii_km=(10, 25))
    assert len(out) == 6
    assert out[["station", "issued_at"]].duplicated().sum() == 0
    assert out["station"].tolist() == sorted(out["station"].tolist())
    assert str(out["issued_at"].dt.tz) == "UTC"
    assert out.columns[:6].tolist() == [
        "station",
        "issued_at",
        "emis_inventory",
        "emis_available",
        "emis_grid_available",
        "emis_scale_available",
    ]
    assert {"emis_so2_total_r10km", "emis_so2_power_r25km", "emis_so2_month_factor"} <= set(
        out.columns
    )
    assert {"emis_scale_so2", "emis_scale_year_so2"} <= set(out.columns)
    features = [c for c in out.columns if c.startswith("emis_") and c != "emis_inventory"]
    assert all(out[c].dtype in (np.float64, np.bool_) for c in features)
    # provenance travels with the rows and in attrs
    assert out["emis_inventory"].iloc[0].startswith("SYN-MEIC v1.3 (base year 2013); scaling")
    assert (out.attrs["name"], out.attrs["version"], out.attrs["base_year"]) == (
        "SYN-MEIC",
        "v1.3",
        2013,
    )
    assert out.attrs["scaling_table"] == "beijing_annual_by_sector"


def test_month_is_the_local_month_of_the_issue(monthly: xr.Dataset) -> None:
    # 2015-01-31 16:00 UTC is 1 February 00:00 in Beijing but still 31 January in UTC.
    out = emission_features(
        STATIONS, _utc("2015-01-31T16:00Z"), inventory=monthly, radii_km=(5,), weighting="uniform"
    )
    beijing, utc = (
        _row(out, "Dongsi", "2015-01-31T16:00Z"),
        _row(out, "Greenwich", "2015-01-31T16:00Z"),
    )
    # within 5 km of Dongsi lies one cell centre (39.9 N 116.4 E, 3.5 km away): its value
    # is the month number, per sector.
    assert beijing["emis_so2_power_r5km"] == pytest.approx(2.0)
    assert utc["emis_so2_power_r5km"] == pytest.approx(1.0)
    assert beijing["emis_so2_total_r5km"] == pytest.approx(4.0)
    # monthly profile: month / mean month = 2 / 6.5
    assert beijing["emis_so2_month_factor"] == pytest.approx(2 / 6.5)


def test_inventory_is_invisible_before_its_publication(monthly: xr.Dataset) -> None:
    times = _utc("2014-05-31T23:59+08:00", "2014-06-01T00:00+08:00")
    out = emission_features(STATIONS.iloc[:1], times, inventory=monthly, radii_km=(10,))
    before, after = out.iloc[0], out.iloc[1]
    assert np.isnan(before["emis_so2_total_r10km"])
    assert not before["emis_grid_available"]
    assert not before["emis_available"]
    assert after["emis_so2_total_r10km"] > 0
    assert after["emis_grid_available"]
    assert after["emis_available"]


def test_yearly_inventory_never_reads_a_later_year(
    tmp_path: Path, yearly: tuple[Path, np.ndarray]
) -> None:
    path, data = yearly
    times = _utc("2012-06-01T00:00+08:00", "2014-06-01T00:00+08:00", "2015-01-01T00:00+08:00")

    def features(p: Path) -> pd.DataFrame:
        ds = open_emission_inventory(p, name="SYN", version="v1", base_year=2013)
        return emission_features(STATIONS.iloc[:2], times, inventory=ds, radii_km=(10, 50))

    base = features(path)
    assert _row(base, "Dongsi", "2014-06-01T00:00+08:00")["emis_grid_year"] == 2014.0
    assert _row(base, "Dongsi", "2015-01-01T00:00+08:00")["emis_grid_year"] == 2015.0
    first = _row(base, "Dongsi", "2012-06-01T00:00+08:00")
    assert np.isnan(first["emis_grid_year"])
    assert not first["emis_grid_available"]
    # Perturb 2016 (after every issue) and 2015 (after the first two): the features of an
    # issue time never change with data from a later year.
    changed = data.copy()
    changed[:, 2:] *= 1000.0
    time = pd.to_datetime(["2013-07-01", "2014-07-01", "2015-07-01", "2016-07-01"])
    after = features(_write(tmp_path, changed, pd.DatetimeIndex(time), "y2.nc"))
    early = after["issued_at"] < pd.Timestamp("2015-01-01T00:00+08:00")
    pd.testing.assert_frame_equal(base[early], after[early])
    assert not np.allclose(
        base.loc[~early, "emis_so2_total_r50km"], after.loc[~early, "emis_so2_total_r50km"]
    )


def test_future_tabular_figures_do_not_leak(table: pd.DataFrame) -> None:
    times = _utc("2015-06-01T00:00+08:00", "2016-12-01T00:00+08:00")
    kwargs = {"table": table, "species": ["SO2", "NOx", "PM2.5"], "regions": ("Beijing", "China")}
    before = emission_features(STATIONS, times, **kwargs)  # type: ignore[arg-type]
    altered = table.copy()
    altered.loc[altered["source"].str.contains("acp-18-14095"), "value"] = 50.0
    after = emission_features(STATIONS, times, **{**kwargs, "table": altered})  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(
        before.drop(columns="emis_inventory"), after.drop(columns="emis_inventory")
    )
    dongsi = _row(before, "Dongsi", "2016-12-01T00:00+08:00")
    # Beijing 2014 vs 2013, published 2015-04-16: SO2 -9.35 %, NOx -9.24 %.
    assert dongsi["emis_scale_so2"] == pytest.approx(0.9065)
    assert dongsi["emis_scale_nox"] == pytest.approx(0.9076)
    assert np.isnan(dongsi["emis_scale_pm25"])  # national PM2.5 only from 2018
    assert dongsi["emis_available"]
    assert not dongsi["emis_grid_available"]


def test_tabular_only_provenance(table: pd.DataFrame) -> None:
    out = emission_features(STATIONS.iloc[:1], _utc("2019-01-01T00:00+08:00"), table=table)
    assert out.attrs["name"] == "beijing_annual_by_sector"
    assert out.attrs["base_year"] == 2013
    assert out["emis_inventory"].iloc[0].startswith("scaling beijing_annual_by_sector sha256:")
    assert out["emis_scale_so2"].iloc[0] == pytest.approx(0.41)


def test_argument_errors(monthly: xr.Dataset, table: pd.DataFrame) -> None:
    times = _utc("2015-01-01T00:00Z")
    with pytest.raises(InputDataError, match="needs an inventory, a table, or both"):
        emission_features(STATIONS, times)
    with pytest.raises(InputDataError, match="differs from the inventory's base year 2013"):
        emission_features(STATIONS, times, inventory=monthly, table=table, base_year=2010)
    bad_zone = STATIONS.assign(timezone="Asia/Peking_Standard")
    with pytest.raises(InputDataError, match="not an IANA zone"):
        emission_features(bad_zone, times, table=table)
    with pytest.raises(InputDataError, match="issue times are naive"):
        emission_features(STATIONS, pd.DatetimeIndex(["2015-01-01"]), table=table)
