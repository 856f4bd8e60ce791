"""US EPA AQI data file → :class:`UsEpaAqiStandard` (loaded, validated, cached).

Reads ``forecasting/standards/data/<id>.toml`` (default ``us_epa_aqi_2024``) with
:func:`forecasting.standards.tables.read_standard` and checks, at load time, what the
computation relies on: all eight Table 6 indicators are present with increasing,
non-overlapping rows; each extrapolated indicator ends at its footnote-4 AQI-500
concentration; the footnote-3 SO2 threshold is the first 24-h SO2 breakpoint; the
categories are levels 1–6 with contiguous ranges, the last open above, and each hex
colour matches its RGB. Errors name the file, block and row.

The computation is in :mod:`forecasting.standards.aqi_us_epa`, which re-exports the
names here.

References
----------
.. [1] U.S. EPA, EPA-454/B-24-002 (May 2024), Table 6 and footnotes 1–4 (p. 14),
   Tables 1–2 (pp. 3–4), section IV (pp. 13–16).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Any, Final, Literal, get_args

from forecasting.errors import StandardTableError, UnknownStandardError
from forecasting.standards.tables import (
    BreakpointTable,
    Citation,
    breakpoint_table_from_rows,
    read_standard,
)
from forecasting.standards.units import ReferenceState

__all__ = [
    "US_EPA_INDICATORS",
    "US_EPA_POLLUTANTS",
    "UsEpaAqiStandard",
    "UsEpaCategory",
    "UsEpaIndicator",
    "UsEpaIndicatorName",
    "UsEpaNowCastRule",
    "load_us_epa_aqi",
]

UsEpaIndicatorName = Literal[
    "o3_8h", "o3_1h", "pm25_24h", "pm10_24h", "co_8h", "so2_1h", "so2_24h", "no2_1h"
]
US_EPA_INDICATORS: Final[tuple[str, ...]] = get_args(UsEpaIndicatorName)
"""Indicators of Table 6 (pollutant and averaging period)."""

US_EPA_POLLUTANTS: Final[tuple[str, ...]] = ("pm25", "pm10", "o3", "co", "so2", "no2")
"""Pollutant names, in the order used to join the ``primary`` column."""


@dataclass(frozen=True)
class UsEpaIndicator:
    """One indicator (pollutant and averaging period) of Table 6.

    Attributes
    ----------
    name : str
        Indicator name, e.g. ``"pm25_24h"``.
    pollutant : str
        Pollutant name, one of :data:`US_EPA_POLLUTANTS`.
    truncate_decimals : int
        Decimals kept by truncation before indexing (section IV).
    extrapolate : bool
        Whether Equation 1 is extrapolated above the top row (footnote 4).
    table : BreakpointTable
        Breakpoint rows in ``table.units`` (ppm, ppb or ug/m3).
    """

    name: str
    pollutant: str
    truncate_decimals: int
    extrapolate: bool
    table: BreakpointTable


@dataclass(frozen=True)
class UsEpaCategory:
    """One AQI category of Tables 1 and 2.

    Attributes
    ----------
    level : int
        1 (Good) to 6 (Hazardous).
    index_lo, index_hi : int
        AQI range; ``index_hi`` is None for the open "301+" category.
    descriptor, colour : str
        Names as printed, e.g. ``"Very Unhealthy"``, ``"Purple"``.
    rgb : tuple of int
        Red, green, blue (0–255).
    hex : str
        ``#RRGGBB`` rendering of ``rgb``.
    cmyk : tuple of int
        Cyan, magenta, yellow, black [%].
    """

    level: int
    index_lo: int
    index_hi: int | None
    descriptor: str
    colour: str
    rgb: tuple[int, int, int]
    hex: str
    cmyk: tuple[int, int, int, int]


@dataclass(frozen=True)
class UsEpaNowCastRule:
    """Parameters of the PM NowCast (secondary source, see the data file).

    Attributes
    ----------
    window_hours : int
        Hours in the weighted average (12).
    min_weight : float
        Lower limit of the weight factor (0.5).
    recent_hours, min_valid_recent : int
        At least ``min_valid_recent`` of the latest ``recent_hours`` hours must be valid.
    """

    window_hours: int
    min_weight: float
    recent_hours: int
    min_valid_recent: int


@dataclass(frozen=True, eq=False)
class UsEpaAqiStandard:
    """The US EPA AQI as loaded from its data file.

    Attributes
    ----------
    source : Citation
        Citation of the data file; ``source.id`` names the standard in results.
    scheme : str
        ecocast's label for results, ``"us-epa-2024"``.
    indicators : mapping of str to UsEpaIndicator
        Table 6, by indicator name.
    categories : tuple of UsEpaCategory
        Tables 1–2, in level order.
    so2_threshold_ppb : float
        Footnote 3: 1-h SO2 at or above this [ppb] no longer indexes directly (305).
    so2_fixed_index : float
        Footnote 3: index used when 1-h SO2 ≥ threshold and 24-h SO2 is below it (200).
    nowcast : UsEpaNowCastRule
        PM NowCast parameters.
    reference_state : ReferenceState
        Temperature and pressure for µg m⁻³ ↔ ppb conversion (configuration).
    """

    source: Citation
    scheme: str
    indicators: Mapping[str, UsEpaIndicator]
    categories: tuple[UsEpaCategory, ...]
    so2_threshold_ppb: float
    so2_fixed_index: float
    nowcast: UsEpaNowCastRule
    reference_state: ReferenceState

    def indicator(self, name: str) -> UsEpaIndicator:
        """Return one indicator, raising :class:`UnknownStandardError` if unknown."""
        try:
            return self.indicators[name]
        except KeyError:
            raise UnknownStandardError(
                f"{self.source.id} indicator", name, self.indicators
            ) from None


def load_us_epa_aqi(id: str = "us_epa_aqi_2024") -> UsEpaAqiStandard:
    """Load and validate a US EPA AQI data file.

    Parameters
    ----------
    id : str, optional
        Standard id (data file stem), default ``"us_epa_aqi_2024"``.

    Returns
    -------
    UsEpaAqiStandard
        The immutable, cached standard.

    Raises
    ------
    UnknownStandardError
        If there is no such data file.
    StandardTableError
        If the file is malformed; the message names the file, block and row.

    References
    ----------
    .. [1] EPA-454/B-24-002 (May 2024), Table 6 and Tables 1–2.
    """
    return _load(id)


@cache
def _load(id: str) -> UsEpaAqiStandard:
    citation, raw = read_standard(id)
    where = f"{id}.toml"
    indicators = _parse_indicators(raw, citation)
    for name in US_EPA_INDICATORS:
        if name not in indicators:
            raise StandardTableError(f"{where}: no [[indicator]] named {name!r}")
    anchors = _block(raw, "footnote4_aqi_500", where)
    for name, ind in indicators.items():
        if ind.extrapolate and _number(anchors, name, where) != ind.table.top_concentration:
            raise StandardTableError(
                f"{where}: indicator {name!r} ends at {ind.table.top_concentration}, "
                f"but [footnote4_aqi_500] gives {anchors.get(name)!r} for AQI 500"
            )
    so2 = _block(raw, "so2_rule", where)
    threshold = _number(so2, "threshold_ppb", where)
    if threshold != indicators["so2_24h"].table.conc_lo[0]:
        raise StandardTableError(
            f"{where}: [so2_rule] threshold_ppb {threshold} differs from the first "
            f"so2_24h breakpoint {indicators['so2_24h'].table.conc_lo[0]}"
        )
    nowcast = _block(raw, "nowcast", where)
    units = _block(raw, "unit_conversion", where)
    state = ReferenceState(
        f"{_number(units, 'temperature_k', where)} K, {_number(units, 'pressure_hpa', where)} hPa",
        _number(units, "temperature_k", where),
        _number(units, "pressure_hpa", where),
    )
    if abs(state.molar_volume - _number(units, "molar_volume_l_per_mol", where)) > 5e-4:
        raise StandardTableError(
            f"{where}: [unit_conversion] molar_volume_l_per_mol differs from R T / p = "
            f"{state.molar_volume:.4f} L/mol at {state.name}"
        )
    return UsEpaAqiStandard(
        source=citation,
        scheme=str(_block(raw, "ecocast", where).get("scheme") or citation.id),
        indicators=MappingProxyType(indicators),
        categories=_parse_categories(raw, where),
        so2_threshold_ppb=threshold,
        so2_fixed_index=_number(so2, "fixed_index", where),
        nowcast=UsEpaNowCastRule(
            window_hours=int(_number(nowcast, "window_hours", where)),
            min_weight=_number(nowcast, "min_weight", where),
            recent_hours=int(_number(nowcast, "recent_hours", where)),
            min_valid_recent=int(_number(nowcast, "min_valid_recent", where)),
        ),
        reference_state=state,
    )


def _block(raw: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    block = raw.get(key)
    if not isinstance(block, Mapping):
        raise StandardTableError(f"{where}: missing block [{key}]")
    return block


def _number(block: Mapping[str, Any], key: str, where: str) -> float:
    value = block.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise StandardTableError(f"{where}: {key!r} must be a number, got {value!r}")
    return float(value)


def _parse_indicators(raw: Mapping[str, Any], citation: Citation) -> dict[str, UsEpaIndicator]:
    where = f"{citation.id}.toml"
    out: dict[str, UsEpaIndicator] = {}
    for k, item in enumerate(raw.get("indicator", []), start=1):
        name = str(item.get("name", ""))
        at = f"{where}, [[indicator]] {k} ({name!r})"
        if name in out or name not in US_EPA_INDICATORS:
            raise StandardTableError(
                f"{at}: name must be unique and one of {', '.join(US_EPA_INDICATORS)}"
            )
        if item.get("pollutant") not in US_EPA_POLLUTANTS:
            raise StandardTableError(f"{at}: pollutant must be one of {US_EPA_POLLUTANTS}")
        above = item.get("above_top")
        if above not in ("extrapolate", "undefined"):
            raise StandardTableError(f"{at}: above_top must be 'extrapolate' or 'undefined'")
        decimals = item.get("truncate_decimals")
        if not isinstance(decimals, int) or decimals < 0:
            raise StandardTableError(f"{at}: truncate_decimals must be an integer >= 0")
        table = breakpoint_table_from_rows(
            name, str(item.get("units")), item.get("rows", []), citation, contiguous=False
        )
        out[name] = UsEpaIndicator(
            name, str(item["pollutant"]), decimals, above == "extrapolate", table
        )
    return out


def _parse_categories(raw: Mapping[str, Any], where: str) -> tuple[UsEpaCategory, ...]:
    cats: list[UsEpaCategory] = []
    for k, item in enumerate(raw.get("category", []), start=1):
        at = f"{where}, [[category]] {k}"
        try:
            rgb = tuple(int(v) for v in item["rgb"])
            cmyk = tuple(int(v) for v in item["cmyk"])
            cat = UsEpaCategory(
                level=int(item["level"]),
                index_lo=int(item["index_lo"]),
                index_hi=int(item["index_hi"]) if "index_hi" in item else None,
                descriptor=str(item["descriptor"]),
                colour=str(item["colour"]),
                rgb=(rgb[0], rgb[1], rgb[2]),
                hex=str(item["hex"]).upper(),
                cmyk=(cmyk[0], cmyk[1], cmyk[2], cmyk[3]),
            )
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise StandardTableError(f"{at}: missing or malformed field ({exc!r})") from exc
        if cat.hex != "#{:02X}{:02X}{:02X}".format(*cat.rgb):
            raise StandardTableError(f"{at}: hex {cat.hex} does not match rgb {cat.rgb}")
        prev_hi = cats[-1].index_hi if cats else -1
        if cat.level != k or prev_hi is None or cat.index_lo != prev_hi + 1:
            raise StandardTableError(
                f"{at}: categories must be levels 1, 2, ... with contiguous index ranges"
            )
        cats.append(cat)
    if not cats or cats[-1].index_hi is not None:
        raise StandardTableError(f"{where}: the last category must be open above (no index_hi)")
    return tuple(cats)
