"""Continuous scores (MAE, RMSE, NMB, NME, r) against hand-computed examples.

Formulas (HJ 1130—2020 concentration metrics, secondary: shared/docs/standards.md §7.1,
"F is forecast, O is observed"):
    NMB = Σ(F − O)/ΣO,  NME = Σ|F − O|/ΣO,  RMSE = √(mean of (F − O)²),
    r = Pearson correlation of F and O;  MAE = Σ|F − O|/n.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import InputDataError
from models.verify_common import Groups, Score
from models.verify_continuous import (
    mean_absolute_error,
    mean_absolute_error_grouped,
    normalized_mean_bias,
    normalized_mean_error,
    pearson_r,
    pearson_r_grouped,
    root_mean_squared_error,
)

NAN = float("nan")
# Five cases; the 4th lacks a forecast and the 5th an observation: both are dropped.
# Scored pairs (F, O): (10, 12), (20, 16), (30, 30); F − O = −2, +4, 0; ΣO = 58.
F = [10.0, 20.0, 30.0, NAN, 50.0]
OBS = [12.0, 16.0, 30.0, 40.0, NAN]


@pytest.mark.parametrize(
    ("function", "expected"),
    [
        (mean_absolute_error, (2 + 4 + 0) / 3),  # Σ|F − O| / n = 6/3
        (root_mean_squared_error, math.sqrt((4 + 16 + 0) / 3)),  # √(20/3)
        (normalized_mean_bias, (-2 + 4 + 0) / 58),  # Σ(F − O)/ΣO = 2/58
        (normalized_mean_error, (2 + 4 + 0) / 58),  # Σ|F − O|/ΣO = 6/58
        # F − F̄ = (−10, 0, 10), O − Ō = (−22/3, −10/3, 32/3): Σ products = 180,
        # Σ(F − F̄)² = 200, Σ(O − Ō)² = 536/3, r = 180/√(200·536/3).
        (pearson_r, 180 / math.sqrt(200 * 536 / 3)),
    ],
)
def test_hand_example_drops_and_counts_missing_pairs(function, expected):
    score = function(F, OBS)
    assert isinstance(score, Score)
    assert score.n == 3
    assert score.value == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "function",
    [
        mean_absolute_error,
        root_mean_squared_error,
        normalized_mean_bias,
        normalized_mean_error,
        pearson_r,
    ],
)
def test_no_pairs_gives_nan_and_zero_count(function):
    score = function([1.0, NAN], [NAN, 2.0])
    assert score.n == 0
    assert math.isnan(score.value)


def test_normalized_scores_are_nan_when_observations_sum_to_zero():
    assert math.isnan(normalized_mean_bias([1.0, 2.0], [0.0, 0.0]).value)
    assert math.isnan(normalized_mean_error([1.0, 2.0], [0.0, 0.0]).value)
    assert normalized_mean_error([1.0, 2.0], [0.0, 0.0]).n == 2


def test_pearson_r_undefined_for_a_constant_forecast_or_one_pair():
    # 0.1 repeated: the mean is not exactly 0.1 in binary, but the variance counts as 0
    assert math.isnan(pearson_r([0.1, 0.1, 0.1], [1.0, 2.0, 4.0]).value)
    assert math.isnan(pearson_r([1.0], [2.0]).value)
    assert pearson_r([1.0, 2.0, 3.0], [3.0, 2.0, 1.0]).value == pytest.approx(-1.0)


def test_accepts_pandas_nullable_and_object_input():
    f = pd.Series([10.0, 20.0, None], dtype="Float64")
    o = pd.Series([12, 16, 30], dtype="Int64")
    assert mean_absolute_error(f, o) == Score(3.0, 2)
    assert mean_absolute_error([10, None], [12, 13]) == Score(2.0, 1)


@pytest.mark.parametrize(
    ("forecast", "observed", "message"),
    [
        ([1.0, 2.0], [1.0], r"same length: forecast has 2, observed has 1"),
        (["a", 2.0], [1.0, 2.0], r"forecast: values must be numbers"),
        ([1.0, math.inf], [1.0, 2.0], r"forecast: infinite value inf at position 1"),
        ([[1.0, 2.0]], [[1.0, 2.0]], r"forecast: expected a one-dimensional array"),
    ],
)
def test_bad_input_names_the_argument(forecast, observed, message):
    with pytest.raises(InputDataError, match=message):
        mean_absolute_error(forecast, observed)


def test_grouped_scores_every_group_like_the_single_function():
    f = np.array([10.0, 20.0, 30.0, 1.0, 2.0, NAN])
    o = np.array([12.0, 16.0, 30.0, 2.0, 2.0, 5.0])
    groups = Groups(np.array([0, 0, 0, 1, 1, 2], dtype=np.intp), 3)
    mae = mean_absolute_error_grouped(f, o, groups)
    assert mae.value[:2].tolist() == [2.0, 0.5]
    assert math.isnan(mae.value[2])
    assert mae.n.tolist() == [3, 2, 0]
    r = pearson_r_grouped(f, o, groups)
    assert r.value[0] == pytest.approx(pearson_r(f[:3], o[:3]).value)
    assert math.isnan(r.value[1])  # group 1 observed a constant: r undefined
    assert r.n.tolist() == [3, 2, 0]
