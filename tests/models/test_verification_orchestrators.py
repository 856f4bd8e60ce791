"""verify_hourly, verify_daily, common_cases and the daily truth on small constructed frames.

Every figure of the tidy tables is checked against the pure metric functions applied to
the pairs picked out by plain pandas, so the grouped computation and the joins are tested
against an independent path.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import InputDataError
from models.verification import (
    CONTINUOUS_METRICS,
    INTERVAL_METRICS,
    common_cases,
    daily_observed,
    daily_values,
    verify_daily,
    verify_hourly,
)
from models.verify_categorical import (
    aqi_range_accuracy_score,
    level_accuracy_score,
    level_within_one_score,
    primary_accuracy_score,
)
from models.verify_continuous import mean_absolute_error, pearson_r, root_mean_squared_error
from models.verify_events import critical_success_index_score, probability_of_detection_score
from models.verify_intervals import interval_coverage, pinball_loss

TZ = "Asia/Shanghai"
STATIONS = ["A", "B"]
ISSUES = pd.to_datetime(["2015-03-01 00:00", "2015-03-02 00:00"]).tz_localize(TZ)


def _hourly_forecasts() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    index = pd.MultiIndex.from_product(
        [STATIONS, ISSUES, [1, 2, 3], ["pm25", "co"]],
        names=["station", "issued_at", "lead_h", "variable"],
    )
    fc = index.to_frame(index=False)
    fc["valid_at"] = (fc["issued_at"] + pd.to_timedelta(fc["lead_h"] - 1, unit="h")).dt.tz_convert(
        "UTC"
    )  # forecasts in UTC, observations in local time: the join must match instants
    fc["value"] = rng.uniform(10, 100, len(fc))
    fc["q10"] = fc["value"] - 15
    fc["q90"] = fc["value"] + 15
    fc.loc[3, "value"] = np.nan  # a missing forecast
    return fc


def _hourly_obs() -> pd.DataFrame:
    rng = np.random.default_rng(2)
    hours = pd.date_range("2015-03-01 00:00", "2015-03-02 02:00", freq="h", tz=TZ)
    obs = pd.DataFrame({"station": np.repeat(STATIONS, len(hours)), "time": np.tile(hours, 2)})
    obs["pm25"] = rng.uniform(10, 100, len(obs))
    obs["co"] = rng.uniform(0.2, 2.0, len(obs))
    obs.loc[1, "pm25"] = np.nan  # a missing observation (A, 01:00)
    return obs


def _expected_pairs(fc: pd.DataFrame, obs: pd.DataFrame) -> pd.DataFrame:
    long = obs.melt(["station", "time"], var_name="variable", value_name="obs")
    long["valid_at"] = long.pop("time").dt.tz_convert("UTC")
    return fc.merge(long, on=["station", "valid_at", "variable"], how="left")


def test_verify_hourly_matches_the_pure_functions_per_variable_and_lead():
    fc, obs = _hourly_forecasts(), _hourly_obs()
    table = verify_hourly(fc, obs)
    assert list(table.columns) == ["variable", "lead_h", "metric", "value", "n"]
    assert len(table) == 2 * 3 * (len(CONTINUOUS_METRICS) + len(INTERVAL_METRICS))
    pairs = _expected_pairs(fc, obs)
    checks = {
        "mean_absolute_error": lambda p: mean_absolute_error(p["value"], p["obs"]),
        "root_mean_squared_error": lambda p: root_mean_squared_error(p["value"], p["obs"]),
        "pearson_r": lambda p: pearson_r(p["value"], p["obs"]),
        "pinball_loss_q10": lambda p: pinball_loss(p["obs"], p["q10"], 0.1),
        "pinball_loss_q90": lambda p: pinball_loss(p["obs"], p["q90"], 0.9),
        "interval_coverage_q10_q90": lambda p: interval_coverage(p["obs"], p["q10"], p["q90"]),
    }
    for (variable, lead), group in pairs.groupby(["variable", "lead_h"]):
        rows = table[(table["variable"] == variable) & (table["lead_h"] == lead)]
        got = rows.set_index("metric")
        for metric, check in checks.items():
            want = check(group)
            assert got.loc[metric, "n"] == want.n
            assert got.loc[metric, "value"] == pytest.approx(want.value, nan_ok=True)
    # A's first issue at lead 2: the pm25 observation (01:00) and the co forecast (row 3)
    # are missing, so each of these loses one of its four pairs
    n = table.set_index(["variable", "lead_h", "metric"])["n"]
    assert n[("pm25", 2, "mean_absolute_error")] == 3
    assert n[("co", 2, "mean_absolute_error")] == 3
    assert n[("pm25", 1, "mean_absolute_error")] == 4


def test_long_observations_and_an_obs_column_give_the_same_table():
    fc, obs = _hourly_forecasts(), _hourly_obs()
    wide = verify_hourly(fc, obs)
    long = obs.melt(["station", "time"], var_name="variable", value_name="value")
    pd.testing.assert_frame_equal(verify_hourly(fc, long), wide)
    joined = _expected_pairs(fc, obs)
    pd.testing.assert_frame_equal(verify_hourly(joined), wide)


def test_a_baseline_without_quantiles_scores_nothing_for_them():
    fc = _hourly_forecasts().drop(columns=["q10", "q90"])
    table = verify_hourly(fc, _hourly_obs())
    intervals = table[table["metric"].isin(INTERVAL_METRICS)]
    assert intervals["n"].eq(0).all()
    assert intervals["value"].isna().all()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda fc, obs: (fc, pd.concat([obs, obs.iloc[:1]])), r"appears twice"),
        (
            lambda fc, obs: (fc.assign(valid_at=fc["valid_at"].dt.tz_localize(None)), obs),
            r"valid_at'.*must be tz-aware",
        ),
        (lambda fc, obs: (fc.assign(lead_h=0), obs), r"'lead_h': 0 in row 0 is not a whole"),
        (lambda fc, obs: (fc.drop(columns="variable"), obs), r"missing column\(s\) \['variable'\]"),
        (lambda fc, obs: (fc, obs.drop(columns="co")), r"wide observations.*\['co'\]"),
        (lambda fc, obs: (fc.assign(obs=1.0), obs), r"already have an 'obs' column"),
        (lambda fc, obs: (fc.assign(variable=None), obs), r"forecasts: missing variable in row 0"),
        (
            lambda fc, obs: (fc.assign(station=fc["station"].where(fc.index != 5)), obs),
            r"forecasts: missing station in row 5",
        ),
    ],
)
def test_verify_hourly_bad_input(change, message):
    fc, obs = change(_hourly_forecasts(), _hourly_obs())
    with pytest.raises(InputDataError, match=message):
        verify_hourly(fc, obs)


# --- daily -----------------------------------------------------------------------------------

# Per station-day forecast (aqi, level, primary) and the observed truth, days 1 and 2 of two
# issues at two stations. Dates: issue 03-01 → days 03-01, 03-02; issue 03-02 → 03-02, 03-03.
DAILY_FC = [
    # station, issue, day, aqi, level, primary, pm25
    ("A", 0, 1, 120, 3, "pm25", 90.0),
    ("A", 0, 2, 160, 4, "pm25", 120.0),
    ("A", 1, 1, 45, 1, "", 30.0),
    ("A", 1, 2, 210, 5, "pm25+pm10", 160.0),
    ("B", 0, 1, 80, 2, "pm10", 40.0),
    ("B", 0, 2, 60, 2, "o3", None),
    ("B", 1, 1, 101, 3, "pm25", 76.0),
    ("B", 1, 2, 310, 6, "pm25", 250.0),
]
DAILY_OBS = [
    # station, date, aqi, level, primary, pm25
    ("A", "2015-03-01", 100, 2, "pm25", 75.0),
    ("A", "2015-03-02", 55, 2, "pm10", 35.0),
    ("A", "2015-03-03", 230, 5, "pm10", 150.0),
    ("B", "2015-03-01", 75, 2, "pm10", 30.0),
    ("B", "2015-03-02", 40, 1, "", 25.0),
    ("B", "2015-03-03", 260, 5, "pm25", 200.0),
]


def _daily_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = []
    for station, issue, day, aqi, level, primary, pm25 in DAILY_FC:
        issued = ISSUES[issue]
        date = (issued + pd.Timedelta(days=day - 1)).date()
        base = {"station": station, "issued_at": issued, "day": day, "date": date}
        extra = {"aqi": aqi, "level": level, "primary": primary}
        rows.append({**base, "variable": "pm25", "value": pm25, **extra})
        rows.append({**base, "variable": "o3_8h_max", "value": 100.0, **extra})
    fc = pd.DataFrame(rows)
    fc["q10"], fc["q90"] = fc["value"] * 0.7, fc["value"] * 1.3
    obs = pd.DataFrame(DAILY_OBS, columns=["station", "date", "aqi", "level", "primary", "pm25"])
    obs["o3_8h_max"] = 110.0
    obs["level"] = obs["level"].astype("Int64")
    return fc, obs


def test_verify_daily_aqi_scores_per_day_against_the_pure_functions():
    fc, obs = _daily_frames()
    table = verify_daily(fc, obs).set_index(["variable", "day", "metric"])
    truth = obs.assign(date=pd.to_datetime(obs["date"]).dt.date)
    days = fc.drop_duplicates(["station", "issued_at", "day"]).merge(
        truth, on=["station", "date"], suffixes=("", "_obs")
    )
    for day, d in days.groupby("day"):
        expected = {
            "level_accuracy_score": level_accuracy_score(d["level"], d["level_obs"]),
            "level_within_one_score": level_within_one_score(d["level"], d["level_obs"]),
            "aqi_range_accuracy_score": aqi_range_accuracy_score(d["aqi"], d["aqi_obs"]),
            "primary_accuracy_score": primary_accuracy_score(
                d["primary"], d["primary_obs"], d["level_obs"]
            ),
            "mean_absolute_error": mean_absolute_error(d["aqi"], d["aqi_obs"]),
            "probability_of_detection_score_level_ge5": probability_of_detection_score(
                d["level"] >= 5, d["level_obs"] >= 5
            ),
            "critical_success_index_score_level_ge3": critical_success_index_score(
                d["level"] >= 3, d["level_obs"] >= 3
            ),
        }
        for metric, want in expected.items():
            got = table.loc[("aqi", day, metric)]
            assert got["n"] == want.n, (day, metric)
            assert got["value"] == pytest.approx(want.value, nan_ok=True), (day, metric)


def test_verify_daily_hand_values_of_day_two():
    fc, obs = _daily_frames()
    t = verify_daily(fc, obs).set_index(["variable", "day", "metric"])["value"]
    # day 2: (forecast level, observed level) = (4, 2), (5, 5), (2, 1), (6, 5)
    assert t[("aqi", 2, "level_accuracy_score")] == 1 / 4
    assert t[("aqi", 2, "level_within_one_score")] == 3 / 4  # all but (4, 2)
    # primaries, observed level ≥ 2 only: pm25 vs pm10 (miss), pm25+pm10 vs pm10 (hit),
    # pm25 vs pm25 (hit); B 03-02 is observed level 1, not assessed
    assert t[("aqi", 2, "primary_accuracy_score")] == 2 / 3
    # level ≥ 5: forecast yes/observed yes twice (A 03-03, B 03-03) → POD 1, FAR 0
    assert t[("aqi", 2, "probability_of_detection_score_level_ge5")] == 1.0
    assert t[("aqi", 2, "false_alarm_ratio_error_level_ge5")] == 0.0
    # pm25 day 2: pairs (120, 35), (160, 150), (250, 200); B's 03-02 forecast is missing
    assert t[("pm25", 2, "mean_absolute_error")] == pytest.approx((85 + 10 + 50) / 3)


def test_verify_daily_with_prejoined_observations():
    fc, obs = _daily_frames()
    wide = verify_daily(fc, obs)
    truth = obs.assign(date=pd.to_datetime(obs["date"]).dt.date).rename(
        columns={"aqi": "obs_aqi", "level": "obs_level", "primary": "obs_primary"}
    )
    joined = fc.merge(truth, on=["station", "date"], how="left")
    joined["obs"] = np.where(joined["variable"] == "pm25", joined["pm25"], joined["o3_8h_max"])
    joined = joined.drop(columns=["pm25", "o3_8h_max"])
    pd.testing.assert_frame_equal(verify_daily(joined), wide)


def test_verify_daily_without_aqi_scores_concentrations_only():
    fc, obs = _daily_frames()
    table = verify_daily(fc.drop(columns=["aqi", "level", "primary"]), obs)
    assert set(table["variable"]) == {"pm25", "o3_8h_max"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda fc, obs: (fc.assign(aqi=np.arange(len(fc))), obs), r"different aqi/level/primary"),
        (lambda fc, obs: (fc, pd.concat([obs, obs.iloc[:1]])), r"appears twice"),
        (lambda fc, obs: (fc.assign(level=9), obs), r"level: 9.0 at position 0"),
        (lambda fc, obs: (fc, obs.drop(columns="primary")), r"missing column\(s\) \['primary'\]"),
        (lambda fc, obs: (fc.assign(date="March 1"), obs), r"not dates"),
        (lambda fc, obs: (fc.assign(day=1.5), obs), r"'day': 1.5 in row 0 is not a whole"),
    ],
)
def test_verify_daily_bad_input(change, message):
    fc, obs = change(*_daily_frames())
    with pytest.raises(InputDataError, match=message):
        verify_daily(fc, obs)


@pytest.mark.parametrize("levels", [(1,), (3, 7), (2.5,)])
def test_verify_daily_refuses_event_levels_that_are_not_levels(levels):
    fc, obs = _daily_frames()
    with pytest.raises(InputDataError, match=r"event_levels .*: use HJ 633 levels 2 … 6"):
        verify_daily(fc, obs, event_levels=levels)


# --- common cases ---------------------------------------------------------------------------


def test_common_cases_keeps_what_every_model_forecast():
    fc = _hourly_forecasts()
    persistence = fc.assign(value=fc["value"].where(fc["lead_h"] != 3))
    out = common_cases({"gbm": fc, "persistence": persistence})
    assert len(out["gbm"]) == len(out["persistence"]) == 15  # 16 at leads 1–2, less row 3
    assert (out["gbm"].index == out["persistence"].index).all()
    assert out["gbm"]["value"].notna().all()
    assert out["persistence"]["lead_h"].max() == 2
    with pytest.raises(InputDataError, match=r"forecasts of 'gbm': a case .* appears twice"):
        common_cases({"gbm": pd.concat([fc, fc]), "persistence": persistence})


# --- the observed daily truth and the forecasts' daily values -------------------------------


def _hourly_wide(start: str, days: int, pm25: float) -> pd.DataFrame:
    hours = pd.date_range(start, periods=24 * days, freq="h", tz=TZ)
    frame = pd.DataFrame({"station": "A", "time": hours, "pm25": pm25, "pm10": 60.0})
    return frame.assign(so2=5.0, no2=30.0, co=0.8, o3=90.0)


def test_daily_observed_edition_follows_the_date():
    # HJ 633—2026 is in force from 2026-03-01 (standards.md headline); PM2.5 75 µg/m³ is
    # IAQI 100 under HJ 633—2012 表1 and 114 under HJ 633—2026 表3 (docstring example of
    # daily_aqi_hj633).
    truth = daily_observed(_hourly_wide("2026-02-28", 2, 75.0), TZ)
    assert [str(d) for d in truth["date"]] == ["2026-02-28", "2026-03-01"]
    assert truth["aqi"].tolist() == [100, 114]
    assert truth["standard_id"].tolist() == ["cn_mee_hj633_2012", "cn_mee_hj633_2026"]
    assert truth["gb3095_standard_id"].tolist() == ["cn_mee_gb3095_2012", "cn_mee_gb3095_2026"]
    assert truth["pm25"].tolist() == [75.0, 75.0]


def test_forecast_daily_values_use_the_same_path_as_the_truth():
    obs = _hourly_wide("2015-03-01", 3, 80.0)
    obs.loc[obs.index[30:], "pm25"] = 150.0
    truth = daily_observed(obs, TZ)
    # the same hours issued twice as "forecasts" (long format, valid_at, keyed by issue)
    long = obs.melt(["station", "time"], var_name="variable", value_name="value")
    issues = [long.assign(issued_at=ISSUES[0]), long.assign(issued_at=ISSUES[1])]
    fc = pd.concat(issues).rename(columns={"time": "valid_at"})
    days = daily_values(fc, TZ, keys=("station", "issued_at"), time="valid_at")
    assert len(days) == 2 * len(truth)
    for _, per_issue in days.groupby("issued_at"):
        got = per_issue.drop(columns="issued_at").reset_index(drop=True)
        pd.testing.assert_frame_equal(got, truth)


def test_daily_observed_refuses_naive_times():
    obs = _hourly_wide("2015-03-01", 1, 80.0)
    obs["time"] = obs["time"].dt.tz_localize(None)
    with pytest.raises(InputDataError, match=r"must be tz-aware"):
        daily_observed(obs, TZ)
