"""GB 3095 validity rules and limits, with the HJ 663 assessment rules that go with them.

Frozen dataclasses that hold one GB 3095 edition as loaded from its data files by
:func:`forecasting.standards.gb3095_loader.load_gb3095`: the data validity of GB 3095 表4
(:class:`ValidityRules`), the concentration limits of 表1/表2 by stage and zone class
(:class:`ConcentrationLimit`, :class:`Stage`), the O3 daily-maximum 8-h rule of HJ 663
§6.1.2 (:class:`Mda8Rule`), the annual percentiles of HJ 663 (:class:`PercentileItem`)
and the ecocast choices where the standard is silent (:class:`StatisticsConfiguration`),
gathered in :class:`Gb3095Standard`.

References
----------
.. [1] GB 3095—2026 环境空气质量标准, 表1, 表2, 表4 (§6.4). Data file ``cn_mee_gb3095_2026``.
.. [2] GB 3095—2012 环境空气质量标准, 表1, 表4 (secondary). Data file ``cn_mee_gb3095_2012``.
.. [3] HJ 663—2013 / HJ 663—2026 环境空气质量评价技术规范, §6.1.2, p. 3 (secondary).
   Data files ``cn_mee_hj663_2013``, ``cn_mee_hj663_2026``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from forecasting.errors import UnknownStandardError
from forecasting.standards.tables import Citation

__all__ = [
    "ConcentrationLimit",
    "Gb3095Standard",
    "Mda8Rule",
    "PercentileItem",
    "Stage",
    "StatisticsConfiguration",
    "ValidityRules",
]


@dataclass(frozen=True)
class ValidityRules:
    """Minimum data for a valid statistic (GB 3095 表4).

    Attributes
    ----------
    min_hours_24h : int
        Valid hourly values needed for a daily (24-h) mean (20).
    window_hours_8h : int
        Length of an O3 8-h moving mean [h] (8).
    min_hours_8h : int
        Valid hourly values needed in an 8-h window (6).
    min_minutes_1h : int
        Sampling time needed for a 1-h mean [min] (45); checked upstream, where the
        hourly value is made.
    min_days_year : int
        Valid daily values needed for an annual statistic (324).
    min_days_month : int
        Valid daily values needed in every month (27).
    min_days_february : int
        Valid daily values needed in February (25).
    """

    min_hours_24h: int
    window_hours_8h: int
    min_hours_8h: int
    min_minutes_1h: int
    min_days_year: int
    min_days_month: int
    min_days_february: int


@dataclass(frozen=True)
class Mda8Rule:
    """HJ 663 §6.1.2: validity of the O3 daily maximum 8-h mean.

    Attributes
    ----------
    window_hours : int
        Window length [h] (8).
    first_window_end_hour, last_window_end_hour : int
        Hour-ending labels of the first and last window that count (8 and 24: the 17
        windows whose hours lie within the day).
    min_valid_windows : int
        Valid 8-h means needed among those windows (14).
    exceedance_exception : bool
        Whether a day with fewer valid windows is still valid when its maximum
        exceeds the limit.
    limit_pollutant, limit_averaging : str
        The GB 3095 limit that the exception compares with (``"o3"``, ``"daily_max_8h"``).
    clause : str
        Clause of HJ 663 (``"6.1.2"``).
    source : Citation
        The HJ 663 edition.
    """

    window_hours: int
    first_window_end_hour: int
    last_window_end_hour: int
    min_valid_windows: int
    exceedance_exception: bool
    limit_pollutant: str
    limit_averaging: str
    clause: str
    source: Citation


@dataclass(frozen=True)
class Stage:
    """A period with its own set of limits (GB 3095—2026 §4.4: transition, final).

    Attributes
    ----------
    name : str
        ``"transition"``, ``"final"`` or ``"in_force"``.
    start, end : datetime.date or None
        First and last day of the stage (inclusive); None where open-ended.
    """

    name: str
    start: dt.date | None
    end: dt.date | None


@dataclass(frozen=True)
class ConcentrationLimit:
    """One concentration limit (GB 3095 表1/表2).

    Attributes
    ----------
    pollutant : str
        ecocast pollutant name (``"pm25"``, ``"o3"``, ``"nox"`` …).
    averaging : str
        ``"annual"``, ``"quarter"``, ``"24h"``, ``"daily_max_8h"`` or ``"1h"``.
    units : str
        ``"ug/m3"`` or ``"mg/m3"`` (CO).
    stage : str
        Name of the :class:`Stage`.
    zone_class : int
        1 (一级, 一类区) or 2 (二级, 二类区).
    value : float
        The limit [units].
    """

    pollutant: str
    averaging: str
    units: str
    stage: str
    zone_class: int
    value: float


@dataclass(frozen=True)
class PercentileItem:
    """One annual percentile of HJ 663 (e.g. PM2.5 daily mean, 95th).

    Attributes
    ----------
    pollutant : str
        ecocast pollutant name.
    statistic : str
        The daily statistic: ``"24h"`` (daily mean) or ``"daily_max_8h"``.
    percentile : float
        Percentile rank [%].
    """

    pollutant: str
    statistic: str
    percentile: float

    @property
    def column(self) -> str:
        """Name of the daily column it applies to (``"pm25"``, ``"o3_8h_max"``)."""
        return f"{self.pollutant}_8h_max" if self.statistic == "daily_max_8h" else self.pollutant


@dataclass(frozen=True)
class StatisticsConfiguration:
    """ecocast choices where GB 3095 and HJ 663 are silent (NOT from the standard).

    Attributes
    ----------
    daily_max_1h_min_hours : int
        Valid hours needed for a daily maximum 1-h value (default file value 18).
    co_8h_window_hours : int
        Window of the daily maximum 8-h CO [h] (8).
    co_8h_min_hours : int
        Valid hours needed in a CO 8-h window (6).
    co_8h_min_windows : int
        Valid CO 8-h windows within the day needed for the daily maximum (14).
    """

    daily_max_1h_min_hours: int
    co_8h_window_hours: int
    co_8h_min_hours: int
    co_8h_min_windows: int


@dataclass(frozen=True)
class Gb3095Standard:
    """One GB 3095 edition with its HJ 663 assessment rules, as loaded from data files.

    Attributes
    ----------
    source : Citation
        The GB 3095 edition.
    assessment : Citation
        The HJ 663 edition that goes with it.
    validity : ValidityRules
        表4 minimum data.
    mda8 : Mda8Rule
        HJ 663 §6.1.2 O3 daily-maximum 8-h rule.
    stages : tuple of Stage
        Limit stages, oldest first.
    limits : tuple of ConcentrationLimit
        表1 (and 表2) limits.
    annual_mean_pollutants : tuple of str
        Pollutants whose annual mean is assessed.
    percentiles : tuple of PercentileItem
        Annual percentiles that are assessed.
    percentile_method : str
        numpy percentile method (``"linear"``).
    configuration : StatisticsConfiguration
        ecocast choices for statistics the standard leaves open.
    in_force_from : datetime.date or None
        First day the edition applies (None: before every later edition).
    """

    source: Citation
    assessment: Citation
    validity: ValidityRules
    mda8: Mda8Rule
    stages: tuple[Stage, ...]
    limits: tuple[ConcentrationLimit, ...]
    annual_mean_pollutants: tuple[str, ...]
    percentiles: tuple[PercentileItem, ...]
    percentile_method: str
    configuration: StatisticsConfiguration
    in_force_from: dt.date | None

    @property
    def id(self) -> str:
        """Id of the GB 3095 data file, e.g. ``"cn_mee_gb3095_2026"``."""
        return self.source.id

    def limit(
        self, pollutant: str, averaging: str, *, zone_class: int = 2, stage: str | None = None
    ) -> ConcentrationLimit:
        """Return one concentration limit.

        Parameters
        ----------
        pollutant : str
            ecocast pollutant name, e.g. ``"o3"``.
        averaging : str
            ``"annual"``, ``"quarter"``, ``"24h"``, ``"daily_max_8h"`` or ``"1h"``.
        zone_class : int, default 2
            1 (一级) or 2 (二级).
        stage : str, optional
            Stage name; default the first stage (the one in force when the edition
            came into force).

        Returns
        -------
        ConcentrationLimit
            The limit, its units and stage.

        Raises
        ------
        UnknownStandardError
            If the edition has no such limit; the message lists those it has.
        """
        stage_name = self.stages[0].name if stage is None else stage
        for item in self.limits:
            key = (item.pollutant, item.averaging, item.zone_class, item.stage)
            if key == (pollutant, averaging, zone_class, stage_name):
                return item
        available = sorted(
            {f"{x.pollutant} {x.averaging} class {x.zone_class} {x.stage}" for x in self.limits}
        )
        wanted = f"{pollutant} {averaging} class {zone_class} {stage_name}"
        raise UnknownStandardError(f"{self.id} limit", wanted, available)

    def limits_on(
        self,
        pollutant: str,
        averaging: str,
        dates: npt.ArrayLike,
        *,
        zone_class: int = 2,
    ) -> npt.NDArray[np.float64]:
        """Return the limit in force on each date (vectorised over dates).

        A date before the first stage gets the first stage's limit, a date after the
        last stage the last stage's limit.

        Parameters
        ----------
        pollutant, averaging : str
            As in :meth:`limit`.
        dates : array_like of datetime64 or datetime.date
            Local calendar dates.
        zone_class : int, default 2
            1 (一级) or 2 (二级).

        Returns
        -------
        ndarray of float
            The limit on each date [µg m⁻³] (CO [mg m⁻³]).
        """
        days = np.asarray(dates, dtype="datetime64[D]")
        values = np.array(
            [
                self.limit(pollutant, averaging, zone_class=zone_class, stage=s.name).value
                for s in self.stages
            ]
        )
        starts = np.array(
            [
                np.datetime64(s.start, "D") if s.start else np.datetime64("NaT", "D")
                for s in self.stages
            ]
        )
        starts[0] = np.datetime64("0001-01-01", "D")
        index = np.clip(np.searchsorted(starts, days, side="right") - 1, 0, len(values) - 1)
        return values[index]
