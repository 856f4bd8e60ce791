"""Hypothesis properties of features.calendar."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from features.calendar import FIREWORKS_HOURS, calendar_features

ZONES = ["Asia/Shanghai", "Asia/Urumqi", "Europe/Berlin", "America/New_York", "UTC"]
CITIES = ["Beijing", "Tianjin", "Shanghai", "Atlantis", None]

instants = st.datetimes(
    min_value=datetime(2012, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive
    max_value=datetime(2028, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
rows = st.lists(
    st.tuples(instants, st.sampled_from(ZONES), st.sampled_from(CITIES)), min_size=1, max_size=40
)


def frame(sample):
    times, zones, cities = zip(*sample, strict=True)
    t = pd.Series(pd.DatetimeIndex(list(times)).as_unit("ns"))
    return calendar_features(t, pd.Series(zones), pd.Series(cities, dtype=object)), sample


@settings(max_examples=40, deadline=None)
@given(rows)
def test_local_fields_match_zoneinfo(sample):
    f, sample = frame(sample)
    for (_, r), (t, zone, _) in zip(f.iterrows(), sample, strict=True):
        wall = t.astimezone(ZoneInfo(zone))
        assert r["cal_hour"] == wall.hour
        assert r["cal_dow"] == wall.weekday()
        assert r["cal_doy"] == wall.timetuple().tm_yday


@settings(max_examples=40, deadline=None)
@given(rows, st.randoms(use_true_random=False))
def test_each_row_depends_only_on_itself(sample, random):
    # No leakage and no cross-row coupling: a row's features are the same alone and
    # inside any shuffled batch.
    f, sample = frame(sample)
    shuffled = list(range(len(sample)))
    random.shuffle(shuffled)
    g, _ = frame([sample[i] for i in shuffled])
    g.index = shuffled
    pd.testing.assert_frame_equal(g.sort_index(), f)
    alone, _ = frame(sample[:1])
    pd.testing.assert_frame_equal(alone, f.iloc[:1])


@settings(max_examples=40, deadline=None)
@given(rows)
def test_flag_consistency(sample):
    f, _ = frame(sample)
    start, end = FIREWORKS_HOURS
    fireworks = f["cal_fireworks_night"] == 1
    assert ((f.loc[fireworks, "cal_hour"] >= start) | (f.loc[fireworks, "cal_hour"] < end)).all()
    assert f.loc[fireworks, "cal_days_to_spring_festival"].between(-1, 15).all()
    # never both an official day off and an official working day
    assert not ((f["cal_is_holiday"] == 1) & (f["cal_is_workday"] == 1)).any()
    # availability flags say exactly where the NaNs are
    assert (f["cal_is_holiday"].isna() == ~f["cal_holiday_available"]).all()
    assert (f["cal_heating_season"].isna() == ~f["cal_heating_available"]).all()
    assert (f["cal_days_to_spring_festival"].abs() <= 192).all()
    np.testing.assert_allclose(f["cal_hour_sin"] ** 2 + f["cal_hour_cos"] ** 2, 1.0, rtol=1e-5)
