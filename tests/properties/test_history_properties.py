"""Properties of the as-of window and the history features, for any revision history.

* The window equals a plain model of the store's rule: at issue time T, the stamp
  ``T - (k + 1) h`` holds the highest revision with ``available_at <= T``.
* Anything added after T (later stamps, revisions or first revisions available after
  T) leaves the history features of T bitwise unchanged.
* Rolling statistics equal numpy's on the valid stamps of the window.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from features.history import history_features, min_valid_count
from features.window import KnownHistory, known_history

T0 = pd.Timestamp("2024-01-01T00:00Z")
H = pd.Timedelta(hours=1)
WINDOW_H = 30
ISSUES = pd.date_range(T0 + 10 * H, periods=4, freq="7h")
STATIONS = ["A", "B"]
VARIABLES = ["pm25", "o3"]

revision_row = st.tuples(
    st.sampled_from(STATIONS),
    st.sampled_from(VARIABLES),
    st.integers(0, 40),  # valid_at [h after T0]
    st.sampled_from([1.0, 2.5, 7.0, np.nan]),
    st.integers(-2 * 3600, 30 * 3600),  # available_at - valid_at [s]
)


def to_frame(rows: list[tuple]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["station", "variable", "hour", "value", "delay_s"])
    frame["valid_at"] = T0 + pd.to_timedelta(frame["hour"], unit="h")
    frame["available_at"] = frame["valid_at"] + pd.to_timedelta(frame["delay_s"], unit="s")
    # revisions numbered in write order, as the store does
    frame["revision"] = frame.groupby(["station", "variable", "hour"]).cumcount() + 1
    return frame.drop(columns=["hour", "delay_s"])


def model(rows: list[tuple], issue: pd.Timestamp) -> np.ndarray:
    """Plain Python: per key, the highest revision available at ``issue``."""
    out = np.full((len(STATIONS), len(VARIABLES), WINDOW_H), np.nan, np.float32)
    issue_s = int((issue - T0).total_seconds())
    best: dict[tuple, tuple[int, float]] = {}
    seen: dict[tuple, int] = {}
    for station, variable, hour, value, delay_s in rows:
        key = (station, variable, hour)
        seen[key] = revision = seen.get(key, 0) + 1  # write order
        if hour * 3600 + delay_s <= issue_s and revision > best.get(key, (0, 0.0))[0]:
            best[key] = (revision, value)
    for (station, variable, hour), (_, value) in best.items():
        lag = issue_s // 3600 - hour - 1
        if 0 <= lag < WINDOW_H:
            out[STATIONS.index(station), VARIABLES.index(variable), lag] = value
    return out


@settings(max_examples=50, deadline=None)
@given(st.lists(revision_row, max_size=40))
def test_window_equals_the_model_of_the_store_rule(rows):
    frame = to_frame(rows)
    known = known_history(frame, STATIONS, VARIABLES, ISSUES, window_h=WINDOW_H)
    for i, issue in enumerate(ISSUES):
        np.testing.assert_array_equal(known.values[i], model(rows, issue))


@settings(max_examples=25, deadline=None)
@given(st.lists(revision_row, max_size=40), st.lists(revision_row, min_size=1, max_size=20))
def test_nothing_added_after_t_changes_the_features_of_t(rows, extra):
    issue = ISSUES[-1]
    frame = to_frame(rows)
    later = to_frame(extra)
    # every added row is unknown at T: stamped at or after T, or available after T
    unknown = (later["valid_at"] >= issue) | (later["available_at"] > issue)
    later.loc[~unknown, "available_at"] = issue + pd.Timedelta(seconds=1)
    later["revision"] += 1000  # written after everything in ``frame``

    def build(revisions: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        known = known_history(revisions, STATIONS, VARIABLES, [issue], window_h=WINDOW_H)
        return history_features(known, [1, 5], lags_h=(1, 3), windows_h=(3, 24), diurnal_days=1)

    for before, after in zip(build(frame), build(pd.concat([frame, later])), strict=True):
        pd.testing.assert_frame_equal(before, after, check_exact=True)


@settings(max_examples=50, deadline=None)
@given(
    hnp.arrays(
        np.float32,
        (24,),
        elements=st.one_of(st.just(np.float32(np.nan)), st.floats(0, 500, width=32)),
    ),
    st.sampled_from([3, 6, 12, 24]),
)
def test_rolling_statistics_equal_numpy_on_the_valid_stamps(window, w):
    known = KnownHistory(
        pd.DatetimeIndex([T0]),
        pd.Index(["A"], dtype="str"),
        ("pm25",),
        24,
        window[None, None, None],
    )
    issue, _ = history_features(known, [1], lags_h=(1,), windows_h=(w,), diurnal_days=1)
    got = issue.iloc[0]
    part = window[:w][~np.isnan(window[:w])].astype(np.float64)
    if part.size >= min_valid_count(w, 0.5):
        assert np.isclose(got[f"hist_pm25_mean{w}h"], np.float32(part.mean()), rtol=1e-6)
        assert got[f"hist_pm25_max{w}h"] == part.max()
    else:
        assert np.isnan(got[f"hist_pm25_mean{w}h"])
        assert np.isnan(got[f"hist_pm25_max{w}h"])
    if part.size >= min_valid_count(w, 0.5, least=2):
        assert np.isclose(got[f"hist_pm25_std{w}h"], part.std(ddof=1), rtol=1e-4, atol=1e-3)
    else:
        assert np.isnan(got[f"hist_pm25_std{w}h"])
    assert got["hist_pm25_avail24"] == np.float32((~np.isnan(window)).sum() / 24)
