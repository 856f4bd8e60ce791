"""Lake and reservoir trophic state: the comprehensive trophic level index TLI(Σ).

TLI(Σ) = Σ_j W_j·TLI(j) with W_j = r_j² / Σ_k r_k², where r_j is the correlation of
parameter j with chlorophyll a, and TLI(j) = 10·(a_j + b_j·ln C_j) [1]_. Coefficients,
r_j and the grade boundaries come from the data file ``cn_trophic_tli``.

Units: chlorophyll a (``chla``) in mg/m³ = µg/L [µg L⁻¹]; transparency (``sd``) in m;
total phosphorus (``tp``), total nitrogen (``tn``) and permanganate index (``codmn``) in
mg/L [mg L⁻¹]. CNEMC releases publish chlorophyll a in mg/L: multiply by 1000 first.

Missing parameters: the weights are renormalised over the parameters present (the
common practice when transparency is not measured, e.g. at CNEMC automatic stations,
which report no SD), per row; ``renormalise=False`` gives NaN instead.

References
----------
.. [1] 环办〔2011〕22号 地表水环境质量评价办法（试行）, 湖泊、水库营养状态评价
   (综合营养状态指数; coefficients secondary, from public code).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasting.errors import InputDataError, StandardTableError, UnknownStandardError
from forecasting.standards.gb3838_table import _values
from forecasting.standards.tables import Citation, read_standard

__all__ = [
    "TLIParameter",
    "TrophicGrade",
    "TrophicTable",
    "load_trophic_table",
    "tli",
    "tli_single",
    "tli_weights",
    "trophic_grade",
    "trophic_state",
]


@dataclass(frozen=True)
class TLIParameter:
    """One parameter of TLI(Σ).

    Attributes
    ----------
    name, name_zh, units : str
        ecocast name (``chla``, ``tp``, ``tn``, ``sd``, ``codmn``), Chinese name, units.
    r, r_squared : float
        Correlation with chlorophyll a and its square, as printed [dimensionless].
    a, b : float
        Coefficients of TLI(j) = scale·(a + b·ln C) as printed (b < 0 for ``sd``).
    """

    name: str
    name_zh: str
    units: str
    r: float
    r_squared: float
    a: float
    b: float


@dataclass(frozen=True)
class TrophicGrade:
    """One trophic grade.

    Attributes
    ----------
    grade : int
        1 (贫营养) .. 5 (重度富营养).
    name_zh, name_en, state_zh, state_en : str
        Grade name and its coarse state (贫营养 / 中营养 / 富营养); English: translation.
    upper : float or None
        Upper TLI bound of the grade [dimensionless]; None for the last grade.
    upper_inclusive : bool
        Whether TLI == ``upper`` belongs to this grade.
    """

    grade: int
    name_zh: str
    name_en: str
    state_zh: str
    state_en: str
    upper: float | None
    upper_inclusive: bool


@dataclass(frozen=True)
class TrophicTable:
    """The TLI(Σ) method loaded from its data file.

    Attributes
    ----------
    source : Citation
        Citation of the data file (``source.id`` names it in results).
    scale : float
        Factor in TLI(j) = scale·(a + b·ln C) (10).
    parameters : mapping of str to TLIParameter
        Parameters by ecocast name (read-only).
    grades : tuple of TrophicGrade
        Grades in increasing TLI.
    """

    source: Citation
    scale: float
    parameters: Mapping[str, TLIParameter]
    grades: tuple[TrophicGrade, ...]

    def parameter(self, name: str) -> TLIParameter:
        """Return one parameter, or raise :class:`UnknownStandardError` listing them."""
        if name not in self.parameters:
            raise UnknownStandardError("TLI parameter", name, self.parameters)
        return self.parameters[name]


def _parameter(raw: Mapping[str, Any], where: str) -> TLIParameter:
    p = TLIParameter(
        name=str(raw["name"]),
        name_zh=str(raw["name_zh"]),
        units=str(raw["units"]),
        r=float(raw["r"]),
        r_squared=float(raw["r_squared"]),
        a=float(raw["a"]),
        b=float(raw["b"]),
    )
    if not math.isclose(round(p.r**2, 4), p.r_squared):
        raise StandardTableError(f"{where} {p.name!r}: r_squared {p.r_squared} != r² = {p.r**2}")
    return p


def _grade(raw: Mapping[str, Any]) -> TrophicGrade:
    upper = raw.get("upper")
    return TrophicGrade(
        grade=int(raw["grade"]),
        name_zh=str(raw["name_zh"]),
        name_en=str(raw["name_en"]),
        state_zh=str(raw["state_zh"]),
        state_en=str(raw["state_en"]),
        upper=None if upper is None else float(upper),
        upper_inclusive=bool(raw.get("upper_inclusive", False)),
    )


@cache
def load_trophic_table(standard_id: str = "cn_trophic_tli") -> TrophicTable:
    """Load the TLI(Σ) method from ``forecasting/standards/data/<standard_id>.toml`` (cached).

    Raises
    ------
    UnknownStandardError
        If there is no such data file.
    StandardTableError
        Naming the file and the entry when it is malformed (missing key, r² that does
        not match r, grades out of order).
    """
    source, raw = read_standard(standard_id)
    where = f"{standard_id}.toml"
    try:
        params = [_parameter(p, f"{where}, [[parameter]]") for p in raw["parameter"]]
        grades = tuple(_grade(g) for g in raw["grade"])
        scale = float(raw["index"]["scale"])
    except KeyError as exc:
        raise StandardTableError(f"{where}: missing key {exc}") from None
    bounds = [g.upper for g in grades[:-1] if g.upper is not None]
    if len(bounds) != len(grades) - 1 or grades[-1].upper is not None or bounds != sorted(bounds):
        raise StandardTableError(f"{where}: [[grade]] upper bounds must increase, last open")
    return TrophicTable(source, scale, MappingProxyType({p.name: p for p in params}), grades)


def tli_weights(parameters: Iterable[str], table: TrophicTable | None = None) -> dict[str, float]:
    """Weights W_j = r_j² / Σ_k r_k² over the given parameters [dimensionless].

    Parameters
    ----------
    parameters : iterable of str
        Parameters present, e.g. ``("chla", "tp", "tn", "codmn")`` without transparency.
    table : TrophicTable, optional
        The loaded method; default :func:`load_trophic_table`.

    Returns
    -------
    dict of str to float
        Weights summing to 1 (unrounded).

    References
    ----------
    .. [1] 环办〔2011〕22号, 综合营养状态指数: W_j = r_ij² / Σ r_ij².

    Examples
    --------
    >>> round(tli_weights(["chla", "tp", "tn", "sd", "codmn"])["chla"], 4)
    0.2663
    """
    t = table if table is not None else load_trophic_table()
    r2 = {name: t.parameter(name).r_squared for name in dict.fromkeys(parameters)}
    if not r2:
        raise InputDataError("tli_weights: give at least one of " + ", ".join(t.parameters))
    total = sum(r2.values())
    return {name: value / total for name, value in r2.items()}


def tli_single(
    values: npt.ArrayLike | pd.Series, parameter: str, table: TrophicTable | None = None
) -> npt.NDArray[np.float64]:
    """Trophic level index of one parameter, TLI(j) = 10·(a + b·ln C).

    Parameters
    ----------
    values : array_like
        ``chla`` [µg L⁻¹ = mg m⁻³], ``sd`` [m], ``tp``/``tn``/``codmn`` [mg L⁻¹].
        NaN means missing.
    parameter : str
        ``chla``, ``tp``, ``tn``, ``sd`` or ``codmn``.
    table : TrophicTable, optional
        The loaded method; default :func:`load_trophic_table`.

    Returns
    -------
    ndarray of float
        TLI(j) [dimensionless]; NaN where C is NaN or 0 (ln 0 is undefined: substitute
        a detection-limit value upstream if wanted).

    Raises
    ------
    UnknownStandardError
        For an unknown parameter.
    InputDataError
        For negative, infinite or non-numeric values.

    References
    ----------
    .. [1] 环办〔2011〕22号: TLI(chla) = 10(2.5 + 1.086 ln chla); TLI(TP) = 10(9.436 +
       1.624 ln TP); TLI(TN) = 10(5.453 + 1.694 ln TN); TLI(SD) = 10(5.118 − 1.94 ln SD);
       TLI(CODMn) = 10(0.109 + 2.661 ln CODMn).

    Examples
    --------
    >>> tli_single([1.0], "chla").tolist()
    [25.0]
    """
    t = table if table is not None else load_trophic_table()
    p = t.parameter(parameter)
    c = _values(values, parameter, p.units)
    with np.errstate(divide="ignore"):
        out = t.scale * (p.a + p.b * np.log(c))
    return np.where(c > 0, out, np.nan)


def tli(
    *,
    chla: npt.ArrayLike | None = None,
    tp: npt.ArrayLike | None = None,
    tn: npt.ArrayLike | None = None,
    sd: npt.ArrayLike | None = None,
    codmn: npt.ArrayLike | None = None,
    table: TrophicTable | None = None,
    renormalise: bool = True,
) -> npt.NDArray[np.float64]:
    """Comprehensive trophic level index TLI(Σ) (综合营养状态指数).

    Parameters
    ----------
    chla : array_like, optional
        Chlorophyll a [µg L⁻¹ = mg m⁻³] (CNEMC files: mg/L × 1000).
    tp, tn, codmn : array_like, optional
        Total phosphorus, total nitrogen, permanganate index [mg L⁻¹].
    sd : array_like, optional
        Secchi transparency [m].
    table : TrophicTable, optional
        The loaded method; default :func:`load_trophic_table`.
    renormalise : bool
        True: in each row the weights are renormalised over the parameters that have a
        value there. False: a row with any given parameter missing gives NaN. Either
        way, parameters not given at all are left out and the weights are normalised
        over the ones given.

    Returns
    -------
    ndarray of float
        TLI(Σ) [dimensionless], broadcast over the inputs; NaN where no parameter has
        a value.

    Raises
    ------
    InputDataError
        If no parameter is given, or for negative or non-numeric values.

    References
    ----------
    .. [1] 环办〔2011〕22号: TLI(Σ) = Σ W_j·TLI(j), W_j = r_ij² / Σ r_ij².

    Examples
    --------
    >>> float(np.round(tli(chla=1.0, tp=0.1, tn=1.0, codmn=1.0), 2)[()])
    33.46
    """
    t = table if table is not None else load_trophic_table()
    args = {"chla": chla, "tp": tp, "tn": tn, "sd": sd, "codmn": codmn}
    given = {k: v for k, v in args.items() if v is not None}
    weights = tli_weights(given, t)
    single = np.stack(np.broadcast_arrays(*(tli_single(v, k, t) for k, v in given.items())))
    w = np.asarray([weights[k] for k in given]).reshape((-1,) + (1,) * (single.ndim - 1))
    present = ~np.isnan(single)
    if not renormalise:
        return np.where(present.all(axis=0), (w * single).sum(axis=0), np.nan)
    total = (w * present).sum(axis=0)
    with np.errstate(invalid="ignore"):
        out = (w * np.where(present, single, 0.0)).sum(axis=0) / total
    return np.where(total > 0, out, np.nan)


def trophic_grade(
    values: npt.ArrayLike | pd.Series, table: TrophicTable | None = None
) -> pd.DataFrame:
    """Trophic grade of TLI(Σ) values.

    Parameters
    ----------
    values : array_like
        TLI(Σ) [dimensionless]; NaN means missing. A Series keeps its index.
    table : TrophicTable, optional
        The loaded method; default :func:`load_trophic_table`.

    Returns
    -------
    pandas.DataFrame
        ``grade`` (Int64 1..5), ``grade_zh``/``grade_en`` (贫营养, 中营养, 轻度富营养,
        中度富营养, 重度富营养), ``state_zh``/``state_en`` (贫营养 / 中营养 / 富营养);
        NA where the value is NaN. ``attrs["standard_id"]`` names the data file.

    Notes
    -----
    Boundaries as configured (UNVERIFIED): TLI < 30 贫营养; 30 ≤ TLI ≤ 50 中营养;
    50 < TLI ≤ 60 轻度富营养; 60 < TLI ≤ 70 中度富营养; TLI > 70 重度富营养.

    References
    ----------
    .. [1] 环办〔2011〕22号, 湖泊营养状态分级.
    """
    t = table if table is not None else load_trophic_table()
    index = values.index if isinstance(values, pd.Series) else None
    try:
        v = np.asarray(values, dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        raise InputDataError(f"TLI values must be numbers: {exc}") from None
    above = np.zeros(v.shape, dtype=np.int64)
    for g in t.grades[:-1]:  # loop over the 4 boundaries, vectorised over values
        if g.upper is not None:
            above += (v > g.upper) if g.upper_inclusive else (v >= g.upper)
    valid = ~np.isnan(v)
    codes = np.where(valid, above, -1)
    out = pd.DataFrame({"grade": pd.arrays.IntegerArray(above + 1, ~valid)}, index=index)
    for col in ("name_zh", "name_en", "state_zh", "state_en"):
        names = [str(getattr(g, col)) for g in t.grades]
        cats = list(dict.fromkeys(names))
        lookup = np.array([cats.index(n) for n in names] + [-1])
        cat = pd.Categorical.from_codes(lookup[codes], categories=pd.Index(cats))
        out[col.replace("name", "grade")] = cat
    out.attrs["standard_id"] = t.source.id
    return out


def trophic_state(
    frame: pd.DataFrame, table: TrophicTable | None = None, *, renormalise: bool = True
) -> pd.DataFrame:
    """TLI(Σ) and trophic grade of each row of a frame.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``chla`` [µg L⁻¹], ``tp``, ``tn``, ``codmn`` [mg L⁻¹], ``sd`` [m]; absent
        columns are left out of the weights, NaN values as in :func:`tli`.
    table : TrophicTable, optional
        The loaded method; default :func:`load_trophic_table`.
    renormalise : bool
        See :func:`tli`.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``frame``: ``tli``, ``n_parameters`` (parameters with a value) and
        the columns of :func:`trophic_grade`; ``attrs["standard_id"]``.

    References
    ----------
    .. [1] 环办〔2011〕22号, 湖泊、水库营养状态评价.
    """
    t = table if table is not None else load_trophic_table()
    cols = {k: frame[k] for k in t.parameters if k in frame.columns}
    if not cols:
        raise InputDataError(f"trophic_state: frame has none of the columns {list(t.parameters)}")
    value = tli(**cols, table=t, renormalise=renormalise)
    out = trophic_grade(pd.Series(value, index=frame.index), t)
    out.insert(0, "tli", value)
    present = np.stack([_values(c, k, t.parameters[k].units) > 0 for k, c in cols.items()])
    out.insert(1, "n_parameters", present.sum(axis=0))
    return out
