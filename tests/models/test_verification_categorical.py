"""AQI level, ±25 % range and primary-pollutant accuracy; contingency, POD, FAR, CSI.

Sources quoted (secondary; HJ 1130—2020 itself was not read, shared/docs/standards.md §7):
- §7.1 "AQI range accuracy: the model's AQI forecast value ±25% is the forecast range. In
  public code [S15] it counts as correct when 0.75·F ≤ O ≤ 1.25·F."
- §7.1 "AQI level accuracy ... A simpler variant, same level, is used in public code [S15]."
- §7.1 "Primary pollutant: not assessed when the observed level is 1 (优, no primary
  pollutant). At level ≥ 2, correct when the forecast primary pollutant equals the observed
  one (S8)."
- §7.2 CMA (UNVERIFIED): "Primary pollutant | a hit if at least one forecast primary
  matches an observed one".
- §7.1 "Heavy-pollution-day accuracy: computed on days with observed AQI > 200".
- POD = H/(H+M), FAR = F/(H+F), CSI = H/(H+M+F): Jolliffe & Stephenson (2012) §3.2.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import InputDataError, UnknownStandardError
from forecasting.standards.aqi_hj633 import aqi_level
from models.verify_categorical import (
    aqi_range_accuracy_score,
    level_accuracy_score,
    level_within_one_score,
    primary_accuracy_score,
    primary_codes,
)
from models.verify_common import Score
from models.verify_events import (
    Contingency,
    contingency,
    critical_success_index_score,
    false_alarm_ratio_error,
    level_events,
    probability_of_detection_score,
)
from models.verify_standard import load_hj1130

NA = None

# --- levels -------------------------------------------------------------------------------


def test_level_accuracy_and_within_one_hand_example():
    f = [1, 2, 3, 4, 5, NA]
    o = [1, 3, 3, 2, 6, 1]
    # scored pairs: (1,1) hit, (2,3) ±1, (3,3) hit, (4,2) two apart, (5,6) ±1; last dropped
    assert level_accuracy_score(f, o) == Score(2 / 5, 5)
    assert level_within_one_score(f, o) == Score(4 / 5, 5)


@pytest.mark.parametrize("bad", [0, 7, 2.5, -1])
def test_a_value_that_is_not_a_level_is_refused(bad):
    with pytest.raises(InputDataError, match=rf"o_level: {float(bad)} at position 1 .* 1 … 6"):
        level_accuracy_score([1, 2], [1, bad])


def test_levels_as_pandas_nullable_integers():
    f = pd.Series([1, 2, None], dtype="Int64")
    o = pd.Series([1, 1, 3], dtype="Int64")
    assert level_accuracy_score(f, o) == Score(0.5, 2)


# --- ±25 % AQI range (both edges) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("f_aqi", "o_aqi", "hit"),
    [
        (100, 75, True),  # 0.75·F = 75: lower edge, counted correct (≤)
        (100, 74, False),  # just below the lower edge
        (100, 125, True),  # 1.25·F = 125: upper edge, counted correct (≤)
        (100, 126, False),  # just above the upper edge
        (80, 60, True),  # 0.75·80 = 60
        (80, 59.99, False),
        (80, 100, True),  # 1.25·80 = 100
        (80, 100.01, False),
        (0, 0, True),  # degenerate range [0, 0]
    ],
)
def test_aqi_range_rule_at_both_edges(f_aqi, o_aqi, hit):
    assert aqi_range_accuracy_score([f_aqi], [o_aqi]) == Score(1.0 if hit else 0.0, 1)


def test_aqi_range_default_tolerance_comes_from_the_hj1130_data_file():
    rules = load_hj1130()
    assert rules.source.id == "cn_mee_hj1130_2020"
    assert rules.source.status == "secondary"
    assert rules.aqi_range_tolerance == 0.25  # standards.md §7.1: "±25%"
    wider = replace(rules, aqi_range_tolerance=0.5)
    assert aqi_range_accuracy_score([100], [150], rules=wider).value == 1.0
    assert aqi_range_accuracy_score([100], [150]).value == 0.0


def test_aqi_range_edges_survive_binary_rounding():
    # (1 + 0.15)·100 = 114.99999999999999 in binary; the edge O = 115 still counts
    assert aqi_range_accuracy_score([100], [115], tolerance=0.15).value == 1.0
    assert aqi_range_accuracy_score([100], [85], tolerance=0.15).value == 1.0
    assert aqi_range_accuracy_score([100], [115.01], tolerance=0.15).value == 0.0


def test_aqi_range_refuses_negative_aqi_and_bad_tolerance():
    with pytest.raises(InputDataError, match=r"o_aqi: negative AQI -5.0 at position 0"):
        aqi_range_accuracy_score([10], [-5])
    with pytest.raises(InputDataError, match=r"tolerance 1.5 is outside \[0, 1\)"):
        aqi_range_accuracy_score([10], [5], tolerance=1.5)


# --- primary pollutant ----------------------------------------------------------------------

PRIMARY_CASES = [
    # (forecast, observed, observed level)
    ("pm25+pm10", "pm10", 3),  # tie in the forecast, one matches: hit ("any"), miss ("exact")
    ("pm25", "pm25", 2),  # hit
    ("o3", "pm10", 4),  # miss
    ("pm25", "", 1),  # observed level 1: not assessed
    ("", "pm25", 2),  # forecast AQI ≤ 50 on a polluted day: miss
    (NA, "pm25", 3),  # no forecast: dropped
    ("no2", "no2", NA),  # no observed level: dropped
    ("o3", "pm25+o3", 2),  # observed tie: hit ("any"), miss ("exact")
]


@pytest.mark.parametrize(("match", "expected"), [("any", 3 / 5), ("exact", 1 / 5)])
def test_primary_accuracy_ties_and_level_one_days(match, expected):
    f, o, lvl = zip(*PRIMARY_CASES, strict=True)
    rules = replace(load_hj1130(), primary_match=match)
    assert primary_accuracy_score(list(f), list(o), list(lvl), rules=rules) == Score(expected, 5)


def test_primary_default_rule_is_any_and_pm25_pm10_vs_pm10_is_a_hit():
    assert load_hj1130().primary_match == "any"
    assert primary_accuracy_score(["pm25+pm10"], ["pm10"], [3]) == Score(1.0, 1)
    assert primary_accuracy_score(["pm10"], ["pm25+pm10"], [3]) == Score(1.0, 1)


def test_primary_only_level_one_days_gives_nan():
    score = primary_accuracy_score(["pm25", ""], ["", ""], [1, 1])
    assert score.n == 0
    assert math.isnan(score.value)


def test_primary_codes_are_bit_sets_in_hj633_order():
    codes = primary_codes(pd.Series(["pm25", "pm10+pm25", "o3", "", None], dtype="string"))
    assert codes.tolist() == [1, 3, 32, 0, -1]


@pytest.mark.parametrize("bad", ["pm2.5", "PM25", "pm25+", "pm25++pm10"])
def test_unknown_primary_pollutant_names_the_valid_ones(bad):
    with pytest.raises(InputDataError, match=r"f_primary: .* at position 1 .*pm25, pm10, so2"):
        primary_accuracy_score(["pm25", bad], ["pm25", "pm25"], [2, 2])


def test_observed_polluted_day_without_primary_is_refused():
    with pytest.raises(InputDataError, match=r"empty at position 0 although the observed level"):
        primary_accuracy_score(["pm25"], [""], [3])


# --- contingency, POD, FAR, CSI -------------------------------------------------------------

# Constructed case: H = 2 (rows 0, 1), F = 1 (row 2), M = 1 (row 3), CN = 3; row 7 dropped.
F_EVENT = [1, 1, 1, 0, 0, 0, 0, NA]
O_EVENT = [1, 1, 0, 1, 0, 0, 0, 1]


def test_contingency_of_constructed_case():
    table = contingency(F_EVENT, O_EVENT)
    assert table == Contingency(hits=2, misses=1, false_alarms=1, correct_negatives=3)
    assert table.n == 7


@pytest.mark.parametrize(
    ("function", "expected"),
    [
        (probability_of_detection_score, Score(2 / 3, 3)),  # H/(H+M), n = H + M
        (false_alarm_ratio_error, Score(1 / 3, 3)),  # F/(H+F), n = H + F
        (critical_success_index_score, Score(2 / 4, 4)),  # H/(H+M+F), n = H + M + F
    ],
)
def test_event_scores_of_constructed_case(function, expected):
    assert function(F_EVENT, O_EVENT) == expected


@pytest.mark.parametrize(
    ("f_event", "o_event", "pod", "far", "csi"),
    [
        ([0, 0], [0, 0], None, None, None),  # no events at all: all undefined
        ([1, 0], [0, 0], None, 1.0, 0.0),  # forecast but never observed: POD undefined
        ([0, 0], [1, 0], 0.0, None, 0.0),  # observed but never forecast: FAR undefined
    ],
)
def test_zero_denominators_give_nan(f_event, o_event, pod, far, csi):
    got = [
        probability_of_detection_score(f_event, o_event).value,
        false_alarm_ratio_error(f_event, o_event).value,
        critical_success_index_score(f_event, o_event).value,
    ]
    for value, want in zip(got, [pod, far, csi], strict=True):
        assert math.isnan(value) if want is None else value == want


def test_event_flags_accept_booleans_and_refuse_other_numbers():
    assert contingency(np.array([True, False]), pd.Series([True, None], dtype="boolean")) == (
        Contingency(1, 0, 0, 0)
    )
    with pytest.raises(InputDataError, match=r"f_event: 2.0 at position 0 is not an event flag"):
        contingency([2], [1])


@pytest.mark.parametrize(
    ("at_least", "expected"),
    [(3, [0.0, 0.0, 1.0, 1.0, None]), (5, [0.0, 0.0, 0.0, 1.0, None])],
)
def test_level_events(at_least, expected):
    got = level_events([1, 2, 3, 5, None], at_least)
    assert [None if math.isnan(x) else x for x in got] == expected


def test_heavy_pollution_threshold_is_level_five_of_hj633():
    # HJ 1130 heavy-pollution day: observed AQI > 200 (standards.md §7.1); HJ 633 表2/表1:
    # 重度污染 (level 5) is AQI 201–300, level 4 ends at 200. Event "level ≥ 5" is that day.
    above = load_hj1130().heavy_pollution_aqi_above
    assert above == 200
    assert aqi_level([above, above + 1]).tolist() == [4, 5]


def test_hj1130_data_file_values_as_transcribed():
    rules = load_hj1130()
    # standards.md §7.1: "±25%"; "not assessed when the observed level is 1"; "observed
    # AQI > 200"; S8 (UNVERIFIED): correct level share "≥ 60%"; §7.2 CMA (UNVERIFIED):
    # "a hit if at least one forecast primary matches an observed one".
    assert rules.aqi_range_tolerance == 0.25
    assert rules.primary_not_assessed_level == 1
    assert rules.heavy_pollution_aqi_above == 200
    assert rules.level_accuracy_target == 0.60
    assert rules.primary_match == "any"
    assert "UNVERIFIED" in rules.source.notes


def test_unknown_hj1130_file_lists_the_known_one():
    with pytest.raises(UnknownStandardError, match=r"choose one of: cn_mee_hj1130_2020"):
        load_hj1130("hj1130")
