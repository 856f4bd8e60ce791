"""``ecocast ingest met FILE… [--kind forecast|analysis]``: catalogue field files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from features.testing import synthetic_analysis, synthetic_forecast_fields
from forecasting.cli.met import ingest_met_command, register_met_files
from forecasting.config import sqlite_url_for_path
from forecasting.errors import InputDataError
from forecasting.storage import Store

GRID = {"latitudes": [41.0, 40.0, 39.0], "longitudes": [115.0, 116.0]}


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        """Test root."""

    app.command("met")(ingest_met_command)
    return app


@pytest.fixture
def forecast_file(tmp_path: Path) -> Path:
    path = tmp_path / "ifs.nc"
    synthetic_forecast_fields(steps_h=[0, 6, 12], **GRID).drop_vars("valid_time").to_netcdf(path)
    return path


@pytest.fixture
def analysis_file(tmp_path: Path) -> Path:
    path = tmp_path / "era5.nc"
    times = ["2024-01-01T00:00", "2024-01-01T01:00", "2024-01-01T02:00"]
    synthetic_analysis(valid_times=times, **GRID).to_netcdf(path)
    return path


def test_ingest_met_registers_cycles_and_variables(tmp_path: Path, forecast_file: Path) -> None:
    url = sqlite_url_for_path(tmp_path / "store.sqlite")
    result = CliRunner().invoke(
        _app(), ["met", str(forecast_file), "--db", url, "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "forecast (forecast), netcdf, 4 cycles" in " ".join(result.output.split())
    with Store.open(url) as store:
        [entry] = store.list_met_datasets(kind="forecast")
    assert entry.path == str(forecast_file.resolve())
    assert entry.issue_times[0] == datetime(2024, 1, 1, tzinfo=UTC)
    assert len(entry.issue_times) == 4
    assert "temp_air" in entry.variables
    assert "precip" in entry.variables
    assert entry.attrs["steps_h"] == [0.0, 6.0, 12.0]
    assert entry.attrs["units"]["pressure"] == "hPa"


def test_analysis_is_catalogued_with_its_valid_times_and_label(
    tmp_path: Path, analysis_file: Path
) -> None:
    url = sqlite_url_for_path(tmp_path / "store.sqlite")
    result = CliRunner().invoke(
        _app(),
        ["met", str(analysis_file), "--kind", "analysis", "--db", url, "--data-dir", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    assert "analysis (perfect prognosis), netcdf, 3 times" in " ".join(result.output.split())
    with Store.open(url) as store:
        [entry] = store.list_met_datasets(kind="analysis")
    assert len(entry.issue_times) == 3
    assert entry.attrs["label"] == "perfect prognosis"


def test_a_bad_file_registers_nothing(tmp_path: Path, forecast_file: Path) -> None:
    broken = tmp_path / "broken.nc"
    ds = synthetic_forecast_fields(steps_h=[0], **GRID).drop_vars("valid_time")
    ds["t2m"].attrs.pop("units")
    ds.to_netcdf(broken)
    with Store.open(sqlite_url_for_path(tmp_path / "store.sqlite")) as store:
        with pytest.raises(
            InputDataError, match=r"broken.nc: variable 't2m' \(temp_air\) has no CF 'units'"
        ):
            register_met_files(store, [forecast_file, broken])
        assert store.list_met_datasets() == []


def test_unknown_kind_is_a_usage_error(tmp_path: Path, forecast_file: Path) -> None:
    result = CliRunner().invoke(_app(), ["met", str(forecast_file), "--kind", "hindcast"])
    assert result.exit_code == 2
