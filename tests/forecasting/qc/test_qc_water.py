"""QC of the shared CNEMC water files: censored floors, publisher marks, stale readings.

Expected counts are quoted from shared/data/README.md (2026-11-23), "Water: CNEMC
surface-water quality".
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from forecasting.ingest.water import parse_water_file
from forecasting.qc.apply import apply_qc
from forecasting.qc.flags import QcFlag
from forecasting.qc.report import QcReport, count_flags, summarise_flags


@pytest.fixture(scope="module")
def four_hourly(shared_data_dir: Path) -> QcReport:
    path = shared_data_dir / "water" / "cnemc_4h_202104" / "observations.csv.gz"
    return summarise_flags(count_flags(apply_qc(parse_water_file(path).observations)))


@pytest.fixture(scope="module")
def daily(shared_data_dir: Path) -> QcReport:
    path = shared_data_dir / "water" / "cnemc_national_daily" / "observations.csv.gz"
    return summarise_flags(count_flags(apply_qc(parse_water_file(path).observations)))


# "Censored values (4-hourly): NH3-N is exactly 0.025 mg/L in 27.6 % of rows, TP 0.005 mg/L in
# 4.6 %, CODMn 0.25 mg/L in 0.5 %" of 28,158 rows: 7,760, 1,292 and 139 rows (counted with pandas:
# (frame.nh3n == 0.025).sum() etc.).
@pytest.mark.parametrize(("variable", "rows"), [("nh3n", 7_760), ("tp", 1_292), ("codmn", 139)])
def test_censored_floors_of_the_4_hourly_set(
    four_hourly: QcReport, variable: str, rows: int
) -> None:
    assert four_hourly.count("CENSORED", variable=variable) == rows


# "12 % of daily rows and 8 % of 4-hourly rows are flagged maintenance": 2,056 and 2,173 rows
# (pandas: (frame.status == "maintenance").sum()); every value of such a row is flagged.
@pytest.mark.parametrize(
    ("folder", "rows"), [("cnemc_national_daily", 2_056), ("cnemc_4h_202104", 2_173)]
)
def test_maintenance_rows(shared_data_dir: Path, folder: str, rows: int) -> None:
    parsed = parse_water_file(shared_data_dir / "water" / folder / "observations.csv.gz")
    obs = parsed.observations
    flagged = obs[(obs["qc_flags"] & int(QcFlag.MAINTENANCE)) != 0]
    assert len(flagged[["station", "valid_at"]].drop_duplicates()) == rows


# "Extreme-value filter: about 2,400 daily values were blanked by CNEMC and are marked in flags".
def test_publisher_filtered_values_are_kept(daily: QcReport) -> None:
    assert daily.count("PUBLISHER_FILTERED") == 2_380
    assert daily.count("PUBLISHER_FILTERED", variable="nh3n") == 664


# "Stale readings ... isolated old rows survive": the 4-hourly file covers 2021-04-01 to 04-04
# "plus a few stale rows" dated February and March.
def test_isolated_old_rows_are_stale(shared_data_dir: Path) -> None:
    path = shared_data_dir / "water" / "cnemc_4h_202104" / "observations.csv.gz"
    checked = apply_qc(parse_water_file(path).observations)
    stale = checked[(checked["qc_flags"] & int(QcFlag.STALE)) != 0]
    local = stale["valid_at"].dt.tz_convert("Asia/Shanghai")
    assert (local < pd.Timestamp("2021-03-31", tz="Asia/Shanghai")).all()
    assert stale["station"].nunique() >= 5


def test_conductivity_below_one_microsiemens_is_out_of_range(four_hourly: QcReport) -> None:
    # observed in the 4-hourly set: 39 readings of 0.007-0.8 µS/cm (pure water is 0.055).
    assert four_hourly.count("OUT_OF_RANGE", variable="cond") == 39
    assert four_hourly.count("OUT_OF_RANGE") == 39
