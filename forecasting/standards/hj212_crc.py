"""The CRC16 of HJ 212-2017 附录A (not CRC-16/MODBUS).

HJ 212 packets end with a CRC16 of the data segment, written as four hex digits,
high byte first. The standard's own algorithm differs from CRC-16/MODBUS in one
step: each byte is XORed into the register *after* shifting it right by 8 bits
(``crc = (crc >> 8) ^ byte``), where MODBUS XORs it into the unshifted register
(``crc ^= byte``). For the standard's example packet the two give ``1C80``
(HJ 212) and ``0759`` (MODBUS); a MODBUS implementation rejects every valid packet.

References
----------
.. [1] HJ 212-2017 污染物在线监控（监测）系统数据传输标准, 附录A (CRC 校验算法),
   data file ``cn_mee_hj212_2017`` (``[crc]``). The text after the example misprints
   the CRC as ``1C08``; the packet and the computation give ``1C80``.
"""

from __future__ import annotations

from functools import cache

from forecasting.errors import InputDataError
from forecasting.standards.hj212_codes import Hj212Standard, read_hj212

__all__ = ["crc16_hj212", "format_crc"]


@cache
def _crc_table(polynomial: int, bits_per_byte: int) -> tuple[int, ...]:
    """Register value after the 8 shift/XOR steps, for each 8-bit register value."""
    table = []
    for value in range(1 << bits_per_byte):
        crc = value
        for _ in range(bits_per_byte):
            check = crc & 1
            crc >>= 1
            if check:
                crc ^= polynomial
        table.append(crc)
    return tuple(table)


def crc16_hj212(data: bytes | str, standard: Hj212Standard | None = None) -> int:
    """Compute the HJ 212-2017 CRC16 of a data segment.

    Parameters
    ----------
    data : bytes or str
        The data segment (from ``QN=`` to the closing ``&&``), without the
        ``##LLLL`` prefix and without the CRC and trailer. A str is encoded
        in UTF-8 (the packet encoding of §6.3).
    standard : Hj212Standard, optional
        CRC parameters (initial register 0xFFFF, polynomial 0xA001); default
        :func:`~forecasting.standards.hj212_codes.read_hj212` ().

    Returns
    -------
    int
        The CRC, 0–0xFFFF; :func:`format_crc` writes it as in a packet.

    Notes
    -----
    附录A, for each byte: ``crc = (crc >> 8) ^ byte``, then 8 times
    ``check = crc & 1; crc >>= 1; if check: crc ^= 0xA001``. After the first
    step the register holds at most 8 bits, so the 8 shift/XOR steps are a
    256-entry table lookup. The high byte of the table is a permutation of
    0–255, so any single-byte change of the data changes the CRC.

    References
    ----------
    .. [1] HJ 212-2017, 附录A (reference C code ``CRC16_Checkout``).

    Examples
    --------
    The example packet of 附录A:

    >>> segment = (
    ...     "QN=20160801085857223;ST=32;CN=1062;PW=100000;"
    ...     "MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&"
    ... )
    >>> format_crc(crc16_hj212(segment))
    '1C80'
    """
    std = standard or read_hj212()
    raw = data.encode(std.encoding) if isinstance(data, str) else bytes(data)
    table = _crc_table(std.crc_polynomial, std.crc_bits_per_byte)
    shift = std.crc_bits_per_byte
    crc = std.crc_initial
    for byte in raw:
        crc = table[(crc >> shift) ^ byte]
    return crc


def format_crc(crc: int, standard: Hj212Standard | None = None) -> str:
    """Write a CRC as in a packet: upper-case hex, high byte first, zero-padded.

    Parameters
    ----------
    crc : int
        The CRC, 0–0xFFFF.
    standard : Hj212Standard, optional
        Number of hex digits (4, 表2); default
        :func:`~forecasting.standards.hj212_codes.read_hj212` ().

    Returns
    -------
    str
        E.g. ``"1C80"``; ``"00A1"`` for 0xA1.

    Raises
    ------
    InputDataError
        If ``crc`` does not fit the field.

    References
    ----------
    .. [1] HJ 212-2017, 表2 (CRC 校验, 4 hex digits) and 附录A
       ("校验码按照先高字节后低字节的顺序存放").

    Examples
    --------
    >>> format_crc(0x1C80)
    '1C80'
    """
    std = standard or read_hj212()
    digits = std.crc_hex_digits
    if not 0 <= crc < 16**digits:
        raise InputDataError(f"CRC {crc!r} does not fit {digits} hex digits (0–{16**digits - 1})")
    return f"{crc:0{digits}X}"
