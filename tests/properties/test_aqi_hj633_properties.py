"""Hypothesis properties of the HJ 633 (2012 and 2026) AQI."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasting.standards.aqi_hj633 import (
    HJ633_EDITIONS,
    PRIMARY_POLLUTANT_ORDER,
    aqi_level,
    combine_iaqi,
    iaqi_hj633,
    level_info,
    load_hj633,
)
from forecasting.standards.aqi_hj633_standard import pollutant_of

# (edition, indicator) pairs, including the 2026 hourly-PM aliases.
PAIRS = [(e, i) for e in HJ633_EDITIONS for i in load_hj633(e).indicators]
editions = st.sampled_from(HJ633_EDITIONS)


def _upper(edition: str, indicator: str) -> float:
    """Largest concentration to draw: beyond the top, except where 2012 gives NaN there."""
    std = load_hj633(edition)
    table = std.table_for(indicator)
    rule = std.special_rules.get(table.indicator)
    if rule is not None and rule.action == "use_indicator_iaqi":
        return table.top_concentration
    return table.top_concentration * 1.5


@st.composite
def indicator_and_two_concentrations(draw: st.DrawFn) -> tuple[str, str, float, float]:
    edition, indicator = draw(st.sampled_from(PAIRS))
    upper = _upper(edition, indicator)
    conc = st.floats(min_value=0.0, max_value=upper, allow_nan=False)
    return edition, indicator, draw(conc), draw(conc)


@settings(max_examples=300, deadline=None)
@given(indicator_and_two_concentrations())
def test_iaqi_non_decreasing_in_concentration(case):
    edition, indicator, a, b = case
    lo, hi = sorted((a, b))
    out = iaqi_hj633([lo, hi], indicator, load_hj633(edition))
    assert not np.isnan(out).any()
    assert out[0] <= out[1]
    assert out[0] >= 0
    assert out[1] <= 500


@st.composite
def segment(draw: st.DrawFn) -> tuple[str, str, int]:
    edition, indicator = draw(st.sampled_from(PAIRS))
    table = load_hj633(edition).table_for(indicator)
    return edition, indicator, draw(st.integers(0, len(table.conc_lo) - 1))


@settings(max_examples=200, deadline=None)
@given(segment())
def test_iaqi_equals_index_lo_at_conc_lo(case):
    edition, indicator, row = case
    std = load_hj633(edition)
    table = std.table_for(indicator)
    got = iaqi_hj633([table.conc_lo[row], table.conc_hi[row]], indicator, std)
    assert got.tolist() == [table.index_lo[row], table.index_hi[row]]


@settings(max_examples=200, deadline=None)
@given(editions, st.integers(min_value=0, max_value=500))
def test_level_consistent_with_aqi(edition, aqi):
    std = load_hj633(edition)
    level = int(aqi_level([aqi], std)[0])
    info = level_info(level, std)
    assert info.aqi_lo <= max(aqi, std.min_aqi)
    assert info.aqi_hi is None or aqi <= info.aqi_hi


iaqi_value = st.one_of(st.none(), st.integers(min_value=0, max_value=500))


@settings(max_examples=100, deadline=None)
@given(editions, st.lists(st.tuples(*[iaqi_value] * 4), min_size=1, max_size=20))
def test_combine_iaqi_aqi_level_primary_agree(edition, rows):
    std = load_hj633(edition)
    o3_or_co = "o3_1h" if edition == "hj633-2012" else "co_24h"
    names = ["pm25_24h", "no2_24h", "o3_8h", o3_or_co]
    frame = pd.DataFrame(rows, columns=names, dtype="float64")
    out = combine_iaqi(frame, std).to_dict("records")
    for row, res in zip(rows, out, strict=True):
        present = {n: v for n, v in zip(names, row, strict=True) if v is not None}
        assert res["complete"] == (len(present) == len(names))
        if pd.isna(res["aqi"]):
            suppressed = std.missing_rule == "publish_if_above" and not res["complete"]
            assert not present or (suppressed and max(present.values()) <= 100)
            continue
        top = max(present.values())
        assert res["aqi"] == max(top, std.min_aqi)
        assert res["level"] == aqi_level([res["aqi"]], std)[0]
        named = set(res["primary"].split("+")) - {""}
        tied = {pollutant_of(n) for n, v in present.items() if v == top}
        assert named == (tied if top > 50 else set())
        order = [p for p in PRIMARY_POLLUTANT_ORDER if p in named]
        assert res["primary"] == "+".join(order)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(load_hj633("hj633-2026").indicators)), st.floats(0, 3000))
def test_2026_iaqi_depends_only_on_rounded_concentration(indicator, conc):
    std = load_hj633("hj633-2026")
    table = std.table_for(indicator)
    decimals = std.concentration_decimals[table.units]
    rounded = round(round(conc * 10**decimals, 6)) / 10**decimals  # Python round: half-even
    got = iaqi_hj633([conc, rounded], indicator, std)
    assert got[0] == got[1]
