"""Value-wise QC checks, with both edges of every threshold."""

from __future__ import annotations

import math

import numpy as np
import pytest

from forecasting.qc.checks import (
    flag_ceiling,
    flag_censored,
    flag_negative,
    flag_out_of_range,
    flag_pm25_gt_pm10,
    flag_values,
)
from forecasting.qc.flags import QcFlag
from forecasting.qc.rules import VariableRule, default_qc_rules

RULES = default_qc_rules()
PM25 = RULES.variable("pm25")
CO = RULES.variable("co")
NH3N = RULES.variable("nh3n")
TEMP = RULES.variable("temp_air")
COND = RULES.variable("cond")


def _one(check, value: float, rule: VariableRule) -> int:  # type: ignore[no-untyped-def]
    return int(check(np.array([value]), rule)[0])


@pytest.mark.parametrize(
    ("value", "flagged"),
    [(0.0, False), (-0.0, False), (-1e-9, True), (-3.0, True), (np.nan, False)],
)
def test_negative_edge(value: float, flagged: bool) -> None:
    assert _one(flag_negative, value, PM25) == (int(QcFlag.NEGATIVE) if flagged else 0)


def test_negative_ignores_variables_that_may_be_negative() -> None:
    assert _one(flag_negative, -15.0, TEMP) == 0


@pytest.mark.parametrize(
    ("rule", "value", "flagged"),
    [
        (PM25, PM25.upper, False),  # upper edge is inside
        (PM25, math.nextafter(PM25.upper, math.inf), True),
        (TEMP, TEMP.lower, False),
        (TEMP, math.nextafter(TEMP.lower, -math.inf), True),
        (TEMP, TEMP.upper, False),
        (TEMP, math.nextafter(TEMP.upper, math.inf), True),
        (COND, COND.lower, False),  # lower bound above 0: 0.007 µS/cm is out of range
        (COND, 0.007, True),
        (PM25, -5.0, False),  # negative is NEGATIVE, not also OUT_OF_RANGE
        (PM25, np.nan, False),
    ],
)
def test_out_of_range_edges(rule: VariableRule, value: float, flagged: bool) -> None:
    assert _one(flag_out_of_range, value, rule) == (int(QcFlag.OUT_OF_RANGE) if flagged else 0)


# shared/data/README.md: "pm25 and pm10 reach 999 ... co reaches 10,000" (µg/m³; 10 mg/m³).
@pytest.mark.parametrize(
    ("rule", "value", "flagged"),
    [
        (PM25, 999.0, True),
        (PM25, 998.0, False),
        (PM25, 999.5, False),
        (CO, 10.0, True),
        (CO, 10_000.0 * 0.001, True),  # after the µg -> mg conversion
        (CO, 9.9, False),
        (CO, 10.1, False),
    ],
)
def test_ceiling_is_equality(rule: VariableRule, value: float, flagged: bool) -> None:
    assert _one(flag_ceiling, value, rule) == (int(QcFlag.CEILING) if flagged else 0)


# shared/data/README.md: "NH3-N is exactly 0.025 mg/L in 27.6 % of rows ... detection-limit floors".
@pytest.mark.parametrize(
    ("value", "flagged"),
    [(0.025, True), (0.0251, False), (0.024, True), (0.0, True), (0.5, False), (-0.1, False)],
)
def test_censored_at_or_below_the_detection_limit(value: float, flagged: bool) -> None:
    assert _one(flag_censored, value, NH3N) == (int(QcFlag.CENSORED) if flagged else 0)


def test_censored_needs_a_detection_limit() -> None:
    assert _one(flag_censored, 0.0, PM25) == 0


def test_flag_values_combines_and_keeps_values() -> None:
    values = np.array([12.0, -1.0, 999.0, 2500.0, np.nan])
    before = values.copy()
    assert flag_values(values, PM25).tolist() == [0, 1, 4, 2, 0]
    np.testing.assert_array_equal(values, before)


@pytest.mark.parametrize(
    ("pm25", "pm10", "tolerance", "flagged"),
    [
        (50.0, 50.0, 0.0, False),  # equal is consistent
        (50.0, 49.9, 0.0, True),
        (50.0, 49.0, 1.0, False),
        (50.0, 48.9, 1.0, True),
        (np.nan, 10.0, 0.0, False),
        (10.0, np.nan, 0.0, False),
    ],
)
def test_pm25_gt_pm10_edges(pm25: float, pm10: float, tolerance: float, flagged: bool) -> None:
    got = flag_pm25_gt_pm10(np.array([pm25]), np.array([pm10]), tolerance)
    assert bool(got[0]) is flagged
