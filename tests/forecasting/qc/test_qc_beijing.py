"""QC of the whole shared Beijing file finds every quirk the data README documents.

Each expected count is quoted from shared/data/README.md (2026-11-23),
``air/beijing/observations.csv.gz``, "Quirks a forecasting system must handle".
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasting.ingest.air import parse_air_file
from forecasting.qc.apply import apply_qc
from forecasting.qc.flags import QcFlag
from forecasting.qc.report import QcReport, count_flags, summarise_flags

pytestmark = pytest.mark.slow  # the whole 315,648-row file


@pytest.fixture(scope="module")
def checked(beijing_observations_path: Path) -> pd.DataFrame:
    return apply_qc(parse_air_file(beijing_observations_path).observations)


@pytest.fixture(scope="module")
def report(checked: pd.DataFrame) -> QcReport:
    return summarise_flags(count_flags(checked))


def _has(frame: pd.DataFrame, flag: QcFlag) -> pd.Series:
    return (frame["qc_flags"] & int(flag)) != 0


# "pm25 and pm10 reach 999 (1 and 3 rows). co reaches 10,000 (43 rows). so2 reaches 500 (3 rows)."
@pytest.mark.parametrize(("variable", "rows"), [("pm25", 1), ("pm10", 3), ("co", 43), ("so2", 3)])
def test_ceilings(report: QcReport, variable: str, rows: int) -> None:
    assert report.count("CEILING", variable=variable) == rows


def test_ceiling_values_are_stored_unchanged(checked: pd.DataFrame) -> None:
    at_ceiling = checked[_has(checked, QcFlag.CEILING)]
    got = at_ceiling.groupby("variable", observed=True)["value"].unique()
    assert {k: sorted(v.tolist()) for k, v in got.items()} == {
        "co": [10.0],  # 10,000 µg/m³ declared by the layout, stored in mg/m³
        "pm10": [999.0],
        "pm25": [999.0],
        "so2": [500.0],
    }


# "o3 is between 1,026 and 1,071 µg/m³ at Dongsi from 2013-08-15 23:00 to 08-17 04:00 (16 rows,
# physically implausible)."
def test_dongsi_o3_run_is_out_of_range(checked: pd.DataFrame) -> None:
    out = checked[_has(checked, QcFlag.OUT_OF_RANGE)]
    assert set(out["variable"].astype(str)) == {"o3"}
    assert len(out) == 16
    assert set(out["station"].astype(str)) == {"Dongsi"}
    local = out["valid_at"].dt.tz_convert("Asia/Shanghai")
    assert local.min() == pd.Timestamp("2013-08-15 23:00", tz="Asia/Shanghai")
    assert local.max() == pd.Timestamp("2013-08-17 04:00", tz="Asia/Shanghai")
    assert out["value"].min() == 1026.0
    assert out["value"].max() == 1071.0


# "Stuck values: runs of identical so2 values up to 204 h (value 2, likely the detection floor;
# e.g. Gucheng, Aug 2015)."
def test_gucheng_so2_run_of_204_hours_is_stuck(checked: pd.DataFrame) -> None:
    stuck = checked[_has(checked, QcFlag.STUCK) & (checked["variable"] == "so2")]
    assert len(stuck) == 204
    assert set(stuck["station"].astype(str)) == {"Gucheng"}
    assert set(stuck["value"]) == {2.0}
    times = stuck["valid_at"].sort_values()
    assert (times.diff().dropna() == pd.Timedelta(hours=1)).all()
    assert times.iloc[0].tz_convert("Asia/Shanghai").strftime("%Y-%m") == "2015-08"


# "PM2.5 > PM10 in 21,156 rows (6.7 %). This is inconsistent between instruments. It is not
# filtered." Both values of such a row carry the flag.
@pytest.mark.parametrize("variable", ["pm25", "pm10"])
def test_pm25_greater_than_pm10(report: QcReport, variable: str) -> None:
    assert report.count("PM25_GT_PM10", variable=variable) == 21_156


def test_spikes_are_rare(report: QcReport, checked: pd.DataFrame) -> None:
    for variable in ("pm25", "pm10", "so2", "no2", "co", "o3"):
        share = report.count("SPIKE", variable=variable) / int(
            (checked["variable"] == variable).sum()
        )
        assert 0 < share < 0.005, variable


def test_nothing_is_negative_and_nothing_dropped(
    checked: pd.DataFrame, report: QcReport, beijing_observations_path: Path
) -> None:
    assert report.count("NEGATIVE") == 0
    # every non-empty cell of the 12 variable columns is one observation (pandas counts them)
    plain = pd.read_csv(beijing_observations_path).drop(columns=["station", "time"])
    assert report.observations == len(checked) == int(plain.notna().sum().sum())
    assert np.isfinite(checked["value"]).all()
