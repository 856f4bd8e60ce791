"""Baselines: persistence, seasonal naive, climatology and damped persistence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import InputDataError
from models.baselines import (
    CLIMATOLOGY_LEVELS,
    Climatology,
    DampedPersistence,
    Persistence,
    SeasonalNaive,
)

UTC = "UTC"


def _frame(last, lead, **extra):
    return pd.DataFrame({"hist_pm25_last": last, "lead_h": lead, **extra})


# ---------------------------------------------------------------- persistence
def test_persistence_value_is_the_last_known_value(synthetic):
    X, y = synthetic.X, synthetic.y
    out = Persistence("pm25").fit(X, y).predict(X)
    np.testing.assert_array_equal(out["value"].to_numpy(), X["hist_pm25_last"].to_numpy())


def test_persistence_quantiles_come_from_residuals_per_lead_bucket():
    # y = last + 5 at leads 1-6 and last - 10 at leads 25-48 (transform "none": additive)
    lead = np.r_[np.full(40, 3), np.full(40, 30)]
    last = np.linspace(10.0, 50.0, 80)
    y = pd.Series(last + np.where(lead <= 6, 5.0, -10.0))
    model = Persistence("pm25", transform="none", min_count=30).fit(_frame(last, lead), y)
    np.testing.assert_allclose(model.residual_quantiles_[0], [5.0, 5.0])
    np.testing.assert_allclose(model.residual_quantiles_[3], [-10.0, -10.0])
    out = model.predict(_frame([20.0, 20.0], [2, 40]))
    np.testing.assert_allclose(out.to_numpy(), [[20.0, 20.0, 25.0], [20.0, 10.0, 20.0]])


def test_persistence_log_quantiles_are_multiplicative():
    lead = np.full(50, 1)
    last = np.linspace(10.0, 100.0, 50)
    y = pd.Series(np.expm1(np.log1p(last) + 0.1))
    model = Persistence("pm25", min_count=30).fit(_frame(last, lead), y)
    out = model.predict(_frame([9.0, 99.0], [1, 1]))
    np.testing.assert_allclose(out["q90"], np.expm1(np.log1p([9.0, 99.0]) + 0.1))


def test_persistence_without_a_last_value_gives_nan_not_a_guess():
    model = Persistence().fit(_frame([1.0, 2.0], [1, 1]), pd.Series([1.0, 2.0]))
    out = model.predict(_frame([np.nan, 3.0], [1, 1]))
    assert out.iloc[0].isna().all()
    assert out.iloc[1].notna().all()


def test_persistence_reads_the_named_target():
    X = _frame([5.0], [1]).rename(columns={"hist_pm25_last": "hist_no2_last"})
    out = Persistence("no2").fit(X, pd.Series([6.0])).predict(X)
    assert out["value"].iloc[0] == 5.0
    with pytest.raises(InputDataError, match="hist_o3_last"):
        Persistence("o3").fit(X, pd.Series([6.0]))


@pytest.mark.parametrize("buckets", [(), (6, 6), (12, 6), (0, 6)])
def test_invalid_lead_buckets_are_refused(buckets):
    with pytest.raises(InputDataError, match="strictly increasing"):
        Persistence(lead_buckets=buckets).fit(_frame([1.0], [1]), pd.Series([1.0]))


# ---------------------------------------------------------------- seasonal naive
def test_seasonal_naive_is_the_same_hour_of_the_last_known_day(synthetic):
    X, y = synthetic.X, synthetic.y
    out = SeasonalNaive().fit(X, y).predict(X)
    # the synthetic truth at valid_at - 24 k h, k = ceil(lead / 24): the definition
    hours = synthetic.hours
    station = X["station"].str[1:].astype(int).to_numpy()
    position = hours.get_indexer(pd.DatetimeIndex(X["valid_at"]))
    k = np.ceil(X["lead_h"].to_numpy() / 24).astype(int)
    expected = synthetic.truth[station, position - 24 * k].astype(np.float32)  # matrix dtype
    np.testing.assert_array_equal(out["value"].to_numpy(), expected.astype(np.float64))
    assert np.isnan(expected).any()  # missing days stay missing


# ---------------------------------------------------------------- climatology
def _clim_frame(stations, stamps):
    return pd.DataFrame({"station": stations, "valid_at": pd.DatetimeIndex(stamps)})


def test_climatology_groups_by_station_month_and_local_hour():
    # 20 January days at 08:00 Beijing (00:00 UTC) for A; values 1..20
    stamps = pd.date_range("2024-01-01 00:00", periods=20, freq="D", tz=UTC)
    X = _clim_frame(["A"] * 20, stamps)
    y = pd.Series(np.arange(1.0, 21.0))
    model = Climatology(min_count=10).fit(X, y)
    out = model.predict(_clim_frame(["A"], ["2025-01-15 00:00+00:00"]))
    np.testing.assert_allclose(out.to_numpy(), [[10.5, np.quantile(y, 0.1), np.quantile(y, 0.9)]])
    first = model.tables_[0]
    assert first.loc[0, ["station", "month", "hour"]].tolist() == ["A", 1, 8]


def test_climatology_counts_each_valid_time_once():
    stamps = pd.DatetimeIndex(["2024-01-01 00:00"] * 5 + ["2024-01-02 00:00"], tz=UTC)
    X = _clim_frame(["A"] * 6, stamps).assign(lead_h=[1, 2, 3, 4, 5, 1])
    y = pd.Series([100.0] * 5 + [0.0])
    out = Climatology(min_count=1).fit(X, y).predict(X.iloc[:1])
    assert out["value"].iloc[0] == 50.0  # not 500/6


def test_climatology_median_statistic():
    stamps = pd.date_range("2024-01-01", periods=3, freq="D", tz=UTC)
    X = _clim_frame(["A"] * 3, stamps)
    out = Climatology(statistic="median", min_count=1).fit(X, pd.Series([1.0, 2.0, 30.0]))
    assert out.predict(X.iloc[:1])["value"].iloc[0] == 2.0


@pytest.mark.parametrize(
    ("station", "stamp", "expected"),
    [
        pytest.param("A", "2025-03-01 00:00+00:00", 15.0, id="unseen-month:station-x-hour"),
        pytest.param("Z", "2025-01-10 00:00+00:00", 17.5, id="unseen-station:month-x-hour"),
        pytest.param("Z", "2025-07-01 05:00+00:00", 17.5, id="nothing-known:all-values"),
    ],
)
def test_climatology_falls_back_to_coarser_groups(station, stamp, expected):
    jan_a = pd.date_range("2024-01-01 00:00", periods=10, freq="D", tz=UTC)
    jan_b = pd.date_range("2024-01-01 00:00", periods=10, freq="D", tz=UTC)
    X = _clim_frame(["A"] * 10 + ["B"] * 10, jan_a.append(jan_b))
    y = pd.Series([15.0] * 10 + [20.0] * 10)
    model = Climatology(min_count=5).fit(X, y)
    out = model.predict(_clim_frame([station], [stamp]))
    assert out["value"].iloc[0] == pytest.approx(expected)


def test_climatology_levels_go_from_fine_to_coarse():
    sizes = [len(level) for level in CLIMATOLOGY_LEVELS]
    assert sizes == sorted(sizes, reverse=True)
    assert CLIMATOLOGY_LEVELS[0] == ("station", "month", "hour")
    assert CLIMATOLOGY_LEVELS[-1] == ()


def test_climatology_small_group_is_treated_as_empty():
    stamps = pd.date_range("2024-01-01 00:00", periods=12, freq="D", tz=UTC)
    hours = stamps.append(pd.DatetimeIndex(["2024-01-20 01:00"], tz=UTC))
    X = _clim_frame(["A"] * 13, hours)
    y = pd.Series([10.0] * 12 + [1000.0])
    out = Climatology(min_count=10).fit(X, y).predict(X.iloc[-1:])
    # the 09:00 group has 1 value (< 10): station x month (13 values) answers
    assert out["value"].iloc[0] == pytest.approx((120.0 + 1000.0) / 13)


def test_climatology_refuses_naive_times_and_missing_columns():
    X = pd.DataFrame({"station": ["A"], "valid_at": pd.DatetimeIndex(["2024-01-01"])})
    with pytest.raises(InputDataError, match="timezone-aware"):
        Climatology().fit(X, pd.Series([1.0]))
    with pytest.raises(InputDataError, match="needs the model-matrix column\\(s\\) station"):
        Climatology().fit(X.drop(columns="station"), pd.Series([1.0]))


def test_climatology_refuses_unknown_statistic():
    X = _clim_frame(["A"], ["2024-01-01 00:00+00:00"])
    with pytest.raises(InputDataError, match="choose one of: mean, median"):
        Climatology(statistic="mode").fit(X, pd.Series([1.0]))  # type: ignore[arg-type]


# ---------------------------------------------------------------- damped persistence
def test_damped_persistence_relaxes_from_persistence_toward_climatology(synthetic):
    X, y, X_test, y_test = synthetic.split(10)
    model = DampedPersistence().fit(X, y)
    a = model.damping_
    assert a[0] > 0.8
    assert a[47] < a[0] - 0.3
    assert np.all((a >= 0) & (a <= 1))
    out = model.predict(X_test)
    mae = (out["value"] - y_test).abs()
    lead = X_test["lead_h"]
    pers = (X_test["hist_pm25_last"] - y_test).abs()
    clim = (model.climatology_.predict(X_test)["value"] - y_test).abs()
    assert mae[lead == 1].mean() < 1.2 * pers[lead == 1].mean()
    assert mae[lead > 36].mean() < pers[lead > 36].mean()
    assert mae.mean() < min(pers.mean(), clim.mean())


def test_damped_persistence_factor_is_least_squares():
    # z = m + 0.5 (z_last - m) exactly, transform none; one station, month and hour
    stamps = pd.date_range("2000-01-01 00:00", periods=40, freq="YS-JAN", tz=UTC)
    last = np.r_[np.full(20, 20.0), np.full(20, 0.0)]
    y = pd.Series(np.r_[np.full(20, 15.0), np.full(20, 5.0)])  # m = 10
    X = _clim_frame(["A"] * 40, stamps).assign(lead_h=1, hist_pm25_last=last)
    model = DampedPersistence(transform="none").fit(X, y)
    assert model.damping_[0] == pytest.approx(0.5)
    out = model.predict(X.iloc[[0]].assign(hist_pm25_last=np.nan))
    assert out["value"].iloc[0] == pytest.approx(10.0)  # no last value: climatology
