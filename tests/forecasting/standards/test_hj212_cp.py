"""Tests of the HJ 212-2017 data area ``CP=&&…&&`` (§6.3.3, 表4, 表8).

standards.md §8.1 quotes §6.3.3: "字段与其值用'='连接；同一项目的不同分类值间用'，'分隔，不同项目
之间用'；'分隔. Field names are case-sensitive." and 表4 (``xxxxxx-Rtd``, ``-Min``, ``-Avg``,
``-Max``, ``-ZsRtd`` …, ``-Cou``, ``-Flag``, ``-EFlag``, ``-SampleTime``, ``-Info``, ``-SN``,
``SBxxx-RS``/``-RT``, ``DataTime`` N14). Erratum: field descriptions print ``xxxxxx--Avg``.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from forecasting.errors import InputDataError
from forecasting.standards.hj212_codes import Hj212Error
from forecasting.standards.hj212_cp import (
    Hj212DataArea,
    Hj212Item,
    format_data_area,
    parse_data_area,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _error(text: str, offset: int = 0) -> Hj212Error:
    with pytest.raises(Hj212Error) as info:
        parse_data_area(text, offset=offset)
    return info.value


def test_parse_items_and_params() -> None:
    # HJ 212-2017 附录A example data area: "CP=&&RtdInterval=30&&".
    assert parse_data_area("RtdInterval=30") == Hj212DataArea(params={"RtdInterval": "30"})
    area = parse_data_area(
        "DataTime=20160801084000;a21005-Rtd=1.1,a21005-Flag=N,a21005-EFlag=A01;SB1-RS=1"
    )
    assert area.data_time == datetime(2016, 8, 1, 8, 40, tzinfo=SHANGHAI)
    assert area.items == (
        Hj212Item("a21005", {"Rtd": 1.1}, "N", {"EFlag": "A01"}),
        Hj212Item("SB1", {"RS": 1.0}),
    )


def test_parse_empty_area() -> None:
    # 数据应答 (CN 9014) carries "CP=&&&&".
    assert parse_data_area("") == Hj212DataArea()


def test_fields_of_one_code_in_several_groups_are_merged() -> None:
    area = parse_data_area("a34004-Avg=38;a34004-Flag=N")
    assert area.items == (Hj212Item("a34004", {"Avg": 38.0}, "N"),)


@pytest.mark.parametrize(
    ("text", "value"),
    [("38", 38.0), ("-1.5", -1.5), ("+2", 2.0), (".5", 0.5), ("5.", 5.0), ("0", 0.0)],
)
def test_numbers_accepted(text: str, value: float) -> None:
    assert parse_data_area(f"a34004-Avg={text}").items[0].values["Avg"] == value


@pytest.mark.parametrize("text", ["", "abc", "1e3", "nan", "inf", "0x10", " 1", "1 ", "--1", "."])
def test_numbers_rejected(text: str) -> None:
    error = _error(f"a34004-Avg={text}", offset=100)
    assert (error.field, error.position, error.exe_rtn) == ("a34004-Avg", 111, 3)
    assert "is not a number" in str(error)


@pytest.mark.parametrize("flag", ["N", "F", "M", "S", "D", "C", "T", "B"])
def test_table8_flags_accepted(flag: str) -> None:
    assert parse_data_area(f"w01009-Flag={flag}").items[0].flag == flag


@pytest.mark.parametrize("flag", ["n", "X", "", "NN"])
def test_unknown_flags_rejected(flag: str) -> None:
    error = _error(f"w01009-Flag={flag}")
    assert error.field == "w01009-Flag"
    assert "N, F, M, S, D, C, T, B" in str(error)


def test_trailing_semicolon_tolerated_but_not_empty_items() -> None:
    assert parse_data_area("a34004-Avg=38;") == parse_data_area("a34004-Avg=38")
    assert _error("a34004-Avg=38;;a34002-Avg=1", offset=10).position == 24
    assert _error(";a34004-Avg=38").position == 0
    assert _error(";").position == 0
    assert "',' separators" in str(_error("a34004-Avg=38,,a34004-Flag=N"))


def test_doubled_dash_tolerated_not_tripled() -> None:
    assert parse_data_area("a34004--Avg=38").items[0].values == {"Avg": 38.0}
    assert "unknown field '-Avg'" in str(_error("a34004---Avg=38"))


@pytest.mark.parametrize(
    ("text", "field", "position", "message"),
    [
        pytest.param("LA-td=50.1", "LA-td", 0, "unknown field 'td'", id="LA-td"),
        pytest.param("a34004-avg=1", "a34004-avg", 0, "unknown field 'avg'", id="case"),
        pytest.param("a34004-Avg", "a34004-Avg", 0, "has no '='", id="no-equals"),
        pytest.param("a3400!-Avg=1", "a3400!-Avg", 0, "not alphanumeric", id="code"),
        pytest.param("-Avg=1", "-Avg", 0, "not alphanumeric", id="empty-code"),
        pytest.param("Data Time=1", "Data Time", 0, "not alphanumeric", id="param-name"),
        pytest.param("a34004-Avg=1,a34004-Avg=2", "a34004-Avg", 13, "duplicate", id="dup"),
        pytest.param("a1-Flag=N;a1-Flag=N", "a1-Flag", 10, "duplicate", id="dup-flag"),
        pytest.param("X=1;X=2", "X", 4, "duplicate parameter", id="dup-param"),
        pytest.param(
            "DataTime=20160801084000;DataTime=20160801084000",
            "DataTime",
            24,
            "duplicate",
            id="dup-DataTime",
        ),
        pytest.param("DataTime=2016080108400", "DataTime", 9, "not a valid", id="13-digits"),
        pytest.param("DataTime=20161301084000", "DataTime", 9, "not a valid", id="month-13"),
        pytest.param("DataTime=20160230084000", "DataTime", 9, "not a valid", id="feb-30"),
        pytest.param("DataTime=20160801246000", "DataTime", 9, "not a valid", id="hour-24"),
    ],
)
def test_data_area_errors(text: str, field: str, position: int, message: str) -> None:
    error = _error(text)
    assert (error.field, error.position, error.qn_rtn, error.exe_rtn) == (field, position, 2, 3)
    assert message in str(error)


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("20160801000000", datetime(2016, 8, 1, 0, 0, 0, tzinfo=SHANGHAI)),
        ("20161231235959", datetime(2016, 12, 31, 23, 59, 59, tzinfo=SHANGHAI)),
        ("20160229120000", datetime(2016, 2, 29, 12, tzinfo=SHANGHAI)),
    ],
)
def test_datatime_edges_accepted(stamp: str, expected: datetime) -> None:
    assert parse_data_area(f"DataTime={stamp}").data_time == expected


def test_unknown_time_zone() -> None:
    with pytest.raises(InputDataError, match="unknown time zone 'Mars/Base'"):
        parse_data_area("DataTime=20160801000000", tz="Mars/Base")


# --- strict writing ---------------------------------------------------------------------


def test_format_orders_datatime_params_items_and_fields() -> None:
    area = Hj212DataArea(
        data_time=datetime(2026, 11, 23, 0, tzinfo=UTC),
        items=(
            Hj212Item("a34004", {"Max": 40, "Avg": 38, "Min": 30}, "N"),
            Hj212Item("i12001", text={"Info": "ok"}),
        ),
        params={"MinInterval": "10"},
    )
    assert format_data_area(area) == (
        "DataTime=20261123080000;MinInterval=10;"
        "a34004-Min=30,a34004-Avg=38,a34004-Max=40,a34004-Flag=N;i12001-Info=ok"
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (38.0, "38"),
        (0.6, "0.6"),
        (1e-05, "0.00001"),
        (-0.0, "-0"),
        (101.02, "101.02"),
        (1e16, "10000000000000000"),
    ],
)
def test_format_numbers_shortest_positional(value: float, text: str) -> None:
    area = Hj212DataArea(items=(Hj212Item("a34004", {"Avg": value}),))
    assert format_data_area(area) == f"a34004-Avg={text}"
    assert parse_data_area(format_data_area(area)).items[0].values["Avg"] == value


@pytest.mark.parametrize(
    ("area", "message"),
    [
        pytest.param(Hj212DataArea(datetime(2026, 1, 1)), "timezone-aware", id="naive"),  # noqa: DTZ001
        pytest.param(
            Hj212DataArea(datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=UTC)), "whole seconds", id="us"
        ),
        pytest.param(Hj212DataArea(params={"DataTime": "1"}), "not DataTime", id="param-DT"),
        pytest.param(Hj212DataArea(params={"A": "1;2"}), "free of", id="param-value"),
        pytest.param(Hj212DataArea(params={"A-b": "1"}), "alphanumeric", id="param-name"),
        pytest.param(Hj212DataArea(items=(Hj212Item("a-1", {"Avg": 1}),)), "letters", id="code"),
        pytest.param(Hj212DataArea(items=(Hj212Item("a1", {"Avgx": 1}),)), "unknown", id="fld"),
        pytest.param(
            Hj212DataArea(items=(Hj212Item("a1", {"Avg": math.nan}),)), "finite", id="nan"
        ),
        pytest.param(
            Hj212DataArea(items=(Hj212Item("a1", {"Avg": math.inf}),)), "finite", id="inf"
        ),
        pytest.param(
            Hj212DataArea(items=(Hj212Item("a1", flag="X"),)), "not a data flag", id="flag"
        ),
        pytest.param(
            Hj212DataArea(items=(Hj212Item("a1", text={"Info": "a,b"}),)), "contains", id="text"
        ),
        pytest.param(Hj212DataArea(items=(Hj212Item("a1", {"Info": 1}),)), "text field", id="kind"),
        pytest.param(Hj212DataArea(items=(Hj212Item("a1"),)), "no fields", id="empty"),
        pytest.param(
            Hj212DataArea(items=(Hj212Item("a1", {"Avg": 1}),) * 2), "duplicate", id="dup"
        ),
    ],
)
def test_format_rejects(area: Hj212DataArea, message: str) -> None:
    with pytest.raises(Hj212Error, match=message):
        format_data_area(area)


def test_items_are_immutable() -> None:
    values = {"Avg": 1.0}
    item = Hj212Item("a1", values)
    values["Avg"] = 2.0
    assert item.values["Avg"] == 1.0
    with pytest.raises(TypeError):
        item.values["Avg"] = 3.0  # type: ignore[index]
