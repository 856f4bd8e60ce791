"""DirectGBM: skill over the baselines, intervals by lead, transforms, fallback, options."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import InputDataError, InsufficientHistoryError, NotFittedError
from models.baselines import Climatology, Persistence
from models.gbm import DirectGBM

FAST = {"num_threads": 1, "min_child_samples": 20, "n_estimators": 200}


@pytest.fixture(scope="module")
def data(matrix_factory):
    return matrix_factory(n_stations=3, n_issues=60, leads=48, seed=2).split(15)


@pytest.fixture(scope="module")
def fitted(data):
    X, y, _, _ = data
    return DirectGBM(**FAST).fit(X, y)


def _mae(out, y, rows=None):
    error = (out["value"] - y).abs()
    return float(error[rows].mean() if rows is not None else error.mean())


def test_beats_persistence_and_climatology(data, fitted):
    X, y, X_test, y_test = data
    gbm = fitted.predict(X_test)
    persistence = Persistence().fit(X, y).predict(X_test)
    climatology = Climatology().fit(X, y).predict(X_test)
    assert _mae(gbm, y_test) < 0.95 * _mae(persistence, y_test)
    assert _mae(gbm, y_test) < 0.95 * _mae(climatology, y_test)
    first = (X_test["lead_h"] == 1).to_numpy()
    # boosted from damped persistence: the first hour is as good as persistence
    assert _mae(gbm, y_test, first) < 1.15 * _mae(persistence, y_test, first)


def test_conformal_coverage_by_lead_bucket(data, fitted):
    _, _, X_test, y_test = data
    out = fitted.predict(X_test)
    inside = (y_test >= out["q10"]) & (y_test <= out["q90"])
    by_lead = inside[y_test.notna()].groupby(pd.cut(X_test["lead_h"], [0, 6, 12, 24, 48])).mean()
    # a 7-issue validation tail on synthetic data: loose; the real-data test is tighter
    assert by_lead.between(0.55, 0.97).all(), by_lead.to_dict()
    assert fitted.validation_scores_["coverage_q10_q90"] == pytest.approx(0.8, abs=0.05)


def test_quantile_objective_intervals_do_not_cross(data):
    X, y, X_test, y_test = data
    model = DirectGBM(quantile_method="quantile_objective", **FAST).fit(X, y)
    assert set(model.quantile_boosters_) == {0.1, 0.9}
    out = model.predict(X_test)
    assert (out["q10"] <= out["value"]).all()
    assert (out["value"] <= out["q90"]).all()
    inside = ((y_test >= out["q10"]) & (y_test <= out["q90"]))[y_test.notna()].mean()
    assert 0.5 < inside < 0.97


def test_auto_transform_keeps_the_lower_validation_error(data):
    X, y, _, _ = data
    model = DirectGBM(target_transform="auto", **FAST).fit(X, y)
    scores = model.validation_scores_
    assert {"mae_log1p", "mae_none"} <= set(scores)
    assert model.transform_ == min(("log1p", "none"), key=lambda k: scores[f"mae_{k}"])


def test_rows_without_any_target_history_fall_back_to_climatology(data, fitted):
    _, _, X_test, _ = data
    blind = X_test.copy()
    hist = [c for c in blind.columns if c.startswith("hist_pm25_")]
    blind.loc[blind.index[:100], hist] = np.nan
    mask = fitted.fallback_mask(blind)
    assert mask.sum() == 100
    out = fitted.predict(blind)
    expected = fitted.climatology_.predict(blind[mask])
    pd.testing.assert_frame_equal(out[mask], expected)
    assert out.notna().all().all()  # a forecast rather than a gap


def test_fallback_model_keeps_the_booster_forecast(data):
    X, y, X_test, _ = data
    blind = X_test.copy()
    blind.loc[blind.index[:50], "hist_pm25_last"] = np.nan
    model = DirectGBM(fallback="model", **FAST).fit(X, y)
    assert model.climatology_ is None
    out = model.predict(blind)
    assert out.notna().all().all()


def test_feature_importances_name_the_inputs(fitted):
    importances = fitted.feature_importances_
    assert list(importances.index) != []
    assert set(importances.index) == set(fitted.feature_names_in_)
    assert importances.is_monotonic_decreasing
    assert (importances >= 0).all()
    assert "lead_h" in importances.index
    assert "station" not in importances.index


def test_exclude_prefix_and_explicit_features(data):
    X, y, _, _ = data
    no_met = DirectGBM(exclude=("met_*", "cal_hour"), **FAST).fit(X, y)
    assert not any(str(c).startswith("met_") for c in no_met.feature_names_in_)
    assert "cal_hour" not in no_met.feature_names_in_
    chosen = DirectGBM(features=("lead_h", "hist_pm25_last"), **FAST).fit(X, y)
    assert list(chosen.feature_names_in_) == ["lead_h", "hist_pm25_last"]


def test_lead_groups_get_their_own_boosters_and_missing_groups_use_the_anchor(data):
    X, y, X_test, _ = data
    short = (X["lead_h"] <= 24).to_numpy()
    model = DirectGBM(lead_groups=(6, 24, 72), **FAST).fit(X[short], y[short])
    assert model.boosters_[0] is not None
    assert model.boosters_[1] is not None
    assert model.boosters_[2] is None
    assert model.best_iterations_[2] == 0
    far = X_test[X_test["lead_h"] > 24]
    np.testing.assert_allclose(model.predict(far)["value"], model.anchor_.predict(far)["value"])


@pytest.mark.parametrize(
    ("anchor", "expected"),
    [("none", {False}), ("damped_persistence", {True}), ("auto", {True, False})],
)
def test_start_of_each_lead_group(data, anchor, expected):
    X, y, X_test, _ = data
    model = DirectGBM(anchor=anchor, **FAST).fit(X, y)
    assert len(model.anchored_) == len(model.lead_groups)
    assert set(model.anchored_) <= expected
    assert (model.anchor_ is None) == (not any(model.anchored_))
    assert model.base_scores_.shape == (len(model.lead_groups),)
    assert model.predict(X_test).notna().all().all()


def test_auto_start_keeps_the_better_validation_error(data):
    X, y, _, _ = data
    scores = {
        anchor: DirectGBM(anchor=anchor, refit=False, **FAST).fit(X, y).validation_scores_
        for anchor in ("auto", "none", "damped_persistence")
    }
    best = min(scores["none"]["mae_log1p"], scores["damped_persistence"]["mae_log1p"])
    assert scores["auto"]["mae_log1p"] <= best + 1e-9


def test_forecast_of_a_row_does_not_depend_on_the_other_rows(data, fitted):
    _, _, X_test, _ = data
    whole = fitted.predict(X_test)
    part = X_test.iloc[::7]
    pd.testing.assert_frame_equal(fitted.predict(part), whole.loc[part.index])


def test_unit_weights_equal_no_weights_and_weights_matter(data):
    X, y, X_test, _ = data
    plain = DirectGBM(**FAST).fit(X, y).predict(X_test)
    ones = DirectGBM(**FAST).fit(X, y, sample_weight=pd.Series(1.0, index=X.index))
    pd.testing.assert_frame_equal(ones.predict(X_test), plain)
    weight = pd.Series(np.where(X["station"] == "S0", 0.01, 1.0), index=X.index)
    weighted = DirectGBM(**FAST).fit(X, y, sample_weight=weight).predict(X_test)
    assert not np.allclose(weighted["value"], plain["value"])


def test_negative_weights_are_refused(data):
    X, y, _, _ = data
    weight = pd.Series(1.0, index=X.index)
    weight.iloc[3] = -1.0
    with pytest.raises(InputDataError, match="sample_weight must be >= 0"):
        DirectGBM(**FAST).fit(X, y, sample_weight=weight)


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("quantile_method", "bootstrap"),
        ("target_transform", "sqrt"),
        ("anchor", "persistence"),
        ("fallback", "zero"),
        ("objective", "poisson"),
    ],
)
def test_invalid_options_list_the_valid_ones(data, option, value):
    X, y, _, _ = data
    with pytest.raises(InputDataError, match=f"{option}={value!r}; choose one of"):
        DirectGBM(**{option: value, **FAST}).fit(X, y)


def test_non_numeric_input_is_refused(data):
    X, y, _, _ = data
    labelled = X.assign(met_source="perfect prognosis")
    with pytest.raises(InputDataError, match="met_source are str"):
        DirectGBM(features=("lead_h", "met_source"), **FAST).fit(labelled, y)
    assert "met_source" not in DirectGBM(**FAST).fit(labelled, y).feature_names_in_


def test_missing_input_at_predict_is_named(fitted, data):
    _, _, X_test, _ = data
    with pytest.raises(InputDataError, match="met_temp_air"):
        fitted.predict(X_test.drop(columns="met_temp_air"))


def test_too_little_history_is_refused(data):
    X, y, _, _ = data
    one_issue = (X["issued_at"] == X["issued_at"].iloc[0]).to_numpy()
    with pytest.raises(InsufficientHistoryError, match="at least 2 issue times; got 1"):
        DirectGBM(**FAST).fit(X[one_issue], y[one_issue])
    two = X["issued_at"].isin(X["issued_at"].unique()[:2]).to_numpy()
    short = two & (X["station"] == "S0").to_numpy() & (X["lead_h"] <= 10).to_numpy()
    with pytest.raises(InsufficientHistoryError, match=">= 50 training rows"):
        DirectGBM(**FAST).fit(X[short], y[short])


def test_importances_before_fit_raise_not_fitted():
    with pytest.raises(NotFittedError):
        _ = DirectGBM().feature_importances_
