"""Tests of features.calendar (calendar features of the model matrix).

Official holidays are checked against the General Office of the State Council's notices
as transcribed in chinese-calendar 1.11.0 (``chinese_calendar/constants.py``), the Lunar
New Year against ``holidays.China`` and the heating season against Beijing's regulation.
"""

from __future__ import annotations

import time
from datetime import date, timedelta

import chinese_calendar
import numpy as np
import pandas as pd
import pytest

from features.calendar import (
    CALENDAR_COLUMNS,
    FIREWORKS_EVENINGS,
    HOLIDAY_NAME_CODES,
    calendar_features,
)
from forecasting.errors import InputDataError

SHANGHAI = "Asia/Shanghai"


def local(stamp: str, tz: str = SHANGHAI) -> pd.DatetimeIndex:
    """A local wall-clock time as the UTC index calendar_features expects."""
    return pd.DatetimeIndex([pd.Timestamp(stamp, tz=tz).tz_convert("UTC")])


def row(stamp: str, tz: str = SHANGHAI, city: str | None = "Beijing") -> pd.Series:
    return calendar_features(local(stamp, tz), tz, city).iloc[0]


# ---------------------------------------------------------------- local time, encodings


@pytest.mark.parametrize(
    ("stamp", "hour", "dow", "month", "doy"),
    [
        ("2016-01-01 00:00", 0, 4, 1, 1),  # Friday
        ("2016-02-29 23:00", 23, 0, 2, 60),  # leap day, Monday
        ("2016-12-31 12:00", 12, 5, 12, 366),  # Saturday, last day of a leap year
        ("2017-12-31 07:00", 7, 6, 12, 365),  # Sunday
    ],
)
def test_local_time_fields(stamp, hour, dow, month, doy):
    r = row(stamp)
    assert (r["cal_hour"], r["cal_dow"], r["cal_month"], r["cal_doy"]) == (hour, dow, month, doy)
    assert r["cal_is_weekend"] == (dow >= 5)


@pytest.mark.parametrize(
    ("stamp", "sin_h", "cos_h", "sin_d", "cos_d"),
    [
        ("2016-01-01 00:00", 0.0, 1.0, 0.0, 1.0),
        ("2016-01-01 06:00", 1.0, 0.0, 0.0, 1.0),
        ("2016-01-01 18:00", -1.0, 0.0, 0.0, 1.0),
        # 2016 has 366 days: doy 366 is 365/366 of a turn
        (
            "2016-12-31 12:00",
            0.0,
            -1.0,
            np.sin(2 * np.pi * 365 / 366),
            np.cos(2 * np.pi * 365 / 366),
        ),
        (
            "2017-07-02 00:00",
            0.0,
            1.0,
            np.sin(2 * np.pi * 182 / 365),
            np.cos(2 * np.pi * 182 / 365),
        ),
    ],
)
def test_cyclic_encodings(stamp, sin_h, cos_h, sin_d, cos_d):
    r = row(stamp)
    got = [r["cal_hour_sin"], r["cal_hour_cos"], r["cal_doy_sin"], r["cal_doy_cos"]]
    np.testing.assert_allclose(got, [sin_h, cos_h, sin_d, cos_d], atol=1e-6)


# ---------------------------------------------------------------- official holidays


# 国务院办公厅关于2016年部分节假日安排的通知 (国办发明电〔2015〕18号, 2015-12-10,
# http://www.gov.cn/zhengce/content/2015-12/10/content_10394.htm), item 二:
#   "春节：2月7日至13日放假调休，共7天。2月6日（星期六）、2月14日（星期日）上班。"
#   -> chinese-calendar 1.11.0 constants.py lines 342-348 (holidays 2016-02-07..13) and
#      735-736 (workdays 2016-02-06, 2016-02-14).
# 国务院办公厅关于2015年部分节假日安排的通知 (2014-12-16), item 七:
#   "国庆节：10月1日至7日放假调休，共7天。10月10日（星期六）上班。"
#   -> constants.py lines 334-340 (holidays) and 734 (workday 2015-10-10).
# The 2015 Victory Day holiday (抗战胜利70周年纪念日): holidays 2015-09-03/04 and workday
#   2015-09-06 (Sunday) in constants.py lines 331-332 and 733.
@pytest.mark.parametrize(
    ("day", "holiday", "workday", "name"),
    [
        ("2016-02-06", 0, 1, 0),  # Saturday, make-up working day before Spring Festival
        ("2016-02-07", 1, 0, HOLIDAY_NAME_CODES["Spring Festival"]),  # 除夕, Sunday
        ("2016-02-08", 1, 0, HOLIDAY_NAME_CODES["Spring Festival"]),  # 春节, 初一
        ("2016-02-13", 1, 0, HOLIDAY_NAME_CODES["Spring Festival"]),  # last day off
        ("2016-02-14", 0, 1, 0),  # Sunday, make-up working day
        ("2016-02-15", 0, 1, 0),  # ordinary Monday
        ("2015-09-30", 0, 1, 0),  # Wednesday before National Day
        ("2015-10-01", 1, 0, HOLIDAY_NAME_CODES["National Day"]),
        ("2015-10-07", 1, 0, HOLIDAY_NAME_CODES["National Day"]),
        ("2015-10-10", 0, 1, 0),  # Saturday, make-up working day
        ("2015-10-11", 0, 0, 0),  # ordinary Sunday: weekend, not a public holiday
        ("2015-09-03", 1, 0, HOLIDAY_NAME_CODES["Anti-Fascist 70th Day"]),
        ("2015-09-06", 0, 1, 0),  # Sunday, make-up working day
    ],
)
def test_official_holidays_published_schedule(day, holiday, workday, name):
    r = row(f"{day} 12:00")
    assert r["cal_holiday_available"]
    assert (r["cal_is_holiday"], r["cal_is_workday"], r["cal_holiday_name"]) == (
        holiday,
        workday,
        name,
    )


def test_official_holidays_agree_with_chinese_calendar_2013_to_2026():
    # Every day of the years the product must cover, against the package's own functions.
    days = pd.date_range("2013-01-01 12:00", "2026-12-31 12:00", freq="D", tz=SHANGHAI)
    f = calendar_features(days.tz_convert("UTC"), SHANGHAI)
    dates = [d.date() for d in days]
    workday = [float(chinese_calendar.is_workday(d)) for d in dates]
    listed = [float(d in chinese_calendar.holidays) for d in dates]
    code = [
        float(HOLIDAY_NAME_CODES[chinese_calendar.holidays[d]])
        if d in chinese_calendar.holidays
        else 0.0
        for d in dates
    ]
    assert f["cal_holiday_available"].all()
    np.testing.assert_array_equal(f["cal_is_workday"], workday)
    np.testing.assert_array_equal(f["cal_is_holiday"], listed)
    np.testing.assert_array_equal(f["cal_holiday_name"], code)


@pytest.mark.parametrize(
    ("stamp", "available"),
    [
        ("2013-01-01 00:00", True),
        ("2026-12-31 23:59", True),  # last local minute of the last covered year
        ("2027-01-01 00:00", False),  # chinese-calendar 1.11.0 covers 2004-2026
        ("2003-12-31 23:00", False),
        ("2004-01-01 00:00", True),
    ],
)
def test_uncovered_years_give_nan_not_error(stamp, available):
    r = row(stamp)
    assert r["cal_holiday_available"] == available
    for name in ("cal_is_holiday", "cal_is_workday", "cal_holiday_name"):
        assert np.isnan(r[name]) != available
    assert r["cal_hour"] == int(stamp[11:13])  # the other features are still there


def test_uncovered_year_boundary_is_the_local_date():
    # 2026-12-31T16:00Z is 2027-01-01 00:00 in Shanghai (uncovered) but 22:00 in Urumqi
    t = pd.DatetimeIndex(["2026-12-31T16:00Z", "2026-12-31T16:00Z"])
    f = calendar_features(t, pd.Series([SHANGHAI, "Asia/Urumqi"]))
    assert f["cal_holiday_available"].tolist() == [False, True]


# ---------------------------------------------------------------- Spring Festival

# Chinese New Year's day (农历正月初一) 2013-2026, as published; each is also a day off
# named Spring Festival in the State Council schedules (chinese-calendar constants.py).
LUNAR_NEW_YEARS = [
    "2013-02-10",
    "2014-01-31",
    "2015-02-19",
    "2016-02-08",
    "2017-01-28",
    "2018-02-16",
    "2019-02-05",
    "2020-01-25",
    "2021-02-12",
    "2022-02-01",
    "2023-01-22",
    "2024-02-10",
    "2025-01-29",
    "2026-02-17",
]


@pytest.mark.parametrize("new_year", LUNAR_NEW_YEARS)
def test_days_to_spring_festival_around_new_year(new_year):
    day = date.fromisoformat(new_year)
    stamps = [f"{day + timedelta(days=k)} 12:00" for k in (-1, 0, 1)]
    t = pd.DatetimeIndex([pd.Timestamp(s, tz=SHANGHAI) for s in stamps]).tz_convert("UTC")
    f = calendar_features(t, SHANGHAI)
    assert f["cal_days_to_spring_festival"].tolist() == [-1.0, 0.0, 1.0]
    assert f["cal_lunar_available"].all()
    assert chinese_calendar.holidays[day] == "Spring Festival"


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        # 2015-02-19 and 2016-02-08 are 354 days apart: 2015-08-15 is 177 days from both,
        # and ties go to the previous New Year.
        ("2015-08-15", 177.0),
        ("2015-08-16", -176.0),
        ("2016-02-07", -1.0),  # 除夕
        ("2016-02-22", 14.0),  # 元宵, 15th of the first lunar month
    ],
)
def test_days_to_spring_festival_nearest_new_year(day, expected):
    assert row(f"{day} 12:00")["cal_days_to_spring_festival"] == expected


@pytest.mark.parametrize("year", [1948, 2150])
def test_lunar_features_unknown_far_from_the_library_range(year):
    r = row(f"{year}-06-01 12:00")
    assert not r["cal_lunar_available"]
    assert np.isnan(r["cal_days_to_spring_festival"])
    assert np.isnan(r["cal_fireworks_night"])


# ---------------------------------------------------------------- fireworks nights


# Nights 18:00 <= t < 06:00 local after the evenings FIREWORKS_EVENINGS = (-1, 0, 14)
# days from New Year's day. 2016: 除夕 02-07, 初一 02-08, 元宵 02-22.
@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("2016-02-07 17:59", 0.0),
        ("2016-02-07 18:00", 1.0),  # 除夕 evening starts
        ("2016-02-08 00:00", 1.0),  # midnight, the documented peak
        ("2016-02-08 05:59", 1.0),
        ("2016-02-08 06:00", 0.0),  # morning of New Year's day
        ("2016-02-08 17:00", 0.0),
        ("2016-02-08 18:00", 1.0),  # first night of the new year
        ("2016-02-09 05:00", 1.0),
        ("2016-02-09 06:00", 0.0),
        ("2016-02-09 20:00", 0.0),  # 初二 evening is not flagged
        ("2016-02-22 17:00", 0.0),
        ("2016-02-22 18:00", 1.0),  # 元宵 evening
        ("2016-02-23 05:00", 1.0),
        ("2016-02-23 06:00", 0.0),
        ("2016-02-06 20:00", 0.0),  # the evening before 除夕
        ("2016-07-01 22:00", 0.0),
    ],
)
def test_fireworks_night_edges(stamp, expected):
    assert row(stamp)["cal_fireworks_night"] == expected


def test_fireworks_lantern_festival_2015_peak_hour():
    # ecns.cn 2015-03-06: "The Lantern Festival, which fell on Thursday [2015-03-05] ...
    # Peak readings of PM 2.5 ... reached 224 micrograms per cubic meter of air on average
    # at 10 p.m." -> that hour is a fireworks night.
    r = row("2015-03-05 22:00")
    assert r["cal_fireworks_night"] == 1.0
    assert r["cal_days_to_spring_festival"] == FIREWORKS_EVENINGS[-1]


# ---------------------------------------------------------------- heating season


# 《北京市供热采暖管理办法》: "北京市采暖期为当年11月15日至次年3月15日" (both days included).
@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("2016-11-14 23:00", 0.0),
        ("2016-11-15 00:00", 1.0),  # first day
        ("2016-12-31 12:00", 1.0),
        ("2017-01-01 00:00", 1.0),  # the season wraps New Year
        ("2017-03-15 23:00", 1.0),  # last day
        ("2017-03-16 00:00", 0.0),
        ("2017-07-01 12:00", 0.0),
    ],
)
def test_beijing_heating_season_boundaries(stamp, expected):
    r = row(stamp, city="Beijing")
    assert r["cal_heating_available"]
    assert r["cal_heating_season"] == expected


@pytest.mark.parametrize("spelling", ["Beijing", " beijing ", "BEIJING", "北京", "北京市"])
def test_city_spellings(spelling):
    assert row("2016-12-01 12:00", city=spelling)["cal_heating_season"] == 1.0


@pytest.mark.parametrize(
    ("city", "available", "season"),
    [
        ("Tianjin", True, 1.0),  # northern city on the [north_default] season
        ("Shanghai", True, 0.0),  # southern city: no central heating
        ("Guangzhou", True, 0.0),
        ("Atlantis", False, None),
        (None, False, None),
    ],
)
def test_heating_by_city_kind(city, available, season):
    r = row("2017-01-10 12:00", city=city)
    assert r["cal_heating_available"] == available
    if season is None:
        assert np.isnan(r["cal_heating_season"])
    else:
        assert r["cal_heating_season"] == season


def test_heating_per_row_cities_with_missing():
    t = pd.Series(pd.to_datetime(["2017-01-10T04:00Z"] * 4), index=[10, 11, 12, 13])
    cities = pd.Series(["Beijing", None, "Shanghai", "Harbin"], index=t.index)
    f = calendar_features(t, SHANGHAI, cities)
    assert f["cal_heating_available"].tolist() == [True, False, True, False]
    np.testing.assert_array_equal(f["cal_heating_season"], [1.0, np.nan, 0.0, np.nan])


# ---------------------------------------------------------------- time zones


@pytest.mark.parametrize(
    ("tz", "hour", "days_to_sf", "fireworks"),
    [
        # 2016-02-07T17:00Z: Shanghai (UTC+8) 02-08 01:00, Urumqi (UTC+6) 02-07 23:00,
        # London (UTC+0) 02-07 17:00.
        (SHANGHAI, 1, 0.0, 1.0),
        ("Asia/Urumqi", 23, -1.0, 1.0),
        ("Europe/London", 17, -1.0, 0.0),
    ],
)
def test_other_time_zones(tz, hour, days_to_sf, fireworks):
    f = calendar_features(pd.DatetimeIndex(["2016-02-07T17:00Z"]), tz).iloc[0]
    assert (f["cal_hour"], f["cal_days_to_spring_festival"], f["cal_fireworks_night"]) == (
        hour,
        days_to_sf,
        fireworks,
    )


def test_daylight_saving_time_zone():
    # Europe/Berlin switches to CEST (UTC+2) at 2016-03-27T01:00Z
    t = pd.DatetimeIndex(["2016-03-27T00:30Z", "2016-03-27T01:30Z"])
    assert calendar_features(t, "Europe/Berlin")["cal_hour"].tolist() == [1, 3]


def test_per_row_time_zones_and_missing_default():
    t = pd.DatetimeIndex(["2016-01-01T00:00Z"] * 3)
    zones = pd.Series([SHANGHAI, "Asia/Urumqi", None])
    assert calendar_features(t, zones)["cal_hour"].tolist() == [8, 6, 8]


def test_non_utc_aware_input_is_accepted():
    t = pd.DatetimeIndex([pd.Timestamp("2016-02-07 20:00", tz=SHANGHAI)])
    assert calendar_features(t, SHANGHAI)["cal_hour"].tolist() == [20]


# ---------------------------------------------------------------- shape, dtypes, errors


def test_columns_dtypes_index_and_sources():
    t = pd.Series(pd.to_datetime(["2016-01-01T00:00Z", "2016-06-01T00:00Z"]), index=[7, 3])
    f = calendar_features(t, SHANGHAI, "Beijing")
    assert list(f.columns) == list(CALENDAR_COLUMNS)
    assert {c: str(d) for c, d in f.dtypes.items()} == dict(CALENDAR_COLUMNS)
    assert f.index.tolist() == [7, 3]
    assert all(c.startswith("cal_") for c in f.columns)
    assert f.attrs["sources"]["heating_seasons"] == "heating_seasons"
    assert f.attrs["sources"]["holidays"].startswith("chinese-calendar ")
    g = calendar_features(pd.DatetimeIndex(t), SHANGHAI, "Beijing")
    assert isinstance(g.index, pd.RangeIndex)
    pd.testing.assert_frame_equal(g, f.reset_index(drop=True))


def test_empty_input():
    f = calendar_features(pd.DatetimeIndex([], tz="UTC"), SHANGHAI, "Beijing")
    assert f.shape == (0, len(CALENDAR_COLUMNS))
    assert {c: str(d) for c, d in f.dtypes.items()} == dict(CALENDAR_COLUMNS)


def test_rows_are_independent_so_nothing_leaks():
    # Calendar features are known in advance: the features of the rows at issue time T are
    # the same whether or not rows for later valid times (or other stations) are present.
    issue = pd.Timestamp("2016-02-07T16:00Z")
    early = pd.date_range(issue, periods=72, freq="h")
    later = pd.date_range(issue + pd.Timedelta(days=30), periods=500, freq="h")
    alone = calendar_features(early, SHANGHAI, "Beijing")
    rng = np.random.default_rng(0)
    both = early.append(later)
    order = rng.permutation(len(both))
    mixed = calendar_features(both[order], SHANGHAI, "Beijing")
    back = mixed.iloc[np.argsort(order)[: len(early)]].reset_index(drop=True)
    pd.testing.assert_frame_equal(back, alone)


@pytest.mark.parametrize(
    ("valid_at", "match"),
    [
        (pd.DatetimeIndex(["2016-01-01 00:00"]), "naive"),
        (pd.Series(pd.to_datetime(["2016-01-01T00:00Z", None], utc=True)), r"NaT\) at rows \[1\]"),
        (pd.Series(["not a time"]), "expected timezone-aware timestamps"),
    ],
)
def test_bad_valid_at(valid_at, match):
    with pytest.raises(InputDataError, match=match):
        calendar_features(valid_at, SHANGHAI)


def test_unknown_time_zone_names_value_and_row():
    t = pd.Series(pd.to_datetime(["2016-01-01T00:00Z"] * 2), index=["a", "b"])
    zones = pd.Series([SHANGHAI, "Mars/Olympus"], index=t.index)
    with pytest.raises(InputDataError, match=r"'Mars/Olympus' at row 'b'.*Asia/Shanghai"):
        calendar_features(t, zones)


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("timezone", pd.Series([SHANGHAI]), "timezone: 1 values for 2 valid times"),
        ("city", pd.Series(["Beijing"] * 2, index=[5, 6]), "city: the Series index differs"),
    ],
)
def test_per_row_inputs_must_match_rows(field, value, match):
    t = pd.Series(pd.to_datetime(["2016-01-01T00:00Z"] * 2), index=[0, 1])
    kwargs = {"timezone": SHANGHAI, "city": None, field: value}
    with pytest.raises(InputDataError, match=match):
        calendar_features(t, **kwargs)


def test_one_million_rows_fast():
    t = pd.Series(pd.date_range("2013-03-01", periods=1_000_000, freq="h", tz="UTC"))
    calendar_features(t.iloc[:: 24 * 30], SHANGHAI, "Beijing")  # warm the per-year caches
    start = time.process_time()
    f = calendar_features(t, SHANGHAI, "Beijing")
    assert time.process_time() - start < 2.0
    assert len(f) == 1_000_000


def test_per_row_inputs_follow_order_when_valid_at_is_an_index():
    t = pd.DatetimeIndex(["2017-01-10T04:00Z"] * 2)
    cities = pd.Series(["Shanghai", "Beijing"], index=["x", "y"])
    f = calendar_features(t, SHANGHAI, cities)
    assert f["cal_heating_season"].tolist() == [0.0, 1.0]
