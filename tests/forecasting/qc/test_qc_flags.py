"""QC flag bits: stable values, names, the default exclusion set, per-flag counts."""

from __future__ import annotations

import pandas as pd
import pytest

from forecasting.errors import UnknownStandardError
from forecasting.qc.flags import (
    ALL_FLAGS,
    EXCLUDE_DEFAULT,
    QcFlag,
    explode_flag_counts,
    flag_names,
    parse_flags,
)

# The bit values are stored in the database: renumbering them corrupts stored flags.
STORED_BITS = [
    ("NEGATIVE", 1),
    ("OUT_OF_RANGE", 2),
    ("CEILING", 4),
    ("STUCK", 8),
    ("SPIKE", 16),
    ("PM25_GT_PM10", 32),
    ("CENSORED", 64),
    ("MAINTENANCE", 128),
    ("PUBLISHER_FILTERED", 256),
    ("STALE", 512),
    ("SUSPECT_DUPLICATE_REVISION", 1024),
]


@pytest.mark.parametrize(("name", "bit"), STORED_BITS)
def test_flag_bits_never_change(name: str, bit: int) -> None:
    assert int(QcFlag[name]) == bit


def test_every_flag_is_a_single_distinct_bit() -> None:
    assert [str(f.name) for f in ALL_FLAGS] == [name for name, _ in STORED_BITS]
    assert all(int(f) & (int(f) - 1) == 0 for f in ALL_FLAGS)


@pytest.mark.parametrize(
    ("flag", "excluded"),
    [
        (QcFlag.NEGATIVE, True),
        (QcFlag.OUT_OF_RANGE, True),
        (QcFlag.CEILING, True),
        (QcFlag.STUCK, True),
        (QcFlag.MAINTENANCE, True),
        (QcFlag.PUBLISHER_FILTERED, True),
        (QcFlag.STALE, True),
        (QcFlag.SPIKE, False),
        (QcFlag.PM25_GT_PM10, False),
        (QcFlag.CENSORED, False),
        (QcFlag.SUSPECT_DUPLICATE_REVISION, False),
    ],
)
def test_exclude_default_membership(flag: QcFlag, excluded: bool) -> None:
    assert bool(EXCLUDE_DEFAULT & flag) is excluded


@pytest.mark.parametrize(
    ("bits", "names"),
    [(0, ()), (4, ("CEILING",)), (4 | 32 | 512, ("CEILING", "PM25_GT_PM10", "STALE"))],
)
def test_flag_names(bits: int, names: tuple[str, ...]) -> None:
    assert flag_names(bits) == names


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", QcFlag(0)),
        ("ceiling", QcFlag.CEILING),
        ("CEILING, stuck", QcFlag.CEILING | QcFlag.STUCK),
        ("default", EXCLUDE_DEFAULT),
    ],
)
def test_parse_flags(text: str, expected: QcFlag) -> None:
    assert parse_flags(text) == expected


def test_parse_flags_unknown_lists_the_names() -> None:
    with pytest.raises(
        UnknownStandardError, match=r"unknown QC flag 'CEILNG'; choose one of: .*CEILING"
    ):
        parse_flags("CEILNG")


def test_explode_counts_a_value_under_each_of_its_flags() -> None:
    counts = pd.DataFrame(
        {
            "station": ["A", "A", "A", "B"],
            "variable": ["pm25", "pm25", "pm25", "pm25"],
            "qc_flags": [0, 4, 4 | 32, 32],
            "count": [100, 2, 3, 7],
        }
    )
    out = explode_flag_counts(counts)
    got = {(s, f): c for s, _, f, c in out.itertuples(index=False, name=None)}
    assert got == {("A", "CEILING"): 5, ("A", "PM25_GT_PM10"): 3, ("B", "PM25_GT_PM10"): 7}


def test_explode_without_flags_is_empty() -> None:
    counts = pd.DataFrame({"station": ["A"], "variable": ["o3"], "qc_flags": [0], "count": [9]})
    out = explode_flag_counts(counts)
    assert out.empty
    assert list(out.columns) == ["station", "variable", "flag", "count"]
