"""Hypothesis properties of the verification scores.

Each property is a fact of the definitions (Jolliffe & Stephenson 2012; HJ 1130—2020 via
shared/docs/standards.md §7.1), checked against obvious reference code where there is one.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from models.verification import common_cases, verify_hourly
from models.verify_categorical import (
    aqi_range_accuracy_score,
    level_accuracy_score,
    level_within_one_score,
    primary_accuracy_score,
)
from models.verify_common import Groups
from models.verify_continuous import (
    mean_absolute_error,
    mean_absolute_error_grouped,
    normalized_mean_bias,
    normalized_mean_error,
    pearson_r,
    root_mean_squared_error,
    root_mean_squared_error_grouped,
)
from models.verify_events import contingency
from models.verify_intervals import interval_coverage, pinball_loss
from models.verify_skill import skill_score
from models.verify_standard import load_hj1130

CONC = st.one_of(st.just(math.nan), st.floats(0.0, 1000.0, allow_nan=False))
LEVEL = st.one_of(st.none(), st.integers(1, 6))


@st.composite
def pairs(draw: st.DrawFn, elements: st.SearchStrategy = CONC) -> tuple[list, list]:
    n = draw(st.integers(0, 40))
    return draw(st.lists(elements, min_size=n, max_size=n)), draw(
        st.lists(elements, min_size=n, max_size=n)
    )


@settings(max_examples=60, deadline=None)
@given(pairs())
def test_continuous_scores_against_plain_numpy(fo):
    f, o = np.array(fo[0]), np.array(fo[1])
    ok = ~np.isnan(f) & ~np.isnan(o)
    mae, rmse = mean_absolute_error(f, o), root_mean_squared_error(f, o)
    assert mae.n == rmse.n == int(ok.sum())
    if ok.any():
        err = f[ok] - o[ok]
        assert math.isclose(mae.value, np.abs(err).mean(), rel_tol=1e-12, abs_tol=1e-12)
        assert math.isclose(rmse.value, math.sqrt((err**2).mean()), rel_tol=1e-12, abs_tol=1e-12)
        assert mae.value <= rmse.value + 1e-9  # MAE ≤ RMSE (Jensen)
        nmb, nme = normalized_mean_bias(f, o).value, normalized_mean_error(f, o).value
        if o[ok].sum() > 0:
            assert abs(nmb) <= nme + 1e-12  # |Σ(F − O)| ≤ Σ|F − O|
    else:
        assert math.isnan(mae.value)


@settings(max_examples=60, deadline=None)
@given(pairs(st.floats(0.0, 1000.0)), st.floats(0.1, 10.0), st.floats(-50.0, 50.0))
def test_pearson_r_is_bounded_and_invariant_to_positive_affine_maps(fo, scale, shift):
    f, o = np.array(fo[0]), np.array(fo[1])
    r = pearson_r(f, o).value
    assume(not math.isnan(r))
    assert -1.0 <= r <= 1.0
    assert math.isclose(pearson_r(scale * f + shift, o).value, r, rel_tol=1e-6, abs_tol=1e-6)


@settings(max_examples=40, deadline=None)
@given(pairs(), st.lists(st.integers(0, 3), min_size=40, max_size=40))
def test_grouped_scores_equal_the_single_function_on_each_group(fo, labels):
    f, o = np.array(fo[0]), np.array(fo[1])
    codes = np.array(labels[: len(f)], dtype=np.intp)
    groups = Groups(codes, 4)
    mae = mean_absolute_error_grouped(f, o, groups)
    rmse = root_mean_squared_error_grouped(f, o, groups)
    for k in range(4):
        rows = codes == k
        for grouped, single in ((mae, mean_absolute_error), (rmse, root_mean_squared_error)):
            want = single(f[rows], o[rows])
            assert grouped.n[k] == want.n
            assert math.isclose(grouped.value[k], want.value, rel_tol=1e-12) or (
                math.isnan(grouped.value[k]) and math.isnan(want.value)
            )


@settings(max_examples=60, deadline=None)
@given(pairs(st.floats(0.0, 500.0)))
def test_pinball_loss_is_nonnegative_and_half_the_mae_at_the_median(fo):
    o, q = fo
    assume(len(o) > 0)
    for tau in (0.1, 0.5, 0.9):
        assert pinball_loss(o, q, tau).value >= 0
    assert math.isclose(
        pinball_loss(o, q, 0.5).value, mean_absolute_error(q, o).value / 2, rel_tol=1e-9
    )


@settings(max_examples=60, deadline=None)
@given(pairs(st.floats(0.0, 500.0)), st.floats(0.0, 100.0))
def test_widening_an_interval_never_lowers_its_coverage(fo, widen):
    o, centre = np.array(fo[0]), np.array(fo[1])
    assume(len(o) > 0)
    narrow = interval_coverage(o, centre - 10, centre + 10).value
    wide = interval_coverage(o, centre - 10 - widen, centre + 10 + widen).value
    assert 0.0 <= narrow <= wide <= 1.0


@settings(max_examples=60, deadline=None)
@given(pairs(LEVEL))
def test_within_one_level_is_at_least_the_exact_level_accuracy(fo):
    f, o = fo
    exact, near = level_accuracy_score(f, o), level_within_one_score(f, o)
    assert exact.n == near.n
    if exact.n:
        assert 0.0 <= exact.value <= near.value <= 1.0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 500), min_size=1, max_size=30))
def test_a_forecast_equal_to_the_observation_is_in_range(aqi):
    assert aqi_range_accuracy_score(aqi, aqi).value == 1.0


POLLUTANTS = ["pm25", "pm10", "so2", "no2", "co", "o3"]
PRIMARY = st.lists(st.sampled_from(POLLUTANTS), min_size=1, max_size=3, unique=True).map("+".join)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(PRIMARY, PRIMARY, st.integers(2, 6)), min_size=1, max_size=20))
def test_exact_primary_matches_are_also_any_matches(cases):
    f, o, lvl = (list(x) for x in zip(*cases, strict=True))
    rules = load_hj1130()
    exact = primary_accuracy_score(f, o, lvl, rules=replace(rules, primary_match="exact"))
    anyone = primary_accuracy_score(f, o, lvl, rules=replace(rules, primary_match="any"))
    assert exact.n == anyone.n == len(cases)
    assert exact.value <= anyone.value
    reference = sum(bool(set(a.split("+")) & set(b.split("+"))) for a, b in zip(f, o, strict=True))
    assert anyone.value == reference / len(cases)


@settings(max_examples=60, deadline=None)
@given(pairs(st.one_of(st.none(), st.booleans())))
def test_contingency_counts_every_case_with_both_flags_once(fo):
    f, o = fo
    table = contingency(f, o)
    assert table.n == sum(a is not None and b is not None for a, b in zip(f, o, strict=True))
    assert table.hits == sum(a is True and b is True for a, b in zip(f, o, strict=True))


@settings(max_examples=60, deadline=None)
@given(st.floats(0.0, 100.0), st.floats(0.01, 100.0))
def test_skill_against_itself_is_zero_and_perfect_is_one(metric, reference):
    assert skill_score(reference, reference) == 0.0
    assert skill_score(0.0, reference) == 1.0
    assert (skill_score(metric, reference) > 0) == (metric < reference)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.booleans(), min_size=8, max_size=8), st.integers(0, 2**16))
def test_common_cases_are_the_same_rows_in_every_model(present, seed):
    frame = pd.DataFrame(
        {
            "station": ["A", "B"] * 4,
            "issued_at": 0,
            "lead_h": np.repeat([1, 2, 3, 4], 2),
            "variable": "pm25",
            "value": 1.0,
        }
    )
    other = frame.assign(value=np.where(present, 2.0, np.nan)).sample(frac=1.0, random_state=seed)
    out = common_cases({"a": frame, "b": other})
    key = ["station", "lead_h"]
    assert sorted(map(tuple, out["a"][key].values)) == sorted(map(tuple, out["b"][key].values))
    assert len(out["a"]) == sum(present)
    if len(out["a"]):
        obs = frame.assign(obs=0.0, valid_at=pd.Timestamp("2015-03-01", tz="UTC"))
        table = verify_hourly(obs.loc[out["a"].index])
        assert table.query("metric == 'mean_absolute_error'")["n"].sum() == sum(present)
