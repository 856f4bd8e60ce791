"""DirectGBM: global LightGBM models of one pollutant at every lead (direct strategy).

Every row of the model matrix carries the inputs valid at *its* lead (weather and
calendar of the valid time, ``met_*``, ``cal_*``) beside what was known at the issue
time (``hist_*``, ``nbr_*``), and ``lead_h`` is an input. The boosters are global (all
stations) and direct, one per group of leads (``lead_groups``, default 1, 2-6, 7-24,
25-72 h), each scoring the rows of its leads with their own inputs: the weather at lead
48 reaches the forecast for lead 48. The failure of mlforecast #705 [1]_, where only the
first horizon step's exogenous values reached every horizon's model, is tested against
in ``tests/models/test_direct_weather_705.py``.

Training
--------
* **Initial score per lead group** (``anchor``): each group's booster learns
  corrections either to :class:`models.baselines.DampedPersistence` (right at lead 1,
  near climatology at 72) or to a constant (plain boosting); ``"auto"`` keeps, per
  group, the start that verifies better on the validation tail. Damped persistence
  wins the first hours of PM2.5; for ozone, whose climatology of a summer-heavy year
  misleads the winter afternoons, the constant wins (validation MAE 11.3 against
  19.5 µg m⁻³ on the Beijing test bed). The engine is :mod:`models.gbm_groups`.
* **Validation tail**: the last ``validation_fraction`` of the issue times, time
  ordered and purged (:func:`models.base.time_split`; never a random split), gives
  early stopping per lead group, the transform choice (``target_transform="auto"``)
  and the conformal offsets; with ``refit=True`` anchor and boosters are then refitted
  on all rows with the early-stopped numbers of rounds.
* ``target_transform="log1p"``: concentrations are right-skewed; the back-transformed
  forecast is a median, which suits MAE.
* **Quantiles** (``quantile_method``): ``"conformal"`` adds split-conformal offsets
  [2]_, the 10 % and 90 % quantiles of the validation residuals in the transformed
  space per lead bucket; ``"quantile_objective"`` trains boosters with LightGBM's
  pinball loss at α = 0.1 and 0.9 (equivariant under the monotone transform).

Measured on the Beijing test bed (12 stations, training issues 2014-03-01 …
2015-01-01, test issues 2015-01-02 … 02-28, station weather as perfect prognosis,
hourly PM2.5 MAE [µg m⁻³]): 45.6 overall and 14.1 at lead 1 (persistence 91.3 and
13.9, climatology 71.8); with constant starts only 47.1 and 18.6; without the refit
53.7. Conformal intervals covered 83 % (pinball 12.4), quantile boosters 66 %
(pinball 11.2): conformal is the default because it meets the 75-85 % coverage target,
at a 10 % higher pinball loss. With the test from 2015-01-01, MAE overall / leads
25-72 of DirectGBM, persistence and climatology: PM2.5 46.5 / 49.9, 91.0 / 106.3,
73.6 / 73.8; PM10 57.5 / 61.2, 104.4 / 120.2, 81.0 / 81.2; SO2 15.2 / 16.5, 24.8 /
28.2, 20.1 / 20.1; NO2 19.5 / 20.8, 38.8 / 44.0, 30.6 / 30.6; CO [mg m⁻³] 0.74 /
0.79, 1.42 / 1.62, 1.09 / 1.09; O3 12.7 / 13.1, 25.3 / 28.2, 26.6 / 26.6. Training
took 43-61 s per pollutant with 2 threads on the idle 2-core machine (265,000 rows,
476 inputs).

Fallback
--------
A row whose target history is entirely missing (``hist_{target}_last`` is NaN: no
valid value in the history window) is outside what the boosters learnt; with
``fallback="climatology"`` it takes the internal :class:`models.baselines.Climatology`
forecast, a forecast rather than a gap (:meth:`DirectGBM.fallback_mask` flags it).

References
----------
.. [1] Nixtla/mlforecast issue #705, "max_horizon (direct) ignores future exogenous
   features from X_df — only the first horizon step's values are used",
   https://github.com/Nixtla/mlforecast/issues/705
.. [2] Lei, J. et al. (2018). Distribution-free predictive inference for regression.
   JASA 113(523), 1094-1111, doi:10.1080/01621459.2017.1307116.
.. [3] Ke, G. et al. (2017). LightGBM: a highly efficient gradient boosting decision
   tree. NeurIPS 30. https://lightgbm.readthedocs.io/
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Self

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasting.errors import InputDataError, InsufficientHistoryError
from models.base import (
    DEFAULT_LEAD_BUCKETS,
    KEY_COLUMNS,
    QUANTILES,
    Forecaster,
    TargetTransform,
    check_lead_buckets,
    check_xy,
    design_matrix,
    forward_transform,
    interval_scores,
    inverse_transform,
    lead_bucket,
    prediction_frame,
    require_columns,
    residual_quantiles,
    time_split,
)
from models.baselines import Climatology, DampedPersistence
from models.gbm_groups import (
    Boosters,
    GroupData,
    bin_groups,
    group_means,
    refit_groups,
    rounds,
    score_groups,
    train_groups,
)

__all__ = ["AnchorChoice", "DirectGBM", "FallbackPolicy", "QuantileMethod", "TransformChoice"]

QuantileMethod = Literal["conformal", "quantile_objective"]
TransformChoice = Literal["log1p", "none", "auto"]
FallbackPolicy = Literal["climatology", "model"]
AnchorChoice = Literal["auto", "damped_persistence", "none"]
Objective = Literal["l2", "l1", "huber"]
_OPTIONS: dict[str, tuple[str, ...]] = {
    "quantile_method": ("conformal", "quantile_objective"),
    "target_transform": ("log1p", "none", "auto"),
    "anchor": ("auto", "damped_persistence", "none"),
    "fallback": ("climatology", "model"),
    "objective": ("l2", "l1", "huber"),
}
_OBJECTIVES = {"l2": "regression", "l1": "regression_l1", "huber": "huber"}
_MIN_TRAIN_ROWS = 50
Float32Matrix = npt.NDArray[np.float32]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]


@dataclass(frozen=True)
class _Fit:
    """Early-stopped boosters of one transform, their starts and validation forecast."""

    boosters: Boosters
    anchor: DampedPersistence | None
    anchored: tuple[bool, ...]
    init: FloatArray  # initial score of every row
    z_valid: FloatArray  # all rows; finite on the validation rows
    sets: list[GroupData | None]


class DirectGBM(Forecaster):
    """LightGBM per lead group, boosted from damped persistence, with q10/q90.

    Parameters
    ----------
    target : str
        Pollutant (``pm25``, ``pm10``, ``so2``, ``no2``, ``co``, ``o3``) [µg m⁻³; CO
        mg m⁻³]; names the anchor's and the fallback's column ``hist_{target}_last``.
    features : tuple of str, optional
        Model inputs; default every numeric or boolean column of ``X`` except the keys
        ``station``, ``issued_at``, ``valid_at`` (``lead_h`` is an input).
    exclude : tuple of str
        Columns, or prefixes ending in ``*`` (``"met_*"``), left out of the default
        inputs.
    quantile_method : {"conformal", "quantile_objective"}
        How q10/q90 are made (module docstring).
    target_transform : {"log1p", "none", "auto"}
        Modelling space; ``"auto"`` fits both and keeps the lower validation MAE.
    anchor : {"auto", "damped_persistence", "none"}
        Start of each group's booster: damped persistence, a constant, or per group
        whichever verifies better on the validation tail (module docstring).
    lead_groups : tuple of int
        Upper edges [h] of the lead groups that get their own boosters; ``(72,)``
        gives one booster for all leads.
    lead_buckets : tuple of int
        Upper edges [h] of the lead buckets of the conformal offsets.
    validation_fraction : float
        Fraction of the issue times in the validation tail.
    n_estimators, learning_rate, num_leaves, min_child_samples, feature_fraction,
    bagging_fraction, max_bin, lambda_l2, objective :
        LightGBM: most rounds; shrinkage; leaves per tree; least rows per leaf;
        fraction of inputs per tree; fraction of rows per round; histogram bins; L2
        penalty; loss of the point model.
    early_stopping_rounds : int
        Rounds without improvement of the validation L1 before stopping.
    refit : bool
        Refit on all rows with the early-stopped numbers of rounds.
    fallback : {"climatology", "model"}
        What rows without any target history get (module docstring).
    num_threads : int
        LightGBM threads.
    random_state : int
        Seed of LightGBM's row and feature sampling.

    Attributes
    ----------
    boosters_ : tuple of lightgbm.Booster or None
        Point model per lead group (None: no rows of that group in training; its
        rows get the start alone).
    anchored_ : tuple of bool
        Per lead group: starts from damped persistence (else from ``base_scores_``).
    base_scores_ : numpy.ndarray
        Constant start per lead group (mean transformed target).
    quantile_boosters_ : dict of float to tuple
        α → boosters per group (``quantile_method="quantile_objective"``).
    best_iterations_ : tuple of int
        Early-stopped rounds per group.
    anchor_ : DampedPersistence or None
        The damped persistence the anchored groups correct (None if no group is).
    conformal_offsets_ : numpy.ndarray
        Lead bucket × (q10, q90) residual offsets in the transformed space.
    transform_ : {"log1p", "none"}
        Transform in use.
    validation_scores_ : dict
        Validation MAE per transform tried, and the q10–q90 coverage and mean pinball
        loss on the validation tail (before refit).
    climatology_ : Climatology or None
        Fallback model.
    feature_names_in_ : numpy.ndarray
        Inputs, in order.
    """

    def __init__(
        self,
        target: str = "pm25",
        *,
        features: tuple[str, ...] | None = None,
        exclude: tuple[str, ...] = (),
        quantile_method: QuantileMethod = "conformal",
        target_transform: TransformChoice = "log1p",
        anchor: AnchorChoice = "auto",
        lead_groups: tuple[int, ...] = (1, 6, 24, 72),
        lead_buckets: tuple[int, ...] = DEFAULT_LEAD_BUCKETS,
        validation_fraction: float = 0.15,
        n_estimators: int = 500,
        learning_rate: float = 0.1,
        num_leaves: int = 31,
        min_child_samples: int = 100,
        feature_fraction: float = 0.5,
        bagging_fraction: float = 0.5,
        max_bin: int = 63,
        lambda_l2: float = 1.0,
        objective: Objective = "l2",
        early_stopping_rounds: int = 30,
        refit: bool = True,
        fallback: FallbackPolicy = "climatology",
        num_threads: int = 2,
        random_state: int = 0,
    ) -> None:
        self.target = target
        self.features = features
        self.exclude = exclude
        self.quantile_method = quantile_method
        self.target_transform = target_transform
        self.anchor = anchor
        self.lead_groups = lead_groups
        self.lead_buckets = lead_buckets
        self.validation_fraction = validation_fraction
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.feature_fraction = feature_fraction
        self.bagging_fraction = bagging_fraction
        self.max_bin = max_bin
        self.lambda_l2 = lambda_l2
        self.objective = objective
        self.early_stopping_rounds = early_stopping_rounds
        self.refit = refit
        self.fallback = fallback
        self.num_threads = num_threads
        self.random_state = random_state

    # ------------------------------------------------------------------ fit
    def fit(self, X: pd.DataFrame, y: pd.Series, *, sample_weight: pd.Series | None = None) -> Self:
        """Fit the anchor, the boosters per lead group, the intervals and the fallback.

        Parameters
        ----------
        X : pandas.DataFrame
            Model-matrix rows: ``station``, ``issued_at``, ``valid_at``, ``lead_h`` and
            the features.
        y : pandas.Series
            Observed target [unit of the target], aligned to ``X``.
        sample_weight : pandas.Series, optional
            Row weights, aligned to ``X``.

        Returns
        -------
        Self
            The fitted estimator.

        Raises
        ------
        forecasting.errors.InputDataError
            For an invalid option, a missing key column or a non-numeric input.
        forecasting.errors.InsufficientHistoryError
            When the training head or the validation tail has too few rows with a target.
        """
        self._check_options()
        target, weight = check_xy(X, y, sample_weight, "DirectGBM")
        require_columns(X, ["station", "issued_at", "valid_at", "lead_h"], "DirectGBM")
        columns = self._select_features(X)
        matrix = design_matrix(X, columns, "DirectGBM")
        train, valid = time_split(X["issued_at"], X["valid_at"], self.validation_fraction)
        finite = np.isfinite(target)
        train &= finite
        valid &= finite
        if train.sum() < _MIN_TRAIN_ROWS or not valid.any():
            raise InsufficientHistoryError(
                f"DirectGBM needs >= {_MIN_TRAIN_ROWS} training rows and >= 1 validation row "
                f"with a target; got {int(train.sum())} and {int(valid.sum())} "
                f"(validation_fraction={self.validation_fraction})"
            )
        lead = X["lead_h"].to_numpy()
        groups = lead_bucket(lead, self.lead_groups)
        transforms: tuple[TargetTransform, ...] = (
            ("log1p", "none") if self.target_transform == "auto" else (self.target_transform,)
        )
        scores: dict[str, float] = {}
        fits: dict[str, _Fit] = {}
        for kind in transforms:
            split = (train, valid, finite)
            fits[kind] = self._fit_point(X, y, matrix, weight, split, groups, kind)
            error = inverse_transform(fits[kind].z_valid[valid], kind) - target[valid]
            scores[f"mae_{kind}"] = float(np.nanmean(np.abs(error)))
        self.transform_: TargetTransform = min(transforms, key=lambda k: scores[f"mae_{k}"])
        chosen = fits[self.transform_]
        self.boosters_, self.anchor_ = chosen.boosters, chosen.anchor
        self.anchored_ = chosen.anchored
        self.best_iterations_ = tuple(rounds(b) for b in chosen.boosters)
        z = forward_transform(target, self.transform_)
        buckets = lead_bucket(lead, self.lead_buckets)
        self.conformal_offsets_ = residual_quantiles(
            z[valid] - chosen.z_valid[valid], buckets[valid], len(self.lead_buckets)
        )
        self.quantile_boosters_: dict[float, Boosters] = {}
        if self.quantile_method == "quantile_objective":
            for alpha in QUANTILES:
                params = self._params("quantile", alpha=alpha, metric="quantile")
                self.quantile_boosters_[alpha] = self._train(params, chosen.sets, chosen.init)
        self.feature_names_in_ = np.array(columns, dtype=object)
        self.n_features_in_ = len(columns)
        self.validation_scores_ = scores | self._interval_scores(
            matrix, target, valid, groups, buckets, chosen.init
        )
        self.base_scores_ = group_means(z, train, groups, len(self.lead_groups))
        if self.refit:
            self._refit_all(X, y, chosen, z, finite, groups)
        self.climatology_ = (
            Climatology(self.target).fit(X, y) if self.fallback == "climatology" else None
        )
        return self

    def _check_options(self) -> None:
        for name, valid in _OPTIONS.items():
            if getattr(self, name) not in valid:
                raise InputDataError(
                    f"DirectGBM {name}={getattr(self, name)!r}; choose one of: {', '.join(valid)}"
                )
        check_lead_buckets(self.lead_buckets)
        check_lead_buckets(self.lead_groups)

    def _select_features(self, X: pd.DataFrame) -> list[str]:
        if self.features is not None:
            require_columns(X, self.features, "DirectGBM (features=)")
            return list(self.features)
        skip = set(KEY_COLUMNS) - {"lead_h"}
        prefixes = tuple(e[:-1] for e in self.exclude if e.endswith("*"))
        columns = [
            str(c)
            for c in X.columns
            if c not in skip
            and c not in self.exclude
            and not (prefixes and str(c).startswith(prefixes))
            and (pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c]))
        ]
        if not columns:
            raise InputDataError("DirectGBM found no numeric input column in X")
        return columns

    def _params(self, objective: str, **extra: Any) -> dict[str, Any]:
        params: dict[str, Any] = {
            "objective": objective,
            "metric": "l1",
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_data_in_leaf": self.min_child_samples,
            "feature_fraction": self.feature_fraction,
            "bagging_fraction": self.bagging_fraction,
            "bagging_freq": 1 if self.bagging_fraction < 1.0 else 0,
            "max_bin": self.max_bin,
            "lambda_l2": self.lambda_l2,
            "num_threads": self.num_threads,
            "seed": self.random_state,
            "deterministic": True,
            "force_row_wise": True,
            "verbosity": -1,
        }
        return params | extra

    def _dataset_params(self) -> dict[str, Any]:
        return {"max_bin": self.max_bin, "verbosity": -1, "num_threads": self.num_threads}

    def _train(
        self, params: dict[str, Any], sets: list[GroupData | None], init: FloatArray
    ) -> Boosters:
        return train_groups(
            params,
            sets,
            init,
            n_estimators=self.n_estimators,
            early_stopping_rounds=self.early_stopping_rounds,
            dataset_params=self._dataset_params(),
        )

    def _fit_anchor(
        self, X: pd.DataFrame, y: pd.Series, rows: BoolArray, kind: TargetTransform
    ) -> tuple[DampedPersistence, FloatArray]:
        """Fit the damped-persistence start on ``rows``; its forecast for every row."""
        anchor = DampedPersistence(self.target, transform=kind).fit(X[rows], y[rows])
        return anchor, anchor.transformed_forecast(X)

    def _fit_point(
        self,
        X: pd.DataFrame,
        y: pd.Series,
        matrix: Float32Matrix,
        weight: FloatArray | None,
        split: tuple[BoolArray, BoolArray, BoolArray],
        groups: IntArray,
        kind: TargetTransform,
    ) -> _Fit:
        """Train each group from each candidate start; keep the better start per group."""
        train, valid, _ = split
        z = forward_transform(y.to_numpy(np.float64), kind)
        n_groups = len(self.lead_groups)
        sets = bin_groups(
            matrix,
            z,
            weight,
            split,
            groups,
            n_groups,
            params=self._dataset_params(),
            min_rows=_MIN_TRAIN_ROWS,
        )
        flat = group_means(z, train, groups, n_groups)[groups]
        anchor, anchored_init = (
            (None, flat) if self.anchor == "none" else self._fit_anchor(X, y, train, kind)
        )
        starts = {"none": flat, "damped_persistence": anchored_init}
        names = (
            ["none", "damped_persistence"]
            if self.anchor == "auto"
            else ["none" if self.anchor == "none" else "damped_persistence"]
        )
        params = self._params(_OBJECTIVES[self.objective])
        trained = {n: self._train(params, sets, starts[n]) for n in names}
        scored = {n: score_groups(trained[n], matrix, groups, starts[n], valid) for n in names}
        truth = y.to_numpy(np.float64)
        best: list[str] = []
        for g in range(n_groups):  # a few lead groups: the start with the lower tail MAE
            rows = valid & (groups == g)
            errors = {
                n: float(np.mean(np.abs(inverse_transform(scored[n][rows], kind) - truth[rows])))
                if rows.any()
                else np.inf
                for n in names
            }
            best.append(min(names, key=lambda n: (errors[n], n != "damped_persistence")))
        anchored = tuple(b == "damped_persistence" for b in best)
        pick = np.asarray(anchored)[groups]
        return _Fit(
            boosters=tuple(trained[b][g] for g, b in enumerate(best)),
            anchor=anchor if any(anchored) else None,
            anchored=anchored,
            init=np.where(pick, starts["damped_persistence"], flat),
            z_valid=np.where(pick, scored.get("damped_persistence", flat), scored[names[0]]),
            sets=sets,
        )

    def _refit_all(
        self,
        X: pd.DataFrame,
        y: pd.Series,
        chosen: _Fit,
        z: FloatArray,
        finite: BoolArray,
        groups: IntArray,
    ) -> None:
        """Refit the starts on all rows, then each booster on its whole group."""
        self.base_scores_ = group_means(z, finite, groups, len(self.lead_groups))
        init = self.base_scores_[groups]
        if self.anchor_ is not None:
            self.anchor_, anchored_init = self._fit_anchor(X, y, finite, self.transform_)
            init = np.where(np.asarray(self.anchored_)[groups], anchored_init, init)
        params = self._params(_OBJECTIVES[self.objective])
        self.boosters_ = refit_groups(params, chosen.sets, init, self.boosters_)
        for alpha, boosters in self.quantile_boosters_.items():
            params = self._params("quantile", alpha=alpha, metric="quantile")
            self.quantile_boosters_[alpha] = refit_groups(params, chosen.sets, init, boosters)

    # -------------------------------------------------------------- predict
    def _init(self, X: pd.DataFrame, groups: IntArray) -> FloatArray:
        """Return each row's start: damped persistence or the group's constant."""
        init = self.base_scores_[groups]
        if self.anchor_ is None:
            return init
        anchored = np.asarray(self.anchored_)[groups]
        return np.where(anchored, self.anchor_.transformed_forecast(X), init)

    def _raw(
        self,
        matrix: Float32Matrix,
        groups: IntArray,
        buckets: IntArray,
        init: FloatArray,
        rows: BoolArray | None = None,
    ) -> FloatArray:
        """Point, q10, q90 in the transformed space (columns)."""
        z = score_groups(self.boosters_, matrix, groups, init, rows)
        if self.quantile_method == "conformal":
            low = z + self.conformal_offsets_[buckets, 0]
            high = z + self.conformal_offsets_[buckets, 1]
        else:
            q10, q90 = (self.quantile_boosters_[q] for q in QUANTILES)
            low = score_groups(q10, matrix, groups, init, rows)
            high = score_groups(q90, matrix, groups, init, rows)
        return np.column_stack([z, low, high])

    def _interval_scores(
        self,
        matrix: Float32Matrix,
        target: FloatArray,
        valid: BoolArray,
        groups: IntArray,
        buckets: IntArray,
        init: FloatArray,
    ) -> dict[str, float]:
        raw = inverse_transform(self._raw(matrix, groups, buckets, init, valid), self.transform_)
        return interval_scores(target[valid], raw[valid, 0], raw[valid, 1], raw[valid, 2])

    def fallback_mask(self, X: pd.DataFrame) -> BoolArray:
        """Rows on which the target's history is entirely missing.

        Parameters
        ----------
        X : pandas.DataFrame
            Model-matrix rows.

        Returns
        -------
        numpy.ndarray of bool
            True where ``hist_{target}_last`` is NaN (all False when the column is
            absent). With ``fallback="climatology"`` these rows are climatology
            forecasts.
        """
        column = f"hist_{self.target}_last"
        if column not in X.columns:
            return np.zeros(len(X), dtype=bool)
        return np.asarray(X[column].isna().to_numpy(), dtype=bool)

    def predict(self, X: pd.DataFrame) -> pd.DataFrame:
        """Forecast every row: boosters over the anchor, climatology without history.

        Parameters
        ----------
        X : pandas.DataFrame
            Model-matrix rows with the fitted inputs and ``station``, ``valid_at``.

        Returns
        -------
        pandas.DataFrame
            ``value``, ``q10``, ``q90`` [unit of the target], ``q10 <= value <= q90``.
        """
        self._check_fitted()
        require_columns(X, list(self.feature_names_in_), "DirectGBM.predict")
        matrix = design_matrix(X, list(self.feature_names_in_), "DirectGBM")
        lead = X["lead_h"].to_numpy()
        groups = lead_bucket(lead, self.lead_groups)
        buckets = lead_bucket(lead, self.lead_buckets)
        out = inverse_transform(
            self._raw(matrix, groups, buckets, self._init(X, groups)), self.transform_
        )
        mask = self.fallback_mask(X) | ~np.isfinite(out[:, 0])
        if self.climatology_ is not None and mask.any():
            out[mask] = self.climatology_.predict(X.loc[mask]).to_numpy(np.float64)
        return prediction_frame(X.index, out[:, 0], out[:, 1], out[:, 2])

    @property
    def feature_importances_(self) -> pd.Series:
        """Total gain of each input over the point boosters, largest first.

        Returns
        -------
        pandas.Series
            Input name → gain (sum over splits of the loss reduction).
        """
        self._check_fitted()
        gain = np.zeros(len(self.feature_names_in_))
        for booster in self.boosters_:
            if booster is not None:
                gain += booster.feature_importance(importance_type="gain")
        series = pd.Series(gain, index=list(self.feature_names_in_), name="gain", dtype=float)
        return series.sort_values(ascending=False)
