"""HJ 633 AQI levels (级别): level of an AQI value, category, colour and advice.

The levels, their AQI ranges, colours (附录A 表A.1) and the health-effects and advice
texts are read from the edition's data file (``cn_mee_hj633_2012`` or
``cn_mee_hj633_2026``) through :func:`~forecasting.standards.aqi_hj633_standard.load_hj633`.
The texts differ between editions (2026 rewrote 三级–六级); the level boundaries and the
colours do not.

References
----------
.. [1] HJ 633—2012 环境空气质量指数（AQI）技术规定（试行）, 表2 and 附录A 表A.1.
.. [2] HJ 633—2026 环境空气质量指数（AQI）技术规定, 表1 and 附录A 表A.1.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasting.errors import UnknownStandardError
from forecasting.standards.aqi_hj633_standard import Hj633Level, Hj633Standard, load_hj633

__all__ = ["aqi_level", "level_frame", "level_info"]

_LEVEL_FIELDS = {
    "grade_zh": "grade",
    "name_zh": "category",
    "name_en": "category_en",
    "colour_zh": "colour",
    "colour_hex": "hex",
    "health_effects": "health_effects",
    "advice": "advice",
}


def _as_float(values: npt.ArrayLike | pd.Series) -> npt.NDArray[np.float64]:
    if isinstance(values, pd.Series | pd.Index):
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    return np.asarray(values, dtype=np.float64)


def aqi_level(
    aqi: npt.ArrayLike | pd.Series, standard: Hj633Standard | None = None
) -> npt.NDArray[np.int64]:
    """Return the AQI level (1–6) of each AQI value.

    Parameters
    ----------
    aqi : array_like or pandas.Series
        AQI values (integers after the ceiling rule; fractions are accepted and fall in
        the level above the lower integer bound, e.g. 50.5 → 2) [dimensionless].
    standard : Hj633Standard, optional
        Edition whose level table is used; default HJ 633—2026 (the boundaries are the
        same in both editions).

    Returns
    -------
    ndarray of int64
        1 (一级, AQI ≤ 50, including 0) to 6 (六级, AQI > 300); 0 where the AQI is
        missing (NaN/NA) or negative.

    References
    ----------
    .. [1] HJ 633—2012 表2; HJ 633—2026 表1.

    Examples
    --------
    >>> aqi_level([0, 50, 51, 100, 101, 300, 301, float("nan")]).tolist()
    [1, 1, 2, 2, 3, 5, 6, 0]
    """
    std = standard if standard is not None else load_hj633()
    upper = np.array([lvl.aqi_hi for lvl in std.levels[:-1]], dtype=np.float64)
    values = _as_float(aqi)
    level = np.searchsorted(upper, values, side="left").astype(np.int64) + 1
    return np.where(np.isnan(values) | (values < 0), 0, level)


def level_info(level: int, standard: Hj633Standard | None = None) -> Hj633Level:
    """Return the category, colour and advice of one AQI level.

    Parameters
    ----------
    level : int
        AQI level, 1–6.
    standard : Hj633Standard, optional
        Edition whose texts are returned; default HJ 633—2026.

    Returns
    -------
    Hj633Level
        ``category`` (name_zh), ``category_en`` (name_en, a translation), ``hex`` colour,
        ``health_effects`` and ``advice`` verbatim for the edition.

    Raises
    ------
    UnknownStandardError
        If ``level`` is not 1–6.

    References
    ----------
    .. [1] HJ 633—2012 表2, 附录A 表A.1; HJ 633—2026 表1, 附录A 表A.1.

    Examples
    --------
    >>> info = level_info(3, load_hj633("hj633-2012"))
    >>> info.category, info.hex
    ('轻度污染', '#FF7E00')
    """
    std = standard if standard is not None else load_hj633()
    for lvl in std.levels:
        if lvl.level == level:
            return lvl
    raise UnknownStandardError(
        f"AQI level of {std.source.id}", level, [lvl.level for lvl in std.levels]
    )


def level_frame(
    level: npt.ArrayLike | pd.Series, standard: Hj633Standard | None = None
) -> pd.DataFrame:
    """Return the category, colour and advice texts of many AQI levels at once.

    Parameters
    ----------
    level : array_like or pandas.Series
        AQI levels 1–6; 0, NaN or NA (no published AQI) give NA texts.
    standard : Hj633Standard, optional
        Edition whose texts are returned; default HJ 633—2026.

    Returns
    -------
    pandas.DataFrame
        One row per level (the index of ``level`` when it is a Series) with string
        columns ``grade_zh`` (级别), ``name_zh`` (类别), ``name_en`` (translation),
        ``colour_zh``, ``colour_hex``, ``health_effects`` and ``advice``.

    Raises
    ------
    UnknownStandardError
        If a level is not 0–6 (or missing).

    References
    ----------
    .. [1] HJ 633—2012 表2, 附录A 表A.1; HJ 633—2026 表1, 附录A 表A.1.

    Examples
    --------
    >>> level_frame([1, 6])["colour_hex"].tolist()
    ['#00E400', '#7E0023']
    """
    std = standard if standard is not None else load_hj633()
    values = _as_float(level)
    codes = np.where(np.isnan(values), 0, values)
    bad = np.flatnonzero((codes != np.round(codes)) | (codes < 0) | (codes > len(std.levels)))
    if bad.size:
        raise UnknownStandardError(
            f"AQI level (row position {int(bad[0])}) of {std.source.id}",
            values[bad[0]],
            [0, *(lvl.level for lvl in std.levels)],
        )
    index = level.index if isinstance(level, pd.Series) else None
    take = codes.astype(np.int64)
    columns = {}
    for out_name, attr in _LEVEL_FIELDS.items():
        lookup = np.array([None, *(getattr(lvl, attr) for lvl in std.levels)], dtype=object)
        columns[out_name] = pd.array(lookup[take], dtype="string")
    return pd.DataFrame(columns, index=index)
