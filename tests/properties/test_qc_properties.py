"""Hypothesis properties of quality control and ingestion units.

QC adds flags and never alters a value (issue 3: "Flags are stored beside the raw value,
and raw values are never altered"); the series checks behave monotonically and do not
depend on the unit a series is expressed in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from forecasting.ingest.air import COMPASS_DEGREES, compass_to_degrees
from forecasting.ingest.units import CANONICAL_UNITS, conversion_factor
from forecasting.qc.apply import apply_qc
from forecasting.qc.checks import flag_values
from forecasting.qc.flags import QcFlag
from forecasting.qc.rules import default_qc_rules
from forecasting.qc.temporal import flag_spike, flag_stuck

RULES = default_qc_rules()
VARIABLES = sorted(RULES.variables)
VALUES = (
    st.floats(min_value=-50, max_value=2000)
    | st.just(float("nan"))
    | st.sampled_from([999.0, 10.0, 0.025])
)


@st.composite
def observation_frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(min_value=0, max_value=60))
    stations = draw(st.lists(st.sampled_from(["A", "B"]), min_size=n, max_size=n))
    variables = draw(
        st.lists(st.sampled_from(["pm25", "pm10", "so2", "nh3n", "x"]), min_size=n, max_size=n)
    )
    hours = draw(st.lists(st.integers(0, 40), min_size=n, max_size=n))
    frame = pd.DataFrame(
        {
            "station": stations,
            "variable": variables,
            "valid_at": pd.Timestamp("2015-08-01", tz="UTC") + pd.to_timedelta(hours, unit="h"),
            "value": draw(st.lists(VALUES, min_size=n, max_size=n)),
            "qc_flags": draw(st.lists(st.sampled_from([0, 128, 256, 512]), min_size=n, max_size=n)),
        }
    )
    return frame.drop_duplicates(["station", "variable", "valid_at"]).reset_index(drop=True)


@settings(max_examples=30, deadline=None)
@given(observation_frames())
def test_qc_only_adds_flags(frame: pd.DataFrame) -> None:
    out = apply_qc(frame)
    pd.testing.assert_frame_equal(out.drop(columns="qc_flags"), frame.drop(columns="qc_flags"))
    before = frame["qc_flags"].to_numpy(dtype=np.int64)
    after = out["qc_flags"].to_numpy(dtype=np.int64)
    assert ((after & before) == before).all()
    assert (
        after[(frame["variable"] == "x").to_numpy()]
        == before[(frame["variable"] == "x").to_numpy()]
    ).all()


@given(st.sampled_from(VARIABLES), hnp.arrays(np.float64, st.integers(0, 30), elements=VALUES))
def test_value_flags_match_their_definitions(variable: str, values: np.ndarray) -> None:
    rule = RULES.variable(variable)
    flags = flag_values(values, rule)
    negative = (flags & int(QcFlag.NEGATIVE)) != 0
    assert (negative == ((values < 0) & rule.nonnegative)).all()
    ceiling = (flags & int(QcFlag.CEILING)) != 0
    assert (ceiling == np.isin(values, rule.ceilings)).all()
    assert (flags[np.isnan(values)] == 0).all()


@given(
    hnp.arrays(np.float64, st.integers(1, 80), elements=st.sampled_from([1.0, 2.0, 3.0, np.nan])),
    st.floats(1, 40),
    st.floats(1, 40),
)
def test_stuck_is_monotone_in_the_threshold(values: np.ndarray, a: float, b: float) -> None:
    low, high = sorted((a, b))
    times = np.arange(values.size, dtype=np.int64) * 3600
    segments = np.zeros(values.size, dtype=np.int64)
    strict = flag_stuck(values, times, segments, min_hours=high)
    loose = flag_stuck(values, times, segments, min_hours=low)
    assert (loose | ~strict).all()  # everything stuck at the higher threshold is stuck at the lower


@settings(max_examples=50, deadline=None)
@given(
    hnp.arrays(np.float64, st.integers(1, 120), elements=st.floats(0, 500)),
    st.sampled_from([0.001, 0.5, 1000.0]),
)
def test_spikes_do_not_depend_on_the_unit(values: np.ndarray, scale: float) -> None:
    segments = np.zeros(values.size, dtype=np.int64)
    base = flag_spike(values, segments, window=25, min_periods=7, k=6.0, floor=10.0)
    scaled = flag_spike(
        values * scale, segments, window=25, min_periods=7, k=6.0, floor=10.0 * scale
    )
    # equal up to values that sit on the threshold within floating-point rounding
    assert (base != scaled).sum() <= 1


@given(st.sampled_from(sorted(CANONICAL_UNITS)), st.floats(-1e6, 1e6))
def test_canonical_unit_converts_with_factor_one(variable: str, value: float) -> None:
    assert value * conversion_factor(variable, CANONICAL_UNITS[variable][0]) == value


@given(st.lists(st.sampled_from(sorted(COMPASS_DEGREES)), min_size=1, max_size=20))
def test_compass_degrees_are_on_the_16_point_rose(codes: list[str]) -> None:
    degrees, invalid = compass_to_degrees(pd.Series(codes))
    assert not invalid.any()
    assert ((degrees >= 0) & (degrees < 360) & (degrees % 22.5 == 0)).all()
