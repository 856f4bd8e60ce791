"""HJ 1130—2020 forecast-evaluation rules, loaded from their data file.

The numbers that the verification functions take from HJ 1130—2020 (the ±25 % AQI
range, the level at which the primary pollutant is not assessed, the heavy-pollution
threshold) live in ``forecasting/standards/data/cn_mee_hj1130_2020.toml`` with their
citation, and are loaded here into a frozen :class:`Hj1130Verification`. The file's
status is ``secondary``: the standard's text was not read, so the numbers come from
secondary material and the CMA rules are UNVERIFIED (configuration).

References
----------
.. [1] HJ 1130—2020 环境空气质量数值预报技术规范 (not read; secondary: shared/docs/standards.md
   §7.1, §7.2, sources S8 and S15).
   https://www.mee.gov.cn/ywgz/fgbz/bz/bzwb/jcffbz/202005/W020200518771113314010.pdf
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal, cast

from forecasting.errors import StandardTableError, UnknownStandardError
from forecasting.standards.tables import Citation, read_standard

__all__ = [
    "DEFAULT_HJ1130",
    "PRIMARY_MATCH_RULES",
    "Hj1130Verification",
    "PrimaryMatch",
    "load_hj1130",
]

DEFAULT_HJ1130 = "cn_mee_hj1130_2020"
"""Id of the HJ 1130 data file used by default."""

PrimaryMatch = Literal["any", "exact"]
PRIMARY_MATCH_RULES: tuple[PrimaryMatch, ...] = ("any", "exact")
"""Primary-pollutant match rules: ``"any"`` shared pollutant, ``"exact"`` equal sets."""

_EDITIONS: tuple[str, ...] = (DEFAULT_HJ1130,)


@dataclass(frozen=True)
class Hj1130Verification:
    """The HJ 1130—2020 evaluation rules ecocast uses.

    Attributes
    ----------
    source : Citation
        The data file's ``[source]`` citation.
    aqi_range_tolerance : float
        Relative half-width of the AQI forecast range: correct when
        ``(1 − tol)·F ≤ O ≤ (1 + tol)·F`` (0.25) [dimensionless].
    primary_not_assessed_level : int
        The primary pollutant is not assessed on days whose observed level is at most
        this level (1, 优) [HJ 633 level].
    primary_match : {"any", "exact"}
        Hit rule for tied primary pollutants (``"any"``, CMA, UNVERIFIED).
    heavy_pollution_aqi_above : int
        A heavy-pollution day has an observed AQI above this value (200) [AQI].
    level_accuracy_target : float
        Required annual share of days with a correct AQI level (0.60, UNVERIFIED)
        [dimensionless].
    """

    source: Citation
    aqi_range_tolerance: float
    primary_not_assessed_level: int
    primary_match: PrimaryMatch
    heavy_pollution_aqi_above: int
    level_accuracy_target: float


def _field(data: Mapping[str, Any], block: str, key: str, kind: type, file: str) -> Any:
    table = data.get(block)
    value = table.get(key) if isinstance(table, Mapping) else None
    if isinstance(value, bool) or not isinstance(value, kind):
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        raise StandardTableError(
            f"{file}: [{block}] {key} must be a {kind.__name__}, got {value!r}"
        )
    return value


@cache
def load_hj1130(standard_id: str = DEFAULT_HJ1130) -> Hj1130Verification:
    """Load the HJ 1130 evaluation rules from their data file (cached, immutable).

    Parameters
    ----------
    standard_id : str, default ``"cn_mee_hj1130_2020"``
        Id (file stem) of the data file.

    Returns
    -------
    Hj1130Verification
        The rules, with the file's citation in ``source``.

    Raises
    ------
    UnknownStandardError
        If ``standard_id`` is not an HJ 1130 data file.
    StandardTableError
        If a value is missing, of the wrong type or out of range (names file and key).

    References
    ----------
    .. [1] HJ 1130—2020 (secondary, shared/docs/standards.md §7.1, §7.2).

    Examples
    --------
    >>> rules = load_hj1130()
    >>> rules.aqi_range_tolerance, rules.primary_match, rules.source.status
    (0.25, 'any', 'secondary')
    """
    if standard_id not in _EDITIONS:
        raise UnknownStandardError("HJ 1130 data file", standard_id, _EDITIONS)
    source, data = read_standard(standard_id)
    file = f"{standard_id}.toml"
    tolerance = _field(data, "aqi_range", "tolerance", float, file)
    match = _field(data, "primary_pollutant", "match", str, file)
    target = _field(data, "targets", "level_accuracy", float, file)
    rules = Hj1130Verification(
        source=source,
        aqi_range_tolerance=tolerance,
        primary_not_assessed_level=_field(
            data, "primary_pollutant", "not_assessed_level", int, file
        ),
        primary_match=cast(PrimaryMatch, match),
        heavy_pollution_aqi_above=_field(data, "heavy_pollution", "aqi_above", int, file),
        level_accuracy_target=target,
    )
    if match not in PRIMARY_MATCH_RULES:
        raise StandardTableError(
            f"{file}: [primary_pollutant] match is {match!r}; "
            f"use one of {list(PRIMARY_MATCH_RULES)}"
        )
    if not (0.0 < tolerance < 1.0 and 0.0 < target <= 1.0):
        raise StandardTableError(
            f"{file}: [aqi_range] tolerance ({tolerance}) must lie in (0, 1) and "
            f"[targets] level_accuracy ({target}) in (0, 1]"
        )
    return rules
