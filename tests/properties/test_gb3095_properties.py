"""Hypothesis properties of the GB 3095 statistics against slow, obvious reference code."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from forecasting.standards.gb3095 import daily_max_8h, daily_means, load_gb3095, moving_mean

TZ = "Asia/Shanghai"
BASE = pd.Timestamp("2026-06-01 00:00", tz=TZ)


@st.composite
def networks(draw: st.DrawFn) -> pd.DataFrame:
    """1–3 stations with random spans, NaN values and absent rows, in random row order."""
    frames = []
    for name in draw(st.lists(st.sampled_from("ABC"), min_size=1, max_size=3, unique=True)):
        start = draw(st.integers(0, 30))
        n = draw(st.integers(1, 60))
        values = draw(
            st.lists(
                st.one_of(st.none(), st.just(np.nan), st.integers(0, 4000).map(lambda v: v / 10)),
                min_size=n,
                max_size=n,
            )
        )
        if all(v is None for v in values):
            values[0] = 1.0
        times = pd.date_range(BASE + pd.Timedelta(hours=start), periods=n, freq="h")
        frame = pd.DataFrame({"station": name, "time": times, "o3": values})
        frames.append(frame[[v is not None for v in values]].astype({"o3": float}))
    seed = draw(st.integers(0, 2**16))
    return pd.concat(frames).sample(frac=1.0, random_state=seed).reset_index(drop=True)


def full_hours(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """Per station: hourly series over whole local days from the first to the last date."""
    out = {}
    for station, rows in frame.groupby("station"):
        series = rows.set_index("time")["o3"].sort_index()
        first = series.index[0].normalize()
        last = series.index[-1].normalize() + pd.Timedelta(hours=23)
        out[str(station)] = series.reindex(pd.date_range(first, last, freq="h"))
    return out


@settings(max_examples=25, deadline=None)
@given(networks(), st.integers(1, 24))
def test_daily_means_equal_reference(frame, min_valid):
    got = daily_means(frame, "o3", min_valid=min_valid)
    expected = []
    for station, series in full_hours(frame).items():
        for date, day in series.groupby(series.index.date):
            n = int(day.notna().sum())
            expected.append((station, date, n, day.mean() if n >= min_valid else np.nan))
    ref = pd.DataFrame(expected, columns=["station", "date", "n", "mean"])
    assert got["station"].tolist() == ref["station"].tolist()
    assert got["date"].tolist() == ref["date"].tolist()
    assert got["n_o3"].tolist() == ref["n"].tolist()
    np.testing.assert_allclose(got["o3"], ref["mean"], rtol=1e-12)


@settings(max_examples=25, deadline=None)
@given(networks(), st.integers(1, 12), st.data())
def test_moving_mean_equals_pandas_rolling(frame, window_h, data):
    min_valid = data.draw(st.integers(1, window_h))
    got = moving_mean(frame, "o3", window_h, min_valid)
    parts = []
    for station, rows in frame.groupby("station"):
        series = rows.set_index("time")["o3"].sort_index().asfreq("h")
        rolled = series.rolling(window_h, min_periods=1).mean()
        counts = series.notna().astype(int).rolling(window_h, min_periods=1).sum().astype(int)
        rolled = rolled.where(counts >= min_valid)
        parts.append(pd.DataFrame({"station": station, "mean": rolled, "n": counts}))
    ref = pd.concat(parts)
    assert got["time"].tolist() == ref.index.tolist()
    assert got[f"n_o3_{window_h}h"].tolist() == ref["n"].tolist()
    np.testing.assert_allclose(got[f"o3_{window_h}h"], ref["mean"], rtol=1e-9, atol=1e-9)


@settings(max_examples=25, deadline=None)
@given(networks())
def test_mda8_equals_hj663_reference(frame):
    std = load_gb3095()
    got = daily_max_8h(frame)
    rows = []
    for station, series in full_hours(frame).items():
        for date, day in series.groupby(series.index.date):
            x = day.to_numpy()
            means = [
                np.nanmean(x[e - 7 : e + 1])
                for e in range(7, len(x))
                if np.isfinite(x[e - 7 : e + 1]).sum() >= 6
            ]
            peak = max(means) if means else np.nan
            limit = std.limit("o3", "daily_max_8h").value  # 160 µg/m³, 二级
            valid = len(means) >= 14 or (bool(means) and peak > limit)
            rows.append((station, date, len(means), peak if valid else np.nan, valid))
    ref = pd.DataFrame(rows, columns=["station", "date", "n", "value", "valid"])
    assert got["n_o3_8h"].tolist() == ref["n"].tolist()
    assert got["o3_8h_max_valid"].tolist() == ref["valid"].tolist()
    np.testing.assert_allclose(got["o3_8h_max"], ref["value"], rtol=1e-12)


@settings(max_examples=15, deadline=None)
@given(networks())
def test_end_labels_equal_start_labels_one_hour_earlier(frame):
    shifted = frame.assign(time=frame["time"] + pd.Timedelta(hours=1))
    start = daily_max_8h(frame, hour_label="start")
    end = daily_max_8h(shifted, hour_label="end")
    pd.testing.assert_frame_equal(start, end)


@settings(max_examples=15, deadline=None)
@given(networks(), st.integers(0, 2**16))
def test_row_order_does_not_matter(frame, seed):
    shuffled = frame.sample(frac=1.0, random_state=seed)
    pd.testing.assert_frame_equal(daily_means(frame, "o3"), daily_means(shuffled, "o3"))


@settings(max_examples=15, deadline=None)
@given(networks())
def test_daily_mean_lies_between_the_hourly_extremes(frame):
    out = daily_means(frame, "o3", min_valid=1)
    assert (out["o3"].dropna() >= frame["o3"].min() - 1e-9).all()
    assert (out["o3"].dropna() <= frame["o3"].max() + 1e-9).all()
