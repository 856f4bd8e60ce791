"""Quality-control flags: one bit per finding, stored beside the raw value.

Every observation in the store carries an integer bitmask ``qc_flags`` made of
the :class:`QcFlag` bits below. QC adds bits and never alters a value: a
reading at an instrument ceiling keeps its value and gains :attr:`QcFlag.CEILING`.

The bit values are part of the stored data. They must never be renumbered;
new flags take the next free bit.

Examples
--------
>>> flags = QcFlag.CEILING | QcFlag.STUCK
>>> int(flags)
12
>>> flag_names(12)
('CEILING', 'STUCK')
>>> bool(flags & EXCLUDE_DEFAULT)
True
"""

from __future__ import annotations

import enum
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasting.errors import UnknownStandardError

__all__ = [
    "ALL_FLAGS",
    "EXCLUDE_DEFAULT",
    "QcFlag",
    "explode_flag_counts",
    "flag_names",
    "parse_flags",
]


class QcFlag(enum.IntFlag):
    """Findings of quality control; combine with ``|``, test with ``&``.

    Attributes
    ----------
    NEGATIVE
        A quantity that cannot be negative (a concentration, rain, wind speed)
        is below zero.
    OUT_OF_RANGE
        Outside the physically plausible range of the variable
        (``forecasting/qc/data/qc_rules.toml``).
    CEILING
        Equal to a known instrument or display ceiling (999 µg m⁻³ PM,
        10 mg m⁻³ CO, the suspect 500 µg m⁻³ SO2 of the Beijing file).
    STUCK
        Part of a run of identical values that lasts at least the variable's
        ``stuck_hours``.
    SPIKE
        Far from the rolling median of its neighbours (robust Hampel-type test).
    PM25_GT_PM10
        PM2.5 exceeds PM10 at the same station and time (set on both values).
    CENSORED
        At or below the method detection limit: a floor, not a measurement.
    MAINTENANCE
        The publisher marked the station as under maintenance.
    PUBLISHER_FILTERED
        The publisher blanked the value (CNEMC extreme-value filter); the
        stored value is NaN.
    STALE
        An isolated old reading, or one shown while the station was stopped.
    SUSPECT_DUPLICATE_REVISION
        The value replaced a different earlier value for the same station and
        time. Reserved for revision handling; ingestion does not set it.
    """

    NEGATIVE = 1
    OUT_OF_RANGE = 2
    CEILING = 4
    STUCK = 8
    SPIKE = 16
    PM25_GT_PM10 = 32
    CENSORED = 64
    MAINTENANCE = 128
    PUBLISHER_FILTERED = 256
    STALE = 512
    SUSPECT_DUPLICATE_REVISION = 1024


ALL_FLAGS: Final = tuple(QcFlag)
"""Every flag, in bit order."""

EXCLUDE_DEFAULT: Final = (
    QcFlag.NEGATIVE
    | QcFlag.OUT_OF_RANGE
    | QcFlag.CEILING
    | QcFlag.STUCK
    | QcFlag.MAINTENANCE
    | QcFlag.PUBLISHER_FILTERED
    | QcFlag.STALE
)
"""Flags a model should not train on.

Left out on purpose: ``SPIKE`` (real short events such as fireworks are
spikes too), ``PM25_GT_PM10`` (6.7 % of the Beijing rows; an inter-instrument
inconsistency the data README says is not filtered), ``CENSORED`` (dropping
detection-limit floors would bias low concentrations upward; models should
treat them as censored) and ``SUSPECT_DUPLICATE_REVISION``.
"""


def flag_names(flags: int) -> tuple[str, ...]:
    """Return the names of the bits set in a bitmask, in bit order.

    Parameters
    ----------
    flags : int
        A ``qc_flags`` bitmask.

    Returns
    -------
    tuple of str
        Names of :class:`QcFlag` members; empty for 0.
    """
    return tuple(str(f.name) for f in ALL_FLAGS if int(flags) & int(f))


def parse_flags(names: str) -> QcFlag:
    """Build a bitmask from names such as ``"CEILING,STUCK"`` (case-insensitive).

    Parameters
    ----------
    names : str
        Comma-separated flag names; ``"default"`` means :data:`EXCLUDE_DEFAULT`
        and an empty string means no flag.

    Returns
    -------
    QcFlag
        The combined flags.

    Raises
    ------
    forecasting.errors.UnknownStandardError
        For a name that is not a flag; the message lists the valid names.
    """
    result = QcFlag(0)
    for raw in names.split(","):
        name = raw.strip().upper()
        if not name:
            continue
        if name == "DEFAULT":
            result |= EXCLUDE_DEFAULT
        elif name in QcFlag.__members__:
            result |= QcFlag[name]
        else:
            raise UnknownStandardError("QC flag", raw.strip(), [*QcFlag.__members__, "default"])
    return result


def explode_flag_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """Turn counts per bitmask into counts per single flag.

    Parameters
    ----------
    counts : pandas.DataFrame
        Grouping columns, a ``qc_flags`` column (bitmask) and ``count``, as
        returned by ``Store.count_observations(by=(..., "qc_flags"))``.

    Returns
    -------
    pandas.DataFrame
        The grouping columns, ``flag`` (name) and ``count``: one row per group
        and flag that occurs. A value with two flags counts once under each.
        Unflagged values do not appear.
    """
    keys = [c for c in counts.columns if c not in ("qc_flags", "count")]
    bits = np.asarray(counts["qc_flags"], dtype=np.int64)
    pieces = []
    for flag in ALL_FLAGS:
        hit: npt.NDArray[np.bool_] = (bits & int(flag)) != 0
        if hit.any():
            part = counts.loc[hit, keys].copy()
            part["flag"] = str(flag.name)
            part["count"] = counts.loc[hit, "count"].to_numpy()
            pieces.append(part)
    if not pieces:
        empty = {k: pd.Series(dtype=object) for k in [*keys, "flag"]}
        return pd.DataFrame({**empty, "count": pd.Series(dtype="int64")})
    out = pd.concat(pieces, ignore_index=True)
    return out.groupby([*keys, "flag"], as_index=False, sort=True).agg(count=("count", "sum"))
