"""Observations: round trip, idempotency, revisions, as-of reads, flags, atomicity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import InputDataError
from forecasting.storage import OBSERVATION_DTYPES, Store, WriteSummary, _fetch
from forecasting.storage import observations as observations_module

INGESTED = datetime(2026, 11, 23, tzinfo=UTC)
TIDY = ["station", "variable", "valid_at", "value", "qc_flags", "source"]


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text).tz_convert("UTC")


# --- round trip and dtypes -----------------------------------------------------------


def test_round_trip_keeps_values_nan_flags_and_source(registered: Store, make_observations):
    frame = make_observations(values=[10.0, 20.5, float("nan"), 0.1 + 0.2], flags=[0, 0, 4, 0])
    summary = registered.write_observations(frame, ingested_at=INGESTED)
    assert summary == WriteSummary(inserted=4, revised=0, unchanged=0)
    got = registered.read_observations()
    assert list(got.columns) == TIDY
    assert {c: str(got[c].dtype) for c in TIDY} == {c: OBSERVATION_DTYPES[c] for c in TIDY}
    expected = frame.astype({"valid_at": OBSERVATION_DTYPES["valid_at"], "station": "str"})
    expected = expected.astype({"variable": "str", "source": "str", "qc_flags": "int64"})
    pd.testing.assert_frame_equal(got, expected)
    # exact float round trip, including a value with 17 significant digits
    assert got["value"].iloc[3] == 0.1 + 0.2


def test_local_times_are_stored_as_the_same_instant_in_utc(registered: Store, make_observations):
    frame = make_observations(values=[1.0], start="2024-01-01T08:00+08:00")
    registered.write_observations(frame, ingested_at=INGESTED)
    got = registered.read_observations()
    assert got["valid_at"].iloc[0] == pd.Timestamp("2024-01-01T00:00Z")
    assert str(got["valid_at"].dt.tz) == "UTC"


def test_read_is_sorted_by_station_variable_and_time(registered: Store, make_observations):
    frames = [
        make_observations("Dongsi", "pm25", [1.0, 2.0], start="2024-01-01T01:00Z"),
        make_observations("Aotizhongxin", "o3", [3.0]),
        make_observations("Dongsi", "co", [4.0, 5.0], start="2024-01-01T00:00Z"),
        make_observations("Aotizhongxin", "co", [6.0]),
    ]
    registered.write_observations(pd.concat(frames[::-1]), ingested_at=INGESTED)
    got = registered.read_observations()
    keys = list(zip(got["station"], got["variable"], got["valid_at"], strict=True))
    assert keys == sorted(keys)
    assert got.index.equals(pd.RangeIndex(len(got)))


def test_empty_frame_writes_nothing(registered: Store, make_observations):
    empty = make_observations(values=[])
    assert registered.write_observations(empty, ingested_at=INGESTED) == WriteSummary(0, 0, 0)
    got = registered.read_observations()
    assert got.empty
    assert list(got.columns) == TIDY
    assert str(got["valid_at"].dtype) == OBSERVATION_DTYPES["valid_at"]


# --- idempotency and revisions -------------------------------------------------------


def test_writing_the_same_frame_twice_changes_nothing(registered: Store, make_observations):
    frame = make_observations()
    registered.write_observations(frame, ingested_at=INGESTED)
    again = registered.write_observations(frame, ingested_at=INGESTED + timedelta(days=1))
    assert again == WriteSummary(inserted=0, revised=0, unchanged=4)
    got = registered.read_observations(include_revision=True)
    assert got["revision"].tolist() == [1, 1, 1, 1]
    assert (got["ingested_at"] == pd.Timestamp(INGESTED)).all()


@pytest.mark.parametrize(
    ("new_values", "new_flags", "revised_rows"),
    [
        ([10.0, 21.0, float("nan"), 40.0], [0, 0, 0, 0], [1]),  # value corrected
        ([10.0, 20.0, float("nan"), 40.0], [0, 8, 0, 0], [1]),  # flag added
        ([10.0, 20.0, 30.0, 40.0], [0, 0, 0, 0], [2]),  # blank value published later
        ([float("nan"), 20.0, float("nan"), 40.0], [0, 0, 0, 0], [0]),  # value withdrawn
    ],
)
def test_a_changed_value_or_flag_becomes_a_new_revision(
    registered: Store, make_observations, new_values, new_flags, revised_rows
):
    registered.write_observations(make_observations(), ingested_at=INGESTED)
    later = INGESTED + timedelta(days=2)
    summary = registered.write_observations(
        make_observations(values=new_values, flags=new_flags), ingested_at=later
    )
    assert summary == WriteSummary(inserted=0, revised=len(revised_rows), unchanged=3)
    got = registered.read_observations(include_revision=True)
    np.testing.assert_array_equal(got["value"], new_values)
    assert got["qc_flags"].tolist() == new_flags
    expected_revision = [2 if i in revised_rows else 1 for i in range(4)]
    assert got["revision"].tolist() == expected_revision
    for i in revised_rows:
        assert got["available_at"].iloc[i] == pd.Timestamp(later)
        assert got["ingested_at"].iloc[i] == pd.Timestamp(later)


def test_new_keys_and_revisions_in_one_frame(registered: Store, make_observations):
    registered.write_observations(make_observations(values=[1.0, 2.0]), ingested_at=INGESTED)
    frame = make_observations(values=[1.0, 2.5, 3.0, 4.0])
    summary = registered.write_observations(frame, ingested_at=INGESTED + timedelta(hours=1))
    assert summary == WriteSummary(inserted=2, revised=1, unchanged=1)
    assert summary.total == 4


def test_an_unchanged_value_keeps_its_first_source(registered: Store, make_observations):
    registered.write_observations(make_observations(source="a.csv"), ingested_at=INGESTED)
    registered.write_observations(make_observations(source="b.csv"), ingested_at=INGESTED)
    assert set(registered.read_observations()["source"]) == {"a.csv"}


def test_the_largest_flag_mask_survives_the_packed_fetch(registered: Store, make_observations):
    flags = [2**31 - 1, 2**30, 1, 0]
    registered.write_observations(make_observations(flags=flags), ingested_at=INGESTED)
    assert registered.read_observations()["qc_flags"].tolist() == flags


@pytest.mark.parametrize("include_revision", [False, True])
def test_per_series_and_single_query_plans_agree(
    registered: Store, make_observations, monkeypatch: pytest.MonkeyPatch, include_revision
):
    frame = pd.concat(
        [
            make_observations("Dongsi", "pm25", [1.0, np.nan, 3.0], flags=[0, 4, 1]),
            make_observations("Dongsi", "o3", [7.0, 8.0], source="b.csv"),
            make_observations("Aotizhongxin", "pm25", [np.nan]),
            make_observations("W001", "do", [8.1, 7.9, 7.5], start="2024-01-01T02:00Z"),
        ]
    )
    registered.write_observations(frame, ingested_at=INGESTED)
    registered.write_observations(
        make_observations("Dongsi", "o3", [7.5, 8.0], source="c.csv"),
        ingested_at=INGESTED + timedelta(hours=5),
    )
    per_series = registered.read_observations(include_revision=include_revision)
    wide_per_series = registered.read_observations_wide(exclude_flags=1)
    monkeypatch.setattr(_fetch, "SERIES_QUERY_LIMIT", 0)
    single = registered.read_observations(include_revision=include_revision)
    pd.testing.assert_frame_equal(per_series, single)
    pd.testing.assert_frame_equal(
        wide_per_series, registered.read_observations_wide(exclude_flags=1)
    )
    assert len(single) == 9
    assert single["source"].tolist().count("c.csv") == 1


# --- availability and as-of reads ----------------------------------------------------


def test_first_revision_of_a_bulk_load_is_available_one_hour_after_valid_time(
    registered: Store, make_observations
):
    frame = make_observations(values=[1.0, 2.0], start="2014-06-01T00:00Z")
    registered.write_observations(frame, ingested_at=INGESTED)
    got = registered.read_observations(include_revision=True)
    assert got["available_at"].tolist() == [ts("2014-06-01T01:00Z"), ts("2014-06-01T02:00Z")]
    # so a backtest issued at 2014-06-01T01:30Z sees the first hour only
    known = registered.read_observations(as_of="2014-06-01T01:30Z")
    assert known["valid_at"].tolist() == [ts("2014-06-01T00:00Z")]


def test_first_revision_received_sooner_than_the_lag_counts_from_ingestion(
    registered: Store, make_observations
):
    frame = make_observations(values=[1.0], start="2024-01-01T00:00Z")
    received = datetime(2024, 1, 1, 0, 10, tzinfo=UTC)
    registered.write_observations(frame, ingested_at=received)
    got = registered.read_observations(include_revision=True)
    assert got["available_at"].iloc[0] == pd.Timestamp(received)


@pytest.mark.parametrize("lag_h", [0, 3])
def test_available_lag_is_configurable(registered: Store, make_observations, lag_h: int):
    frame = make_observations(values=[1.0], start="2014-06-01T00:00Z")
    registered.write_observations(frame, ingested_at=INGESTED, available_lag=timedelta(hours=lag_h))
    got = registered.read_observations(include_revision=True)
    assert got["available_at"].iloc[0] == ts("2014-06-01T00:00Z") + pd.Timedelta(hours=lag_h)


def test_as_of_reads_before_and_after_a_revision(registered: Store, make_observations):
    registered.write_observations(
        make_observations(values=[1.0], start="2024-01-01T00:00Z"), ingested_at=INGESTED
    )
    corrected_at = INGESTED + timedelta(days=3)
    registered.write_observations(
        make_observations(values=[1.5], start="2024-01-01T00:00Z"), ingested_at=corrected_at
    )
    edge = pd.Timestamp(corrected_at)
    cases = {
        "2024-01-01T00:59:59Z": [],  # not yet available (valid + 1 h)
        "2024-01-01T01:00Z": [1.0],  # available_at is inclusive
        (edge - pd.Timedelta(seconds=1)).isoformat(): [1.0],
        edge.isoformat(): [1.5],
        "2100-01-01T00:00Z": [1.5],
    }
    for as_of, expected in cases.items():
        assert registered.read_observations(as_of=as_of)["value"].tolist() == expected, as_of
    assert registered.read_observations()["value"].tolist() == [1.5]


def test_as_of_picks_the_latest_revision_available_even_if_ingested_out_of_order(
    registered: Store, make_observations
):
    # revision 2 is stamped later than revision 3 (a back-dated re-ingestion):
    # at each T the answer is the highest revision with available_at <= T.
    one = make_observations(values=[1.0], start="2024-01-01T00:00Z")
    registered.write_observations(one, ingested_at=datetime(2024, 1, 1, 5, tzinfo=UTC))
    registered.write_observations(
        one.assign(value=2.0), ingested_at=datetime(2024, 1, 1, 9, tzinfo=UTC)
    )
    registered.write_observations(
        one.assign(value=3.0), ingested_at=datetime(2024, 1, 1, 7, tzinfo=UTC)
    )
    expected = {"T01:30Z": 1.0, "T06:59Z": 1.0, "T07:00Z": 3.0, "T08:00Z": 3.0, "T09:30Z": 3.0}
    for clock, value in expected.items():
        got = registered.read_observations(as_of=f"2024-01-01{clock}")
        assert got["value"].tolist() == [value], clock
    revisions = registered.read_observations(include_revision=True)
    assert revisions["revision"].tolist() == [3]


def test_time_window_is_start_inclusive_end_exclusive(registered: Store, make_observations):
    frame = make_observations(values=[0.0, 1.0, 2.0, 3.0], start="2024-01-01T00:00Z")
    registered.write_observations(frame, ingested_at=INGESTED)
    got = registered.read_observations(start="2024-01-01T09:00+08:00", end="2024-01-01T03:00Z")
    assert got["value"].tolist() == [1.0, 2.0]
    one_second_later = registered.read_observations(start="2024-01-01T01:00:00.5Z")
    assert one_second_later["value"].tolist() == [2.0, 3.0]


def test_filters_by_station_and_variable(registered: Store, make_observations):
    frame = pd.concat(
        [
            make_observations("Dongsi", "pm25", [1.0]),
            make_observations("Dongsi", "o3", [2.0]),
            make_observations("Aotizhongxin", "pm25", [3.0]),
        ]
    )
    registered.write_observations(frame, ingested_at=INGESTED)
    assert registered.read_observations("pm25", "Dongsi")["value"].tolist() == [1.0]
    got = registered.read_observations(["o3", "pm25"], ["Dongsi"])
    assert got["variable"].tolist() == ["o3", "pm25"]
    assert registered.read_observations(["chla"]).empty  # never stored: no rows, no error


# --- QC flags ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mask", "kept"), [(0, [0, 1, 2, 3]), (1, [0, 1]), (2, [0, 2]), (3, [0]), (4, [0, 1, 2, 3])]
)
def test_exclude_flags_drops_rows_sharing_a_bit(registered: Store, make_observations, mask, kept):
    frame = make_observations(values=[0.0, 1.0, 2.0, 3.0], flags=[0, 2, 1, 3])
    registered.write_observations(frame, ingested_at=INGESTED)
    assert registered.read_observations(exclude_flags=mask)["value"].tolist() == kept


def test_count_observations_for_the_qc_report(registered: Store, make_observations):
    frame = pd.concat(
        [
            make_observations("Dongsi", "pm25", [1.0, 2.0, 3.0], flags=[0, 1, 1]),
            make_observations("Aotizhongxin", "pm25", [4.0], source="other.csv"),
        ]
    )
    registered.write_observations(frame, ingested_at=INGESTED)
    counts = registered.count_observations()
    assert counts.to_dict("list") == {
        "station": ["Aotizhongxin", "Dongsi", "Dongsi"],
        "variable": ["pm25", "pm25", "pm25"],
        "qc_flags": [0, 0, 1],
        "count": [1, 1, 2],
    }
    by_source = registered.count_observations(by=["source"])
    assert by_source.to_dict("list") == {
        "source": ["other.csv", "test.csv:0123abcd"],
        "count": [1, 3],
    }
    assert registered.count_observations(by=[])["count"].tolist() == [4]


def test_count_observations_counts_the_latest_revision_only(registered: Store, make_observations):
    registered.write_observations(make_observations(values=[1.0]), ingested_at=INGESTED)
    registered.write_observations(
        make_observations(values=[2.0], flags=[1]), ingested_at=INGESTED + timedelta(days=1)
    )
    assert registered.count_observations(by=["qc_flags"]).to_dict("list") == {
        "qc_flags": [1],
        "count": [1],
    }
    before = registered.count_observations(by=["qc_flags"], as_of=INGESTED)
    assert before.to_dict("list") == {"qc_flags": [0], "count": [1]}


def test_count_by_an_unknown_column_names_the_options(registered: Store):
    with pytest.raises(InputDataError, match=r"cannot count by \['day'\].*station, variable"):
        registered.count_observations(by=["day"])


# --- wide reads ----------------------------------------------------------------------


def test_wide_read_has_one_column_per_variable(registered: Store, make_observations):
    frame = pd.concat(
        [
            make_observations("Dongsi", "pm25", [1.0, 2.0], start="2024-01-01T00:00Z"),
            make_observations("Dongsi", "o3", [5.0], start="2024-01-01T01:00Z", flags=[1]),
            make_observations("Aotizhongxin", "pm25", [float("nan")], start="2024-01-01T00:00Z"),
        ]
    )
    registered.write_observations(frame, ingested_at=INGESTED)
    wide = registered.read_observations_wide(["pm25", "o3"])
    expected = pd.DataFrame(
        {
            "station": pd.Series(["Aotizhongxin", "Dongsi", "Dongsi"], dtype="str"),
            "valid_at": pd.to_datetime(
                ["2024-01-01T00:00Z", "2024-01-01T00:00Z", "2024-01-01T01:00Z"]
            ).as_unit("us"),
            "pm25": [np.nan, 1.0, 2.0],
            "o3": [np.nan, np.nan, 5.0],
        }
    )
    pd.testing.assert_frame_equal(wide, expected)
    masked = registered.read_observations_wide(exclude_flags=1)
    assert list(masked.columns) == ["station", "valid_at", "pm25"]
    assert registered.read_observations_wide()["o3"].notna().sum() == 1


def test_wide_read_of_nothing_is_an_empty_frame(registered: Store):
    wide = registered.read_observations_wide(["pm25"])
    assert wide.empty
    assert list(wide.columns) == ["station", "valid_at"]


# --- atomicity -----------------------------------------------------------------------


def test_unknown_station_in_the_middle_of_a_frame_writes_nothing(
    registered: Store, make_observations
):
    frame = pd.concat(
        [
            make_observations("Dongsi", "pm25", [1.0, 2.0]),
            make_observations("Nowhere", "pm25", [3.0]),
            make_observations("Dongsi", "no2", [4.0]),
        ],
        ignore_index=True,
    )
    with pytest.raises(InputDataError, match=r"unknown station\(s\) 'Nowhere' at rows 2;"):
        registered.write_observations(frame, ingested_at=INGESTED)
    assert registered.read_observations().empty
    assert registered.count_observations(by=["variable"]).empty


def test_a_failure_mid_write_rolls_back_revisions_and_new_keys(
    registered: Store, make_observations, monkeypatch: pytest.MonkeyPatch
):
    registered.write_observations(make_observations(values=[1.0, 2.0]), ingested_at=INGESTED)
    before = registered.read_observations(include_revision=True)
    original = observations_module._add_first_revisions

    def add_then_fail(*args, **kwargs):
        original(*args, **kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(observations_module, "_add_first_revisions", add_then_fail)
    update = pd.concat(
        [make_observations(values=[1.0, 9.0, 3.0]), make_observations(variable="so2", values=[5.0])]
    )
    with pytest.raises(RuntimeError, match="disk full"):
        registered.write_observations(update, ingested_at=INGESTED + timedelta(days=1))
    pd.testing.assert_frame_equal(registered.read_observations(include_revision=True), before)
    assert registered.count_observations(by=["variable"])["variable"].tolist() == ["pm25"]
    monkeypatch.undo()
    summary = registered.write_observations(update, ingested_at=INGESTED + timedelta(days=1))
    assert summary == WriteSummary(inserted=2, revised=1, unchanged=1)
