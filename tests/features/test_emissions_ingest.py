"""``ecocast ingest emissions FILE…``: validate an inventory and catalogue it in the store."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
import xarray as xr
from typer.testing import CliRunner

from forecasting.cli.emissions import ingest_emissions_command
from forecasting.errors import InputDataError
from forecasting.storage import EmissionInventory, Store

LAT = np.round(np.arange(39.5, 40.51, 0.25), 6)
LON = np.round(np.arange(116.0, 117.01, 0.25), 6)


def _grid(tmp_path: Path, name: str, species: str, units: str = "t month-1") -> Path:
    data = np.ones((12, LAT.size, LON.size))
    ds = xr.Dataset(
        {species: (("time", "lat", "lon"), data, {"units": units})},
        coords={"time": pd.date_range("2016-01-01", periods=12, freq="MS"), "lat": LAT, "lon": LON},
    )
    path = tmp_path / name
    ds.to_netcdf(path)
    return path


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command("emissions")(ingest_emissions_command)

    @app.callback()
    def _root() -> None:
        """Stand-in for ``ecocast ingest``."""

    return app


def _entries(db: Path) -> list[EmissionInventory]:
    with Store.open(str(db)) as store:
        return store.list_emission_inventories()


def test_gridded_files_are_catalogued_once(tmp_path: Path) -> None:
    files = [_grid(tmp_path, "so2.nc", "SO2"), _grid(tmp_path, "nox.nc", "NOx")]
    db = tmp_path / "store.sqlite"
    args = ["emissions", *map(str, files), "--name", "MEIC", "--version", "v1.3"]
    args += ["--base-year", "2016", "--db", str(db), "--published", "2018-10-04T00:00+02:00"]
    result = CliRunner().invoke(_app(), args)
    assert result.exit_code == 0, result.output
    assert "registered emission inventory MEIC v1.3 (base year 2016, gridded" in result.output
    # again, same name and version: the entry is replaced, not duplicated
    assert CliRunner().invoke(_app(), args).exit_code == 0
    (entry,) = _entries(db)
    assert (entry.name, entry.version, entry.base_year) == ("MEIC", "v1.3", 2016)
    assert entry.path == str(tmp_path.resolve())  # the files' common folder
    assert entry.attrs["species"] == ["nox", "so2"]
    assert entry.attrs["time"] == ["month"]
    assert entry.attrs["units"] == "Mg yr-1"
    assert entry.attrs["published"] == "2018-10-03T22:00:00+00:00"
    assert entry.attrs["grid"]["latitude"] == [39.5, 40.5, 5]
    assert sorted(entry.attrs["files"]) == sorted(str(f.resolve()) for f in files)


def test_shared_table_is_catalogued_with_its_publication_dates(
    tmp_path: Path, shared_data_dir: Path
) -> None:
    csv = shared_data_dir / "emissions" / "beijing_annual_by_sector.csv"
    db = tmp_path / "store.sqlite"
    ingest_emissions_command(
        [csv], name="published-figures", version="shared", base_year=2013, db=str(db)
    )
    (entry,) = _entries(db)
    assert entry.attrs["kind"] == "tabular"
    assert entry.attrs["rows"] == 29
    assert entry.attrs["regions"] == ["Beijing", "China"]
    assert entry.attrs["years"] == [2000, 2017]
    assert entry.attrs["publications"] == {
        "beijing_epb_bulletin_2014": "2015-04-15T16:00:00+00:00",
        "beijing_statistical_yearbook_2010": "2010-12-30T16:00:00+00:00",
        "zheng2018_acp": "2018-10-03T22:00:00+00:00",
    }


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (["inventory.grib"], "unknown inventory format"),
        (["a.nc", "b.csv"], "not both"),
        (["a.csv", "b.csv"], "a tabular inventory is one CSV"),
    ],
)
def test_bad_file_sets_are_refused(tmp_path: Path, names: list[str], message: str) -> None:
    files = [tmp_path / n for n in names]
    with pytest.raises(InputDataError, match=message):
        ingest_emissions_command(
            files, name="X", version="1", base_year=2013, db=str(tmp_path / "s.sqlite")
        )


def test_invalid_inventory_is_not_registered(tmp_path: Path) -> None:
    bad = _grid(tmp_path, "bad.nc", "SO2", units="mol s-1")
    db = tmp_path / "store.sqlite"
    with pytest.raises(InputDataError, match="molar"):
        ingest_emissions_command([bad], name="X", version="1", base_year=2013, db=str(db))
    assert _entries(db) == []
