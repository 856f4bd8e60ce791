"""LightGBM boosters per lead group, trained from an initial score (the engine of DirectGBM).

:class:`models.gbm.DirectGBM` trains one booster per group of leads. The rows of a group
are binned once (:func:`bin_groups`); the training head and the validation tail are
subsets of that binned set, so bin boundaries are shared and binning is not repeated
for early stopping, for each candidate initial score or for the refit. Every booster
starts from an initial score per row (LightGBM's ``init_score`` [1]_): the damped
persistence forecast, or a constant (the group's mean, which is what LightGBM's
``boost_from_average`` would start from). A forecast is that initial score plus the
booster's raw score (:func:`score_groups`).

References
----------
.. [1] LightGBM documentation, "Parameters" (``init_score``, ``boost_from_average``,
   ``early_stopping_round``) and ``lightgbm.Dataset.subset``,
   https://lightgbm.readthedocs.io/en/stable/Parameters.html
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
import numpy.typing as npt

__all__ = [
    "Boosters",
    "GroupData",
    "bin_groups",
    "group_means",
    "predict_raw",
    "refit_groups",
    "rounds",
    "score_groups",
    "train_groups",
]

FloatArray = npt.NDArray[np.float64]
Float32Matrix = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]
Boosters = tuple[lgb.Booster | None, ...]


@dataclass(frozen=True)
class GroupData:
    """One lead group's binned rows (all with a target).

    Attributes
    ----------
    data : lightgbm.Dataset
        The group's rows, binned (constructed).
    rows : numpy.ndarray
        Their positions in the model matrix.
    head, tail : numpy.ndarray
        Positions within ``rows`` of the training head and the validation tail.
    """

    data: lgb.Dataset
    rows: IntArray
    head: IntArray
    tail: IntArray


def bin_groups(
    matrix: Float32Matrix,
    label: FloatArray,
    weight: FloatArray | None,
    split: tuple[BoolArray, BoolArray, BoolArray],
    groups: IntArray,
    n_groups: int,
    *,
    params: dict[str, Any],
    min_rows: int,
) -> list[GroupData | None]:
    """Bin each group's rows once.

    Parameters
    ----------
    matrix, label, weight :
        Inputs, transformed target and optional row weights of all rows.
    split : tuple of numpy.ndarray of bool
        Training head, validation tail, and rows with a target.
    groups : numpy.ndarray of int
        Lead group of each row, ``0 … n_groups - 1``.
    n_groups : int
        Number of lead groups.
    params : dict
        Dataset parameters (``max_bin`` …).
    min_rows : int
        A group with fewer head rows, or without tail rows, gets None.

    Returns
    -------
    list of GroupData or None
        One entry per group.
    """
    train, valid, finite = split
    sets: list[GroupData | None] = []
    for g in range(n_groups):  # a few lead groups
        rows = np.flatnonzero(finite & (groups == g))
        head, tail = np.flatnonzero(train[rows]), np.flatnonzero(valid[rows])
        if head.size < min_rows or tail.size == 0:
            sets.append(None)
            continue
        data = lgb.Dataset(
            matrix[rows],
            label[rows],
            weight=None if weight is None else weight[rows],
            params=params,
            free_raw_data=True,
        ).construct()
        sets.append(GroupData(data=data, rows=rows, head=head, tail=tail))
    return sets


def group_means(label: FloatArray, rows: BoolArray, groups: IntArray, n_groups: int) -> FloatArray:
    """Mean label of ``rows`` per group (the overall mean for a group without rows)."""
    use = rows & np.isfinite(label)
    total = np.bincount(groups[use], weights=label[use], minlength=n_groups)
    count = np.bincount(groups[use], minlength=n_groups)
    overall = float(label[use].mean()) if use.any() else 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        means = total / count
    return np.where(count > 0, means, overall)


def train_groups(
    params: dict[str, Any],
    sets: list[GroupData | None],
    init: FloatArray,
    *,
    n_estimators: int,
    early_stopping_rounds: int,
    dataset_params: dict[str, Any],
) -> Boosters:
    """Train one early-stopped booster per group from the initial score ``init``.

    Parameters
    ----------
    params : dict
        LightGBM training parameters.
    sets : list of GroupData or None
        From :func:`bin_groups`.
    init : numpy.ndarray
        Initial score of every row of the model matrix (transformed space).
    n_estimators, early_stopping_rounds : int
        Most rounds; rounds without improvement on the tail before stopping.
    dataset_params : dict
        Parameters of the head and tail subsets (as for the binned sets).

    Returns
    -------
    tuple of lightgbm.Booster or None
        None for a group without a binned set.
    """
    boosters: list[lgb.Booster | None] = []
    for group in sets:
        if group is None:
            boosters.append(None)
            continue
        group.data.set_init_score(init[group.rows])
        head = group.data.subset(group.head.tolist(), params=dataset_params)
        tail = group.data.subset(group.tail.tolist(), params=dataset_params)
        stop = lgb.early_stopping(early_stopping_rounds, verbose=False)
        boosters.append(lgb.train(params, head, n_estimators, valid_sets=[tail], callbacks=[stop]))
    return tuple(boosters)


def refit_groups(
    params: dict[str, Any], sets: list[GroupData | None], init: FloatArray, boosters: Boosters
) -> Boosters:
    """Retrain each group's booster on all its rows with its early-stopped rounds."""
    out: list[lgb.Booster | None] = []
    for group, booster in zip(sets, boosters, strict=True):
        if group is None or booster is None:
            out.append(None)
            continue
        group.data.set_init_score(init[group.rows])
        out.append(lgb.train(params, group.data, num_boost_round=rounds(booster)))
    return tuple(out)


def score_groups(
    boosters: Boosters,
    matrix: Float32Matrix,
    groups: IntArray,
    init: FloatArray,
    rows: BoolArray | None = None,
) -> FloatArray:
    """Return the initial score plus each group's booster (transformed), on ``rows``.

    Rows of a group without a booster keep the initial score; rows not asked for are
    NaN.
    """
    use = np.ones(len(matrix), dtype=bool) if rows is None else rows
    out = np.where(use, init, np.nan)
    for g, booster in enumerate(boosters):  # a few lead groups
        here = use & (groups == g)
        if booster is not None and here.any():
            out[here] = init[here] + predict_raw(booster, matrix[here])
    return out


def rounds(booster: lgb.Booster | None) -> int:
    """Return the early-stopped number of rounds (0 for no booster)."""
    if booster is None:
        return 0
    return int(booster.best_iteration or booster.current_iteration())


def predict_raw(booster: lgb.Booster, matrix: Float32Matrix) -> FloatArray:
    """Return the raw score (without the initial score) at the early-stopped iteration."""
    best = booster.best_iteration
    iteration = int(best) if best and best > 0 else None
    return np.asarray(booster.predict(matrix, num_iteration=iteration), dtype=np.float64)
