"""``ecocast aqi``: real data in, one row per station-day out; bad input gets a clear error."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from forecasting.cli import run

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "beijing" / "observations.csv.gz"

HEADER = "station,time,pm25,pm10,so2,no2,co,o3,temp,pres,dewp,rain,wd,wspm"
WEATHER = ",5.0,1012.0,-3.0,0.0,NW,2.1"  # station weather of the Beijing layout


def _write(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "obs.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def _day(station: str, date: str, **values: float) -> list[str]:
    """24 hourly rows of one station-day with constant concentrations (CO in µg/m³)."""
    v = {"pm25": 10.0, "pm10": 20.0, "so2": 5.0, "no2": 20.0, "co": 500.0, "o3": 40.0, **values}
    return [
        f"{station},{date}T{h:02d}:00:00+08:00,{v['pm25']},{v['pm10']},{v['so2']},"
        f"{v['no2']},{v['co']},{v['o3']}{WEATHER}"
        for h in range(24)
    ]


def test_daily_aqi_of_bundled_real_sample(tmp_path: Path) -> None:
    out = tmp_path / "daily.csv"
    assert run(["aqi", str(SAMPLE), "--output", str(out)]) == 0
    daily = pd.read_csv(out, keep_default_na=False, na_values=[""])
    # 12 stations x 366 days (2015-03-01 .. 2016-02-29), one row per station-day.
    assert len(daily) == 12 * 366
    assert not daily.duplicated(["station", "date"]).any()
    assert set(daily["edition"]) == {"hj633-2012"}  # all dates before 2026-03-01
    assert {"iaqi_pm25", "iaqi_o3_8h", "iaqi_o3_1h", "primary", "level"} <= set(daily.columns)
    # Cross-check one station-day against a plain computation from the raw file, with the
    # HJ 633-2012 Table 1 PM2.5 row "0 35 75 115 150 250 350 500" (IAQI 0..500).
    raw = pd.read_csv(SAMPLE)
    day = raw[(raw.station == "Dongsi") & raw.time.str.startswith("2015-06-01")]
    assert day["pm25"].notna().sum() >= 20
    mean = day["pm25"].mean()
    bp = [0, 35, 75, 115, 150, 250, 350, 500]
    iaqi = [0, 50, 100, 150, 200, 300, 400, 500]
    k = max(i for i in range(len(bp) - 1) if bp[i] <= mean)
    expected = math.ceil((iaqi[k + 1] - iaqi[k]) / (bp[k + 1] - bp[k]) * (mean - bp[k]) + iaqi[k])
    row = daily[(daily.station == "Dongsi") & (daily.date == "2015-06-01")].iloc[0]
    assert row["iaqi_pm25"] == expected
    assert row["aqi"] >= expected


def test_hourly_real_time_aqi(tmp_path: Path) -> None:
    out = tmp_path / "hourly.csv"
    rows = _day("A", "2026-03-01")
    assert run(["aqi", str(_write(tmp_path, *rows)), "-o", str(out), "--hourly"]) == 0
    hourly = pd.read_csv(out, keep_default_na=False, na_values=[""])
    assert len(hourly) == 24
    assert "time" in hourly.columns
    assert "date" not in hourly.columns
    # HJ 633-2026: 1-h indicators only; PM2.5 1-h 10 µg/m³ against the daily breakpoints
    # (0 -> 0, 35 -> 50): ceil(10 * 50 / 35) = 15. O3 1-h 40: ceil(40 * 50 / 160) = 13.
    assert set(hourly["edition"]) == {"hj633-2026"}
    assert (hourly["iaqi_pm25"] == 15).all()


def test_edition_follows_the_date_and_can_be_forced(tmp_path: Path) -> None:
    # PM2.5 75 µg/m³: IAQI 100 under HJ 633-2012, 114 under HJ 633-2026 (standards.md §1).
    rows = _day("A", "2026-02-28", pm25=75.0) + _day("A", "2026-03-01", pm25=75.0)
    src = _write(tmp_path, *rows)
    out = tmp_path / "d.csv"
    assert run(["aqi", str(src), "-o", str(out)]) == 0
    daily = pd.read_csv(out).set_index("date")
    assert daily.loc["2026-02-28", "edition"] == "hj633-2012"
    assert daily.loc["2026-02-28", "iaqi_pm25"] == 100
    assert daily.loc["2026-03-01", "edition"] == "hj633-2026"
    assert daily.loc["2026-03-01", "iaqi_pm25"] == 114
    assert run(["aqi", str(src), "-o", str(out), "--edition", "hj633-2026"]) == 0
    assert set(pd.read_csv(out)["iaqi_pm25"]) == {114}


def test_us_epa_scheme(tmp_path: Path) -> None:
    # EPA-454/B-24-002 Table 6: PM2.5 24-h 35.4 µg/m³ is the top of "Moderate" (AQI 100).
    rows = _day("A", "2024-06-01", pm25=35.4, pm10=10.0, o3=20.0, no2=10.0, co=200.0)
    out = tmp_path / "us.csv"
    assert (
        run(["aqi", str(_write(tmp_path, *rows)), "-o", str(out), "--scheme", "us-epa-2024"]) == 0
    )
    us = pd.read_csv(out)
    assert us.loc[0, "aqi"] == 100
    assert us.loc[0, "primary"] == "pm25"


def test_declared_unit_is_converted(tmp_path: Path) -> None:
    rows = _day("A", "2020-01-01", co=0.5)  # declared as mg/m³ below
    out = tmp_path / "d.csv"
    assert run(["aqi", str(_write(tmp_path, *rows)), "-o", str(out), "--unit", "co=mg/m3"]) == 0
    assert pd.read_csv(out).loc[0, "co"] == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("args", "row", "message"),
    [
        (["--edition", "hj633-2099"], None, "unknown HJ 633 edition 'hj633-2099'"),
        (["--scheme", "aqhi"], None, "unknown AQI scheme 'aqhi'"),
        (["--unit", "pm1=ug/m3"], None, "unknown variable 'pm1'"),
        (["--unit", "co=furlongs"], None, "furlongs"),
        (
            [],
            "A,2020-01-01T05:00:00+08:00,-3,20,5,20,500,40" + WEATHER,
            "obs.csv:7: column 'pm25': value -3",
        ),
        (
            [],
            "A,2020-01-01T05:00:00+08:00,12,abc,5,20,500,40" + WEATHER,
            "obs.csv:7: column 'pm10': not a number (value 'abc')",
        ),
        ([], "A,2020-01-01T05:00:00,12,20,5,20,500,40" + WEATHER, "obs.csv:7: column 'time'"),
        (
            [],
            "A,2020-01-01T04:00:00+08:00,12,20,5,20,500,40" + WEATHER,
            "obs.csv:7: column 'time': station 'A'",
        ),
    ],
)
def test_bad_input_names_the_value_and_row(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    row: str | None,
    message: str,
) -> None:
    rows = _day("A", "2020-01-01")[:5] + ([row] if row else [])
    out = tmp_path / "d.csv"
    assert run(["aqi", str(_write(tmp_path, *rows)), "-o", str(out), *args]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert message in err
    assert not out.exists()  # nothing half-written


def test_error_is_one_line_without_traceback(tmp_path: Path) -> None:
    src = _write(tmp_path, "A,2020-01-01T05:00:00,12,20,5,20,500,40" + WEATHER)
    proc = subprocess.run(
        [sys.executable, "-m", "forecasting", "aqi", str(src), "-o", str(tmp_path / "o.csv")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "no time zone was declared" in " ".join(proc.stderr.split())
