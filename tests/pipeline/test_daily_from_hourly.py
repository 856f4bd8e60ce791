"""Daily forecasts from hourly ones: day numbering, HJ 633 AQI, O3 statistics, the contract.

The AQI figures are computed by hand from the tables in shared/docs/standards.md §1:

HJ 633—2012 表1 (IAQI breakpoints, µg/m³; CO mg/m³)::

    IAQI       0   50   100   150   200
    PM2.5 24h  0   35    75   115   150
    PM10 24h   0   50   150   250   350
    SO2 24h    0   50   150   475   800
    NO2 24h    0   40    80   180   280
    CO 24h     0    2     4    14    24
    O3 1h      0  160   200   300   400
    O3 8h      0  100   160   215   265

HJ 633—2026 表3: the same except PM2.5 日平均 0/35/60/115/150 and PM10 日平均 0/50/120/250/350.

IAQI = (IAQI_Hi − IAQI_Lo)/(BP_Hi − BP_Lo)·(C − BP_Lo) + IAQI_Lo (式(1)), rounded **up** to an
integer in both editions (2012 §6.2 "全部进位取整数", 2026 §4.2.6 "全部向上进位取整数").
Concentrations: HJ 633—2012 states no rounding rule, so ecocast indexes them as given
(``cn_mee_hj633_2012.toml``: ``concentration = "none"``); HJ 633—2026 §4.2.2 rounds µg/m³ to an
integer by GB/T 8170, which ecocast reads as round-half-even (``cn_mee_hj633_2026.toml``:
``concentration = "half_even"``). Levels (表2 / 表1): AQI 0–50 → 1, 51–100 → 2, 101–150 → 3,
151–200 → 4, 201–300 → 5, > 300 → 6. Primary pollutant only when AQI > 50.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import InputDataError
from forecasting.pipeline.daily import DAILY_COLUMNS, daily_from_hourly, first_full_day
from models.verify_truth import DAILY_VARIABLES, HOURLY_VARIABLES

TZ = "Asia/Shanghai"
# Low background values: their IAQIs (2012 and 2026 alike) stay below the PM2.5 IAQI tested.
# PM10 40 → 40; SO2 10 → 10; NO2 20 → 25; CO 0.5 → ceil(12.5) = 13;
# O3 50 → 8 h: 25, 1 h: ceil(15.625) = 16.
BACKGROUND = {"pm10": 40.0, "so2": 10.0, "no2": 20.0, "co": 0.5, "o3": 50.0}

Path = Callable[[pd.DataFrame], np.ndarray]


def hourly(
    issue_local: str,
    leads: int,
    paths: dict[str, float | Path],
    *,
    stations: tuple[str, ...] = ("A",),
) -> pd.DataFrame:
    """Long hourly forecasts of one issue; a path is a constant or f(keys) → values."""
    issued = pd.Timestamp(issue_local, tz=TZ)
    parts = []
    for station in stations:
        lead = np.arange(1, leads + 1)
        keys = pd.DataFrame(
            {
                "station": station,
                "issued_at": issued,
                "valid_at": issued + pd.to_timedelta(lead - 1, unit="h"),
                "lead_h": lead,
            }
        )
        for variable, path in paths.items():
            value = np.full(leads, path, dtype=float) if not callable(path) else path(keys)
            parts.append(keys.assign(variable=variable, value=value, q10=value, q90=value))
    return pd.concat(parts, ignore_index=True)


def _lead(keys: pd.DataFrame) -> np.ndarray:
    return keys["lead_h"].to_numpy(dtype=float)


def _ceil_iaqi(c: float, bp_lo: float, bp_hi: float, i_lo: float, i_hi: float) -> int:
    return math.ceil(round((i_hi - i_lo) / (bp_hi - bp_lo) * (c - bp_lo) + i_lo, 9))


def test_first_full_day_midnight_and_afternoon() -> None:
    issued = pd.Series(
        pd.DatetimeIndex(
            [pd.Timestamp("2015-04-20 00:00", tz=TZ), pd.Timestamp("2015-04-20 16:00", tz=TZ)]
        ).tz_convert("UTC")
    )
    first = first_full_day(issued, TZ)
    assert [str(d) for d in first] == ["2015-04-20", "2015-04-21"]


def test_issue_at_midnight_day1_is_date_of_issue_leads_1_to_24() -> None:
    daily = daily_from_hourly(hourly("2015-04-20 00:00", 72, {"pm25": _lead}), TZ)
    pm25 = daily.loc[daily["variable"] == "pm25"].set_index("day")
    assert list(pm25.index) == [1, 2, 3]
    assert list(pm25["date"]) == ["2015-04-20", "2015-04-21", "2015-04-22"]
    # value = lead [h]: day 1 is the mean of leads 1..24, day 2 of 25..48, day 3 of 49..72.
    assert pm25.loc[1, "value"] == pytest.approx(np.mean(np.arange(1, 25)))
    assert pm25.loc[2, "value"] == pytest.approx(np.mean(np.arange(25, 49)))
    assert pm25.loc[3, "value"] == pytest.approx(np.mean(np.arange(49, 73)))


def test_issue_at_16h_day1_is_next_date_and_80_leads_reach_end_of_day3() -> None:
    frame = hourly("2015-04-20 16:00", 80, {"pm25": _lead})
    last = frame["valid_at"].max().tz_convert(TZ)
    assert last == pd.Timestamp("2015-04-23 23:00", tz=TZ)  # lead 80 = T + 79 h
    daily = daily_from_hourly(frame, TZ)
    pm25 = daily.loc[daily["variable"] == "pm25"].set_index("day")
    assert list(pm25.index) == [1, 2, 3]  # the 8 hours of the issue date are not a day
    assert list(pm25["date"]) == ["2015-04-21", "2015-04-22", "2015-04-23"]
    # 00:00 of 2015-04-21 is T + 8 h, lead 9: day 1 = leads 9..32, day 3 = leads 57..80.
    assert pm25.loc[1, "value"] == pytest.approx(np.mean(np.arange(9, 33)))
    assert pm25.loc[2, "value"] == pytest.approx(np.mean(np.arange(33, 57)))
    assert pm25.loc[3, "value"] == pytest.approx(np.mean(np.arange(57, 81)))
    assert pm25["aqi"].notna().all()


def test_issue_at_16h_with_72_leads_leaves_day3_incomplete_but_integer() -> None:
    # Day 3 has 16 forecast hours, fewer than the 20 a 24-h mean needs (GB 3095 表4).
    daily = daily_from_hourly(hourly("2015-04-20 16:00", 72, {"pm25": 80.0}), TZ)
    pm25 = daily.loc[daily["variable"] == "pm25"].set_index("day")
    assert pm25.loc[[1, 2], "value"].tolist() == [80.0, 80.0]
    day3 = pm25.loc[[3]]
    assert day3["value"].isna().all()
    assert day3["aqi"].isna().all()
    assert day3["level"].isna().all()
    assert pm25.loc[[1, 2], "aqi"].tolist() == [107, 107]
    assert pd.api.types.is_integer_dtype(daily["aqi"])
    assert pd.api.types.is_integer_dtype(daily["level"])


@pytest.mark.parametrize(
    ("issue", "pm25", "aqi", "level"),
    [
        # 2012: 75→100, 115→150: 100 + 50/40·(80 − 75) = 106.25 → 107.
        ("2015-04-20 00:00", 80.0, _ceil_iaqi(80.0, 75, 115, 100, 150), 3),
        # 2012 indexes 75.5 as given: 100.625 → 101 (rounded to 76 first it would be 102).
        ("2015-04-20 00:00", 75.5, _ceil_iaqi(75.5, 75, 115, 100, 150), 3),
        # 2012: 150 is the IAQI-200 breakpoint exactly: 200, level 4 (151–200).
        ("2015-04-20 00:00", 150.0, 200, 4),
        # 2026: 60→100, 115→150; 78.5 rounds half-even to 78: 100 + 50/55·18 = 116.36 → 117
        # (half-up, 79, would give 117.27 → 118).
        ("2026-04-20 00:00", 78.5, _ceil_iaqi(78.0, 60, 115, 100, 150), 3),
        # 2026: 80 → 100 + 50/55·20 = 118.18 → 119.
        ("2026-04-20 00:00", 80.0, _ceil_iaqi(80.0, 60, 115, 100, 150), 3),
    ],
)
def test_constant_forecast_gives_hj633_aqi_by_hand(
    issue: str, pm25: float, aqi: int, level: int
) -> None:
    assert (
        _ceil_iaqi(80.0, 75, 115, 100, 150),
        _ceil_iaqi(75.5, 75, 115, 100, 150),
        _ceil_iaqi(78.0, 60, 115, 100, 150),
    ) == (107, 101, 117)
    daily = daily_from_hourly(hourly(issue, 72, {"pm25": pm25, **BACKGROUND}), TZ)
    assert set(daily["day"]) == {1, 2, 3}
    assert (daily["aqi"] == aqi).all()
    assert (daily["level"] == level).all()
    assert (daily["primary"] == "pm25").all()
    values = daily.pivot_table(index="day", columns="variable", values="value")
    assert (values["pm25"] == pm25).all()
    assert (values["co"] == 0.5).all()


def test_clean_air_has_no_primary_pollutant() -> None:
    # PM2.5 20 → 2012: 50/35·20 = 28.6 → 29; the AQI is 40 (PM10), ≤ 50: no primary, level 1.
    daily = daily_from_hourly(hourly("2015-04-20 00:00", 72, {"pm25": 20.0, **BACKGROUND}), TZ)
    assert (daily["aqi"] == 40).all()
    assert (daily["level"] == 1).all()
    assert (daily["primary"] == "").all()


def test_two_stations_keep_their_own_aqi() -> None:
    def by_station(keys: pd.DataFrame) -> np.ndarray:
        return np.where(keys["station"] == "A", 80.0, 150.0)

    frame = hourly("2015-04-20 00:00", 72, {"pm25": by_station, **BACKGROUND}, stations=("A", "B"))
    daily = daily_from_hourly(frame, TZ)
    aqi = daily.groupby("station")["aqi"].unique()
    assert aqi["A"].tolist() == [107]
    assert aqi["B"].tolist() == [200]


def test_ozone_daily_statistics_present() -> None:
    # O3 rises through the day: 30 + 4 · local hour + 10 · day index [µg/m³].
    def ozone(keys: pd.DataFrame) -> np.ndarray:
        local = pd.DatetimeIndex(keys["valid_at"]).tz_convert(TZ)
        day = (local.normalize() - local[0].normalize()).days
        return np.asarray(30.0 + 4.0 * local.hour + 10.0 * day, dtype=float)

    frame = hourly("2015-04-20 00:00", 72, {"pm25": 60.0, "o3": ozone})
    daily = daily_from_hourly(frame, TZ)
    assert set(daily["variable"]) == {"pm25", "o3_8h_max", "o3_1h_max"}
    o3 = frame.loc[frame["variable"] == "o3", "value"].to_numpy().reshape(3, 24)
    for day in (1, 2, 3):
        hours = o3[day - 1]
        # MDA8: the 17 8-h windows within the day (hours 0–7 … 16–23), HJ 663 §6.1.2.
        mda8 = max(hours[k : k + 8].mean() for k in range(17))
        rows = daily.loc[daily["day"] == day].set_index("variable")["value"]
        assert rows["o3_1h_max"] == pytest.approx(hours.max())
        assert rows["o3_8h_max"] == pytest.approx(mda8)
        assert rows["o3_1h_max"] == pytest.approx(30 + 4 * 23 + 10 * (day - 1))


def test_quantiles_bracket_the_value_when_hourly_paths_are_ordered() -> None:
    rng = np.random.default_rng(7)
    frames = []
    for issue in ("2015-04-20 00:00", "2015-04-21 00:00", "2015-04-20 16:00"):
        frame = hourly(
            issue,
            80,
            dict.fromkeys(HOURLY_VARIABLES, 1.0),
            stations=("A", "B", "C"),
        )
        scale = np.where(frame["variable"] == "co", 0.02, 1.0)
        value = rng.lognormal(np.log(60.0), 0.6, len(frame)) * scale
        frame["value"] = value
        frame["q10"] = value * rng.uniform(0.4, 1.0, len(frame))
        frame["q90"] = value * rng.uniform(1.0, 1.8, len(frame))
        frames.append(frame)
    hourly_all = pd.concat(frames, ignore_index=True)
    daily = daily_from_hourly(hourly_all, TZ)
    assert set(daily["variable"]) == set(DAILY_VARIABLES)
    finite = daily["value"].notna()
    assert finite.mean() > 0.9
    rows = daily.loc[finite]
    assert (rows["q10"] <= rows["value"] + 1e-9).all()
    assert (rows["value"] <= rows["q90"] + 1e-9).all()
    assert (rows["aqi_low"] <= rows["aqi"]).all()
    assert (rows["aqi"] <= rows["aqi_high"]).all()
    # The daily q10 is the same statistic of the hourly q10 path (a 24-h mean for PM2.5).
    one = hourly_all.loc[
        (hourly_all["station"] == "B")
        & (hourly_all["variable"] == "pm25")
        & (hourly_all["issued_at"] == pd.Timestamp("2015-04-21 00:00", tz=TZ))
    ]
    local_date = pd.DatetimeIndex(one["valid_at"]).tz_convert(TZ).strftime("%Y-%m-%d")
    expected = one.groupby(local_date)["q10"].mean()
    got = daily.loc[
        (daily["station"] == "B")
        & (daily["variable"] == "pm25")
        & (daily["issued_at"] == pd.Timestamp("2015-04-21 00:00", tz=TZ))
    ].set_index("date")["q10"]
    assert got.to_dict() == pytest.approx(expected.loc[got.index].to_dict())


def test_contract_columns_and_dtypes() -> None:
    frame = hourly("2015-04-20 00:00", 72, {"pm25": 80.0, **BACKGROUND}, stations=("A", "B"))
    frame = pd.concat(
        [frame, hourly("2015-04-21 00:00", 72, {"pm25": 30.0, **BACKGROUND}, stations=("A", "B"))],
        ignore_index=True,
    )
    daily = daily_from_hourly(frame, TZ)
    assert list(daily.columns) == [*DAILY_COLUMNS, "aqi_low", "aqi_high"]
    assert len(daily) == 2 * 2 * 3 * len(DAILY_VARIABLES)
    assert set(daily["variable"]) == set(DAILY_VARIABLES)
    assert pd.api.types.is_string_dtype(daily["station"])
    assert isinstance(daily["issued_at"].dtype, pd.DatetimeTZDtype)
    assert pd.api.types.is_string_dtype(daily["date"])
    assert all(isinstance(d, str) for d in daily["date"])
    assert daily["date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert daily["day"].dtype == np.int64
    assert set(daily["day"]) == {1, 2, 3}
    for column in ("value", "q10", "q90"):
        assert daily[column].dtype == np.float64
    for column in ("aqi", "level", "aqi_low", "aqi_high"):
        assert pd.api.types.is_integer_dtype(daily[column]), column
    assert daily["level"].between(1, 6).all()
    assert pd.api.types.is_string_dtype(daily["primary"])
    # One AQI per station-day, repeated on its rows.
    per_day = daily.groupby(["station", "issued_at", "day"])[["aqi", "level", "primary"]].nunique()
    assert (per_day == 1).all().all()
    # Sorted by issue, station, day, variable.
    keys = daily[["issued_at", "station", "day", "variable"]]
    assert keys.equals(keys.sort_values(list(keys.columns), ignore_index=True))


def test_missing_column_or_empty_frame_is_refused() -> None:
    frame = hourly("2015-04-20 00:00", 72, {"pm25": 80.0})
    with pytest.raises(InputDataError, match="q90"):
        daily_from_hourly(frame.drop(columns=["q90"]), TZ)
    with pytest.raises(InputDataError, match="no rows"):
        daily_from_hourly(frame.iloc[:0], TZ)
