"""Hypothesis properties of GB 3838—2002 classes and the 2011 single-factor method.

GB 3838—2002 表1 (standards.md §5.1): "≤" items get worse as the value rises; 溶解氧 is a
lower bound ("≥"), so its class gets worse as the value falls; pH is a band 6～9.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasting.standards.gb3838 import (
    class_gb3838,
    class_label,
    exceedance_factor,
    load_assessment_2011,
    load_gb3838,
    overall_class_2011,
    parse_class,
)

UPPER = sorted(k for k, v in load_gb3838().items.items() if v.direction == "upper")
WATERBODY = st.sampled_from(["river", "lake"])


def _value(parameter: str) -> st.SearchStrategy[float]:
    top = 2 * load_gb3838().item(parameter).limits[-1]
    return st.floats(min_value=0, max_value=top, allow_nan=False)


@st.composite
def _pair(draw: st.DrawFn, parameter: str | None = None) -> tuple[str, float, float]:
    name = parameter or draw(st.sampled_from(UPPER))
    a, b = draw(_value(name)), draw(_value(name))
    return name, min(a, b), max(a, b)


@settings(max_examples=200, deadline=None)
@given(pair=_pair(), waterbody=WATERBODY)
def test_class_non_decreasing_in_upper_items(
    pair: tuple[str, float, float], waterbody: str
) -> None:
    name, low, high = pair
    got = class_gb3838([low, high], name, waterbody)  # type: ignore[arg-type]
    assert 1 <= got[0] <= got[1] <= 6


@settings(max_examples=200, deadline=None)
@given(pair=_pair("do"))
def test_class_non_increasing_in_dissolved_oxygen(pair: tuple[str, float, float]) -> None:
    _, low, high = pair
    got = class_gb3838([low, high], "do")
    assert got[0] >= got[1]


@given(ph=st.floats(min_value=0, max_value=14, allow_nan=False))
def test_ph_band(ph: float) -> None:
    assert class_gb3838([ph], "ph")[0] == (1 if 6 <= ph <= 9 else 6)


@settings(max_examples=200, deadline=None)
@given(pair=_pair(), target=st.integers(1, 5), waterbody=WATERBODY)
def test_exceedance_positive_exactly_when_worse_than_target(
    pair: tuple[str, float, float], target: int, waterbody: str
) -> None:
    name, value, _ = pair
    factor = exceedance_factor([value], name, target, waterbody)[0]  # type: ignore[arg-type]
    cls = class_gb3838([value], name, waterbody)[0]  # type: ignore[arg-type]
    assert factor >= 0
    assert (factor > 0) == (cls > target)


_ITEMS = list(load_assessment_2011().parameters)


@st.composite
def _section(draw: st.DrawFn) -> dict[str, float]:
    names = draw(st.lists(st.sampled_from(_ITEMS), min_size=1, max_size=8, unique=True))
    out = {}
    for name in names:
        item = load_gb3838().item(name)
        top = 14.0 if item.band is not None else 2 * item.limits[0 if name == "do" else -1]
        out[name] = draw(st.floats(min_value=0, max_value=top, allow_nan=False))
    return out


@settings(max_examples=60, deadline=None)
@given(section=_section(), waterbody=WATERBODY, bump=st.floats(0, 10))
def test_overall_class_is_max_and_monotone(
    section: dict[str, float], waterbody: str, bump: float
) -> None:
    frame = pd.DataFrame([section])
    got = overall_class_2011(frame, waterbody)
    singles = [class_gb3838([v], k, waterbody)[0] for k, v in section.items()]  # type: ignore[arg-type]
    assert got["class"].iloc[0] == max(singles)
    assert got["n_assessed"].iloc[0] == len(section)
    determining = got["determining"].iloc[0].split(",")
    assert determining == [
        k for k in _ITEMS if k in section and singles[list(section).index(k)] == max(singles)
    ]
    main = got["main_pollutants"].iloc[0]
    assert (main != "") == (max(singles) > 3)
    # raising one "≤" item never improves the class
    upper = [k for k in section if load_gb3838().item(k).direction == "upper"]
    if upper:
        worse = frame.assign(**{upper[0]: frame[upper[0]] * (1 + bump) + bump})
        assert overall_class_2011(worse, waterbody)["class"].iloc[0] >= got["class"].iloc[0]


@given(n=st.integers(1, 6))
def test_label_round_trip(n: int) -> None:
    assert parse_class(class_label(n)) == n
    assert parse_class(["I", "II", "III", "IV", "V", "worse_than_V"][n - 1]) == n
    assert np.int64(n) == parse_class(str(n))
