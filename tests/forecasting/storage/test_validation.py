"""Observation frames are checked whole at the boundary; errors name column, value and rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import InputDataError
from forecasting.storage import Store
from forecasting.storage._validate import validate_observations

INGESTED = datetime(2026, 11, 23, tzinfo=UTC)


def good() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "station": ["Dongsi", "Dongsi", "Dongsi"],
            "variable": ["pm25", "pm25", "o3"],
            "valid_at": pd.to_datetime(
                ["2024-01-01T00:00Z", "2024-01-01T01:00Z", "2024-01-01T00:00Z"]
            ),
            "value": [1.0, np.nan, 3.0],
            "qc_flags": [0, 1, 0],
            "source": ["f.csv", "f.csv", "f.csv"],
        },
        index=[10, 11, 12],
    )


def test_a_good_frame_is_factorised():
    batch = validate_observations(good())
    assert len(batch) == 3
    assert batch.stations == ["Dongsi"]
    assert batch.variables == ["pm25", "o3"]
    assert batch.valid_at.tolist() == [1704067200, 1704070800, 1704067200]
    assert batch.qc_flags.tolist() == [0, 1, 0]


def test_extra_columns_are_ignored_and_intflags_are_accepted():
    import enum

    class Flag(enum.IntFlag):
        SUSPECT = 1
        BLANKED = 2

    frame = good().assign(
        unit="ug/m3", qc_flags=[Flag(0), Flag.SUSPECT | Flag.BLANKED, Flag.SUSPECT]
    )
    assert validate_observations(frame).qc_flags.tolist() == [0, 3, 1]


def _with(column: str, values: list[object]) -> pd.DataFrame:
    frame = good()
    frame[column] = pd.Series(values, index=frame.index, dtype=object)
    return frame


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (good().drop(columns=["source"]), r"lacks column\(s\) source; required: station, variable"),
        (_with("station", ["Dongsi", None, "Dongsi"]), r"column 'station' is missing at rows 11"),
        (
            _with("station", ["Dongsi", "", "Dongsi"]),
            r"'station' must hold non-empty text.*rows 11",
        ),
        (_with("variable", ["pm25", "PM2.5", "o3"]), r"\['PM2\.5'\] at rows 11 are not ecocast"),
        (_with("variable", ["pm25", 7, "o3"]), r"'variable' must hold non-empty text; got \[7\]"),
        (_with("value", [1.0, "n/a", 2.0]), r"'value' is not numeric at rows 11 \(e\.g\. 'n/a'\)"),
        (_with("value", [1.0, np.inf, -np.inf]), r"'value' is infinite at rows 11, 12"),
        (
            _with("qc_flags", [0, -1, 0]),
            r"'qc_flags' must be integers 0\.\.2147483647.*-1.*rows 11",
        ),
        (_with("qc_flags", [0, 1.5, 0]), r"'qc_flags' must be integers.*1\.5 at rows 11"),
        (_with("qc_flags", [0, 2**31, 0]), r"'qc_flags' must be integers.*2147483648 at rows 11"),
        (_with("qc_flags", [0, None, 0]), r"'qc_flags' must be integers.*None at rows 11"),
        (_with("source", ["f", "x" * 501, "f"]), r"'source' holds text longer than 500.*rows 11"),
    ],
)
def test_invalid_frames_are_refused_naming_column_value_and_rows(frame, message):
    with pytest.raises(InputDataError, match=message):
        validate_observations(frame)


def test_naive_valid_at_is_refused_with_the_fix():
    frame = good().assign(valid_at=pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"]))
    with pytest.raises(InputDataError, match=r"'valid_at' has dtype datetime64\[.*\].*tz_localize"):
        validate_observations(frame)


def test_text_valid_at_is_refused():
    frame = good().assign(valid_at=["2024-01-01T00:00Z"] * 3)
    with pytest.raises(InputDataError, match="must be timezone-aware datetimes"):
        validate_observations(frame)


def test_missing_and_fractional_valid_at_are_refused():
    missing = good()
    missing.loc[12, "valid_at"] = pd.NaT
    with pytest.raises(InputDataError, match=r"'valid_at' is missing at rows 12"):
        validate_observations(missing)
    fractional = good()
    fractional.loc[11, "valid_at"] += pd.Timedelta(milliseconds=500)
    with pytest.raises(InputDataError, match=r"fractions of a second at rows 11"):
        validate_observations(fractional)


def test_repeated_keys_are_refused_naming_the_key():
    frame = good()
    frame.loc[12, "variable"] = "pm25"
    frame.loc[12, "valid_at"] = pd.Timestamp("2024-01-01T01:00Z")
    with pytest.raises(
        InputDataError,
        match=r"repeats.*\('Dongsi', 'pm25', '2024-01-01T01:00:00\+00:00'\) at rows 11, 12",
    ):
        validate_observations(frame)


def test_many_bad_rows_are_summarised():
    frame = pd.concat([good()] * 20, ignore_index=True)
    frame["valid_at"] = pd.date_range("2024-01-01", periods=60, freq="h", tz="UTC")
    frame["value"] = np.inf
    with pytest.raises(InputDataError, match=r"rows 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 and 50 more"):
        validate_observations(frame)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"ingested_at": datetime(2026, 1, 1)}, r"ingested_at=.* has no time zone"),  # noqa: DTZ001
        (
            {"ingested_at": INGESTED, "available_lag": timedelta(hours=-1)},
            r"available_lag=.* is negative",
        ),
    ],
)
def test_write_arguments_are_checked(registered: Store, kwargs, message):
    with pytest.raises(InputDataError, match=message):
        registered.write_observations(good(), **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"stations": ["Dongsi", "Nowhere"]}, r"unknown station\(s\) \['Nowhere'\].*Aotizhongxin"),
        ({"stations": [""]}, r"stations must be non-empty strings"),
        ({"start": "2024-01-01"}, r"start='2024-01-01' has no time zone"),
        ({"as_of": "yesterday"}, r"as_of='yesterday' is not a time"),
        ({"exclude_flags": -1}, r"exclude_flags=-1 is negative"),
    ],
)
def test_read_arguments_are_checked(registered: Store, kwargs, message):
    with pytest.raises(InputDataError, match=message):
        registered.read_observations(**kwargs)
