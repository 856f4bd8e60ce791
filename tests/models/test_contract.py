"""One contract test over every registered estimator, plus the shared helpers of models.base.

In the spirit of scikit-learn's ``parametrize_with_checks``: fit returns self, using an
estimator before fit raises NotFittedError, a fixed seed gives identical forecasts, the
forecast frame is aligned to X with the columns value/q10/q90, quantiles never cross,
and a fitted estimator survives a pickle round trip.
"""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from forecasting.errors import InputDataError, NotFittedError, UnknownStandardError
from models.base import (
    OUTPUT_COLUMNS,
    Forecaster,
    clone,
    forward_transform,
    inverse_transform,
    lead_bucket,
    prediction_frame,
    residual_quantiles,
    time_split,
)
from models.registry import MODELS, available_models, make_model, model_class

# Small, fast hyper-parameters per registered name (every name must appear here).
FAST: dict[str, dict[str, object]] = {
    "persistence": {},
    "seasonal_naive": {},
    "climatology": {},
    "damped_persistence": {},
    "direct_gbm": {"n_estimators": 40, "num_threads": 1, "min_child_samples": 20},
    "sarimax": {"max_train_h": 24 * 20, "maxiter": 15, "order": (1, 0, 0)},
    "combination": {"members": ["persistence", "climatology"]},
}
CASES = [pytest.param(name, FAST[name], id=name) for name in sorted(FAST)] + [
    pytest.param(
        "direct_gbm",
        FAST["direct_gbm"] | {"quantile_method": "quantile_objective"},
        id="direct_gbm-quantile_objective",
    ),
    pytest.param(
        "combination",
        {"members": ["seasonal_naive", "climatology"], "method": "stacked"},
        id="combination-stacked",
    ),
]


@pytest.fixture(scope="module")
def data(matrix_factory):
    synthetic = matrix_factory(n_stations=2, n_issues=30, leads=30, seed=1)
    return synthetic.split(6)


def test_every_registered_model_is_covered():
    assert set(FAST) == set(MODELS)


@pytest.mark.parametrize(("name", "params"), CASES)
def test_fit_returns_self_and_sets_fitted_attributes(name, params, data):
    X, y, _, _ = data
    estimator = make_model(name, **params)
    assert not hasattr(estimator, "feature_names_in_")
    assert estimator.fit(X, y) is estimator
    assert estimator.n_features_in_ == len(estimator.feature_names_in_) > 0


@pytest.mark.parametrize(("name", "params"), CASES)
def test_predict_before_fit_raises_not_fitted(name, params, data):
    X = data[2]
    with pytest.raises(NotFittedError, match="not fitted yet"):
        make_model(name, **params).predict(X)


@pytest.mark.parametrize(("name", "params"), CASES)
def test_forecast_frame_is_aligned_and_quantiles_never_cross(name, params, data):
    X, y, X_test, _ = data
    shuffled = X_test.sample(frac=1.0, random_state=3)
    shuffled.index = shuffled.index + 10_000  # a non-default index must be kept
    out = make_model(name, **params).fit(X, y).predict(shuffled)
    assert list(out.columns) == list(OUTPUT_COLUMNS)
    assert out.index.equals(shuffled.index)
    values = out.to_numpy()
    finite = np.isfinite(values)
    assert (finite.all(axis=1) | ~finite.any(axis=1)).all()  # whole rows or nothing
    assert finite[:, 0].mean() > 0.9
    rows = finite.all(axis=1)
    assert (values[rows, 1] <= values[rows, 0]).all()
    assert (values[rows, 0] <= values[rows, 2]).all()
    assert (values[rows] >= 0).all()  # concentrations


@pytest.mark.parametrize(("name", "params"), CASES)
def test_same_seed_gives_identical_forecasts(name, params, data):
    X, y, X_test, _ = data
    first = make_model(name, random_state=7, **params).fit(X, y).predict(X_test)
    second = make_model(name, random_state=7, **params).fit(X, y).predict(X_test)
    pd.testing.assert_frame_equal(first, second)


@pytest.mark.parametrize(("name", "params"), CASES)
def test_pickle_round_trip_predicts_the_same(name, params, data):
    X, y, X_test, _ = data
    fitted = make_model(name, **params).fit(X, y)
    restored = pickle.loads(pickle.dumps(fitted))
    pd.testing.assert_frame_equal(restored.predict(X_test), fitted.predict(X_test))


@pytest.mark.parametrize(("name", "params"), CASES)
def test_get_params_round_trip_and_clone_is_unfitted(name, params, data):
    X, y, _, _ = data
    estimator = make_model(name, **params)
    fitted = estimator.fit(X, y)
    copy = clone(fitted)
    assert type(copy) is type(estimator)
    assert copy.get_params().keys() == estimator.get_params().keys()
    assert not hasattr(copy, "feature_names_in_")
    assert "random_state" in estimator.get_params()
    assert repr(estimator).startswith(type(estimator).__name__ + "(")


@pytest.mark.parametrize(("name", "params"), CASES)
def test_misaligned_target_is_refused(name, params, data):
    X, y, _, _ = data
    with pytest.raises(InputDataError, match="aligned to X"):
        make_model(name, **params).fit(X, y.iloc[:-1])


@pytest.mark.parametrize(("name", "params"), CASES)
def test_all_nan_target_is_refused(name, params, data):
    X, y, _, _ = data
    with pytest.raises(InputDataError, match="no finite value"):
        make_model(name, **params).fit(X, y * np.nan)


def test_set_params_refuses_unknown_names():
    with pytest.raises(InputDataError, match="no hyper-parameter 'depth'; valid: target"):
        make_model("persistence").set_params(depth=3)


# ---------------------------------------------------------------- registry
def test_unknown_model_name_lists_the_registered_ones():
    with pytest.raises(UnknownStandardError) as info:
        model_class("lstm")
    assert str(info.value) == (
        "unknown model 'lstm'; choose one of: climatology, combination, damped_persistence, "
        "direct_gbm, persistence, sarimax, seasonal_naive"
    )
    assert isinstance(info.value, KeyError)


def test_unknown_hyper_parameter_lists_the_valid_ones():
    with pytest.raises(InputDataError, match="model 'climatology' has no hyper-parameter"):
        make_model("climatology", num_leaves=3)


def test_combination_members_from_experiment_specs():
    model = make_model(
        "combination",
        members=[{"name": "persistence", "params": {"target": "no2"}}, "climatology"],
    )
    assert [type(m).__name__ for m in model.members] == ["Persistence", "Climatology"]
    assert model.members[0].target == "no2"


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ("persistence", "members must be a list"),
        ([{"name": "persistence", "depth": 2}], "unknown key"),
        ([3.5], "give a model name"),
        ([{"name": "prophet"}], "unknown model 'prophet'"),
    ],
)
def test_bad_combination_member_specs(members, message):
    with pytest.raises((InputDataError, UnknownStandardError), match=message):
        make_model("combination", members=members)


def test_available_models_sorted():
    assert available_models() == tuple(sorted(MODELS))
    assert all(issubclass(cls, Forecaster) for cls in MODELS.values())


# ---------------------------------------------------------------- helpers of models.base
@pytest.mark.parametrize(
    ("lead", "bucket"),
    [
        (1, 0),
        (6, 0),
        (7, 1),
        (12, 1),
        (13, 2),
        (24, 2),
        (25, 3),
        (48, 3),
        (49, 4),
        (72, 4),
        (90, 4),
    ],
)
def test_lead_bucket_edges(lead, bucket):
    assert lead_bucket([lead])[0] == bucket


def test_log1p_transform_round_trip_and_clips_negative():
    values = np.array([-2.0, 0.0, 1.5, 350.0])
    back = inverse_transform(forward_transform(values, "log1p"), "log1p")
    np.testing.assert_allclose(back, [0.0, 0.0, 1.5, 350.0])
    np.testing.assert_array_equal(forward_transform(values, "none"), values)


def test_residual_quantiles_per_bucket_and_pooled_fallback():
    residual = np.r_[np.linspace(-1, 1, 101), np.linspace(-3, 3, 101), [5.0]]
    bucket = np.r_[np.zeros(101), np.ones(101), [2]].astype(int)
    out = residual_quantiles(residual, bucket, 3, min_count=30)
    np.testing.assert_allclose(out[0], [-0.8, 0.8])
    np.testing.assert_allclose(out[1], [-2.4, 2.4])
    np.testing.assert_allclose(out[2], np.quantile(residual, [0.1, 0.9]))  # 1 value: pooled


def test_time_split_is_ordered_and_purged():
    issued = pd.Series(pd.date_range("2024-01-01", periods=10, freq="D", tz="UTC").repeat(3))
    lead = np.tile([1, 25, 49], 10)
    valid = issued + pd.to_timedelta(lead - 1, unit="h")
    train, validation = time_split(issued, valid, 0.2)
    cut = pd.Timestamp("2024-01-09", tz="UTC")
    assert (issued[validation] >= cut).all()
    assert validation.sum() == 6
    assert (valid[train] < cut).all()
    # issued 2024-01-08 with lead 25/49 reaches into the validation period: purged
    assert not train[(issued == pd.Timestamp("2024-01-08", tz="UTC")).to_numpy() & (lead > 1)].any()
    assert train[(issued == pd.Timestamp("2024-01-08", tz="UTC")).to_numpy() & (lead == 1)].all()


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1])
def test_time_split_refuses_bad_fraction(fraction):
    stamps = pd.Series(pd.date_range("2024-01-01", periods=3, tz="UTC"))
    with pytest.raises(InputDataError, match="must be in \\(0, 1\\)"):
        time_split(stamps, stamps, fraction)


def test_prediction_frame_enforces_order_bounds_and_whole_rows():
    out = prediction_frame(
        pd.Index([5, 6, 7, 8]),
        [10.0, 10.0, np.nan, -1.0],
        [12.0, np.nan, 1.0, -3.0],
        [8.0, 11.0, 2.0, -0.5],
    )
    np.testing.assert_array_equal(out.loc[5].to_numpy(), [10.0, 8.0, 12.0])  # crossed: sorted
    np.testing.assert_array_equal(out.loc[6].to_numpy(), [10.0, 10.0, 11.0])  # q10 missing
    assert out.loc[7].isna().all()  # no value: no interval either
    np.testing.assert_array_equal(out.loc[8].to_numpy(), [0.0, 0.0, 0.0])  # >= 0
