"""Observations from HJ 212-2017 data packets, and the two hour-labelling conventions.

:func:`packet_observations` turns parsed data packets (CN 2011 real-time, 2051
minute, 2061 hourly, 2031 daily) into tidy rows: one per device, factor code and
statistic (``Rtd``, ``Avg``, ``Min``, ``Max``, ``Cou``).

Two conventions label an interval, and they differ by one interval:

* **HJ 212 labels the start.** ``DataTime`` of minute, hourly and daily data is the
  start of the interval: ``DataTime=20160801080000`` on a CN 2061 packet is the
  mean over 08:00–09:00 (表4; 附录C C.16–C.18). On real-time data (CN 2011) it is
  the sampling instant. ecocast stamps intervals by their start too (README
  glossary), so ``interval_start`` needs no conversion inside the system.
* **Publishing labels the end.** Chinese air-quality releases label an hourly
  mean by its ending hour ("09时" for 08:00–09:00), and an 8-h ozone value "at
  08:00" covers hours 01–08. This convention is UNVERIFIED from a standard (a
  secondary source only); convert explicitly, at the publishing edge, with
  :func:`hourly_label_to_interval_end` and :func:`interval_end_to_hourly_label`.

Units are never inferred: 附录B prints PM in ng/m³ while stations send µg/m³.
Pass each protocol partner's configured units.

References
----------
.. [1] HJ 212-2017 污染物在线监控（监测）系统数据传输标准, 表4 (DataTime, fields),
   表9 (CN 2011, 2031, 2051, 2061), 附录B (factor codes), 附录C C.16–C.18; data file
   ``cn_mee_hj212_2017``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import overload

import numpy as np
import pandas as pd

from forecasting.errors import InputDataError
from forecasting.standards.hj212 import Hj212Packet
from forecasting.standards.hj212_codes import (
    Hj212Error,
    Hj212Standard,
    factor_variables,
    read_hj212,
)

__all__ = [
    "OBSERVATION_COLUMNS",
    "hourly_label_to_interval_end",
    "interval_end_to_hourly_label",
    "packet_observations",
]

OBSERVATION_COLUMNS = (
    "mn",
    "cn",
    "variable",
    "code",
    "known",
    "statistic",
    "value",
    "flag",
    "units",
    "interval_start",
    "interval",
)
"""Columns of :func:`packet_observations`, in order."""


def _packet_interval(
    std: Hj212Standard, packet: Hj212Packet, minute_interval: int | None
) -> str | None:
    command = std.data_commands.get(packet.cn)
    if command is None:
        raise Hj212Error(
            f"packet QN={packet.qn} from MN {packet.mn} has CN {packet.cn} "
            f"({std.command_codes.get(packet.cn, 'unknown')}), which carries no observations; "
            f"data commands: {', '.join(std.data_commands)}",
            field="CN",
            qn_rtn=std.qn_rtn_by_field["CN"],
        )
    if command.interval:
        return command.interval
    return None if minute_interval is None else f"{minute_interval}min"


def packet_observations(
    packets: Hj212Packet | Iterable[Hj212Packet],
    units: Mapping[str, str] | None = None,
    *,
    minute_interval: int | None = None,
    standard: Hj212Standard | None = None,
) -> pd.DataFrame:
    """Turn data packets into tidy observation rows.

    Parameters
    ----------
    packets : Hj212Packet or iterable of Hj212Packet
        Parsed data packets (CN 2011, 2051, 2061 or 2031). Parts of a split
        message (Flag D) are read one by one.
    units : mapping of str to str, optional
        The protocol partner's configured units, keyed by factor code
        (``"a34004"``) or by ecocast variable (``"pm25"``); the code wins. Rows
        without an entry get NA. Never taken from 附录B.
    minute_interval : int, optional
        The partner's ``MinInterval`` [min] (1, 2, 3, 4, 5, 6, 10, 12, 15, 20 or
        30), which minute packets do not carry; without it the ``interval`` of
        CN 2051 rows is NA.
    standard : Hj212Standard, optional
        Tables; default :func:`~forecasting.standards.hj212_codes.read_hj212` ().

    Returns
    -------
    DataFrame
        Columns :data:`OBSERVATION_COLUMNS`: ``mn``, ``cn``, ``variable`` (ecocast
        name, or the raw code when unknown), ``code``, ``known`` (False for codes
        outside 附录B's table), ``statistic`` (``rtd``, ``avg``, ``min``, ``max``,
        ``cou``), ``value`` [``units``], ``flag`` (表8: N, F, M, S, D, C, T, B; NA
        when not sent), ``units``, ``interval_start`` (UTC; the start of the
        interval, or the sampling instant for CN 2011) and ``interval`` (``"1h"``,
        ``"1D"``, ``"10min"``, ``"0s"`` for an instant). ``attrs["standard_id"]``
        names the standard. Converted (``Zs*``) values and facility fields
        (``RS``, ``RT``) are not observations and are left out.

    Raises
    ------
    Hj212Error
        If a packet is not a data command, or carries items without ``DataTime``.
    InputDataError
        If ``minute_interval`` is not an allowed ``MinInterval``.

    Notes
    -----
    Packets are parsed one by one (text); this function only walks their
    already-parsed items once to collect columns. Code → variable, units and
    time look-ups are vectorised over the unique values (``pd.factorize``), so
    315,648 rows take about a second.

    References
    ----------
    .. [1] HJ 212-2017, 表4 (DataTime = interval start; fields), 表8 (flags),
       表9 (data commands), 附录B (codes; its units are not used).

    Examples
    --------
    >>> from forecasting.standards.hj212 import parse_packet
    >>> p = parse_packet(
    ...     "##0278QN=20261123090000000;ST=22;CN=2061;PW=123456;"
    ...     "MN=010000A8900016F000169DC0;Flag=4;CP=&&DataTime=20261123080000;"
    ...     "a34004-Avg=38,a34004-Flag=N;a34002-Avg=61,a34002-Flag=N;"
    ...     "a21026-Avg=7,a21026-Flag=N;a21004-Avg=29,a21004-Flag=N;"
    ...     "a21005-Avg=0.6,a21005-Flag=N;a05024-Avg=52,a05024-Flag=N&&F3C1"
    ... )
    >>> obs = packet_observations(p, units={"pm25": "ug/m3"})
    >>> obs[["variable", "statistic", "value", "units", "interval_start", "interval"]].head(2)
      variable statistic  value  units            interval_start interval
    0     pm25       avg   38.0  ug/m3 2026-11-23 00:00:00+00:00       1h
    1     pm10       avg   61.0    NaN 2026-11-23 00:00:00+00:00       1h
    """
    std = standard or read_hj212()
    if minute_interval is not None and minute_interval not in std.min_interval_minutes:
        allowed = ", ".join(str(m) for m in std.min_interval_minutes)
        raise InputDataError(f"minute_interval {minute_interval!r} [min] must be one of {allowed}")
    batch = [packets] if isinstance(packets, Hj212Packet) else list(packets)
    statistic = {name: f.statistic for name, f in std.item_fields.items() if f.statistic}
    times: list[datetime | None] = []
    intervals: list[str | None] = []
    rows: dict[str, list[object]] = {
        k: [] for k in ("packet", "code", "statistic", "value", "flag")
    }
    for index, packet in enumerate(batch):
        intervals.append(_packet_interval(std, packet, minute_interval))
        data_time = packet.cp.data_time
        if data_time is None and packet.cp.items:
            raise Hj212Error(
                f"packet QN={packet.qn} from MN {packet.mn} (CN {packet.cn}) has values "
                "but no DataTime",
                field="DataTime",
                qn_rtn=std.rejected_qn_rtn,
                exe_rtn=std.bad_data_area_exe_rtn,
            )
        times.append(data_time)
        for item in packet.cp.items:
            for name, value in item.values.items():
                if name in statistic:
                    rows["packet"].append(index)
                    rows["code"].append(item.code)
                    rows["statistic"].append(statistic[name])
                    rows["value"].append(value)
                    rows["flag"].append(item.flag)
    return _frame(std, batch, rows, times, intervals, units)


def _frame(
    std: Hj212Standard,
    batch: list[Hj212Packet],
    rows: Mapping[str, list[object]],
    times: list[datetime | None],
    intervals: list[str | None],
    units: Mapping[str, str] | None,
) -> pd.DataFrame:
    """Assemble the observation frame with vectorised look-ups."""
    which = np.asarray(rows["packet"], dtype=np.intp)
    codes = np.asarray(rows["code"], dtype=object)
    index, uniques = pd.factorize(codes)
    unique_variables, unique_known = factor_variables(uniques, std)
    lookup = units or {}
    unique_units = [
        lookup.get(c, lookup.get(v)) for c, v in zip(uniques, unique_variables, strict=True)
    ]
    unit = np.asarray(unique_units, dtype=object)[index]
    start = pd.to_datetime(pd.Index(times, dtype=object), utc=True).as_unit("ns")
    frame = pd.DataFrame(
        {
            "mn": np.asarray([p.mn for p in batch], dtype=object)[which],
            "cn": np.asarray([p.cn for p in batch], dtype=object)[which],
            "variable": unique_variables[index],
            "code": codes,
            "known": unique_known[index],
            "statistic": np.asarray(rows["statistic"], dtype=object),
            "value": np.asarray(rows["value"], dtype=np.float64),
            "flag": np.asarray(rows["flag"], dtype=object),
            "units": unit,
            "interval_start": start[which],
            "interval": np.asarray(intervals, dtype=object)[which],
        },
        columns=list(OBSERVATION_COLUMNS),
    )
    frame.attrs["standard_id"] = std.source.id
    return frame


def _step(interval: str) -> pd.Timedelta:
    try:
        step = pd.Timedelta(interval)
    except ValueError as exc:
        raise InputDataError(f"interval {interval!r} is not a duration such as '1h'") from exc
    if step <= pd.Timedelta(0):
        raise InputDataError(f"interval {interval!r} must be positive (an instant has no end)")
    return step


def _require_aware(times: datetime | pd.Series | pd.DatetimeIndex) -> None:
    if isinstance(times, pd.Series):
        zone = times.dt.tz
    elif isinstance(times, pd.DatetimeIndex):
        zone = times.tz
    else:
        zone = times.tzinfo
    if zone is None:
        raise InputDataError("times must be timezone-aware (HJ 212 times are local, +08:00)")


@overload
def hourly_label_to_interval_end(data_time: datetime, interval: str = ...) -> pd.Timestamp: ...
@overload
def hourly_label_to_interval_end(data_time: pd.Series, interval: str = ...) -> pd.Series: ...
@overload
def hourly_label_to_interval_end(
    data_time: pd.DatetimeIndex, interval: str = ...
) -> pd.DatetimeIndex: ...
def hourly_label_to_interval_end(
    data_time: datetime | pd.Series | pd.DatetimeIndex, interval: str = "1h"
) -> pd.Timestamp | pd.Series | pd.DatetimeIndex:
    """Convert HJ 212 interval-start labels (``DataTime``) to hour-ending labels.

    Parameters
    ----------
    data_time : datetime, Series or DatetimeIndex
        Timezone-aware ``DataTime`` values of minute, hourly or daily data (the
        start of each interval), e.g. ``interval_start`` of
        :func:`packet_observations`.
    interval : str
        Interval length, a pandas duration (``"1h"`` for CN 2061).

    Returns
    -------
    Timestamp, Series or DatetimeIndex
        The end of each interval: the label that hour-ending publishing uses
        (08:00 → 09:00 for ``"1h"``).

    Raises
    ------
    InputDataError
        If the times are naive or ``interval`` is not a positive duration.

    Notes
    -----
    HJ 212 labels by the start (表4); the hour-ending publishing label is a
    practice, UNVERIFIED from a standard. Do not apply this to real-time
    (CN 2011) instants.

    References
    ----------
    .. [1] HJ 212-2017, 表4 (DataTime); 附录C C.16–C.18.

    Examples
    --------
    >>> hourly_label_to_interval_end(pd.Timestamp("2016-08-01 08:00", tz="Asia/Shanghai"))
    Timestamp('2016-08-01 09:00:00+0800', tz='Asia/Shanghai')
    """
    step = _step(interval)
    _require_aware(data_time)
    if isinstance(data_time, pd.Series | pd.DatetimeIndex):
        return data_time + step
    return pd.Timestamp(data_time) + step


@overload
def interval_end_to_hourly_label(label: datetime, interval: str = ...) -> pd.Timestamp: ...
@overload
def interval_end_to_hourly_label(label: pd.Series, interval: str = ...) -> pd.Series: ...
@overload
def interval_end_to_hourly_label(
    label: pd.DatetimeIndex, interval: str = ...
) -> pd.DatetimeIndex: ...
def interval_end_to_hourly_label(
    label: datetime | pd.Series | pd.DatetimeIndex, interval: str = "1h"
) -> pd.Timestamp | pd.Series | pd.DatetimeIndex:
    """Convert hour-ending labels back to HJ 212 interval-start labels (``DataTime``).

    The inverse of :func:`hourly_label_to_interval_end`.

    Parameters
    ----------
    label : datetime, Series or DatetimeIndex
        Timezone-aware hour-ending labels (the end of each interval).
    interval : str
        Interval length, a pandas duration (``"1h"``).

    Returns
    -------
    Timestamp, Series or DatetimeIndex
        The start of each interval, as HJ 212 and ecocast label it.

    Raises
    ------
    InputDataError
        If the times are naive or ``interval`` is not a positive duration.

    References
    ----------
    .. [1] HJ 212-2017, 表4 (DataTime).

    Examples
    --------
    >>> interval_end_to_hourly_label(pd.Timestamp("2016-08-01 09:00", tz="Asia/Shanghai"))
    Timestamp('2016-08-01 08:00:00+0800', tz='Asia/Shanghai')
    """
    step = _step(interval)
    _require_aware(label)
    if isinstance(label, pd.Series | pd.DatetimeIndex):
        return label - step
    return pd.Timestamp(label) - step
