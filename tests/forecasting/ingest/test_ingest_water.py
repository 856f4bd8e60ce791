"""CNEMC water files: publisher status, extreme-value filter, published class, errors."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from forecasting.errors import InputDataError
from forecasting.ingest.water import WQ_CLASS_CODES, parse_water_file
from forecasting.qc.flags import QcFlag

HEADER = "station,time,temp,ph,do,cond,turb,codmn,nh3n,tp,tn,chla,algae,wq_class,status,flags"
# First data line of shared/data/water/cnemc_national_daily/observations.csv.gz:
REAL = (
    "CN0010,2020-05-08T12:00:00+08:00,22.9,7.13,6.86,643,115.2,4.78125,0.30239,0.06836,4.40629,"
    "0.00901,,IV,maintenance,"
)


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _by_variable(frame: pd.DataFrame, line: int) -> pd.Series:
    rows = frame[frame["line"] == line]
    return rows.set_index(rows["variable"].astype(str))["value"]


def test_real_line_with_maintenance_status(tmp_path: Path) -> None:
    parsed = parse_water_file(_write(tmp_path / "w.csv", [HEADER, REAL]))
    obs = parsed.observations
    values = _by_variable(obs, 2)
    assert values["temp_water"] == 22.9
    assert values["nh3n"] == 0.30239
    assert values["chla"] == 0.00901  # mg/L as published, kept in mg/L
    assert values["wq_class_published"] == 4.0  # IV
    assert "algae" not in values  # empty cell: no observation
    assert (obs["qc_flags"] == int(QcFlag.MAINTENANCE)).all()
    assert obs["valid_at"].iloc[0] == pd.Timestamp("2020-05-08T04:00:00Z")
    assert parsed.layout == "cnemc"
    assert parsed.kind == "water"


def test_extreme_filtered_value_is_kept_as_nan_with_a_flag(tmp_path: Path) -> None:
    line = (
        "CN0010,2020-09-17T08:00:00+08:00,25.5,7.26,3.91,521,73.2,3.65625,0.73672,,2.51564,,,,"
        "normal,tp:extreme_filtered;chla:extreme_filtered"
    )
    obs = parse_water_file(_write(tmp_path / "w.csv", [HEADER, line])).observations
    filtered = obs[(obs["qc_flags"] & int(QcFlag.PUBLISHER_FILTERED)) != 0]
    assert sorted(filtered["variable"].astype(str)) == ["chla", "tp"]
    assert filtered["value"].isna().all()
    assert obs.loc[obs["variable"] == "do", "qc_flags"].tolist() == [0]


@pytest.mark.parametrize(
    ("status", "flags"),
    [
        ("normal", 0),
        ("", 0),
        ("maintenance", int(QcFlag.MAINTENANCE)),
        ("stopped", int(QcFlag.STALE)),
        ("not_operational", int(QcFlag.STALE)),
    ],
)
def test_status_to_flags(tmp_path: Path, status: str, flags: int) -> None:
    line = (
        "CN0001,2021-04-01T12:00:00+08:00,17.3,7.99,8.64,861.9,67.3,5.81,0.097,0.065,1.67,,,III,"
        f"{status},"
    )
    obs = parse_water_file(_write(tmp_path / "w.csv", [HEADER, line])).observations
    assert set(obs["qc_flags"]) == {flags}


@pytest.mark.parametrize(("published", "value"), sorted(WQ_CLASS_CODES.items()))
def test_published_class_codes(tmp_path: Path, published: str, value: float) -> None:
    text = "worse_than_V" if published == "WORSE_THAN_V" else published
    line = f"CN0001,2021-04-01T12:00:00+08:00,,,,,,,,,,,,{text},normal,"
    obs = parse_water_file(_write(tmp_path / "w.csv", [HEADER, line])).observations
    assert obs["variable"].astype(str).tolist() == ["wq_class_published"]
    assert obs["value"].tolist() == [value]


def test_row_level_problems_are_quarantined(tmp_path: Path) -> None:
    lines = [
        HEADER,
        "CN0001,2021-04-01T12:00:00+08:00,17.3,7.99,8.64,861.9,67.3,5.81,0.097,0.065,1.67,,,III,normal,",
        "CN0001,2021-04-01T16:00:00+08:00,17.4,x,8.38,895.4,104.5,5.63,0.09,0.057,1.54,,,VI,normal,do:filtered",
        "CN0001,2021-04-01T20:00:00+08:00,17.2,7.91,8.01,872.3,61,6.19,0.099,0.055,1.49,,,IV,broken,",
    ]
    parsed = parse_water_file(_write(tmp_path / "w.csv", lines))
    got = parsed.rejects[["line", "column", "value"]].values.tolist()
    assert got == [
        [3, "flags", "do:filtered"],
        [3, "ph", "x"],
        [3, "wq_class", "VI"],
        [4, "status", "broken"],
    ]
    assert sorted(set(parsed.observations["line"])) == [2, 3]
    assert "unknown status; valid: normal, maintenance, stopped, not_operational" in set(
        parsed.rejects["reason"]
    )


def test_declared_chlorophyll_unit(tmp_path: Path) -> None:
    line = "CN0037,2021-04-01T12:00:00+08:00,,,,,,,,,,9.01,,,normal,"
    obs = parse_water_file(
        _write(tmp_path / "w.csv", [HEADER, line]), units=["chla=ug/L"]
    ).observations
    assert obs["value"].tolist() == [pytest.approx(0.00901)]


def test_duplicate_station_and_time_names_both_lines(tmp_path: Path) -> None:
    row = "CN0001,2021-04-01T12:00:00+08:00,17.3,,,,,,,,,,,,normal,"
    lines = [HEADER, row, row.replace("12:00", "16:00"), row.replace("17.3", "17.5")]
    with pytest.raises(
        InputDataError, match=r"w\.csv:4: column 'time': station 'CN0001' .* repeats line 2"
    ):
        parse_water_file(_write(tmp_path / "w.csv", lines))


def test_wrong_layout(tmp_path: Path) -> None:
    with pytest.raises(
        InputDataError, match=r"w\.csv:1: column 'flags': not the CNEMC water layout"
    ):
        parse_water_file(_write(tmp_path / "w.csv", [HEADER.removesuffix(",flags")]))


def test_unknown_station(tmp_path: Path) -> None:
    with pytest.raises(
        InputDataError, match=r"w\.csv:2: column 'station': unknown station\(s\) 'CN0010'"
    ):
        parse_water_file(_write(tmp_path / "w.csv", [HEADER, REAL]), stations={"CN0001"})


# shared/data/README.md: "cnemc_national_daily/observations.csv.gz: 17,061 rows, 98 stations".
def test_whole_daily_file(shared_data_dir: Path) -> None:
    path = shared_data_dir / "water" / "cnemc_national_daily" / "observations.csv.gz"
    parsed = parse_water_file(path)
    plain = pd.read_csv(path)
    assert parsed.rows == 17_061
    assert parsed.rejects.empty
    assert parsed.observations["station"].nunique() == 98
    # every published value is stored, plus a NaN row per blanked (extreme-filtered) value
    values = int(
        plain.drop(columns=["station", "time", "wq_class", "status", "flags"]).notna().sum().sum()
    )
    obs = parsed.observations
    assert int(obs["value"].notna().sum()) == values + int(plain["wq_class"].notna().sum())
    assert int(obs["value"].isna().sum()) == 2_380
    assert not math.isnan(obs["value"].max())
