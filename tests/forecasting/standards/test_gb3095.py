"""Daily GB 3095 statistics over many stations (forecasting.standards.gb3095)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import InputDataError, UnknownStandardError
from forecasting.standards.gb3095 import (
    daily_max_1h,
    daily_max_8h,
    daily_max_moving,
    daily_means,
    daily_statistics,
    load_gb3095,
    moving_mean,
)

TZ = "Asia/Shanghai"
POLLUTANTS = ["pm25", "pm10", "so2", "no2", "co", "o3"]


def hourly(station: str, start: str, values, var: str = "o3", tz: str = TZ) -> pd.DataFrame:
    """Hourly rows from ``start``; a None value means the row is ABSENT (not NaN)."""
    times = pd.date_range(start, periods=len(values), freq="h", tz=tz)
    frame = pd.DataFrame({"station": station, "time": times, var: values})
    keep = [v is not None for v in values]
    return frame[keep].astype({var: float}).reset_index(drop=True)


def one_day(frame: pd.DataFrame, date: str) -> pd.Series:
    rows = frame[frame["date"] == dt.date.fromisoformat(date)]
    assert len(rows) == 1
    return rows.iloc[0]


# --- 24-h mean: GB 3095 表4 ------------------------------------------------------------


# GB 3095—2026 表4 (§6.4), row SO2/NO2/CO/PM10/PM2.5/NOx 日平均:
# "每日至少有 20 个小时平均浓度值或采样时间".
@pytest.mark.parametrize(("n_hours", "valid"), [(19, False), (20, True), (24, True)])
def test_daily_mean_gb3095_table4_20_hours(n_hours, valid):
    values = [float(10 + h) for h in range(n_hours)] + [None] * (24 - n_hours)
    out = daily_means(hourly("A", "2026-06-01", values, var="pm25"), "pm25")
    row = one_day(out, "2026-06-01")
    assert row["n_pm25"] == n_hours
    if valid:
        assert row["pm25"] == pytest.approx(np.mean([10 + h for h in range(n_hours)]))
    else:
        assert np.isnan(row["pm25"])


def test_daily_mean_nan_values_count_as_missing_like_absent_rows():
    values = [50.0] * 20 + [None] * 4
    absent = hourly("A", "2026-06-01", values, var="pm25")
    nan_rows = hourly("A", "2026-06-01", [50.0] * 20 + [np.nan] * 4, var="pm25")
    pd.testing.assert_frame_equal(daily_means(absent, "pm25"), daily_means(nan_rows, "pm25"))


def test_daily_mean_min_valid_argument_overrides_the_standard():
    values = [50.0] * 19 + [None] * 5
    out = daily_means(hourly("A", "2026-06-01", values, var="pm25"), "pm25", min_valid=18)
    assert one_day(out, "2026-06-01")["pm25"] == 50.0


# --- 8-h mean: GB 3095 表4 ---------------------------------------------------------------


# GB 3095—2026 表4, row O3 8 小时平均: "每 8 小时至少有 6 个小时平均浓度值".
@pytest.mark.parametrize(("n_valid", "expected"), [(5, np.nan), (6, 45.0), (8, 35.0)])
def test_moving_mean_gb3095_table4_6_of_8(n_valid, expected):
    std = load_gb3095()
    assert (std.validity.window_hours_8h, std.validity.min_hours_8h) == (8, 6)
    values = [None] * (8 - n_valid) + [float(10 * h) for h in range(8 - n_valid, 8)]
    frame = hourly("A", "2026-06-01 00:00", values)
    out = moving_mean(frame, "o3", std.validity.window_hours_8h, std.validity.min_hours_8h)
    last = out[out["time"] == pd.Timestamp("2026-06-01 07:00", tz=TZ)].iloc[0]
    assert last["n_o3_8h"] == n_valid
    np.testing.assert_equal(last["o3_8h"], expected)


def test_moving_mean_rows_cover_the_observed_span_and_label_the_last_hour():
    frame = hourly("A", "2026-06-01 03:00", [1.0, None, None, 4.0, 5.0])
    out = moving_mean(frame, "o3", 3, 1)
    stamps = pd.date_range("2026-06-01 03:00", periods=5, freq="h", tz=TZ)
    assert out["time"].tolist() == stamps.tolist()
    np.testing.assert_allclose(out["o3_3h"], [1.0, 1.0, 1.0, 4.0, 4.5])
    assert out["n_o3_3h"].tolist() == [1, 1, 1, 1, 2]


def test_moving_mean_window_does_not_reach_into_another_station():
    a = hourly("A", "2026-06-01", [100.0] * 24)
    b = hourly("B", "2026-06-02", [1.0] * 24)
    out = moving_mean(pd.concat([a, b]), "o3", 24, 1)
    assert out.loc[out["station"] == "B", "o3_24h"].eq(1.0).all()
    assert out.loc[out["station"] == "B", "n_o3_24h"].iloc[0] == 1


# --- O3 daily maximum 8-h mean: HJ 663 §6.1.2 -------------------------------------------


# HJ 663—2013 / HJ 663—2026 §6.1.2, printed p. 3 (secondary):
# "当日8时至24时至少有14个有效8小时平均浓度值。当不满足14个有效数据时，若日最大8小时平均浓度
# 超过浓度限值标准时，统计结果仍有效。" GB 3095—2026 表1: O3 日最大8小时平均 二级 160 µg/m³.
# Hours 00–(H−1) present and the rest absent leave H − 5 valid windows within the day.
@pytest.mark.parametrize(
    ("present_hours", "level", "n_windows", "valid"),
    [
        (19, 100.0, 14, True),  # 14 valid windows: valid
        (18, 100.0, 13, False),  # 13 valid windows, below the limit: invalid
        (18, 160.0, 13, False),  # 13 windows, maximum equal to 160: not "超过", invalid
        (18, 160.5, 13, True),  # 13 windows, maximum above 160: still valid
        (24, 160.0, 17, True),
    ],
)
@pytest.mark.parametrize("edition", ["cn_mee_gb3095_2012", "cn_mee_gb3095_2026"])
def test_mda8_hj663_14_windows_and_exceedance(present_hours, level, n_windows, valid, edition):
    values = [level] * present_hours + [None] * (24 - present_hours)
    frame = hourly("A", "2026-06-01", values)
    row = one_day(daily_max_8h(frame, standard=edition), "2026-06-01")
    assert row["n_o3_8h"] == n_windows
    assert row["o3_8h_max_valid"] == valid
    if valid:
        assert row["o3_8h_max"] == level
    else:
        assert np.isnan(row["o3_8h_max"])


# GB 3095—2026 表1: O3 日最大8小时平均 一级 100 µg/m³ (transition and final stage).
@pytest.mark.parametrize(("level", "valid"), [(100.0, False), (101.0, True)])
def test_mda8_exceedance_uses_the_zone_class_limit(level, valid):
    frame = hourly("A", "2026-06-01", [level] * 18 + [None] * 6)
    row = one_day(daily_max_8h(frame, zone_class=1), "2026-06-01")
    assert row["o3_8h_max_valid"] == valid


def test_mda8_windows_need_6_valid_hours():
    # Valid hours h % 8 in {0..4}: every 8-h window holds 5 valid hours -> no valid window;
    # {0..5}: 6 valid hours -> all 17 windows valid (GB 3095 表4 8-h rule).
    five = [50.0 if h % 8 < 5 else None for h in range(24)]
    six = [50.0 if h % 8 < 6 else None for h in range(24)]
    assert one_day(daily_max_8h(hourly("A", "2026-06-01", five)), "2026-06-01")["n_o3_8h"] == 0
    assert one_day(daily_max_8h(hourly("A", "2026-06-01", six)), "2026-06-01")["n_o3_8h"] == 17


def test_mda8_is_the_maximum_of_the_windows_within_the_day():
    values = [0.0] * 24
    values[10:18] = [80.0, 80.0, 160.0, 160.0, 160.0, 160.0, 80.0, 80.0]
    row = one_day(daily_max_8h(hourly("A", "2026-06-01", values)), "2026-06-01")
    assert row["o3_8h_max"] == pytest.approx(120.0)


# --- day boundary under both hour-label conventions --------------------------------------


def test_daily_mean_day_boundary_start_and_end_labels():
    frame = hourly("A", "2026-06-01 00:00", [10.0] * 24 + [20.0] * 24, var="pm25")
    start = daily_means(frame, "pm25", hour_label="start")
    assert start["date"].tolist() == [dt.date(2026, 6, 1), dt.date(2026, 6, 2)]
    assert start["pm25"].tolist() == [10.0, 20.0]
    end = daily_means(frame, "pm25", hour_label="end")
    # Hour-ending: stamp 06-01 00:00 is 24:00 of 05-31; day 06-01 is stamps 01:00 … 06-02 00:00.
    assert end["date"].tolist() == [dt.date(2026, 5, 31), dt.date(2026, 6, 1), dt.date(2026, 6, 2)]
    assert end["n_pm25"].tolist() == [1, 24, 23]
    assert end["pm25"].iloc[1] == pytest.approx((23 * 10 + 20) / 24)
    assert np.isnan(end["pm25"].iloc[0])


@pytest.mark.parametrize(
    ("hour_label", "max_0601", "max_0602"), [("start", 50.0, 150.0), ("end", 150.0, 50.0)]
)
def test_mda8_day_boundary_start_and_end_labels(hour_label, max_0601, max_0602):
    # A spike at stamp 06-02 00:00: hour 00–01 of 06-02 (start label) or 24:00 of 06-01 (end).
    values = [50.0] * 72
    values[48] = 850.0
    frame = hourly("A", "2026-06-01 00:00", values[24:])
    frame = pd.concat([hourly("A", "2026-05-31 00:00", values[:24]), frame])
    out = daily_max_8h(frame, hour_label=hour_label)
    assert one_day(out, "2026-06-01")["o3_8h_max"] == pytest.approx(max_0601)
    assert one_day(out, "2026-06-02")["o3_8h_max"] == pytest.approx(max_0602)


def test_moving_mean_end_labels_keep_the_input_stamps():
    frame = hourly("A", "2026-06-01 01:00", [1.0, 2.0, 3.0])
    out = moving_mean(frame, "o3", 2, 1, hour_label="end")
    assert out["time"].tolist() == frame["time"].tolist()
    assert out["o3_2h"].tolist() == [1.0, 1.5, 2.5]


def test_unknown_hour_label_lists_the_options():
    with pytest.raises(UnknownStandardError, match="'middle'.*end, start"):
        daily_means(hourly("A", "2026-06-01", [1.0], var="pm25"), "pm25", hour_label="middle")


# --- time zones ------------------------------------------------------------------------


def test_tz_argument_sets_the_local_day():
    local = hourly("A", "2026-06-01 00:00", [float(h) for h in range(24)], var="pm25")
    as_utc = local.assign(time=local["time"].dt.tz_convert("UTC"))
    expected = daily_means(local, "pm25")
    got = daily_means(as_utc, "pm25", tz=TZ)
    pd.testing.assert_frame_equal(got.drop(columns="date"), expected.drop(columns="date"))
    assert got["date"].tolist() == expected["date"].tolist()
    # Without tz, the UTC stamps split the Beijing day into two UTC days.
    assert len(daily_means(as_utc, "pm25")) == 2


@pytest.mark.parametrize(("date", "n_hours"), [("2026-03-29", 23), ("2026-10-25", 25)])
def test_daylight_saving_days_have_23_or_25_hours(date, n_hours):
    start = (pd.Timestamp(date, tz="Europe/Berlin") - pd.Timedelta(days=1)).tz_convert("UTC")
    times = pd.date_range(start, periods=96, freq="h").tz_convert("Europe/Berlin")
    frame = pd.DataFrame({"station": "B", "time": times, "pm25": 10.0})
    assert one_day(daily_means(frame, "pm25"), date)["n_pm25"] == n_hours


# --- many stations, gaps, unsorted input, long format ----------------------------------


def _network(seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for station, start, n in [
        ("A", "2026-06-01", 72),
        ("B", "2026-06-01", 72),
        ("C", "2026-06-02", 48),
    ]:
        times = pd.date_range(start, periods=n, freq="h", tz=TZ)
        values = {p: rng.uniform(1, 300, n) for p in POLLUTANTS}
        frames.append(pd.DataFrame({"station": station, "time": times, **values}))
    a, b, c = frames
    a = a.drop(index=range(5, 11))  # station A: 6 absent hours on day 1
    b.loc[24:29, ["pm25", "o3"]] = np.nan  # station B: NaN values on day 2
    c = c.drop(index=range(30, 48))  # station C: starts a day later, ends early
    return pd.concat([a, b, c], ignore_index=True)


def test_many_stations_equal_one_station_at_a_time():
    network = _network()
    shuffled = network.sample(frac=1.0, random_state=1)
    together = daily_statistics(shuffled)
    alone = pd.concat(
        [daily_statistics(network[network["station"] == s]) for s in ("A", "B", "C")],
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(together, alone)
    assert together.groupby("station")["date"].count().to_dict() == {"A": 3, "B": 3, "C": 2}
    a1 = one_day(together[together["station"] == "A"], "2026-06-01")
    assert a1["n_pm25"] == 18
    assert np.isnan(a1["pm25"])
    c2 = one_day(together[together["station"] == "C"], "2026-06-03")
    assert c2["n_pm25"] == 6
    assert np.isnan(c2["pm25"])


def test_daily_means_match_a_plain_groupby_where_enough_hours():
    network = _network()
    out = daily_means(network, POLLUTANTS)
    local = network.assign(date=network["time"].dt.date)
    ref = local.groupby(["station", "date"])[POLLUTANTS].agg(["mean", "count"])
    for p in POLLUTANTS:
        expected = ref[(p, "mean")].where(ref[(p, "count")] >= 20)
        np.testing.assert_allclose(out[p].to_numpy(), expected.to_numpy(), rtol=1e-12)
        assert out[f"n_{p}"].tolist() == ref[(p, "count")].tolist()


def test_long_format_equals_wide_format():
    network = _network()
    long = network.melt(id_vars=["station", "time"], var_name="variable", value_name="value")
    pd.testing.assert_frame_equal(daily_statistics(long), daily_statistics(network))


# --- daily maximum 1-h (configuration) and generic moving maxima -------------------------


# Not in GB 3095 or HJ 633: ecocast requires 18 valid hours (cn_mee_gb3095_2026 [configuration]).
@pytest.mark.parametrize(("n_hours", "valid"), [(17, False), (18, True)])
def test_daily_max_1h_configured_minimum(n_hours, valid):
    assert load_gb3095().configuration.daily_max_1h_min_hours == 18
    values = [float(h) for h in range(n_hours)] + [None] * (24 - n_hours)
    row = one_day(daily_max_1h(hourly("A", "2026-06-01", values), "o3"), "2026-06-01")
    assert row["n_o3"] == n_hours
    np.testing.assert_equal(row["o3_1h_max"], n_hours - 1.0 if valid else np.nan)


@pytest.mark.parametrize(
    ("windows", "expected"),
    [
        ("within", [10.5, 5.5]),  # 2-h windows inside each day: 22–23 h and 00–01 h
        ("ending", [10.5, 15.0]),  # the window ending 06-02 00:00 starts 06-01 23:00
        ("starting", [15.0, 5.5]),  # the window starting 06-01 23:00 ends 06-02 00:00
    ],
)
def test_daily_max_moving_window_sets(windows, expected):
    values = [1.0] * 48
    values[23], values[24] = 20.0, 10.0  # 06-01 23:00 and 06-02 00:00
    out = daily_max_moving(hourly("A", "2026-06-01", values), "o3", 2, 2, windows=windows)
    assert out["o3_2h_max"].tolist() == expected


def test_daily_max_moving_min_windows():
    values = [1.0] * 10 + [None] * 14
    frame = hourly("A", "2026-06-01", values)
    assert daily_max_moving(frame, "o3", 8, 6, min_windows=5)["n_o3_8h"].tolist() == [5]
    assert daily_max_moving(frame, "o3", 8, 6, min_windows=5)["o3_8h_max"].tolist() == [1.0]
    assert np.isnan(daily_max_moving(frame, "o3", 8, 6, min_windows=6)["o3_8h_max"].iloc[0])


@pytest.mark.parametrize(("window_h", "min_valid"), [(8, 9), (8, 0)])
def test_impossible_window_minimum_is_refused(window_h, min_valid):
    with pytest.raises(InputDataError, match=f"minimum of {min_valid} valid"):
        moving_mean(hourly("A", "2026-06-01", [1.0]), "o3", window_h, min_valid)


# --- daily_statistics -----------------------------------------------------------------


def test_daily_statistics_columns_and_source():
    out = daily_statistics(_network())
    assert list(out.columns) == [
        "station", "date", "pm25", "pm10", "so2", "no2", "co", "o3_8h_max", "o3_1h_max",
        "so2_1h_max", "no2_1h_max", "co_8h_max", "n_pm25", "n_pm10", "n_so2", "n_no2",
        "n_co", "n_o3", "n_o3_8h", "n_co_8h",
    ]  # fmt: skip
    assert out.attrs["standard"] == "cn_mee_gb3095_2026"
    assert out.attrs["sources"] == ["cn_mee_gb3095_2026", "cn_mee_hj663_2026"]
    assert str(out["date"].dtype) == "date32[day][pyarrow]"
    old = daily_statistics(_network(), standard="cn_mee_gb3095_2012")
    assert old.attrs["sources"] == ["cn_mee_gb3095_2012", "cn_mee_hj663_2013"]


def test_daily_statistics_co_8h_max_needs_14_windows():
    # Configuration: CO 8-h windows within the day, 6 valid hours each, 14 valid windows.
    values = [2.0] * 18 + [np.nan] * 6  # 13 valid windows; the other pollutants are complete
    frame = hourly("A", "2026-06-01", values, var="co")
    for p in POLLUTANTS:
        if p != "co":
            frame[p] = 1.0
    row = one_day(daily_statistics(frame), "2026-06-01")
    assert row["n_co_8h"] == 13
    assert np.isnan(row["co_8h_max"])
    assert row["o3_8h_max"] == 1.0
    assert row["n_o3_8h"] == 17


def test_daily_statistics_requires_all_pollutant_columns():
    with pytest.raises(InputDataError, match=r"no column for \['pm25', 'pm10'"):
        daily_statistics(hourly("A", "2026-06-01", [1.0]))


# --- the real Beijing file (UCI multi-site, 12 stations, 2013-03-01 … 2016-02-29) -----------


def test_beijing_daily_statistics(beijing_observations_path: Path):
    obs = pd.read_csv(beijing_observations_path)
    obs["co"] = obs["co"] / 1000.0  # the UCI file has CO in µg/m³; canonical is mg/m³
    out = daily_statistics(obs)
    assert len(out) == 12 * 1096
    assert out.groupby("station")["date"].nunique().eq(1096).all()
    assert out["date"].min() == dt.date(2013, 3, 1)
    assert out["date"].max() == dt.date(2016, 2, 29)
    local = obs.assign(date=pd.to_datetime(obs["time"]).dt.date)
    ref = local.groupby(["station", "date"])[POLLUTANTS].agg(["mean", "count"])
    for p in ["pm25", "pm10", "so2", "no2", "co"]:
        full = (ref[(p, "count")] == 24).to_numpy()
        assert full.sum() > 9_000
        np.testing.assert_allclose(out[p].to_numpy()[full], ref[(p, "mean")].to_numpy()[full])
        assert (out[f"n_{p}"].to_numpy() == ref[(p, "count")].to_numpy()).all()
