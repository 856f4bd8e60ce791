"""HJ 212-2017 packet files into the store: partners, units, hours, flags, rejects, revisions.

Quoted from shared/docs/standards.md §8 (HJ 212-2017, S5):
* §8.1 (表4; C.16–C.18): "For minute, hourly, daily and 2041 data (CN 2051, 2061, 2031, 2041),
  DataTime is the start of the interval. DataTime=20160801080000 on a CN=2061 packet means
  08:00–09:00."
* §8.2 (附录A): "CRC16 of the data segment only; '接收到一条命令，如果 CRC 错误，执行结束'".
* §8.3: "Never infer units from 附录B defaults. Configure units per station and protocol partner."
* §8.3 表8: "N 在线监控（监测）仪器仪表工作正常 | F 停运 | M 维护期间产生的数据 |
  S 手工输入的设定值 | D 故障 | C 校准状态 | T 采样数值超过测量上限 | B 与数采仪通讯异常".
* §8.4 example 5 (constructed, CRC F3C1), used verbatim below as PACKET_5.
"""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from forecasting.errors import InputDataError
from forecasting.ingest.hj212 import (
    HJ212_QC_FLAGS,
    hj212_observations,
    ingest_hj212_files,
    parse_hj212_file,
)
from forecasting.ingest.hj212_partners import read_hj212_partners
from forecasting.qc.flags import EXCLUDE_DEFAULT, QcFlag
from forecasting.standards.hj212 import build_packet, parse_packet
from forecasting.standards.hj212_cp import Hj212DataArea, Hj212Item
from forecasting.storage import Store

MN = "010000A8900016F000169DC0"
MN2 = "010000A8900016F000169DC1"
SHANGHAI = ZoneInfo("Asia/Shanghai")
CLOCK = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)

# standards.md §8.4 example 5, verbatim (CN 2061 hourly data, DataTime 2026-11-23 08:00 local).
PACKET_5 = (
    "##0278QN=20261123090000000;ST=22;CN=2061;PW=123456;MN=010000A8900016F000169DC0;Flag=4;"
    "CP=&&DataTime=20261123080000;a34004-Avg=38,a34004-Flag=N;a34002-Avg=61,a34002-Flag=N;"
    "a21026-Avg=7,a21026-Flag=N;a21004-Avg=29,a21004-Flag=N;a21005-Avg=0.6,a21005-Flag=N;"
    "a05024-Avg=52,a05024-Flag=N&&F3C1\r\n"
)
# The CRC of example 5 is F3C1 (computed with 附录A); F3C2 is wrong and sits at character 284.
PACKET_5_BAD_CRC = PACKET_5.replace("&&F3C1", "&&F3C2")
CRC_POSITION = PACKET_5.index("F3C1")

PARTNERS = f"""
[[partner]]
mn = "{MN}"
station = "Dongsi"
password = "123456"
ignore = ["a01001"]
[partner.units]
a34004 = "ug/m3"
a34002 = "ug/m3"
a21026 = "ug/m3"
a21004 = "ug/m3"
a21005 = "mg/m3"
a05024 = "ug/m3"

[[partner]]
mn = "{MN2}"
station = "Urumqi1"
timezone = "Asia/Urumqi"
[partner.units]
a34004 = "mg/m3"
a21005 = "ug/m3"
a01006 = "kPa"
"""


def _packet(
    items: tuple[Hj212Item, ...],
    *,
    hour: int = 8,
    cn: str = "2061",
    mn: str = MN,
    flag: int = 4,
    zone: ZoneInfo = SHANGHAI,
) -> str:
    when = datetime(2026, 11, 23, hour, tzinfo=zone)
    return build_packet(
        qn=f"20261123{hour:02d}0000000",
        st="22",
        cn=cn,
        pw="123456",
        mn=mn,
        flag=flag,
        cp=Hj212DataArea(data_time=when, items=items),
        tz=zone,
    )


def _avg(code: str, value: float, flag: str | None = "N") -> Hj212Item:
    return Hj212Item(code, {"Avg": value}, flag)


@pytest.fixture
def partners_path(tmp_path: Path) -> Path:
    path = tmp_path / "partners.toml"
    path.write_text(PARTNERS, encoding="utf-8")
    return path


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store.open(f"sqlite:///{tmp_path / 'store.sqlite'}")
    opened.upsert_stations(
        pd.DataFrame({"station": ["Dongsi", "Urumqi1"], "network": ["air", "air"]})
    )
    return opened


def _write(tmp_path: Path, name: str, *packets: str, newline: str = "\r\n") -> Path:
    path = tmp_path / name
    text = "".join(p.rstrip("\r\n") + newline for p in packets)
    path.write_bytes(text.encode("utf-8"))
    return path


def _ingest(store: Store, partners_path: Path, tmp_path: Path, *files: Path) -> list:
    return ingest_hj212_files(
        store,
        files,
        read_hj212_partners(partners_path),
        data_dir=tmp_path / "data",
        clock=lambda: CLOCK,
    )


# --- partner file -------------------------------------------------------------------------


def test_partner_file_is_read(partners_path: Path) -> None:
    partners = read_hj212_partners(partners_path)
    assert len(partners) == 2
    assert partners.stations == ("Dongsi", "Urumqi1")
    dongsi = partners.require(MN, "here")
    assert (dongsi.timezone, dongsi.password, dongsi.ignore) == (
        "Asia/Shanghai",
        "123456",
        frozenset({"a01001"}),
    )
    assert partners.require(MN2, "here").units["a01006"] == "kPa"


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ('station = "X"', "missing key 'mn'"),
        ('mn = "01-00"\nstation = "X"', "must be 1-24 letters or digits"),
        (f'mn = "{MN}"', "missing key 'station'"),
        (f'mn = "{MN}"\nstation = "X"\ncolour = "red"', "unknown key(s) ['colour']"),
        (f'mn = "{MN}"\nstation = "X"\ntimezone = "Mars/Base"', "unknown time zone 'Mars/Base'"),
        (f'mn = "{MN}"\nstation = "X"\npassword = "1234567"', "password must be 1-6"),
        (f'mn = "{MN}"\nstation = "X"\nminute_interval = 7', "minute_interval 7 must be one of"),
        (f'mn = "{MN}"\nstation = "X"\n[partner.units]\npm25 = "ug/m3"', "use the factor code"),
        (f'mn = "{MN}"\nstation = "X"\n[partner.units]\nLA = "dB"', "'LA' is not an HJ 212"),
        (f'mn = "{MN}"\nstation = "X"\n[partner.units]\na34004 = "ppb"', "units.a34004 = 'ppb'"),
        (f'mn = "{MN}"\nstation = "X"\n[partner.units]\na34001 = "ug/m3"', "list 'a34001'"),
        (
            f'mn = "{MN}"\nstation = "X"\nignore = ["a34004"]\n[partner.units]\na34004 = "ug/m3"',
            "both in units and in ignore",
        ),
    ],
)
def test_partner_entry_errors_name_file_and_entry(
    tmp_path: Path, entry: str, expected: str
) -> None:
    path = tmp_path / "p.toml"
    path.write_text(f"[[partner]]\n{entry}\n", encoding="utf-8")
    with pytest.raises(InputDataError) as info:
        read_hj212_partners(path)
    assert f"{path} [[partner]] #1" in str(info.value)
    assert expected in str(info.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "no [[partner]] entries"),
        ("[[partner]\n", "not valid TOML"),
        (
            f'[[partner]]\nmn = "{MN}"\nstation = "A"\n[[partner]]\nmn = "{MN}"\nstation = "B"\n',
            "is already configured in",
        ),
        (f'stations = 1\n[[partner]]\nmn = "{MN}"\nstation = "A"\n', "unknown top-level"),
    ],
)
def test_partner_file_errors(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "p.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputDataError, match="p.toml") as info:
        read_hj212_partners(path)
    assert expected in str(info.value)


def test_missing_partner_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match="cannot read the HJ 212 partner file"):
        read_hj212_partners(tmp_path / "absent.toml")


# --- packets to observations ---------------------------------------------------------------


def test_example_5_becomes_hourly_observations_at_the_hour_start(
    tmp_path: Path, partners_path: Path
) -> None:
    parsed = parse_hj212_file(
        _write(tmp_path, "p5.txt", PACKET_5), read_hj212_partners(partners_path)
    )
    obs = parsed.observations.set_index("variable")
    # Example 5: "a34004-Avg=38 … a34002-Avg=61 … a21026-Avg=7 … a21004-Avg=29 … a21005-Avg=0.6 …
    # a05024-Avg=52", units configured as µg/m³ (CO mg/m³), the canonical units: no change.
    assert obs["value"].to_dict() == {
        "pm25": 38.0,
        "pm10": 61.0,
        "so2": 7.0,
        "no2": 29.0,
        "co": 0.6,
        "o3": 52.0,
    }
    # DataTime=20261123080000 (+08:00) labels 08:00-09:00; ecocast stamps the hour start: 00:00 UTC.
    assert set(obs["valid_at"]) == {pd.Timestamp("2026-11-23 00:00", tz="UTC")}
    assert set(obs["station"]) == {"Dongsi"}
    assert set(obs["qc_flags"]) == {0}
    assert set(obs["line"]) == {1}
    assert parsed.source.startswith("p5.txt@")
    assert parsed.observations.attrs["standard_id"] == "cn_mee_hj212_2017"
    assert parsed.rejects.empty
    assert parsed.kind == "hj212"


@pytest.mark.parametrize(
    ("code", "sent", "unit_value"),
    [
        ("a34004", 0.038, 38.0),  # PM2.5 configured in mg/m3 -> µg/m³
        ("a21005", 1100.0, 1.1),  # CO configured in ug/m3 -> mg/m³
        ("a01006", 101.02, 1010.2),  # pressure configured in kPa -> hPa
    ],
)
def test_units_come_from_the_partner_file(
    tmp_path: Path, partners_path: Path, code: str, sent: float, unit_value: float
) -> None:
    urumqi = ZoneInfo("Asia/Urumqi")
    packet = _packet((_avg(code, sent),), mn=MN2, zone=urumqi)
    parsed = parse_hj212_file(_write(tmp_path, "u.txt", packet), read_hj212_partners(partners_path))
    assert parsed.observations["value"].tolist() == [pytest.approx(unit_value)]
    # The partner's zone is Asia/Urumqi (+06:00): 08:00 local is 02:00 UTC.
    assert parsed.observations["valid_at"].tolist() == [pd.Timestamp("2026-11-23 02:00", tz="UTC")]


@pytest.mark.parametrize(
    ("flag", "expected"),
    [
        ("N", 0),  # 表8 "N 在线监控（监测）仪器仪表工作正常"
        ("M", QcFlag.MAINTENANCE),  # "M 维护期间产生的数据"
        ("C", QcFlag.MAINTENANCE),  # "C 校准状态"
        ("D", QcFlag.MAINTENANCE),  # "D 故障"
        ("S", QcFlag.MAINTENANCE),  # "S 手工输入的设定值"
        ("F", QcFlag.STALE),  # "F 停运"
        ("B", QcFlag.STALE),  # "B 与数采仪通讯异常"
        ("T", QcFlag.CEILING),  # "T 采样数值超过测量上限"
        (None, 0),  # no flag sent
    ],
)
def test_table8_flags_become_qc_flags(
    tmp_path: Path, partners_path: Path, flag: str | None, expected: int
) -> None:
    parsed = parse_hj212_file(
        _write(tmp_path, "f.txt", _packet((_avg("a34004", 40.0, flag),))),
        read_hj212_partners(partners_path),
    )
    assert parsed.observations["qc_flags"].tolist() == [int(expected)]
    assert parsed.observations["value"].tolist() == [40.0]  # the value is kept as sent
    if flag not in (None, "N"):
        assert int(expected) & int(EXCLUDE_DEFAULT)


def test_every_table8_flag_is_mapped() -> None:
    assert set(HJ212_QC_FLAGS) == set("NFMSDCTB")


def test_only_hourly_averages_are_stored(tmp_path: Path, partners_path: Path) -> None:
    realtime = _packet((Hj212Item("a34004", {"Rtd": 41.0}, "N"),), cn="2011")
    minute = _packet((_avg("a34004", 42.0),), cn="2051")
    daily = _packet((_avg("a34004", 43.0),), cn="2031", hour=0)
    hourly = _packet((Hj212Item("a34004", {"Avg": 44.0, "Min": 30.0, "Max": 50.0}, "N"),))
    packets = [parse_packet(p) for p in (realtime, minute, daily, hourly)]
    result = hj212_observations(packets, read_hj212_partners(partners_path))
    assert result.observations["value"].tolist() == [44.0]
    assert dict(result.skipped) == {"2011": 1, "2051": 1, "2031": 1}


def test_ignored_and_unconfigured_codes(tmp_path: Path, partners_path: Path) -> None:
    packet = _packet((_avg("a34004", 40.0), _avg("a01001", 4.0), _avg("a01007", 2.1)))
    path = _write(tmp_path, "c.txt", packet)
    parsed = parse_hj212_file(path, read_hj212_partners(partners_path))
    assert parsed.observations["variable"].tolist() == ["pm25"]  # a01001 ignored on purpose
    (reject,) = parsed.rejects.itertuples(index=False)  # a01007 (wind speed): no unit configured
    assert (reject.line, reject.column, reject.value) == (1, "a01007-Avg", "2.1")
    assert "has no configured unit" in reject.reason
    assert "#1" in reject.reason


def test_a_resent_hour_keeps_the_last_value_and_quarantines_the_earlier(
    tmp_path: Path, partners_path: Path
) -> None:
    first = _packet((_avg("a34004", 40.0), _avg("a34002", 60.0)))
    again = _packet((_avg("a34004", 45.0), _avg("a34002", 60.0)))
    parsed = parse_hj212_file(
        _write(tmp_path, "r.txt", first, again), read_hj212_partners(partners_path)
    )
    assert parsed.observations.set_index("variable")["value"].to_dict() == {
        "pm25": 45.0,
        "pm10": 60.0,
    }
    (reject,) = parsed.rejects.itertuples(index=False)
    assert (reject.line, reject.column, reject.value) == (1, "pm25", "40.0")
    assert "superseded by line 2" in reject.reason


# --- rejected lines ---------------------------------------------------------------------------


def test_bad_crc_line_is_quarantined_with_line_field_and_position(
    tmp_path: Path, partners_path: Path
) -> None:
    path = _write(tmp_path, "crc.txt", PACKET_5, PACKET_5_BAD_CRC, "garbage", newline="\n")
    parsed = parse_hj212_file(path, read_hj212_partners(partners_path))
    assert set(parsed.observations["line"]) == {1}
    rejects = parsed.rejects.set_index("line")
    assert list(rejects.index) == [2, 3]
    crc = rejects.loc[2]
    assert crc["column"] == "CRC"
    assert crc["file"] == str(path)
    assert f"at position {CRC_POSITION}" in crc["reason"]
    assert "QnRtn 9" in crc["reason"]
    assert "F3C2" in crc["reason"]
    assert crc["value"] == PACKET_5_BAD_CRC.rstrip("\r\n")
    assert rejects.loc[3, "column"] == "header"
    assert "position 0" in rejects.loc[3, "reason"]


def test_wrong_password_is_quarantined(tmp_path: Path, partners_path: Path) -> None:
    packet = build_packet(
        qn="20261123090000000",
        st="22",
        cn="2061",
        pw="999999",
        mn=MN,
        cp=Hj212DataArea(datetime(2026, 11, 23, 8, tzinfo=SHANGHAI), (_avg("a34004", 1.0),)),
    )
    parsed = parse_hj212_file(
        _write(tmp_path, "pw.txt", packet), read_hj212_partners(partners_path)
    )
    assert parsed.observations.empty
    assert parsed.rejects[["line", "column"]].values.tolist() == [[1, "PW"]]


def test_strict_mode_raises_the_first_reject(tmp_path: Path, partners_path: Path) -> None:
    path = _write(tmp_path, "s.txt", PACKET_5, PACKET_5_BAD_CRC)
    with pytest.raises(InputDataError, match=r"s\.txt:2: column 'CRC'"):
        parse_hj212_file(path, read_hj212_partners(partners_path), strict=True)


def test_gzip_file_and_lf_endings(tmp_path: Path, partners_path: Path) -> None:
    path = tmp_path / "p.txt.gz"
    path.write_bytes(gzip.compress(PACKET_5.rstrip("\r\n").encode() + b"\n\n"))
    parsed = parse_hj212_file(path, read_hj212_partners(partners_path))
    assert len(parsed.observations) == 6
    assert parsed.rows == 1


# --- into the store ---------------------------------------------------------------------------


def test_ingesting_twice_changes_nothing_and_a_changed_value_is_a_revision(
    tmp_path: Path, partners_path: Path, store: Store
) -> None:
    path = _write(tmp_path, "a.txt", PACKET_5, PACKET_5_BAD_CRC)
    (first,) = _ingest(store, partners_path, tmp_path, path)
    assert (first.ingest.inserted, first.ingest.revised, first.ingest.unchanged) == (6, 0, 0)
    assert first.ingest.rejected == 1
    assert first.ingest.quarantine is not None
    report = pd.read_csv(first.ingest.quarantine)
    assert report[["line", "column"]].values.tolist() == [[2, "CRC"]]
    (second,) = _ingest(store, partners_path, tmp_path, path)
    assert (second.ingest.inserted, second.ingest.revised, second.ingest.unchanged) == (0, 0, 6)
    changed = _write(tmp_path, "b.txt", _rebuilt(PACKET_5, "a34004-Avg=38", "a34004-Avg=39"))
    (third,) = _ingest(store, partners_path, tmp_path, changed)
    assert (third.ingest.inserted, third.ingest.revised, third.ingest.unchanged) == (0, 1, 5)
    history = store.read_observations("pm25", include_revision=True)
    assert history["value"].tolist() == [39.0]
    assert history["revision"].tolist() == [2]


def _rebuilt(packet: str, old: str, new: str) -> str:
    """Example 5 with one value changed, rebuilt strictly (new length and CRC)."""
    header = parse_packet(packet)
    area = parse_packet(packet.replace(old, new), strict_crc=False).cp
    return build_packet(
        qn=header.qn,
        st=header.st,
        cn=header.cn,
        pw=header.pw,
        mn=header.mn,
        flag=header.flag,
        cp=area,
    )


def test_unknown_mn_rejects_the_whole_file_and_leaves_the_store_unchanged(
    tmp_path: Path, partners_path: Path, store: Store
) -> None:
    stranger = "010000A8900016F0001699FF"
    good = _write(tmp_path, "good.txt", PACKET_5)
    bad = _write(tmp_path, "bad.txt", PACKET_5, _packet((_avg("a34004", 1.0),), mn=stranger))
    with pytest.raises(InputDataError) as info:
        _ingest(store, partners_path, tmp_path, good, bad)
    message = str(info.value)
    assert "bad.txt:2: column 'MN'" in message
    assert stranger in message
    assert "partners.toml" in message
    assert store.read_observations().empty  # good.txt was not written either


def test_unregistered_station_rejects_the_file(tmp_path: Path, partners_path: Path) -> None:
    bare = Store.open(f"sqlite:///{tmp_path / 'bare.sqlite'}")
    with pytest.raises(InputDataError, match="unknown station.*'Dongsi'"):
        _ingest(bare, partners_path, tmp_path, _write(tmp_path, "a.txt", PACKET_5))
    assert bare.read_observations().empty
