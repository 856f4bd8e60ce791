"""Air files: the shared Beijing layout, tidy files, raw UCI files, and their errors."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import InputDataError, UnknownStandardError
from forecasting.ingest.air import compass_to_degrees, detect_air_layout, parse_air_file

HEADER = "station,time,pm25,pm10,so2,no2,co,o3,temp,pres,dewp,rain,wd,wspm"


@pytest.fixture(scope="module")
def beijing_head(beijing_observations_path: Path) -> list[str]:
    """Header and the first 48 data lines of the shared file (Aotizhongxin, 2013-03-01/02)."""
    with gzip.open(beijing_observations_path, "rt", encoding="utf-8") as stream:
        return [next(stream).rstrip("\n") for _ in range(49)]


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _values(parsed_obs: pd.DataFrame, variable: str) -> np.ndarray:
    return parsed_obs.loc[parsed_obs["variable"] == variable, "value"].to_numpy()


def test_beijing_layout_converts_co_and_wind_direction(
    tmp_path: Path, beijing_head: list[str]
) -> None:
    # First data line of the shared file:
    # "Aotizhongxin,2013-03-01T00:00:00+08:00,4.0,4.0,4.0,7.0,300.0,77.0,-0.7,1023.0,-18.8,0.0,
    #  NNW,4.4"
    assert beijing_head[0] == HEADER
    parsed = parse_air_file(_write(tmp_path / "head.csv", beijing_head))
    assert parsed.layout == "beijing"
    obs = parsed.observations
    first = obs[obs["line"] == 2].set_index("variable")["value"]
    assert first["co"] == pytest.approx(0.3)  # 300 µg/m³ declared by the layout -> 0.3 mg/m³
    assert first["wind_dir"] == 337.5  # NNW
    assert first["pm25"] == 4.0
    assert first["temp_air"] == -0.7
    assert first["pressure"] == 1023.0
    assert set(obs["station"].astype(str)) == {"Aotizhongxin"}
    assert obs["valid_at"].min() == pd.Timestamp("2013-02-28T16:00:00Z")
    assert (obs["qc_flags"] == 0).all()
    assert parsed.units["co"] == "ug/m3"
    assert parsed.rows == 48
    assert parsed.rejects.empty
    assert parsed.source.startswith("head.csv@")
    assert len(parsed.source) == len("head.csv@") + 12


def test_declared_unit_overrides_the_layout_default(
    tmp_path: Path, beijing_head: list[str]
) -> None:
    parsed = parse_air_file(_write(tmp_path / "head.csv", beijing_head), units=["co=mg/m3"])
    assert _values(parsed.observations, "co")[0] == 300.0


def test_missing_cells_are_no_observation(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.csv", [HEADER, "A,2013-03-01T00:00:00+08:00,,,,,,,,,,,,"])
    parsed = parse_air_file(path)
    assert parsed.observations.empty
    assert parsed.rejects.empty


def test_tidy_layout_with_declared_zone(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "tidy.csv",
        [
            "station,valid_at,pm25,co,wind_dir",
            "A,2013-03-01 08:00,35,0.9,270",
            "A,2013-03-01 09:00,40,1.1,E",
        ],
    )
    parsed = parse_air_file(path, tz="Asia/Shanghai")
    assert parsed.layout == "tidy"
    obs = parsed.observations
    assert obs["valid_at"].min() == pd.Timestamp("2013-03-01T00:00:00Z")
    assert _values(obs, "co").tolist() == [0.9, 1.1]  # tidy default: mg/m³
    assert _values(obs, "wind_dir").tolist() == [270.0, 90.0]


def test_parquet_tidy_file(tmp_path: Path) -> None:
    path = tmp_path / "tidy.parquet"
    pd.DataFrame(
        {
            "station": ["A", "A"],
            "time": pd.to_datetime(["2013-03-01T00:00+08:00", "2013-03-01T01:00+08:00"], utc=True),
            "pm25": [10.0, np.nan],
        }
    ).to_parquet(path)
    parsed = parse_air_file(path)
    assert parsed.observations["value"].tolist() == [10.0]
    assert parsed.observations["line"].tolist() == [2]


def _uci_lines(beijing_head: list[str]) -> list[str]:
    """The same rows in the raw UCI ``PRSA_Data`` layout: naive local time, NA for missing."""
    frame = pd.DataFrame([line.split(",") for line in beijing_head[1:]], columns=HEADER.split(","))
    local = pd.to_datetime(frame["time"].str[:19])
    out = pd.DataFrame(
        {
            "No": range(1, len(frame) + 1),
            "year": local.dt.year,
            "month": local.dt.month,
            "day": local.dt.day,
            "hour": local.dt.hour,
            "PM2.5": frame["pm25"],
            "PM10": frame["pm10"],
            "SO2": frame["so2"],
            "NO2": frame["no2"],
            "CO": frame["co"],
            "O3": frame["o3"],
            "TEMP": frame["temp"],
            "PRES": frame["pres"],
            "DEWP": frame["dewp"],
            "RAIN": frame["rain"],
            "wd": frame["wd"],
            "WSPM": frame["wspm"],
            "station": frame["station"],
        }
    ).replace("", "NA")
    return out.to_csv(index=False).splitlines()


def test_uci_layout_defaults_to_beijing_time(tmp_path: Path, beijing_head: list[str]) -> None:
    uci = parse_air_file(_write(tmp_path / "PRSA_Data_Aotizhongxin.csv", _uci_lines(beijing_head)))
    tidy = parse_air_file(_write(tmp_path / "head.csv", beijing_head))
    assert uci.layout == "uci"
    columns = ["station", "variable", "valid_at", "value"]
    pd.testing.assert_frame_equal(
        uci.observations[columns].astype({"station": str, "variable": str}),
        tidy.observations[columns].astype({"station": str, "variable": str}),
    )


def test_uci_layout_with_another_zone(tmp_path: Path, beijing_head: list[str]) -> None:
    uci = parse_air_file(_write(tmp_path / "PRSA.csv", _uci_lines(beijing_head)), tz="UTC")
    assert uci.observations["valid_at"].min() == pd.Timestamp("2013-03-01T00:00:00Z")


def test_uci_invalid_date_is_quarantined(tmp_path: Path, beijing_head: list[str]) -> None:
    lines = _uci_lines(beijing_head)
    lines[3] = lines[3].replace(",2013,3,1,", ",2013,13,1,", 1)
    parsed = parse_air_file(_write(tmp_path / "PRSA.csv", lines))
    assert parsed.rejects[["line", "column"]].values.tolist() == [[4, "year"]]
    assert 4 not in set(parsed.observations["line"])


def test_naive_times_without_zone_name_file_line_and_fix(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "naive.csv",
        [HEADER, "A,2013-03-01T00:00:00+08:00,1,,,,,,,,,,,", "A,2013-03-01T01:00:00,2,,,,,,,,,,,"],
    )
    with pytest.raises(
        InputDataError,
        match=r"naive\.csv:3: column 'time': 1 timestamp\(s\) have no UTC offset .*--tz",
    ):
        parse_air_file(path)


def test_duplicate_station_and_time_names_both_lines(tmp_path: Path) -> None:
    lines = [HEADER] + [f"A,2013-03-01T0{h}:00:00+08:00,{h},,,,,,,,,,," for h in range(3)]
    lines.append("A,2013-03-01T01:00:00+08:00,9,,,,,,,,,,,")
    with pytest.raises(
        InputDataError, match=r"dup\.csv:5: column 'time': station 'A' at .* repeats line 3"
    ):
        parse_air_file(_write(tmp_path / "dup.csv", lines))


def test_same_instant_written_with_two_offsets_is_a_duplicate(tmp_path: Path) -> None:
    lines = [
        "station,time,pm25",
        "A,2013-03-01T08:00:00+08:00,1",
        "A,2013-03-01T00:00:00Z,2",
    ]
    with pytest.raises(InputDataError, match=r"two\.csv:3: .*repeats line 2"):
        parse_air_file(_write(tmp_path / "two.csv", lines))


def test_unknown_station(tmp_path: Path, beijing_head: list[str]) -> None:
    with pytest.raises(
        InputDataError,
        match=r"head\.csv:2: column 'station': unknown station\(s\) 'Aotizhongxin'; register",
    ):
        parse_air_file(_write(tmp_path / "head.csv", beijing_head), stations={"Dongsi"})


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (
            "station,time,pm25,humidity",
            r"h\.csv:1: column 'humidity': unknown air variable; known: pm25",
        ),
        ("station,pm25", r"h\.csv:1: an air file needs a 'station' column and one time column"),
        (
            "station,time,temp,temp_air",
            r"h\.csv:1: column 'temp_air': a second column for 'temp_air'",
        ),
    ],
)
def test_structural_header_errors(tmp_path: Path, header: str, message: str) -> None:
    with pytest.raises(InputDataError, match=message):
        parse_air_file(_write(tmp_path / "h.csv", [header]))


def test_unknown_unit_and_layout(tmp_path: Path, beijing_head: list[str]) -> None:
    path = _write(tmp_path / "head.csv", beijing_head)
    with pytest.raises(UnknownStandardError, match=r"unknown unit for co 'ppm'"):
        parse_air_file(path, units=["co=ppm"])
    with pytest.raises(UnknownStandardError, match=r"unknown air layout 'kdd'"):
        parse_air_file(path, layout="kdd")  # type: ignore[arg-type]


def test_row_level_problems_are_quarantined(tmp_path: Path) -> None:
    lines = [
        "station,time,pm25,pm10,wd",
        "A,2013-03-01T00:00:00+08:00,10,20,N",
        "A,2013-03-01T01:00:00+08:00,abc,20,N",  # 3: pm25 not a number
        "A,2013-03-01T02:00:00+08:00,10,20,N,?",  # 4: malformed
        "A,not a time,10,20,N",  # 5: bad timestamp
        ",2013-03-01T04:00:00+08:00,10,20,N",  # 6: no station
        "A,2013-03-01T05:00:00+08:00,10,20,XYZ",  # 7: bad wind direction
    ]
    parsed = parse_air_file(_write(tmp_path / "bad.csv", lines))
    got = parsed.rejects[["line", "column", "value"]].values.tolist()
    assert got == [
        [3, "pm25", "abc"],
        [4, "", "A,2013-03-01T02:00:00+08:00,10,20,N,?"],
        [5, "time", "not a time"],
        [6, "station", ""],
        [7, "wd", "XYZ"],
    ]
    assert set(parsed.rejects["file"]) == {str(tmp_path / "bad.csv")}
    obs = parsed.observations
    assert sorted(set(obs["line"])) == [2, 3, 7]  # good cells of lines 3 and 7 are kept
    assert len(obs[obs["line"] == 3]) == 2
    assert len(obs[obs["line"] == 7]) == 2


def test_strict_mode_raises_on_the_first_row_problem(tmp_path: Path) -> None:
    lines = ["station,time,pm25", "A,2013-03-01T00:00:00+08:00,1", "A,2013-03-01T01:00:00+08:00,x"]
    with pytest.raises(
        InputDataError, match=r"s\.csv:3: column 'pm25': not a number \(value 'x'\)"
    ):
        parse_air_file(_write(tmp_path / "s.csv", lines), strict=True)


@pytest.mark.parametrize(
    ("columns", "layout"),
    [
        (HEADER.split(","), "beijing"),
        (["No", "year", "month", "day", "hour", "PM2.5", "station"], "uci"),
        (["station", "time", "pm25"], "tidy"),
        (HEADER.split(",")[:-1], "tidy"),
    ],
)
def test_layout_detection(columns: list[str], layout: str) -> None:
    assert detect_air_layout(columns) == layout


@pytest.mark.parametrize(
    ("code", "degrees"),
    [
        ("N", 0.0),
        ("NNE", 22.5),
        ("E", 90.0),
        ("SSW", 202.5),
        ("W", 270.0),
        ("NNW", 337.5),
        ("nw", 315.0),
    ],
)
def test_compass_points(code: str, degrees: float) -> None:
    got, invalid = compass_to_degrees(pd.Series([code]))
    assert got.tolist() == [degrees]
    assert not invalid.any()
