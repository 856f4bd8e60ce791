"""Strict reading of wide hourly air tables (the layout of the shared Beijing file)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasting.air_table import read_air_table
from forecasting.errors import InputDataError


def test_shared_beijing_file_reads_whole_in_canonical_units(
    beijing_observations_path: Path,
) -> None:
    frame = read_air_table(beijing_observations_path)
    # shared/data/README.md: 315,648 rows, 12 stations, times with +08:00.
    assert len(frame) == 315_648
    assert frame["station"].nunique() == 12
    assert str(frame["time"].dt.tz) == "Asia/Shanghai"
    raw = pd.read_csv(beijing_observations_path, usecols=["co", "wd"])
    # The UCI file's CO is µg/m³ (e.g. 300 means 0.3 mg/m³); ecocast keeps mg/m³.
    assert frame["co"].max() == pytest.approx(raw["co"].max() / 1000)
    assert np.isnan(frame["co"]).sum() == raw["co"].isna().sum()
    # 16-point compass to degrees from north; empty wd stays missing.
    assert set(np.unique(frame["wind_dir"].dropna())) <= {22.5 * k for k in range(16)}
    assert frame["wind_dir"].isna().sum() == raw["wd"].isna().sum()


def test_parquet_and_utc_offsets(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "station": ["A", "A"],
            "time": ["2020-01-01T00:00:00Z", "2020-01-01T09:00:00+08:00"],
            "pm25": [1.0, 2.0],
        }
    )
    path = tmp_path / "x.parquet"
    frame.to_parquet(path)
    out = read_air_table(path, require=("pm25",), tz="UTC")
    # Mixed offsets are read as instants: 09:00+08:00 is 01:00Z.
    assert list(out["time"].dt.hour) == [0, 1]
    assert str(out["time"].dt.tz) == "UTC"


def test_missing_columns_are_named(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("station,time,pm25\nA,2020-01-01T00:00:00+08:00,3\n", encoding="utf-8")
    with pytest.raises(InputDataError, match=r"x.csv: missing pollutant column\(s\) pm10, so2"):
        read_air_table(path)
