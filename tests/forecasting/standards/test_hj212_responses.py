"""Tests of the central station's answers (HJ 212-2017 表5 ST 91, 表6, 表7, 表9 CN 9011–9014).

standards.md §8.3: "91 | 系统交互 (acknowledgements)"; "9011 请求应答, 9012 执行结果, 9013 通知应答,
9014 数据应答"; 表7 "9 | CRC 校验错误"; 表6 "1 | 成功", "100 | 没有数据".
The request is the standard's own example (附录A), quoted from standards.md §8.4:
##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80
"""

from __future__ import annotations

import pytest

from forecasting.errors import UnknownStandardError
from forecasting.standards.hj212 import parse_packet
from forecasting.standards.hj212_codes import Hj212Error
from forecasting.standards.hj212_responses import (
    build_data_ack,
    build_exe_response,
    build_qn_response,
)

PACKET_1 = (
    "##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;"
    "CP=&&RtdInterval=30&&1C80\r\n"
)
REQUEST = parse_packet(PACKET_1)


def _check_echo(text: str, cn: str) -> dict[str, str]:
    answer = parse_packet(text)
    assert (answer.st, answer.cn) == ("91", cn)
    assert (answer.qn, answer.pw, answer.mn) == (REQUEST.qn, REQUEST.pw, REQUEST.mn)
    # The answer keeps the request's protocol version, needs no ack and is not split: Flag=4.
    assert (answer.flag.value, answer.flag.version, answer.pnum) == (4, 1, None)
    return dict(answer.cp.params)


@pytest.mark.parametrize("qn_rtn", [1, 2, 9, 100])
def test_qn_response_9011(qn_rtn: int) -> None:
    text = build_qn_response(REQUEST, qn_rtn)
    assert _check_echo(text, "9011") == {"QnRtn": str(qn_rtn)}
    assert f";CP=&&QnRtn={qn_rtn}&&" in text


@pytest.mark.parametrize("exe_rtn", [1, 3, 100])
def test_exe_response_9012(exe_rtn: int) -> None:
    assert _check_echo(build_exe_response(REQUEST, exe_rtn), "9012") == {"ExeRtn": str(exe_rtn)}


def test_data_ack_9014_has_empty_data_area() -> None:
    text = build_data_ack(REQUEST)
    assert _check_echo(text, "9014") == {}
    assert text.startswith("##0087QN=20160801085857223;ST=91;CN=9014;PW=100000;")
    assert ";Flag=4;CP=&&&&" in text
    assert text.endswith("\r\n")


@pytest.mark.parametrize("qn_rtn", [0, 10, 99, 101])
def test_qn_response_code_outside_table7(qn_rtn: int) -> None:
    with pytest.raises(
        UnknownStandardError,
        match=r"QnRtn code \d+; choose one of: 1, 100, 2, 3, 4, 5, 6, 7, 8, 9$",
    ):
        build_qn_response(REQUEST, qn_rtn)


@pytest.mark.parametrize("exe_rtn", [0, 7, 99, 101])
def test_exe_response_code_outside_table6(exe_rtn: int) -> None:
    with pytest.raises(
        UnknownStandardError, match=r"ExeRtn code \d+; choose one of: 1, 100, 2, 3, 4, 5, 6$"
    ):
        build_exe_response(REQUEST, exe_rtn)


def test_crc_error_answered_with_qnrtn_9() -> None:
    # A listener that reads a packet with a wrong CRC answers "CRC 校验错误" (QnRtn 9).
    corrupted = PACKET_1.replace("1C80", "1C81")
    with pytest.raises(Hj212Error) as info:
        parse_packet(corrupted)
    request = parse_packet(corrupted, strict_crc=False)
    assert _check_echo(build_qn_response(request, info.value.qn_rtn), "9011") == {"QnRtn": "9"}
