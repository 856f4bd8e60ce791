"""Daily and real-time AQI of hourly observation tables.

Composes the standards library: GB 3095 statistics (daily means, MDA8, daily maxima,
moving means; :mod:`forecasting.standards.gb3095`) feed the HJ 633 AQI of either edition
(:mod:`forecasting.standards.aqi_hj633`) or the US EPA AQI
(:mod:`forecasting.standards.aqi_us_epa`).

The hourly input is wide: ``station``, ``time`` (tz-aware; the local day is the
timestamps' own zone, a stamp labels the start of its hour) and the pollutants
``pm25``, ``pm10``, ``so2``, ``no2``, ``o3`` [µg m⁻³] and ``co`` [mg m⁻³].
"""

from __future__ import annotations

from typing import Literal, cast

import pandas as pd

from forecasting.errors import UnknownStandardError
from forecasting.standards.aqi_hj633 import (
    HJ633_EDITIONS,
    Hj633Edition,
    daily_aqi_hj633,
    hourly_aqi_hj633,
)
from forecasting.standards.aqi_us_epa import daily_aqi_us_epa
from forecasting.standards.gb3095 import daily_statistics, moving_mean

__all__ = ["AQI_SCHEMES", "AqiScheme", "check_aqi_options", "daily_aqi", "hourly_aqi"]

AqiScheme = Literal["hj633", "us-epa-2024"]
AQI_SCHEMES: tuple[str, ...] = ("hj633", "us-epa-2024")
POLLUTANTS: tuple[str, ...] = ("pm25", "pm10", "so2", "no2", "co", "o3")


def check_aqi_options(
    scheme: str, edition: str | None, *, hourly: bool = False
) -> tuple[AqiScheme, Hj633Edition | None]:
    """Validate an AQI scheme and edition given as text (e.g. on the command line).

    Raises
    ------
    UnknownStandardError
        Naming the value and listing the valid ones: an unknown scheme or edition, an
        edition with the US scheme, or ``hourly`` with a scheme other than HJ 633.
    """
    if scheme not in AQI_SCHEMES:
        raise UnknownStandardError("AQI scheme", scheme, AQI_SCHEMES)
    if edition is not None and edition not in HJ633_EDITIONS:
        raise UnknownStandardError("HJ 633 edition", edition, HJ633_EDITIONS)
    if edition is not None and scheme != "hj633":
        raise UnknownStandardError(f"edition for scheme {scheme}", edition, ["(none)"])
    if hourly and scheme != "hj633":
        raise UnknownStandardError("scheme for the real-time AQI", scheme, ["hj633"])
    return cast(AqiScheme, scheme), edition


def daily_aqi(
    hourly: pd.DataFrame,
    *,
    scheme: AqiScheme = "hj633",
    edition: Hj633Edition | None = None,
) -> pd.DataFrame:
    """Daily AQI per station and local date.

    Parameters
    ----------
    hourly : pandas.DataFrame
        Wide hourly observations (module docstring) [µg m⁻³; CO mg m⁻³].
    scheme : {"hj633", "us-epa-2024"}, default "hj633"
        Index family.
    edition : {"hj633-2012", "hj633-2026"}, optional
        Force an HJ 633 edition; by default each day's date chooses (2012 before
        2026-03-01, 2026 from then on).

    Returns
    -------
    pandas.DataFrame
        One row per station-day: ``station``, ``date``, ``aqi``, ``level`` (HJ 633) or
        ``category`` (US EPA), ``primary``, ``edition`` or ``scheme``, ``iaqi_*``, and the
        daily concentrations that produced them.

    References
    ----------
    .. [1] GB 3095—2026 表4 (validity); HJ 633—2012 §5.1 and HJ 633—2026 §4.2.2 (daily
       indicators); EPA-454/B-24-002 (US AQI).
    """
    check_aqi_options(scheme, edition)
    stats = daily_statistics(hourly)
    if scheme == "us-epa-2024":
        result = daily_aqi_us_epa(stats)
    else:
        result = daily_aqi_hj633(stats, edition=edition)
    concentrations = stats.drop(columns=["station", "date"]).filter(regex=r"^(?!n_)")
    return pd.concat([result, concentrations], axis=1)


def hourly_aqi(hourly: pd.DataFrame, *, edition: Hj633Edition | None = None) -> pd.DataFrame:
    """Real-time (hourly) AQI per station-hour, by HJ 633.

    The 2012 edition's real-time indicators include the O3 8-h moving mean and the
    PM 24-h moving means; they are computed here (trailing windows, ≥ 6 of 8 and ≥ 20
    of 24 valid hours, GB 3095 表4) for every edition and used where the edition asks.

    Parameters
    ----------
    hourly : pandas.DataFrame
        Wide hourly observations (module docstring) [µg m⁻³; CO mg m⁻³].
    edition : {"hj633-2012", "hj633-2026"}, optional
        Force an edition; by default each hour's local date chooses.

    Returns
    -------
    pandas.DataFrame
        One row per input station-hour: ``station``, ``time``, ``aqi``, ``level``,
        ``primary``, ``edition``, ``iaqi_*``.

    References
    ----------
    .. [1] HJ 633—2012 §5.1.4 and HJ 633—2026 §4.2.3 (real-time indicators).
    """
    check_aqi_options("hj633", edition)
    o3_8h = moving_mean(hourly, ["o3"], window_h=8, min_valid=6)
    means_24h = moving_mean(hourly, ["pm25", "pm10", "so2"], window_h=24, min_valid=20)
    keys = ["station", "time"]
    frame = hourly[[*keys, *POLLUTANTS]].merge(
        o3_8h[[*keys, "o3_8h"]], on=keys, how="left", validate="one_to_one"
    )
    frame = frame.merge(
        means_24h[[*keys, "pm25_24h", "pm10_24h", "so2_24h"]],
        on=keys,
        how="left",
        validate="one_to_one",
    )
    return hourly_aqi_hj633(frame, edition=edition)
