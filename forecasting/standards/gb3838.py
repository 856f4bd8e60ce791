"""GB 3838—2002 surface-water classes and the 2011 single-factor assessment.

Classes are coded 1..5 for Ⅰ..Ⅴ and 6 for 劣Ⅴ; frame results use pandas ``Int64`` with
``<NA>`` for a missing class. Table-1 functions (:func:`class_gb3838`,
:func:`exceedance_factor`, :func:`class_label`, :func:`parse_class`) live in
:mod:`forecasting.standards.gb3838_table` and are re-exported here. This module adds
the 2011 method [1]_: the section class over the 21 assessed items, its explanation
(determining items, main pollutants, qualitative word and colour) and the river or
basin rating. Rules come from the data file ``cn_mee_water_assessment_2011``.

References
----------
.. [1] 环办〔2011〕22号 地表水环境质量评价办法（试行）, 断面水质评价; 河流、流域（水系）水质评价.
.. [2] GB 3838—2002 地表水环境质量标准, 表1 (data file ``cn_mee_gb3838_2002``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasting.errors import InputDataError, StandardTableError
from forecasting.standards.gb3838_table import (
    _LABELS,
    MISSING_CLASS,
    WORSE_THAN_V,
    GB3838Item,
    GB3838Standard,
    WaterbodyType,
    _classes,
    _lake_mask,
    _multiple,
    _values,
    class_gb3838,
    class_label,
    exceedance_factor,
    load_gb3838,
    parse_class,
    parse_class_labels,
)
from forecasting.standards.tables import Citation, read_standard

__all__ = [
    "MISSING_CLASS",
    "WORSE_THAN_V",
    "Assessment2011",
    "BasinRating",
    "GB3838Item",
    "GB3838Standard",
    "WaterbodyType",
    "basin_rating_2011",
    "basin_rating_from_values",
    "class_gb3838",
    "class_label",
    "exceedance_factor",
    "load_assessment_2011",
    "load_gb3838",
    "overall_class_2011",
    "parse_class",
    "parse_class_labels",
]


@dataclass(frozen=True)
class Assessment2011:
    """The 2011 assessment method (环办〔2011〕22号) loaded from its data file.

    Attributes
    ----------
    source : Citation
        Citation of the data file.
    parameters, lake_separate : tuple of str
        The 21 assessed items in 表1 order; items assessed on their own for lakes (TN).
    quality_zh, quality_en, colour_zh, colour_en : tuple of str
        定性评价 word and colour of classes 1..6 (index ``class − 1``).
    exceedance_class, exceedance_excluded : int, frozenset of str
        Reference class of 超标倍数 (Ⅲ); items without one (水温, pH, 溶解氧).
    main_worse_than, main_count : int
        Main pollutants: at most ``main_count`` (3) items worse than class Ⅲ.
    basin_min_sections, basin_rows : int, tuple of mapping
        Fewest sections for the share method (5); ``[[basin.rating]]`` rows [%].
    """

    source: Citation
    parameters: tuple[str, ...]
    lake_separate: tuple[str, ...]
    quality_zh: tuple[str, ...]
    quality_en: tuple[str, ...]
    colour_zh: tuple[str, ...]
    colour_en: tuple[str, ...]
    exceedance_class: int
    exceedance_excluded: frozenset[str]
    main_worse_than: int
    main_count: int
    basin_min_sections: int
    basin_rows: tuple[Mapping[str, Any], ...]


def _basin_row(raw: Mapping[str, Any], where: str) -> Mapping[str, Any]:
    missing = [k for k in ("rating_zh", "rating_en", "colour_zh", "colour_en") if k not in raw]
    if missing or not any(k.endswith("percent") for k in raw):
        raise StandardTableError(f"{where}: [[basin.rating]] needs {missing or 'a bound'}")
    return MappingProxyType(dict(raw))


@cache
def load_assessment_2011(standard_id: str = "cn_mee_water_assessment_2011") -> Assessment2011:
    """Load the 2011 assessment method from its data file (cached).

    Raises
    ------
    UnknownStandardError
        If there is no such data file.
    StandardTableError
        Naming the file and the missing key when the file is malformed.
    """
    source, raw = read_standard(standard_id)
    where = f"{standard_id}.toml"
    try:
        cats = sorted(raw["category"], key=lambda c: int(c["class"]))
        if [int(c["class"]) for c in cats] != list(range(1, 7)):
            raise StandardTableError(f"{where}: [[category]] must cover classes 1..6")
        return Assessment2011(
            source=source,
            parameters=tuple(raw["assessment"]["parameters"]),
            lake_separate=tuple(raw["assessment"]["lake_separate"]),
            quality_zh=tuple(str(c["quality_zh"]) for c in cats),
            quality_en=tuple(str(c["quality_en"]) for c in cats),
            colour_zh=tuple(str(c["colour_zh"]) for c in cats),
            colour_en=tuple(str(c["colour_en"]) for c in cats),
            exceedance_class=int(raw["exceedance"]["reference_class"]),
            exceedance_excluded=frozenset(raw["exceedance"]["not_computed_for"]),
            main_worse_than=int(raw["main_pollutants"]["worse_than"]),
            main_count=int(raw["main_pollutants"]["count"]),
            basin_min_sections=int(raw["basin"]["share_method_min_sections"]),
            basin_rows=tuple(_basin_row(r, where) for r in raw["basin"]["rating"]),
        )
    except KeyError as exc:
        raise StandardTableError(f"{where}: missing key {exc}") from None


def _categorical(codes: npt.NDArray[np.int64], names: list[str]) -> pd.Categorical[str]:
    """Categorical of ``names[code]`` per row (code −1 → NA), built without row loops."""
    cats = list(dict.fromkeys(names))
    lookup = np.array([cats.index(n) for n in names] + [-1])
    codes = lookup[np.where(codes >= 0, codes, len(names))]
    return pd.Categorical.from_codes(codes.astype(np.int64), categories=pd.Index(cats))


def _names(
    code: npt.NDArray[np.int64], valid: npt.NDArray[np.bool_], params: list[str], *, bitmask: bool
) -> pd.Categorical[str]:
    """Categorical of comma-joined names per row, built from one integer code per row.

    ``bitmask``: bit j set = item j; otherwise base-(p+1) digit k = 1 + index of name k.
    """
    base = 2 if bitmask else len(params) + 1
    uniq, inverse = np.unique(code, return_inverse=True)
    cats = []
    for c in uniq.tolist():  # loop over distinct combinations, not rows
        names, j = [], 0
        while c:
            c, digit = divmod(c, base)
            if digit:
                names.append(params[j if bitmask else digit - 1])
            j += 1
        cats.append(",".join(names))
    codes = np.where(valid, inverse.ravel(), -1).astype(np.int64)
    return pd.Categorical.from_codes(codes, categories=pd.Index(cats))


def overall_class_2011(
    frame: pd.DataFrame,
    waterbody: WaterbodyType | npt.ArrayLike | pd.Series = "river",
    *,
    standard: GB3838Standard | None = None,
    method: Assessment2011 | None = None,
) -> pd.DataFrame:
    """Section class by the 2011 single-factor method, with its explanation.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per section and period, columns named by ecocast parameter names (see
        :func:`class_gb3838`) [mg L⁻¹; pH dimensionless]. Absent columns and NaN values
        are skipped; other columns are ignored.
    waterbody : {"river", "lake"} or array_like
        For all rows, or one value per row (a Series is aligned on the index).
    standard, method : GB3838Standard, Assessment2011, optional
        Loaded tables; defaults :func:`load_gb3838` and :func:`load_assessment_2011`.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``frame``: ``class`` (Int64 1..6; NA when no assessed item has a
        value), ``label`` (Ⅰ..劣Ⅴ), ``quality_zh``/``quality_en``, ``colour_zh``/
        ``colour_en`` (定性评价), ``determining`` (items at the section's class, in 表1
        order), ``main_pollutants`` (up to 3 items worse than Ⅲ when the section is worse
        than Ⅲ, worst first; ``""`` if none), ``n_assessed`` (items with a value) and
        ``class_tn`` (lakes: TN assessed on its own; NA for rivers). ``attrs`` holds
        ``standard_id`` and ``gb3838_id`` (the data files).

    Notes
    -----
    The class is the worst class of the 21 assessed items (表1 less 水温, 总氮, 粪大肠
    菌群). For lakes TP uses the 湖、库 limits and TN is classed only in ``class_tn``;
    TN never changes ``class``. Main pollutants rank by class, then by exceedance
    multiple against Ⅲ, then by 表1 order; pH and DO have no multiple and rank after
    items that have one in the same class (an ecocast choice; the text is silent).

    References
    ----------
    .. [1] 环办〔2011〕22号, 断面水质评价 (单因子评价法, 定性评价), 主要污染指标的确定.
    .. [2] GB 3838—2002, 表1.
    """
    std = standard if standard is not None else load_gb3838()
    m = method if method is not None else load_assessment_2011()
    n = len(frame)
    lake = np.broadcast_to(_lake_mask(waterbody, frame.index), (n,))
    params = [p for p in m.parameters if p in frame.columns]
    p = len(params)
    cls = np.full((n, p), MISSING_CLASS, dtype=np.int64)
    mult = np.full((n, p), np.nan)
    for j, name in enumerate(params):  # loop over items; each is vectorised over rows
        item = std.item(name, graded=True)
        v = _values(frame[name], name, item.units)
        cls[:, j] = _classes(v, item, lake)
        if name not in m.exceedance_excluded:
            mult[:, j] = _multiple(v, item, lake, m.exceedance_class)
    overall = cls.max(axis=1, initial=MISSING_CLASS)
    valid = overall != MISSING_CLASS
    # determining: a bit mask of the items at the overall class (bit j = item j)
    det_code = ((cls == overall[:, None]) * (1 << np.arange(p, dtype=np.int64))).sum(axis=1)
    # main pollutants: worse than Ⅲ, by class desc, multiple desc (NaN last), 表1 order
    worse = (cls > m.main_worse_than) & (overall > m.main_worse_than)[:, None]
    keys = (np.broadcast_to(np.arange(p), (n, p)), np.where(np.isnan(mult), np.inf, -mult))
    order = np.lexsort((*keys, np.where(worse, -cls, 1)), axis=-1)[:, : m.main_count]
    top = np.where(np.take_along_axis(worse, order, axis=1), order + 1, 0)
    main_code = (top * (p + 1) ** np.arange(top.shape[1], dtype=np.int64)).sum(axis=1)

    idx = np.where(valid, overall - 1, -1)
    out = pd.DataFrame(
        {
            "class": pd.arrays.IntegerArray(overall, ~valid),
            "label": _categorical(idx, list(_LABELS)),
            "quality_zh": _categorical(idx, list(m.quality_zh)),
            "quality_en": _categorical(idx, list(m.quality_en)),
            "colour_zh": _categorical(idx, list(m.colour_zh)),
            "colour_en": _categorical(idx, list(m.colour_en)),
            "determining": _names(det_code, valid, params, bitmask=True),
            "main_pollutants": _names(main_code, valid, params, bitmask=False),
            "n_assessed": (cls != MISSING_CLASS).sum(axis=1),
            "class_tn": pd.array([pd.NA] * n, dtype="Int64"),
        },
        index=frame.index,
    )
    for name in m.lake_separate:
        if name in frame.columns and lake.any():
            item = std.item(name, graded=True)
            sep = _classes(_values(frame[name], name, item.units), item, lake)
            out[f"class_{name}"] = pd.arrays.IntegerArray(sep, ~lake | (sep == MISSING_CLASS))
    out.attrs.update(standard_id=m.source.id, gb3838_id=std.source.id)
    return out


@dataclass(frozen=True)
class BasinRating:
    """Rating of a river or basin (河流、流域（水系）) by the 2011 method.

    Attributes
    ----------
    rating_zh, rating_en, colour_zh, colour_en : str or None
        优 … 重度污染 and its colour (English: ecocast translation); None when no
        printed row holds.
    method : str
        ``"share"`` (section-class shares) or ``"mean"`` (items averaged over sections).
    n_sections : int
        Sections assessed.
    share_i_iii, share_worse_v : float
        Shares of Ⅰ～Ⅲ and of 劣Ⅴ sections [%]; NaN for the mean method.
    mean_class : int or None
        Class of the averaged values (mean method only).
    source_id : str
        Data file of the assessment method.
    """

    rating_zh: str | None
    rating_en: str | None
    colour_zh: str | None
    colour_en: str | None
    method: str
    n_sections: int
    share_i_iii: float
    share_worse_v: float
    mean_class: int | None
    source_id: str


def _row_holds(row: Mapping[str, Any], counts: dict[str, int], n: int, heavy: float | None) -> bool:
    """Whether every bound of a rating row holds (exact: 100·count vs bound·n)."""
    for key, count in counts.items():
        low, below = row.get(f"{key}_min_percent"), row.get(f"{key}_below_percent")
        if heavy is not None and f"{key}_below_percent_alternative" in row:
            below = heavy
        if (low is not None and 100 * count < low * n) or (
            below is not None and 100 * count >= below * n
        ):
            return False
    return True


def basin_rating_2011(
    classes: npt.ArrayLike | pd.Series,
    *,
    method: Assessment2011 | None = None,
    heavy_i_iii_below_percent: float | None = None,
) -> BasinRating:
    """Rate a river or basin from its section classes (断面水质类别比例法).

    Parameters
    ----------
    classes : array_like of int
        Section classes 1..6 (6 = 劣Ⅴ); NaN, NA and −1 (missing) are skipped.
    method : Assessment2011, optional
        Assessment rules; default :func:`load_assessment_2011`.
    heavy_i_iii_below_percent : float, optional
        Replaces the disputed 重度污染 bound "Ⅰ～Ⅲ类比例 < 60%" of the data file [%];
        75 gives the Shenzhen MEEB reading.

    Returns
    -------
    BasinRating
        The first printed row that holds. With the default 60 % bound no row holds when
        exactly 60 % of the sections are Ⅰ～Ⅲ and exactly 40 % are 劣Ⅴ (shares cannot
        sum above 100 %, so this is the only gap): the rating is then None.

    Raises
    ------
    InputDataError
        For codes outside 1..6, or fewer than 5 sections (use
        :func:`basin_rating_from_values`, the averaging method, then).

    References
    ----------
    .. [1] 环办〔2011〕22号, 河流、流域（水系）水质评价, 断面数 5 个（含 5 个）以上.
    """
    m = method if method is not None else load_assessment_2011()
    c = _values(pd.Series(classes).replace(MISSING_CLASS, np.nan), "section class", "1..6")
    if not np.isin(c[~np.isnan(c)], range(1, 7)).all():
        bad = float(c[~np.isnan(c) & ~np.isin(c, range(1, 7))][0])
        raise InputDataError(f"section class {bad!r} is not a class code 1..6")
    c = c[~np.isnan(c)]
    n = int(c.size)
    if n < m.basin_min_sections:
        raise InputDataError(
            f"{n} sections: the share method needs at least {m.basin_min_sections}; "
            "for fewer use basin_rating_from_values (items averaged over the sections)"
        )
    counts = {"i_iii": int((c <= 3).sum()), "worse_v": int((c == WORSE_THAN_V).sum())}
    shares = (100 * counts["i_iii"] / n, 100 * counts["worse_v"] / n)
    for row in m.basin_rows:
        if _row_holds(row, counts, n, heavy_i_iii_below_percent):
            words = (row["rating_zh"], row["rating_en"], row["colour_zh"], row["colour_en"])
            return BasinRating(*words, "share", n, *shares, None, m.source.id)
    return BasinRating(None, None, None, None, "share", n, *shares, None, m.source.id)


def basin_rating_from_values(
    frame: pd.DataFrame,
    waterbody: WaterbodyType = "river",
    *,
    standard: GB3838Standard | None = None,
    method: Assessment2011 | None = None,
) -> BasinRating:
    """Rate a river or basin with fewer than 5 sections (averaging method).

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per section (values for the period), columns as in
        :func:`overall_class_2011` [mg L⁻¹; pH dimensionless].
    waterbody : {"river", "lake"}
        Kind of water body.
    standard, method : GB3838Standard, Assessment2011, optional
        Loaded tables; defaults :func:`load_gb3838` and :func:`load_assessment_2011`.

    Returns
    -------
    BasinRating
        Each item is averaged over the sections (NaN skipped); the means are classed by
        the single-factor method and rated with the section words (Ⅰ～Ⅱ 优 … 劣Ⅴ 重度污染).

    References
    ----------
    .. [1] 环办〔2011〕22号, 河流、流域（水系）水质评价: fewer than 5 sections, average
       each item over the sections, then assess as one section.
    """
    m = method if method is not None else load_assessment_2011()
    cols = [p for p in m.parameters if p in frame.columns]
    means = pd.DataFrame({p: [pd.Series(_values(frame[p], p, "mg/L")).mean()] for p in cols})
    k = overall_class_2011(means, waterbody, standard=standard, method=m)["class"].iloc[0]
    n = len(frame)
    if pd.isna(k):
        return BasinRating(None, None, None, None, "mean", n, np.nan, np.nan, None, m.source.id)
    i = int(k) - 1
    words = (m.quality_zh[i], m.quality_en[i], m.colour_zh[i], m.colour_en[i])
    return BasinRating(*words, "mean", n, np.nan, np.nan, i + 1, m.source.id)
