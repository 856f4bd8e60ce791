"""``ecocast standards``: every shipped table is listed with its citation."""

from __future__ import annotations

import pytest

from forecasting.cli import run
from forecasting.standards.tables import available_standards


def test_list_names_every_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["standards", "list"]) == 0
    out = capsys.readouterr().out
    for standard_id in ("cn_mee_hj633_2012", "cn_mee_hj633_2026", "us_epa_aqi_2024"):
        assert standard_id in out
    assert len(available_standards()) >= 10


def test_show_prints_the_citation(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["standards", "show", "cn_mee_hj633_2026"]) == 0
    out = capsys.readouterr().out
    assert "HJ 633—2026" in out
    assert "status: primary" in out


def test_show_unknown_lists_the_valid_ids(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["standards", "show", "hj633"]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "unknown standards table 'hj633'; choose one of: cn_cq_warning_2018" in err
