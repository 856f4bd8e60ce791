"""Answers of a central station to HJ 212-2017 requests and uploads (system 91).

A central station answers a request with 请求应答 (CN 9011, ``QnRtn``), reports the
result of a command with 执行结果 (CN 9012, ``ExeRtn``) and acknowledges an upload
whose Flag sets A with 数据应答 (CN 9014). Each answer is a system-interaction
packet (ST 91) that echoes the request's QN, PW and MN and its protocol version,
with a Flag that neither splits nor asks for an acknowledgement (``Flag=4`` for
HJ 212-2017). When a packet cannot be parsed,
:class:`~forecasting.standards.hj212_codes.Hj212Error` carries the ``qn_rtn`` /
``exe_rtn`` to answer with.

References
----------
.. [1] HJ 212-2017 污染物在线监控（监测）系统数据传输标准, 表5 (ST 91), 表6 (ExeRtn),
   表7 (QnRtn), 表9 (CN 9011–9014); data file ``cn_mee_hj212_2017``.
"""

from __future__ import annotations

from collections.abc import Mapping

from forecasting.errors import UnknownStandardError
from forecasting.standards.hj212 import Hj212Packet, build_packet
from forecasting.standards.hj212_codes import Hj212Standard, read_hj212
from forecasting.standards.hj212_cp import Hj212DataArea
from forecasting.standards.hj212_flag import encode_flag

__all__ = ["build_data_ack", "build_exe_response", "build_qn_response"]


def _answer(
    std: Hj212Standard, request: Hj212Packet, cn_key: str, params: Mapping[str, str]
) -> str:
    flag = encode_flag(version=request.flag.version, standard=std)
    return build_packet(
        qn=request.qn,
        st=std.interaction["st"],
        cn=std.interaction[cn_key],
        pw=request.pw,
        mn=request.mn,
        flag=flag,
        cp=Hj212DataArea(params=params),
        standard=std,
    )


def _checked(table: Mapping[int, str], kind: str, code: int) -> str:
    if code not in table:
        raise UnknownStandardError(kind, code, table)
    return str(code)


def build_qn_response(
    request: Hj212Packet, qn_rtn: int, *, standard: Hj212Standard | None = None
) -> str:
    """Answer a request with ``QnRtn`` (请求应答, ST 91, CN 9011).

    Parameters
    ----------
    request : Hj212Packet
        The request; its QN, PW, MN and protocol version are echoed.
    qn_rtn : int
        表7 code: 1 准备执行, 2 请求被拒绝, … 9 CRC 校验错误 (``Hj212Error.qn_rtn``).
    standard : Hj212Standard, optional
        Tables; default :func:`~forecasting.standards.hj212_codes.read_hj212` ().

    Returns
    -------
    str
        ``…ST=91;CN=9011;…;Flag=4;CP=&&QnRtn=1&&…``: the answer needs no
        acknowledgement and is not split.

    Raises
    ------
    UnknownStandardError
        If ``qn_rtn`` is not in 表7.

    References
    ----------
    .. [1] HJ 212-2017, 表5 (ST 91), 表7 (QnRtn), 表9 (CN 9011).
    """
    std = standard or read_hj212()
    code = _checked(std.qn_rtn, "HJ 212 QnRtn code", qn_rtn)
    return _answer(std, request, "qn_response_cn", {"QnRtn": code})


def build_exe_response(
    request: Hj212Packet, exe_rtn: int, *, standard: Hj212Standard | None = None
) -> str:
    """Report the result of a command with ``ExeRtn`` (执行结果, ST 91, CN 9012).

    Parameters
    ----------
    request : Hj212Packet
        The command; its QN, PW, MN and protocol version are echoed.
    exe_rtn : int
        表6 code: 1 成功, 2 失败，原因不明, 3 命令请求条件错误, … 100 没有数据.
    standard : Hj212Standard, optional
        Tables; default :func:`~forecasting.standards.hj212_codes.read_hj212` ().

    Returns
    -------
    str

    Raises
    ------
    UnknownStandardError
        If ``exe_rtn`` is not in 表6.

    References
    ----------
    .. [1] HJ 212-2017, 表6 (ExeRtn), 表9 (CN 9012).
    """
    std = standard or read_hj212()
    code = _checked(std.exe_rtn, "HJ 212 ExeRtn code", exe_rtn)
    return _answer(std, request, "exe_response_cn", {"ExeRtn": code})


def build_data_ack(request: Hj212Packet, *, standard: Hj212Standard | None = None) -> str:
    """Acknowledge an upload (数据应答, ST 91, CN 9014, empty data area).

    Send it when the upload's flag asks for it (``request.flag.ack``).

    Parameters
    ----------
    request : Hj212Packet
        The upload; its QN, PW, MN and protocol version are echoed.
    standard : Hj212Standard, optional
        Tables; default :func:`~forecasting.standards.hj212_codes.read_hj212` ().

    Returns
    -------
    str

    References
    ----------
    .. [1] HJ 212-2017, 表3 (Flag A bit), 表9 (CN 9014).
    """
    std = standard or read_hj212()
    return _answer(std, request, "data_ack_cn", {})
