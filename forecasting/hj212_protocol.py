"""HJ 212-2017 on the wire: cut a byte stream into packets and decide each answer.

Pure functions, used by the listener (:mod:`forecasting.hj212_server`) and
testable without a socket. The listener is a passive central station (上位机):
it stores data and answers as HJ 212-2017 prescribes, but executes no command.

Answers (ecocast's reading of §6, 表6, 表7, 表9):

============================================  ===========================================
packet                                        answer
============================================  ===========================================
CRC error                                     9011 ``QnRtn=9`` (CRC 校验错误), not executed
other malformed packet (length, field, …)     9011 with the error's ``QnRtn`` (2, 5–8)
MN not in the partner file                    9011 ``QnRtn=4`` (MN 错)
PW differs from the partner's ``password``    9011 ``QnRtn=3`` (PW 错)
data upload (CN 2011/2031/2051/2061)          9014 数据应答 if Flag A=1, AFTER the commit
other upload (CN 2021/2041/2081)              9014 if Flag A=1 (not stored)
request or command (1xxx, 2012, 2022, 3xxx)   9011 ``QnRtn=2`` (请求被拒绝): executes nothing
an answer (ST 91, CN 9011–9014)               none
============================================  ===========================================

§8.2 says "接收到一条命令，如果 CRC 错误，执行结束" and 表7 defines QnRtn 9 "CRC 校验错误".
ecocast reads both: the packet is not executed (nothing is stored), and the
answer QnRtn=9 tells the logger to resend now instead of after its timeout.
A packet too damaged to echo its QN, PW and MN cannot be answered; it is
dropped (``answer_crc_errors=False`` drops every CRC error without an answer).
Errors and requests are answered whatever Flag A says; only the 9014 data
acknowledgement depends on A, as 表3 prescribes.

References
----------
.. [1] HJ 212-2017 污染物在线监控（监测）系统数据传输标准, §6.3 (表2 packet, 表3 Flag),
   附录A (CRC16), 表5 (ST 91), 表6 (ExeRtn), 表7 (QnRtn), 表9 (CN); data file
   ``cn_mee_hj212_2017``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from forecasting.ingest.hj212_partners import Hj212Partners
from forecasting.standards.hj212 import Hj212Packet, parse_packet
from forecasting.standards.hj212_codes import Hj212Error, Hj212Standard, read_hj212
from forecasting.standards.hj212_cp import HJ212_TIMEZONE, Hj212DataArea
from forecasting.standards.hj212_flag import decode_flag, encode_flag
from forecasting.standards.hj212_responses import build_data_ack, build_qn_response

__all__ = [
    "OTHER_UPLOADS",
    "Hj212Decision",
    "decide",
    "max_frame_bytes",
    "split_frames",
]

OTHER_UPLOADS = frozenset({"2021", "2041", "2081"})
"""Uploads of 表9 (equipment status, run time, boot time) acknowledged but not stored."""

_ECHO = {
    name: re.compile(rf"(?:^|;|##[0-9]{{4}}){name}=([^;&]*);")
    for name in ("QN", "PW", "MN", "Flag")
}


@dataclass(frozen=True)
class Hj212Decision:
    """What to do with one received packet (:func:`decide`).

    Attributes
    ----------
    answer : str or None
        Packet to send at once (9011, or a 9014 for an upload that is not stored).
    packet : Hj212Packet or None
        A data packet to store; its 9014 (``ack``) waits for the commit.
    ack : str or None
        9014 to send after the commit (Flag A=1 only).
    reject : tuple of (str, str) or None
        ``(field, reason)`` for the quarantine report.
    note : str
        What was decided, for the log.
    """

    answer: str | None = None
    packet: Hj212Packet | None = None
    ack: str | None = None
    reject: tuple[str, str] | None = None
    note: str = ""


def max_frame_bytes(standard: Hj212Standard | None = None) -> int:
    """Return the longest packet the standard allows: header, length, 1024, CRC, CR LF [bytes]."""
    std = standard or read_hj212()
    return (
        len(std.header)
        + std.length_digits
        + std.data_segment_max_length
        + std.crc_hex_digits
        + len(std.trailer)
    )


def split_frames(
    buffer: bytes, standard: Hj212Standard | None = None
) -> tuple[list[bytes], list[tuple[bytes, str]], bytes]:
    """Cut received bytes into packets by ``##LLLL…<CR><LF>``.

    Parameters
    ----------
    buffer : bytes
        Bytes received so far on one connection.
    standard : Hj212Standard, optional
        Packet layout; default :func:`~forecasting.standards.hj212_codes.read_hj212` ().

    Returns
    -------
    frames : list of bytes
        Complete packets, each cut at its first CR LF (the data segment cannot
        hold CR or LF), so a wrong declared length is reported by parsing.
    dropped : list of (bytes, str)
        Bytes that are no packet (no ``##LLLL`` header, a packet cut short by the
        next header, or longer than :func:`max_frame_bytes`), with the reason.
    rest : bytes
        An unfinished packet to complete with the next read (shorter than
        :func:`max_frame_bytes`).

    References
    ----------
    .. [1] HJ 212-2017, §6.3 表2: ``##``, 4-digit length, data segment 0–1024,
       4-digit CRC, CR LF.
    """
    std = standard or read_hj212()
    head, tail, limit = std.header.encode(), std.trailer.encode(), max_frame_bytes(std)
    header = re.compile(re.escape(head) + rb"[0-9]{%d}" % std.length_digits)
    frames: list[bytes] = []
    dropped: list[tuple[bytes, str]] = []
    pos = 0
    while True:
        found = header.search(buffer, pos)
        if found is None:
            keep = _partial_header(buffer, pos, head, std.length_digits)
            _drop(dropped, buffer[pos:keep], f"no {std.header!r}+LLLL header")
            return frames, dropped, buffer[keep:]
        start = found.start()
        _drop(dropped, buffer[pos:start], f"bytes before {std.header!r}+LLLL")
        crlf = buffer.find(tail, found.end())
        later = header.search(buffer, found.end())
        if later is not None and (crlf < 0 or later.start() < crlf):
            dropped.append((buffer[start : later.start()], "truncated: a new header before CR LF"))
            pos = later.start()
        elif crlf < 0:
            if len(buffer) - start < limit:
                return frames, dropped, buffer[start:]
            dropped.append((buffer[start:], f"longer than {limit} bytes without CR LF"))
            return frames, dropped, b""
        elif crlf + len(tail) - start > limit:
            dropped.append((buffer[start : crlf + len(tail)], f"longer than {limit} bytes"))
            pos = crlf + len(tail)
        else:
            frames.append(buffer[start : crlf + len(tail)])
            pos = crlf + len(tail)


def _partial_header(buffer: bytes, pos: int, head: bytes, digits: int) -> int:
    """Where a header that the next read may complete begins (``len(buffer)`` if none)."""
    for k in range(max(pos, len(buffer) - len(head) - digits + 1), len(buffer)):
        lead, rest = buffer[k : k + len(head)], buffer[k + len(head) :]
        if head.startswith(lead) and (not rest or rest.isdigit()):
            return k
    return len(buffer)


def _drop(dropped: list[tuple[bytes, str]], data: bytes, reason: str) -> None:
    if data.strip():
        dropped.append((data, reason))


def _echo_request(frame: bytes, std: Hj212Standard) -> Hj212Packet | None:
    """Return a request carrying the QN, PW, MN and version of a damaged packet, or None."""
    try:
        return parse_packet(frame, strict_crc=False, standard=std)
    except Hj212Error:
        pass
    text = frame.decode(std.encoding, "replace")
    found = {k: m.group(1) for k, rx in _ECHO.items() if (m := rx.search(text))}
    try:
        version = decode_flag(int(found.get("Flag", "")), std).version
    except (ValueError, Hj212Error):
        version = std.current_version
    try:
        request = Hj212Packet(
            qn=found["QN"],
            st=std.interaction["st"],
            cn=std.interaction["qn_response_cn"],
            pw=found["PW"],
            mn=found["MN"],
            flag=encode_flag(version=version, standard=std),
            pnum=None,
            pno=None,
            cp=Hj212DataArea(),
            raw=text,
            crc=0,
            crc_ok=False,
            source_id=std.source.id,
        )
        build_qn_response(request, std.rejected_qn_rtn, standard=std)
    except (KeyError, Hj212Error):
        return None
    return request


def _refuse(frame: bytes, error: Hj212Error, std: Hj212Standard, *, answer: bool) -> Hj212Decision:
    request = _echo_request(frame, std) if answer else None
    text = None if request is None else build_qn_response(request, error.qn_rtn, standard=std)
    note = f"refused (QnRtn {error.qn_rtn})" if text else "dropped, cannot be answered"
    return Hj212Decision(answer=text, reject=(error.field, str(error)), note=f"{note}: {error}")


def decide(
    frame: bytes,
    partners: Hj212Partners,
    *,
    answer_crc_errors: bool = True,
    other_uploads: frozenset[str] = OTHER_UPLOADS,
    standard: Hj212Standard | None = None,
) -> Hj212Decision:
    """Decide how the listener answers one packet and whether it stores it.

    Parameters
    ----------
    frame : bytes
        One packet as framed by :func:`split_frames`.
    partners : Hj212Partners
        Known devices (MN), their zones and passwords.
    answer_crc_errors : bool
        Answer a CRC error with QnRtn 9 (default) or drop it.
    other_uploads : frozenset of str
        Uploads acknowledged but not stored.
    standard : Hj212Standard, optional
        Tables; default :func:`~forecasting.standards.hj212_codes.read_hj212` ().

    Returns
    -------
    Hj212Decision
        The answer to send now, or the data packet to store and its deferred
        9014; see the module docstring's table.

    References
    ----------
    .. [1] HJ 212-2017, §6.3, 附录A, 表7 (QnRtn), 表9 (CN 9011, 9014).
    """
    std = standard or read_hj212()
    try:
        packet = parse_packet(frame, standard=std)
    except Hj212Error as exc:
        return _refuse(frame, exc, std, answer=exc.field != "CRC" or answer_crc_errors)
    partner = partners.get(packet.mn)
    if partner is None:
        error = Hj212Error(
            f"MN {packet.mn!r} is not in the partner file {partners.path}",
            field="MN",
            qn_rtn=std.qn_rtn_by_field["MN"],
        )
        return _refuse(frame, error, std, answer=True)
    if partner.password is not None and packet.pw != partner.password:
        error = Hj212Error(
            f"PW of MN {packet.mn} does not match {partner.where}",
            field="PW",
            qn_rtn=std.qn_rtn_by_field["PW"],
        )
        return _refuse(frame, error, std, answer=True)
    if packet.st == std.interaction["st"] or packet.cn in _answer_commands(std):
        return Hj212Decision(note=f"answer CN {packet.cn} from MN {packet.mn}: not answered")
    ack = build_data_ack(packet, standard=std) if packet.flag.ack else None
    if packet.cn in std.data_commands:
        if partner.timezone != HJ212_TIMEZONE:
            packet = parse_packet(frame, tz=partner.timezone, standard=std)
        return Hj212Decision(packet=packet, ack=ack, note=f"data CN {packet.cn}: queued")
    if packet.cn in other_uploads:
        return Hj212Decision(answer=ack, note=f"upload CN {packet.cn}: acknowledged, not stored")
    answer = build_qn_response(packet, std.rejected_qn_rtn, standard=std)
    return Hj212Decision(answer=answer, note=f"request CN {packet.cn}: refused (QnRtn 2)")


def _answer_commands(std: Hj212Standard) -> frozenset[str]:
    keys = ("qn_response_cn", "exe_response_cn", "notice_ack_cn", "data_ack_cn")
    return frozenset(std.interaction[k] for k in keys)
