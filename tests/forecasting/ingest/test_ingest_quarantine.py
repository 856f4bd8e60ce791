"""The quarantine report of rejected rows."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecasting.ingest.parsed import REJECT_COLUMNS, RejectLog
from forecasting.ingest.quarantine import quarantine_path, write_quarantine_report


def test_report_lists_file_line_column_value_reason(tmp_path: Path) -> None:
    log = RejectLog(Path("obs.csv"))
    log.add([7, 3], "pm25", ["abc", "1,5"], "not a number")
    log.add([5], "", ["A,B,C,D"], "malformed line: 4 fields, the header has 3")
    path = write_quarantine_report(log.frame(), tmp_path, "obs.csv@0123456789ab")
    assert path == tmp_path / "quarantine" / "obs.csv.0123456789ab.csv"
    report = pd.read_csv(path, keep_default_na=False)
    assert tuple(report.columns) == REJECT_COLUMNS
    assert report.values.tolist() == [
        ["obs.csv", 3, "pm25", "1,5", "not a number"],
        ["obs.csv", 5, "", "A,B,C,D", "malformed line: 4 fields, the header has 3"],
        ["obs.csv", 7, "pm25", "abc", "not a number"],
    ]


def test_nothing_rejected_writes_nothing(tmp_path: Path) -> None:
    assert write_quarantine_report(RejectLog(Path("x.csv")).frame(), tmp_path, "x.csv@00") is None
    assert not (tmp_path / "quarantine").exists()


def test_same_file_overwrites_its_report(tmp_path: Path) -> None:
    log = RejectLog(Path("obs.csv"))
    log.add([2], "pm25", ["x"], "not a number")
    first = write_quarantine_report(log.frame(), tmp_path, "obs.csv@aa")
    second = write_quarantine_report(log.frame(), tmp_path, "obs.csv@aa")
    assert first == second
    assert len(pd.read_csv(second)) == 1
    assert quarantine_path(tmp_path, "obs.csv@bb") != first
