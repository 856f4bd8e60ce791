"""Tests of HJ 212-2017 packet parsing and building against the published examples.

Packets 1, 2 and 5 are quoted verbatim from shared/docs/standards.md §8.4:
1. HJ 212-2017 附录A, the standard's own example (data length 0101, CRC 1C80);
2. an air-quality real-time packet (ST=22, CN=2011) from public test code (0453, c0c1),
   with three defects used here as negative tests: ``LA-td`` (should be ``LA-Rtd``),
   Flag=7 without PNUM/PNO, and a trailing ``;`` before ``&&``;
5. a packet constructed for ecocast's tests (0278, F3C1).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from forecasting.standards.hj212 import build_packet, format_qn, parse_packet
from forecasting.standards.hj212_codes import Hj212Error
from forecasting.standards.hj212_cp import Hj212DataArea, Hj212Item
from forecasting.standards.hj212_crc import crc16_hj212, format_crc
from forecasting.standards.hj212_flag import Hj212Flag

MN = "010000A8900016F000169DC0"
SHANGHAI = ZoneInfo("Asia/Shanghai")

# standards.md §8.4 example 1 = HJ 212-2017 附录A.
PACKET_1 = (
    "##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;"
    "CP=&&RtdInterval=30&&1C80\r\n"
)
# standards.md §8.4 example 2 (public code [S15], a T212Mapper test), verbatim.
PACKET_2 = (
    "##0453QN=20160801085000001;ST=22;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=7;"
    "CP=&&DataTime=20160801084000;a21005-Rtd=1.1,a21005-Flag=N;a21004-Rtd=112,a21004-Flag=N;"
    "a21026-Rtd=58,a21026-Flag=N;LA-td=50.1,LA-Flag=N;a34004-Rtd=207,a34004-Flag=N;"
    "a34002-Rtd=295,a34002-Flag=N;a01001-Rtd=12.6,a01001-Flag=N;a01002-Rtd=32,a01002-Flag=N;"
    "a01006-Rtd=101.02,a01006-Flag=N;a01007-Rtd=2.1,a01007-Flag=N;a01008-Rtd=120,"
    "a01008-Flag=N;a34001-Rtd=217,a34001-Flag=N;&&c0c1\r\n"
)
# standards.md §8.4 example 5 (constructed for tests; not from a public source).
PACKET_5 = (
    "##0278QN=20261123090000000;ST=22;CN=2061;PW=123456;MN=010000A8900016F000169DC0;Flag=4;"
    "CP=&&DataTime=20261123080000;a34004-Avg=38,a34004-Flag=N;a34002-Avg=61,a34002-Flag=N;"
    "a21026-Avg=7,a21026-Flag=N;a21004-Avg=29,a21004-Flag=N;a21005-Avg=0.6,a21005-Flag=N;"
    "a05024-Avg=52,a05024-Flag=N&&F3C1\r\n"
)


def _segment(packet: str) -> str:
    return packet[6:-6]


def _reframe(segment: str) -> str:
    """A correctly framed packet around ``segment`` (length and CRC recomputed)."""
    return f"##{len(segment.encode()):04d}{segment}{format_crc(crc16_hj212(segment))}\r\n"


def _edit(packet: str, old: str, new: str) -> str:
    segment = _segment(packet)
    assert old in segment
    return _reframe(segment.replace(old, new, 1))


def _error(packet: str | bytes) -> Hj212Error:
    with pytest.raises(Hj212Error) as info:
        parse_packet(packet)
    return info.value


# --- the standard's own example (附录A) -------------------------------------------------


def test_parse_standard_example_appendix_a() -> None:
    packet = parse_packet(PACKET_1)
    assert (packet.qn, packet.st, packet.cn, packet.pw, packet.mn) == (
        "20160801085857223",
        "32",
        "1062",
        "100000",
        MN,
    )
    assert packet.flag == Hj212Flag(5, 1, False, True)
    assert (packet.pnum, packet.pno) == (None, None)
    assert dict(packet.cp.params) == {"RtdInterval": "30"}
    assert (packet.cp.data_time, packet.cp.items) == (None, ())
    assert (packet.crc, packet.crc_ok, packet.raw) == (0x1C80, True, PACKET_1)
    assert packet.source_id == "cn_mee_hj212_2017"


def test_build_reproduces_standard_example_appendix_a() -> None:
    built = build_packet(
        qn="20160801085857223",
        st="32",
        cn="1062",
        pw="100000",
        mn=MN,
        flag=5,
        cp=Hj212DataArea(params={"RtdInterval": "30"}),
    )
    assert built == PACKET_1


# --- the constructed hourly packet (example 5) ------------------------------------------


def test_parse_constructed_hourly_packet_5() -> None:
    packet = parse_packet(PACKET_5)
    assert (packet.st, packet.cn, packet.flag.value, packet.crc) == ("22", "2061", 4, 0xF3C1)
    # DataTime=20261123080000 on CN 2061 is the hour 08:00–09:00 local (+08:00).
    assert packet.cp.data_time == datetime(2026, 11, 23, 8, tzinfo=SHANGHAI)
    assert packet.cp.data_time.utcoffset() == timedelta(hours=8)
    assert [(i.code, dict(i.values), i.flag) for i in packet.cp.items] == [
        ("a34004", {"Avg": 38.0}, "N"),
        ("a34002", {"Avg": 61.0}, "N"),
        ("a21026", {"Avg": 7.0}, "N"),
        ("a21004", {"Avg": 29.0}, "N"),
        ("a21005", {"Avg": 0.6}, "N"),
        ("a05024", {"Avg": 52.0}, "N"),
    ]


def test_build_reproduces_packet_5_from_items() -> None:
    items = [
        Hj212Item(code, {"Avg": value}, flag="N")
        for code, value in [
            ("a34004", 38),
            ("a34002", 61),
            ("a21026", 7),
            ("a21004", 29),
            ("a21005", 0.6),
            ("a05024", 52),
        ]
    ]
    area = Hj212DataArea(datetime(2026, 11, 23, 0, tzinfo=UTC), tuple(items))
    built = build_packet(qn="20261123090000000", st="22", cn="2061", pw="123456", mn=MN, cp=area)
    assert built == PACKET_5


def test_round_trip_build_parse_build() -> None:
    first = parse_packet(PACKET_5)
    built = build_packet(
        qn=first.qn,
        st=first.st,
        cn=first.cn,
        pw=first.pw,
        mn=first.mn,
        flag=first.flag,
        cp=first.cp,
    )
    second = parse_packet(built)
    assert built == PACKET_5
    assert (second.cp, second.flag, second.qn) == (first.cp, first.flag, first.qn)


# --- example 2 and its defects ----------------------------------------------------------


def test_packet_2_verbatim_flag7_without_pnum_pno() -> None:
    # Defect: "Flag=7 claims a split message, but there are no PNUM/PNO fields."
    # The lower-case CRC c0c1 is accepted: the error is about the Flag, not the CRC.
    error = _error(PACKET_2)
    assert (error.field, error.qn_rtn) == ("Flag", 6)
    assert "PNUM/PNO are missing" in str(error)
    assert PACKET_2[error.position :].startswith("7;CP=")


def test_packet_2_la_td_is_an_unknown_field() -> None:
    # Defect: "LA-td should be LA-Rtd". With the Flag fixed, the field name is rejected.
    packet = _edit(PACKET_2, "Flag=7", "Flag=5")
    error = _error(packet)
    assert error.field == "LA-td"
    assert packet[error.position :].startswith("LA-td=50.1")
    assert (error.qn_rtn, error.exe_rtn) == (2, 3)
    assert "unknown field 'td'" in str(error)
    assert "Rtd, Min, Avg" in str(error)


def test_packet_2_fixed_parses_with_trailing_semicolon_tolerated() -> None:
    # Defect: "There is a trailing ; before &&" — tolerated on input.
    packet = parse_packet(_edit(_edit(PACKET_2, "Flag=7", "Flag=5"), "LA-td", "LA-Rtd"))
    assert packet.cp.data_time == datetime(2016, 8, 1, 8, 40, tzinfo=SHANGHAI)
    assert len(packet.cp.items) == 12
    values = {i.code: i.values["Rtd"] for i in packet.cp.items}
    assert (values["a21005"], values["LA"], values["a01006"], values["a34001"]) == (
        1.1,
        50.1,
        101.02,
        217.0,
    )
    assert {i.flag for i in packet.cp.items} == {"N"}


def test_packet_2_fixed_is_regenerated_strictly() -> None:
    packet = parse_packet(_edit(_edit(PACKET_2, "Flag=7", "Flag=5"), "LA-td", "LA-Rtd"))
    built = build_packet(
        qn=packet.qn,
        st=packet.st,
        cn=packet.cn,
        pw=packet.pw,
        mn=packet.mn,
        flag=packet.flag,
        cp=packet.cp,
    )
    assert ";&&" not in built  # no trailing ';'
    assert built[-6:-2] == built[-6:-2].upper()
    assert built[2:6] == "0453"  # one ';' fewer, one 'R' more than the original
    assert parse_packet(built).cp == packet.cp


# --- CRC and length errors --------------------------------------------------------------


def test_lower_case_crc_tolerated() -> None:
    packet = parse_packet(PACKET_1.replace("1C80", "1c80"))
    assert (packet.crc, packet.crc_ok) == (0x1C80, True)


@pytest.mark.parametrize(
    "crc",
    [
        pytest.param("1C81", id="off-by-one"),
        pytest.param("1C08", id="erratum-in-附录A-text"),
        pytest.param("0759", id="CRC-16/MODBUS"),
    ],
)
def test_corrupted_crc_is_qnrtn_9(crc: str) -> None:
    error = _error(PACKET_1.replace("1C80", crc))
    assert (error.field, error.qn_rtn, error.position) == ("CRC", 9, 107)
    message = str(error)
    assert "CRC 校验错误" in message
    assert f"carries {crc}" in message
    assert "CRC16 is 1C80" in message


def test_corrupted_data_is_a_crc_error() -> None:
    error = _error(PACKET_1.replace("RtdInterval=30", "RtdInterval=31"))
    assert (error.field, error.qn_rtn) == ("CRC", 9)


def test_strict_crc_false_returns_packet_flagged() -> None:
    packet = parse_packet(PACKET_1.replace("1C80", "1C81"), strict_crc=False)
    assert (packet.crc, packet.crc_ok, packet.cn) == (0x1C81, False, "1062")


def test_non_hex_crc() -> None:
    error = _error(PACKET_1.replace("1C80", "1CXY"))
    assert (error.field, error.qn_rtn, error.position) == ("CRC", 9, 107)


@pytest.mark.parametrize("declared", ["0100", "0102"])
def test_length_mismatch_both_sides(declared: str) -> None:
    error = _error(PACKET_1.replace("##0101", f"##{declared}"))
    assert (error.field, error.position, error.qn_rtn) == ("length", 2, 2)
    assert f"declared data-segment length {declared}" in str(error)
    assert "has 101 bytes" in str(error)


@pytest.mark.parametrize("declared", ["01a1", "101Q", "+101"])
def test_length_not_digits(declared: str) -> None:
    error = _error(PACKET_1.replace("0101", declared, 1))
    assert (error.field, error.position) == ("length", 2)


def test_length_counts_utf8_bytes() -> None:
    area = Hj212DataArea(items=(Hj212Item("i12001", text={"Info": "温度"}),))
    built = build_packet(qn="20160801085857223", st="22", cn="3020", pw="1", mn="A", cp=area)
    segment = built[6:-6]
    assert int(built[2:6]) == len(segment.encode()) == len(segment) + 4
    assert parse_packet(built.encode()).cp == area


@pytest.mark.parametrize("head", ["#!", "$$", "0101"])
def test_bad_header(head: str) -> None:
    error = _error(head + PACKET_1[2:])
    assert (error.field, error.position) == ("header", 0)


@pytest.mark.parametrize("packet", ["##0000", "##00001C8", "##0000\r\n"])
def test_truncated_before_crc(packet: str) -> None:
    assert _error(packet).field == "CRC"


def test_empty_segment_with_its_crc_lacks_fields() -> None:
    # The CRC of an empty data segment is the initial register, FFFF; the CP is missing.
    assert _error("##0000FFFF\r\n").field == "CP"


def test_missing_trailer_tolerated_extra_characters_rejected() -> None:
    assert parse_packet(PACKET_1[:-2]).crc_ok
    assert _error(PACKET_1[:-2] + "X\r\n").field == "length"
    assert _error(PACKET_1 + "\r\n").field == "length"


def test_non_utf8_bytes() -> None:
    error = _error(PACKET_1.encode().replace(b"RtdInterval", b"Rtd\xffnterval"))
    assert (error.field, error.position) == ("packet", PACKET_1.index("Interval"))


# --- header fields ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "field", "qn_rtn", "at"),
    [
        pytest.param("QN=20160801085857223", "QN=2016080108585722", "QN", 7, "2016", id="QN-16"),
        pytest.param("QN=20160801085857223", "QN=20161301085857223", "QN", 7, "2016", id="QN-m13"),
        pytest.param("ST=32", "ST=99", "ST", 5, "99;", id="ST-unknown"),
        pytest.param("CN=1062", "CN=1065", "CN", 8, "1065;", id="CN-unknown"),
        pytest.param("PW=100000", "PW=1000000", "PW", 3, "1000000;", id="PW-7-chars"),
        pytest.param("PW=100000", "PW=10-000", "PW", 3, "10-000;", id="PW-dash"),
        pytest.param(f"MN={MN}", f"MN={MN}0", "MN", 4, MN, id="MN-25-chars"),
        pytest.param("Flag=5", "Flag=x", "Flag", 6, "x;", id="Flag-x"),
        pytest.param("Flag=5", "Flag=256", "Flag", 6, "256;", id="Flag-256"),
        pytest.param("Flag=5", "Flag=9", "Flag", 6, "9;", id="Flag-version-2"),
        pytest.param("PW=100000;", "", "PW", 3, "CP=", id="PW-missing"),
        pytest.param("QN=20160801085857223;", "", "QN", 7, "CP=", id="QN-missing"),
        pytest.param("ST=32;", "ST=32;ST=32;", "ST", 5, "ST=32;CN", id="ST-duplicate"),
        pytest.param("ST=32;", "ST=32;XX=1;", "header", 2, "XX=1", id="unknown-field"),
        pytest.param("ST=32;", "ST32;", "header", 2, "ST32", id="no-equals"),
        pytest.param("CP=&&", "CQ=&&", "CP", 2, "CQ=&&", id="CP-missing"),
        pytest.param("CP=&&", "CP=&", "CP", 2, "CP=&", id="CP-delimiter"),
    ],
)
def test_header_field_errors(old: str, new: str, field: str, qn_rtn: int, at: str) -> None:
    packet = _edit(PACKET_1, old, new)
    error = _error(packet)
    assert (error.field, error.qn_rtn) == (field, qn_rtn)
    assert packet[error.position :].startswith(at)
    assert f"QnRtn {qn_rtn}" in str(error)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param("PW=100000", "PW=1", id="PW-1-char"),
        pytest.param("PW=100000", "PW=abcDE6", id="PW-6-chars"),
        pytest.param(f"MN={MN}", "MN=A", id="MN-1-char"),
        pytest.param(f"MN={MN}", "MN=88888888888888", id="MN-14-digits-legacy"),
        pytest.param("Flag=5", "Flag=1", id="Flag-2005"),
        pytest.param("Flag=5", "Flag=4", id="Flag-4"),
        pytest.param("QN=20160801085857223;ST=32;", "ST=32;QN=20160801085857223;", id="order"),
    ],
)
def test_header_field_accepted_edges(old: str, new: str) -> None:
    packet = parse_packet(_edit(PACKET_1, old, new))
    assert packet.cn == "1062"


# --- split messages (Flag D, PNUM, PNO) -------------------------------------------------


@pytest.mark.parametrize(("pnum", "pno"), [(1, 1), (3, 1), (3, 3), (9999, 9999)])
def test_split_packet_accepted(pnum: int, pno: int) -> None:
    packet = parse_packet(_edit(PACKET_1, "Flag=5;", f"Flag=7;PNUM={pnum};PNO={pno};"))
    assert (packet.flag.split, packet.pnum, packet.pno) == (True, pnum, pno)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param("Flag=7;PNUM=3;PNO=4;", "PNO=4 exceeds PNUM=3", id="PNO-above-PNUM"),
        pytest.param("Flag=7;PNUM=3;PNO=0;", "'0' is not a positive", id="PNO-0"),
        pytest.param("Flag=7;PNUM=0;PNO=0;", "'0' is not a positive", id="PNUM-0"),
        pytest.param("Flag=7;PNUM=10000;PNO=1;", "'10000' is not a positive", id="PNUM-5-digits"),
        pytest.param("Flag=7;PNUM=3;", "PNUM/PNO are missing", id="PNO-missing"),
        pytest.param("Flag=5;PNUM=3;PNO=1;", "D=0 but ['PNUM', 'PNO']", id="no-D"),
    ],
)
def test_split_packet_errors(fields: str, message: str) -> None:
    error = _error(_edit(PACKET_1, "Flag=5;", fields))
    assert (error.field, error.qn_rtn) == ("Flag", 6)
    assert message in str(error)


# --- data area through the packet -------------------------------------------------------


def test_data_area_error_position_points_into_packet() -> None:
    packet = _edit(PACKET_5, "a21026-Avg=7", "a21026-Avg=7x")
    error = _error(packet)
    assert error.field == "a21026-Avg"
    assert packet[error.position :].startswith("7x,a21026-Flag")
    assert "'7x' is not a number" in str(error)


def test_unknown_data_flag_lists_table8() -> None:
    error = _error(_edit(PACKET_5, "a34004-Flag=N", "a34004-Flag=X"))
    assert error.field == "a34004-Flag"
    assert "表8: N, F, M, S, D, C, T, B" in str(error)


def test_doubled_dash_tolerated() -> None:
    # HJ 212-2017 field descriptions print "xxxxxx--Avg".
    packet = parse_packet(_edit(PACKET_5, "a34004-Avg=38", "a34004--Avg=38"))
    assert dict(packet.cp.items[0].values) == {"Avg": 38.0}


def test_time_zone_is_an_argument() -> None:
    packet = parse_packet(PACKET_5, tz="UTC")
    assert packet.cp.data_time == datetime(2026, 11, 23, 8, tzinfo=UTC)


# --- strict generation ------------------------------------------------------------------


HEADER: dict[str, Any] = {
    "qn": "20160801085857223",
    "st": "22",
    "cn": "2061",
    "pw": "123456",
    "mn": "A",
}


def _build(**overrides: Any) -> str:
    return build_packet(**{**HEADER, **overrides})


@pytest.mark.parametrize(("size", "ok"), [(950, True), (951, False)])
def test_build_cp_length_edges(size: int, ok: bool) -> None:
    area = Hj212DataArea(params={"X": "1" * (size - len("CP=&&X=&&"))})
    if ok:
        assert f"CP=&&X={'1' * (size - 9)}&&" in _build(cp=area)
    else:
        with pytest.raises(Hj212Error, match="951 characters exceed 950"):
            _build(cp=area)


@pytest.mark.parametrize(("size", "ok"), [(1024, True), (1025, False)])
def test_build_data_segment_length_edges(size: int, ok: bool) -> None:
    # The longest header: 24-character MN, PNUM and PNO; the CP itself stays within 950.
    fixed = len(f"QN={HEADER['qn']};ST=22;CN=2061;PW=123456;MN={'A' * 24};Flag=6;PNUM=1;PNO=1;")
    area = Hj212DataArea(params={"X": "1" * (size - fixed - len("CP=&&X=&&"))})
    kwargs: dict[str, Any] = {"mn": "A" * 24, "cp": area, "flag": 6, "pnum": 1, "pno": 1}
    if ok:
        assert _build(**kwargs)[2:6] == "1024"
    else:
        with pytest.raises(Hj212Error, match="1025 bytes exceeds 1024"):
            _build(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"flag": 7}, "PNUM/PNO are missing", id="D-without-PNUM"),
        pytest.param({"pnum": 2, "pno": 1}, "D=0 but", id="PNUM-without-D"),
        pytest.param({"st": "20"}, "unknown code '20'", id="ST"),
        pytest.param({"qn": "2016"}, "is not a 17-digit", id="QN"),
        pytest.param({"flag": 300}, "0–255", id="Flag"),
    ],
)
def test_build_rejects_invalid_header(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(Hj212Error, match=message):
        _build(**kwargs)


def test_build_default_flag_is_4_and_ends_with_crlf() -> None:
    built = _build()
    assert ";Flag=4;CP=&&&&" in built
    assert built.endswith("\r\n")
    assert parse_packet(built).crc_ok


def test_format_qn_local_milliseconds() -> None:
    when = datetime(2016, 8, 1, 0, 58, 57, 223999, tzinfo=UTC)
    assert format_qn(when) == "20160801085857223"
    assert format_qn(when, tz=timezone(timedelta(hours=0))) == "20160801005857223"


def test_format_qn_naive_rejected() -> None:
    with pytest.raises(Hj212Error, match="is naive"):
        format_qn(datetime(2016, 8, 1))  # noqa: DTZ001
