"""Chinese AQI by HJ 633 (2012 and 2026 editions): IAQI, AQI, level and primary pollutant.

Concentration → IAQI (:func:`iaqi_hj633`) → AQI, level and primary pollutant
(:func:`combine_iaqi`), and the two reports built on them: the daily AQI
(:func:`daily_aqi_hj633`) and the real-time, hourly AQI (:func:`hourly_aqi_hj633`).
Everything is vectorised; a frame that spans 2026-03-01 is computed with HJ 633—2012
before that date and HJ 633—2026 from it, one pass per edition.

The standards are data files with their citation: ``cn_mee_hj633_2012`` [1]_ and
``cn_mee_hj633_2026`` [2]_, loaded by :func:`load_hj633`. Every output row names its
edition and the data file's id (``standard_id``).

Units: µg m⁻³, CO in mg m⁻³ (the glossary's canonical units).

Decisions where the standard is silent (documented in the data files as well):

* IAQI 500 above a column's top breakpoint, unless a footnote rule applies.
* Negative concentrations give NaN (validate before calling).
* HJ 633—2026: the minimum of 1 (§4.1.1 "空气质量指数的范围为 1～500") bounds the AQI,
  not the IAQI (空气质量分指数 is a separate term).
* HJ 633—2012 with a missing indicator: the AQI is computed from the others and the
  row is flagged ``complete = False``.
* HJ 633—2012 real time: the PM IAQI uses the 24-h moving means (``[realtime]
  pm_average``, configuration).
* Tied primary pollutants are joined by ``"+"`` in the order of
  :data:`PRIMARY_POLLUTANT_ORDER`.

References
----------
.. [1] HJ 633—2012 环境空气质量指数（AQI）技术规定（试行）, 表1, §4.2–4.4, §5.1, §6.2.
   https://www.mee.gov.cn/ywgz/fgbz/bz/bzwb/jcffbz/201203/W020120410332725219541.pdf
.. [2] HJ 633—2026 环境空气质量指数（AQI）技术规定, §4.1.1, §4.2.2–4.2.6, 表3, §4.3.1,
   §5.3. https://www.mee.gov.cn/ywgz/fgbz/bz/bzwb/jcffbz/202602/W020260225366493492011.pdf
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasting.errors import InputDataError, UnknownStandardError
from forecasting.standards.aqi_hj633_standard import (
    HJ633_EDITIONS,
    Hj633Edition,
    Hj633Standard,
    edition_for_dates,
    load_hj633,
    pollutant_of,
)
from forecasting.standards.aqi_levels import aqi_level, level_frame, level_info
from forecasting.standards.tables import piecewise_linear_index

__all__ = [
    "HJ633_EDITIONS",
    "PRIMARY_POLLUTANT_ORDER",
    "Hj633Edition",
    "Hj633Standard",
    "aqi_level",
    "combine_iaqi",
    "daily_aqi_hj633",
    "edition_for_dates",
    "hourly_aqi_hj633",
    "iaqi_hj633",
    "level_frame",
    "level_info",
    "load_hj633",
]

PRIMARY_POLLUTANT_ORDER: Final[tuple[str, ...]] = ("pm25", "pm10", "so2", "no2", "co", "o3")
"""Order in which tied primary pollutants are joined by ``"+"`` (an ecocast convention)."""

_SNAP_DECIMALS: Final = 9  # absorbs floating-point error before the ceiling (65.00000000000001)
# Primary-pollutant text for each bit pattern of tied pollutants, in PRIMARY_POLLUTANT_ORDER.
_PRIMARY_NAMES: Final = np.array(
    [
        "+".join(p for j, p in enumerate(PRIMARY_POLLUTANT_ORDER) if code >> j & 1)
        for code in range(1 << len(PRIMARY_POLLUTANT_ORDER))
    ],
    dtype=object,
)
_DAILY_COLUMNS: Final[Mapping[str, str]] = {
    "so2_24h": "so2",
    "no2_24h": "no2",
    "co_24h": "co",
    "pm10_24h": "pm10",
    "pm25_24h": "pm25",
    "o3_8h": "o3_8h_max",
    "o3_1h": "o3_1h_max",
}
_HOURLY_COLUMNS: Final[Mapping[str, str]] = {
    "so2_1h": "so2",
    "no2_1h": "no2",
    "co_1h": "co",
    "o3_1h": "o3",
    "o3_8h": "o3_8h",
    "pm10_1h": "pm10",
    "pm25_1h": "pm25",
    "pm10_24h": "pm10_24h",
    "pm25_24h": "pm25_24h",
    "so2_24h": "so2_24h",
}
_OUTPUT_IAQI: Final = ("so2", "no2", "co", "pm10", "pm25", "o3_8h", "o3_1h")

_FloatArray = npt.NDArray[np.float64]


def _as_float(values: Any, what: str) -> _FloatArray:
    try:
        if isinstance(values, pd.Series | pd.Index):
            return values.to_numpy(dtype=np.float64, na_value=np.nan)
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputDataError(f"{what}: values are not numeric ({exc})") from exc


def _round_concentration(c: _FloatArray, units: str, standard: Hj633Standard) -> _FloatArray:
    method = standard.concentration_rounding
    if method == "none":
        return c
    decimals = standard.concentration_decimals.get(units)
    if decimals is None:
        raise UnknownStandardError(
            f"units for concentration rounding in {standard.source.id}",
            units,
            standard.concentration_decimals,
        )
    scale = 10.0**decimals
    scaled = np.round(c * scale, _SNAP_DECIMALS - 3)  # drop binary noise: 0.15*10 → 1.5
    rounded = np.rint(scaled) if method == "half_even" else np.floor(scaled + 0.5)
    return np.asarray(rounded / scale, dtype=np.float64)


def _prepare(c: Any, table_units: str, standard: Hj633Standard, what: str) -> _FloatArray:
    values = _as_float(c, what)
    values = np.where(values < 0, np.nan, values)
    return _round_concentration(values, table_units, standard)


def iaqi_hj633(
    concentration: npt.ArrayLike | pd.Series,
    indicator: str,
    standard: Hj633Standard | None = None,
) -> _FloatArray:
    """Individual air quality index (IAQI) of one indicator, by HJ 633.

    Parameters
    ----------
    concentration : array_like or pandas.Series
        Concentrations of the indicator [µg m⁻³; CO in mg m⁻³].
    indicator : str
        ``so2_24h, so2_1h, no2_24h, no2_1h, co_24h, co_1h, o3_1h, o3_8h, pm10_24h,
        pm25_24h``; with HJ 633—2026 also ``pm10_1h`` and ``pm25_1h`` (1-h PM indexed
        against the daily breakpoints, §4.2.4).
    standard : Hj633Standard, optional
        The edition; default HJ 633—2026 (``load_hj633()``).

    Returns
    -------
    ndarray of float
        IAQI, rounded up to an integer (100.0 → 100, 100.01 → 101). NaN where the
        concentration is missing or negative. Above a column's top breakpoint: the
        footnote value in 2026 (SO2 1 h > 800 → 200, O3 8 h > 800 → 300); NaN in 2012
        for those two columns, whose footnote needs another indicator (applied by
        :func:`combine_iaqi`, :func:`daily_aqi_hj633`, :func:`hourly_aqi_hj633`); 500 for
        every other column (ecocast decision, the standard is silent).

    Raises
    ------
    UnknownStandardError
        If the edition has no such indicator; the message lists the valid ones.

    Notes
    -----
    HJ 633—2026 first rounds concentrations (§4.2.2–4.2.3, GB/T 8170: µg m⁻³ to an
    integer, CO to 0.1 mg m⁻³; half-even here, configuration). Then
    ``IAQI = (IAQI_Hi − IAQI_Lo)/(BP_Hi − BP_Lo)·(C − BP_Lo) + IAQI_Lo`` (式(1)) and
    the ceiling (2012 §6.2, 2026 §4.2.6), after snapping to 1e-9 so that floating-point
    error cannot add one.

    References
    ----------
    .. [1] HJ 633—2012 §4.2 式(1), 表1, 表1 说明 2–3, §6.2.
    .. [2] HJ 633—2026 §4.2.2–4.2.4 式(1), 表3 and its notes b, c, §4.2.6.

    Examples
    --------
    >>> iaqi_hj633([75.0], "pm25_24h", load_hj633("hj633-2012")).tolist()
    [100.0]
    >>> iaqi_hj633([75.0], "pm25_24h", load_hj633("hj633-2026")).tolist()
    [114.0]
    """
    std = standard if standard is not None else load_hj633()
    table = std.table_for(indicator)
    c = _prepare(concentration, table.units, std, f"concentration of {indicator!r}")
    raw = piecewise_linear_index(c, table)
    out = np.ceil(np.round(raw, _SNAP_DECIMALS))
    rule = std.special_rules.get(table.indicator)
    with np.errstate(invalid="ignore"):
        above_top = c > table.top_concentration
    out = np.where(above_top, std.above_top_iaqi, out)
    if rule is not None:
        with np.errstate(invalid="ignore"):
            beyond = c > rule.above
        value = rule.iaqi if rule.iaqi is not None else np.nan
        out = np.where(beyond, value, out)
    return np.asarray(out, dtype=np.float64)


def _apply_use_indicator_rules(
    iaqi: dict[str, _FloatArray], concentration: Mapping[str, _FloatArray], standard: Hj633Standard
) -> dict[str, _FloatArray]:
    """Apply the 2012 footnotes: report another indicator's IAQI beyond the column."""
    out = dict(iaqi)
    for name, rule in standard.special_rules.items():
        if rule.action != "use_indicator_iaqi" or name not in out or name not in concentration:
            continue
        c = _prepare(concentration[name], standard.tables[name].units, standard, name)
        with np.errstate(invalid="ignore"):
            beyond = c > rule.above
        replacement = out.get(rule.use_indicator or "", np.full(c.shape, np.nan))
        out[name] = np.where(beyond, replacement, out[name])
    return out


def _int64(values: _FloatArray) -> pd.arrays.IntegerArray:
    missing = np.isnan(values)
    return pd.arrays.IntegerArray(np.where(missing, 0, values).astype(np.int64), missing)


def _combine(
    iaqi: Mapping[str, _FloatArray], indicators: Sequence[str], standard: Hj633Standard, n: int
) -> dict[str, Any]:
    """AQI, level, primary pollutant and completeness of rows of IAQIs (one edition)."""
    nan = np.full(n, np.nan)
    by_pollutant = []
    complete = np.ones(n, dtype=bool)
    for pollutant in PRIMARY_POLLUTANT_ORDER:
        values = [iaqi.get(i, nan) for i in indicators if pollutant_of(i) == pollutant]
        for v in values:
            complete &= ~np.isnan(v)
        by_pollutant.append(np.fmax.reduce(values) if values else nan)
    matrix = np.column_stack(by_pollutant)
    with np.errstate(invalid="ignore"):
        top = np.fmax.reduce(matrix, axis=1)
        tied = matrix == top[:, None]
    codes = (tied * (1 << np.arange(len(PRIMARY_POLLUTANT_ORDER)))).sum(axis=1)
    aqi = np.where(np.isnan(top), np.nan, np.maximum(top, standard.min_aqi))
    if standard.missing_rule == "publish_if_above":
        threshold = float(standard.missing_publish_above or 0)
        with np.errstate(invalid="ignore"):
            aqi = np.where(complete | (aqi > threshold), aqi, np.nan)
    with np.errstate(invalid="ignore"):
        primary = np.where(aqi > standard.primary_above, _PRIMARY_NAMES[codes], "")
    primary = primary.astype(object)
    primary[np.isnan(aqi)] = None
    level = aqi_level(aqi, standard).astype(np.float64)
    return {
        "aqi": _int64(aqi),
        "level": _int64(np.where(level == 0, np.nan, level)),
        "primary": pd.array(primary, dtype="string"),
        "complete": complete,
    }


def combine_iaqi(
    iaqi: pd.DataFrame,
    standard: Hj633Standard | None = None,
    *,
    indicators: Sequence[str] | None = None,
    concentrations: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Combine IAQIs into the AQI, its level and the primary pollutant(s).

    Parameters
    ----------
    iaqi : pandas.DataFrame
        One column of IAQI per indicator, named by indicator (``"pm25_24h"``, ``"o3_8h"``
        …, see :func:`iaqi_hj633`) [dimensionless]; NaN/NA = missing.
    standard : Hj633Standard, optional
        The edition; default HJ 633—2026.
    indicators : sequence of str, optional
        Indicators that make up the AQI, e.g. ``standard.daily_indicators``; one missing
        from ``iaqi`` counts as missing on every row. Default: the columns of ``iaqi``.
        Leave out pollutants outside the monitoring plan (HJ 633—2026 §5.3.2).
    concentrations : pandas.DataFrame, optional
        Concentrations by indicator [µg m⁻³; CO mg m⁻³], same index as ``iaqi``. Needed for
        the HJ 633—2012 footnotes: SO2 1 h > 800 → the SO2 24-h IAQI (column ``so2_24h``
        of ``iaqi``, NA without it); O3 8 h > 800 → the O3 1-h IAQI.

    Returns
    -------
    pandas.DataFrame
        Same index; ``aqi`` (Int64), ``level`` (Int64, 1–6), ``primary`` (string: the
        pollutants with the highest IAQI, joined by ``"+"`` in
        :data:`PRIMARY_POLLUTANT_ORDER`, ``"o3"`` once for both O3 indicators; ``""`` when
        AQI ≤ 50) and ``complete`` (bool: every indicator present). HJ 633—2026 §5.3.1:
        an incomplete row keeps its AQI only if it is > 100, else ``aqi``, ``level`` and
        ``primary`` are NA. HJ 633—2012: the AQI of the available indicators is kept.

    Raises
    ------
    UnknownStandardError
        If a column or indicator is not an indicator of the edition.

    References
    ----------
    .. [1] HJ 633—2012 §4.4 式(2), §3.3, 表1 说明 2–3; HJ 633—2026 式(2), §4.1.1, §4.3.1, §5.3.

    Examples
    --------
    >>> iaqi = pd.DataFrame({"pm25_24h": [114.0], "pm10_24h": [114.0], "o3_8h": [30.0]})
    >>> combine_iaqi(iaqi)["primary"].tolist()
    ['pm25+pm10']
    """
    std = standard if standard is not None else load_hj633()
    names = list(iaqi.columns) if indicators is None else list(indicators)
    for name in [*iaqi.columns, *names]:
        if str(name) not in std.indicators:
            raise UnknownStandardError(f"indicator of {std.source.id}", name, std.indicators)
    values = {str(c): _as_float(iaqi[c], f"iaqi column {c!r}") for c in iaqi.columns}
    if concentrations is not None:
        conc = {str(c): _as_float(concentrations[c], str(c)) for c in concentrations.columns}
        values = _apply_use_indicator_rules(values, conc, std)
    return pd.DataFrame(_combine(values, names, std, len(iaqi)), index=iaqi.index)


def _editions(dates: pd.Series, edition: str | None) -> npt.NDArray[np.str_]:
    if edition is None:
        return edition_for_dates(dates)
    load_hj633(edition)  # raises UnknownStandardError for a bad edition
    return np.full(len(dates), edition)


def _require(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputDataError(
            f"{what}: missing column(s) {missing}; the frame has {list(map(str, frame.columns))}"
        )


def _report(
    frame: pd.DataFrame,
    editions: npt.NDArray[np.str_],
    key_columns: Sequence[str],
    column_of: Mapping[str, str],
    realtime: bool,
) -> pd.DataFrame:
    """Shared body of the daily and real-time reports: one vectorised pass per edition."""
    n = len(frame)
    out: dict[str, Any] = {c: frame[c].array for c in key_columns}
    results = {k: np.full(n, np.nan) for k in ("aqi", "level", *_OUTPUT_IAQI)}
    primary = np.full(n, None, dtype=object)
    complete = np.zeros(n, dtype=bool)
    standard_id = np.full(n, "", dtype=object)
    for edition in sorted(set(editions.tolist())):
        std = load_hj633(edition)
        rows = editions == edition
        wanted = std.realtime_aqi_indicators if realtime else std.daily_indicators
        helpers = [r.use_indicator for r in std.special_rules.values() if r.use_indicator]
        extra = [h for h in helpers if h not in wanted and column_of[h] in frame.columns]
        kind = "hourly" if realtime else "daily"
        _require(frame, [column_of[i] for i in wanted], f"{kind} frame, rows of {edition}")
        conc = {
            i: _as_float(frame[column_of[i]], f"{kind} frame, column {column_of[i]!r}")[rows]
            for i in [*wanted, *extra]
        }
        iaqi = {i: iaqi_hj633(c, i, std) for i, c in conc.items()}
        iaqi = _apply_use_indicator_rules(iaqi, conc, std)
        res = _combine(iaqi, wanted, std, int(rows.sum()))
        results["aqi"][rows] = res["aqi"].to_numpy(dtype=np.float64, na_value=np.nan)
        results["level"][rows] = res["level"].to_numpy(dtype=np.float64, na_value=np.nan)
        primary[rows] = res["primary"].to_numpy(dtype=object, na_value=None)
        complete[rows] = res["complete"]
        standard_id[rows] = std.source.id
        for name in wanted:
            pollutant = pollutant_of(name)
            key = name if pollutant == "o3" else pollutant
            results[key][rows] = iaqi[name]
    out["aqi"] = _int64(results["aqi"])
    out["level"] = _int64(results["level"])
    out["primary"] = pd.array(primary, dtype="string")
    out["edition"] = pd.array(editions.astype(object), dtype="string")
    out["standard_id"] = pd.array(standard_id, dtype="string")
    out["complete"] = complete
    for key in _OUTPUT_IAQI:
        out[f"iaqi_{key}"] = _int64(results[key])
    return pd.DataFrame(out, index=frame.index)


def daily_aqi_hj633(daily: pd.DataFrame, edition: Hj633Edition | None = None) -> pd.DataFrame:
    """Daily AQI (日报) per station-day, by HJ 633.

    Parameters
    ----------
    daily : pandas.DataFrame
        Columns ``station``, ``date`` (local date: datetime64 or python date) and the
        24-h means ``pm25``, ``pm10``, ``so2``, ``no2`` [µg m⁻³], ``co`` [mg m⁻³], the daily
        maximum 8-h moving mean ``o3_8h_max`` [µg m⁻³] and, for rows under HJ 633—2012, the
        daily maximum 1-h mean ``o3_1h_max`` [µg m⁻³]. NaN = missing.
    edition : {"hj633-2012", "hj633-2026"}, optional
        Force one edition; default: each row's date chooses (:func:`edition_for_dates`).

    Returns
    -------
    pandas.DataFrame
        One row per input row, same index: ``station``, ``date``, ``aqi``, ``level``,
        ``primary`` (see :func:`combine_iaqi`), ``edition``, ``standard_id``,
        ``complete`` and the IAQIs (Int64) ``iaqi_so2``, ``iaqi_no2``, ``iaqi_co``,
        ``iaqi_pm10``, ``iaqi_pm25``, ``iaqi_o3_8h``, ``iaqi_o3_1h`` (NA under 2026, where
        the O3 1-h mean is not a daily indicator). O3 8 h > 800: 2012 reports the O3 1-h
        IAQI in ``iaqi_o3_8h``; 2026 reports 300.

    Raises
    ------
    InputDataError
        If a needed column is missing, a date is missing or a column is not numeric.
    UnknownStandardError
        For an unknown edition.

    References
    ----------
    .. [1] HJ 633—2012 §5.1, 表1 说明 1 and 3; HJ 633—2026 §4.2.2, §5.2, §5.3, 表3 note c.

    Examples
    --------
    >>> frame = pd.DataFrame({"station": ["A", "A"], "date": ["2026-02-28", "2026-03-01"],
    ...     "pm25": [75.0, 75.0], "pm10": [60.0, 60.0], "so2": [5.0, 5.0], "no2": [30.0, 30.0],
    ...     "co": [0.8, 0.8], "o3_8h_max": [90.0, 90.0], "o3_1h_max": [120.0, 120.0]})
    >>> daily_aqi_hj633(frame)[["aqi", "primary", "edition"]].values.tolist()
    [[100, 'pm25', 'hj633-2012'], [114, 'pm25', 'hj633-2026']]
    """
    _require(daily, ("station", "date"), "daily frame")
    editions = _editions(daily["date"], edition)
    return _report(daily, editions, ("station", "date"), _DAILY_COLUMNS, realtime=False)


def _local_times(time: pd.Series) -> pd.Series:
    if not isinstance(time.dtype, pd.DatetimeTZDtype):
        try:
            time = pd.to_datetime(time)
        except (ValueError, TypeError) as exc:
            raise InputDataError(f"hourly frame, column 'time': not timestamps ({exc})") from exc
    if not isinstance(time.dtype, pd.DatetimeTZDtype):
        raise InputDataError(
            f"hourly frame, column 'time': timestamps must be tz-aware (got {time.dtype}); "
            "localise them, e.g. time.dt.tz_localize('Asia/Shanghai')"
        )
    return time


def hourly_aqi_hj633(hourly: pd.DataFrame, edition: Hj633Edition | None = None) -> pd.DataFrame:
    """Real-time AQI (实时报) per station-hour, by HJ 633.

    Parameters
    ----------
    hourly : pandas.DataFrame
        Columns ``station``, ``time`` (tz-aware; the edition follows the local date in
        the timestamps' own zone), the 1-h means ``pm25``, ``pm10``, ``so2``, ``no2``,
        ``o3`` [µg m⁻³] and ``co`` [mg m⁻³]; for rows under HJ 633—2012 also ``o3_8h``
        (8-h moving mean), ``pm25_24h`` and ``pm10_24h`` (24-h moving means) [µg m⁻³], and
        optionally ``so2_24h`` (24-h moving mean) [µg m⁻³]. NaN = missing.
    edition : {"hj633-2012", "hj633-2026"}, optional
        Force one edition; default: the local date of each row's ``time`` chooses.

    Returns
    -------
    pandas.DataFrame
        One row per input row, same index: ``station``, ``time``, ``aqi``, ``level``,
        ``primary`` (see :func:`combine_iaqi`), ``edition``, ``standard_id``,
        ``complete``, ``iaqi_so2``, ``iaqi_no2``, ``iaqi_co``, ``iaqi_pm10``,
        ``iaqi_pm25``, ``iaqi_o3_1h``, ``iaqi_o3_8h`` (Int64; NA where not an indicator
        of the edition). ``iaqi_pm10``/``iaqi_pm25`` come from the 24-h moving means under
        2012 (``[realtime] pm_average = "24h"``, configuration) and from the 1-h means
        against the daily breakpoints under 2026 (§4.2.4). SO2 1 h > 800: 2012 reports
        the IAQI of ``so2_24h`` (NA without that column, 表1 说明 2); 2026 reports 200.

    Raises
    ------
    InputDataError
        If a needed column is missing, ``time`` is not tz-aware or a column is not
        numeric.
    UnknownStandardError
        For an unknown edition.

    References
    ----------
    .. [1] HJ 633—2012 §5.1, 表1 说明 1–3; HJ 633—2026 §4.2.3, §4.2.4, §5.2, 表3 notes a, b.

    Examples
    --------
    >>> frame = pd.DataFrame({"station": ["A"], "time": [pd.Timestamp("2026-03-01 08:00+08:00")],
    ...     "pm25": [75.0], "pm10": [60.0], "so2": [900.0], "no2": [30.0], "co": [0.8],
    ...     "o3": [100.0]})
    >>> hourly_aqi_hj633(frame)[["aqi", "primary", "iaqi_pm25", "iaqi_so2"]].values.tolist()
    [[200, 'so2', 114, 200]]
    """
    _require(hourly, ("station", "time"), "hourly frame")
    time = _local_times(hourly["time"])
    editions = _editions(time, edition)
    frame = hourly.assign(time=time)
    return _report(frame, editions, ("station", "time"), _HOURLY_COLUMNS, realtime=True)
