"""Tests of observations from HJ 212-2017 data packets and the interval-label conventions.

standards.md §8.1 (quoting S5 表4; C.16–C.18): "For minute, hourly, daily and 2041 data (CN 2051,
2061, 2031, 2041), DataTime is the start of the interval. DataTime=20160801080000 on a CN=2061
packet means 08:00–09:00. For real-time data (2011, 2021) it is the sampling instant."
"⚠️ Chinese air-quality publishing labels an hourly mean by its ending hour … UNVERIFIED".
§8.3: "Never infer units from 附录B defaults. Configure units per station and protocol partner."
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from forecasting.errors import InputDataError
from forecasting.standards.hj212 import Hj212Packet, build_packet, parse_packet
from forecasting.standards.hj212_codes import Hj212Error
from forecasting.standards.hj212_cp import Hj212DataArea, Hj212Item
from forecasting.standards.hj212_observations import (
    OBSERVATION_COLUMNS,
    hourly_label_to_interval_end,
    interval_end_to_hourly_label,
    packet_observations,
)

# standards.md §8.4 example 5 (constructed for tests), verbatim.
PACKET_5 = (
    "##0278QN=20261123090000000;ST=22;CN=2061;PW=123456;MN=010000A8900016F000169DC0;Flag=4;"
    "CP=&&DataTime=20261123080000;a34004-Avg=38,a34004-Flag=N;a34002-Avg=61,a34002-Flag=N;"
    "a21026-Avg=7,a21026-Flag=N;a21004-Avg=29,a21004-Flag=N;a21005-Avg=0.6,a21005-Flag=N;"
    "a05024-Avg=52,a05024-Flag=N&&F3C1\r\n"
)
HOUR_START_UTC = pd.Timestamp("2026-11-23 00:00", tz="UTC")  # 08:00 +08:00


def _packet(cn: str, items: tuple[Hj212Item, ...], data_time: datetime | None) -> Hj212Packet:
    area = Hj212DataArea(data_time, items)
    return parse_packet(
        build_packet(qn="20160801085000001", st="22", cn=cn, pw="123456", mn="MN1", cp=area)
    )


def test_hourly_packet_5_rows() -> None:
    obs = packet_observations(parse_packet(PACKET_5))
    assert tuple(obs.columns) == OBSERVATION_COLUMNS
    assert obs["variable"].tolist() == ["pm25", "pm10", "so2", "no2", "co", "o3"]
    assert obs["code"].tolist() == ["a34004", "a34002", "a21026", "a21004", "a21005", "a05024"]
    assert obs["value"].tolist() == [38.0, 61.0, 7.0, 29.0, 0.6, 52.0]
    assert set(obs["statistic"]) == {"avg"}
    assert set(obs["flag"]) == {"N"}
    assert obs["known"].all()
    assert set(obs["mn"]) == {"010000A8900016F000169DC0"}
    assert set(obs["cn"]) == {"2061"}
    assert obs.attrs["standard_id"] == "cn_mee_hj212_2017"


def test_datatime_is_interval_start_for_hourly_data() -> None:
    # DataTime=20261123080000 on CN 2061: the hour 08:00–09:00 local = 00:00–01:00 UTC.
    obs = packet_observations(parse_packet(PACKET_5))
    assert str(obs["interval_start"].dtype) == "datetime64[ns, UTC]"
    assert (obs["interval_start"] == HOUR_START_UTC).all()
    assert set(obs["interval"]) == {"1h"}
    end = hourly_label_to_interval_end(obs["interval_start"], obs["interval"].iloc[0])
    assert (end == pd.Timestamp("2026-11-23 09:00", tz="Asia/Shanghai")).all()


def test_units_from_caller_never_from_appendix_b() -> None:
    packet = parse_packet(PACKET_5)
    assert packet_observations(packet)["units"].isna().all()
    units = {"a34004": "ug/m3", "pm25": "mg/m3", "co": "mg/m3", "o3": "ug/m3"}
    obs = packet_observations(packet, units).set_index("variable")["units"]
    # The code wins over the variable; unlisted variables stay NA (PM10 is not ng/m³ by default).
    assert (obs["pm25"], obs["co"], obs["o3"]) == ("ug/m3", "mg/m3", "ug/m3")
    assert pd.isna(obs["pm10"])


def test_realtime_2011_instant_unknown_code_kept_and_flagged() -> None:
    items = (
        Hj212Item("a21005", {"Rtd": 1.1}, "N"),
        Hj212Item("LA", {"Rtd": 50.1}, "N"),
        Hj212Item("a34004", {"Rtd": 207}),
    )
    obs = packet_observations(_packet("2011", items, datetime(2016, 8, 1, 0, 40, tzinfo=UTC)))
    assert obs["variable"].tolist() == ["co", "LA", "pm25"]
    assert obs["known"].tolist() == [True, False, True]
    assert set(obs["statistic"]) == {"rtd"}
    assert set(obs["interval"]) == {"0s"}
    assert obs["flag"].isna().tolist() == [False, False, True]
    assert (obs["interval_start"] == pd.Timestamp("2016-08-01 00:40", tz="UTC")).all()


def test_statistics_and_excluded_fields() -> None:
    item = Hj212Item(
        "w01009",
        {"Min": 5, "Avg": 6, "Max": 7, "Cou": 100, "ZsAvg": 9, "Rtd": 6.5},
        "N",
        {"SN": "X1"},
    )
    obs = packet_observations(_packet("2031", (item,), datetime(2026, 1, 1, tzinfo=UTC)))
    assert sorted(obs["statistic"]) == ["avg", "cou", "max", "min", "rtd"]
    assert set(obs["interval"]) == {"1D"}
    assert set(obs["variable"]) == {"do"}


@pytest.mark.parametrize(("minutes", "label"), [(None, None), (1, "1min"), (30, "30min")])
def test_minute_interval_configured(minutes: int | None, label: str | None) -> None:
    packet = _packet("2051", (Hj212Item("a34004", {"Avg": 1}),), datetime(2026, 1, 1, tzinfo=UTC))
    interval = packet_observations(packet, minute_interval=minutes)["interval"].iloc[0]
    assert interval == label if label else pd.isna(interval)


@pytest.mark.parametrize("minutes", [0, 7, 31])
def test_minute_interval_not_allowed(minutes: int) -> None:
    with pytest.raises(
        InputDataError, match=r"must be one of 1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30"
    ):
        packet_observations([], minute_interval=minutes)


def test_several_packets_and_empty_input() -> None:
    packet = parse_packet(PACKET_5)
    assert len(packet_observations([packet, packet])) == 12
    empty = packet_observations([])
    assert tuple(empty.columns) == OBSERVATION_COLUMNS
    assert empty.empty


def test_non_data_command_rejected() -> None:
    request = parse_packet(
        "##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;"
        "Flag=5;CP=&&RtdInterval=30&&1C80\r\n"
    )
    with pytest.raises(Hj212Error, match=r"CN 1062 .* data commands: 2011, 2051, 2061, 2031"):
        packet_observations(request)


def test_values_without_datatime_rejected() -> None:
    packet = _packet("2061", (Hj212Item("a34004", {"Avg": 1}),), None)
    with pytest.raises(Hj212Error, match="has values but no DataTime") as info:
        packet_observations(packet)
    assert info.value.exe_rtn == 3


# --- interval-start vs hour-ending labels ------------------------------------------------


def test_label_conversion_scalar_series_index() -> None:
    start = pd.Timestamp("2016-08-01 08:00", tz="Asia/Shanghai")
    assert hourly_label_to_interval_end(start) == pd.Timestamp("2016-08-01 09:00", tz="+08:00")
    assert hourly_label_to_interval_end(start.to_pydatetime(), "1D") == start + pd.Timedelta("1D")
    index = pd.date_range(start, periods=3, freq="h")
    assert (interval_end_to_hourly_label(hourly_label_to_interval_end(index)) == index).all()
    series = pd.Series(index)
    assert hourly_label_to_interval_end(series).tolist() == (index + pd.Timedelta("1h")).tolist()


def test_o3_8h_label_covers_hours_01_to_08() -> None:
    # "the O3 8-h value 'at 08:00' covers the hours 01–08" (hour-ending labels, secondary).
    label = pd.Timestamp("2026-11-23 08:00", tz="Asia/Shanghai")
    assert interval_end_to_hourly_label(label, "8h") == pd.Timestamp(
        "2026-11-23 00:00", tz="Asia/Shanghai"
    )


@pytest.mark.parametrize("interval", ["0s", "-1h", "hourly"])
def test_label_conversion_bad_interval(interval: str) -> None:
    with pytest.raises(InputDataError, match="interval"):
        hourly_label_to_interval_end(pd.Timestamp("2026-01-01", tz="UTC"), interval)


def test_label_conversion_naive_rejected() -> None:
    with pytest.raises(InputDataError, match="timezone-aware"):
        hourly_label_to_interval_end(pd.Timestamp("2026-01-01"))
    with pytest.raises(InputDataError, match="timezone-aware"):
        interval_end_to_hourly_label(pd.Series(pd.date_range("2026-01-01", periods=2)))
