"""Shared pieces of the verification functions: scores with their count, groups, inputs.

Every metric in :mod:`models.verification` is computed from per-case terms that are
summed within groups (e.g. one group per variable and lead) with :func:`numpy.bincount`,
so one pass over a 2-million-row frame scores every group at once, without a Python loop
over rows or groups. A single-array metric is the same computation with one group
(:meth:`Groups.single`), so the pure functions and the orchestrators cannot disagree.

Missing values (NaN, ``None``, ``pandas.NA``) are never scored: a case with a missing
forecast or observation is dropped, and every result reports ``n``, the number of cases
its value is computed from.
"""

from __future__ import annotations

from collections.abc import Sequence, Sized
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasting.errors import InputDataError

__all__ = [
    "FloatArray",
    "GroupedScore",
    "Groups",
    "IntArray",
    "Score",
    "as_float_array",
    "ratio",
    "require_columns",
    "same_length",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class Score(NamedTuple):
    """A verification score and the number of cases it is computed from.

    Attributes
    ----------
    value : float
        The score; NaN when it is undefined (no cases, or a zero denominator).
    n : int
        Number of cases scored (pairs with a missing value are not counted); for ratios
        of event counts, the denominator (see each function).
    """

    value: float
    n: int


class GroupedScore(NamedTuple):
    """A verification score per group.

    Attributes
    ----------
    value : ndarray of float
        The score of each group; NaN where undefined.
    n : ndarray of int64
        Number of cases scored in each group.
    """

    value: FloatArray
    n: IntArray

    def first(self) -> Score:
        """Return the score of group 0 (the only one of :meth:`Groups.single`)."""
        return Score(float(self.value[0]), int(self.n[0]))


@dataclass(frozen=True)
class Groups:
    """Assignment of cases to groups, for summing per-case terms per group.

    Attributes
    ----------
    codes : ndarray of intp
        Group number (0 … ``size`` − 1) of each case.
    size : int
        Number of groups.
    """

    codes: npt.NDArray[np.intp]
    size: int

    @classmethod
    def single(cls, length: int) -> Groups:
        """Put ``length`` cases into one group."""
        return cls(np.zeros(length, dtype=np.intp), 1)

    @classmethod
    def of(cls, frame: pd.DataFrame, keys: Sequence[str]) -> tuple[Groups, pd.DataFrame]:
        """Group the rows of ``frame`` by the values of ``keys``.

        Parameters
        ----------
        frame : pandas.DataFrame
            Frame with the key columns.
        keys : sequence of str
            Key columns.

        Returns
        -------
        groups : Groups
            Group of each row; groups are numbered in sorted key order.
        labels : pandas.DataFrame
            One row per group (row ``k`` is group ``k``) with the key columns.

        Raises
        ------
        InputDataError
            If a key is missing (NaN/NA/None) in a row.
        """
        absent = frame[list(keys)].isna().any(axis=1).to_numpy()
        if absent.any():
            i = int(np.flatnonzero(absent)[0])
            raise InputDataError(
                f"row {frame.index[i]!r} has a missing key; each of {list(keys)} is required"
            )
        grouped = frame.groupby(list(keys), sort=True, observed=True)
        codes: npt.NDArray[np.intp] = grouped.ngroup().to_numpy().astype(np.intp)
        labels = grouped.size().index.to_frame(index=False)
        return cls(codes, len(labels)), labels

    def count(self, mask: npt.NDArray[np.bool_]) -> IntArray:
        """Return the number of cases with ``mask`` true in each group."""
        return np.bincount(self.codes[mask], minlength=self.size).astype(np.int64)

    def sum(self, values: FloatArray, mask: npt.NDArray[np.bool_]) -> FloatArray:
        """Return the sum of ``values`` over the cases with ``mask`` true in each group."""
        weights = np.where(mask, values, 0.0)
        return np.bincount(self.codes, weights=weights, minlength=self.size).astype(np.float64)

    def spread(self, per_group: FloatArray) -> FloatArray:
        """Return each case's group value (e.g. the group mean beside each case)."""
        return per_group[self.codes]


def ratio(numerator: FloatArray, denominator: FloatArray | IntArray) -> FloatArray:
    """Return ``numerator / denominator``, NaN where the denominator is 0 or NaN."""
    den = np.asarray(denominator, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(den != 0, numerator / np.where(den != 0, den, 1.0), np.nan)
    return np.asarray(out, dtype=np.float64)


def as_float_array(values: Any, name: str) -> FloatArray:
    """Return ``values`` as a 1-D float array with NaN for missing values.

    Parameters
    ----------
    values : array_like or pandas.Series
        Numbers; ``None``, ``pandas.NA`` and NaN are missing.
    name : str
        Argument name, used in error messages.

    Returns
    -------
    ndarray of float

    Raises
    ------
    InputDataError
        If a value is not numeric or infinite, or the input is not one-dimensional.
    """
    try:
        if isinstance(values, np.ndarray) and values.dtype.kind in "fiub":
            out = values.astype(np.float64)
        elif isinstance(values, pd.Series | pd.Index | pd.api.extensions.ExtensionArray):
            out = pd.Series(values).to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            raw = np.asarray(values, dtype=object)
            flat = pd.Series(raw.ravel(), dtype=object)
            numbers = pd.to_numeric(flat, errors="raise")
            out = numbers.to_numpy(dtype=np.float64, na_value=np.nan).reshape(raw.shape)
    except (TypeError, ValueError) as exc:
        raise InputDataError(f"{name}: values must be numbers or missing ({exc})") from exc
    if out.ndim != 1:
        raise InputDataError(f"{name}: expected a one-dimensional array, got shape {out.shape}")
    if np.isinf(out).any():
        where = int(np.flatnonzero(np.isinf(out))[0])
        raise InputDataError(f"{name}: infinite value {out[where]} at position {where}")
    return out


def same_length(**arrays: Sized) -> int:
    """Return the common length of the named arrays, or raise naming the lengths.

    Raises
    ------
    InputDataError
        If the arrays differ in length.
    """
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{k} has {v}" for k, v in lengths.items())
        raise InputDataError(f"arrays must have the same length: {listed}")
    return next(iter(lengths.values()), 0)


def require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise :class:`~forecasting.errors.InputDataError` naming missing columns.

    Raises
    ------
    InputDataError
        If a column is missing; the message lists the frame's columns.
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputDataError(
            f"{what}: missing column(s) {missing}; the frame has {list(map(str, frame.columns))}"
        )
