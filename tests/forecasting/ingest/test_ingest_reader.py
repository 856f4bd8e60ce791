"""Reading source files: line numbers, malformed lines, cells, timestamps."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from forecasting.errors import InputDataError
from forecasting.ingest.reader import parse_numbers, parse_times, read_raw_table


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_line_numbers_skip_malformed_and_blank_lines(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "obs.csv",
        "station,time,pm25\n"  # line 1
        "A,2013-03-01T00:00:00+08:00,4\n"  # 2
        "A,2013-03-01T01:00:00+08:00,5,extra\n"  # 3: malformed
        "\n"  # 4: blank
        "A,2013-03-01T02:00:00+08:00,6\n",  # 5
    )
    raw = read_raw_table(path)
    assert raw.columns == ("station", "time", "pm25")
    assert raw.lines.tolist() == [2, 5]
    assert raw.column("pm25").to_pylist() == ["4", "6"]
    assert [(line, reason) for line, _, reason in raw.malformed] == [
        (3, "malformed line: 4 fields, the header has 3")
    ]


def test_gzip_and_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "obs.csv.gz"
    path.write_bytes(gzip.compress("\ufeffstation,pm25\nA,1\n".encode()))
    raw = read_raw_table(path)
    assert raw.columns == ("station", "pm25")
    assert raw.lines.tolist() == [2]


def test_parquet_lines_count_as_if_written_with_a_header(tmp_path: Path) -> None:
    path = tmp_path / "obs.parquet"
    pd.DataFrame({"station": ["A", "B"], "pm25": [1.0, 2.0]}).to_parquet(path)
    raw = read_raw_table(path)
    assert raw.lines.tolist() == [2, 3]
    assert pa.types.is_floating(raw.column("pm25").type)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", r"empty\.csv:1: the file is empty"),
        ("station,pm25,pm25\nA,1,2\n", r"dup\.csv:1: column 'pm25' appears twice"),
    ],
)
def test_bad_headers(tmp_path: Path, text: str, message: str) -> None:
    name = "empty.csv" if not text else "dup.csv"
    with pytest.raises(InputDataError, match=message):
        read_raw_table(_write(tmp_path / name, text))


def test_a_quoted_value_spanning_lines_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "q.csv", 'station,time\nA,"2013-03-01\nT00:00"\n')
    with pytest.raises(InputDataError, match=r"q\.csv:2: column 'time': a quoted value spans"):
        read_raw_table(path)


def test_header_only_file_has_no_rows(tmp_path: Path) -> None:
    raw = read_raw_table(_write(tmp_path / "h.csv", "station,pm25\n"))
    assert raw.table.num_rows == 0
    assert raw.lines.size == 0


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="no such file"):
        read_raw_table(tmp_path / "nope.csv")


def test_numbers_missing_tokens_and_invalid_cells() -> None:
    cells = pa.chunked_array([["1.5", "", "NA", "-2e3", " 7 ", "abc", "1,5", "inf", "nan"]])
    values, invalid = parse_numbers(cells)
    np.testing.assert_array_equal(values[[0, 3, 4]], [1.5, -2000.0, 7.0])
    assert np.isnan(values[[1, 2, 5, 6, 7, 8]]).all()
    assert invalid.tolist() == [False, False, False, False, False, True, True, True, False]


def test_numeric_parquet_columns() -> None:
    values, invalid = parse_numbers(pa.chunked_array([[1, None, 3]], type=pa.int64()))
    assert values[0] == 1.0
    assert np.isnan(values[1])
    assert not invalid.any()


def test_times_with_offsets_are_exact() -> None:
    cells = pa.chunked_array([["2013-03-01T00:00:00+08:00", "2013-03-01T00:00:00Z", ""]])
    times, invalid, naive = parse_times(cells, None)
    assert times[0] == pd.Timestamp("2013-02-28T16:00:00Z")
    assert times[1] == pd.Timestamp("2013-03-01T00:00:00Z")
    assert invalid.tolist() == [False, False, True]
    assert not naive.any()
    assert str(times.dtype) == "datetime64[s, UTC]"


def test_naive_times_need_a_zone() -> None:
    cells = pa.chunked_array([["2013-03-01T00:00:00", "2013-03-01 01:00"]])
    _, invalid, naive = parse_times(cells, None)
    assert naive.all()
    assert invalid.all()
    times, invalid, _ = parse_times(cells, "Asia/Shanghai")
    assert times.tolist() == [
        pd.Timestamp("2013-02-28T16:00:00Z"),
        pd.Timestamp("2013-02-28T17:00:00Z"),
    ]
    assert not invalid.any()


@pytest.mark.parametrize(
    "text",
    [
        "2021-10-31T02:30:00",  # ambiguous in Europe/Berlin (clocks go back)
        "2021-03-28T02:30:00",  # does not exist in Europe/Berlin (clocks go forward)
        "2013-13-01T00:00:00",  # no such month
        "yesterday",
    ],
)
def test_invalid_local_times(text: str) -> None:
    _, invalid, _ = parse_times(pa.chunked_array([[text]]), "Europe/Berlin")
    assert invalid.tolist() == [True]


def test_fractional_seconds_are_invalid() -> None:
    cells = pa.chunked_array([["2013-03-01T00:00:00.5+08:00"]])
    _, invalid, _ = parse_times(cells, None)
    assert invalid.tolist() == [True]


def test_unknown_zone() -> None:
    with pytest.raises(InputDataError, match=r"unknown time zone 'Beijing'; use an IANA name"):
        parse_times(pa.chunked_array([["2013-03-01T00:00:00"]]), "Beijing")
