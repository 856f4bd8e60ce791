"""Properties of heavy-pollution warning assessment (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasting.standards.early_warning import (
    WarningScheme,
    assess_warnings,
    available_warning_schemes,
    load_warning_scheme,
)

SCHEMES = [load_warning_scheme(s) for s in available_warning_schemes()] + [
    load_warning_scheme("cn_mee_warning_2018", options={"orange_requires_aqi_300": True})
]
SCHEME_IDS = [f"{s.id}{'+opt' if any(o.value for o in s.options) else ''}" for s in SCHEMES]

# Daily AQI around the thresholds that matter (150, 200, 300, 500), plus missing days.
AQI = st.one_of(
    st.integers(0, 520).map(float),
    st.sampled_from([150.0, 151.0, 200.0, 201.0, 300.0, 301.0, 499.0, 500.0, 501.0]),
    st.just(float("nan")),
)
SERIES = st.lists(AQI, min_size=1, max_size=8)


def _daily(aqi: list[float], entity: str = "x") -> pd.DataFrame:
    return pd.DataFrame(
        {"entity": entity, "date": pd.date_range("2026-12-01", periods=len(aqi)), "aqi": aqi}
    )


def _level(aqi: list[float], scheme: WarningScheme) -> int:
    return int(assess_warnings(_daily(aqi), scheme)["level"].iloc[0])


@pytest.mark.parametrize("scheme", SCHEMES, ids=SCHEME_IDS)
@settings(max_examples=40, deadline=None)
@given(aqi=SERIES, data=st.data())
def test_raising_any_day_never_lowers_the_level(
    scheme: WarningScheme, aqi: list[float], data: st.DataObject
) -> None:
    i = data.draw(st.integers(0, len(aqi) - 1))
    base = 0.0 if np.isnan(aqi[i]) else aqi[i]  # a missing day raised to a value
    raised = list(aqi)
    raised[i] = base + data.draw(st.integers(0, 400))
    assert _level(raised, scheme) >= _level(aqi, scheme)


@pytest.mark.parametrize("scheme", SCHEMES[:1], ids=SCHEME_IDS[:1])
@settings(max_examples=25, deadline=None)
@given(series=st.lists(SERIES, min_size=1, max_size=4))
def test_many_entities_at_once_equal_one_at_a_time(
    scheme: WarningScheme, series: list[list[float]]
) -> None:
    # All entities share the same dates, so runs must not leak across entity boundaries.
    frame = pd.concat([_daily(aqi, entity=f"e{k}") for k, aqi in enumerate(series)])
    together = assess_warnings(frame, scheme)
    alone = [assess_warnings(_daily(aqi, entity=f"e{k}"), scheme) for k, aqi in enumerate(series)]
    pd.testing.assert_frame_equal(together, pd.concat(alone, ignore_index=True))


@settings(max_examples=30, deadline=None)
@given(
    aqi=SERIES,
    primary=st.lists(st.sampled_from(["o3", "pm25", "o3+pm10", "pm10", ""]), min_size=8),
    cause=st.lists(st.sampled_from(["", "dust", "wildfire", "sand", "transport"]), min_size=8),
)
def test_primary_and_cause_never_change_the_level(
    aqi: list[float], primary: list[str], cause: list[str]
) -> None:
    scheme = load_warning_scheme("cn_mee_warning_2024")
    plain = assess_warnings(_daily(aqi), scheme).iloc[0]
    tagged = _daily(aqi).assign(primary=primary[: len(aqi)], cause=cause[: len(aqi)])
    out = assess_warnings(tagged, scheme).iloc[0]
    assert out["level"] == plain["level"]
    assert (out["response"] == "none") == (plain["level"] == 0)
