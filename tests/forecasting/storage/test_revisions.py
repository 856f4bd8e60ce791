"""Every revision in one read: availability intervals that replay the as-of reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import InputDataError
from forecasting.storage import REVISION_DTYPES, Store, _fetch

INGESTED = datetime(2026, 11, 23, tzinfo=UTC)


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text).tz_convert("UTC")


def as_of(revisions: pd.DataFrame, when: pd.Timestamp) -> pd.DataFrame:
    """The store's rule applied in pandas: available_at <= T < superseded_at."""
    known = (revisions["available_at"] <= when) & ~(revisions["superseded_at"] <= when)
    return revisions[known]


def write_history(store: Store, make_observations) -> None:
    """Three revisions of one key (the third back-dated), a blank, a second series."""
    one = make_observations("Dongsi", "pm25", [1.0, 2.0], start="2024-01-01T00:00Z")
    store.write_observations(one, ingested_at=datetime(2024, 1, 1, 5, tzinfo=UTC))
    store.write_observations(
        one.assign(value=[1.0, 20.0]), ingested_at=datetime(2024, 1, 1, 9, tzinfo=UTC)
    )
    store.write_observations(
        one.assign(value=[1.0, 30.0]), ingested_at=datetime(2024, 1, 1, 7, tzinfo=UTC)
    )
    other = make_observations("Aotizhongxin", "o3", [5.0, np.nan], start="2024-01-01T00:00Z")
    store.write_observations(other, ingested_at=INGESTED)


def test_every_revision_comes_with_its_availability_interval(registered: Store, make_observations):
    write_history(registered, make_observations)
    got = registered.read_observation_revisions()
    assert list(got.columns) == list(REVISION_DTYPES)
    assert {c: str(got[c].dtype) for c in got.columns} == REVISION_DTYPES
    assert got.index.equals(pd.RangeIndex(len(got)))
    dongsi = got[got["station"] == "Dongsi"]
    assert dongsi["revision"].tolist() == [1, 1, 2, 3]  # sorted by valid_at, then revision
    assert dongsi["value"].tolist() == [1.0, 2.0, 20.0, 30.0]
    # revision 1 of 01:00 is available at valid + 1 h = 02:00 and superseded by the
    # earliest later availability (revision 3 at 07:00, although written last)
    assert dongsi["available_at"].tolist() == [
        ts("2024-01-01T01:00Z"),
        ts("2024-01-01T02:00Z"),
        ts("2024-01-01T09:00Z"),
        ts("2024-01-01T07:00Z"),
    ]
    superseded = dongsi["superseded_at"].tolist()
    assert pd.isna(superseded[0])
    assert superseded[1:3] == [ts("2024-01-01T07:00Z"), ts("2024-01-01T07:00Z")]
    assert pd.isna(superseded[3])
    blank = got[(got["station"] == "Aotizhongxin") & (got["valid_at"] == ts("2024-01-01T01:00Z"))]
    assert np.isnan(blank["value"].iloc[0])


@pytest.mark.parametrize(
    "when",
    [
        "2024-01-01T00:59Z",
        "2024-01-01T01:00Z",
        "2024-01-01T02:00Z",
        "2024-01-01T06:59:59Z",
        "2024-01-01T07:00Z",
        "2024-01-01T09:00Z",
        "2030-01-01T00:00Z",
    ],
)
def test_the_intervals_replay_the_as_of_read(registered: Store, make_observations, when: str):
    write_history(registered, make_observations)
    revisions = registered.read_observation_revisions()
    expected = registered.read_observations(as_of=when)
    replayed = as_of(revisions, ts(when))
    assert replayed["value"].tolist() == pytest.approx(expected["value"].tolist(), nan_ok=True)
    assert replayed["valid_at"].tolist() == expected["valid_at"].tolist()
    assert replayed["station"].tolist() == expected["station"].tolist()


def test_excluded_revisions_keep_their_row_with_a_blank_value(registered: Store, make_observations):
    first = make_observations(values=[1.0, 2.0], flags=[0, 0], start="2024-01-01T00:00Z")
    registered.write_observations(first, ingested_at=INGESTED)
    flagged = make_observations(values=[1.0, 2.0], flags=[0, 8], start="2024-01-01T00:00Z")
    registered.write_observations(flagged, ingested_at=INGESTED + timedelta(days=1))
    got = registered.read_observation_revisions(exclude_flags=8)
    assert got["revision"].tolist() == [1, 1, 2]
    np.testing.assert_array_equal(got["value"], [1.0, 2.0, np.nan])
    assert got["qc_flags"].tolist() == [0, 0, 8]
    # before the flag the old value is known; after it the value is missing, exactly
    # as an as-of read with the same mask says (no fall-back to revision 1)
    for when in (INGESTED, INGESTED + timedelta(days=2)):
        stamp = pd.Timestamp(when)
        replayed = as_of(got, stamp).dropna(subset=["value"])
        expected = registered.read_observations(as_of=when, exclude_flags=8)
        assert replayed["value"].tolist() == expected["value"].tolist()


def test_window_and_filters(registered: Store, make_observations):
    frame = pd.concat(
        [
            make_observations("Dongsi", "pm25", [0.0, 1.0, 2.0, 3.0], start="2024-01-01T00:00Z"),
            make_observations("Dongsi", "o3", [9.0], start="2024-01-01T01:00Z"),
            make_observations("Aotizhongxin", "pm25", [5.0], start="2024-01-01T01:00Z"),
        ]
    )
    registered.write_observations(frame, ingested_at=INGESTED)
    got = registered.read_observation_revisions(
        "pm25", ["Dongsi"], "2024-01-01T09:00+08:00", "2024-01-01T03:00Z"
    )
    assert got["value"].tolist() == [1.0, 2.0]  # start inclusive, end exclusive
    assert registered.read_observation_revisions(["chla"]).empty  # never stored


def test_empty_read_has_the_columns_and_dtypes(registered: Store):
    got = registered.read_observation_revisions()
    assert got.empty
    assert {c: str(got[c].dtype) for c in got.columns} == REVISION_DTYPES


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"stations": ["Nowhere"]}, "unknown station"),
        ({"exclude_flags": -1}, "negative"),
        ({"start": "2024-01-01T00:00"}, "no time zone"),
    ],
)
def test_bad_arguments_are_input_errors(registered: Store, kwargs, message: str):
    with pytest.raises(InputDataError, match=message):
        registered.read_observation_revisions(**kwargs)


def test_per_series_and_single_query_plans_agree(
    registered: Store, make_observations, monkeypatch: pytest.MonkeyPatch
):
    write_history(registered, make_observations)
    per_series = registered.read_observation_revisions(exclude_flags=4)
    monkeypatch.setattr(_fetch, "SERIES_QUERY_LIMIT", 0)
    single = registered.read_observation_revisions(exclude_flags=4)
    pd.testing.assert_frame_equal(per_series, single)
    assert single["superseded_at"].notna().sum() == 2
