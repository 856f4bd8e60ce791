"""Series checks: segments, stuck runs, spikes and stale readings."""

from __future__ import annotations

import numpy as np
import pytest

from forecasting.qc.temporal import flag_spike, flag_stale, flag_stuck, series_segments

H = 3600


def _hours(*values: float) -> np.ndarray:
    return (np.asarray(values, dtype=np.float64) * H).astype(np.int64)


def test_segments_split_at_new_series_and_long_gaps() -> None:
    series = np.array([0, 0, 0, 0, 1, 1])
    times = _hours(0, 1, 4, 8, 8, 9)
    # gap 1->4 is 3 h (not more than 3): same segment; 4->8 is 4 h: new segment.
    assert series_segments(series, times, 3.0).tolist() == [0, 0, 0, 1, 2, 2]


@pytest.mark.parametrize(("length", "flagged"), [(25, True), (24, False)])
def test_stuck_run_edge(length: int, flagged: bool) -> None:
    # a run of `length` hourly values spans length - 1 hours; the threshold is 24 h.
    values = np.r_[np.full(length, 3.0), 7.0]
    times = _hours(*range(length + 1))
    got = flag_stuck(values, times, np.zeros(values.size, dtype=np.int64), min_hours=24)
    assert got[:length].all() == flagged
    assert not got[-1]


def test_stuck_ignores_runs_at_or_below_min_value() -> None:
    values = np.r_[np.zeros(30), np.full(30, 0.1)]
    times = _hours(*range(60))
    got = flag_stuck(values, times, np.zeros(60, dtype=np.int64), min_hours=12, min_value=0.0)
    assert not got[:30].any()
    assert got[30:].all()


def test_stuck_runs_do_not_cross_segments() -> None:
    values = np.full(20, 2.0)
    times = _hours(*range(20))
    segments = np.r_[np.zeros(10, dtype=np.int64), np.ones(10, dtype=np.int64)]
    assert not flag_stuck(values, times, segments, min_hours=12).any()
    assert flag_stuck(values, times, np.zeros(20, dtype=np.int64), min_hours=12).all()


def test_nan_ends_a_run() -> None:
    values = np.r_[np.full(10, 2.0), np.nan, np.full(10, 2.0)]
    times = _hours(*range(21))
    got = flag_stuck(values, times, np.zeros(21, dtype=np.int64), min_hours=12)
    assert not got.any()


def _wave(n: int) -> np.ndarray:
    return 50.0 + 10.0 * np.sin(np.arange(n) * 2 * np.pi / 24)


def test_isolated_spike_is_flagged_and_its_neighbours_are_not() -> None:
    values = _wave(96)
    values[48] += 400.0
    got = flag_spike(values, np.zeros(96, dtype=np.int64), window=25, min_periods=7, k=6, floor=10)
    assert np.flatnonzero(got).tolist() == [48]


@pytest.mark.parametrize(("jump", "flagged"), [(59.0, False), (61.0, True)])
def test_spike_floor_edge_on_a_flat_series(jump: float, flagged: bool) -> None:
    # IQR of a flat series is 0, so the floor sets the threshold: k * floor = 6 * 10 = 60.
    values = np.full(50, 20.0)
    values[25] += jump
    got = flag_spike(values, np.zeros(50, dtype=np.int64), window=25, min_periods=7, k=6, floor=10)
    assert bool(got[25]) is flagged
    assert got.sum() == int(flagged)


def test_a_level_shift_is_not_a_spike() -> None:
    values = np.r_[np.full(48, 20.0), np.full(48, 300.0)] + _wave(96) / 10
    got = flag_spike(values, np.zeros(96, dtype=np.int64), window=25, min_periods=7, k=6, floor=10)
    assert not got.any()


def test_spike_windows_do_not_cross_segments() -> None:
    # Segment 0 is low, segment 1 high: on one series the first high values would look odd.
    values = np.r_[np.full(13, 10.0), np.full(13, 500.0)]
    segments = np.r_[np.zeros(13, dtype=np.int64), np.ones(13, dtype=np.int64)]
    assert not flag_spike(values, segments, window=25, min_periods=7, k=6, floor=1).any()


def test_spike_needs_min_periods() -> None:
    values = np.array([10.0, 10.0, 900.0, 10.0])
    got = flag_spike(values, np.zeros(4, dtype=np.int64), window=25, min_periods=7, k=6, floor=1)
    assert not got.any()


def test_nan_is_never_a_spike() -> None:
    values = _wave(48)
    values[10] = np.nan
    got = flag_spike(values, np.zeros(48, dtype=np.int64), window=25, min_periods=7, k=6, floor=1)
    assert not got[10]


@pytest.mark.parametrize(("gap_days", "stale"), [(7.0, False), (7.5, True)])
def test_stale_edge(gap_days: float, stale: bool) -> None:
    # An old reading, then a regular daily series; isolation threshold 168 h = 7 days.
    days = np.r_[0.0, gap_days + np.arange(10)]
    times = (days * 86400).astype(np.int64)
    got = flag_stale(np.zeros(days.size, dtype=np.int64), times, gap_hours=168)
    assert bool(got[0]) is stale
    assert not got[1:].any()


def test_stale_uses_the_file_end_for_a_station_last_reading() -> None:
    times = (np.array([0.0, 30.0, 31.0]) * 86400).astype(np.int64)
    stations = np.array([0, 1, 1])
    got = flag_stale(stations, times, gap_hours=168)
    assert got.tolist() == [True, False, False]
    # a station whose only reading is as recent as the file's end is not stale
    assert not flag_stale(np.array([0]), np.array([0]), gap_hours=168, end=3600).any()
