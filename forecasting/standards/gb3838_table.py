"""GB 3838—2002 表1: basic items, class limits and single-parameter classes.

Classes are coded 1..5 for Ⅰ..Ⅴ and 6 for 劣Ⅴ (worse than Ⅴ). In integer arrays a
missing value (NaN) gets :data:`MISSING_CLASS` (−1). A value exactly at a limit meets
that class (C ≤ limit; dissolved oxygen C ≥ limit). Limits come from the data file
``cn_mee_gb3838_2002`` [1]_. Choices the standard leaves open:

* pH inside 6～9 never limits the class (class 1); outside it gives 6 (劣Ⅴ), the
  mapping used by common practice (UNVERIFIED as an official rule).
* Dissolved oxygen class Ⅰ uses 7.5 mg/L, not the "饱和率90%" alternative.
* Negative, infinite or non-numeric values raise :class:`~forecasting.errors.InputDataError`.

The public names are re-exported by :mod:`forecasting.standards.gb3838`, which adds
the 2011 assessment method; import them from there.

References
----------
.. [1] GB 3838—2002 地表水环境质量标准, 表1 基本项目标准限值 (secondary transcription).
.. [2] 环办〔2011〕22号 地表水环境质量评价办法（试行）, 主要污染指标 (超标倍数).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasting.errors import InputDataError, StandardTableError, UnknownStandardError
from forecasting.standards.tables import Citation, read_standard

__all__ = [
    "MISSING_CLASS",
    "WORSE_THAN_V",
    "GB3838Item",
    "GB3838Standard",
    "WaterbodyType",
    "class_gb3838",
    "class_label",
    "exceedance_factor",
    "load_gb3838",
    "parse_class",
    "parse_class_labels",
]

WaterbodyType = Literal["river", "lake"]
"""Kind of water body: ``"lake"`` covers lakes and reservoirs (湖、库)."""
MISSING_CLASS: Final = -1
"""Class code of a missing value in integer arrays."""
WORSE_THAN_V: Final = 6
"""Class code of 劣Ⅴ (worse than class Ⅴ)."""

_WATERBODIES: Final = ("lake", "river")
_DIRECTIONS: Final = ("upper", "lower", "band", "not_graded")
_LABELS: Final = ("Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ")
_CLASS_WORDS: Final = MappingProxyType(
    {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5}
    | {str(n): n for n in range(1, 7)}
)
_LABEL_EXAMPLES: Final = ("I", "II", "III", "IV", "V", "worse_than_V", "Ⅲ类", "劣Ⅴ", "1..6")


@dataclass(frozen=True)
class GB3838Item:
    """One basic item of GB 3838—2002 表1.

    Attributes
    ----------
    parameter, number, name_zh, name_en : str, int, str, str
        ecocast name (``"codmn"``), printed item number 1..24, printed name, translation.
    units : str
        Units of the limits: ``"mg/L"`` [mg L⁻¹], ``"个/L"``, ``"dimensionless"``, ``"°C"``.
    direction : {"upper", "lower", "band", "not_graded"}
        Class met when C ≤ limit (upper), C ≥ limit (lower: DO), inside ``band`` for
        every class (pH); water temperature is not graded.
    limits, limits_lake : tuple of float, tuple of float or None
        Class Ⅰ..Ⅴ limits as printed [units]; the 湖、库 column where printed (TP).
    band : tuple of float or None
        ``(low, high)`` of a band item [units].
    applies_to : str
        ``"all"``, or ``"lake"`` for an item printed for 湖、库 only (TN).
    """

    parameter: str
    number: int
    name_zh: str
    name_en: str
    units: str
    direction: str
    limits: tuple[float, ...]
    limits_lake: tuple[float, ...] | None
    band: tuple[float, float] | None
    applies_to: str

    def limits_for(self, waterbody: WaterbodyType) -> tuple[float, ...]:
        """Return the Ⅰ..Ⅴ limits for a kind of water body [units]."""
        if waterbody == "lake" and self.limits_lake is not None:
            return self.limits_lake
        return self.limits


@dataclass(frozen=True)
class GB3838Standard:
    """GB 3838—2002 表1 loaded from its data file.

    Attributes
    ----------
    source : Citation
        Citation of the data file (``source.id`` names it in results).
    items : mapping of str to GB3838Item
        The 24 basic items by ecocast parameter name (read-only).
    """

    source: Citation
    items: Mapping[str, GB3838Item]

    def item(self, parameter: str, *, graded: bool = False) -> GB3838Item:
        """Return one item; ``graded=True`` refuses water temperature (not graded)."""
        found = self.items.get(parameter)
        if found is None or (graded and found.direction == "not_graded"):
            names = [k for k, v in self.items.items() if not graded or v.direction != "not_graded"]
            raise UnknownStandardError("graded GB 3838 parameter", parameter, names)
        return found


def _limits(raw: Mapping[str, Any], key: str, where: str) -> tuple[float, ...]:
    vals = raw.get(key)
    if not isinstance(vals, list) or len(vals) != 5:
        raise StandardTableError(f"{where}: {key!r} must list the 5 limits of classes Ⅰ..Ⅴ")
    out = tuple(float(v) for v in vals)
    step = np.diff(out) * (1 if raw["direction"] == "upper" else -1)
    if min(out) <= 0 or (step < 0).any():
        raise StandardTableError(f"{where}: {key!r} {list(out)} must be positive and monotone")
    return out


def _item(raw: Mapping[str, Any], where: str) -> GB3838Item:
    direction = raw.get("direction")
    if direction not in _DIRECTIONS:
        raise StandardTableError(f"{where}: direction {direction!r} not in {_DIRECTIONS}")
    band = raw.get("band")
    if direction == "band" and (not isinstance(band, list) or len(band) != 2):
        raise StandardTableError(f"{where}: a band item needs band = [low, high]")
    try:
        return GB3838Item(
            parameter=str(raw["parameter"]),
            number=int(raw["number"]),
            name_zh=str(raw["name_zh"]),
            name_en=str(raw["name_en"]),
            units=str(raw["units"]),
            direction=str(direction),
            limits=_limits(raw, "limits", where) if direction in ("upper", "lower") else (),
            limits_lake=_limits(raw, "limits_lake", where) if "limits_lake" in raw else None,
            band=(float(raw["band"][0]), float(raw["band"][1])) if direction == "band" else None,
            applies_to=str(raw.get("applies_to", "all")),
        )
    except KeyError as exc:
        raise StandardTableError(f"{where}: missing key {exc}") from None


@cache
def load_gb3838(standard_id: str = "cn_mee_gb3838_2002") -> GB3838Standard:
    """Load GB 3838 表1 from ``forecasting/standards/data/<standard_id>.toml`` (cached).

    Raises
    ------
    UnknownStandardError
        If there is no such data file (the message lists the available ids).
    StandardTableError
        Naming the file and the item when an item is malformed.
    """
    source, raw = read_standard(standard_id)
    items: dict[str, GB3838Item] = {}
    for k, raw_item in enumerate(raw.get("item", []), start=1):
        item = _item(raw_item, f"{standard_id}.toml, [[item]] {k}")
        items[item.parameter] = item
    if len(items) != 24:
        raise StandardTableError(f"{standard_id}.toml: expected 24 items, found {len(items)}")
    return GB3838Standard(source=source, items=MappingProxyType(items))


def _where(index: pd.Index | None, pos: int) -> str:
    if index is None:
        return f"position {pos}"
    label = index[pos]
    return f"row {label.item() if isinstance(label, np.generic) else label!r}"


def _values(values: npt.ArrayLike | pd.Series, name: str, units: str) -> npt.NDArray[np.float64]:
    """Return values as floats (NaN or NA = missing); refuse bad values, naming the row."""
    index = values.index if isinstance(values, pd.Series) else None
    try:
        if isinstance(values, pd.Series):
            v = values.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            v = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputDataError(f"{name}: values must be numbers [{units}]: {exc}") from None
    bad = ~np.isnan(v) & ~((v >= 0) & np.isfinite(v))
    if bad.any():
        pos = int(np.flatnonzero(bad.ravel())[0])
        raise InputDataError(
            f"{name}: value {float(v.ravel()[pos])!r} at {_where(index, pos)} is not a finite"
            f" number >= 0 [{units}] ({int(bad.sum())} such values); use NaN for a missing value"
        )
    return v


def _lake_mask(
    waterbody: WaterbodyType | npt.ArrayLike | pd.Series, index: pd.Index | None = None
) -> npt.NDArray[np.bool_]:
    """Return True where the water body is a lake or reservoir (scalar or per row)."""
    if isinstance(waterbody, str):
        if waterbody not in _WATERBODIES:
            raise UnknownStandardError("water body type", waterbody, _WATERBODIES)
        return np.asarray(waterbody == "lake")
    if isinstance(waterbody, pd.Series) and index is not None:
        waterbody = waterbody.reindex(index)
    arr = np.asarray(waterbody, dtype=object)
    bad = ~np.isin(arr, _WATERBODIES)
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise InputDataError(
            f"waterbody: {arr[pos]!r} at {_where(index, pos)} is not one of {_WATERBODIES}"
        )
    return np.asarray(arr == "lake", dtype=np.bool_)


def _classes(
    v: npt.NDArray[np.float64], item: GB3838Item, lake: npt.NDArray[np.bool_]
) -> npt.NDArray[np.int64]:
    """Vectorised class of validated values (NaN → MISSING_CLASS)."""
    if item.band is not None:
        cls = np.where((v < item.band[0]) | (v > item.band[1]), WORSE_THAN_V, 1)
    else:

        def one(limits: tuple[float, ...]) -> npt.NDArray[np.int64]:
            lim = np.asarray(limits)
            if item.direction == "lower":  # 1 + number of limits above C
                return 1 + np.searchsorted(-lim, -v, side="left")
            return 1 + np.searchsorted(lim, v, side="left")  # 1 + number of limits below C

        cls = one(item.limits)
        if item.limits_lake is not None and lake.any():
            cls = np.where(lake, one(item.limits_lake), cls)
    return np.where(np.isnan(v), MISSING_CLASS, cls).astype(np.int64)


def _multiple(
    v: npt.NDArray[np.float64], item: GB3838Item, lake: npt.NDArray[np.bool_], target: int
) -> npt.NDArray[np.float64]:
    """Exceedance multiple against the ``target`` class limit; 0 where compliant."""
    s = np.where(lake, item.limits_for("lake")[target - 1], item.limits[target - 1])
    f = (s - v) / s if item.direction == "lower" else (v - s) / s
    return np.where(np.isnan(f), np.nan, np.maximum(f, 0.0))


def class_gb3838(
    values: npt.ArrayLike | pd.Series,
    parameter: str,
    waterbody: WaterbodyType = "river",
    standard: GB3838Standard | None = None,
) -> npt.NDArray[np.int64]:
    """Water-quality class of one parameter under GB 3838—2002 表1.

    Parameters
    ----------
    values : array_like
        Measured values [mg L⁻¹]; pH [dimensionless]; fecal coliforms [个 L⁻¹]. NaN = missing.
    parameter : str
        ``do``, ``codmn``, ``cod``, ``bod5``, ``nh3n``, ``tp``, ``tn``, ``cu``, ``zn``,
        ``fluoride``, ``se``, ``as``, ``hg``, ``cd``, ``cr6``, ``pb``, ``cn``, ``phenol``,
        ``oil``, ``las``, ``sulfide``, ``fecal_coliform`` or ``ph``.
    waterbody : {"river", "lake"}
        ``"lake"`` (lakes and reservoirs) selects the 湖、库 TP column.
    standard : GB3838Standard, optional
        The loaded table; default :func:`load_gb3838`.

    Returns
    -------
    ndarray of int64
        1..5 for Ⅰ..Ⅴ, 6 for 劣Ⅴ, :data:`MISSING_CLASS` (−1) where the value is NaN.

    Raises
    ------
    UnknownStandardError
        For an unknown parameter, water temperature (not graded) or water body type.
    InputDataError
        For negative, infinite or non-numeric values.

    Notes
    -----
    The class is the best class whose limit the value meets: C ≤ limit (DO: C ≥ limit).
    Equal limits (COD Ⅰ = Ⅱ = 15) give the better class. pH in 6～9 gives 1, outside
    6 (common practice, UNVERIFIED). TN is printed for 湖、库 only; for a river the same
    column gives a reference class (the 2011 method does not assess TN for rivers).

    References
    ----------
    .. [1] GB 3838—2002, 表1 (data file ``cn_mee_gb3838_2002``).

    Examples
    --------
    >>> class_gb3838([1.0, 1.01, float("nan")], "nh3n").tolist()
    [3, 4, -1]
    >>> class_gb3838([0.05, 0.051], "tp", waterbody="lake").tolist()
    [3, 4]
    """
    std = standard if standard is not None else load_gb3838()
    item = std.item(parameter, graded=True)
    return _classes(_values(values, parameter, item.units), item, _lake_mask(waterbody))


def exceedance_factor(
    values: npt.ArrayLike | pd.Series,
    parameter: str,
    target_class: int = 3,
    waterbody: WaterbodyType = "river",
    standard: GB3838Standard | None = None,
) -> npt.NDArray[np.float64]:
    """Exceedance multiple (超标倍数) of values against a class limit.

    Parameters
    ----------
    values : array_like
        Measured values [mg L⁻¹]; fecal coliforms [个 L⁻¹]. NaN = missing.
    parameter : str
        ecocast parameter name (see :func:`class_gb3838`).
    target_class : int
        Class 1..5 whose limit S is the reference; the 2011 method uses 3 (Ⅲ).
    waterbody : {"river", "lake"}
        Selects the TP column.
    standard : GB3838Standard, optional
        The loaded table; default :func:`load_gb3838`.

    Returns
    -------
    ndarray of float
        ``(C − S)/S`` for "≤" items; 0.0 where C meets S (not exceeding); NaN where C is
        NaN. DO: the inverted shortfall ``(S − C)/S`` (an ecocast extension; the 2011
        method gives DO no multiple). pH: all NaN (a band has no multiple).

    Raises
    ------
    UnknownStandardError
        For an unknown parameter, water temperature, or a target class outside 1..5.
    InputDataError
        For negative, infinite or non-numeric values.

    References
    ----------
    .. [1] 环办〔2011〕22号, 主要污染指标: 超标倍数 = (C − Ⅲ类标准)/Ⅲ类标准, not for 水温,
       pH, 溶解氧 (UNVERIFIED from the primary text). Limits: GB 3838—2002, 表1.

    Examples
    --------
    >>> exceedance_factor([12.0, 6.0], "codmn").tolist()
    [1.0, 0.0]
    """
    std = standard if standard is not None else load_gb3838()
    item = std.item(parameter, graded=True)
    if isinstance(target_class, bool) or target_class not in range(1, 6):
        raise UnknownStandardError("target class", target_class, range(1, 6))
    v = _values(values, parameter, item.units)
    if item.band is not None:
        return np.full(v.shape, np.nan)
    return _multiple(v, item, _lake_mask(waterbody), target_class)


def class_label(n: int | np.integer[Any]) -> str:
    """Return the label of class code ``n``: ``"Ⅰ"`` .. ``"Ⅴ"``, and 6 → ``"劣Ⅴ"``.

    Raises
    ------
    UnknownStandardError
        If ``n`` is not an integer 1..6.
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 1 <= n <= 6:
        raise UnknownStandardError("water class code", n, range(1, 7))
    return _LABELS[int(n) - 1]


def parse_class(label: str) -> int:
    """Parse a published class label into a class code 1..6.

    Accepts Roman numerals in ASCII or Unicode (``"III"``, ``"Ⅲ"``), Chinese and Arabic
    numerals (``"三类"``, ``"3"``), an optional ``类`` suffix, and the worse-than-Ⅴ forms
    ``"劣V"``, ``"劣Ⅴ类"``, ``"劣五类"`` and ``"worse_than_V"`` (CNEMC files) → 6.

    Raises
    ------
    UnknownStandardError
        For anything else, listing accepted examples.
    """
    text = unicodedata.normalize("NFKC", str(label)).strip().upper().replace(" ", "_")
    text = text.removesuffix("类")
    worse = False
    for prefix in ("劣", "WORSE_THAN_"):
        if text.startswith(prefix):
            worse, text = True, text[len(prefix) :]
    n = _CLASS_WORDS.get(text)
    if n is None or (worse and n != 5):
        raise UnknownStandardError("water class label", label, _LABEL_EXAMPLES)
    return WORSE_THAN_V if worse else n


def parse_class_labels(labels: npt.ArrayLike | pd.Series) -> pd.Series:
    """Parse a column of published class labels into ``Int64`` codes (NA stays NA).

    Raises
    ------
    InputDataError
        For an unknown label, naming it and its first row.
    """
    s = labels if isinstance(labels, pd.Series) else pd.Series(labels)
    mapping: dict[Any, int] = {}
    for value in s.dropna().unique():  # loop over distinct labels, not rows
        try:
            mapping[value] = parse_class(value)
        except UnknownStandardError as exc:
            pos = int(np.flatnonzero((s == value).to_numpy())[0])
            raise InputDataError(f"class label at {_where(s.index, pos)}: {exc}") from None
    return s.map(mapping).astype("Int64")
