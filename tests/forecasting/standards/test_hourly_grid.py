"""The padded hourly grid behind the GB 3095 statistics (forecasting.standards.hourly_grid)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import InputDataError
from forecasting.standards.hourly_grid import build_hourly_grid

TZ = "Asia/Shanghai"


def frame(times, values, station="A") -> pd.DataFrame:
    return pd.DataFrame({"station": station, "time": times, "pm25": values})


def stamps(start: str, n: int, tz: str | None = TZ) -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="h", tz=tz)


def test_grid_layout_pads_each_station_and_fills_whole_days():
    a = frame(stamps("2026-06-01 05:00", 3), [1.0, 2.0, 3.0])
    b = frame(stamps("2026-06-01 23:00", 2), [4.0, 5.0], station="B")
    grid = build_hourly_grid(pd.concat([b, a]), ["pm25"], pad=2)
    # A: 2 pad + 24 h; B: 2 pad + 48 h; 2 trailing pad.
    assert len(grid.hour) == 2 + 24 + 2 + 48 + 2
    assert grid.stations.tolist() == ["A", "B"]
    assert grid.day_station.tolist() == [0, 1, 1]
    assert grid.day_date.astype(str).tolist() == ["2026-06-01", "2026-06-01", "2026-06-02"]
    assert int(grid.observed.sum()) == 3 + 2
    assert np.nansum(grid.values["pm25"]) == 15.0
    assert (grid.day[:2] == -1).all()
    assert (grid.day[-2:] == -1).all()


def test_window_sums_count_valid_hours():
    grid = build_hourly_grid(
        frame(stamps("2026-06-01", 4), [1.0, np.nan, 3.0, 4.0]), ["pm25"], pad=2
    )
    sums, counts = grid.window_sums("pm25", 3)
    real = grid.day >= 0
    assert sums[real][:4].tolist() == [1.0, 1.0, 4.0, 7.0]
    assert counts[real][:4].tolist() == [1, 1, 2, 2]


def test_window_longer_than_the_padding_is_refused():
    grid = build_hourly_grid(frame(stamps("2026-06-01", 4), 1.0), ["pm25"], pad=2)
    with pytest.raises(InputDataError, match="padded by at least 3 h"):
        grid.window_sums("pm25", 4)


def test_iso_strings_with_offset_are_read():
    text = ["2026-06-01T00:00:00+08:00", "2026-06-01T01:00:00+08:00"]
    grid = build_hourly_grid(frame(text, [1.0, 2.0]), ["pm25"])
    assert str(grid.tz) == "UTC+08:00"
    assert grid.n_days == 1


def test_naive_timestamps_need_tz():
    naive = frame(stamps("2026-06-01", 2, tz=None), [1.0, 2.0])
    with pytest.raises(InputDataError, match="naive timestamps; localise them"):
        build_hourly_grid(naive, ["pm25"])
    assert build_hourly_grid(naive, ["pm25"], tz=TZ).n_days == 1


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (frame(["2026-06-01T00:00+08:00", "yesterday"], [1.0, 2.0]), r"row 1 .*time='yesterday'"),
        (frame(stamps("2026-06-01 00:30", 2), [1.0, 2.0]), "not on the hour: row 0"),
        (frame(stamps("2026-06-01", 2), ["1", "high"]), r"'pm25' must be numeric; row 1"),
        (frame(stamps("2026-06-01", 2), [1.0, np.inf]), r"infinite value: row 1"),
        (frame([stamps("2026-06-01", 1)[0], pd.NaT], [1.0, 2.0]), "missing timestamp: row 1"),
        (pd.DataFrame({"station": ["A"], "pm25": [1.0]}), "no 'time' column"),
        (frame(stamps("2026-06-01", 1), [1.0]).rename(columns={"pm25": "pm10"}), "no column for"),
    ],
)
def test_bad_input_names_the_row(bad, message):
    with pytest.raises(InputDataError, match=message):
        build_hourly_grid(bad, ["pm25"])


def test_duplicate_station_hour_names_both_rows():
    twice = frame(stamps("2026-06-01", 2).append(stamps("2026-06-01 01:00", 1)), [1.0, 2.0, 3.0])
    with pytest.raises(InputDataError, match=r"rows 1 and 2 are the same hour of station 'A'"):
        build_hourly_grid(twice, ["pm25"])


def test_same_instant_with_different_offsets_is_a_duplicate():
    text = ["2026-06-01T08:00:00+08:00", "2026-06-01T00:00:00+00:00"]
    with pytest.raises(InputDataError, match="same hour"):
        build_hourly_grid(frame(text, [1.0, 2.0]), ["pm25"], tz=TZ)


def test_unknown_time_zone():
    with pytest.raises(InputDataError, match="unknown time zone 'Mars/Olympus'"):
        build_hourly_grid(frame(stamps("2026-06-01", 1), [1.0]), ["pm25"], tz="Mars/Olympus")


def test_long_format_with_duplicate_rows_is_refused():
    long = pd.DataFrame(
        {
            "station": ["A", "A"],
            "time": stamps("2026-06-01", 1).repeat(2),
            "variable": ["pm25", "pm25"],
            "value": [1.0, 2.0],
        }
    )
    with pytest.raises(InputDataError, match="two rows for station 'A'"):
        build_hourly_grid(long, ["pm25"])


def test_station_and_time_may_be_index_levels():
    indexed = frame(stamps("2026-06-01", 3), [1.0, 2.0, 3.0]).set_index(["station", "time"])
    assert build_hourly_grid(indexed, ["pm25"]).n_days == 1


def test_empty_frame_gives_an_empty_grid():
    empty = frame(stamps("2026-06-01", 0), [])
    grid = build_hourly_grid(empty, ["pm25"], pad=3)
    assert grid.n_days == 0
    assert grid.day_reduce(grid.values["pm25"], "max").size == 0
