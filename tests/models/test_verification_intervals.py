"""Pinball loss, interval coverage and the reliability table, on hand-computed cases.

Pinball (check) loss, Koenker & Bassett (1978); Gneiting & Raftery (2007) eq. (26):
    L_τ(o, q) = τ·(o − q) if o ≥ q, else (1 − τ)·(q − o).
Coverage of [q10, q90]: share of observations with q10 ≤ o ≤ q90 (nominal 0.8).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import InputDataError
from models.verify_common import Score
from models.verify_intervals import interval_coverage, pinball_loss, reliability_table

NAN = float("nan")
# o − q = 5, 0, −10 for the scored pairs; the 4th pair has no quantile and is dropped.
OBS = [10.0, 10.0, 10.0, 10.0]
QUANTILE = [5.0, 10.0, 20.0, NAN]


@pytest.mark.parametrize(
    ("tau", "expected"),
    [
        (0.1, (0.1 * 5 + 0.0 + 0.9 * 10) / 3),  # q10: under-forecast cheap, over-forecast dear
        (0.9, (0.9 * 5 + 0.0 + 0.1 * 10) / 3),  # q90: the other way round
        (0.5, (0.5 * 5 + 0.0 + 0.5 * 10) / 3),  # τ = 0.5 is half the absolute error
    ],
)
def test_pinball_loss_hand_example(tau, expected):
    assert pinball_loss(OBS, QUANTILE, tau) == Score(pytest.approx(expected, rel=1e-12), 3)


@pytest.mark.parametrize("tau", [0.0, 1.0, -0.1, 1.5])
def test_pinball_loss_refuses_tau_outside_the_open_unit_interval(tau):
    with pytest.raises(InputDataError, match=rf"tau={tau} is outside \(0, 1\)"):
        pinball_loss([1.0], [1.0], tau)


def test_interval_coverage_edges_crossed_and_missing():
    obs = [5.0, 10.0, 20.0, 30.0, NAN, 15.0]
    lo = [4.0, 10.0, 10.0, 10.0, 1.0, 20.0]
    hi = [6.0, 20.0, 20.0, 20.0, 2.0, 10.0]
    # inside; on the lower bound (inside); on the upper bound (inside); above (outside);
    # no observation (dropped); crossed interval [20, 10] (covers nothing)
    assert interval_coverage(obs, lo, hi) == Score(3 / 5, 5)


def test_interval_coverage_without_any_interval_is_nan():
    score = interval_coverage([1.0, 2.0], [NAN, NAN], [NAN, NAN])
    assert score.n == 0
    assert math.isnan(score.value)


def test_reliability_table_by_day_bucket():
    lead = [1, 24, 25, 30, 72, 72]
    obs = [1.0, 3.0, 1.0, 3.0, 5.0, NAN]
    q10 = [2.0, 2.0, 0.0, 0.0, 6.0, 0.0]
    q90 = [2.0, 4.0, 0.0, 4.0, 6.0, 0.0]
    table = reliability_table(obs, {0.9: q90, 0.1: q10}, lead_h=lead)
    assert table["lead_bucket"].tolist() == ["1-24"] * 2 + ["25-48"] * 2 + ["49-72"] * 2
    assert table["tau"].tolist() == [0.1, 0.9] * 3
    assert table["first_lead_h"].tolist() == [1, 1, 25, 25, 49, 49]
    assert table["last_lead_h"].tolist() == [24, 24, 48, 48, 72, 72]
    # day 1: o ≤ q10 for 1 of 2 (1 ≤ 2), o ≤ q90 for 2 of 2; day 2: 0 of 2, 1 of 2 (3 ≤ 4);
    # day 3: o = 5 ≤ 6 for both, the missing observation is not counted
    assert table["observed_frequency"].tolist() == [0.5, 1.0, 0.0, 0.5, 1.0, 1.0]
    assert table["n"].tolist() == [2, 2, 2, 2, 1, 1]


def test_reliability_table_without_leads_is_one_bucket():
    table = reliability_table(np.arange(10.0), {0.5: np.full(10, 4.5)})
    assert table["lead_bucket"].tolist() == ["all"]
    assert table["first_lead_h"].isna().all()
    assert table.loc[0, "observed_frequency"] == 0.5


def test_reliability_table_refuses_a_lead_outside_the_buckets():
    with pytest.raises(InputDataError, match=r"lead_h 73.0 at position 1 is outside"):
        reliability_table([1.0, 2.0], {0.1: [0.0, 0.0]}, lead_h=pd.Series([1, 73]))
    with pytest.raises(InputDataError, match=r"quantile_forecasts is empty"):
        reliability_table([1.0], {})
