"""HJ 212-2017 packets: parse tolerantly, build strictly, answer requests.

A packet is ``## + LLLL + <data segment> + CCCC + <CR><LF>`` (§6.3, 表2): the
header, the data-segment length in four decimal digits, the data segment
``QN=…;ST=…;CN=…;PW=…;MN=…;Flag=…;[PNUM=…;PNO=…;]CP=&&…&&``, its CRC16
(附录A, :mod:`~forecasting.standards.hj212_crc`) in four hex digits, and CR LF.

Answers to requests are in :mod:`~forecasting.standards.hj212_responses`.

Parsing follows "tolerant parsing, strict generation". Tolerated: lower-case
CRC hex, a missing CR LF (a TCP listener usually strips it), header fields in
another order, a trailing ``;`` in the data area and ``xxxxxx--Avg``.
Everything else raises :class:`~forecasting.standards.hj212_codes.Hj212Error`,
which names the field and the character position and carries the ``QnRtn``
(表7) to answer with: bad header or length (2), bad CRC ("CRC 校验错误", 9),
bad QN (7), ST (5), CN (8), PW (3), MN (4), Flag or ``PNUM``/``PNO`` (6).
HJ/T 212-2005 packets without ``QN`` or ``Flag`` are rejected as missing a field.
PW and MN are checked for their 表3 length (at most 6 and 24 letters or digits),
not for the EPC-96 form of MN, because answers must echo what a station sends.

The data-segment length counts bytes of the UTF-8 text, so that length and CRC
cover the same bytes; for ASCII packets bytes and characters coincide.

References
----------
.. [1] HJ 212-2017 污染物在线监控（监测）系统数据传输标准, §6.3, 表2, 表3, 表7, 表9,
   附录A; data file ``cn_mee_hj212_2017``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo

from forecasting.standards.hj212_codes import Hj212Error, Hj212Standard, read_hj212
from forecasting.standards.hj212_cp import (
    HJ212_TIMEZONE,
    Hj212DataArea,
    _parse_time,
    _zone,
    format_data_area,
    parse_data_area,
)
from forecasting.standards.hj212_crc import crc16_hj212, format_crc
from forecasting.standards.hj212_flag import Hj212Flag, decode_flag, encode_flag

__all__ = [
    "Hj212Packet",
    "build_packet",
    "format_qn",
    "parse_packet",
]

_HEX = re.compile(r"[0-9A-Fa-f]+")
_DIGITS = re.compile(r"[0-9]+")
_ALNUM = re.compile(r"[A-Za-z0-9]+")
_CP_OPEN, _CP_CLOSE = "CP=&&", "&&"
_REQUIRED = ("QN", "ST", "CN", "PW", "MN", "Flag")


@dataclass(frozen=True)
class Hj212Packet:
    """A parsed HJ 212 packet.

    Attributes
    ----------
    qn : str
        ``QN``: request id, ``YYYYMMDDhhmmsszzz`` (echoed in answers).
    st : str
        System code (表5), e.g. ``"22"`` 空气质量监测.
    cn : str
        Command code (表9), e.g. ``"2061"`` hourly data.
    pw : str
        Access password.
    mn : str
        Device id.
    flag : Hj212Flag
        Protocol version, split (D) and acknowledge (A) bits.
    pnum, pno : int or None
        Total packets and this packet's number when ``flag.split``.
    cp : Hj212DataArea
        The parsed data area (``DataTime`` timezone-aware, items, parameters).
    raw : str
        The packet text as received.
    crc : int
        The CRC the packet carries.
    crc_ok : bool
        Whether it equals the computed CRC (always True with ``strict_crc``).
    source_id : str
        Id of the standard the packet was read with (``"cn_mee_hj212_2017"``).
    """

    qn: str
    st: str
    cn: str
    pw: str
    mn: str
    flag: Hj212Flag
    pnum: int | None
    pno: int | None
    cp: Hj212DataArea
    raw: str
    crc: int
    crc_ok: bool
    source_id: str


def _fail(std: Hj212Standard, field: str, message: str, position: int | None) -> Hj212Error:
    where = "" if position is None else f" at position {position}"
    qn_rtn = std.qn_rtn_by_field.get(field, std.rejected_qn_rtn)
    return Hj212Error(
        f"{field}: {message}{where} (QnRtn {qn_rtn}: {std.qn_rtn[qn_rtn]})",
        field=field,
        position=position,
        qn_rtn=qn_rtn,
    )


def _max_len(std: Hj212Standard, name: str) -> int:
    """Longest value of a 表3 field (its printed length includes ``name=``)."""
    return std.field_lengths[name] - len(name) - 1


def _check_header(
    std: Hj212Standard, fields: Mapping[str, tuple[str, int | None]]
) -> tuple[Hj212Flag, int | None, int | None]:
    """Validate QN … PNO; return the decoded flag, PNUM and PNO."""
    qn, at = fields["QN"]
    digits = _max_len(std, "QN")
    if not (len(qn) == digits and _DIGITS.fullmatch(qn)) or not _parse_time(
        qn[: std.time_format_digits], _zone("UTC"), std.time_format_digits
    ):
        raise _fail(std, "QN", f"{qn!r} is not a {digits}-digit YYYYMMDDhhmmsszzz time", at)
    for name, table in (("ST", std.system_codes), ("CN", std.command_codes)):
        code, at = fields[name]
        if code not in table:
            raise _fail(std, name, f"unknown code {code!r}; valid: {', '.join(table)}", at)
    for name in ("PW", "MN"):
        text, at = fields[name]
        if not (_ALNUM.fullmatch(text) and len(text) <= _max_len(std, name)):
            limit = _max_len(std, name)
            raise _fail(std, name, f"{text!r} must be 1–{limit} letters or digits", at)
    text, at = fields["Flag"]
    if not (_DIGITS.fullmatch(text) and len(text) <= _max_len(std, "Flag")):
        top = (1 << len(std.flag_bits)) - 1
        raise _fail(std, "Flag", f"{text!r} is not an integer 0–{top}", at)
    try:
        flag = decode_flag(int(text), std)
    except Hj212Error as exc:
        raise _fail(std, "Flag", str(exc), at) from None
    return (flag, *_check_split(std, flag, fields))


def _check_split(
    std: Hj212Standard, flag: Hj212Flag, fields: Mapping[str, tuple[str, int | None]]
) -> tuple[int | None, int | None]:
    present = [name for name in ("PNUM", "PNO") if name in fields]
    if not flag.split:
        if present:
            at = fields[present[0]][1]
            raise _fail(std, "Flag", f"Flag={flag.value} has D=0 but {present} is sent", at)
        return None, None
    if len(present) < 2:
        raise _fail(
            std,
            "Flag",
            f"Flag={flag.value} sets D (split message) but PNUM/PNO are missing; "
            "send PNUM=…;PNO=… or clear D",
            fields["Flag"][1],
        )
    numbers = []
    for name in ("PNUM", "PNO"):
        text, at = fields[name]
        if not (_DIGITS.fullmatch(text) and len(text) <= _max_len(std, name) and int(text)):
            raise _fail(std, "Flag", f"{name}={text!r} is not a positive integer", at)
        numbers.append(int(text))
    if numbers[1] > numbers[0]:
        raise _fail(std, "Flag", f"PNO={numbers[1]} exceeds PNUM={numbers[0]}", fields["PNO"][1])
    return numbers[0], numbers[1]


def _frame(std: Hj212Standard, packet: str) -> tuple[str, str, int]:
    """Check header and length; return the data segment, CRC text and CRC position."""
    head, n = std.header, std.length_digits
    if not packet.startswith(head):
        raise _fail(std, "header", f"packet must start with {head!r}, not {packet[:2]!r}", 0)
    declared = packet[len(head) : len(head) + n]
    if not (len(declared) == n and _DIGITS.fullmatch(declared)):
        raise _fail(std, "length", f"{declared!r} is not {n} decimal digits", len(head))
    start = len(head) + n
    end = len(packet) - len(std.trailer) if packet.endswith(std.trailer) else len(packet)
    crc_at = end - std.crc_hex_digits
    if crc_at < start:
        raise _fail(std, "CRC", f"packet ends before its {std.crc_hex_digits}-digit CRC", end)
    segment = packet[start:crc_at]
    actual = len(segment.encode(std.encoding))
    if actual != int(declared):
        raise _fail(
            std,
            "length",
            f"declared data-segment length {declared} but the data segment (from position "
            f"{start} to the {std.crc_hex_digits}-digit CRC before CR LF) has {actual} bytes",
            len(head),
        )
    crc_text = packet[crc_at:end]
    if not _HEX.fullmatch(crc_text):
        raise _fail(std, "CRC", f"{crc_text!r} is not {std.crc_hex_digits} hex digits", crc_at)
    return segment, crc_text, crc_at


def _split_segment(
    std: Hj212Standard, segment: str, base: int
) -> tuple[dict[str, tuple[str, int | None]], int]:
    """Split ``QN=…;…;`` up to ``CP=``; return the fields and the position of CP."""
    fields: dict[str, tuple[str, int | None]] = {}
    names = [name for name in std.field_lengths if name != "CP"]
    pos = 0
    while not segment.startswith("CP=", pos):
        semi = segment.find(";", pos)
        if semi < 0:
            raise _fail(std, "CP", "missing 'CP=&&…&&' after the header fields", base + pos)
        name, sep, text = segment[pos:semi].partition("=")
        if not sep or name not in names:
            raise _fail(
                std,
                "header",
                f"{segment[pos:semi]!r} is not one of {names} as name=value",
                base + pos,
            )
        if name in fields:
            raise _fail(std, name, "duplicate field", base + pos)
        fields[name] = (text, base + pos + len(name) + 1)
        pos = semi + 1
    for name in _REQUIRED:
        if name not in fields:
            raise _fail(std, name, f"missing field {name} (before CP)", base + pos)
    return fields, base + pos


def parse_packet(
    text: str | bytes,
    *,
    strict_crc: bool = True,
    tz: str | tzinfo = HJ212_TIMEZONE,
    standard: Hj212Standard | None = None,
) -> Hj212Packet:
    r"""Parse one HJ 212 packet.

    Parameters
    ----------
    text : str or bytes
        The packet, with or without the final CR LF; bytes are decoded as UTF-8.
    strict_crc : bool
        Raise on a CRC mismatch (default). With False the packet is returned with
        ``crc_ok=False``, e.g. to log what a faulty data logger sends.
    tz : str or tzinfo
        Zone of the packet's local times (``DataTime``); default ``"Asia/Shanghai"``.
    standard : Hj212Standard, optional
        Tables; default :func:`~forecasting.standards.hj212_codes.read_hj212` ().

    Returns
    -------
    Hj212Packet

    Raises
    ------
    Hj212Error
        Naming the field, the position and the ``QnRtn`` to answer with: bad
        header, length mismatch (declared vs actual), bad CRC (expected vs got,
        QnRtn 9), missing or malformed fields, D set without ``PNUM``/``PNO``,
        and the data-area errors of
        :func:`~forecasting.standards.hj212_cp.parse_data_area`.

    References
    ----------
    .. [1] HJ 212-2017, §6.3 (图4, 表2, 表3), 附录A (CRC16).

    Examples
    --------
    The example of 附录A:

    >>> p = parse_packet(
    ...     "##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;"
    ...     "MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80\r\n"
    ... )
    >>> p.cn, p.flag.ack, p.cp.params["RtdInterval"]
    ('1062', True, '30')
    """
    std = standard or read_hj212()
    if isinstance(text, bytes):
        try:
            text = text.decode(std.encoding)
        except UnicodeDecodeError as exc:
            raise _fail(
                std, "packet", f"not {std.encoding} text: {exc.reason}", exc.start
            ) from None
    segment, crc_text, crc_at = _frame(std, text)
    computed, received = crc16_hj212(segment, std), int(crc_text, 16)
    if strict_crc and computed != received:
        raise _fail(
            std,
            "CRC",
            f"CRC 校验错误: the packet carries {crc_text} but the data segment's HJ 212 "
            f"CRC16 is {format_crc(computed, std)}",
            crc_at,
        )
    base = len(std.header) + std.length_digits
    fields, cp_at = _split_segment(std, segment, base)
    flag, pnum, pno = _check_header(std, fields)
    cp = segment[cp_at - base :]
    if not (
        cp.startswith(_CP_OPEN)
        and cp.endswith(_CP_CLOSE)
        and len(cp) >= len(_CP_OPEN) + len(_CP_CLOSE)
    ):
        raise _fail(std, "CP", f"{cp[:20]!r}… must be CP=&&…&&", cp_at)
    area = parse_data_area(
        cp[len(_CP_OPEN) : -len(_CP_CLOSE)], offset=cp_at + len(_CP_OPEN), tz=tz, standard=std
    )
    return Hj212Packet(
        qn=fields["QN"][0],
        st=fields["ST"][0],
        cn=fields["CN"][0],
        pw=fields["PW"][0],
        mn=fields["MN"][0],
        flag=flag,
        pnum=pnum,
        pno=pno,
        cp=area,
        raw=text,
        crc=received,
        crc_ok=computed == received,
        source_id=std.source.id,
    )


def build_packet(
    *,
    qn: str,
    st: str,
    cn: str,
    pw: str,
    mn: str,
    cp: Hj212DataArea | None = None,
    flag: Hj212Flag | int | None = None,
    pnum: int | None = None,
    pno: int | None = None,
    tz: str | tzinfo = HJ212_TIMEZONE,
    standard: Hj212Standard | None = None,
) -> str:
    """Build one HJ 212 packet strictly: fields in 表3 order, correct length and CRC, CR LF.

    Parameters
    ----------
    qn : str
        Request id ``YYYYMMDDhhmmsszzz`` (see :func:`format_qn`).
    st, cn : str
        System code (表5) and command code (表9).
    pw, mn : str
        Password and device id.
    cp : Hj212DataArea, optional
        Data area; default empty (``CP=&&&&``).
    flag : Hj212Flag or int, optional
        Default: this edition's version, no split, no acknowledgement (``4``).
    pnum, pno : int, optional
        Required exactly when the flag sets D.
    tz : str or tzinfo
        Zone in which times are written; default ``"Asia/Shanghai"``.
    standard : Hj212Standard, optional
        Tables; default :func:`~forecasting.standards.hj212_codes.read_hj212` ().

    Returns
    -------
    str
        The packet, ending in CR LF.

    Raises
    ------
    Hj212Error
        If a field is invalid, the data area exceeds its 950 characters or the
        data segment its 1024 (split the message with D, ``PNUM`` and ``PNO``).

    References
    ----------
    .. [1] HJ 212-2017, §6.3 (表2, 表3), 附录A.
    """
    std = standard or read_hj212()
    fl = encode_flag(standard=std) if flag is None else flag
    fl = decode_flag(fl, std) if isinstance(fl, int) else fl
    fields: dict[str, tuple[str, int | None]] = {
        "QN": (qn, None),
        "ST": (st, None),
        "CN": (cn, None),
        "PW": (pw, None),
        "MN": (mn, None),
        "Flag": (str(fl.value), None),
    }
    fields.update({k: (str(v), None) for k, v in (("PNUM", pnum), ("PNO", pno)) if v is not None})
    _check_header(std, fields)
    area = format_data_area(cp or Hj212DataArea(), tz=tz, standard=std)
    cp_text = f"{_CP_OPEN}{area}{_CP_CLOSE}"
    if len(cp_text) > std.cp_max_length:
        raise _fail(
            std, "CP", f"{len(cp_text)} characters exceed {std.cp_max_length}; split it", None
        )
    segment = ";".join([*(f"{k}={v}" for k, (v, _) in fields.items()), cp_text])
    size = len(segment.encode(std.encoding))
    if size > std.data_segment_max_length:
        limit = std.data_segment_max_length
        raise _fail(std, "length", f"data segment of {size} bytes exceeds {limit}", None)
    crc = format_crc(crc16_hj212(segment, std), std)
    return f"{std.header}{size:0{std.length_digits}d}{segment}{crc}{std.trailer}"


def format_qn(when: datetime, tz: str | tzinfo = HJ212_TIMEZONE) -> str:
    """Write a ``QN`` request id, ``YYYYMMDDhhmmsszzz`` in local time.

    Parameters
    ----------
    when : datetime
        Timezone-aware time of the request (the caller's clock).
    tz : str or tzinfo
        Zone of the written time; default ``"Asia/Shanghai"``.

    Returns
    -------
    str

    References
    ----------
    .. [1] HJ 212-2017, 表3 (QN).

    Examples
    --------
    >>> from datetime import UTC
    >>> format_qn(datetime(2026, 11, 23, 1, 0, 0, 123000, tzinfo=UTC))
    '20261123090000123'
    """
    if when.tzinfo is None:
        raise Hj212Error(
            f"QN time {when.isoformat()} is naive; pass a timezone-aware datetime",
            field="QN",
            qn_rtn=read_hj212().qn_rtn_by_field["QN"],
        )
    local = when.astimezone(_zone(tz))
    return f"{local.strftime('%Y%m%d%H%M%S')}{local.microsecond // 1000:03d}"
