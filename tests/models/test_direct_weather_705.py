"""The weather at the lead being forecast reaches the direct model at that lead.

The failure mode to prevent is mlforecast issue #705, "max_horizon (direct) ignores
future exogenous features from X_df — only the first horizon step's values are used"
(https://github.com/Nixtla/mlforecast/issues/705): every horizon's model was scored on
the exogenous values of the first future step. Here the target at lead h depends only
on the weather column at lead h (y = 10 · met_temp_air + noise, the weather varying
within each issue), so a model that sees the right weather is accurate at every lead
and a model fed the first lead's weather at all leads is not — the test can fail.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.gbm import DirectGBM

N_STATIONS, N_ISSUES, LEADS = 3, 60, 72
PARAMS = {
    "target_transform": "none",
    "num_threads": 1,
    "min_child_samples": 20,
    "n_estimators": 400,
    "max_bin": 255,
}


def _matrix(seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(seed)
    issued = pd.date_range("2024-03-01 16:00", periods=N_ISSUES, freq="D", tz="UTC")
    station = np.repeat(np.arange(N_STATIONS), N_ISSUES * LEADS)
    issue = np.tile(np.repeat(np.arange(N_ISSUES), LEADS), N_STATIONS)
    lead = np.tile(np.arange(1, LEADS + 1), N_STATIONS * N_ISSUES)
    # weather along each issue's 72 h: independent swings, so lead 1 says little of lead 48
    phase = rng.uniform(0, 2 * np.pi, (N_STATIONS, N_ISSUES, 3))
    swing = sum(
        np.sin(2 * np.pi * lead / period + phase[station, issue, k])
        for k, period in enumerate((24.0, 37.0, 61.0))
    )
    temp = 17.0 + 4.0 * swing + rng.normal(0.0, 0.5, lead.size)
    X = pd.DataFrame(
        {
            "station": np.array([f"S{s}" for s in station]),
            "issued_at": issued[issue],
            "lead_h": lead,
            "valid_at": issued[issue] + pd.to_timedelta(lead - 1, unit="h"),
            "hist_pm25_last": np.float32(170.0) + rng.normal(0, 20, lead.size).astype(np.float32),
            "met_temp_air": temp.astype(np.float32),
        }
    )
    y = pd.Series(10.0 * temp + rng.normal(0.0, 1.0, lead.size), index=X.index)
    return X, y


def _first_lead_weather(X: pd.DataFrame) -> pd.DataFrame:
    """The #705 failure: every lead gets the weather of the first lead of its issue."""
    first = X.groupby(["station", "issued_at"])["met_temp_air"].transform("first")
    return X.assign(met_temp_air=first.astype(np.float32))


@pytest.fixture(scope="module")
def split():
    X, y = _matrix()
    test = (X["issued_at"] >= X["issued_at"].unique()[-12]).to_numpy()
    return X[~test], y[~test], X[test], y[test]


@pytest.fixture(scope="module")
def model(split):
    X, y, _, _ = split
    return DirectGBM(**PARAMS).fit(X, y)


def _mae_by_day(out: pd.DataFrame, y: pd.Series, lead: pd.Series) -> pd.Series:
    return (out["value"] - y).abs().groupby((lead.to_numpy() - 1) // 24 + 1).mean()


def test_direct_model_reproduces_the_lead_specific_relation(split, model):
    _, _, X_test, y_test = split
    mae = _mae_by_day(model.predict(X_test), y_test, X_test["lead_h"])
    spread = float(y_test.std())  # about 90: 10 x a weather swing of about 9 degC
    assert (mae < 0.1 * spread).all(), mae.to_dict()  # every day, not only day 1


def test_model_fed_the_first_leads_weather_fails(split, model):
    X, y, X_test, y_test = split
    good = _mae_by_day(model.predict(X_test), y_test, X_test["lead_h"])
    starved = DirectGBM(**PARAMS).fit(_first_lead_weather(X), y)
    bad = _mae_by_day(starved.predict(_first_lead_weather(X_test)), y_test, X_test["lead_h"])
    assert (bad > 4 * good).all(), (good.to_dict(), bad.to_dict())
    # scoring the right model on first-lead weather (the #705 predict path) fails too
    wrong_input = _mae_by_day(model.predict(_first_lead_weather(X_test)), y_test, X_test["lead_h"])
    assert (wrong_input.loc[[2, 3]] > 4 * good.loc[[2, 3]]).all()


def test_changing_the_weather_at_one_lead_moves_only_that_lead(split, model):
    _, _, X_test, _ = split
    base = model.predict(X_test)["value"]
    at_48 = (X_test["lead_h"] == 48).to_numpy()
    warmer = X_test.copy()
    warmer.loc[at_48, "met_temp_air"] = warmer.loc[at_48, "met_temp_air"] + np.float32(3.0)
    moved = model.predict(warmer)["value"] - base
    np.testing.assert_array_equal(moved[~at_48], 0.0)
    assert 15.0 < moved[at_48].mean() < 45.0  # the relation says +30
