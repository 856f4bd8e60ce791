"""Tests of the HJ 633 (2012 and 2026) AQI against the published tables.

The breakpoint tables, level tables and texts below are transcribed here from the
standards (via shared/docs/standards.md §1.1–1.6, which quotes them), independently
of the data files, so that a transcription error in
``forecasting/standards/data/cn_mee_hj633_{2012,2026}.toml`` fails a test.
"""

from __future__ import annotations

import datetime as dt
import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import InputDataError, UnknownStandardError
from forecasting.standards.aqi_hj633 import (
    HJ633_EDITIONS,
    aqi_level,
    combine_iaqi,
    daily_aqi_hj633,
    edition_for_dates,
    hourly_aqi_hj633,
    iaqi_hj633,
    level_frame,
    level_info,
    load_hj633,
)

# HJ 633—2012 表1 (§4.1), source S1 (official 发布稿 PDF). Units µg/m³, CO mg/m³.
# | IAQI | SO2 24h | SO2 1h ⁽¹⁾ | NO2 24h | NO2 1h ⁽¹⁾ | PM10 24h | CO 24h | CO 1h ⁽¹⁾ | O3 1h |
#   O3 8h moving avg | PM2.5 24h |
# | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
# | 50 | 50 | 150 | 40 | 100 | 50 | 2 | 5 | 160 | 100 | 35 |
# | 100 | 150 | 500 | 80 | 200 | 150 | 4 | 10 | 200 | 160 | 75 |
# | 150 | 475 | 650 | 180 | 700 | 250 | 14 | 35 | 300 | 215 | 115 |
# | 200 | 800 | 800 | 280 | 1200 | 350 | 24 | 60 | 400 | 265 | 150 |
# | 300 | 1600 | ⁽²⁾ | 565 | 2340 | 420 | 36 | 90 | 800 | 800 | 250 |
# | 400 | 2100 | ⁽²⁾ | 750 | 3090 | 500 | 48 | 120 | 1000 | ⁽³⁾ | 350 |
# | 500 | 2620 | ⁽²⁾ | 940 | 3840 | 600 | 60 | 150 | 1200 | ⁽³⁾ | 500 |
IAQI_ROWS = (0, 50, 100, 150, 200, 300, 400, 500)
TABLE_2012 = {
    "so2_24h": (0, 50, 150, 475, 800, 1600, 2100, 2620),
    "so2_1h": (0, 150, 500, 650, 800),
    "no2_24h": (0, 40, 80, 180, 280, 565, 750, 940),
    "no2_1h": (0, 100, 200, 700, 1200, 2340, 3090, 3840),
    "pm10_24h": (0, 50, 150, 250, 350, 420, 500, 600),
    "co_24h": (0, 2, 4, 14, 24, 36, 48, 60),
    "co_1h": (0, 5, 10, 35, 60, 90, 120, 150),
    "o3_1h": (0, 160, 200, 300, 400, 800, 1000, 1200),
    "o3_8h": (0, 100, 160, 215, 265, 800),
    "pm25_24h": (0, 35, 75, 115, 150, 250, 350, 500),
}
# HJ 633—2026 表3 (§4.2.4, p. 3), source S2 (official PDF). Units µg/m³, CO mg/m³.
# | IAQI | SO2 日平均 | SO2 1h ᵃ | NO2 日平均 | NO2 1h ᵃ | CO 日平均 | CO 1h ᵃ | O3 8h 平均 |
#   O3 1h ᵃ | PM10 日平均 | PM2.5 日平均 |
# | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
# | 50 | 50 | 150 | 40 | 100 | 2 | 5 | 100 | 160 | 50 | 35 |
# | 100 | 150 | 500 | 80 | 200 | 4 | 10 | 160 | 200 | 120 | 60 |
# | 150 | 475 | 650 | 180 | 700 | 14 | 35 | 215 | 300 | 250 | 115 |
# | 200 | 800 | 800 | 280 | 1200 | 24 | 60 | 265 | 400 | 350 | 150 |
# | 300 | 1600 | ᵇ | 565 | 2340 | 36 | 90 | 800 | 800 | 420 | 250 |
# | 400 | 2100 | ᵇ | 750 | 3090 | 48 | 120 | ᶜ | 1000 | 500 | 350 |
# | 500 | 2620 | ᵇ | 940 | 3840 | 60 | 150 | ᶜ | 1200 | 600 | 500 |
TABLE_2026 = {
    "so2_24h": (0, 50, 150, 475, 800, 1600, 2100, 2620),
    "so2_1h": (0, 150, 500, 650, 800),
    "no2_24h": (0, 40, 80, 180, 280, 565, 750, 940),
    "no2_1h": (0, 100, 200, 700, 1200, 2340, 3090, 3840),
    "co_24h": (0, 2, 4, 14, 24, 36, 48, 60),
    "co_1h": (0, 5, 10, 35, 60, 90, 120, 150),
    "o3_8h": (0, 100, 160, 215, 265, 800),
    "o3_1h": (0, 160, 200, 300, 400, 800, 1000, 1200),
    "pm10_24h": (0, 50, 120, 250, 350, 420, 500, 600),
    "pm25_24h": (0, 35, 60, 115, 150, 250, 350, 500),
}
TABLES = {"hj633-2012": TABLE_2012, "hj633-2026": TABLE_2026}
# Columns that stop early, and what their footnote says beyond the column (2012: 表1 说明 2–3,
# the IAQI of another indicator; 2026: 表3 notes b, c, a fixed IAQI).
FIXED_BEYOND_2026 = {"so2_1h": 200, "o3_8h": 300}


def _unit(indicator: str) -> float:
    """Smallest step that survives HJ 633—2026 §4.2.2 rounding: 1 µg/m³, 0.1 mg/m³ (CO)."""
    return 0.1 if indicator.startswith("co") else 1.0


def _reference_iaqi(column: tuple[int, ...], conc: Fraction) -> int:
    """式(1) + ceiling in exact arithmetic, from the transcription above."""
    for k in range(len(column) - 1):
        lo, hi = column[k], column[k + 1]
        if lo <= conc <= hi:
            i_lo, i_hi = IAQI_ROWS[k], IAQI_ROWS[k + 1]
            return math.ceil(i_lo + Fraction(i_hi - i_lo, hi - lo) * (conc - lo))
    raise AssertionError(f"{conc} outside the column")


def _breakpoints(edition: str) -> list[tuple[str, str, int, int, int]]:
    return [
        (edition, ind, k, conc, IAQI_ROWS[k])
        for ind, column in TABLES[edition].items()
        for k, conc in enumerate(column)
    ]


ALL_BREAKPOINTS = _breakpoints("hj633-2012") + _breakpoints("hj633-2026")
BP_IDS = [f"{e}-{i}-{c}" for e, i, _, c, _ in ALL_BREAKPOINTS]


@pytest.mark.parametrize("edition", HJ633_EDITIONS)
def test_breakpoint_columns_match_the_printed_table(edition):
    std = load_hj633(edition)
    assert set(std.tables) == set(TABLES[edition])
    for indicator, column in TABLES[edition].items():
        table = std.tables[indicator]
        assert [*table.conc_lo, table.conc_hi[-1]] == list(column), indicator
        assert [*table.index_lo, table.index_hi[-1]] == list(IAQI_ROWS[: len(column)])


@pytest.mark.parametrize(
    ("edition", "indicator", "k", "conc", "index"), ALL_BREAKPOINTS, ids=BP_IDS
)
def test_iaqi_hj633_table_breakpoints_both_edges(edition, indicator, k, conc, index):
    """Every breakpoint: the value itself, and each side of it after the edition's rounding."""
    std = load_hj633(edition)
    column = TABLES[edition][indicator]
    assert iaqi_hj633([conc], indicator, std)[0] == index
    if edition == "hj633-2012":  # no concentration rounding: a hair each side
        eps = 0.001
        below, above = conc - eps, conc + eps
        below_expected, above_expected = index, index + 1  # ceiling
    else:  # §4.2.2: ±0.49 of a unit rounds back onto the breakpoint; a whole unit does not
        u = _unit(indicator)
        for near in (conc - 0.49 * u, conc + 0.49 * u):
            if near >= 0:
                assert iaqi_hj633([near], indicator, std)[0] == index, near
        below, above = conc - u, conc + u
        step = Fraction(1, 10) if u < 1 else Fraction(1)
        below_expected = _reference_iaqi(column, conc - step) if k else None
        above_expected = _reference_iaqi(column, conc + step) if k < len(column) - 1 else None
    if k > 0:
        assert iaqi_hj633([below], indicator, std)[0] == below_expected
        assert iaqi_hj633([below], indicator, std)[0] <= index
    if k < len(column) - 1:
        assert iaqi_hj633([above], indicator, std)[0] == above_expected
        assert iaqi_hj633([above], indicator, std)[0] > index


@pytest.mark.parametrize("edition", HJ633_EDITIONS)
@pytest.mark.parametrize(
    "indicator",
    ["so2_24h", "no2_24h", "no2_1h", "co_24h", "co_1h", "o3_1h", "pm10_24h", "pm25_24h"],
)
def test_above_top_breakpoint_is_500(edition, indicator):
    top = TABLES[edition][indicator][-1]
    std = load_hj633(edition)
    np.testing.assert_array_equal(iaqi_hj633([top, top + 1, top * 3], indicator, std), [500] * 3)


# HJ 633—2012 表1 说明 2: "二氧化硫（SO2）1 小时平均浓度值高于 800 μg/m3 的，
#   不再进行其空气质量分指数计算，二氧化硫（SO2）空气质量分指数按 24 小时平均浓度计算的分指数报告。"
# 说明 3: "臭氧（O3）8 小时平均浓度值高于 800 μg/m3 的，不再进行其空气质量分指数计算，
#   臭氧（O3）空气质量分指数按 1 小时平均浓度计算的分指数报告。"
@pytest.mark.parametrize("indicator", ["so2_1h", "o3_8h"])
def test_2012_beyond_column_is_not_indexed(indicator):
    std = load_hj633("hj633-2012")
    out = iaqi_hj633([800.0, 800.01, 2000.0], indicator, std)
    assert out[0] == IAQI_ROWS[len(TABLE_2012[indicator]) - 1]
    assert np.isnan(out[1:]).all()


# HJ 633—2026 表3 note b: "SO2 1 小时平均浓度值高于 800 µg/m³ 的，IAQI 按照 200 计。"
# note c: "O3 8 小时平均浓度值高于 800 µg/m³ 的，IAQI 按照 300 计。"
@pytest.mark.parametrize(("indicator", "fixed"), FIXED_BEYOND_2026.items())
def test_2026_beyond_column_fixed_iaqi(indicator, fixed):
    std = load_hj633("hj633-2026")
    out = iaqi_hj633([800.0, 800.4, 800.6, 801.0, 5000.0], indicator, std)
    np.testing.assert_array_equal(out, [fixed] * 5)


def test_2012_combine_reports_so2_24h_iaqi_beyond_800():
    std = load_hj633("hj633-2012")
    conc = pd.DataFrame({"so2_1h": [900.0, 900.0, 700.0], "so2_24h": [100.0, 700.0, 100.0]})
    iaqi = pd.DataFrame({name: iaqi_hj633(conc[name], name, std) for name in ("so2_1h", "so2_24h")})
    # SO2 24h 100 µg/m³ → 50 + 50·(100−50)/(150−50) = 75; 700 → 150 + 50·225/325 = 184.6 → 185;
    # SO2 1h 700 → 150 + 50·50/150 = 166.7 → 167
    out = combine_iaqi(iaqi, std, indicators=["so2_1h"], concentrations=conc)
    assert out["aqi"].tolist() == [75, 185, 167]
    no_24h = combine_iaqi(iaqi[["so2_1h"]], std, concentrations=conc[["so2_1h"]])
    assert no_24h["aqi"].isna().tolist() == [True, True, False]
    assert no_24h["complete"].tolist() == [False, False, True]


def test_headline_example_pm25_75():
    # standards.md headline / HJ 633—2026 表3: PM2.5 75 µg/m³ gives IAQI 100 under 2012 and 114
    # under 2026 (100 + 50·(75−60)/(115−60) = 113.6, rounded up, §4.2.6).
    assert iaqi_hj633([75.0], "pm25_24h", load_hj633("hj633-2012"))[0] == 100
    assert iaqi_hj633([75.0], "pm25_24h", load_hj633("hj633-2026"))[0] == 114


@pytest.mark.parametrize(
    ("conc", "expected"),
    [
        (75.0, 100),  # exactly 100.0 → 100
        (75.008, 101),  # 100 + 1.25·0.008 = 100.01 → 101
        (74.992, 100),  # 99.99 → 100
    ],
)
def test_ceiling_rule_2012(conc, expected):
    # HJ 633—2012 §6.2: "…计算结果应全部进位取整数，不保留小数"; PM2.5 row 75→115 maps 100→150
    assert iaqi_hj633([conc], "pm25_24h", load_hj633("hj633-2012"))[0] == expected


def test_ceiling_is_not_fooled_by_floating_point():
    # CO 24h 2.6 mg/m³: 50 + 25·0.6 = 65 exactly (float arithmetic gives 65.00000000000001)
    for edition in HJ633_EDITIONS:
        assert iaqi_hj633([2.6], "co_24h", load_hj633(edition))[0] == 65


@pytest.mark.parametrize(
    ("indicator", "conc", "expected"),
    [
        ("pm25_24h", 60.5, 100),  # half-even: 60.5 → 60
        ("pm25_24h", 61.5, 102),  # 61.5 → 62 → 100 + 50·2/55 = 101.8 → 102
        ("co_24h", 4.05, 100),  # 4.05 → 4.0
        ("co_24h", 4.15, 101),  # 4.15 → 4.2 → 100 + 5·0.2 = 101
    ],
)
def test_2026_concentration_rounding_half_even(indicator, conc, expected):
    # HJ 633—2026 §4.2.2: "按照 GB/T 8170 要求修约到整数", CO to 1 decimal
    # (half-even: configuration, GB/T 8170 not read)
    std = load_hj633("hj633-2026")
    column = TABLE_2026[indicator]
    scale = 10 if indicator.startswith("co") else 1
    rounded = Fraction(round(conc * scale), scale)  # Python's round() is half-even too
    assert iaqi_hj633([conc], indicator, std)[0] == _reference_iaqi(column, rounded) == expected


def test_missing_and_negative_give_nan():
    std = load_hj633("hj633-2026")
    out = iaqi_hj633(pd.Series([np.nan, -1.0, None, 10.0], dtype="Float64"), "pm25_24h", std)
    assert np.isnan(out[:3]).all()
    assert out[3] == 15  # 50·10/35 = 14.3 → 15


def test_2026_hourly_pm_uses_daily_breakpoints():
    # HJ 633—2026 §4.2.4: "当 C_P 为 PM10 或 PM2.5 1 小时平均时，取表 3 中日平均的高位值/低位值"
    std = load_hj633("hj633-2026")
    assert iaqi_hj633([75.0], "pm25_1h", std)[0] == 114
    assert iaqi_hj633([120.0], "pm10_1h", std)[0] == 100


def test_unknown_indicator_and_edition():
    with pytest.raises(UnknownStandardError, match=r"'pm25_1h'.*choose one of: co_1h, co_24h"):
        iaqi_hj633([1.0], "pm25_1h", load_hj633("hj633-2012"))
    with pytest.raises(UnknownStandardError, match=r"'pm2.5'.*pm25_1h, pm25_24h, so2_1h"):
        iaqi_hj633([1.0], "pm2.5", load_hj633("hj633-2026"))
    with pytest.raises(UnknownStandardError, match="choose one of: hj633-2012, hj633-2026"):
        load_hj633("hj633-2019")
    frame = pd.DataFrame({"station": ["A"], "date": [dt.date(2026, 1, 1)]})
    with pytest.raises(UnknownStandardError, match="'2026'; choose one of: hj633-2012"):
        daily_aqi_hj633(frame, edition="2026")  # type: ignore[arg-type]


# HJ 633—2012 §5.1 and HJ 633—2026 §4.2.2, §4.2.3, §5.2 (standards.md §1.6)
@pytest.mark.parametrize(
    ("edition", "daily", "realtime", "realtime_aqi"),
    [
        (
            "hj633-2012",  # 7 daily indicators (O3 日最大 1 小时 and 日最大 8 小时滑动平均)
            {"so2_24h", "no2_24h", "pm10_24h", "pm25_24h", "co_24h", "o3_1h", "o3_8h"},
            # 9 real-time indicators: 1-h means, O3 8-h moving mean, PM 24-h moving means
            {"so2_1h", "no2_1h", "o3_1h", "co_1h", "pm10_1h", "pm25_1h", "o3_8h"}
            | {"pm10_24h", "pm25_24h"},
            # PM IAQI from the 24-h moving means (configuration, the text is silent)
            {"so2_1h", "no2_1h", "o3_1h", "co_1h", "o3_8h", "pm10_24h", "pm25_24h"},
        ),
        (
            "hj633-2026",  # 6 daily indicators (the O3 1-h is dropped)
            {"so2_24h", "no2_24h", "co_24h", "pm10_24h", "pm25_24h", "o3_8h"},
            {"so2_1h", "no2_1h", "co_1h", "o3_1h", "pm10_1h", "pm25_1h"},
            {"so2_1h", "no2_1h", "co_1h", "o3_1h", "pm10_1h", "pm25_1h"},
        ),
    ],
)
def test_indicator_sets(edition, daily, realtime, realtime_aqi):
    std = load_hj633(edition)
    assert set(std.daily_indicators) == daily
    assert len(std.daily_indicators) == len(daily)
    assert set(std.realtime_indicators) == realtime
    assert set(std.realtime_aqi_indicators) == realtime_aqi


def _iaqi_frame(**columns: float) -> pd.DataFrame:
    return pd.DataFrame({k: [v] for k, v in columns.items()})


@pytest.mark.parametrize(
    ("columns", "primary"),
    [
        ({"pm25_24h": 114, "pm10_24h": 114, "o3_8h": 30}, "pm25+pm10"),
        ({"pm25_24h": 80, "so2_24h": 120, "o3_8h": 120, "o3_1h": 120}, "so2+o3"),
        ({"o3_8h": 120, "o3_1h": 120, "no2_24h": 60}, "o3"),
        (
            {"co_24h": 51, "no2_24h": 51, "pm10_24h": 51, "so2_24h": 51, "pm25_24h": 51},
            "pm25+pm10+so2+no2+co",
        ),
        ({"pm25_24h": 51, "pm10_24h": 50}, "pm25"),
        ({"pm25_24h": 50, "pm10_24h": 50}, ""),  # AQI ≤ 50: no primary pollutant
        ({"pm25_24h": 12, "o3_8h": 49}, ""),
    ],
)
def test_primary_pollutant_and_ties(columns, primary):
    # §3.3 (both editions): "AQI 大于 50 时，IAQI 最大的污染物为首要污染物。
    # 若 IAQI 最大的污染物为两项或两项以上时，并列为首要污染物。"
    for edition in HJ633_EDITIONS:
        out = combine_iaqi(_iaqi_frame(**columns), load_hj633(edition))
        assert out["primary"].tolist() == [primary]
        assert out["aqi"].tolist() == [max(columns.values())]


@pytest.mark.parametrize(("edition", "expected"), [("hj633-2012", 0), ("hj633-2026", 1)])
def test_minimum_aqi(edition, expected):
    # 2012 表2: "0～50"; 2026 §4.1.1: "空气质量指数的范围为 1～500"
    # (applied to the AQI, not the IAQI)
    std = load_hj633(edition)
    assert iaqi_hj633([0.0], "pm25_24h", std)[0] == 0
    out = combine_iaqi(_iaqi_frame(pm25_24h=0, so2_24h=0), std)
    assert out[["aqi", "level", "primary"]].values.tolist() == [[expected, 1, ""]]


def test_2026_missing_pollutant_rule():
    # HJ 633—2026 §5.3.1: a missing pollutant → AQI from the others, published only if > 100.
    std = load_hj633("hj633-2026")
    iaqi = pd.DataFrame({"pm25_24h": [101, 100, 40, 40, np.nan], "o3_8h": [20, 20, 30, 30, np.nan]})
    out = combine_iaqi(iaqi, std, indicators=["pm25_24h", "o3_8h", "so2_24h"])
    assert out["aqi"].tolist()[:1] == [101]
    assert out["aqi"].isna().tolist() == [False, True, True, True, True]
    assert out["level"].isna().tolist() == [False, True, True, True, True]
    assert out["primary"].isna().tolist() == [False, True, True, True, True]
    assert not out["complete"].any()
    complete = combine_iaqi(iaqi.iloc[2:4], std)
    assert complete[["aqi", "primary"]].values.tolist() == [[40, ""], [40, ""]]
    assert complete["complete"].all()


def test_2012_missing_pollutant_is_computed_and_flagged():
    std = load_hj633("hj633-2012")
    iaqi = pd.DataFrame({"pm25_24h": [40.0, np.nan], "o3_8h": [30.0, np.nan]})
    out = combine_iaqi(iaqi, std, indicators=["pm25_24h", "o3_8h", "so2_24h"])
    assert out["aqi"].iloc[0] == 40
    assert pd.isna(out["aqi"].iloc[1])
    assert out["complete"].tolist() == [False, False]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (pd.Timestamp("2026-02-28"), "hj633-2012"),
        (pd.Timestamp("2026-03-01"), "hj633-2026"),
        (dt.date(2026, 2, 28), "hj633-2012"),
        (dt.date(2026, 3, 1), "hj633-2026"),
        ("2026-03-01", "hj633-2026"),
        (pd.Timestamp("2026-02-28 23:59", tz="Asia/Shanghai"), "hj633-2012"),
        (pd.Timestamp("2026-03-01 00:00", tz="Asia/Shanghai"), "hj633-2026"),
        # 2026-02-28 16:30 UTC is 03-01 00:30 in Beijing, but the zone is the timestamp's own
        (pd.Timestamp("2026-02-28 16:30", tz="UTC"), "hj633-2012"),
        (pd.Timestamp("2026-02-28 16:30", tz="UTC").tz_convert("Asia/Shanghai"), "hj633-2026"),
    ],
)
def test_edition_switch_on_2026_03_01(value, expected):
    assert edition_for_dates(pd.Series([value])).tolist() == [expected]


def test_edition_for_dates_numpy_and_missing():
    dates = np.array(["2026-02-28", "2026-03-01"], dtype="datetime64[D]")
    assert edition_for_dates(dates).tolist() == ["hj633-2012", "hj633-2026"]
    with pytest.raises(InputDataError, match="row position 1"):
        edition_for_dates(pd.Series([pd.Timestamp("2026-01-01"), pd.NaT]))


def _daily_frame(**overrides: list[object]) -> pd.DataFrame:
    base: dict[str, list[object]] = {
        "station": ["A", "A"],
        "date": [dt.date(2026, 2, 28), dt.date(2026, 3, 1)],
        "pm25": [75.0, 75.0],
        "pm10": [60.0, 60.0],
        "so2": [5.0, 5.0],
        "no2": [30.0, 30.0],
        "co": [0.8, 0.8],
        "o3_8h_max": [90.0, 90.0],
        "o3_1h_max": [120.0, 120.0],
    }
    base.update(overrides)
    return pd.DataFrame(base, index=[7, 3])


def test_daily_aqi_mixed_editions():
    out = daily_aqi_hj633(_daily_frame())
    assert list(out.index) == [7, 3]
    assert out["edition"].tolist() == ["hj633-2012", "hj633-2026"]
    assert out["standard_id"].tolist() == ["cn_mee_hj633_2012", "cn_mee_hj633_2026"]
    assert out["aqi"].tolist() == [100, 114]
    assert out["level"].tolist() == [2, 3]
    assert out["primary"].tolist() == ["pm25", "pm25"]
    # O3 1-h: a daily indicator in 2012 (120 → 50·120/160 = 37.5 → 38), not in 2026
    assert out["iaqi_o3_1h"].iloc[0] == 38
    assert pd.isna(out["iaqi_o3_1h"].iloc[1])
    assert out["iaqi_pm10"].tolist() == [55, 58]  # 60: 50+50·10/100; 50+50·10/70 = 57.1 → 58
    expected_columns = ["station", "date", "aqi", "level", "primary", "edition"]
    assert list(out.columns[:6]) == expected_columns
    assert {f"iaqi_{p}" for p in ("so2", "no2", "co", "pm10", "pm25", "o3_8h", "o3_1h")} <= set(
        out.columns
    )


def test_daily_aqi_o3_8h_above_800():
    # 2012 说明 3: report the O3 1-h IAQI (1000 µg/m³ → 400); 2026 note c: IAQI 300.
    out = daily_aqi_hj633(_daily_frame(o3_8h_max=[900.0, 900.0], o3_1h_max=[1000.0, 1000.0]))
    assert out["iaqi_o3_8h"].tolist() == [400, 300]
    assert out["aqi"].tolist() == [400, 300]
    assert out["primary"].tolist() == ["o3", "o3"]
    assert out["complete"].tolist() == [True, True]


def test_daily_aqi_2012_o3_1h_counts_and_forced_edition():
    frame = _daily_frame(pm25=[10.0, 10.0], o3_1h_max=[300.0, 300.0])  # O3 1h 300 → 150
    out = daily_aqi_hj633(frame, edition="hj633-2012")
    assert out["aqi"].tolist() == [150, 150]
    assert out["primary"].tolist() == ["o3", "o3"]
    # 2026 ignores the O3 1-h; PM10 60 → 50 + 50·10/70 = 57.1 → 58 is the maximum
    forced = daily_aqi_hj633(frame, edition="hj633-2026")
    assert forced["aqi"].tolist() == [58, 58]
    assert forced["primary"].tolist() == ["pm10", "pm10"]


def test_daily_aqi_non_numeric_column():
    with pytest.raises(InputDataError, match="daily frame, column 'pm25': values are not numeric"):
        daily_aqi_hj633(_daily_frame(pm25=["high", 75.0]))


def test_daily_aqi_missing_column():
    frame = _daily_frame().drop(columns="o3_1h_max")
    with pytest.raises(
        InputDataError, match=r"rows of hj633-2012: missing column\(s\) \['o3_1h_max'\]"
    ):
        daily_aqi_hj633(frame)
    assert daily_aqi_hj633(frame.iloc[1:])["aqi"].tolist() == [114]  # 2026 needs no O3 1-h


def _hourly_frame(times: list[str], **overrides: list[float]) -> pd.DataFrame:
    n = len(times)
    base: dict[str, object] = {
        "station": ["A"] * n,
        "time": pd.to_datetime(times),
        "pm25": [75.0] * n,
        "pm10": [60.0] * n,
        "so2": [5.0] * n,
        "no2": [30.0] * n,
        "co": [0.8] * n,
        "o3": [100.0] * n,
        "o3_8h": [90.0] * n,
        "pm25_24h": [35.0] * n,
        "pm10_24h": [50.0] * n,
    }
    base.update(overrides)
    return pd.DataFrame(base)


SWITCH_HOURS = ["2026-02-28T23:00:00+08:00", "2026-03-01T00:00:00+08:00"]


def test_hourly_aqi_editions_and_pm_average():
    out = hourly_aqi_hj633(_hourly_frame(SWITCH_HOURS))
    assert out["edition"].tolist() == ["hj633-2012", "hj633-2026"]
    assert isinstance(out["time"].dtype, pd.DatetimeTZDtype)
    # 2012: PM from the 24-h moving means (35 → 50; 50 → 50); 2026: 1-h PM on daily breakpoints
    assert out["iaqi_pm25"].tolist() == [50, 114]
    assert out["iaqi_pm10"].tolist() == [50, 58]
    # 2012: PM 50, O3 8h 90 → 45, O3 1h 100 → 31.25 → 32, NO2 1h 30 → 15: AQI 50, no primary
    assert out["aqi"].tolist() == [50, 114]
    assert out["primary"].tolist() == ["", "pm25"]
    assert out["iaqi_o3_8h"].iloc[0] == 45
    assert pd.isna(out["iaqi_o3_8h"].iloc[1])
    assert out["iaqi_o3_1h"].tolist() == [32, 32]


def test_hourly_2012_so2_above_800():
    frame = _hourly_frame(SWITCH_HOURS[:1] * 2, so2=[900.0, 900.0])
    out = hourly_aqi_hj633(frame)
    assert out["iaqi_so2"].isna().all()
    assert not out["complete"].any()
    frame["so2_24h"] = [100.0, 700.0]  # → 50 + 50·50/100 = 75 and 150 + 50·225/325 = 184.6 → 185
    out = hourly_aqi_hj633(frame)
    assert out["iaqi_so2"].tolist() == [75, 185]
    assert out["complete"].all()


def test_hourly_2026_so2_above_800_and_no_o3_8h():
    frame = _hourly_frame(SWITCH_HOURS[1:], so2=[900.0]).drop(columns=["o3_8h", "pm25_24h"])
    out = hourly_aqi_hj633(frame)
    assert out["iaqi_so2"].tolist() == [200]
    assert out["aqi"].tolist() == [200]
    assert pd.isna(out["iaqi_o3_8h"].iloc[0])


def test_hourly_requires_tz_aware_time():
    frame = _hourly_frame(["2026-03-01T00:00:00"])
    with pytest.raises(InputDataError, match="tz-aware"):
        hourly_aqi_hj633(frame)


# HJ 633—2012 表2 / HJ 633—2026 表1 and 附录A 表A.1 (colours identical in both editions)
# | AQI | 级别 | 类别 | English | Colour | RGB | Hex | CMYK |
# | 0–50 (2012) / 1–50 (2026) | 一级 | 优 | Excellent | 绿色 | 0,228,0 | #00E400 | 40,0,100,0 |
# | 51–100 | 二级 | 良 | Good | 黄色 | 255,255,0 | #FFFF00 | 0,0,100,0 |
# | 101–150 | 三级 | 轻度污染 | Lightly polluted | 橙色 | 255,126,0 | #FF7E00 | 0,52,100,0 |
# | 151–200 | 四级 | 中度污染 | Moderately polluted | 红色 | 255,0,0 | #FF0000 | 0,100,100,0 |
# | 201–300 | 五级 | 重度污染 | Heavily polluted | 紫色 | 153,0,76 | #99004C | 10,100,40,30 |
# | >300 | 六级 | 严重污染 | Severely polluted | 褐红色 | 126,0,35 | #7E0023 | 30,100,100,30 |
LEVELS = [
    (1, "一级", "优", "Excellent", "绿色", (0, 228, 0), "#00E400", (40, 0, 100, 0)),
    (2, "二级", "良", "Good", "黄色", (255, 255, 0), "#FFFF00", (0, 0, 100, 0)),
    (3, "三级", "轻度污染", "Lightly polluted", "橙色", (255, 126, 0), "#FF7E00", (0, 52, 100, 0)),
    (
        4,
        "四级",
        "中度污染",
        "Moderately polluted",
        "红色",
        (255, 0, 0),
        "#FF0000",
        (0, 100, 100, 0),
    ),
    (5, "五级", "重度污染", "Heavily polluted", "紫色", (153, 0, 76), "#99004C", (10, 100, 40, 30)),
    (
        6,
        "六级",
        "严重污染",
        "Severely polluted",
        "褐红色",
        (126, 0, 35),
        "#7E0023",
        (30, 100, 100, 30),
    ),
]


@pytest.mark.parametrize("edition", HJ633_EDITIONS)
@pytest.mark.parametrize("row", LEVELS, ids=[r[6] for r in LEVELS])
def test_level_colours(edition, row):
    level, grade, name, name_en, colour, rgb, hex_, cmyk = row
    info = level_info(level, load_hj633(edition))
    assert (info.grade, info.category, info.category_en, info.colour) == (
        grade,
        name,
        name_en,
        colour,
    )
    assert (info.rgb, info.hex, info.cmyk) == (rgb, hex_, cmyk)


# HJ 633—2012 表2, 对健康影响情况 | 建议采取的措施 (verbatim; "锻练" in 四级 is as printed)
TEXT_2012 = [
    ("空气质量令人满意，基本无空气污染", "各类人群可正常活动"),
    (
        "空气质量可接受，但某些污染物可能对极少数异常敏感人群健康有较弱影响",
        "极少数异常敏感人群应减少户外活动",
    ),
    (
        "易感人群症状有轻度加剧，健康人群出现刺激症状",
        "儿童、老年人及心脏病、呼吸系统疾病患者应减少长时间、高强度的户外锻炼",
    ),
    (
        "进一步加剧易感人群症状，可能对健康人群心脏、呼吸系统有影响",
        "儿童、老年人及心脏病、呼吸系统疾病患者避免长时间、高强度的户外锻练，一般人群适量减少户外运动",
    ),
    (
        "心脏病和肺病患者症状显著加剧，运动耐受力降低，健康人群普遍出现症状",
        "儿童、老年人和心脏病、肺病患者应停留在室内，停止户外运动，一般人群减少户外运动",
    ),
    (
        "健康人群运动耐受力降低，有明显强烈症状，提前出现某些疾病",
        "儿童、老年人和病人应当留在室内，避免体力消耗，一般人群应避免户外活动",
    ),
]
# HJ 633—2026 表1, 对健康影响情况 | 建议采取的措施 (verbatim)
TEXT_2026 = [
    ("空气质量令人满意，基本无空气污染", "各类人群可正常活动"),
    (
        "空气质量可接受，但某些污染物可能对极少数异常敏感人群健康有较弱影响",
        "极少数异常敏感人群应减少户外活动",
    ),
    (
        "敏感人群症状有轻度加剧，健康人群出现刺激症状",
        "青少年儿童、老年人及心血管系统疾病、呼吸系统疾病患者应减少长时间、高强度的户外锻炼",
    ),
    (
        "进一步加剧敏感人群症状，可能对健康人群心血管系统、呼吸系统有影响",
        "青少年儿童、老年人及心血管系统疾病、呼吸系统疾病患者避免长时间、高强度的户外锻炼，一般人群适量减少户外运动",
    ),
    (
        "心血管系统和呼吸系统患者症状显著加剧，运动耐受力降低，健康人群普遍出现症状",
        "青少年儿童、老年人和心血管系统疾病、呼吸系统疾病患者应停留在室内，停止户外运动，一般人群减少户外运动",
    ),
    (
        "健康人群运动耐受力降低，有明显强烈症状，提前出现某些疾病",
        "青少年儿童、老年人和病人应当留在室内，避免体力消耗，一般人群应避免户外活动",
    ),
]


@pytest.mark.parametrize(
    ("edition", "texts"), [("hj633-2012", TEXT_2012), ("hj633-2026", TEXT_2026)]
)
def test_health_effects_and_advice_verbatim(edition, texts):
    std = load_hj633(edition)
    got = [(level_info(k, std).health_effects, level_info(k, std).advice) for k in range(1, 7)]
    assert got == texts
    frame = level_frame(pd.Series([4, 0, np.nan, 1]), std)
    assert frame["advice"].iloc[0] == texts[3][1]
    assert frame["name_zh"].isna().tolist() == [False, True, True, False]
    assert frame["colour_hex"].iloc[3] == "#00E400"


@pytest.mark.parametrize(
    ("edition", "ranges"),
    [
        ("hj633-2012", ["0～50", "51～100", "101～150", "151～200", "201～300", ">300"]),
        ("hj633-2026", ["1～50", "51～100", "101～150", "151～200", "201～300", ">300"]),
    ],
)
def test_level_ranges(edition, ranges):
    std = load_hj633(edition)
    assert [lvl.aqi_range for lvl in std.levels] == ranges


@pytest.mark.parametrize(
    ("aqi", "level"),
    [(0, 1), (1, 1), (50, 1), (51, 2), (100, 2), (101, 3), (150, 3), (151, 4), (200, 4)]
    + [(201, 5), (300, 5), (301, 6), (500, 6), (np.nan, 0), (-1, 0)],
)
def test_aqi_level_edges(aqi, level):
    for edition in HJ633_EDITIONS:
        assert aqi_level([aqi], load_hj633(edition)).tolist() == [level]


def test_level_errors():
    with pytest.raises(UnknownStandardError, match="7; choose one of: 1, 2, 3, 4, 5, 6"):
        level_info(7)
    with pytest.raises(UnknownStandardError, match="row position 1"):
        level_frame([1, 9])


# HJ 633—2026 表2 (IAQI 超过 100 的污染物 → 建议采取措施的敏感人群), verbatim
# | 污染物 | 敏感人群 |
# | SO2 | 患有哮喘的人、青少年儿童以及老年人 |
# | NO2 | 患有呼吸系统疾病（如哮喘）的人、青少年儿童以及老年人 |
# | CO | 患有心血管系统疾病的人 |
# | O3 | 患有呼吸系统疾病（如哮喘）的人、青少年儿童、户外活动频繁的人以及老年人 |
# | PM10、PM2.5 | 患有心血管系统疾病或呼吸系统疾病（如哮喘）的人、青少年儿童、户外活动频繁的人
#   以及老年人 |
def test_2026_sensitive_groups():
    pm = "患有心血管系统疾病或呼吸系统疾病（如哮喘）的人、青少年儿童、户外活动频繁的人以及老年人"
    std = load_hj633("hj633-2026")
    assert dict(std.sensitive_groups) == {
        "so2": "患有哮喘的人、青少年儿童以及老年人",
        "no2": "患有呼吸系统疾病（如哮喘）的人、青少年儿童以及老年人",
        "co": "患有心血管系统疾病的人",
        "o3": "患有呼吸系统疾病（如哮喘）的人、青少年儿童、户外活动频繁的人以及老年人",
        "pm10": pm,
        "pm25": pm,
    }
    assert std.sensitive_groups_iaqi_above == 100
    assert dict(load_hj633("hj633-2012").sensitive_groups) == {}


def test_results_carry_source():
    ids = ("cn_mee_hj633_2012", "cn_mee_hj633_2026")
    for edition, source_id in zip(HJ633_EDITIONS, ids, strict=True):
        std = load_hj633(edition)
        assert std.source.id == source_id
        assert std.source.status == "primary"
        assert std.edition == edition
    assert load_hj633("hj633-2026").in_force_from == dt.date(2026, 3, 1)
    assert load_hj633("hj633-2012").repealed_on == dt.date(2026, 3, 1)
