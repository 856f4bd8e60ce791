"""Validation of observation frames at the store's boundary.

A frame that enters the store is checked whole before anything is written;
every problem is reported with the column, the offending values and the index
labels of (up to ten of) the rows that carry them.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasting.errors import InputDataError

__all__ = [
    "OBSERVATION_COLUMNS",
    "ObservationBatch",
    "as_name_list",
    "rows_of",
    "validate_observations",
]

OBSERVATION_COLUMNS = ("station", "variable", "valid_at", "value", "qc_flags", "source")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_MAX_FLAGS = 2**31 - 1
_SHOWN = 10


@dataclass(frozen=True)
class ObservationBatch:
    """A validated observation frame, as factorised numpy columns.

    Attributes
    ----------
    stations, variables, sources : list of str
        Distinct names; the ``*_codes`` arrays index into them.
    station_codes, variable_codes, source_codes : ndarray of int64
        Per row, the position of its name in the lists above.
    valid_at : ndarray of int64
        Valid time per row. [s since 1970-01-01T00:00:00Z]
    value : ndarray of float64
        Value per row in canonical units; NaN where the publisher blanked it.
    qc_flags : ndarray of int64
        QC bitmask per row.
    index : pandas.Index
        The frame's index, to name rows in later errors.
    """

    stations: list[str]
    variables: list[str]
    sources: list[str]
    station_codes: npt.NDArray[np.int64]
    variable_codes: npt.NDArray[np.int64]
    source_codes: npt.NDArray[np.int64]
    valid_at: npt.NDArray[np.int64]
    value: npt.NDArray[np.float64]
    qc_flags: npt.NDArray[np.int64]
    index: pd.Index

    def __len__(self) -> int:
        return int(self.valid_at.size)


def rows_of(index: pd.Index, mask: npt.NDArray[np.bool_]) -> str:
    """Describe the index labels where ``mask`` is true (at most ten)."""
    labels: list[Hashable] = list(index[mask][:_SHOWN])
    more = int(mask.sum()) - len(labels)
    text = ", ".join(repr(label) for label in labels)
    return f"rows {text}" + (f" and {more} more" if more > 0 else "")


def as_name_list(value: str | Iterable[str] | None, what: str) -> list[str] | None:
    """Normalise a name filter: one name, several names or ``None`` (all).

    Raises
    ------
    forecasting.errors.InputDataError
        When an element is not a non-empty string.
    """
    if value is None:
        return None
    names = [value] if isinstance(value, str) else list(value)
    bad = [n for n in names if not isinstance(n, str) or not n]
    if bad:
        raise InputDataError(f"{what} must be non-empty strings; got {bad[:_SHOWN]!r}")
    return list(dict.fromkeys(names))


def validate_observations(frame: pd.DataFrame) -> ObservationBatch:
    """Check an observation frame and return it as a factorised batch.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``station`` (str), ``variable`` (str, lower-case ecocast name),
        ``valid_at`` (tz-aware datetime, whole seconds), ``value`` (float,
        canonical units, NaN allowed), ``qc_flags`` (int >= 0) and ``source``
        (str). Other columns are ignored.

    Returns
    -------
    ObservationBatch
        The validated columns.

    Raises
    ------
    forecasting.errors.InputDataError
        Naming the column, the values and the rows: a missing column, an empty
        or non-text name, a variable name that is not lower-case snake case, a
        naive or missing or sub-second ``valid_at``, a non-numeric or infinite
        ``value``, a negative or non-integer ``qc_flags``, or the same
        (station, variable, valid_at) twice.
    """
    missing = [c for c in OBSERVATION_COLUMNS if c not in frame.columns]
    if missing:
        raise InputDataError(
            f"observation frame lacks column(s) {', '.join(missing)}; "
            f"required: {', '.join(OBSERVATION_COLUMNS)}; "
            f"found: {', '.join(map(str, frame.columns))}"
        )
    index = frame.index
    station_codes, stations = _factorize_names(frame["station"], "station", index, 64)
    variable_codes, variables = _factorize_names(frame["variable"], "variable", index, 64)
    source_codes, sources = _factorize_names(frame["source"], "source", index, 500)
    bad_names = [v for v in variables if not _NAME.match(v)]
    if bad_names:
        mask = np.isin(variable_codes, [variables.index(v) for v in bad_names])
        raise InputDataError(
            f"variable name(s) {bad_names[:_SHOWN]!r} at {rows_of(index, mask)} are not ecocast "
            "names; use lower-case snake case such as 'pm25', 'temp_air', 'nh3n'"
        )
    valid_at = _epoch_column(frame["valid_at"], index)
    batch = ObservationBatch(
        stations=stations,
        variables=variables,
        sources=sources,
        station_codes=station_codes,
        variable_codes=variable_codes,
        source_codes=source_codes,
        valid_at=valid_at,
        value=_value_column(frame["value"], index),
        qc_flags=_flag_column(frame["qc_flags"], index),
        index=index,
    )
    _refuse_duplicates(batch)
    return batch


def _factorize_names(
    column: pd.Series, name: str, index: pd.Index, max_length: int
) -> tuple[npt.NDArray[np.int64], list[str]]:
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    codes = np.asarray(codes, dtype=np.int64)
    if (codes < 0).any():
        raise InputDataError(f"column {name!r} is missing at {rows_of(index, codes < 0)}")
    names = list(uniques)
    bad = [i for i, n in enumerate(names) if not isinstance(n, str) or not n.strip()]
    if bad:
        mask = np.isin(codes, bad)
        shown = [names[i] for i in bad[:_SHOWN]]
        raise InputDataError(
            f"column {name!r} must hold non-empty text; got {shown!r} at {rows_of(index, mask)}"
        )
    long = [i for i, n in enumerate(names) if len(n) > max_length]
    if long:
        raise InputDataError(
            f"column {name!r} holds text longer than {max_length} characters, e.g. "
            f"{names[long[0]][:80]!r}..., at {rows_of(index, np.isin(codes, long))}"
        )
    return codes, [str(n) for n in names]


def _epoch_column(column: pd.Series, index: pd.Index) -> npt.NDArray[np.int64]:
    if not isinstance(column.dtype, pd.DatetimeTZDtype):
        raise InputDataError(
            f"column 'valid_at' has dtype {column.dtype}; it must be timezone-aware "
            "datetimes (localise source times at ingestion, e.g. "
            "pd.to_datetime(text).dt.tz_localize('Asia/Shanghai'))"
        )
    naive = column.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
    missing = np.isnat(naive)
    if missing.any():
        raise InputDataError(f"column 'valid_at' is missing at {rows_of(index, missing)}")
    whole = naive.astype("datetime64[s]")
    fractional = whole != naive
    if fractional.any():
        raise InputDataError(
            f"column 'valid_at' has fractions of a second at {rows_of(index, fractional)}; "
            "the store keeps whole seconds (round with .dt.round('s'))"
        )
    return np.asarray(whole.astype(np.int64), dtype=np.int64)


def _value_column(column: pd.Series, index: pd.Index) -> npt.NDArray[np.float64]:
    try:
        values = np.asarray(pd.to_numeric(column, errors="raise"), dtype=np.float64)
    except (ValueError, TypeError):
        coerced = pd.to_numeric(column, errors="coerce")
        mask = np.asarray(coerced.isna() & column.notna())
        raise InputDataError(
            f"column 'value' is not numeric at {rows_of(index, mask)} "
            f"(e.g. {column[mask].iloc[0]!r})"
        ) from None
    infinite = np.isinf(values)
    if infinite.any():
        raise InputDataError(
            f"column 'value' is infinite at {rows_of(index, infinite)}; store NaN with a QC "
            "flag for a value that cannot be used"
        )
    return values


def _flag_column(column: pd.Series, index: pd.Index) -> npt.NDArray[np.int64]:
    numeric = pd.to_numeric(column, errors="coerce")
    values = np.asarray(numeric, dtype=np.float64)
    bad = ~np.isfinite(values) | (values != np.round(values)) | (values < 0)
    bad |= values > _MAX_FLAGS
    if bad.any():
        raise InputDataError(
            f"column 'qc_flags' must be integers 0..{_MAX_FLAGS} (a QC IntFlag bitmask); "
            f"got {column[bad].iloc[0]!r} at {rows_of(index, bad)}"
        )
    return values.astype(np.int64)


def _refuse_duplicates(batch: ObservationBatch) -> None:
    keys = pd.DataFrame(
        {"s": batch.station_codes, "v": batch.variable_codes, "t": batch.valid_at}, copy=False
    )
    duplicated = keys.duplicated(keep=False).to_numpy()
    if duplicated.any():
        first = int(np.flatnonzero(duplicated)[0])
        key = (
            batch.stations[batch.station_codes[first]],
            batch.variables[batch.variable_codes[first]],
            pd.Timestamp(int(batch.valid_at[first]), unit="s", tz="UTC").isoformat(),
        )
        raise InputDataError(
            f"(station, variable, valid_at) repeats within the frame, e.g. {key} at "
            f"{rows_of(batch.index, duplicated)}; keep one value per key and time"
        )
