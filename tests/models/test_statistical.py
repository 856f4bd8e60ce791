"""SarimaxForecaster: the history window is what was known at T; applied, not refitted."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.statespace.sarimax import SARIMAX

from forecasting.errors import InputDataError
from models.baselines import Climatology, Persistence
from models.statistical import WINDOW_H, SarimaxForecaster, diurnal_regressors

FAST = {"max_train_h": 24 * 30, "maxiter": 30}


@pytest.fixture(scope="module")
def synthetic_split(matrix_factory):
    synthetic = matrix_factory(n_stations=2, n_issues=40, leads=48, seed=4)
    return synthetic, synthetic.split(8)


@pytest.fixture(scope="module")
def fitted(synthetic_split):
    _, (X, y, _, _) = synthetic_split
    return SarimaxForecaster(**FAST).fit(X, y)


def test_window_is_the_24_hours_before_the_issue(synthetic_split, fitted):
    synthetic, (_, _, X_test, _) = synthetic_split
    keys, window = fitted.windows(X_test)
    assert window.shape == (len(keys), WINDOW_H)
    hours = synthetic.hours
    for (station, issued), row in zip(keys[:5], window[:5], strict=True):
        t0 = hours.get_loc(issued)
        s = int(station[1:])
        expected = synthetic.truth[s, t0 - WINDOW_H : t0].astype(np.float32)  # T-24 … T-1
        np.testing.assert_array_equal(row, expected.astype(np.float64))
    assert np.isnan(window).any()  # missing hours stay missing


def test_window_from_lags_alone_when_only_one_row_per_issue(synthetic_split, fitted):
    _, (_, _, X_test, _) = synthetic_split
    keys_all, full = fitted.windows(X_test)
    one = X_test[X_test["lead_h"] == 40]  # no samehour rows of leads 1-24
    keys, window = fitted.windows(one)
    assert list(keys) == list(keys_all)
    for k in (1, 2, 3, 6, 12, 24):  # the matrix's lag columns
        np.testing.assert_array_equal(window[:, WINDOW_H - k], full[:, WINDOW_H - k])
    assert np.isnan(window[:, WINDOW_H - 5]).all()  # lag 5 is not a matrix column


def _error_window(fit, model, issued, window):
    stamps = issued - pd.to_timedelta(np.arange(WINDOW_H, 0, -1), unit="h")
    hour = stamps.tz_convert(model.timezone).hour
    return np.log1p(window) - diurnal_regressors(hour, model.harmonics) @ fit.beta


@pytest.mark.parametrize(
    "holes", [(), (3, 10, 23), tuple(range(WINDOW_H))], ids=["complete", "gaps", "empty"]
)
def test_forecast_equals_statsmodels_apply_with_the_fitted_parameters(
    synthetic_split, fitted, holes
):
    _, (_, _, X_test, _) = synthetic_split
    station, issue = "S1", X_test["issued_at"].iloc[0]
    rows = X_test[(X_test["station"] == station) & (X_test["issued_at"] == issue)].copy()
    keys, window = fitted.windows(rows)
    window = window[0].copy()
    window[np.isnan(window)] = 50.0
    window[list(holes)] = np.nan
    for h in range(1, WINDOW_H + 1):  # write the window back into the matrix columns
        rows.loc[rows["lead_h"] == h, "hist_pm25_samehour_d1"] = window[h - 1]
    for k in (1, 2, 3, 6, 12, 24):
        rows[f"hist_pm25_lag{k}"] = window[WINDOW_H - k]
    out = fitted.predict(rows)
    fit = fitted.stations_[station]
    u = _error_window(fit, fitted, pd.DatetimeIndex([issue])[0], window)
    # the reference: statsmodels results with the fitted parameters, applied to the window
    reference = SARIMAX(np.zeros(200), order=fitted.order, trend="n").filter(fit.params)
    applied = reference.apply(u).get_forecast(fitted.horizon_)
    lead = rows["lead_h"].to_numpy()
    valid_hour = pd.DatetimeIndex(rows["valid_at"]).tz_convert(fitted.timezone).hour
    mean = diurnal_regressors(valid_hour, fitted.harmonics) @ fit.beta
    z = mean + np.asarray(applied.predicted_mean)[lead - 1]
    np.testing.assert_allclose(np.log1p(out["value"]), z, atol=1e-8)
    se = np.asarray(applied.se_mean)[lead - 1]
    np.testing.assert_allclose(np.log1p(out["q90"]), z + 1.2815515655446004 * se, atol=1e-8)


def test_forecast_uses_only_the_history_columns(synthetic_split, fitted):
    _, (_, _, X_test, _) = synthetic_split
    base = fitted.predict(X_test)
    changed = X_test.assign(met_temp_air=0.0, hist_pm25_mean24h=1.0)
    pd.testing.assert_frame_equal(fitted.predict(changed), base)
    future = X_test.copy()  # samehour_d1 of leads > 24 is not in the 24-h window
    future.loc[future["lead_h"] > 24, "hist_pm25_samehour_d1"] = 999.0
    pd.testing.assert_frame_equal(fitted.predict(future), base)


def test_skill_at_short_leads_and_reversion_at_long_leads(synthetic_split, fitted):
    _, (X, y, X_test, y_test) = synthetic_split
    out = fitted.predict(X_test)
    error = (out["value"] - y_test).abs()
    lead = X_test["lead_h"]
    clim = (Climatology().fit(X, y).predict(X_test)["value"] - y_test).abs()
    pers = (Persistence().fit(X, y).predict(X_test)["value"] - y_test).abs()
    assert error[lead <= 3].mean() < clim[lead <= 3].mean()
    assert error[lead > 24].mean() < pers[lead > 24].mean()
    width = np.log1p(out["q90"]) - np.log1p(out["q10"])
    assert width[lead == 1].mean() < width[lead == 48].mean()  # uncertainty grows with lead


def test_unknown_station_gets_nan(synthetic_split, fitted):
    _, (_, _, X_test, _) = synthetic_split
    out = fitted.predict(X_test.assign(station="elsewhere"))
    assert out.isna().all().all()


def test_order_must_be_stationary_arma(synthetic_split):
    _, (X, y, _, _) = synthetic_split
    with pytest.raises(InputDataError, match="must be \\(p, 0, q\\)"):
        SarimaxForecaster(order=(1, 1, 0)).fit(X, y)


def test_diurnal_regressors_shape_and_period():
    out = diurnal_regressors(np.arange(48) % 24, 2)
    assert out.shape == (48, 5)
    np.testing.assert_allclose(out[:24], out[24:])
    np.testing.assert_allclose(out[:, 0], 1.0)
