"""GB 3095 / HJ 663 data files as loaded (gb3095_loader) into gb3095_rules objects."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from forecasting.errors import StandardTableError, UnknownStandardError
from forecasting.standards import gb3095_loader
from forecasting.standards.gb3095_loader import GB3095_EDITIONS, gb3095_edition_for, load_gb3095

EDITIONS = list(GB3095_EDITIONS)


def test_default_is_the_2026_edition_and_loading_is_cached():
    assert load_gb3095() is load_gb3095("cn_mee_gb3095_2026")


@pytest.mark.parametrize(
    ("edition", "status", "hj663", "hj_status"),
    [
        ("cn_mee_gb3095_2012", "secondary", "cn_mee_hj663_2013", "secondary"),
        ("cn_mee_gb3095_2026", "primary", "cn_mee_hj663_2026", "secondary"),
    ],
)
def test_citations(edition, status, hj663, hj_status):
    std = load_gb3095(edition)
    assert (std.id, std.source.status) == (edition, status)
    assert (std.assessment.id, std.assessment.status) == (hj663, hj_status)
    assert std.mda8.source.id == hj663


# GB 3095—2026 表4 (§6.4), primary; GB 3095—2012 表4, secondary (same thresholds):
#   年平均  "每年至少有 324 个日平均浓度值；每月至少有 27 个日平均浓度值
#           （二月至少有 25 个日平均浓度值）"
#   日平均  "每日至少有 20 个小时平均浓度值或采样时间"
#   8 小时平均 (O3) "每 8 小时至少有 6 个小时平均浓度值"
#   1 小时平均 "每小时至少有 45 分钟的采样时间"
@pytest.mark.parametrize("edition", EDITIONS)
def test_validity_gb3095_table4(edition):
    v = load_gb3095(edition).validity
    assert (v.min_days_year, v.min_days_month, v.min_days_february) == (324, 27, 25)
    assert v.min_hours_24h == 20
    assert (v.window_hours_8h, v.min_hours_8h) == (8, 6)
    assert v.min_minutes_1h == 45


# HJ 663—2013 / —2026 §6.1.2 (secondary): "当日8时至24时至少有14个有效8小时平均浓度值。
# 当不满足14个有效数据时，若日最大8小时平均浓度超过浓度限值标准时，统计结果仍有效。"
@pytest.mark.parametrize("edition", EDITIONS)
def test_mda8_rule_hj663_6_1_2(edition):
    rule = load_gb3095(edition).mda8
    assert (rule.first_window_end_hour, rule.last_window_end_hour) == (8, 24)
    assert (rule.window_hours, rule.min_valid_windows, rule.exceedance_exception) == (8, 14, True)
    assert (rule.limit_pollutant, rule.limit_averaging, rule.clause) == (
        "o3",
        "daily_max_8h",
        "6.1.2",
    )


# HJ 663 annual items (secondary): "SO2 日平均第98百分位数；NO2 日平均第98百分位数；
# PM10 日平均第95百分位数；PM2.5 日平均第95百分位数；CO 日平均第95百分位数；
# O3 日最大8小时平均第90百分位数".
@pytest.mark.parametrize("edition", EDITIONS)
def test_annual_items_hj663(edition):
    std = load_gb3095(edition)
    ranks = {item.column: item.percentile for item in std.percentiles}
    assert ranks == {"so2": 98, "no2": 98, "pm10": 95, "pm25": 95, "co": 95, "o3_8h_max": 90}
    assert std.annual_mean_pollutants == ("so2", "no2", "pm10", "pm25")
    assert std.percentile_method == "linear"


# GB 3095—2026 表1 (standards.md §2.2), µg/m³ except CO mg/m³:
# | Pollutant | Averaging | Transition 一级 | Transition 二级 | From 2031 一级 | From 2031 二级 |
TABLE_1_2026 = [
    ("so2", "annual", 20, 60, 20, 20),  # SO2 年平均 / 日平均 / 1h: 20/50/150 | 60/150/500 | …
    ("so2", "24h", 50, 150, 50, 50),
    ("so2", "1h", 150, 500, 150, 150),
    ("no2", "annual", 40, 40, 30, 30),  # NO2: 40/80/200 | 40/80/200 | 30/50/200 | 30/50/200
    ("no2", "24h", 80, 80, 50, 50),
    ("no2", "1h", 200, 200, 200, 200),
    ("co", "24h", 4, 4, 4, 4),  # CO 日 / 1h: 4/10 in every column
    ("co", "1h", 10, 10, 10, 10),
    ("o3", "daily_max_8h", 100, 160, 100, 160),  # O3 日最大8h / 1h: 100/160 | 160/200 | …
    ("o3", "1h", 160, 200, 160, 200),
    ("pm10", "annual", 40, 60, 20, 50),  # PM10 年 / 日: 40/50 | 60/120 | 20/50 | 50/100
    ("pm10", "24h", 50, 120, 50, 100),
    ("pm25", "annual", 15, 30, 10, 25),  # PM2.5 年 / 日: 15/35 | 30/60 | 10/25 | 25/50
    ("pm25", "24h", 35, 60, 25, 50),
]


@pytest.mark.parametrize(("pollutant", "averaging", "t1", "t2", "f1", "f2"), TABLE_1_2026)
def test_limits_gb3095_2026_table1(pollutant, averaging, t1, t2, f1, f2):
    std = load_gb3095("cn_mee_gb3095_2026")
    got = [
        std.limit(pollutant, averaging, zone_class=c, stage=s).value
        for s in ("transition", "final")
        for c in (1, 2)
    ]
    assert got == [t1, t2, f1, f2]
    assert std.limit(pollutant, averaging).units == ("mg/m3" if pollutant == "co" else "ug/m3")


# GB 3095—2026 表2 (standards.md §2.2): TSP 80/200 (年), 120/300 (日); Pb 0.5 (年), 1.0 (季);
# BaP 0.001 (年), 0.0025 (日); NOx 40 (年), 70 (日), transition 50 and 100 until 2030-12-31,
# 250 (1h).
@pytest.mark.parametrize(
    ("pollutant", "averaging", "stage", "class_1", "class_2"),
    [
        ("tsp", "annual", "final", 80, 200),
        ("tsp", "24h", "final", 120, 300),
        ("pb", "annual", "final", 0.5, 0.5),
        ("pb", "quarter", "final", 1.0, 1.0),
        ("bap", "annual", "final", 0.001, 0.001),
        ("bap", "24h", "final", 0.0025, 0.0025),
        ("nox", "annual", "final", 40, 40),
        ("nox", "24h", "final", 70, 70),
        ("nox", "annual", "transition", 50, 50),
        ("nox", "24h", "transition", 100, 100),
        ("nox", "1h", "final", 250, 250),
    ],
)
def test_limits_gb3095_2026_table2(pollutant, averaging, stage, class_1, class_2):
    std = load_gb3095("cn_mee_gb3095_2026")
    for zone_class, expected in ((1, class_1), (2, class_2)):
        assert std.limit(pollutant, averaging, zone_class=zone_class, stage=stage).value == expected


# GB 3095—2012 二级 (secondary, standards.md §2.2): "SO2 60/150/500, NO2 40/80/200, CO 4/10,
# O3 160/200, PM10 70/150, PM2.5 35/75".
@pytest.mark.parametrize(
    ("pollutant", "averaging", "value"),
    [
        ("so2", "annual", 60), ("so2", "24h", 150), ("so2", "1h", 500),
        ("no2", "annual", 40), ("no2", "24h", 80), ("no2", "1h", 200),
        ("co", "24h", 4), ("co", "1h", 10), ("o3", "daily_max_8h", 160), ("o3", "1h", 200),
        ("pm10", "annual", 70), ("pm10", "24h", 150), ("pm25", "annual", 35), ("pm25", "24h", 75),
    ],
)  # fmt: skip
def test_limits_gb3095_2012_class2(pollutant, averaging, value):
    assert load_gb3095("cn_mee_gb3095_2012").limit(pollutant, averaging).value == value


def test_2012_has_no_class_1_limits():
    with pytest.raises(UnknownStandardError, match="o3 daily_max_8h class 1 in_force"):
        load_gb3095("cn_mee_gb3095_2012").limit("o3", "daily_max_8h", zone_class=1)


# GB 3095—2026 §4.4: transition limits until 2030-12-31, final limits from 2031-01-01.
# PM2.5 24-h 二级: 60 (transition) → 50 (final).
@pytest.mark.parametrize(
    ("day", "expected"),
    [("2020-01-01", 60), ("2026-03-01", 60), ("2030-12-31", 60), ("2031-01-01", 50)],
)
def test_limits_on_switches_stage_at_2031(day, expected):
    std = load_gb3095("cn_mee_gb3095_2026")
    got = std.limits_on("pm25", "24h", np.array([day], dtype="datetime64[D]"))
    assert got.tolist() == [expected]


def test_limits_on_many_dates_at_once():
    std = load_gb3095("cn_mee_gb3095_2026")
    days = [dt.date(2030, 12, 31), dt.date(2031, 1, 1), dt.date(2026, 6, 1)]
    assert std.limits_on("pm10", "24h", days, zone_class=2).tolist() == [120, 100, 120]


# standards.md headline: GB 3095—2026 in force from 2026-03-01; 2012 repealed on that date.
@pytest.mark.parametrize(
    ("day", "edition"),
    [
        (dt.date(2013, 3, 1), "cn_mee_gb3095_2012"),
        (dt.date(2026, 2, 28), "cn_mee_gb3095_2012"),
        (dt.date(2026, 3, 1), "cn_mee_gb3095_2026"),
    ],
)
def test_edition_for_date(day, edition):
    assert gb3095_edition_for(day) == edition


def test_configuration_is_labelled_and_loaded():
    conf = load_gb3095().configuration
    assert conf.daily_max_1h_min_hours == 18
    assert (conf.co_8h_window_hours, conf.co_8h_min_hours, conf.co_8h_min_windows) == (8, 6, 14)


def test_unknown_edition_lists_the_editions():
    with pytest.raises(UnknownStandardError, match="cn_mee_gb3095_2012, cn_mee_gb3095_2026"):
        load_gb3095("cn_mee_gb3095_1996")


def test_unknown_limit_lists_the_available_ones():
    with pytest.raises(UnknownStandardError, match=r"o3 24h class 2 transition.*pm25 24h class 2"):
        load_gb3095().limit("o3", "24h")


def test_malformed_mda8_windows_are_refused_at_load():
    std = load_gb3095()
    table = {
        "window_hours": 8,
        "first_window_end_hour": 1,
        "last_window_end_hour": 24,
        "min_valid_windows": 14,
        "exceedance_exception": True,
        "limit_pollutant": "o3",
        "limit_averaging": "daily_max_8h",
        "clause": "6.1.2",
    }
    with pytest.raises(StandardTableError, match="windows ending 1…24"):
        gb3095_loader._read_mda8({"o3_daily_max_8h": table}, std.assessment)


def test_malformed_limit_row_names_the_row():
    data = {
        "limits": {
            "columns": ["pollutant", "averaging", "units", "stage", "class_2"],
            "rows": [["o3", "1h", "ug/m3", "in_force", 200], ["o3", "1h", "ppm", "in_force", 1]],
        }
    }
    with pytest.raises(StandardTableError, match=r"x.toml \[limits\] row 2"):
        gb3095_loader._read_limits(data, "x", {"in_force"})
