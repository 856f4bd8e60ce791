"""apply_qc over a tidy frame: flags added beside unchanged values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import InputDataError
from forecasting.qc.apply import apply_qc
from forecasting.qc.flags import QcFlag


def _frame(rows: list[tuple[str, str, str, float]], flags: list[int] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["station", "variable", "valid_at", "value"])
    frame["valid_at"] = pd.to_datetime(frame["valid_at"], utc=True)
    if flags is not None:
        frame["qc_flags"] = flags
    return frame


def test_values_and_order_are_unchanged_and_flags_added() -> None:
    frame = _frame(
        [
            ("A", "pm25", "2013-03-01T01:00+08:00", 999.0),
            ("A", "pm25", "2013-03-01T00:00+08:00", -2.0),
            ("B", "o3", "2013-03-01T00:00+08:00", 1071.0),
            ("B", "nh3n", "2021-04-01T00:00+08:00", 0.025),
        ]
    )
    frame.index = [10, 11, 12, 13]
    out = apply_qc(frame)
    pd.testing.assert_frame_equal(out.drop(columns="qc_flags"), frame)
    assert out["qc_flags"].tolist() == [
        int(QcFlag.CEILING),
        int(QcFlag.NEGATIVE),
        int(QcFlag.OUT_OF_RANGE),
        int(QcFlag.CENSORED),
    ]


def test_existing_flags_are_kept() -> None:
    frame = _frame(
        [("A", "do", "2021-04-01T00:00+08:00", 8.0), ("A", "tp", "2021-04-01T00:00+08:00", np.nan)],
        flags=[int(QcFlag.MAINTENANCE), int(QcFlag.PUBLISHER_FILTERED)],
    )
    out = apply_qc(frame)
    assert out["qc_flags"].tolist() == [int(QcFlag.MAINTENANCE), int(QcFlag.PUBLISHER_FILTERED)]


def test_pm25_above_pm10_flags_both_at_the_same_station_and_time_only() -> None:
    frame = _frame(
        [
            ("A", "pm25", "2013-03-01T00:00+08:00", 80.0),
            ("A", "pm10", "2013-03-01T00:00+08:00", 60.0),
            ("A", "pm10", "2013-03-01T01:00+08:00", 10.0),  # no pm25 at 01:00
            ("B", "pm25", "2013-03-01T00:00+08:00", 30.0),
            ("B", "pm10", "2013-03-01T00:00+08:00", 30.0),  # equal is consistent
        ]
    )
    flagged = (apply_qc(frame)["qc_flags"] & int(QcFlag.PM25_GT_PM10)) != 0
    assert flagged.tolist() == [True, True, False, False, False]


def test_variables_without_a_rule_get_no_flag() -> None:
    frame = _frame([("A", "visibility", "2013-03-01T00:00+08:00", -5.0)])
    assert apply_qc(frame)["qc_flags"].tolist() == [0]


def test_stuck_runs_are_found_per_station() -> None:
    times = pd.date_range("2015-08-01", periods=200, freq="h", tz="UTC")
    frame = pd.DataFrame(
        {
            "station": ["Gucheng"] * 200 + ["Dongsi"] * 200,
            "variable": "so2",
            "valid_at": list(times) * 2,
            "value": np.r_[np.full(200, 2.0), np.arange(200.0) % 7 + 3],
        }
    ).sample(frac=1.0, random_state=0)  # order must not matter
    out = apply_qc(frame)
    stuck = (out["qc_flags"] & int(QcFlag.STUCK)) != 0
    assert stuck[out["station"] == "Gucheng"].all()
    assert not stuck[out["station"] == "Dongsi"].any()


def test_stale_water_reading_is_flagged_on_every_variable() -> None:
    rows = [("S1", v, "2021-02-07T12:00+08:00", 1.0) for v in ("do", "ph", "tp")]
    rows += [("S1", "do", f"2021-04-0{d}T12:00+08:00", 8.0) for d in range(1, 5)]
    out = apply_qc(_frame(rows))
    stale = ((out["qc_flags"] & int(QcFlag.STALE)) != 0).tolist()
    assert stale == [True, True, True, False, False, False, False]


def test_empty_frame() -> None:
    frame = _frame([])
    assert apply_qc(frame).empty


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"station": ["A"], "variable": ["pm25"], "value": [1.0]}), "valid_at"),
        (
            pd.DataFrame(
                {
                    "station": ["A"],
                    "variable": ["pm25"],
                    "valid_at": pd.to_datetime(["2013-03-01"]),
                    "value": [1.0],
                }
            ),
            "timezone-aware",
        ),
    ],
)
def test_invalid_frames(frame: pd.DataFrame, message: str) -> None:
    with pytest.raises(InputDataError, match=message):
        apply_qc(frame)
