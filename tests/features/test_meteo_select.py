"""Cycle and step selection: the latest cycle published by T, at step valid - cycle."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from features.meteo_read import canonicalize_met_dataset
from features.meteo_select import candidate_cycle, fields_at_leads, select_cycle
from features.testing import synthetic_forecast_fields
from forecasting.errors import InputDataError

H = pd.Timedelta(hours=1)


@pytest.fixture(scope="module")
def fields() -> xr.Dataset:
    # cycles 2024-01-01 00/12 UTC, 2024-01-02 00/12 UTC; steps 0-72 h
    return canonicalize_met_dataset(
        synthetic_forecast_fields(latitudes=[40.5, 40.0], longitudes=[116.0, 116.5])
    )


def _utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


@pytest.mark.parametrize(
    ("issue", "delay_h", "cycle"),
    [
        ("2024-01-01T06:00", 6, "2024-01-01T00:00"),  # published exactly at T: usable
        ("2024-01-01T17:59", 6, "2024-01-01T00:00"),  # 12 UTC not yet published
        ("2024-01-01T18:00", 6, "2024-01-01T12:00"),
        ("2024-01-01T16:00", 6, "2024-01-01T00:00"),  # 00:00 Beijing time, the benchmark issue
        ("2024-01-02T16:00", 6, "2024-01-02T00:00"),
        ("2024-01-09T00:00", 6, "2024-01-02T12:00"),  # long after the last cycle
        ("2024-01-01T12:00", 0, "2024-01-01T12:00"),
        ("2024-01-02T00:59", 13, "2024-01-01T00:00"),
        ("2024-01-02T01:00", 13, "2024-01-01T12:00"),
    ],
)
def test_select_cycle_is_the_latest_published_by_t(
    fields: xr.Dataset, issue: str, delay_h: int, cycle: str
) -> None:
    chosen = select_cycle(fields, _utc(issue), availability_delay=pd.Timedelta(hours=delay_h))
    assert chosen["issue_time"].values == np.datetime64(cycle)
    assert chosen["issue_time"].values + np.timedelta64(delay_h, "h") <= np.datetime64(issue)


@pytest.mark.parametrize("issue", ["2024-01-01T05:59", "2023-12-31T00:00"])
def test_select_cycle_before_the_first_publication_is_an_error(
    fields: xr.Dataset, issue: str
) -> None:
    with pytest.raises(
        InputDataError,
        match="no cycle published by issue time .* the first cycle in the dataset is 2024-01-01T00",
    ):
        select_cycle(fields, _utc(issue))


def test_naive_issue_time_is_refused(fields: xr.Dataset) -> None:
    with pytest.raises(InputDataError, match="times must be timezone-aware"):
        select_cycle(fields, "2024-01-01T18:00")


def test_negative_delay_is_refused(fields: xr.Dataset) -> None:
    with pytest.raises(InputDataError, match="availability_delay -1 days .* is negative"):
        select_cycle(fields, _utc("2024-01-01T18:00"), availability_delay=pd.Timedelta(hours=-1))


def test_fields_at_leads_uses_step_valid_minus_cycle(fields: xr.Dataset) -> None:
    issue = _utc("2024-01-01T16:00")
    valid = pd.date_range(issue, periods=72, freq="h")  # leads 1..72
    got = fields_at_leads(fields, issue, valid)
    cycle = np.datetime64("2024-01-01T00:00")
    assert (got["cycle"].values[:57] == cycle).all()
    assert got["step"].values[0] == np.timedelta64(16, "h")
    for k in (0, 10, 56):  # steps 16, 26, 72 h
        step = valid[k].tz_localize(None).to_datetime64() - cycle
        expected = fields["temp_air"].sel(issue_time=cycle, step=step)
        np.testing.assert_array_equal(got["temp_air"].isel(valid_time=k).values, expected.values)
    # steps 73-87 h are not in the file and no earlier cycle exists: NaN, not available
    assert got["met_available"].values.tolist() == [True] * 57 + [False] * 15
    assert np.isnan(got["temp_air"].isel(valid_time=slice(57, None)).values).all()
    assert np.isnat(got["cycle"].values[57:]).all()


def test_missing_cycle_falls_back_to_the_previous_one_at_a_longer_step(fields: xr.Dataset) -> None:
    without_12z = fields.sel(issue_time=fields["issue_time"] != np.datetime64("2024-01-01T12:00"))
    issue = _utc("2024-01-02T00:00")
    got = fields_at_leads(without_12z, issue, [issue, issue + 5 * H])
    assert (got["cycle"].values == np.datetime64("2024-01-01T00:00")).all()
    np.testing.assert_array_equal(got["step"].values, np.array([24, 29], "timedelta64[h]"))
    expected = fields["temp_air"].sel(
        issue_time="2024-01-01T00:00", step=[np.timedelta64(24, "h"), np.timedelta64(29, "h")]
    )
    np.testing.assert_array_equal(got["temp_air"].values, expected.values)


def test_cycle_lacking_the_step_falls_back_to_an_earlier_cycle_never_a_later_one() -> None:
    # cycles 00 and 03 UTC with 6-hourly steps: 03 UTC has no step reaching 12 UTC, 00 UTC does
    fields = canonicalize_met_dataset(
        synthetic_forecast_fields(
            issue_times=["2024-01-01T00:00", "2024-01-01T03:00", "2024-01-01T06:00"],
            steps_h=[0, 6, 12],
            latitudes=[40.0],
            longitudes=[116.0],
        )
    )
    issue = _utc("2024-01-01T10:00")  # 00 and 03 UTC published (delay 6 h); 06 UTC not
    got = fields_at_leads(
        fields,
        issue,
        [_utc("2024-01-01T12:00"), _utc("2024-01-01T15:00"), _utc("2024-01-01T18:00")],
    )
    np.testing.assert_array_equal(
        got["cycle"].values[:2],
        np.array(["2024-01-01T00:00", "2024-01-01T03:00"], "datetime64[ns]"),
    )
    np.testing.assert_array_equal(got["step"].values[:2], np.array([12, 12], "timedelta64[h]"))
    assert got["met_available"].values.tolist() == [
        True,
        True,
        False,
    ]  # 06 UTC + 12 h would be a later cycle


def test_no_fallback_when_asked(fields: xr.Dataset) -> None:
    coarse = fields.isel(step=slice(0, None, 6))  # steps 0, 6, ..., 72
    issue = _utc("2024-01-02T00:00")  # latest 12 UTC: step 12 present
    got = fields_at_leads(coarse, issue, [issue + 3 * H], max_fallback_cycles=0)
    assert got["met_available"].values.tolist() == [False]


@pytest.mark.parametrize("rank", [0, 1, 2])
def test_candidate_cycles_are_always_published_by_t(rank: int) -> None:
    cycles = pd.date_range("2024-01-01", periods=10, freq="6h").to_numpy()
    issues = pd.date_range("2023-12-31T18:00", periods=80, freq="47min").to_numpy()
    delay = pd.Timedelta(hours=5)
    index = candidate_cycle(cycles, issues, delay, rank)
    chosen = index >= 0
    assert (cycles[index[chosen]] + delay.to_timedelta64() <= issues[chosen]).all()
    later = np.clip(index[chosen] + rank + 1, 0, cycles.size - 1)
    unpublished = cycles[later] + delay.to_timedelta64() > issues[chosen]
    assert (unpublished | (index[chosen] + rank + 1 >= cycles.size)).all()
