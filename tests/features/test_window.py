"""The as-of window: revisions, late arrivals, the T - 1 h rule, chunking, and no leakage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.window import (
    KnownHistory,
    chunk_issue_times,
    history_nbytes,
    iter_known_history,
    known_history,
    read_known_history,
)
from forecasting.config import sqlite_url_for_path
from forecasting.errors import InputDataError
from forecasting.qc.flags import QcFlag
from forecasting.storage import Store

T = pd.Timestamp("2024-01-10T00:00Z")
H = pd.Timedelta(hours=1)
BULK = datetime(2026, 11, 23, tzinfo=UTC)  # a bulk load: first revisions count from valid + 1 h
STATIONS = pd.DataFrame(
    {"station": ["A", "B", "C"], "latitude": [40.0, 40.1, 39.9], "longitude": [116.4] * 3}
).assign(network="air")


def rev(station, variable, stamp, value, available, revision=1) -> dict:
    return {
        "station": station,
        "variable": variable,
        "valid_at": pd.Timestamp(stamp),
        "value": value,
        "available_at": pd.Timestamp(available),
        "revision": revision,
    }


def frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


def window(
    revisions: pd.DataFrame, issues, *, window_h: int = 6, stations=("A",), variables=("pm25",)
):
    return known_history(revisions, list(stations), list(variables), issues, window_h=window_h)


def hourly(station: str, variable: str, start: pd.Timestamp, values, flags=None) -> pd.DataFrame:
    values = np.asarray(values, dtype=float)
    return pd.DataFrame(
        {
            "station": station,
            "variable": variable,
            "valid_at": pd.date_range(start, periods=values.size, freq="h"),
            "value": values,
            "qc_flags": np.zeros(values.size, int) if flags is None else flags,
            "source": "test",
        }
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store.open(sqlite_url_for_path(tmp_path / "store.sqlite"))
    opened.upsert_stations(STATIONS)
    yield opened
    opened.close()


# --- hand-made revisions ------------------------------------------------------------


def test_lag_zero_is_the_stamp_one_hour_before_the_issue():
    rows = [rev("A", "pm25", T - (k + 1) * H, float(k), T - (k + 1) * H + H) for k in range(6)]
    known = window(frame(*rows), [T])
    np.testing.assert_array_equal(known.values[0, 0, 0], [0, 1, 2, 3, 4, 5])
    assert known.values.dtype == np.float32


def test_a_value_revised_after_t_is_seen_old_at_t_and_new_after():
    revisions = frame(
        rev("A", "pm25", T - 3 * H, 10.0, T - 2 * H),
        rev("A", "pm25", T - 3 * H, 15.0, T + 5 * H, revision=2),
    )
    known = window(revisions, [T, T + 4 * H, T + 5 * H], window_h=12)
    # the stamp T - 3 h is lag index 2 at T, 6 at T + 4 h and 7 at T + 5 h
    assert known.values[0, 0, 0, 2] == 10.0
    assert known.values[1, 0, 0, 6] == 10.0
    assert known.values[2, 0, 0, 7] == 15.0


def test_a_revision_reaches_every_issue_between_its_availability_and_its_successor():
    revisions = frame(
        rev("A", "pm25", T - 6 * H, 1.0, T - 5 * H),
        rev("A", "pm25", T - 6 * H, 2.0, T - 3 * H, revision=2),
        rev("A", "pm25", T - 6 * H, 3.0, T - 1 * H, revision=3),
    )
    issues = [T - 4 * H, T - 3 * H, T - 2 * H, T - 1 * H, T]
    known = window(revisions, issues, window_h=8)
    seen = [known.values[i, 0, 0, (issue - (T - 6 * H)) // H - 1] for i, issue in enumerate(issues)]
    assert seen == [1.0, 2.0, 2.0, 3.0, 3.0]


def test_a_late_first_revision_is_invisible_before_it_arrives():
    revisions = frame(rev("A", "pm25", T - H, 7.0, T + 2 * H))
    known = window(revisions, [T, T + H, T + 2 * H])
    assert np.isnan(known.values[0, 0, 0, 0])  # unknown at T
    assert np.isnan(known.values[1, 0, 0, 1])  # still unknown at T + 1 h
    assert known.values[2, 0, 0, 2] == 7.0  # known from T + 2 h (available_at inclusive)


@pytest.mark.parametrize(
    ("available", "visible"),
    [(T, True), (T - pd.Timedelta(seconds=1), True), (T + pd.Timedelta(microseconds=1), False)],
)
def test_available_at_is_inclusive_to_the_microsecond(available, visible):
    known = window(frame(rev("A", "pm25", T - 2 * H, 4.0, available)), [T])
    assert bool(known.values[0, 0, 0, 1] == 4.0) == visible


def test_stamps_at_or_after_t_are_never_in_the_window_even_if_known():
    revisions = frame(
        rev("A", "pm25", T, 99.0, T - 2 * H),  # stamp T published "early": still excluded
        rev("A", "pm25", T - H, 5.0, T - 2 * H),
    )
    known = window(revisions, [T], window_h=2)
    np.testing.assert_array_equal(known.values[0, 0, 0], [5.0, np.nan])


def test_back_dated_revision_wins_by_revision_number_as_in_the_store():
    # revision 2 is available at 09:00, revision 3 (written later) back-dated to 07:00:
    # from 07:00 on the answer is revision 3; revision 2 is never the answer.
    stamp = pd.Timestamp("2024-01-01T00:00Z")
    revisions = frame(
        rev("A", "pm25", stamp, 1.0, "2024-01-01T05:00Z"),
        rev("A", "pm25", stamp, 2.0, "2024-01-01T09:00Z", revision=2),
        rev("A", "pm25", stamp, 3.0, "2024-01-01T07:00Z", revision=3),
    )
    issues = pd.date_range("2024-01-01T06:00Z", "2024-01-01T10:00Z", freq="h")
    known = window(revisions, issues, window_h=12)
    seen = [known.values[i, 0, 0, 5 + i] for i in range(len(issues))]
    assert seen == [1.0, 3.0, 3.0, 3.0, 3.0]


def test_a_blank_revision_hides_the_old_value():
    revisions = frame(
        rev("A", "pm25", T - 2 * H, 8.0, T - H),
        rev("A", "pm25", T - 2 * H, np.nan, T, revision=2),
    )
    known = window(revisions, [T - H, T])
    assert known.values[0, 0, 0, 0] == 8.0
    assert np.isnan(known.values[1, 0, 0, 1])


def test_axes_follow_the_arguments_and_ignore_everything_else():
    revisions = frame(
        rev("B", "o3", T - H, 1.0, T - H),
        rev("A", "pm25", T - H, 2.0, T - H),
        rev("Z", "pm25", T - H, 3.0, T - H),  # station not asked for
        rev("A", "so2", T - H, 4.0, T - H),  # variable not asked for
        rev("A", "o3", T - H + pd.Timedelta(minutes=30), 5.0, T - H),  # off the hour
    )
    known = window(revisions, [T], stations=("B", "A", "C"), variables=("pm25", "o3"))
    assert list(known.stations) == ["B", "A", "C"]
    assert known.variables == ("pm25", "o3")
    lag0 = known.values[0, :, :, 0]
    np.testing.assert_array_equal(lag0, [[np.nan, 1.0], [2.0, np.nan], [np.nan, np.nan]])


def test_issue_times_are_sorted_deduplicated_and_utc():
    known = window(frame(rev("A", "pm25", T - H, 1.0, T - H)), [T + H, "2024-01-10T08:00+08:00", T])
    assert list(known.issue_times) == [T, T + H]
    assert str(known.issue_times.tz) == "UTC"


def test_no_issue_times_give_an_empty_array():
    known = window(frame(rev("A", "pm25", T - H, 1.0, T - H)), [])
    assert known.values.shape == (0, 1, 1, 6)


def test_keys_are_station_major():
    known = window(frame(rev("A", "pm25", T - H, 1.0, T - H)), [T, T + H], stations=("A", "B"))
    keys = known.keys()
    assert keys["station"].tolist() == ["A", "A", "B", "B"]
    assert keys["issued_at"].tolist() == [T, T + H, T, T + H]


@pytest.mark.parametrize(
    ("revisions", "issues", "kwargs", "message"),
    [
        (frame(rev("A", "pm25", T - H, 1.0, T)).drop(columns="available_at"), [T], {}, "lacks"),
        (frame(rev("A", "pm25", T - H, 1.0, T)), ["2024-01-10T00:00"], {}, "no time zone"),
        (frame(rev("A", "pm25", T - H, 1.0, T)), [T + pd.Timedelta(minutes=5)], {}, "whole hour"),
        (frame(rev("A", "pm25", T - H, 1.0, T)), [T], {"window_h": 0}, "window_h"),
        (frame(*[rev("A", "pm25", T - H, 1.0, T)] * 2), [T], {}, "two rows"),
        (frame(*[rev("A", "pm25", T - H, 1.0, T, revision=2)] * 2), [T], {}, "two rows"),
    ],
)
def test_bad_input_is_an_input_error(revisions, issues, kwargs, message):
    with pytest.raises(InputDataError, match=message):
        known_history(revisions, ["A"], ["pm25"], issues, **kwargs)


def test_known_history_checks_its_array_and_names_unknown_variables():
    with pytest.raises(InputDataError, match="expected float32 of shape"):
        KnownHistory(pd.DatetimeIndex([T]), pd.Index(["A"]), ("pm25",), 6, np.zeros((1, 1, 1, 5)))
    known = window(frame(rev("A", "pm25", T - H, 1.0, T)), [T])
    with pytest.raises(InputDataError, match="choose one of: pm25"):
        known.variable("o3")


# --- chunking -------------------------------------------------------------------------


def test_history_nbytes_is_issue_station_variable_window_times_four():
    assert history_nbytes(1096, 12, 12, 168) == 1096 * 12 * 12 * 168 * 4
    known = window(frame(rev("A", "pm25", T - H, 1.0, T)), [T, T + H])
    assert known.nbytes == history_nbytes(2, 1, 1, 6)


@pytest.mark.parametrize(("budget_issues", "sizes"), [(1, [1] * 5), (2, [2, 2, 1]), (10, [5])])
def test_chunks_cover_every_issue_once_within_the_budget(budget_issues, sizes):
    issues = pd.date_range(T, periods=5, freq="D")
    budget = history_nbytes(budget_issues, 3, 2, 24)
    chunks = chunk_issue_times(issues, 3, 2, window_h=24, max_bytes=budget)
    assert [len(c) for c in chunks] == sizes
    assert pd.DatetimeIndex(np.concatenate([c.asi8 for c in chunks]), tz="UTC").equals(
        issues.as_unit("ns")
    )


# --- through the store ---------------------------------------------------------------


def write_base(store: Store) -> None:
    """Ten days of hourly pm25 at A and B (a gap at B), bulk-loaded."""
    start = T - pd.Timedelta(days=10)
    rng = np.random.default_rng(0)
    a = hourly("A", "pm25", start, rng.uniform(5, 200, 24 * 13))
    b = hourly("B", "pm25", start, rng.uniform(5, 200, 24 * 13))
    b = b[(b["valid_at"] < T - 30 * H) | (b["valid_at"] > T - 20 * H)]
    store.write_observations(pd.concat([a, b]), ingested_at=BULK)


def test_read_known_history_agrees_with_the_stores_as_of_reads(store: Store):
    write_base(store)
    late = hourly("A", "pm25", T - 8 * H, [1.0, 2.0, 3.0])
    store.write_observations(late, ingested_at=T - 2 * H)  # revisions known from T - 2 h
    flagged = hourly("B", "pm25", T - 5 * H, [7.0], flags=[int(QcFlag.STUCK)])
    store.write_observations(flagged, ingested_at=T - 3 * H)
    issues = pd.date_range(T - 6 * H, T + 2 * H, freq="h")
    known = read_known_history(store, ["A", "B"], ["pm25"], issues, window_h=24)
    for i, issue in enumerate(issues):
        expected = store.read_observations(
            "pm25", ["A", "B"], issue - 24 * H, issue, as_of=issue, exclude_flags=int(QcFlag.STUCK)
        )
        for s, station in enumerate(["A", "B"]):
            rows = expected[expected["station"] == station]
            lag = ((issue - rows["valid_at"]) // H - 1).to_numpy()
            want = np.full(24, np.nan, np.float32)
            want[lag] = rows["value"].to_numpy(np.float32)
            np.testing.assert_array_equal(known.values[i, s, 0], want, err_msg=f"{issue} {station}")


def test_iter_known_history_equals_one_read(store: Store):
    write_base(store)
    issues = pd.date_range(T - pd.Timedelta(days=3), T, freq="D")
    whole = read_known_history(store, ["A", "B"], ["pm25", "o3"], issues, window_h=48)
    chunks = list(
        iter_known_history(
            store, ["A", "B"], ["pm25", "o3"], issues, window_h=48, max_bytes=3 * 2 * 2 * 48 * 4
        )
    )
    assert [len(c.issue_times) for c in chunks] == [3, 1]
    np.testing.assert_array_equal(np.concatenate([c.values for c in chunks]), whole.values)


def test_window_does_not_leak_through_the_store(store: Store):
    write_base(store)
    issues = [T - pd.Timedelta(days=1), T]

    def build() -> np.ndarray:
        return read_known_history(store, ["A", "B", "C"], ["pm25"], issues, window_h=168).values

    before = build()
    # later observations: new stamps after T - 1 h, and a value stamped T ingested before T
    store.write_observations(hourly("A", "pm25", T + 72 * H, [1.0] * 48), ingested_at=T)
    store.write_observations(
        hourly("A", "pm25", T, [555.0]), ingested_at=T - pd.Timedelta(minutes=30)
    )
    # revisions of old stamps ingested after T
    store.write_observations(
        hourly("A", "pm25", T - 50 * H, np.arange(49.0)), ingested_at=T + pd.Timedelta(seconds=1)
    )
    # late first revisions for the gap at B, arriving after T
    store.write_observations(
        hourly("B", "pm25", T - 30 * H, [3.0] * 10),
        ingested_at=T + 2 * H,
        available_lag=timedelta(days=60),
    )
    after = build()
    assert before.tobytes() == after.tobytes()
    # control: a revision ingested before T changes what T knew
    store.write_observations(hourly("A", "pm25", T - 6 * H, [-1.0]), ingested_at=T - 2 * H)
    control = build()
    assert before.tobytes() != control.tobytes()
    assert control[1, 0, 0, 5] == -1.0
