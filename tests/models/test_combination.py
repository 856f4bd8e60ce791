"""Combination: weights per lead bucket on a validation tail, kept only where they verify."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import InputDataError
from models.base import lead_bucket, time_split
from models.baselines import Climatology, DampedPersistence, Persistence
from models.combination import Combination


@pytest.fixture(scope="module")
def data(matrix_factory):
    return matrix_factory(n_stations=3, n_issues=50, leads=48, seed=5).split(10)


@pytest.fixture(scope="module")
def fitted(data):
    X, y, _, _ = data
    return Combination([Persistence(), Climatology()]).fit(X, y)


def test_weights_are_convex_per_bucket(fitted):
    assert fitted.weights_.shape == (5, 2)
    np.testing.assert_allclose(fitted.weights_.sum(axis=1), 1.0)
    assert (fitted.weights_ >= 0).all()


def test_inverse_error_weights_or_the_best_member(data, fitted):
    X, y, _, _ = data
    errors = fitted.member_errors_
    for b, chosen in enumerate(fitted.selection_):
        if np.isnan(errors[b]).all():  # leads 49-72 are not in this matrix: equal weights
            np.testing.assert_allclose(fitted.weights_[b], 0.5)
        elif chosen == "combination":
            inverse = 1.0 / errors[b]
            np.testing.assert_allclose(fitted.weights_[b], inverse / inverse.sum())
            assert fitted.combined_errors_[b] < errors[b].min()
        else:
            best = int(np.argmin(errors[b]))
            assert chosen == ["Persistence", "Climatology"][best]
            np.testing.assert_array_equal(fitted.weights_[b], np.eye(2)[best])
    # persistence wins the first hours, climatology the last: both appear
    assert fitted.weights_[0, 0] > fitted.weights_[0, 1]
    assert fitted.weights_[3, 1] > fitted.weights_[3, 0]


def test_member_errors_are_measured_on_the_validation_tail(data, fitted):
    X, y, _, _ = data
    train, valid = time_split(X["issued_at"], X["valid_at"], fitted.validation_fraction)
    valid &= y.notna().to_numpy()
    head = Persistence().fit(X[train], y[train]).predict(X[valid])
    bucket = lead_bucket(X.loc[valid, "lead_h"].to_numpy())
    error = (head["value"] - y[valid]).abs()
    first = error[bucket == 0].mean()
    assert fitted.member_errors_[0, 0] == pytest.approx(first)


def test_combination_verifies_at_least_as_well_as_its_parts_on_validation(fitted):
    seen = ~np.isnan(fitted.member_errors_).all(axis=1)
    used = np.where(
        np.array(fitted.selection_) == "combination",
        fitted.combined_errors_,
        fitted.member_errors_.min(axis=1),
    )
    assert seen[:4].all()
    assert (used[seen] <= fitted.member_errors_[seen].min(axis=1) + 1e-12).all()


def test_forecast_is_the_weighted_blend(data, fitted):
    _, _, X_test, _ = data
    out = fitted.predict(X_test)
    parts = [m.predict(X_test) for m in fitted.members_]
    w = fitted.weights_[lead_bucket(X_test["lead_h"].to_numpy())]
    ok = parts[0]["value"].notna().to_numpy()
    expected = w[ok, 0] * parts[0]["value"][ok] + w[ok, 1] * parts[1]["value"][ok]
    np.testing.assert_allclose(out["value"][ok], expected)


def test_a_member_without_forecast_leaves_the_others_renormalised(data, fitted):
    _, _, X_test, _ = data
    blind = X_test.assign(hist_pm25_last=np.nan)  # persistence has nothing to say
    assert fitted.selection_[0] == "Persistence"  # even where persistence was chosen alone
    out = fitted.predict(blind)
    clim = fitted.members_[1].predict(blind)
    pd.testing.assert_series_equal(out["value"], clim["value"])
    assert out.notna().all().all()


def test_stacked_weights_are_non_negative_and_sum_to_one(data):
    X, y, X_test, y_test = data
    model = Combination([DampedPersistence(), Climatology()], method="stacked").fit(X, y)
    assert (model.weights_ >= 0).all()
    np.testing.assert_allclose(model.weights_.sum(axis=1), 1.0)
    assert model.predict(X_test).notna().all().all()


def test_members_are_cloned_not_fitted_in_place(data):
    X, y, _, _ = data
    template = Persistence()
    Combination([template, Climatology()], refit=False).fit(X, y)
    assert not hasattr(template, "feature_names_in_")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"members": [Persistence()]}, "at least 2 members"),
        ({"members": [Persistence(), Climatology()], "method": "median"}, "choose one of"),
        ({"members": [Persistence(), Climatology()], "lead_buckets": (24, 12)}, "increasing"),
    ],
)
def test_invalid_combinations_are_refused(data, params, message):
    X, y, _, _ = data
    with pytest.raises(InputDataError, match=message):
        Combination(**params).fit(X, y)
