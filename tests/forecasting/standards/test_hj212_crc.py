"""Tests of the HJ 212-2017 CRC16 (附录A) against the standard's example and other packets.

The packets are quoted verbatim from shared/docs/standards.md §8.4, which quotes
HJ 212-2017 附录A (example 1) and public code (example 2); example 5 was constructed
for ecocast with the verified algorithm.
"""

from __future__ import annotations

import pytest

from forecasting.errors import InputDataError
from forecasting.standards.hj212_codes import read_hj212
from forecasting.standards.hj212_crc import crc16_hj212, format_crc

# HJ 212-2017 附录A, the standard's own example; data length 0101, CRC 1C80. The text after
# it misprints the CRC as "1C08" (erratum).
# ##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;
#   CP=&&RtdInterval=30&&1C80\r\n   (one line in the standard)
SEGMENT_1 = (
    "QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;"
    "CP=&&RtdInterval=30&&"
)
# standards.md §8.4 example 2 (public test code): data length 0453, CRC c0c1 (lower case).
SEGMENT_2 = (
    "QN=20160801085000001;ST=22;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=7;"
    "CP=&&DataTime=20160801084000;a21005-Rtd=1.1,a21005-Flag=N;a21004-Rtd=112,a21004-Flag=N;"
    "a21026-Rtd=58,a21026-Flag=N;LA-td=50.1,LA-Flag=N;a34004-Rtd=207,a34004-Flag=N;"
    "a34002-Rtd=295,a34002-Flag=N;a01001-Rtd=12.6,a01001-Flag=N;a01002-Rtd=32,a01002-Flag=N;"
    "a01006-Rtd=101.02,a01006-Flag=N;a01007-Rtd=2.1,a01007-Flag=N;a01008-Rtd=120,"
    "a01008-Flag=N;a34001-Rtd=217,a34001-Flag=N;&&"
)
# standards.md §8.4 example 5 (constructed for tests): data length 0278, CRC F3C1.
SEGMENT_5 = (
    "QN=20261123090000000;ST=22;CN=2061;PW=123456;MN=010000A8900016F000169DC0;Flag=4;"
    "CP=&&DataTime=20261123080000;a34004-Avg=38,a34004-Flag=N;a34002-Avg=61,a34002-Flag=N;"
    "a21026-Avg=7,a21026-Flag=N;a21004-Avg=29,a21004-Flag=N;a21005-Avg=0.6,a21005-Flag=N;"
    "a05024-Avg=52,a05024-Flag=N&&"
)


def _crc16_modbus(data: bytes) -> int:
    """CRC-16/MODBUS, written out here only to show that HJ 212's CRC is different."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte  # MODBUS: XOR into the unshifted register
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


@pytest.mark.parametrize(
    ("segment", "length", "crc"),
    [
        pytest.param(SEGMENT_1, 101, "1C80", id="standard-example-附录A"),
        pytest.param(SEGMENT_2, 453, "C0C1", id="air-realtime-c0c1"),
        pytest.param(SEGMENT_5, 278, "F3C1", id="constructed-hourly"),
    ],
)
def test_crc16_hj212_published_examples(segment: str, length: int, crc: str) -> None:
    assert len(segment.encode()) == length
    assert format_crc(crc16_hj212(segment)) == crc
    assert crc16_hj212(segment.encode()) == int(crc, 16)


def test_crc16_hj212_is_not_modbus() -> None:
    # standards.md §8.2: "For the standard's example, MODBUS gives 0x0759 but HJ 212 gives 0x1C80."
    assert _crc16_modbus(SEGMENT_1.encode()) == 0x0759
    assert crc16_hj212(SEGMENT_1) == 0x1C80


def test_crc16_hj212_erratum_1c08_is_not_the_crc() -> None:
    # S5 附录A text: "其中 1C08 为 CRC16 校验码" — the packet and the computation give 1C80.
    assert format_crc(crc16_hj212(SEGMENT_1)) != "1C08"


def test_crc16_hj212_matches_reference_c_code_bit_by_bit() -> None:
    # HJ 212-2017 附录A reference C code, written out without the table lookup.
    def reference(data: bytes) -> int:
        crc_reg = 0xFFFF
        for byte in data:
            crc_reg = (crc_reg >> 8) ^ byte
            for _ in range(8):
                check = crc_reg & 0x0001
                crc_reg >>= 1
                if check == 0x0001:
                    crc_reg ^= 0xA001
        return crc_reg

    for data in (b"", b"\x00", b"\xff" * 7, SEGMENT_2.encode(), "中文 UTF-8".encode()):
        assert crc16_hj212(data) == reference(data)


def test_crc16_hj212_empty_input_is_initial_register() -> None:
    assert crc16_hj212(b"") == read_hj212().crc_initial == 0xFFFF


def test_crc16_hj212_str_is_utf8() -> None:
    assert crc16_hj212("温度") == crc16_hj212("温度".encode())


@pytest.mark.parametrize(
    ("crc", "text"), [(0, "0000"), (0xA1, "00A1"), (0x1C80, "1C80"), (0xFFFF, "FFFF")]
)
def test_format_crc_four_upper_case_hex_digits(crc: int, text: str) -> None:
    assert format_crc(crc) == text


@pytest.mark.parametrize("crc", [-1, 0x10000])
def test_format_crc_out_of_range(crc: int) -> None:
    with pytest.raises(InputDataError, match=r"does not fit 4 hex digits \(0–65535\)"):
        format_crc(crc)
