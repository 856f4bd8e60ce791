"""US EPA Air Quality Index (EPA-454/B-24-002, May 2024): sub-indices, categories, daily AQI.

The breakpoints, truncation rules, categories, colours and footnote rules live in
``forecasting/standards/data/us_epa_aqi_2024.toml`` (standard id ``us_epa_aqi_2024``);
:func:`load_us_epa_aqi` reads and validates it into a :class:`UsEpaAqiStandard`, and every
function takes that object as its ``table`` argument (loaded by default).

Calculation (TAD section IV [1]_):

1. Truncate the concentration (O3 to 0.001 ppm, PM2.5 to 0.1 µg m⁻³, PM10 to 1 µg m⁻³, CO
   to 0.1 ppm, SO2 and NO2 to 1 ppb).
2. Equation 1: ``I = (I_hi − I_lo)/(BP_hi − BP_lo) · (C − BP_lo) + I_lo``.
3. Round to the nearest integer. The TAD says "round"; ecocast rounds halves up
   (``floor(I + 0.5)``), so 50.5 → 51.
4. Above the AQI-500 concentration, extrapolate Equation 1 with the 301–500 segment
   (footnote 4).

Footnote rules and ecocast's documented choices where the TAD is silent:

* 8-h O3 above 0.200 ppm has no index (footnote 2); 1-h O3 below 0.125 ppm has none
  (Table 6 prints "–"). The O3 index is the higher of the two where both exist
  (footnote 1), else the one that exists. If 8-h O3 > 0.200 ppm and the 1-h value is
  missing, the O3 index is undefined (NaN): the TAD gives no value to report.
* 1-h SO2 indexes AQI 0–200 only, 24-h SO2 indexes AQI 201–500 only (≥ 305 ppb), per
  footnote 3. If the 1-h SO2 is ≥ 305 ppb and the 24-h SO2 is below 305 ppb, the 1-h
  index is fixed at 200 (footnote 3 special rule). ecocast applies the same 200 when the
  24-h value is missing, since 24-h SO2 ≥ 305 ppb could only raise it: 200 is then a
  lower bound and is reported as such.
* The daily ``primary`` column names every pollutant whose index equals the AQI, joined
  by ``+`` in the order pm25, pm10, o3, co, so2, no2, and is empty when AQI ≤ 50. This
  matches ecocast's China output (HJ 633 首要污染物); the TAD itself reports the main
  pollutant at any AQI.

The PM NowCast (real-time PM) is in :mod:`forecasting.standards.nowcast_us_epa`.

References
----------
.. [1] U.S. EPA, "Technical Assistance Document for the Reporting of Daily Air Quality -
   the Air Quality Index (AQI)", EPA-454/B-24-002, May 2024: section IV (pp. 13–16),
   Table 6 "Breakpoints for the AQI" and footnotes 1–4 (p. 14), Tables 1–2 (pp. 3–4).
   https://document.airnow.gov/technical-assistance-document-for-the-reporting-of-daily-air-quailty.pdf
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from forecasting.errors import InputDataError
from forecasting.standards.aqi_us_epa_table import (
    US_EPA_INDICATORS,
    US_EPA_POLLUTANTS,
    UsEpaAqiStandard,
    UsEpaCategory,
    UsEpaIndicator,
    UsEpaIndicatorName,
    UsEpaNowCastRule,
    load_us_epa_aqi,
)
from forecasting.standards.tables import piecewise_linear_index
from forecasting.standards.units import ReferenceState, convert_units

__all__ = [
    "DAILY_INPUT_COLUMNS",
    "US_EPA_INDICATORS",
    "US_EPA_POLLUTANTS",
    "UsEpaAqiStandard",
    "UsEpaCategory",
    "UsEpaIndicator",
    "UsEpaIndicatorName",
    "UsEpaNowCastRule",
    "aqi_us_epa",
    "aqi_us_epa_o3",
    "aqi_us_epa_so2",
    "daily_aqi_us_epa",
    "load_us_epa_aqi",
    "truncate_us_epa",
    "us_epa_category",
]

DAILY_INPUT_COLUMNS: Final = MappingProxyType(
    {  # input column: (indicator, canonical ecocast unit of the column)
        "pm25": ("pm25_24h", "ug/m3"),
        "pm10": ("pm10_24h", "ug/m3"),
        "o3_8h_max": ("o3_8h", "ug/m3"),
        "o3_1h_max": ("o3_1h", "ug/m3"),
        "co_8h_max": ("co_8h", "mg/m3"),
        "so2_1h_max": ("so2_1h", "ug/m3"),
        "so2": ("so2_24h", "ug/m3"),
        "no2_1h_max": ("no2_1h", "ug/m3"),
    }
)
"""Columns of the daily frame read by :func:`daily_aqi_us_epa`, with indicator and units."""


def truncate_us_epa(concentration: npt.ArrayLike, decimals: int) -> npt.NDArray[np.float64]:
    """Truncate concentrations to ``decimals`` decimals, as section IV prescribes.

    Parameters
    ----------
    concentration : array_like
        Non-negative concentrations [units of the indicator].
    decimals : int
        Decimals to keep (0 for integers).

    Returns
    -------
    ndarray of float
        ``floor(C · 10^d) / 10^d``. A value within 5·10⁻⁷ of the next step (in units of
        the last kept decimal) counts as on it, so that binary rounding after a unit
        conversion (0.069999999… ppm) does not drop a step.

    References
    ----------
    .. [1] EPA-454/B-24-002 (May 2024), section IV, p. 13.
    """
    scale = 10.0**decimals
    scaled = np.round(np.asarray(concentration, dtype=np.float64) * scale, 6)
    return np.floor(scaled) / scale


def _round_half_up(index: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    # Round to 9 decimals first so that a computed x.4999999999 that is x.5 exactly in
    # decimal arithmetic rounds up as the TAD's hand calculation would.
    return np.floor(np.round(index, 9) + 0.5)


def _as_concentrations(values: npt.ArrayLike, where: str) -> npt.NDArray[np.float64]:
    try:
        if isinstance(values, (pd.Series, pd.Index)):
            values = values.to_numpy(dtype=np.float64, na_value=np.nan)
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputDataError(f"{where}: concentrations are not numeric ({exc})") from exc
    bad = ~np.isnan(arr) & ~(np.isfinite(arr) & (arr >= 0))
    if bad.any():
        pos = int(np.flatnonzero(bad.ravel())[0])
        raise InputDataError(
            f"{where}: value {float(arr.ravel()[pos])!r} at position {pos} is negative or "
            "infinite; concentrations must be finite and >= 0 (NaN marks a missing value)"
        )
    return arr


def _index(truncated: npt.NDArray[np.float64], ind: UsEpaIndicator) -> npt.NDArray[np.float64]:
    """Unrounded Equation 1 on truncated values, with footnote-4 extrapolation."""
    out = piecewise_linear_index(truncated, ind.table)
    if ind.extrapolate:
        t = ind.table
        slope = (t.index_hi[-1] - t.index_lo[-1]) / (t.conc_hi[-1] - t.conc_lo[-1])
        above = truncated > t.conc_hi[-1]
        out = np.where(above, slope * (truncated - t.conc_lo[-1]) + t.index_lo[-1], out)
    return out


def _iaqi(concentration: npt.ArrayLike, ind: UsEpaIndicator) -> npt.NDArray[np.float64]:
    c = _as_concentrations(concentration, f"indicator {ind.name!r} [{ind.table.units}]")
    return _round_half_up(_index(truncate_us_epa(c, ind.truncate_decimals), ind))


def aqi_us_epa(
    concentration: npt.ArrayLike,
    indicator: UsEpaIndicatorName,
    table: UsEpaAqiStandard | None = None,
) -> npt.NDArray[np.float64]:
    """Compute the AQI sub-index of one indicator (truncate, Equation 1, round).

    Parameters
    ----------
    concentration : array_like
        Concentrations in the units of Table 6: ``o3_8h``, ``o3_1h`` [ppm];
        ``pm25_24h``, ``pm10_24h`` [µg m⁻³]; ``co_8h`` [ppm]; ``so2_1h``, ``so2_24h``,
        ``no2_1h`` [ppb]. NaN marks a missing value.
    indicator : str
        One of :data:`US_EPA_INDICATORS`.
    table : UsEpaAqiStandard, optional
        The loaded standard; default :func:`load_us_epa_aqi` ``()``.

    Returns
    -------
    ndarray of float
        Integer-valued index; NaN where the concentration is missing or the indicator
        has no breakpoints (8-h O3 > 0.200 ppm, 1-h O3 < 0.125 ppm, 1-h SO2 ≥ 305 ppb,
        24-h SO2 < 305 ppb). Above the AQI-500 concentration the 301–500 segment is
        extrapolated. Apply the O3 and SO2 footnotes with :func:`aqi_us_epa_o3` and
        :func:`aqi_us_epa_so2`.

    Raises
    ------
    UnknownStandardError
        If the indicator is unknown (the message lists the valid ones).
    InputDataError
        If a concentration is negative, infinite or not numeric.

    Notes
    -----
    Equation 1: ``I_p = (I_Hi − I_Lo)/(BP_Hi − BP_Lo) · (C_p − BP_Lo) + I_Lo`` on the
    truncated concentration ``C_p``; halves round up.

    References
    ----------
    .. [1] EPA-454/B-24-002 (May 2024), section IV and Table 6 with footnote 4, p. 14.

    Examples
    --------
    >>> aqi_us_epa([9.0, 9.05, 9.1, 35.9], "pm25_24h").tolist()
    [50.0, 50.0, 51.0, 102.0]
    """
    std = table if table is not None else load_us_epa_aqi()
    ind = std.indicator(indicator)
    return _iaqi(concentration, ind)


def aqi_us_epa_o3(
    o3_8h: npt.ArrayLike, o3_1h: npt.ArrayLike, table: UsEpaAqiStandard | None = None
) -> npt.NDArray[np.float64]:
    """Compute the O3 index from 8-h and 1-h O3 (Table 6 footnotes 1 and 2).

    Parameters
    ----------
    o3_8h : array_like
        Daily maximum 8-h mean O3 [ppm]; NaN if missing.
    o3_1h : array_like
        Daily maximum 1-h O3 [ppm]; NaN if missing.
    table : UsEpaAqiStandard, optional
        The loaded standard; default :func:`load_us_epa_aqi` ``()``.

    Returns
    -------
    ndarray of float
        The higher of the two indices where both are defined, else the defined one;
        NaN where neither is (e.g. 8-h O3 > 0.200 ppm with no 1-h value).

    References
    ----------
    .. [1] EPA-454/B-24-002 (May 2024), Table 6 footnotes 1 and 2, p. 14.
    """
    std = table if table is not None else load_us_epa_aqi()
    return np.fmax(aqi_us_epa(o3_8h, "o3_8h", std), aqi_us_epa(o3_1h, "o3_1h", std))


def _so2_indices(
    so2_1h: npt.ArrayLike, so2_24h: npt.ArrayLike, std: UsEpaAqiStandard
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Return the 1-h and 24-h SO2 indices after the footnote-3 rule."""
    ind_1h = std.indicator("so2_1h")
    c_1h = _as_concentrations(so2_1h, "indicator 'so2_1h' [ppb]")
    i_1h = aqi_us_epa(c_1h, "so2_1h", std)
    i_24h = aqi_us_epa(so2_24h, "so2_24h", std)
    high_1h = truncate_us_epa(c_1h, ind_1h.truncate_decimals) >= std.so2_threshold_ppb
    i_1h = np.where(high_1h & np.isnan(i_24h), std.so2_fixed_index, i_1h)
    return i_1h, i_24h


def aqi_us_epa_so2(
    so2_1h: npt.ArrayLike, so2_24h: npt.ArrayLike, table: UsEpaAqiStandard | None = None
) -> npt.NDArray[np.float64]:
    """Compute the SO2 index from 1-h and 24-h SO2 (Table 6 footnote 3).

    Parameters
    ----------
    so2_1h : array_like
        Daily maximum 1-h SO2 [ppb]; NaN if missing.
    so2_24h : array_like
        24-h mean SO2 [ppb]; NaN if missing.
    table : UsEpaAqiStandard, optional
        The loaded standard; default :func:`load_us_epa_aqi` ``()``.

    Returns
    -------
    ndarray of float
        1-h index below 305 ppb (AQI ≤ 200); 24-h index where the 24-h mean is ≥ 305 ppb
        (AQI ≥ 201); 200 where the 1-h value is ≥ 305 ppb and the 24-h mean is below
        305 ppb or missing (footnote 3 special rule; "missing" is ecocast's choice).

    References
    ----------
    .. [1] EPA-454/B-24-002 (May 2024), Table 6 footnote 3, p. 14, and section IV,
       "Calculating AQI values for SO2", p. 15.
    """
    std = table if table is not None else load_us_epa_aqi()
    i_1h, i_24h = _so2_indices(so2_1h, so2_24h, std)
    return np.fmax(i_1h, i_24h)


def us_epa_category(aqi: npt.ArrayLike, table: UsEpaAqiStandard | None = None) -> pd.DataFrame:
    """Return the category, descriptor and colour of AQI values (Tables 1 and 2).

    Parameters
    ----------
    aqi : array_like
        Reported (rounded) AQI values ≥ 0; NaN if missing. A value falls in the category
        with the highest lower bound not above it; values above 500 are Hazardous.
    table : UsEpaAqiStandard, optional
        The loaded standard; default :func:`load_us_epa_aqi` ``()``.

    Returns
    -------
    pandas.DataFrame
        Columns ``category`` (Int64, 1–6), ``descriptor``, ``colour`` and ``hex``;
        missing where ``aqi`` is NaN.

    Raises
    ------
    InputDataError
        If an AQI value is negative, infinite or not numeric.

    References
    ----------
    .. [1] EPA-454/B-24-002 (May 2024), Table 1 (p. 3) and Table 2 (p. 4).

    Examples
    --------
    >>> us_epa_category([50, 51, 301])["descriptor"].tolist()
    ['Good', 'Moderate', 'Hazardous']
    """
    std = table if table is not None else load_us_epa_aqi()
    a = _as_concentrations(aqi, "AQI values").ravel()
    cats = std.categories
    lows = np.array([c.index_lo for c in cats], dtype=np.float64)
    pos = np.clip(np.searchsorted(lows, a, side="right") - 1, 0, len(cats) - 1)
    missing = np.isnan(a)

    def pick(values: list[str]) -> npt.NDArray[np.object_]:
        out: npt.NDArray[np.object_] = np.asarray(values, dtype=object)[pos]
        out[missing] = None
        return out

    return pd.DataFrame(
        {
            "category": _int64(np.where(missing, np.nan, pos + 1.0)),
            "descriptor": pick([c.descriptor for c in cats]),
            "colour": pick([c.colour for c in cats]),
            "hex": pick([c.hex for c in cats]),
        }
    )


def _daily_column(frame: pd.DataFrame, column: str) -> npt.NDArray[np.float64]:
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    col = frame[column]
    values = pd.to_numeric(col, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = (np.isnan(values) & col.notna().to_numpy()) | ~(np.isnan(values) | (values >= 0))
    bad |= np.isinf(values)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InputDataError(
            f"daily frame, column {column!r}, row {frame.index[k : k + 1].tolist()[0]!r}: "
            f"value {col.iloc[k]!r} "
            "is not a finite concentration >= 0 (NaN marks a missing value)"
        )
    return values


def _primary(
    pollutant_index: npt.NDArray[np.float64], aqi: npt.NDArray[np.float64]
) -> npt.NDArray[np.object_]:
    """Join the pollutants whose index equals the AQI (a bit-mask lookup, no row loop)."""
    names = US_EPA_POLLUTANTS
    lookup = np.array(
        [
            "+".join(p for i, p in enumerate(names) if code >> i & 1)
            for code in range(2 ** len(names))
        ],
        dtype=object,
    )
    with np.errstate(invalid="ignore"):
        is_max = pollutant_index == aqi[:, None]
    codes = is_max.astype(np.int64) @ (1 << np.arange(len(names), dtype=np.int64))
    out: npt.NDArray[np.object_] = lookup[codes]
    out[aqi <= 50] = ""
    out[np.isnan(aqi)] = None
    return out


def _int64(values: npt.NDArray[np.float64]) -> pd.arrays.IntegerArray:
    """Integer-valued floats (NaN = missing) as a nullable Int64 array."""
    missing = np.isnan(values)
    return pd.arrays.IntegerArray(np.where(missing, 0, values).astype(np.int64), missing)


def daily_aqi_us_epa(
    daily: pd.DataFrame,
    reference_state: ReferenceState | None = None,
    table: UsEpaAqiStandard | None = None,
) -> pd.DataFrame:
    """Compute the daily US EPA AQI of station-days given in ecocast's canonical units.

    Parameters
    ----------
    daily : pandas.DataFrame
        One row per station and day with columns ``station``, ``date`` and any of
        ``pm25`` (24-h mean) [µg m⁻³], ``pm10`` (24-h mean) [µg m⁻³], ``o3_8h_max``
        [µg m⁻³], ``o3_1h_max`` [µg m⁻³], ``co_8h_max`` [mg m⁻³], ``so2_1h_max``
        [µg m⁻³], ``so2`` (24-h mean) [µg m⁻³], ``no2_1h_max`` [µg m⁻³]. Absent columns
        and NaN values are missing data.
    reference_state : ReferenceState, optional
        State at which the gas mass concentrations are expressed, used to convert them to
        ppm/ppb; default the standard's (298.15 K, 1013.25 hPa).
    table : UsEpaAqiStandard, optional
        The loaded standard; default :func:`load_us_epa_aqi` ``()``.

    Returns
    -------
    pandas.DataFrame
        Same index as ``daily``; columns ``station``, ``date``, ``aqi`` (Int64),
        ``category`` (Int64, 1–6), ``descriptor``, ``primary`` (pollutants joined by
        ``+``; empty when AQI ≤ 50), ``scheme`` (``"us-epa-2024"``) and one Int64 column
        ``iaqi_<indicator>`` per indicator, after the footnote rules (``iaqi_so2_1h`` is
        200 under the footnote-3 rule). ``attrs["standard_id"]`` names the data file and
        ``attrs["reference_state"]`` the conversion state.

    Raises
    ------
    InputDataError
        If ``station`` or ``date`` is missing, or a value is non-numeric, negative or
        infinite (the message names column and row).

    References
    ----------
    .. [1] EPA-454/B-24-002 (May 2024), section IV and Table 6 with footnotes 1–4.
    """
    std = table if table is not None else load_us_epa_aqi()
    state = reference_state if reference_state is not None else std.reference_state
    missing = [c for c in ("station", "date") if c not in daily.columns]
    if missing:
        raise InputDataError(f"daily frame lacks column(s) {missing}; it has {list(daily.columns)}")
    conc: dict[str, npt.NDArray[np.float64]] = {}
    for column, (name, unit) in DAILY_INPUT_COLUMNS.items():
        ind = std.indicator(name)
        conc[name] = convert_units(
            _daily_column(daily, column), unit, ind.table.units, ind.pollutant,
            reference_state=state,
        )  # fmt: skip
    iaqi = {name: _iaqi(conc[name], std.indicator(name)) for name in conc}
    iaqi["so2_1h"], iaqi["so2_24h"] = _so2_indices(conc["so2_1h"], conc["so2_24h"], std)
    by_pollutant = np.full((len(daily), len(US_EPA_POLLUTANTS)), np.nan)
    for name, values in iaqi.items():
        k = US_EPA_POLLUTANTS.index(std.indicator(name).pollutant)
        by_pollutant[:, k] = np.fmax(by_pollutant[:, k], values)
    aqi = np.fmax.reduce(by_pollutant, axis=1)
    cats = us_epa_category(aqi, std)
    out = pd.DataFrame(
        {
            "station": daily["station"].array,
            "date": daily["date"].array,
            "aqi": _int64(aqi),
            "category": cats["category"].array,
            "descriptor": cats["descriptor"].to_numpy(),
            "primary": _primary(by_pollutant, aqi),
            "scheme": std.scheme,
            **{f"iaqi_{n}": _int64(v) for n, v in iaqi.items()},
        },
        index=daily.index,
    )
    out.attrs["standard_id"] = std.source.id
    out.attrs["reference_state"] = state.name
    return out
