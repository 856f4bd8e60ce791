"""The QC report: totals, per-series counts and per-flag counts."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pandas as pd

from forecasting.qc.flags import QcFlag
from forecasting.qc.report import count_flags, qc_report, summarise_flags

COUNTS = pd.DataFrame(
    {
        "station": ["Dongsi", "Dongsi", "Dongsi", "Gucheng", "Gucheng"],
        "variable": ["o3", "o3", "pm25", "so2", "so2"],
        "qc_flags": [0, int(QcFlag.OUT_OF_RANGE), int(QcFlag.CEILING | QcFlag.SPIKE), 0, 8],
        "count": [1000, 16, 1, 500, 204],
    }
)


class FakeStore:
    def __init__(self) -> None:
        self.asked: list[Sequence[str]] = []

    def count_observations(self, by: Sequence[str] = ("station",)) -> pd.DataFrame:
        self.asked.append(tuple(by))
        return COUNTS


def test_totals_and_counts() -> None:
    report = summarise_flags(COUNTS)
    assert report.observations == 1721
    assert report.flagged == 221
    assert report.count("STUCK", station="Gucheng", variable="so2") == 204
    assert report.count("CEILING") == report.count("SPIKE") == 1
    assert report.flag_totals() == {"CEILING": 1, "OUT_OF_RANGE": 16, "SPIKE": 1, "STUCK": 204}
    assert report.flag_totals("station")["Dongsi"] == {"CEILING": 1, "OUT_OF_RANGE": 16, "SPIKE": 1}
    assert report.observations_by("variable") == {"o3": 1016, "pm25": 1, "so2": 704}


def test_qc_report_asks_the_store_by_station_variable_and_flags() -> None:
    store = FakeStore()
    report = qc_report(store)
    assert store.asked == [("station", "variable", "qc_flags")]
    assert report.observations == 1721


def test_to_dict_is_json_ready() -> None:
    data = json.loads(json.dumps(summarise_flags(COUNTS).to_dict()))
    assert data["observations"] == 1721
    assert data["flags"]["STUCK"] == 204
    assert data["flag_bits"]["STUCK"] == 8
    assert data["by_variable"]["so2"] == {"observations": 704, "flags": {"STUCK": 204}}
    assert data["by_station"]["Dongsi"]["observations"] == 1017
    assert {"station": "Dongsi", "variable": "o3", "flag": "OUT_OF_RANGE", "count": 16} in data[
        "by_station_variable_flag"
    ]


def test_count_flags_of_a_frame() -> None:
    frame = pd.DataFrame(
        {"station": ["A", "A", "B"], "variable": ["o3", "o3", "o3"], "qc_flags": [0, 0, 2]}
    )
    got = count_flags(frame)
    assert got.to_dict("list") == {
        "station": ["A", "B"],
        "variable": ["o3", "o3"],
        "qc_flags": [0, 2],
        "count": [2, 1],
    }


def test_empty_store() -> None:
    empty = COUNTS.iloc[0:0]
    report = summarise_flags(empty)
    assert report.observations == 0
    assert report.to_dict()["flags"] == {}
