"""Tests of heavy-pollution warning assessment against the scheme texts.

Every level of every shipped scheme is checked on both sides of each threshold
(AQI 200 vs 201, 300 vs 301, 500 vs 499/501) and of each duration (N-1 vs N days).
The scheme texts are quoted from shared/docs/standards.md §3.1 and §3.2, which
transcribes the secondary sources named in each data file's [source] block (no
page numbers are known for these documents).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import InputDataError
from forecasting.standards.early_warning import (
    DEFAULT_WARNING_SCHEME,
    WarningScheme,
    assess_warnings,
    load_warning_scheme,
)

START = pd.Timestamp("2026-12-01")


def _daily(aqi: list[float], *, entity: str = "city") -> pd.DataFrame:
    return pd.DataFrame(
        {"entity": entity, "date": pd.date_range(START, periods=len(aqi)), "aqi": aqi}
    )


def _assess(aqi: list[float], scheme: str | WarningScheme, **extra: list[str | None]) -> pd.Series:
    loaded = scheme if isinstance(scheme, WarningScheme) else load_warning_scheme(scheme)
    frame = _daily(aqi)
    for column, values in extra.items():
        frame[column] = values
    out = assess_warnings(frame, loaded)
    assert len(out) == 1
    return out.iloc[0]


# 环大气〔2024〕6号 (news copies of the MEE release, standards.md §3.1), 预警分级:
#   黄色: "预测日AQI>200 或 日AQI>150 持续48小时及以上"  (UNVERIFIED reading: one day > 200,
#         or > 150 for 48 h)
#   橙色: "预测日AQI>200 持续48小时 或 日AQI>150 持续72小时及以上"
#   红色: "预测日AQI>200 持续72小时 且 日AQI>300 持续24小时及以上"
CASES_2024 = [
    # yellow, "预测日AQI>200": one day, both sides of 200
    ([200], "none"),
    ([201], "yellow"),
    ([100, 201, 100], "yellow"),
    # yellow, "日AQI>150 持续48小时及以上": both sides of 150 and of 2 days
    ([151], "none"),
    ([151, 151], "yellow"),
    ([150, 151], "none"),
    ([151, 150], "none"),
    ([200, 200], "yellow"),
    # orange, "预测日AQI>200 持续48小时": both sides of 200 and of 2 days
    ([201, 201], "orange"),
    ([201, 200], "yellow"),
    ([200, 201], "yellow"),
    # orange, "日AQI>150 持续72小时及以上": both sides of 150 and of 3 days
    ([151, 151, 151], "orange"),
    ([151, 151, 150], "yellow"),
    ([150, 151, 151], "yellow"),
    ([200, 200, 200], "orange"),
    # red, "预测日AQI>200 持续72小时 且 日AQI>300 持续24小时及以上"
    ([201, 201, 301], "red"),
    ([301, 201, 201], "red"),
    ([201, 201, 300], "orange"),
    ([201, 201, 201], "orange"),
    ([200, 201, 301], "orange"),
    ([201, 301, 200], "orange"),
    ([301], "yellow"),
    ([500, 500], "orange"),
]


@pytest.mark.parametrize(("aqi", "expected"), CASES_2024)
def test_cn_mee_warning_2024_levels(aqi: list[float], expected: str) -> None:
    row = _assess(aqi, "cn_mee_warning_2024")
    assert row["level_id"] == expected
    assert row["level"] == ["none", "yellow", "orange", "red"].index(expected)


# MEP 2017 revision (slides of 2017-09-20, standards.md §3.1):
#   蓝色: "预测AQI日均值>200，且未达到高级别预警条件"
#   黄色: "预测AQI日均值>200将持续2天（48小时）及以上，且未达到高级别预警条件"
#   橙色: "预测AQI日均值>200将持续3天（72小时）及以上，且预测AQI日均值>300，且未达到高级别预警条件"
#   红色: "预测AQI日均值>200将持续4天（96小时）及以上，且预测AQI日均值>300将持续2天（48小时）
#         及以上，或预测AQI日均值达到500"
CASES_2017 = [
    ([200], "none"),
    ([201], "blue"),
    ([201, 201], "yellow"),
    ([201, 200], "blue"),
    ([201, 201, 301], "orange"),
    ([201, 201, 300], "yellow"),
    ([201, 301], "yellow"),
    ([201, 301, 301, 201], "red"),
    ([201, 301, 301, 200], "orange"),
    ([201, 301, 300, 201], "orange"),
    ([500], "red"),
    ([499], "blue"),
]


@pytest.mark.parametrize(("aqi", "expected"), CASES_2017)
def test_cn_mep_warning_2017_levels(aqi: list[float], expected: str) -> None:
    row = _assess(aqi, "cn_mep_warning_2017")
    assert row["level_id"] == expected
    assert row["level"] == ["none", "blue", "yellow", "orange", "red"].index(expected)


# 环办大气函〔2018〕875号 (via the Hohhot 2019 and Xinzhou 2021 plans, standards.md §3.1):
#   yellow: ">200 for ≥ 48 h"; orange: ">200 for ≥ 72 h" (disputed: some sources add
#   "且出现日AQI>300"); red: ">200 for ≥ 96 h and >300 for ≥ 48 h, or forecast AQI reaches 500"
CASES_2018 = [
    ([201], "none"),
    ([201, 201], "yellow"),
    ([200, 201], "none"),
    ([201, 201, 201], "orange"),
    ([201, 201, 200], "yellow"),
    ([201, 301, 301, 201], "red"),
    ([201, 301, 301, 200], "orange"),
    ([201, 301, 300, 201], "orange"),
    ([500], "red"),
    ([499], "none"),
]


@pytest.mark.parametrize(("aqi", "expected"), CASES_2018)
def test_cn_mee_warning_2018_levels(aqi: list[float], expected: str) -> None:
    assert _assess(aqi, "cn_mee_warning_2018")["level_id"] == expected


@pytest.mark.parametrize(
    ("aqi", "expected"),
    [
        ([201, 201, 201], "yellow"),
        ([201, 201, 301], "orange"),
        ([201, 201, 300], "yellow"),
        ([201, 301, 301, 201], "red"),
    ],
)
def test_cn_mee_warning_2018_orange_requires_300_option(aqi: list[float], expected: str) -> None:
    # The disputed "且出现日AQI>300" clause for orange, switched on.
    scheme = load_warning_scheme("cn_mee_warning_2018", options={"orange_requires_aqi_300": True})
    assert _assess(aqi, scheme)["level_id"] == expected


# 《重庆市空气重污染天气应急预案》2018 (人民网 report, standards.md §3.2): "Blue: >200 for 1 day.
# Yellow: >200 for ≥ 2 days. Orange: >200 for 3 days and >300 for 1 day. Red: >200 for ≥ 4 days
# and >300 for ≥ 2 days, or AQI > 500 for ≥ 1 day" (">500", not "达到500")
CASES_CQ_2018 = [
    ([200], "none"),
    ([201], "blue"),
    ([201, 201], "yellow"),
    ([201, 200], "blue"),
    ([201, 201, 301], "orange"),
    ([201, 201, 300], "yellow"),
    ([201, 301, 301, 201], "red"),
    ([201, 301, 301, 200], "orange"),
    ([501], "red"),
    ([500], "blue"),
]


@pytest.mark.parametrize(("aqi", "expected"), CASES_CQ_2018)
def test_cn_cq_warning_2018_levels(aqi: list[float], expected: str) -> None:
    row = _assess(aqi, "cn_cq_warning_2018")
    assert row["level_id"] == expected
    assert row["level"] == ["none", "blue", "yellow", "orange", "red"].index(expected)


def test_highest_level_wins_and_reason_names_the_clause() -> None:
    # "且未达到高级别预警条件": yellow and orange conditions also hold here; red wins.
    row = _assess([151, 201, 201, 301, 160], "cn_mee_warning_2024")
    assert (row["level"], row["level_id"], row["name_zh"], row["colour"]) == (
        3,
        "red",
        "红色预警",
        "red",
    )
    assert row["response"] == "emergency"
    assert row["scheme"] == "cn_mee_warning_2024"
    assert (row["start_date"], row["end_date"]) == (
        START + pd.Timedelta(days=1),
        START + pd.Timedelta(days=3),
    )
    assert "预测日AQI>200 持续72小时 且 日AQI>300 持续24小时及以上" in row["reason"]
    assert "2026-12-02..2026-12-04" in row["reason"]


def test_clauses_must_hold_in_one_episode() -> None:
    # The day above 300 belongs to another episode than the three days above 200: not red.
    row = _assess([301, 100, 201, 201, 201], "cn_mee_warning_2024")
    assert row["level_id"] == "orange"
    assert row["start_date"] == START + pd.Timedelta(days=2)


def test_earliest_episode_of_the_winning_level_is_reported() -> None:
    row = _assess([201, 100, 201], "cn_mee_warning_2024")
    assert row["level_id"] == "yellow"
    assert row["start_date"] == row["end_date"] == START


@pytest.mark.parametrize(
    ("dates", "aqi", "expected"),
    [
        (["2026-12-01", "2026-12-02"], [151, 151], "yellow"),
        (["2026-12-01", "2026-12-03"], [151, 151], "none"),  # a missing day ends the run
        (["2026-12-02", "2026-12-01"], [151, 151], "yellow"),  # rows in any order
    ],
)
def test_consecutive_calendar_days(dates: list[str], aqi: list[float], expected: str) -> None:
    frame = pd.DataFrame({"entity": "c", "date": dates, "aqi": aqi})
    assert assess_warnings(frame)["level_id"].iloc[0] == expected


def test_nan_aqi_ends_an_episode() -> None:
    assert _assess([151, np.nan, 151], "cn_mee_warning_2024")["level_id"] == "none"


def test_no_warning_row() -> None:
    row = _assess([120, 150], "cn_mee_warning_2024")
    assert row["level"] == 0
    assert (row["level_id"], row["response"], row["colour"]) == ("none", "none", "none")
    assert pd.isna(row["start_date"])
    assert pd.isna(row["end_date"])
    assert "highest daily AQI 150" in row["reason"]


@pytest.mark.parametrize(
    ("extra", "response"),
    [
        ({"primary": ["o3", "o3"]}, "health_advisory"),
        ({"primary": ["o3_8h", "O3"]}, "health_advisory"),
        ({"primary": ["o3", "pm25"]}, "emergency"),
        ({"primary": ["o3+pm25", "o3"]}, "emergency"),
        ({"primary": ["pm25", "pm10"]}, "emergency"),
        ({"cause": ["dust", "dust"]}, "health_advisory"),
        ({"cause": ["wildfire", "sand"]}, "health_advisory"),
        ({"cause": ["transport", "Transport "]}, "health_advisory"),
        ({"cause": ["dust", ""]}, "emergency"),
        ({"primary": ["pm10", "o3"], "cause": ["dust", None]}, "health_advisory"),
    ],
)
def test_2024_o3_and_natural_causes_get_health_advisory(
    extra: dict[str, list[str | None]], response: str
) -> None:
    # 环大气〔2024〕6号 (standards.md §3.1 notes): "O3 episodes: health advisory only";
    # "Dust, wildfire, local blowing sand and cross-border transport: health advisory only".
    row = _assess([201, 201], "cn_mee_warning_2024", **extra)
    assert row["level_id"] == "orange"  # the level is unchanged
    assert row["response"] == response
    assert ("health advisory" in row["reason"]) == (response == "health_advisory")


def test_older_schemes_make_no_o3_distinction() -> None:
    row = _assess([201, 201], "cn_mep_warning_2017", primary=["o3", "o3"], cause=["dust", "dust"])
    assert (row["level_id"], row["response"]) == ("yellow", "emergency")


def test_entities_are_assessed_independently() -> None:
    # a's last day and b's first day are consecutive dates but must not form one run.
    frame = pd.concat(
        [
            _daily([100, 201], entity="a"),
            _daily([201, 100], entity="b").assign(date=pd.date_range("2026-12-03", periods=2)),
            _daily([201, 201, 301], entity="c"),
        ]
    )
    out = assess_warnings(frame)
    assert out["entity"].tolist() == ["a", "b", "c"]
    assert out["level_id"].tolist() == ["yellow", "yellow", "red"]


def test_observed_history_extends_but_does_not_trigger() -> None:
    history_only = _daily([201, 201, 100, 100])
    assert assess_warnings(history_only, observed_days=2)["level"].iloc[0] == 0
    assert assess_warnings(history_only)["level_id"].iloc[0] == "orange"
    ongoing = _daily([151, 151, 151, 100])
    row = assess_warnings(ongoing, observed_days=2).iloc[0]
    assert row["level_id"] == "orange"
    assert "including 2 observed day(s)" in row["reason"]


def test_default_scheme_is_2024() -> None:
    assert DEFAULT_WARNING_SCHEME == "cn_mee_warning_2024"
    assert assess_warnings(_daily([201]))["scheme"].iloc[0] == "cn_mee_warning_2024"


def test_timezone_aware_dates_keep_their_zone() -> None:
    frame = _daily([201, 201]).assign(
        date=pd.date_range("2026-12-01 00:00", periods=2, tz="Asia/Shanghai")
    )
    row = assess_warnings(frame).iloc[0]
    assert row["start_date"] == pd.Timestamp("2026-12-01", tz="Asia/Shanghai")
    assert row["level_id"] == "orange"


LOCAL_SCHEME = """
[source]
id = "local_test_2026"
issuer = "Example city ecology bureau"
document = "Example plan"
title = "Example local heavy-pollution plan"
edition = "2026"
status = "unverified"

[scheme]
name_zh = "示例"
name_en = "Example local scheme"

[[scheme.option]]
name = "strict_red"
default = false

[[level]]
id = "advisory"
name_zh = "健康提示"
name_en = "Health advisory"
colour = "grey"
response = "health_advisory"

[[level.condition]]
clauses = [{ op = ">", aqi = 150, days = 1 }]

[[level]]
id = "yellow"
name_zh = "黄色预警"
name_en = "Yellow warning"
colour = "yellow"
response = "emergency"

[[level.condition]]
text = "AQI>=200 持续24小时"
clauses = [{ op = ">=", aqi = 200, hours = 24 }]

[[level]]
id = "red"
name_zh = "红色预警"
name_en = "Red warning"
colour = "red"
response = "emergency"

[[level.condition]]
clauses = [
  { op = ">", aqi = 250, days = 2 },
  { op = ">", aqi = 400, days = 1, when = "strict_red" },
]
"""


@pytest.mark.parametrize(
    ("aqi", "options", "expected", "response"),
    [
        ([150], {}, "none", "none"),
        ([151], {}, "advisory", "health_advisory"),
        ([199], {}, "advisory", "health_advisory"),
        ([200], {}, "yellow", "emergency"),
        ([251, 251], {}, "red", "emergency"),
        ([251, 250], {}, "yellow", "emergency"),
        ([251, 251], {"strict_red": True}, "yellow", "emergency"),
        ([251, 401], {"strict_red": True}, "red", "emergency"),
    ],
)
def test_user_defined_local_scheme(
    tmp_path: Path, aqi: list[float], options: dict[str, bool], expected: str, response: str
) -> None:
    path = tmp_path / "local_test_2026.toml"
    path.write_text(LOCAL_SCHEME, encoding="utf-8")
    scheme = load_warning_scheme(path, options=options)
    row = _assess(aqi, scheme)
    assert (row["level_id"], row["response"], row["scheme"]) == (
        expected,
        response,
        "local_test_2026",
    )


@pytest.mark.parametrize(
    ("frame", "match"),
    [
        (pd.DataFrame({"entity": ["a"], "aqi": [1.0]}), r"lacks column\(s\) \['date'\]"),
        (
            pd.DataFrame({"entity": ["a", "a"], "date": ["2026-12-01"] * 2, "aqi": [1, 2]}),
            r"row 1: entity 'a' has more than one row for 2026-12-01",
        ),
        (
            pd.DataFrame({"entity": ["a"], "date": ["2026-12-01"], "aqi": [-5]}),
            r"row 0, column 'aqi': -5 is not valid",
        ),
        (
            pd.DataFrame({"entity": ["a"], "date": ["2026-12-01"], "aqi": ["high"]}),
            r"row 0, column 'aqi': 'high' is not valid",
        ),
        (
            pd.DataFrame({"entity": ["a"], "date": ["someday"], "aqi": [1]}),
            r"row 0, column 'date': 'someday' is not valid",
        ),
        (
            pd.DataFrame({"entity": [None], "date": ["2026-12-01"], "aqi": [1]}),
            r"row 0, column 'entity'",
        ),
        (
            pd.DataFrame(
                {
                    "entity": ["a", "a"],
                    "date": ["2026-12-01", "2026-12-02"],
                    "aqi": [1, 2],
                    "cause": ["", "volcano"],
                }
            ),
            r"row 1, column 'cause': 'volcano' is not valid.*'dust', 'wildfire', 'sand'",
        ),
    ],
)
def test_bad_input_names_row_and_value(frame: pd.DataFrame, match: str) -> None:
    with pytest.raises(InputDataError, match=match):
        assess_warnings(frame)


@pytest.mark.parametrize("observed_days", [-1, 1.5, True])
def test_bad_observed_days(observed_days: object) -> None:
    with pytest.raises(InputDataError, match="observed_days must be an integer >= 0"):
        assess_warnings(_daily([201]), observed_days=observed_days)  # type: ignore[arg-type]


def test_empty_input_gives_empty_frame_with_columns() -> None:
    out = assess_warnings(_daily([]))
    assert out.empty
    assert list(out.columns) == [
        "entity", "level", "level_id", "name_zh", "name_en", "colour", "response",
        "scheme", "start_date", "end_date", "reason",
    ]  # fmt: skip
