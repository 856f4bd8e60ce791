"""Calendar features: local time, Chinese public holidays, Spring Festival, heating season.

One feature family (prefix ``cal_``) of the model matrix: for every valid time it gives
the local hour, weekday, month and day of year (also as cyclic encodings), the official
Chinese public holidays and make-up working days (调休), the signed distance to Chinese
New Year's day, the fireworks nights of the Spring Festival and the regulated
central-heating season of the station's city.

Leakage
-------
Calendar features are known in advance and cannot leak: they depend only on the valid
time, the station's time zone and its city, never on observations. The State Council
publishes each year's holiday schedule about a month before the year starts, the lunar
calendar is computed, and the heating seasons used here are the regulated ones fixed by
municipal regulation (early starts decided from the weather are deliberately left out).
:func:`calendar_features` therefore takes no issue time.

Sources
-------
* Official holidays and make-up working days: the ``chinese-calendar`` package [1]_
  (transcribed from the General Office of the State Council's notices); years it does
  not cover give NaN and ``cal_holiday_available = False``.
* Chinese New Year's day: the China calendar of the ``holidays`` package [2]_.
* Heating seasons: ``features/data/heating_seasons.toml`` (configuration with its
  citation; only Beijing's dates are sourced, see its ``[source]`` block).
* Fireworks nights: the Spring Festival fireworks peaks in Beijing's PM2.5 [3]_ [4]_.

References
----------
.. [1] LKI, "chinese-calendar: 判断一天是不是法定节假日/法定工作日",
   https://github.com/LKI/chinese-calendar (``chinese_calendar.holidays``,
   ``chinese_calendar.workdays``).
.. [2] Vacanza team, "holidays", ``holidays.China`` (Chinese New Year (Spring Festival)),
   https://github.com/vacanza/holidays.
.. [3] B. Foreback et al., "Measurement report: A multi-year study on the impacts of
   Chinese New Year celebrations on air quality in Beijing, China", Atmos. Chem. Phys.
   22, 11089-11104, 2022, https://doi.org/10.5194/acp-22-11089-2022.
.. [4] Beijing fireworks were allowed "from the eve of Spring Festival to Lantern
   Festival"; Lantern Festival PM2.5 peak at 22:00, ecns.cn 2015-03-06,
   http://ecns.cn/2015/03-06/157030.shtml.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import cache
from importlib.metadata import version
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar
import numpy as np
import numpy.typing as npt
import pandas as pd
from holidays.countries.china import China

from features.heating_seasons import HeatingSeasonTable, heating_season, read_heating_seasons
from forecasting.errors import InputDataError

__all__ = [
    "CALENDAR_COLUMNS",
    "DEFAULT_TIMEZONE",
    "FIREWORKS_EVENINGS",
    "FIREWORKS_HOURS",
    "HOLIDAY_NAME_CODES",
    "calendar_features",
]

#: Time zone for rows whose ``timezone`` entry is missing (the stations store's default).
DEFAULT_TIMEZONE = "Asia/Shanghai"

#: ``cal_holiday_name`` codes by ``chinese_calendar.Holiday`` name; 0 = no official
#: holiday; a name the package adds later gets ``_OTHER_HOLIDAY``. Codes are stable.
HOLIDAY_NAME_CODES: Mapping[str, int] = MappingProxyType(
    {
        chinese_calendar.Holiday.new_years_day.value: 1,
        chinese_calendar.Holiday.spring_festival.value: 2,
        chinese_calendar.Holiday.tomb_sweeping_day.value: 3,
        chinese_calendar.Holiday.labour_day.value: 4,
        chinese_calendar.Holiday.dragon_boat_festival.value: 5,
        chinese_calendar.Holiday.national_day.value: 6,
        chinese_calendar.Holiday.mid_autumn_festival.value: 7,
        chinese_calendar.Holiday.anti_fascist_70th_day.value: 8,
    }
)
_OTHER_HOLIDAY = 9

#: Evenings with fireworks, as days after Chinese New Year's day: 除夕 (-1), the first
#: day of the new year (0) and 元宵, the 15th of the first lunar month (+14).
FIREWORKS_EVENINGS: tuple[int, ...] = (-1, 0, 14)
#: A fireworks night runs from this hour on the evening to the second hour, exclusive,
#: on the next morning (local time): 18:00 <= t < 06:00.
FIREWORKS_HOURS: tuple[int, int] = (18, 6)

#: Output columns and their dtypes, in order.
CALENDAR_COLUMNS: Mapping[str, str] = MappingProxyType(
    {
        "cal_hour": "int8",
        "cal_dow": "int8",
        "cal_month": "int8",
        "cal_doy": "int16",
        "cal_hour_sin": "float32",
        "cal_hour_cos": "float32",
        "cal_doy_sin": "float32",
        "cal_doy_cos": "float32",
        "cal_is_weekend": "bool",
        "cal_holiday_available": "bool",
        "cal_is_holiday": "float32",
        "cal_is_workday": "float32",
        "cal_holiday_name": "float32",
        "cal_lunar_available": "bool",
        "cal_days_to_spring_festival": "float32",
        "cal_fireworks_night": "float32",
        "cal_heating_available": "bool",
        "cal_heating_season": "float32",
    }
)

_CNY_NAME = "Spring Festival"  # in holidays.China's "Chinese New Year (Spring Festival)"
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_PER_SECOND = MappingProxyType({"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000})

Int64Array = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


def calendar_features(
    valid_at: pd.Series | pd.DatetimeIndex,
    timezone: str | pd.Series,
    city: str | pd.Series | None = None,
    *,
    heating_seasons: HeatingSeasonTable | None = None,
) -> pd.DataFrame:
    """Calendar features of each valid time in the station's local time.

    Parameters
    ----------
    valid_at : pandas.Series or pandas.DatetimeIndex
        Valid times, timezone-aware (UTC inside ecocast; any zone is accepted).
    timezone : str or pandas.Series
        IANA time zone of the station, one for all rows or one per row (a Series with
        the index of ``valid_at``, or in its order when ``valid_at`` is an index);
        missing entries mean :data:`DEFAULT_TIMEZONE`.
    city : str or pandas.Series or None
        City of the station, one for all rows or one per row (as ``timezone``); matched
        against ``heating_seasons`` case-insensitively. None or an unlisted city gives
        ``cal_heating_season = NaN`` and ``cal_heating_available = False``.
    heating_seasons : HeatingSeasonTable, optional
        Heating-season table; default :func:`~features.heating_seasons.read_heating_seasons`.

    Returns
    -------
    pandas.DataFrame
        One row per valid time, with the index of ``valid_at`` when it is a Series and a
        RangeIndex otherwise, and the columns of :data:`CALENDAR_COLUMNS`:

        * ``cal_hour`` local hour 0-23 [h]; ``cal_dow`` 0 = Monday; ``cal_month`` 1-12;
          ``cal_doy`` 1-366; ``cal_hour_sin/cos`` of 2π·hour/24 and ``cal_doy_sin/cos``
          of 2π·(doy − 1)/(days in the year); ``cal_is_weekend`` Saturday or Sunday.
        * ``cal_is_holiday`` 1 on a day off listed in the official holiday schedule (a
          plain weekend is 0), ``cal_is_workday`` 1 on an official working day (make-up
          Saturdays and Sundays included), ``cal_holiday_name`` the
          :data:`HOLIDAY_NAME_CODES` code of that holiday (0 on other days); all NaN
          with ``cal_holiday_available = False`` for years ``chinese-calendar`` lacks.
        * ``cal_days_to_spring_festival`` local date minus the nearest Chinese New
          Year's day [d] (除夕 is −1; ties go to the previous New Year);
          ``cal_fireworks_night`` 1 in the nights of :data:`FIREWORKS_EVENINGS`,
          18:00 ≤ t < 06:00 local; both NaN with ``cal_lunar_available = False`` where
          the New Years around the date are unknown to ``holidays``.
        * ``cal_heating_season`` 1 inside the city's regulated heating season
          (inclusive days), 0 outside it or in a southern city, NaN with
          ``cal_heating_available = False`` for unknown cities.

        ``attrs["sources"]`` names the holiday and lunar libraries and the heating
        table's source id.

    Raises
    ------
    InputDataError
        If ``valid_at`` is not datetime-like, is naive or holds NaT, if a time zone is
        unknown, or if a per-row ``timezone``/``city`` Series does not match
        ``valid_at`` in length or index.

    Notes
    -----
    The per-day features are computed once per distinct local date and broadcast to
    the rows, so a million hourly rows take well under a second.

    References
    ----------
    .. [1] chinese-calendar, https://github.com/LKI/chinese-calendar.
    .. [2] holidays, ``holidays.China``, https://github.com/vacanza/holidays.
    .. [3] B. Foreback et al., Atmos. Chem. Phys. 22, 11089-11104, 2022,
       https://doi.org/10.5194/acp-22-11089-2022.

    Examples
    --------
    >>> t = pd.DatetimeIndex(["2016-02-07T12:00Z"])  # 20:00 on 除夕 in Beijing
    >>> f = calendar_features(t, "Asia/Shanghai", "Beijing")
    >>> f[["cal_hour", "cal_days_to_spring_festival", "cal_fireworks_night"]].iloc[0].tolist()
    [20.0, -1.0, 1.0]
    """
    table = read_heating_seasons() if heating_seasons is None else heating_seasons
    index, utc = _as_utc(valid_at)
    positional = not isinstance(valid_at, pd.Series)
    _check_rows(timezone, "timezone", index, positional)
    _check_rows(city, "city", index, positional)
    wall = _wall_seconds(utc, *_zones(timezone, index))
    day = np.floor_divide(wall, 86_400)
    hour = np.floor_divide(wall, 3_600) % 24
    codes, unique_days = pd.factorize(day, sort=False)
    per_day, offset, month_day = _per_day(np.asarray(unique_days, dtype=np.int64))
    columns: dict[str, npt.NDArray[np.generic]] = {
        name: values[codes] for name, values in per_day.items()
    }
    columns["cal_days_to_spring_festival"] = offset = offset[codes]
    columns["cal_hour"] = hour
    angle = 2.0 * np.pi * hour / 24.0
    columns["cal_hour_sin"] = np.sin(angle)
    columns["cal_hour_cos"] = np.cos(angle)
    columns["cal_fireworks_night"] = _fireworks(offset, hour)
    available, season = heating_season(month_day[codes], city, table)
    columns["cal_heating_available"] = available
    columns["cal_heating_season"] = season
    frame = pd.DataFrame(
        {name: columns[name].astype(dtype) for name, dtype in CALENDAR_COLUMNS.items()},
        index=index,
    )
    frame.attrs["sources"] = {
        "holidays": f"chinese-calendar {version('chinese-calendar')}",
        "lunar_new_year": f"holidays {version('holidays')} (holidays.China)",
        "heating_seasons": table.source.id,
    }
    return frame


def _as_utc(valid_at: pd.Series | pd.DatetimeIndex) -> tuple[pd.Index, pd.DatetimeIndex]:
    """Return the output index and the valid times as a UTC DatetimeIndex."""
    index = valid_at.index if isinstance(valid_at, pd.Series) else pd.RangeIndex(len(valid_at))
    try:
        times = pd.DatetimeIndex(valid_at)
    except (TypeError, ValueError) as exc:
        raise InputDataError(
            f"valid_at: expected timezone-aware timestamps, got dtype {valid_at.dtype}: {exc}"
        ) from exc
    if times.tz is None:
        raise InputDataError(
            "valid_at: timestamps are naive; ecocast needs timezone-aware UTC times "
            "(use .dt.tz_localize('UTC') or .tz_localize('UTC') if they are UTC)"
        )
    missing = np.flatnonzero(times.isna())
    if missing.size:
        labels = list(index[missing[:5]])
        raise InputDataError(
            f"valid_at: {missing.size} missing timestamp(s) (NaT) at rows {labels}; "
            "every row of the model matrix needs a valid time"
        )
    return index, times.tz_convert("UTC")


def _check_rows(
    value: str | pd.Series | None, field: str, index: pd.Index, positional: bool
) -> None:
    """Check that a per-row Series matches the rows (and index) of ``valid_at``."""
    if not isinstance(value, pd.Series):
        return
    if len(value) != len(index):
        raise InputDataError(
            f"{field}: {len(value)} values for {len(index)} valid times; give one {field} "
            "per row or a single string"
        )
    if not positional and not value.index.equals(index):
        raise InputDataError(
            f"{field}: the Series index differs from valid_at's index; align them "
            "(e.g. take both columns from the same frame)"
        )


def _zones(
    timezone: str | pd.Series, index: pd.Index
) -> tuple[npt.NDArray[np.intp], list[ZoneInfo]]:
    """Code of each row's time zone and the distinct zones (missing: the default)."""
    if isinstance(timezone, pd.Series):
        codes, uniques = pd.factorize(timezone, use_na_sentinel=True)
        names: list[object] = [*uniques, DEFAULT_TIMEZONE]
        codes = np.where(codes < 0, len(names) - 1, codes)
    else:
        codes = np.zeros(len(index), dtype=np.intp)
        names = [DEFAULT_TIMEZONE if timezone is None else timezone]
    zones = []
    for k, name in enumerate(names):
        try:
            zones.append(ZoneInfo(str(name)))
        except (ZoneInfoNotFoundError, ValueError) as exc:
            row = index[int(np.argmax(codes == k))]
            raise InputDataError(
                f"timezone: unknown time zone {name!r} at row {row!r}; use an IANA name "
                f"such as {DEFAULT_TIMEZONE!r}"
            ) from exc
    return codes, zones


def _wall_seconds(
    utc: pd.DatetimeIndex, codes: npt.NDArray[np.intp], zones: list[ZoneInfo]
) -> Int64Array:
    """Local wall-clock time of each row as seconds since 1970-01-01 (local)."""
    wall = np.empty(len(utc), dtype=np.int64)
    for k, zone in enumerate(zones):
        rows = slice(None) if len(zones) == 1 else codes == k
        naive = utc[rows].tz_convert(zone).tz_localize(None)
        wall[rows] = np.floor_divide(naive.asi8, _PER_SECOND[str(naive.unit)])
    return wall


def _per_day(
    days: Int64Array,
) -> tuple[dict[str, npt.NDArray[np.generic]], FloatArray, Int64Array]:
    """Features of each distinct local date (days since 1970-01-01), before broadcasting.

    Returns the day features by column, the offset to the nearest Chinese New Year's
    day [d] and the local calendar day as ``month * 100 + day``.
    """
    dates = pd.to_datetime(days, unit="D")
    doy = np.asarray(dates.day_of_year, dtype=np.int64)
    year_length = np.where(np.asarray(dates.is_leap_year), 366.0, 365.0)
    angle = 2.0 * np.pi * (doy - 1) / year_length
    dow = np.asarray(dates.day_of_week, dtype=np.int64)
    years = np.asarray(dates.year, dtype=np.int64)
    available, is_holiday, is_workday, name = _official(days, dow, years)
    offset = _spring_festival_offset(days, years)
    features: dict[str, npt.NDArray[np.generic]] = {
        "cal_dow": dow,
        "cal_month": np.asarray(dates.month, dtype=np.int64),
        "cal_doy": doy,
        "cal_doy_sin": np.sin(angle),
        "cal_doy_cos": np.cos(angle),
        "cal_is_weekend": dow >= 5,
        "cal_holiday_available": available,
        "cal_is_holiday": is_holiday,
        "cal_is_workday": is_workday,
        "cal_holiday_name": name,
        "cal_lunar_available": ~np.isnan(offset),
    }
    return features, offset, np.asarray(dates.month * 100 + dates.day, dtype=np.int64)


@cache
def _official_tables() -> tuple[Int64Array, Int64Array, Int64Array]:
    """Official days off with their name codes, and make-up working days (read-only)."""
    items = sorted(chinese_calendar.holidays.items())
    off = np.array([d.toordinal() - _EPOCH_ORDINAL for d, _ in items], dtype=np.int64)
    code = np.array([HOLIDAY_NAME_CODES.get(n, _OTHER_HOLIDAY) for _, n in items], np.int64)
    work = np.array(
        sorted(d.toordinal() - _EPOCH_ORDINAL for d in chinese_calendar.workdays),
        dtype=np.int64,
    )
    for array in (off, code, work):
        array.setflags(write=False)
    return off, code, work


@cache
def _official_year_covered(year: int) -> bool:
    """Whether ``chinese-calendar`` has the holiday schedule of ``year``."""
    try:
        chinese_calendar.is_workday(date(year, 7, 1))
    except NotImplementedError:
        return False
    return True


def _official(
    days: Int64Array, dow: Int64Array, years: Int64Array
) -> tuple[BoolArray, FloatArray, FloatArray, FloatArray]:
    """Availability, holiday flag, working-day flag and holiday code of each date."""
    off, code, work = _official_tables()
    unique_years, year_code = np.unique(years, return_inverse=True)
    covered = np.array([_official_year_covered(int(y)) for y in unique_years], dtype=bool)
    available = covered[year_code]
    pos = np.clip(np.searchsorted(off, days), 0, max(off.size - 1, 0))
    listed_off = off[pos] == days
    listed_work = np.isin(days, work)
    is_workday = listed_work | ((dow < 5) & ~listed_off)
    name = np.where(listed_off, code[pos], 0)
    nan = np.where(available, 0.0, np.nan)
    return available, listed_off + nan, is_workday + nan, name + nan


@cache
def _lunar_new_year(year: int) -> int | None:
    """Chinese New Year's day of ``year`` (days since 1970-01-01), or None if unknown."""
    calendar = China(years=year, observed=False, language="en_US")
    found = [d for d, name in calendar.items() if _CNY_NAME in name and d.year == year]
    return min(found).toordinal() - _EPOCH_ORDINAL if found else None


def _spring_festival_offset(days: Int64Array, years: Int64Array) -> FloatArray:
    """Days from the nearest Chinese New Year's day (NaN where it is unknown)."""
    unique_years, year_code = np.unique(years, return_inverse=True)
    around = {int(y) + k: _lunar_new_year(int(y) + k) for y in unique_years for k in (-1, 0, 1)}
    known = np.array([around[int(y) + k] is not None for y in unique_years for k in (-1, 0, 1)])
    available = np.asarray(np.all(known.reshape(-1, 3), axis=1))[year_code]
    new_years = np.array(sorted(v for v in around.values() if v is not None), dtype=np.int64)
    if new_years.size < 2:  # then no date has New Years on both sides
        return np.full(days.shape, np.nan)
    after = np.clip(np.searchsorted(new_years, days, side="right"), 1, new_years.size - 1)
    since = days - new_years[after - 1]
    until = new_years[after] - days
    offset = np.where(since <= until, since, -until).astype(np.float64)
    return np.where(available, offset, np.nan)


def _fireworks(offset: FloatArray, hour: Int64Array) -> FloatArray:
    """1 in the fireworks nights, 0 otherwise, NaN where the New Year is unknown."""
    start, end = FIREWORKS_HOURS
    evenings = np.asarray(FIREWORKS_EVENINGS, dtype=np.float64)
    evening = (hour >= start) & np.isin(offset, evenings)
    morning = (hour < end) & np.isin(offset, evenings + 1.0)
    return np.where(np.isnan(offset), np.nan, (evening | morning).astype(np.float64))
